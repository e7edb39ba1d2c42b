"""Reads for resident users: their account and the people they may act for."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Q, QuerySet, Value, When

from linli.accounts.models import ResidentAccount
from linli.people.models import Resident


def account_of(user: Any) -> ResidentAccount | None:
    """The active resident account of ``user`` (``None`` for staff, anonymous, inactive)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        ResidentAccount.objects.select_related("resident")
        .filter(user=user, active=True, user__is_active=True)
        .first()
    )


def residents_actable_by(user: Any) -> QuerySet[Resident]:
    """Residents ``user`` may act for: their own resident plus those who consented.

    Consent as :attr:`linli.people.models.FamilyLink.consent_active`: the link names the
    user's resident as ``relative``, ``may_act`` is set, ``consent_at`` recorded and not
    ``revoked_at``. Own resident first, then by name. Empty for users without an account.
    """
    account = account_of(user)
    if account is None:
        return Resident.objects.none()
    me = account.resident_id
    consented = Q(
        family_links__relative_id=me,
        family_links__may_act=True,
        family_links__consent_at__isnull=False,
        family_links__revoked_at__isnull=True,
    )
    ids = Resident.objects.filter(Q(pk=me) | consented).values("pk")
    own_first = Case(When(pk=me, then=Value(0)), default=Value(1))
    return Resident.objects.filter(pk__in=ids).order_by(own_first, "name", "pk")
