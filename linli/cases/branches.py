"""Side branches of the closed loop: suspend/resume (挂账), merge (合并), reopen (重新打开),
rating (满意度) and pausing the clock (awaiting the resident).

Same conventions and error order as :mod:`linli.cases.transitions`, whose helpers
(``locked_case``, ``transition_check``, ``transition_write``) these services share.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from linli.cases import sla
from linli.cases.errors import CaseInputError, IllegalTransition
from linli.cases.events import event_record
from linli.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseAction,
    CaseParticipant,
    CaseStatus,
    ParticipantRole,
)
from linli.cases.transitions import (
    LIVE_STATUSES,
    MAX_REASON,
    locked_case,
    reopen_days,
    text_field,
    transition_check,
    transition_write,
)

SUSPENDABLE = [CaseStatus.REGISTERED, CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS]


@transaction.atomic
def case_suspend(
    *,
    case: Case,
    actor: User,
    reason: str,
    review_on: dt.date | None,
    now: dt.datetime | None = None,
) -> Case:
    """挂账: registered/dispatched/in_progress → suspended, with reason and review date.

    The stage clock stops (no due time while suspended).

    Raises: CaseInputError if the reason is empty or ``review_on`` missing or not after today.
    """
    case = locked_case(case)
    transition_check(
        case, action=CaseAction.SUSPEND, allowed=SUSPENDABLE, actor=actor, key="suspend"
    )
    reason = text_field(
        reason, field="reason", label="挂账理由", required=True, max_length=MAX_REASON
    )
    now = now or timezone.now()
    if not isinstance(review_on, dt.date) or isinstance(review_on, dt.datetime):
        raise CaseInputError("请填写挂账复核日期", field="review_on")
    if review_on <= timezone.localdate(now):
        raise CaseInputError("复核日期须晚于今天", field="review_on")
    case.status_before_suspend = case.status
    case.suspend_review_on = review_on
    transition_write(
        case,
        to_status=CaseStatus.SUSPENDED,
        action=CaseAction.SUSPEND,
        actor=actor,
        now=now,
        note=reason,
        data={"review_on": review_on.isoformat()},
    )
    return case


@transaction.atomic
def case_resume(*, case: Case, actor: User, note: str = "", now: dt.datetime | None = None) -> Case:
    """恢复办理: suspended → the state before suspension, with a fresh stage clock."""
    case = locked_case(case)
    transition_check(
        case, action=CaseAction.RESUME, allowed=[CaseStatus.SUSPENDED], actor=actor, key="resume"
    )
    note = text_field(note, field="note", label="说明", required=False)
    to_status = case.status_before_suspend or CaseStatus.REGISTERED
    case.status_before_suspend = ""
    case.suspend_review_on = None
    transition_write(
        case,
        to_status=to_status,
        action=CaseAction.RESUME,
        actor=actor,
        now=now or timezone.now(),
        note=note,
    )
    return case


@transaction.atomic
def case_merge(
    *, case: Case, into: Case, actor: User, note: str = "", now: dt.datetime | None = None
) -> Case:
    """合并: a duplicate ``case`` → merged into the open case ``into``; returns the duplicate.

    Both timelines are kept: a merge event on each. The duplicate's participants (and its
    reporter, as an "other" participant) are added to the target so they see it; its photos
    are read through :func:`linli.cases.duplicates.photos_with_merged`. Rows are locked in
    primary-key order so two opposite merges cannot deadlock.

    Raises: IllegalTransition if either case is closed/rejected/merged, or they are the same
    case; NotAllowed unless a coordinator over both.
    """
    first, second = sorted([case.pk, into.pk])
    locked = {row.pk: row for row in (locked_case(Case(pk=first)), locked_case(Case(pk=second)))}
    case, into = locked[case.pk], locked[into.pk]
    if case.pk == into.pk:
        raise IllegalTransition("不能把事件合并到它自己")
    transition_check(case, action=CaseAction.MERGE, allowed=LIVE_STATUSES, actor=actor, key="merge")
    transition_check(into, action=CaseAction.MERGE, allowed=LIVE_STATUSES, actor=actor, key="merge")
    note = text_field(note, field="note", label="说明", required=False)
    now = now or timezone.now()
    for row in case.participants.all():
        if not into.participants.filter(
            role=row.role, user=row.user_id, organization=row.organization_id, name=row.name
        ).exists():
            row.pk = None
            row.case = into
            row._state.adding = True
            row.save()
    if (
        case.reporter_id is not None
        and not into.participants.filter(user=case.reporter_id).exists()
    ):
        CaseParticipant.objects.create(
            case=into,
            role=ParticipantRole.OTHER,
            user=case.reporter,
            name="重复事件上报人",
            added_by=actor,
        )
    case.merged_into = into
    transition_write(
        case,
        to_status=CaseStatus.MERGED,
        action=CaseAction.MERGE,
        actor=actor,
        now=now,
        note=note,
        data={"into": into.number},
    )
    event_record(
        case=into,
        action=CaseAction.MERGE,
        actor=actor,
        at=now,
        from_status=into.status,
        to_status=into.status,
        note=note or f"合并重复事件 {case.number}",
        data={"merged": case.number},
    )
    return case


@transaction.atomic
def case_reopen(*, case: Case, actor: User, reason: str, now: dt.datetime | None = None) -> Case:
    """重新打开: closed → dispatched (same handler); ``reason`` required.

    Increments ``reopen_count``. The event data records whether the reopening counts
    against the closing unit — closed no more than :func:`reopen_days` days ago — with
    the unit (``closing_org_id`` / ``closing_user_id``), so KPIs count it from events.
    The rating of the earlier outcome stays on its event; the case can be rated again.
    """
    case = locked_case(case)
    transition_check(
        case, action=CaseAction.REOPEN, allowed=[CaseStatus.CLOSED], actor=actor, key="reopen"
    )
    reason = text_field(
        reason, field="reason", label="重新打开理由", required=True, max_length=MAX_REASON
    )
    now = now or timezone.now()
    limit = reopen_days()
    since = (now - case.closed_at) if case.closed_at else dt.timedelta(0)
    data = {
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "days_since_close": round(since.total_seconds() / 86400, 2),
        "within_days": limit,
        "counts_against_closing_unit": since <= dt.timedelta(days=limit),
        "closing_org_id": case.closing_org_id,
        "closing_user_id": case.closing_user_id,
    }
    case.reopen_count += 1
    case.closed_at = None
    case.satisfaction = None
    case.satisfaction_note = ""
    transition_write(
        case,
        to_status=CaseStatus.DISPATCHED,
        action=CaseAction.REOPEN,
        actor=actor,
        now=now,
        note=reason,
        data=data,
    )
    return case


def _satisfaction(value: object) -> int:
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise CaseInputError("满意度请填 1 到 5 分", field="satisfaction")
    return score


@transaction.atomic
def case_rate(
    *,
    case: Case,
    actor: User,
    satisfaction: int | str,
    comment: str = "",
    now: dt.datetime | None = None,
) -> Case:
    """满意度评价: a closed case rated 1–5 (+ comment), once per closing.

    By the reporter, or area staff recording a resident's rating (phone follow-up).

    Raises: IllegalTransition if not closed or already rated; CaseInputError for a score
    outside 1–5 or a comment over 500 characters.
    """
    case = locked_case(case)
    transition_check(
        case, action=CaseAction.RATE, allowed=[CaseStatus.CLOSED], actor=actor, key="rate"
    )
    if case.satisfaction is not None:
        raise IllegalTransition(f"事件 {case.number} 已评价（{case.satisfaction} 分）")
    score = _satisfaction(satisfaction)
    comment = text_field(comment, field="comment", label="评价", required=False, max_length=500)
    case.satisfaction, case.satisfaction_note = score, comment
    transition_write(
        case,
        to_status=case.status,
        action=CaseAction.RATE,
        actor=actor,
        now=now or timezone.now(),
        note=comment,
        data={"satisfaction": score},
    )
    return case


#: Statuses whose stage clock may be paused (a running clock).
CLOCKED = [s for s in OPEN_STATUSES if s != CaseStatus.VERIFIED]


@transaction.atomic
def case_pause(*, case: Case, actor: User, reason: str, now: dt.datetime | None = None) -> Case:
    """暂停计时 (awaiting the resident): the stage clock stops until :func:`case_unpause`.

    Raises: IllegalTransition if there is no running clock or it is already paused.
    """
    case = locked_case(case)
    transition_check(case, action=CaseAction.PAUSE, allowed=CLOCKED, actor=actor, key="pause")
    if case.paused_at is not None:
        raise IllegalTransition(f"事件 {case.number} 已暂停计时")
    reason = text_field(
        reason, field="reason", label="暂停理由", required=True, max_length=MAX_REASON
    )
    now = now or timezone.now()
    sla.clock_pause(case=case, now=now)
    transition_write(
        case, to_status=case.status, action=CaseAction.PAUSE, actor=actor, now=now, note=reason
    )
    return case


@transaction.atomic
def case_unpause(
    *, case: Case, actor: User, note: str = "", now: dt.datetime | None = None
) -> Case:
    """恢复计时: the paused clock runs again and the due time moves by the paused time.

    The event data keeps the interval (``paused_from``, ``paused_to``, ``paused_seconds``
    counted as the category's clock counts).
    """
    case = locked_case(case)
    transition_check(case, action=CaseAction.UNPAUSE, allowed=CLOCKED, actor=actor, key="pause")
    if case.paused_at is None:
        raise IllegalTransition(f"事件 {case.number} 未暂停计时")
    note = text_field(note, field="note", label="说明", required=False)
    now = now or timezone.now()
    started = case.paused_at
    added = sla.clock_resume(case=case, now=now)
    data = {
        "paused_from": started.isoformat(),
        "paused_to": now.isoformat(),
        "paused_seconds": added,
    }
    transition_write(
        case,
        to_status=case.status,
        action=CaseAction.UNPAUSE,
        actor=actor,
        now=now,
        note=note,
        data=data,
    )
    return case
