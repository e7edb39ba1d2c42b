"""One service per state transition of a case (GB/T 30428 closed loop), plus the clock.

Every transition below: keyword-only; ``case`` may be a stale instance (only its pk is
used: the row is re-read under ``select_for_update``) and the fresh, changed case is
returned; ``now`` defaults to the current time. Errors, in this order:
  IllegalTransition (409) — the current state does not allow the action (nothing written);
  NotAllowed (403)        — the actor may not act (matrix in linli.cases.permissions);
  CaseInputError (400)    — a missing reason, bad date, bad photo… (``.field`` names it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from linli.cases import permissions, sla
from linli.cases.errors import CaseInputError, IllegalTransition, NotAllowed
from linli.cases.events import event_record
from linli.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseAction,
    CaseCategory,
    CaseEvent,
    CaseParticipant,
    CaseStatus,
    ParticipantRole,
)
from linli.cases.notices import notice_on_commit
from linli.cases.photos import photo_store, photos_check
from linli.cases.text import Uploads, clean_text
from linli.orgs.models import Organization

MAX_NOTE = 4000
MAX_REASON = 1000
#: Statuses in which a case can still be worked on (not closed, rejected or merged).
LIVE_STATUSES = [*OPEN_STATUSES, CaseStatus.SUSPENDED]


def reopen_days() -> int:
    """N of "a case reopened within N days counts against the closing unit".

    Setting ``LINLI_CASE_REOPEN_DAYS`` (default 15 days).
    """
    return int(getattr(settings, "LINLI_CASE_REOPEN_DAYS", 15))


def locked_case(case: Case) -> Case:
    """The case row, locked until the end of the transaction."""
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the outer joins
    # that select_related makes for handler/handler_org; only the case row needs the lock.
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("category", "area", "handler_org", "handler")
        .get(pk=case.pk)
    )


def transition_check(
    case: Case, *, action: str, allowed: Iterable[str], actor: User, key: str
) -> None:
    """Raise :class:`IllegalTransition` or :class:`NotAllowed` (see the section comment)."""
    if case.status not in set(allowed):
        raise IllegalTransition(
            f"事件 {case.number} 当前状态为“{CaseStatus(case.status).label}”，"
            f"不能{CaseAction(action).label}"
        )
    if not permissions.may(actor, key, case):
        raise NotAllowed(f"您无权对事件 {case.number} 执行“{CaseAction(action).label}”")


def text_field(
    value: str, *, field: str, label: str, required: bool, max_length: int = MAX_NOTE
) -> str:
    return clean_text(value, field=field, label=label, max_length=max_length, required=required)


def transition_write(
    case: Case,
    *,
    to_status: str,
    action: str,
    actor: User,
    now: dt.datetime,
    note: str = "",
    data: dict[str, Any] | None = None,
    photos: Uploads = None,
    witness: User | None = None,
    witness_name: str = "",
) -> CaseEvent:
    """Write the new status (restarting the stage clock if the stage changes), save, record.

    ``photos`` are checked (:func:`photos_check`) before any write, so a bad photo leaves
    the case untouched.
    """
    checked = photos_check(list(photos or []))
    from_status = case.status
    old_stage = case.stage
    case.status = to_status
    if case.stage != old_stage:
        sla.stage_start(case=case, now=now)
    case.save()
    event = event_record(
        case=case,
        action=action,
        actor=actor,
        at=now,
        from_status=from_status,
        to_status=to_status,
        note=note,
        witness=witness,
        witness_name=witness_name,
        data=data,
    )
    for photo in checked:
        photo_store(case=case, photo=photo, uploaded_by=actor, event=event)
    notice_on_commit(case=case, action=action)
    return event


@transaction.atomic
def case_register(
    *,
    case: Case,
    actor: User,
    note: str = "",
    category: CaseCategory | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """立案: reported → registered; optionally re-classify (``category``, must be active).

    Precondition: status reported; actor a coordinator over the case's area.
    """
    case = locked_case(case)
    transition_check(
        case, action=CaseAction.REGISTER, allowed=[CaseStatus.REPORTED], actor=actor, key="register"
    )
    note = text_field(note, field="note", label="说明", required=False)
    data: dict[str, Any] = {}
    if category is not None and category.pk != case.category_id:
        if not category.active:
            raise CaseInputError(f"类别“{category.name}”已停用", field="category")
        data["category_from"] = case.category.code
        data["category_to"] = category.code
        case.category = category
        case.priority = category.priority
    transition_write(
        case,
        to_status=CaseStatus.REGISTERED,
        action=CaseAction.REGISTER,
        actor=actor,
        now=now or timezone.now(),
        note=note,
        data=data,
    )
    return case


@transaction.atomic
def case_reject(*, case: Case, actor: User, reason: str, now: dt.datetime | None = None) -> Case:
    """不予立案: reported → rejected (final). ``reason`` is required (shown to the reporter)."""
    case = locked_case(case)
    transition_check(
        case, action=CaseAction.REJECT, allowed=[CaseStatus.REPORTED], actor=actor, key="reject"
    )
    reason = text_field(
        reason, field="reason", label="不予立案理由", required=True, max_length=MAX_REASON
    )
    transition_write(
        case,
        to_status=CaseStatus.REJECTED,
        action=CaseAction.REJECT,
        actor=actor,
        now=now or timezone.now(),
        note=reason,
    )
    return case


def _participant_ensure(
    case: Case, *, role: str, user: User | None, organization: Organization | None, added_by: User
) -> None:
    """Add a participant row unless an identical one exists (no event: the caller records)."""
    exists = case.participants.filter(role=role, user=user, organization=organization).exists()
    if not exists:
        CaseParticipant.objects.create(
            case=case, role=role, user=user, organization=organization, added_by=added_by
        )


@transaction.atomic
def case_dispatch(
    *,
    case: Case,
    actor: User,
    handler: User | None = None,
    handler_org: Organization | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Case:
    """派遣: registered/returned → dispatched, to a handler user and/or organisation.

    The handler (and the organisation) become ``handler`` participants, so they see the
    case even outside their assigned areas. Starts the handle-stage clock.

    Raises:
        CaseInputError: neither ``handler`` nor ``handler_org``, or an inactive handler.
    """
    case = locked_case(case)
    transition_check(
        case,
        action=CaseAction.DISPATCH,
        allowed=[CaseStatus.REGISTERED, CaseStatus.RETURNED],
        actor=actor,
        key="dispatch",
    )
    if handler is None and handler_org is None:
        raise CaseInputError("请选择处置人或处置单位", field="handler")
    if handler is not None and not handler.is_active:
        raise CaseInputError("处置人账号已停用", field="handler")
    note = text_field(note, field="note", label="派遣说明", required=False)
    case.handler, case.handler_org = handler, handler_org
    if handler is not None or handler_org is not None:
        _participant_ensure(
            case,
            role=ParticipantRole.HANDLER,
            user=handler,
            organization=handler_org,
            added_by=actor,
        )
    data = {
        "handler_id": handler.pk if handler else None,
        "handler_label": (handler.get_full_name() or handler.get_username()) if handler else "",
        "handler_org_id": handler_org.pk if handler_org else None,
        "handler_org_name": handler_org.name if handler_org else "",
    }
    transition_write(
        case,
        to_status=CaseStatus.DISPATCHED,
        action=CaseAction.DISPATCH,
        actor=actor,
        now=now or timezone.now(),
        note=note,
        data=data,
    )
    return case


@transaction.atomic
def case_accept(*, case: Case, actor: User, note: str = "", now: dt.datetime | None = None) -> Case:
    """接单: dispatched → in_progress, by the handler or a member of the handler organisation.

    When dispatched to an organisation only, the member who accepts becomes ``handler``.
    Two members accepting at once: the second waits on the row lock, then finds the case
    in progress and gets :class:`IllegalTransition`.
    """
    case = locked_case(case)
    transition_check(
        case, action=CaseAction.ACCEPT, allowed=[CaseStatus.DISPATCHED], actor=actor, key="accept"
    )
    note = text_field(note, field="note", label="说明", required=False)
    if case.handler_id is None:
        case.handler = actor
    transition_write(
        case,
        to_status=CaseStatus.IN_PROGRESS,
        action=CaseAction.ACCEPT,
        actor=actor,
        now=now or timezone.now(),
        note=note,
    )
    return case


@transaction.atomic
def case_return(*, case: Case, actor: User, reason: str, now: dt.datetime | None = None) -> Case:
    """退回: dispatched/in_progress → returned (not ours, wrong unit…); ``reason`` required.

    Clears the handler so the dispatcher re-dispatches (the event keeps who returned it).
    """
    case = locked_case(case)
    transition_check(
        case,
        action=CaseAction.RETURN,
        allowed=[CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS],
        actor=actor,
        key="return",
    )
    reason = text_field(
        reason, field="reason", label="退回理由", required=True, max_length=MAX_REASON
    )
    data = {"handler_id": case.handler_id, "handler_org_id": case.handler_org_id}
    case.handler, case.handler_org = None, None
    transition_write(
        case,
        to_status=CaseStatus.RETURNED,
        action=CaseAction.RETURN,
        actor=actor,
        now=now or timezone.now(),
        note=reason,
        data=data,
    )
    return case


@transaction.atomic
def case_handle(
    *, case: Case, actor: User, note: str, photos: Uploads = None, now: dt.datetime | None = None
) -> Case:
    """处置反馈: in_progress → handled, with the handler's feedback and photos (≤ 9).

    Raises: CaseInputError for an empty note or a bad photo (see :mod:`linli.cases.photos`).
    """
    case = locked_case(case)
    transition_check(
        case, action=CaseAction.HANDLE, allowed=[CaseStatus.IN_PROGRESS], actor=actor, key="handle"
    )
    note = text_field(note, field="note", label="处置反馈", required=True)
    transition_write(
        case,
        to_status=CaseStatus.HANDLED,
        action=CaseAction.HANDLE,
        actor=actor,
        now=now or timezone.now(),
        note=note,
        photos=photos,
    )
    return case


@transaction.atomic
def case_verify(
    *,
    case: Case,
    actor: User,
    passed: bool = True,
    note: str = "",
    photos: Uploads = None,
    now: dt.datetime | None = None,
) -> Case:
    """核查: handled → verified; a failed check (``passed=False``) → dispatched again.

    A failed check needs ``note`` (the reason) and restarts the handle clock with the same
    handler. Whoever reported the handling (反馈) may not verify it: GB/T 30428 separates
    handling from checking (NotAllowed).
    """
    case = locked_case(case)
    action = CaseAction.VERIFY if passed else CaseAction.VERIFY_FAIL
    transition_check(case, action=action, allowed=[CaseStatus.HANDLED], actor=actor, key="verify")
    if _last_handler(case) == actor and not actor.is_superuser:
        raise NotAllowed(f"事件 {case.number} 由您处置，核查须由其他人员进行")
    note = text_field(note, field="note", label="核查不通过的理由", required=not passed)
    to_status = CaseStatus.VERIFIED if passed else CaseStatus.DISPATCHED
    transition_write(
        case,
        to_status=to_status,
        action=action,
        actor=actor,
        now=now or timezone.now(),
        note=note,
        photos=photos,
    )
    return case


def _last_handler(case: Case) -> User | None:
    event = case.events.filter(action=CaseAction.HANDLE).order_by("-at", "-id").first()
    return event.actor if event is not None and event.actor is not None else case.handler


@transaction.atomic
def case_close(*, case: Case, actor: User, note: str = "", now: dt.datetime | None = None) -> Case:
    """结案: verified → closed; records the closing unit (who handled it) for KPIs.

    ``closing_user`` is the actor of the last handle event (else the handler),
    ``closing_org`` the handler organisation.
    """
    case = locked_case(case)
    transition_check(
        case, action=CaseAction.CLOSE, allowed=[CaseStatus.VERIFIED], actor=actor, key="close"
    )
    note = text_field(note, field="note", label="结案说明", required=False)
    now = now or timezone.now()
    case.closed_at = now
    case.closing_user = _last_handler(case)
    case.closing_org = case.handler_org
    data = {"closing_user_id": case.closing_user_id, "closing_org_id": case.closing_org_id}
    transition_write(
        case,
        to_status=CaseStatus.CLOSED,
        action=CaseAction.CLOSE,
        actor=actor,
        now=now,
        note=note,
        data=data,
    )
    return case


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
