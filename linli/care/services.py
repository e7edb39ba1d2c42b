"""Writes of proactive care: watches, away mode, the alert workflow, the periodic sweep.

Alert workflow (docs/care.md): :func:`alert_open` notifies the micro-grid worker(s) of the
resident's micro-grid (in-app and the area's group robots) and the emergency contacts
(SMS) and sets an acknowledgement deadline (:data:`ACK_MINUTES`; :data:`ACK_MINUTES_URGENT`
for SOS and smoke).
If nobody acknowledges, :func:`alerts_escalate` notifies the grid leader(s) and community
staff (level 1) and, after :data:`CASE_AFTER_MINUTES` more, opens a case of category
独居老人异常 (SQ01) carrying the trail (level 2). Acknowledged alerts are closed by
:func:`alert_resolve` with an outcome, or turned into a case by :func:`alert_to_case`.
Every step is an :class:`~linli.care.models.AlertStep` with its time.

All functions take ``now`` (aware datetime) so the simulator and tests can drive the clock;
errors are ``ValidationError`` with a Chinese message and nothing written.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from linli.care import live
from linli.care.models import (
    AlertKind,
    AlertOutcome,
    AlertStatus,
    AlertStep,
    AwayEnd,
    AwayPeriod,
    CareAlert,
    StepAction,
    Watch,
    WatchReason,
)
from linli.notify.models import Channel
from linli.notify.services import Recipient, notify
from linli.people.models import Assignment, Resident, Role
from linli.places.models import Area, Household

log = logging.getLogger("linli.care")

#: Minutes to acknowledge a silence or water alert before it escalates.
ACK_MINUTES: int = getattr(settings, "LINLI_CARE_ACK_MINUTES", 15)
#: Minutes to acknowledge an SOS or smoke alert before it escalates.
ACK_MINUTES_URGENT: int = getattr(settings, "LINLI_CARE_ACK_MINUTES_URGENT", 5)
#: Minutes after escalation, still unacknowledged, before a case is opened automatically.
CASE_AFTER_MINUTES: int = getattr(settings, "LINLI_CARE_CASE_AFTER_MINUTES", 30)
#: Longest away mode that can be announced (days).
AWAY_MAX_DAYS = 92
#: Case category for an alert turned into a case (seeded by cases migration 0002).
CASE_CATEGORY_CODE = "SQ01"

#: Staff hear of alerts in the app and through the area's WeCom / DingTalk group robots
#: (staff accounts hold no phone number); family by SMS.
STAFF_CHANNELS = (Channel.INAPP, Channel.WECOM, Channel.DINGTALK)
URGENT: set[str] = {AlertKind.SOS, AlertKind.SMOKE}
ALERT_TITLES: dict[str, str] = {
    AlertKind.SILENCE: "{name}长时间无活动",
    AlertKind.SOS: "{name}按下了紧急呼叫",
    AlertKind.SMOKE: "{where}烟雾报警",
    AlertKind.WATER_RUNNING: "{where}持续用水超过3小时",
}


def duration_text(seconds: float) -> str:
    """``12 分钟`` / ``3 小时`` / ``2 天 5 小时`` for people (at most two units)."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} 分钟"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} 小时" + (f" {minutes} 分钟" if minutes else "")
    days, hours = divmod(hours, 24)
    return f"{days} 天" + (f" {hours} 小时" if hours else "")


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def ancestor_paths(path: str) -> list[str]:
    """``/a/b/c/`` → ``["/a/", "/a/b/", "/a/b/c/"]`` (the area and all above it)."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def staff_for(area: Area, roles: Iterable[str]) -> list[User]:
    """Active users holding one of ``roles`` on ``area`` or any area above it."""
    ids = Assignment.objects.filter(
        role__in=list(roles), area__path__in=ancestor_paths(area.path), user__is_active=True
    ).values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


def _alert_area(resident: Resident | None, household: Household) -> Area:
    if resident is not None:
        return resident.area
    return household.building.micro_grid


# --------------------------------------------------------------------------- watches


@transaction.atomic
def watch_add(*, resident: Resident, by: User | None, note: str = "") -> Watch:
    """Put ``resident`` under watch by staff choice (or re-activate a watch).

    Raises:
        ValidationError: the resident has moved away (no household).
    """
    if resident.household_id is None:
        raise ValidationError("该居民没有住址（户），无法关注")
    watch, created = Watch.objects.get_or_create(
        resident=resident,
        defaults={"reason": WatchReason.STAFF_CHOICE, "added_by": by, "note": note[:200]},
    )
    if not created:
        watch.active = True
        if note:
            watch.note = note[:200]
        watch.save(update_fields=["active", "note", "updated_at"])
    live.cache_clear()
    return watch


@transaction.atomic
def watch_remove(*, watch: Watch, by: User | None, reason: str = "") -> Watch:
    """Stop watching; alerts already open stay open. A living-alone resident is watched
    again by the next :func:`watches_sync` unless staff removed them (then kept off), so
    a reason is required (kept in ``note`` with who and when).

    Raises:
        ValidationError: no reason given.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("取消关注会停止自动提醒，请写明原因（例如：已搬去子女家同住）")
    who = (by.get_full_name() or by.get_username()) if by else "系统"
    when = timezone.localtime().strftime("%Y-%m-%d")
    watch.active = False
    watch.reason = WatchReason.STAFF_CHOICE
    watch.due_at = None
    watch.note = f"{when} {who} 取消关注：{reason}"[:200]
    watch.save(update_fields=["active", "reason", "due_at", "note", "updated_at"])
    live.cache_clear()
    return watch


def watches_sync() -> tuple[int, int]:
    """Watch every resident living alone (new rows, reason 独居); stop automatic watches of
    residents no longer living alone or moved away. Returns (added, stopped). Watches that
    staff chose or removed are left as they are."""
    watched = set(Watch.objects.values_list("resident_id", flat=True))
    new = [
        Watch(resident_id=pk, reason=WatchReason.LIVING_ALONE)
        for pk in Resident.objects.filter(living_alone=True, household__isnull=False)
        .exclude(pk__in=watched)
        .values_list("pk", flat=True)
    ]
    Watch.objects.bulk_create(new, batch_size=1000)
    stopped = (
        Watch.objects.filter(reason=WatchReason.LIVING_ALONE, active=True)
        .filter(Q(resident__living_alone=False) | Q(resident__household__isnull=True))
        .update(active=False, due_at=None)
    )
    if new or stopped:
        live.cache_clear()
    return len(new), stopped


# --------------------------------------------------------------------------- away mode


@transaction.atomic
def away_announce(
    *,
    resident: Resident,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    note: str = "",
    by: User | None,
    now: dt.datetime | None = None,
) -> AwayPeriod:
    """Announce "staying with relatives until …": silence alerts wait until ``ends_at`` or
    a detected return (:mod:`linli.care.live`).

    Raises:
        ValidationError: end not after start, start more than a day in the past, end in the
            past, longer than :data:`AWAY_MAX_DAYS` days, or overlapping another announced
            away period that has not ended.
    """
    now = _now(now)
    if ends_at <= now:
        raise ValidationError("回来时间已经过去")
    if ends_at <= starts_at:
        raise ValidationError("回来时间必须晚于离开时间")
    if starts_at < now - dt.timedelta(days=1):
        raise ValidationError("离开时间不能早于一天前")
    if ends_at - starts_at > dt.timedelta(days=AWAY_MAX_DAYS):
        raise ValidationError(f"外出登记最长 {AWAY_MAX_DAYS} 天")
    clash = AwayPeriod.objects.select_for_update().filter(
        resident=resident, ended_at__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if clash.exists():
        raise ValidationError("这段时间已有外出登记，请先结束原登记")
    away = AwayPeriod.objects.create(
        resident=resident, starts_at=starts_at, ends_at=ends_at, note=note[:200], announced_by=by
    )
    live.watch_refresh_due(resident_id=resident.pk)
    return away


@transaction.atomic
def away_end(
    *,
    away: AwayPeriod,
    by: User | None,
    now: dt.datetime | None = None,
    reason: str = AwayEnd.CANCELLED,
) -> AwayPeriod:
    """End away mode now (the resident is back, or plans changed).

    Raises:
        ValidationError: it has already ended.
    """
    now = _now(now)
    away = AwayPeriod.objects.select_for_update().get(pk=away.pk)
    if away.ended_at is not None:
        raise ValidationError("该外出登记已结束")
    away.ended_at = min(now, away.ends_at) if reason == AwayEnd.EXPIRED else now
    if reason == AwayEnd.CANCELLED and now < away.starts_at:
        away.ended_at = away.starts_at  # never began: shown as cancelled, not "ended early"
    away.end_reason = reason
    away.save(update_fields=["ended_at", "end_reason", "updated_at"])
    live.watch_refresh_due(resident_id=away.resident_id)
    return away


def away_active(resident: Resident, now: dt.datetime) -> AwayPeriod | None:
    """The away period holding ``resident``'s alerts at ``now``, if any."""
    return (
        AwayPeriod.objects.filter(
            resident=resident, ended_at__isnull=True, starts_at__lte=now, ends_at__gt=now
        )
        .order_by("starts_at")
        .first()
    )


# --------------------------------------------------------------------------- alerts


def _step(
    alert: CareAlert, action: str, at: dt.datetime, actor: User | None = None, note: str = ""
) -> AlertStep:
    return AlertStep.objects.create(alert=alert, action=action, at=at, actor=actor, note=note[:500])


def _who(alert: CareAlert) -> tuple[str, str]:
    where = str(alert.household)
    name = alert.resident.name if alert.resident else where
    return name, where


def alert_link(alert: CareAlert) -> str:
    return f"/care/alerts/{alert.pk}/"


@transaction.atomic
def alert_open(
    *,
    kind: str,
    household: Household,
    raised_at: dt.datetime,
    resident: Resident | None = None,
    silent_since: dt.datetime | None = None,
    source_key: str | None = None,
    detail: str = "",
) -> CareAlert | None:
    """Open an alert and notify the micro-grid worker(s) and the emergency contacts.

    Returns None when ``source_key`` already has an alert (a resent SOS alerts once) or,
    for a silence alert, when the same quiet spell already had one (open or closed).
    ``raised_at`` is the detection time; the acknowledgement deadline counts from it.
    """
    if source_key and CareAlert.objects.filter(source_key=source_key).exists():
        return None
    if (
        kind == AlertKind.SILENCE
        and resident is not None
        and CareAlert.objects.filter(
            resident=resident, kind=kind, silent_since=silent_since
        ).exists()
    ):
        return None
    minutes = ACK_MINUTES_URGENT if kind in URGENT else ACK_MINUTES
    alert = CareAlert.objects.create(
        kind=kind,
        resident=resident,
        household=household,
        area=_alert_area(resident, household),
        raised_at=raised_at,
        silent_since=silent_since,
        source_key=source_key,
        detail=detail[:300],
        ack_due_at=raised_at + dt.timedelta(minutes=minutes),
    )
    _step(alert, StepAction.OPENED, raised_at, note=detail or alert.get_kind_display())
    _notify_first(alert)
    return alert


def _notify_first(alert: CareAlert) -> None:
    name, where = _who(alert)
    title = ALERT_TITLES[alert.kind].format(name=name, where=where)
    workers = staff_for(alert.area, [Role.MICRO_GRID_WORKER])
    contacts = (
        [
            Recipient(phone=c.phone, name=c.name)
            for c in alert.resident.emergency_contacts.all()
            if c.phone
        ]
        if alert.resident is not None
        else []
    )
    body = f"{alert.detail}\n请尽快联系或上门查看，并在 Linli 中确认。".strip()
    if workers:
        notify(
            recipients=workers,
            title=title,
            body=body,
            link=alert_link(alert),
            kind=f"care.{alert.kind}",
            subject=alert,
            channels=STAFF_CHANNELS,
            area=alert.area,
        )
    if contacts:
        notify(
            recipients=contacts,
            title=f"【邻里关怀】{title}",
            body="社区已收到提醒，网格员正在联系。如您已确认平安，请告知网格员。",
            kind=f"care.{alert.kind}.family",
            subject=alert,
            channels=(Channel.SMS,),
            area=alert.area,
        )
    told = [u.get_full_name() or u.get_username() for u in workers]
    told += [f"{c.name}（紧急联系人）" for c in contacts]
    _step(
        alert,
        StepAction.NOTIFIED,
        alert.raised_at,
        note="已通知：" + ("、".join(told) if told else "无人可通知（该微网格未配置微网格员）"),
    )


def _open_alert_locked(alert: CareAlert) -> CareAlert:
    locked = CareAlert.objects.select_for_update().get(pk=alert.pk)
    if not locked.is_open:
        raise ValidationError(f"告警{locked.get_status_display()}，无需再处理")
    return locked


@transaction.atomic
def alert_acknowledge(
    *, alert: CareAlert, by: User, now: dt.datetime | None = None, note: str = ""
) -> CareAlert:
    """Someone takes the alert in hand: escalation stops.

    Raises:
        ValidationError: the alert is already acknowledged, resolved or a case.
    """
    now = _now(now)
    alert = _open_alert_locked(alert)
    if alert.acknowledged_at is not None:
        who = alert.acknowledged_by
        name = (who.get_full_name() or who.get_username()) if who else "他人"
        at = timezone.localtime(alert.acknowledged_at).strftime("%H:%M")
        raise ValidationError(f"告警已由{name}于 {at} 确认")
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at, alert.acknowledged_by = now, by
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
    _step(alert, StepAction.ACKNOWLEDGED, now, by, note)
    return alert


@transaction.atomic
def alert_note(
    *, alert: CareAlert, by: User, note: str, called: bool = False, now: dt.datetime | None = None
) -> AlertStep:
    """Add a note (or "called the contact") to the trail. Logging a call on an alert nobody
    has acknowledged acknowledges it (whoever called has it in hand): escalation stops.

    Raises:
        ValidationError: empty note on a plain note.
    """
    note = note.strip()
    if not note and not called:
        raise ValidationError("请填写说明")
    now = _now(now)
    if called and alert.is_open and alert.acknowledged_at is None:
        alert_acknowledge(alert=alert, by=by, now=now, note="已电话联系")
    return _step(alert, StepAction.CALLED if called else StepAction.NOTE, now, by, note)


@transaction.atomic
def alert_resolve(
    *,
    alert: CareAlert,
    by: User,
    outcome: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> CareAlert:
    """Close the alert with an outcome (平安无事 / 误报 / 确需帮助); a false alarm needs the
    reason in ``note``. An alert nobody acknowledged is acknowledged by the same step.

    Raises:
        ValidationError: unknown outcome, a false alarm without a reason, or the alert is
            already closed.
    """
    now = _now(now)
    if outcome not in AlertOutcome.values:
        raise ValidationError("请选择处理结果")
    note = note.strip()
    if outcome == AlertOutcome.FALSE_ALARM and not note:
        raise ValidationError("误报请写明原因（例如：设备故障、外出未登记）")
    alert = _open_alert_locked(alert)
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, by
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at, alert.resolved_by = now, by
    alert.outcome, alert.outcome_note = outcome, note[:300]
    alert.save()
    label = AlertOutcome(outcome).label
    _step(alert, StepAction.RESOLVED, now, by, f"{label}。{note}" if note else label)
    return alert


def trail_text(alert: CareAlert) -> str:
    """The alert's trail as lines ``MM-DD HH:MM 动作 说明`` (local time), for a case."""
    lines = []
    for step in alert.steps.select_related("actor").order_by("at", "pk"):
        who = f"（{step.actor.get_full_name() or step.actor.get_username()}）" if step.actor else ""
        at = timezone.localtime(step.at).strftime("%m-%d %H:%M")
        lines.append(f"{at} {step.get_action_display()}{who} {step.note}".rstrip())
    return "\n".join(lines)


def events_text(alert: CareAlert, *, limit: int = 20) -> str:
    """The resident's last device events before the alert (newest first), for a case."""
    from linli.devices.models import DeviceEvent

    if alert.resident is None:
        return ""
    rows = (
        DeviceEvent.objects.filter(
            device__household=alert.household,
            ts__lte=alert.raised_at,
            ts__gte=alert.raised_at - dt.timedelta(days=2),
        )
        .select_related("device")
        .order_by("-ts")[:limit]
    )
    out = []
    for ev in rows:
        at = timezone.localtime(ev.ts).strftime("%m-%d %H:%M")
        reading = f" {ev.value:g}" if ev.value is not None else ""
        out.append(f"{at} {ev.device.get_kind_display()} {ev.get_kind_display()}{reading}")
    return "\n".join(out)


@transaction.atomic
def alert_to_case(
    *, alert: CareAlert, by: User | None, note: str = "", now: dt.datetime | None = None
) -> CareAlert:
    """Turn the alert into a case of category 独居老人异常 carrying its trail and the
    resident's last device events; the alert then shows the case.

    Raises:
        ValidationError: the alert is already closed or a case.
    """
    from linli.cases.models import CaseCategory, CaseChannel
    from linli.cases.services import case_report

    now = _now(now)
    alert = _open_alert_locked(alert)
    name, where = _who(alert)
    _step(alert, StepAction.CASE, now, by, note or "转为事件")
    parts = [
        f"{alert.get_kind_display()}：{name}，{where}。",
        f"告警时间 {timezone.localtime(alert.raised_at):%Y-%m-%d %H:%M}。",
    ]
    if alert.silent_since:
        parts.append(f"最后一次活动 {timezone.localtime(alert.silent_since):%Y-%m-%d %H:%M}。")
    if note:
        parts.append(note)
    parts += ["", "处理记录：", trail_text(alert)]
    events = events_text(alert)
    if events:
        parts += ["", "最近设备记录：", events]
    case = case_report(
        category=CaseCategory.objects.get(code=CASE_CATEGORY_CODE),
        description="\n".join(parts)[:4000],
        channel=CaseChannel.DEVICE_ALERT,
        title=f"{name}{alert.get_kind_display()}",
        reporter=by,
        reporter_name="" if by else "邻里主动关怀",
        household=alert.household,
        subject_resident=alert.resident,
        attributes={"care_alert": alert.pk},
        now=now,
    )
    alert.status, alert.case = AlertStatus.CASE, case
    alert.resolved_at, alert.resolved_by = now, by
    alert.save(update_fields=["status", "case", "resolved_at", "resolved_by", "updated_at"])
    return alert


@transaction.atomic
def alerts_escalate(*, now: dt.datetime | None = None) -> list[CareAlert]:
    """Escalate unacknowledged alerts past their deadline; returns those escalated.

    Level 0 → 1: the grid leader(s) and community staff of the area are notified and the
    deadline moves :data:`CASE_AFTER_MINUTES` on. Level 1 → 2: a case is opened with the
    trail. A silence alert after which the resident showed activity again is not escalated
    further (it waits for someone to close it).
    """
    now = _now(now)
    due = (
        CareAlert.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status__in=(AlertStatus.OPEN, AlertStatus.ESCALATED), ack_due_at__lte=now)
        .filter(activity_at__isnull=True)
        .select_related("resident", "household__building", "area")
        .order_by("ack_due_at")
    )
    out = []
    for alert in due:
        if alert.escalation_level == 0:
            _escalate(alert, now)
        else:
            alert_to_case(alert=alert, by=None, now=now, note="超时无人确认，自动转为事件")
            alert.escalation_level = 2
            alert.save(update_fields=["escalation_level"])
        out.append(alert)
    return out


def _escalate(alert: CareAlert, now: dt.datetime) -> None:
    leaders = staff_for(alert.area, [Role.GRID_LEADER, Role.COMMUNITY_ADMIN])
    name, where = _who(alert)
    waited = duration_text((now - alert.raised_at).total_seconds())
    if leaders:
        notify(
            recipients=leaders,
            title=f"【升级】{ALERT_TITLES[alert.kind].format(name=name, where=where)}",
            body=f"告警 {waited}无人确认，请立即安排人员上门查看。",
            link=alert_link(alert),
            kind="care.escalated",
            subject=alert,
            channels=STAFF_CHANNELS,
            area=alert.area,
        )
    alert.status = AlertStatus.ESCALATED
    alert.escalation_level = 1
    alert.ack_due_at = now + dt.timedelta(minutes=CASE_AFTER_MINUTES)
    alert.save(update_fields=["status", "escalation_level", "ack_due_at", "updated_at"])
    told = "、".join(u.get_full_name() or u.get_username() for u in leaders)
    _step(
        alert,
        StepAction.ESCALATED,
        now,
        note=f"{waited}无人确认，已通知：{told or '无（未配置网格长或社区管理员）'}",
    )


# Re-export: the periodic sweep and routine learning, under one name for callers.
from linli.care.sweep import (  # noqa: E402
    away_expire,
    care_sweep,
    missed_event_alerts,
    routines_learn,
    silence_sweep,
)

__all__ = [
    "away_expire",
    "care_sweep",
    "missed_event_alerts",
    "routines_learn",
    "silence_sweep",
]
