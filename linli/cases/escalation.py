"""Due-soon warnings and the overdue ladder (超时督办) for case stage clocks.

The ladder, per stage of a case (a new ``stage_started_at`` starts it again):

====== ============================================ ===========================================
level  when                                          who is notified
====== ============================================ ===========================================
0      :func:`due_soon_fraction` (80 %) of the      the handler side (†), else the micro-grid
       stage limit used, not yet due                 workers over the case's area
1      due (``now >= due_at``)                       grid leaders over the area (+ handler †)
2      overdue by :func:`step_fraction` × limit      community admins over the area (+ handler †)
3      overdue by 2 × step × limit                   street admins over the area (+ handler †)
====== ============================================ ===========================================

† The handler; for a case sent to an organisation that nobody has accepted yet, the
members of that organisation (assignments naming it). "Over the area" means an
:class:`~linli.people.models.Assignment` whose area path is a prefix of the case's area
path, so the grid leader of *that* grid hears, not another grid's. Time is counted the way
the category counts it: working seconds (:mod:`linli.common.workcalendar`) for working-time
categories, else clock seconds. A paused clock (``paused_at`` set) and statuses without a
clock (suspended, verified, final) are never escalated; ``due_at`` already includes earlier
pauses (``linli.cases.sla``).

Every step is one ``CaseEvent(action="escalate")`` with ``data = {"level", "stage",
"stage_started_at", "due_at", "overdue_seconds" (negative: seconds still left),
"working_time", "role", "notified": [user ids]}``. The events are the record of which
levels a stage has reached: ``Case.escalation_level`` is written too (for pages and
filters) but is not trusted, because the lifecycle's ``stage_start`` does not reset it.

Concurrency: each case is escalated in its own transaction holding the row lock
(``select_for_update(skip_locked=True)`` on PostgreSQL: a case locked by a transition or
another pass is left for the next pass; on SQLite the IMMEDIATE transaction mode
serialises writers) and re-reads the stage's events under the lock, so two passes at once
never write a level twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from linli.cases.events import event_record
from linli.cases.models import STAGE_OF_STATUS, Case, CaseAction, CaseCategory, CaseEvent
from linli.common import workcalendar
from linli.people.models import Assignment, Role

logger = logging.getLogger("linli.cases.escalation")

#: Level → the role notified at that level (level 0 is the due-soon warning).
LADDER: dict[int, str] = {
    0: Role.MICRO_GRID_WORKER,
    1: Role.GRID_LEADER,
    2: Role.COMMUNITY_ADMIN,
    3: Role.STREET_ADMIN,
}
MAX_LEVEL = max(LADDER)
LEVEL_LABELS = {0: "临期提醒", 1: "一级督办", 2: "二级督办", 3: "三级督办"}
#: Statuses whose stage clock runs (``STAGE_OF_STATUS`` has a stage for them).
CLOCKED_STATUSES = [status for status, stage in STAGE_OF_STATUS.items() if stage]
STATUSES_OF_STAGE: dict[str, list[str]] = defaultdict(list)
for _status, _stage in STAGE_OF_STATUS.items():
    if _stage:
        STATUSES_OF_STAGE[_stage].append(_status)
STAGE_LABELS = {"register": "立案", "dispatch": "派遣", "handle": "处置", "verify": "核查"}

DEFAULT_DUE_SOON_FRACTION = 0.8
DEFAULT_STEP_FRACTION = 0.5
DEFAULT_CHANNELS = ("inapp",)
#: Ids per ``IN (…)`` list: under SQLite's bound-parameter limit, short for PostgreSQL.
ID_CHUNK = 2000


# --- settings -----------------------------------------------------------------------------


def _fraction(name: str, default: float) -> float:
    value = getattr(settings, name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ImproperlyConfigured(f"{name} must be a fraction in (0, 1], got {value!r}")
    return float(value)


def due_soon_fraction() -> float:
    """Share of the stage limit used before the due-soon warning (``LINLI_CASE_DUE_SOON``, 0.8)."""
    return _fraction("LINLI_CASE_DUE_SOON", DEFAULT_DUE_SOON_FRACTION)


def step_fraction() -> float:
    """Further overdue time, as a share of the stage limit, between ladder levels 1→2→3.

    ``LINLI_CASE_ESCALATION_STEP`` (default 0.5: with a 3-working-day handle limit, level 2
    comes 1.5 working days after the due time and level 3 another 1.5 days later).
    """
    return _fraction("LINLI_CASE_ESCALATION_STEP", DEFAULT_STEP_FRACTION)


def channels() -> tuple[str, ...]:
    """Notification channels for ladder messages (``LINLI_CASE_ESCALATION_CHANNELS``).

    Default in-app only. Adding ``wecom``/``dingtalk`` posts to the group robots of the
    case's micro-grid and every area above it (``linli.notify.services.robots_for``).
    """
    value = getattr(settings, "LINLI_CASE_ESCALATION_CHANNELS", DEFAULT_CHANNELS)
    return tuple(value)


# --- results ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class EscalationStep:
    """One level written (or, in a dry run, that would be written) for one case."""

    case_id: int
    number: str
    level: int
    stage: str
    overdue_seconds: int
    notified: tuple[int, ...]


@dataclasses.dataclass
class EscalationResult:
    """What one pass did. ``candidates``: cases read (due within the warning horizon);
    ``skipped``: cases left for the next pass because another transaction held them or
    they changed between the read and the lock."""

    now: dt.datetime
    candidates: int = 0
    skipped: int = 0
    steps: list[EscalationStep] = dataclasses.field(default_factory=list)
    dry_run: bool = False

    @property
    def warned(self) -> int:
        return sum(1 for step in self.steps if step.level == 0)

    @property
    def escalated(self) -> int:
        return sum(1 for step in self.steps if step.level > 0)

    @property
    def without_recipients(self) -> int:
        return sum(1 for step in self.steps if not step.notified)

    def summary(self) -> str:
        verb = "将" if self.dry_run else "已"
        return (
            f"检查 {self.candidates} 件临期/超时事件：{verb}发临期提醒 {self.warned} 件，"
            f"{verb}督办 {self.escalated} 级次，无人可通知 {self.without_recipients}，"
            f"留待下次 {self.skipped} 件"
        )


# --- the clock ------------------------------------------------------------------------------


def _span(
    calendar: workcalendar.WorkCalendar, start: dt.datetime, end: dt.datetime, *, working: bool
) -> int:
    """Seconds from ``start`` to ``end`` (≥ 0) as the category's clock counts them."""
    if end <= start:
        return 0
    if working:
        return calendar.working_seconds_between(start, end)
    return int((end - start).total_seconds())


def levels_due(
    *,
    case: Case,
    category: CaseCategory,
    reached: int,
    now: dt.datetime,
    calendar: workcalendar.WorkCalendar,
) -> tuple[list[int], int]:
    """The ladder levels to write now, and the overdue seconds (negative: time left).

    Args:
        case: an open case with a running, unpaused clock (``due_at`` set).
        reached: the highest level already written for this stage (-1: none).

    An overdue case that was never warned gets no warning (its level-1 message says it
    all); one found far overdue (the task was down) gets every missed level at once, so
    each level hears.
    """
    assert case.due_at is not None and case.stage is not None
    limit = category.limit_for(case.stage)
    working = category.working_time
    if now >= case.due_at:
        overdue = _span(calendar, case.due_at, now, working=working)
        step = max(1, round(limit * step_fraction()))
        top = min(MAX_LEVEL, 1 + overdue // step)
        return list(range(max(reached, 0) + 1, top + 1)), overdue
    left = _span(calendar, now, case.due_at, working=working)
    warn_window = limit - round(limit * due_soon_fraction())
    if reached < 0 and left <= warn_window:
        return [0], -left
    return [], -left


def due_filter(
    *, now: dt.datetime, categories: Iterable[CaseCategory], calendar: workcalendar.WorkCalendar
) -> Q:
    """Cases that may need a step now: per category and stage, ``due_at`` at most the
    stage's warning window ahead of ``now`` (working or clock time, as the category counts).

    Cases due later have more than their warning window left. Categories sharing a
    window share one clause, so the filter stays a few dozen indexed ranges.
    """
    fraction = due_soon_fraction()
    horizons: dict[tuple[str, dt.datetime], list[int]] = defaultdict(list)
    windows: dict[tuple[int, bool], dt.datetime] = {}
    for category in categories:
        for stage in STAGE_LABELS:
            limit = category.limit_for(stage)
            window = (limit - round(limit * fraction), category.working_time)
            if window not in windows:
                windows[window] = calendar.due_at(now, window[0], working_time=window[1])
            horizons[(stage, windows[window])].append(category.pk)
    condition = Q(pk__in=[])
    for (stage, horizon), category_ids in horizons.items():
        condition |= Q(
            status__in=STATUSES_OF_STAGE[stage], category_id__in=category_ids, due_at__lte=horizon
        )
    return condition


# --- who hears --------------------------------------------------------------------------------


class Recipients:
    """Active users by ladder role and area path, and members of organisations (the
    ``organization`` of their assignments), loaded with one query per pass."""

    def __init__(self) -> None:
        self.by_role: dict[str, dict[str, list[User]]] = defaultdict(lambda: defaultdict(list))
        self.by_org: dict[int, list[User]] = defaultdict(list)
        rows = Assignment.objects.filter(
            Q(role__in=set(LADDER.values())) | Q(organization__isnull=False),
            user__is_active=True,
        ).select_related("user", "area")
        for row in rows.order_by("user_id"):
            if row.role in LADDER.values():
                self.by_role[row.role][row.area.path].append(row.user)
            if row.organization_id is not None:
                self.by_org[row.organization_id].append(row.user)

    def over(self, path: str, role: str) -> list[User]:
        """Users holding ``role`` on ``path`` or any area above it."""
        holders = self.by_role.get(role, {})
        found: list[User] = []
        prefix = "/"
        for code in path.strip("/").split("/"):
            prefix += code + "/"
            found += holders.get(prefix, [])
        return found

    def handler_side(self, case: Case) -> list[User]:
        """The handler; before anyone accepted a case sent to an organisation, its members."""
        if case.handler is not None:
            return [case.handler] if case.handler.is_active else []
        if case.handler_org_id is not None:
            return list(dict.fromkeys(self.by_org.get(case.handler_org_id, [])))
        return []

    def for_level(self, case: Case, level: int) -> list[User]:
        """The handler side and the level's role holders over the case's area.

        Level 0 goes to the handler side alone when there is one; otherwise (register and
        dispatch stages) to the micro-grid workers.
        """
        handler = self.handler_side(case)
        if level == 0 and handler:
            return handler
        return list(dict.fromkeys(handler + self.over(case.area.path, LADDER[level])))


def _notify_level(*, case: Case, level: int, users: Sequence[User], overdue: int) -> None:
    """Send the ladder message for ``level`` through :func:`linli.notify.services.notify`.

    ``notify`` validates before it writes, so a rejected message (e.g. a wrong
    ``LINLI_CASE_ESCALATION_CHANNELS``) is logged and the escalation stands; sending happens
    after commit, with retries, in linli.notify, and never fails the pass.
    """
    from linli.notify.services import notify

    if not users:
        logger.warning("事件 %s %s：该区域没有%s，无人可通知", case.number, level, LADDER[level])
        return
    due = timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M") if case.due_at else ""
    stage = STAGE_LABELS.get(case.stage or "", "")
    if level == 0:
        title = f"临期提醒：事件 {case.number} {stage}将于 {due} 到期"
    else:
        title = f"{LEVEL_LABELS[level]}：事件 {case.number} {stage}已超时"
    body = f"{case.title}\n{stage}时限 {due}" + (
        f"，已超时 {_duration_text(overdue)}" if overdue >= 0 and level > 0 else ""
    )
    try:
        notify(
            recipients=users,
            title=title[:200],
            body=body,
            link=f"/cases/{case.number}/",
            kind="case.due_soon" if level == 0 else "case.escalated",
            subject=case,
            channels=channels(),
            area=case.area,
        )
    except ValidationError:  # a bad channel setting must not stop the ladder; nothing written
        logger.exception("事件 %s 的督办通知未能写入", case.number)


def _duration_text(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    return f"{hours} 小时 {rest // 60} 分" if hours else f"{rest // 60} 分钟"


# --- the pass ---------------------------------------------------------------------------------


def _candidates(*, due: Q) -> QuerySet[Case]:
    """Open, unpaused cases matching ``due`` whose stage has not reached the top level."""
    at_top = CaseEvent.objects.filter(
        case=OuterRef("pk"),
        action=CaseAction.ESCALATE,
        at__gt=OuterRef("stage_started_at"),
        data__level=MAX_LEVEL,
    )
    return (
        Case.objects.filter(
            status__in=CLOCKED_STATUSES,
            paused_at__isnull=True,
            due_at__isnull=False,
            stage_started_at__isnull=False,
        )
        .filter(due)
        .exclude(Exists(at_top))
        .select_related("area", "handler")
        .order_by("due_at", "pk")
    )


def _reached(
    events: Iterable[tuple[int, dt.datetime, Any]], stages: dict[int, Any]
) -> dict[int, int]:
    """Case id → highest level written since that case's current stage started."""
    reached: dict[int, int] = {}
    for case_id, at, data in events:
        if at > stages[case_id] and isinstance(data, dict):
            level = data.get("level")
            if isinstance(level, int):
                reached[case_id] = max(reached.get(case_id, -1), level)
    return reached


def _ladders(candidates: Sequence[Case]) -> dict[int, int]:
    """Case id → highest level written for its current stage (ids in chunks)."""
    ids = [case.pk for case in candidates]
    events: list[tuple[int, dt.datetime, Any]] = []
    for chunk in range(0, len(ids), ID_CHUNK):
        events += CaseEvent.objects.filter(
            action=CaseAction.ESCALATE, case_id__in=ids[chunk : chunk + ID_CHUNK]
        ).values_list("case_id", "at", "data")
    return _reached(events, {case.pk: case.stage_started_at for case in candidates})


def cases_escalate(*, now: dt.datetime, dry_run: bool = False) -> EscalationResult:
    """One pass: warn cases due soon and move overdue ones up the ladder (module docstring).

    Args:
        now: aware datetime; the pass's "current time" (tests pass a fixed one).
        dry_run: compute what would be written, write nothing.

    Cost: five reads for the whole pass (calendar overrides when stale, categories,
    candidates, their ladder events, assignments) plus, per case that needs a step, one
    short transaction of 2 + 2 per level + 1 queries. Running twice at the same ``now``
    writes nothing the second time.

    Raises:
        TypeError: ``now`` is not an aware datetime.
        ImproperlyConfigured: a ladder setting is not a fraction in (0, 1].
    """
    if not isinstance(now, dt.datetime) or now.utcoffset() is None:
        raise TypeError("now 需要带时区的 datetime")
    result = EscalationResult(now=now, dry_run=dry_run)
    # One short transaction for the reads: a consistent view of candidates and ladders, and
    # on SQLite (IMMEDIATE mode) it waits for a writer instead of failing on its lock.
    with transaction.atomic():
        calendar = workcalendar.current_calendar()
        categories = {c.pk: c for c in CaseCategory.objects.all()}
        due = due_filter(now=now, categories=categories.values(), calendar=calendar)
        candidates = list(_candidates(due=due))
        reached = _ladders(candidates)
        recipients = Recipients() if candidates else None
    result.candidates = len(candidates)
    for case in candidates:
        category = categories[case.category_id]
        levels, _ = levels_due(
            case=case,
            category=category,
            reached=reached.get(case.pk, -1),
            now=now,
            calendar=calendar,
        )
        if not levels:
            continue
        assert recipients is not None
        if dry_run:
            _plan_only(result, case, category, levels, recipients, now, calendar)
        else:
            _escalate_one(result, case, category, recipients, now, calendar)
    return result


def _plan_only(
    result: EscalationResult,
    case: Case,
    category: CaseCategory,
    levels: list[int],
    recipients: Recipients,
    now: dt.datetime,
    calendar: workcalendar.WorkCalendar,
) -> None:
    _, overdue = levels_due(case=case, category=category, reached=-1, now=now, calendar=calendar)
    for level in levels:
        users = recipients.for_level(case, level)
        result.steps.append(
            EscalationStep(
                case.pk, case.number, level, case.stage or "", overdue, tuple(u.pk for u in users)
            )
        )


@transaction.atomic
def _escalate_one(
    result: EscalationResult,
    case: Case,
    category: CaseCategory,
    recipients: Recipients,
    now: dt.datetime,
    calendar: workcalendar.WorkCalendar,
) -> None:
    """Lock the case, re-check it and its ladder under the lock, write the missing levels."""
    locked = (
        Case.objects.select_for_update(skip_locked=True)
        .filter(pk=case.pk)
        .values("status", "stage_started_at", "due_at", "paused_at")
        .first()
    )
    seen = {
        "status": case.status,
        "stage_started_at": case.stage_started_at,
        "due_at": case.due_at,
        "paused_at": case.paused_at,
    }
    if locked != seen:  # held by another transaction, or changed since the read
        result.skipped += 1
        return
    done = CaseEvent.objects.filter(
        case_id=case.pk, action=CaseAction.ESCALATE, at__gt=case.stage_started_at
    ).values_list("case_id", "at", "data")
    reached = _reached(done, {case.pk: case.stage_started_at}).get(case.pk, -1)
    levels, overdue = levels_due(
        case=case, category=category, reached=reached, now=now, calendar=calendar
    )
    for level in levels:
        users = recipients.for_level(case, level)
        _record_step(case, level=level, overdue=overdue, category=category, users=users, now=now)
        _notify_level(case=case, level=level, users=users, overdue=overdue)
        result.steps.append(
            EscalationStep(
                case.pk, case.number, level, case.stage or "", overdue, tuple(u.pk for u in users)
            )
        )
    if levels and levels[-1] > 0:
        Case.objects.filter(pk=case.pk).update(escalation_level=levels[-1])


def _record_step(
    case: Case,
    *,
    level: int,
    overdue: int,
    category: CaseCategory,
    users: Sequence[User],
    now: dt.datetime,
) -> CaseEvent:
    assert case.stage_started_at is not None and case.due_at is not None
    stage = case.stage or ""
    if level == 0:
        note = f"临期提醒：{STAGE_LABELS[stage]}时限将到，剩余 {_duration_text(-overdue)}"
    else:
        role = Role(LADDER[level]).label
        late = _duration_text(overdue)
        note = f"{LEVEL_LABELS[level]}（{role}）：{STAGE_LABELS[stage]}已超时 {late}"
    return event_record(
        case=case,
        action=CaseAction.ESCALATE,
        actor=None,
        at=now,
        from_status=case.status,
        to_status=case.status,
        note=note,
        data={
            "level": level,
            "stage": stage,
            "stage_started_at": case.stage_started_at.isoformat(),
            "due_at": case.due_at.isoformat(),
            "overdue_seconds": overdue,
            "working_time": category.working_time,
            "role": LADDER[level],
            "notified": [user.pk for user in users],
        },
    )
