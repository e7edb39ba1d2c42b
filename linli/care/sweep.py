"""The periodic side of proactive care: the minute sweep and the hourly routine learning.

:func:`care_sweep` runs every minute under ``linli up`` (the simulator calls it with its own
clock): expire away periods, open due silence alerts, catch SOS/smoke events the ingestion
hook missed, escalate. :func:`routines_learn` fits today's routine of each watch. Both are
re-exported by :mod:`linli.care.services`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from linli.care import live
from linli.care.models import AlertKind, AwayEnd, AwayPeriod, CareAlert, Watch
from linli.care.services import _now, alert_open, alerts_escalate, away_end


def silence_sweep(*, now: dt.datetime | None = None) -> list[CareAlert]:
    """Open a silence alert for every watch whose silence has outlasted its tolerance."""
    now = _now(now)
    out = []
    due = Watch.objects.filter(active=True, due_at__lte=now).select_related(
        "resident__household__building__micro_grid", "resident__area"
    )
    for watch in due:
        with transaction.atomic():
            locked = Watch.objects.select_for_update().get(pk=watch.pk)
            if locked.due_at is None or locked.due_at > now or locked.last_sign_at is None:
                continue
            resident = watch.resident
            hours = (locked.due_at - locked.last_sign_at).total_seconds() / 3600
            last = timezone.localtime(locked.last_sign_at)
            alert = None
            if resident.household is not None:
                alert = alert_open(
                    kind=AlertKind.SILENCE,
                    resident=resident,
                    household=resident.household,
                    raised_at=locked.due_at,
                    silent_since=locked.last_sign_at,
                    detail=f"自 {last:%m-%d %H:%M} 起已 {hours:.1f} 小时没有开门、用水、"
                    "用电等活动，超出其平日作息",
                )
            locked.due_at = None
            locked.save(update_fields=["due_at"])
            if alert is not None:
                out.append(alert)
    return out


def away_expire(*, now: dt.datetime | None = None) -> int:
    """Close away periods whose announced end has passed (as 到期)."""
    now = _now(now)
    n = 0
    for away in AwayPeriod.objects.filter(ended_at__isnull=True, ends_at__lte=now):
        away_end(away=away, by=None, now=now, reason=AwayEnd.EXPIRED)
        n += 1
    return n


def missed_event_alerts(*, now: dt.datetime | None = None, hours: int = 2) -> list[CareAlert]:
    """Safety net for the ingestion hook: SOS and smoke events of the last ``hours`` that
    have no alert yet (the hook runs after commit and is not retried) get one now."""
    from linli.devices.models import DeviceEvent, DeviceKind

    now = _now(now)
    rows = DeviceEvent.objects.filter(
        device__kind__in=(DeviceKind.SOS_BUTTON, DeviceKind.SMOKE_DETECTOR),
        ts__gte=now - dt.timedelta(hours=hours),
        ts__lte=now,
    ).values_list("device_id", "event_id", "ts", "kind", "value")
    return live.immediate_alerts(list(rows))


def care_sweep(*, now: dt.datetime | None = None) -> list[CareAlert]:
    """The periodic check (every minute under ``linli up``; the simulator calls it with its
    own clock): expire away periods, open due silence alerts, catch missed SOS/smoke
    events, escalate. Returns the alerts opened by this sweep."""
    now = _now(now)
    away_expire(now=now)
    opened = silence_sweep(now=now)
    opened += missed_event_alerts(now=now)
    alerts_escalate(now=now)
    return opened


def routines_learn(*, now: dt.datetime | None = None, force: bool = False) -> int:
    """Learn today's routine of every active watch not yet learnt today (local date), or of
    all with ``force``. Returns how many were learnt. Runs hourly; cheap when done."""
    now = _now(now)
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time()))
    watches = Watch.objects.filter(active=True).select_related("resident")
    if not force:
        watches = watches.filter(
            Q(routine_learnt_at__isnull=True) | Q(routine_learnt_at__lt=midnight)
        )
    n = 0
    for watch in watches.iterator(chunk_size=200):
        live.routine_learn(watch, now=now)
        n += 1
    return n
