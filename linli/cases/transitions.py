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
    if last_handler(case) == actor and not actor.is_superuser:
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


def last_handler(case: Case) -> User | None:
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
    case.closing_user = last_handler(case)
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
