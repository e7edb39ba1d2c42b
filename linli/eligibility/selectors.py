"""Reads of eligibility schemes (they are city-wide, not per area)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from linli.eligibility.models import Scheme, Tier


def schemes_active() -> QuerySet[Scheme]:
    """Enabled schemes by code."""
    return Scheme.objects.filter(active=True).order_by("code")


def tiers_valid_on(*, scheme: Scheme, on: dt.date) -> QuerySet[Tier]:
    """The scheme's tiers valid on ``on``, by priority, with subsidies prefetched."""
    return (
        scheme.tiers.filter(valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .prefetch_related("subsidies")
        .order_by("priority")
    )
