"""Re-match policies when an organisation's facts change (免申即享 must not wait for staff).

* ``post_save`` of :class:`~linli.orgs.models.Organization` → its current policies are
  re-matched;
* ``post_save`` of :class:`~linli.people.models.Resident` when the pair (employer,
  disabled) changed → the old and the new employer are re-matched (their
  ``disabled_employees`` fact moved). The pair as loaded is remembered by ``post_init``.

The re-match runs after the commit (:func:`django.db.transaction.on_commit`), synchronously
and cheaply (:func:`linli.engagement.policies.organization_changed`: a handful of queries
for one organisation). A failure is logged and never
undoes the registry change; the nightly :func:`linli.engagement.tasks.policies_rematch_task`
catches anything missed, including bulk imports that send no signals.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_init, post_save
from django.dispatch import receiver

from linli.orgs.models import Organization
from linli.people.models import Resident

logger = logging.getLogger("linli.engagement")
_PENDING = "_linli_policy_disabled_employer"


def rematch_after_commit(organization_id: int) -> None:
    """Re-match ``organization_id`` after the current transaction commits (never, if it
    rolls back). Saved twice in one transaction, it is re-matched twice: cheap, and each
    run reads the committed state."""

    def run() -> None:
        from linli.engagement.policies import organization_changed

        try:
            organization_changed(organization_id)
        except Exception:
            logger.exception("单位 %s 的政策重新匹配失败，将由夜间任务补做", organization_id)

    transaction.on_commit(run)


@receiver(post_save, sender=Organization, dispatch_uid="engagement_policy_org_saved")
def organization_saved(sender: Any, instance: Organization, raw: bool = False, **kw: Any) -> None:
    if not raw:
        rematch_after_commit(instance.pk)


@receiver(post_init, sender=Resident, dispatch_uid="engagement_policy_resident_loaded")
def resident_loaded(sender: Any, instance: Resident, **kw: Any) -> None:
    instance.__dict__[_PENDING] = _disabled_employer(instance)


def _disabled_employer(resident: Resident) -> int | None:
    """The employer whose disabled-employee count includes ``resident`` (else ``None``)."""
    return resident.__dict__.get("employer_id") if resident.__dict__.get("disabled") else None


@receiver(post_save, sender=Resident, dispatch_uid="engagement_policy_resident_saved")
def resident_saved(sender: Any, instance: Resident, raw: bool = False, **kw: Any) -> None:
    if raw:
        return
    before = None if kw.get("created") else instance.__dict__.get(_PENDING)
    after = _disabled_employer(instance)
    instance.__dict__[_PENDING] = after
    if before == after:
        return
    for org_id in (before, after):
        if org_id is not None:
            rematch_after_commit(org_id)
