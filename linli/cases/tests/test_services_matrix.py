"""Every transition from every state: legal ones move the case, illegal ones raise
IllegalTransition (with the current state named in Chinese) and write nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from linli.cases import services
from linli.cases.errors import IllegalTransition
from linli.cases.models import Case, CaseEvent, CaseParticipant, CasePhoto, CaseStatus
from linli.cases.tests.lifecycle import MONDAY, Actors, fast_passwords, report, walk_to  # noqa: F401

pytestmark = pytest.mark.usefixtures("fast_passwords")

S = CaseStatus
LATER = MONDAY + dt.timedelta(hours=2)
REVIEW = dt.date(2026, 7, 31)

#: action → (the service call, states it is legal from, expected status afterwards or None
#: for "unchanged"/"previous").
Call = Callable[[Case, Actors], Any]
ACTIONS: dict[str, tuple[Call, set[str], str | None]] = {
    "register": (
        lambda c, a: services.case_register(case=c, actor=a.dispatcher, now=LATER),
        {S.REPORTED},
        S.REGISTERED,
    ),
    "reject": (
        lambda c, a: services.case_reject(case=c, actor=a.dispatcher, reason="不属实", now=LATER),
        {S.REPORTED},
        S.REJECTED,
    ),
    "dispatch": (
        lambda c, a: services.case_dispatch(
            case=c, actor=a.dispatcher, handler=a.handler, now=LATER
        ),
        {S.REGISTERED, S.RETURNED},
        S.DISPATCHED,
    ),
    "accept": (
        lambda c, a: services.case_accept(case=c, actor=a.handler, now=LATER),
        {S.DISPATCHED},
        S.IN_PROGRESS,
    ),
    "return": (
        lambda c, a: services.case_return(case=c, actor=a.handler, reason="非本单位", now=LATER),
        {S.DISPATCHED, S.IN_PROGRESS},
        S.RETURNED,
    ),
    "handle": (
        lambda c, a: services.case_handle(case=c, actor=a.handler, note="已处理", now=LATER),
        {S.IN_PROGRESS},
        S.HANDLED,
    ),
    "verify": (
        lambda c, a: services.case_verify(case=c, actor=a.grid_worker, now=LATER),
        {S.HANDLED},
        S.VERIFIED,
    ),
    "verify_fail": (
        lambda c, a: services.case_verify(
            case=c, actor=a.grid_worker, passed=False, note="未处理干净", now=LATER
        ),
        {S.HANDLED},
        S.DISPATCHED,
    ),
    "close": (
        lambda c, a: services.case_close(case=c, actor=a.dispatcher, now=LATER),
        {S.VERIFIED},
        S.CLOSED,
    ),
    "suspend": (
        lambda c, a: services.case_suspend(
            case=c, actor=a.dispatcher, reason="待规划", review_on=REVIEW, now=LATER
        ),
        {S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS},
        S.SUSPENDED,
    ),
    "resume": (
        lambda c, a: services.case_resume(case=c, actor=a.dispatcher, now=LATER),
        {S.SUSPENDED},
        None,
    ),
    "reopen": (
        lambda c, a: services.case_reopen(case=c, actor=a.dispatcher, reason="又漏了", now=LATER),
        {S.CLOSED},
        S.DISPATCHED,
    ),
    "rate": (
        lambda c, a: services.case_rate(case=c, actor=a.dispatcher, satisfaction=5, now=LATER),
        {S.CLOSED},
        None,
    ),
    "pause": (
        lambda c, a: services.case_pause(
            case=c, actor=a.dispatcher, reason="等居民回家", now=LATER
        ),
        {S.REPORTED, S.REGISTERED, S.RETURNED, S.DISPATCHED, S.IN_PROGRESS, S.HANDLED},
        None,
    ),
    "note": (
        lambda c, a: services.case_add_note(case=c, actor=a.dispatcher, note="电话回访", now=LATER),
        set(S) - {S.MERGED},
        None,
    ),
    "participant": (
        lambda c, a: services.case_add_participant(
            case=c, actor=a.dispatcher, role="family", name="王女士", now=LATER
        ),
        set(S) - {S.CLOSED, S.REJECTED, S.MERGED},
        None,
    ),
    "witnessed": (
        lambda c, a: services.case_record_witnessed_action(
            case=c, actor=a.dispatcher, action_text="开门", witness_name="民警 李某", now=LATER
        ),
        set(S) - {S.CLOSED, S.REJECTED, S.MERGED},
        None,
    ),
}


def _snapshot(case: Case) -> tuple[Any, ...]:
    fresh = Case.objects.get(pk=case.pk)
    return (
        fresh.status,
        fresh.due_at,
        fresh.handler_id,
        fresh.paused_at,
        fresh.reopen_count,
        fresh.satisfaction,
        CaseEvent.objects.count(),
        CaseParticipant.objects.count(),
        CasePhoto.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_transition_from_every_state(areas, status, action):  # type: ignore[no-untyped-def]
    # Given a case walked to ``status``
    actors = Actors(areas)
    case = walk_to(report(areas["micro_grid"]), status, actors)
    call, legal_from, expected = ACTIONS[action]
    before = _snapshot(case)
    if status in legal_from:
        # When the action is legal, it happens and leaves a timeline row
        call(case, actors)
        after = Case.objects.get(pk=case.pk)
        if expected is not None:
            assert after.status == expected
        elif action == "resume":
            assert after.status == S.REGISTERED  # the state it was suspended from
        else:
            assert after.status == status
        assert CaseEvent.objects.count() > before[6]
    else:
        # When it is not, it is refused with the current state named, and nothing is written
        with pytest.raises(IllegalTransition) as err:
            call(case, actors)
        assert S(status).label in str(err.value)
        assert _snapshot(case) == before
