"""Rules of the transition services beyond the state matrix: who may act, reasons,
clocks, reopening, rating, merging and text hygiene."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.cases import services
from linli.cases.errors import CaseInputError, IllegalTransition, NotAllowed
from linli.cases.models import Case, CaseAction, CaseEvent, CaseStatus
from linli.cases.selectors import cases_visible_to
from linli.cases.tests.lifecycle import (  # noqa: F401
    MONDAY,
    Actors,
    category,
    fast_passwords,
    report,
    walk_to,
)
from linli.common import workcalendar
from linli.people.models import Role
from linli.testing.factories import UserFactory, staff_user

pytestmark = [pytest.mark.usefixtures("fast_passwords"), pytest.mark.django_db]
S = CaseStatus


@pytest.fixture
def actors(areas):  # type: ignore[no-untyped-def]
    return Actors(areas)


def test_only_coordinators_over_the_area_register(areas, actors, elsewhere):  # type: ignore[no-untyped-def]
    case = report(areas["micro_grid"])
    for outsider in (elsewhere, actors.grid_worker, actors.handler):
        with pytest.raises(NotAllowed, match="无权"):
            services.case_register(case=case, actor=outsider)
    assert Case.objects.get(pk=case.pk).status == S.REPORTED
    assert case.events.count() == 1


def test_anyone_in_the_handler_org_may_accept_but_nobody_else(areas, actors):  # type: ignore[no-untyped-def]
    case = walk_to(report(areas["micro_grid"]), S.REGISTERED, actors)
    case = services.case_dispatch(case=case, actor=actors.dispatcher, handler_org=actors.org)
    with pytest.raises(NotAllowed):
        services.case_accept(case=case, actor=actors.grid_worker)
    case = services.case_accept(case=case, actor=actors.colleague)
    assert case.status == S.IN_PROGRESS and case.handler == actors.colleague


def test_dispatch_needs_a_target_and_reasons_are_required(areas, actors):  # type: ignore[no-untyped-def]
    case = walk_to(report(areas["micro_grid"]), S.REGISTERED, actors)
    with pytest.raises(CaseInputError) as err:
        services.case_dispatch(case=case, actor=actors.dispatcher)
    assert err.value.field == "handler"
    with pytest.raises(CaseInputError, match="挂账理由不能为空"):
        services.case_suspend(
            case=case, actor=actors.dispatcher, reason=" ", review_on=dt.date(2026, 7, 1)
        )
    with pytest.raises(CaseInputError, match="复核日期须晚于今天") as err:
        services.case_suspend(
            case=case, actor=actors.dispatcher, reason="待规划", review_on=dt.date(2020, 1, 1)
        )
    assert err.value.field == "review_on"
    assert Case.objects.get(pk=case.pk).status == S.REGISTERED


def test_a_handler_stage_is_timed_from_dispatch_in_working_time(areas, actors):  # type: ignore[no-untyped-def]
    case = walk_to(report(areas["micro_grid"]), S.DISPATCHED, actors)
    dispatched = case.events.get(action=CaseAction.DISPATCH).at
    assert case.stage_started_at == dispatched
    assert case.due_at == workcalendar.due_at(
        dispatched, case.category.handle_limit, working_time=True
    )


def test_pausing_moves_the_due_time_by_the_paused_working_time(areas, actors):  # type: ignore[no-untyped-def]
    case = walk_to(report(areas["micro_grid"]), S.IN_PROGRESS, actors)
    due = case.due_at
    paused = MONDAY + dt.timedelta(hours=1)  # 10:00 Monday
    resumed = paused + dt.timedelta(days=1)  # 10:00 Tuesday: one working day later
    case = services.case_pause(case=case, actor=actors.handler, reason="等居民回家", now=paused)
    with pytest.raises(IllegalTransition, match="已暂停计时"):
        services.case_pause(case=case, actor=actors.handler, reason="再等", now=paused)
    case = services.case_unpause(case=case, actor=actors.handler, now=resumed)
    assert case.paused_seconds == 7 * 3600 and case.paused_at is None
    assert case.due_at == workcalendar.add_working_time(due, 7 * 3600)
    event = case.events.get(action=CaseAction.UNPAUSE)
    assert event.data["paused_seconds"] == 7 * 3600


def test_return_then_redispatch_to_another_unit(areas, actors):  # type: ignore[no-untyped-def]
    case = walk_to(report(areas["micro_grid"]), S.RETURNED, actors)
    assert case.handler is None and case.handler_org is None
    other = staff_user(areas["community"], Role.EMERGENCY_TEAM)
    case = services.case_dispatch(case=case, actor=actors.dispatcher, handler=other)
    assert case.status == S.DISPATCHED and case.handler == other
    assert case in cases_visible_to(other)


def test_failed_verification_goes_back_to_the_same_handler(areas, actors):  # type: ignore[no-untyped-def]
    case = walk_to(report(areas["micro_grid"]), S.HANDLED, actors)
    with pytest.raises(CaseInputError, match="核查不通过的理由"):
        services.case_verify(case=case, actor=actors.grid_worker, passed=False)
    case = services.case_verify(case=case, actor=actors.grid_worker, passed=False, note="垃圾仍在")
    assert case.status == S.DISPATCHED and case.handler == actors.handler
    assert case.events.last().action == CaseAction.VERIFY_FAIL  # type: ignore[union-attr]


def test_closing_credits_the_unit_that_handled_it(areas, actors):  # type: ignore[no-untyped-def]
    case = walk_to(report(areas["micro_grid"]), S.CLOSED, actors)
    assert case.closing_user == actors.handler and case.closing_org == actors.org


@pytest.mark.parametrize(
    ("days", "counted"), [(3, True), (15, True), (16, False)], ids=["3d", "15d", "16d"]
)
def test_reopen_within_n_days_counts_against_the_closing_unit(  # type: ignore[no-untyped-def]
    areas, actors, days, counted
):
    case = walk_to(report(areas["micro_grid"]), S.CLOSED, actors)
    later = case.closed_at + dt.timedelta(days=days)
    case = services.case_reopen(case=case, actor=actors.dispatcher, reason="又漏水了", now=later)
    assert case.status == S.DISPATCHED and case.reopen_count == 1
    assert case.handler == actors.handler  # back to the same unit
    event = case.events.get(action=CaseAction.REOPEN)
    assert event.data["counts_against_closing_unit"] is counted
    assert event.data["within_days"] == 15
    assert event.data["closing_org_id"] == actors.org.pk


def test_reopen_window_is_a_setting(areas, actors, settings):  # type: ignore[no-untyped-def]
    settings.LINLI_CASE_REOPEN_DAYS = 30
    case = walk_to(report(areas["micro_grid"]), S.CLOSED, actors)
    later = case.closed_at + dt.timedelta(days=20)
    case = services.case_reopen(case=case, actor=actors.dispatcher, reason="复发", now=later)
    assert case.events.get(action=CaseAction.REOPEN).data["counts_against_closing_unit"]


def test_the_reporter_rates_once_between_1_and_5(areas, actors):  # type: ignore[no-untyped-def]
    resident = UserFactory.create(is_staff=False)
    case = walk_to(report(areas["micro_grid"], reporter=resident), S.CLOSED, actors)
    for bad in (0, 6, "很好", None):
        with pytest.raises(CaseInputError, match="1 到 5 分"):
            services.case_rate(case=case, actor=resident, satisfaction=bad)  # type: ignore[arg-type]
    stranger = UserFactory.create(is_staff=False)
    with pytest.raises(NotAllowed):
        services.case_rate(case=case, actor=stranger, satisfaction=5)
    case = services.case_rate(case=case, actor=resident, satisfaction="4", comment="还算及时")
    assert (case.satisfaction, case.satisfaction_note) == (4, "还算及时")
    with pytest.raises(IllegalTransition, match="已评价"):
        services.case_rate(case=case, actor=resident, satisfaction=5)


def test_merge_keeps_both_timelines_and_shares_participants(areas, actors):  # type: ignore[no-untyped-def]
    reporter = UserFactory.create(is_staff=False)
    target = walk_to(report(areas["micro_grid"]), S.DISPATCHED, actors)
    duplicate = report(areas["micro_grid"], reporter=reporter, description="同一处噪音")
    services.case_add_participant(
        case=duplicate, actor=actors.dispatcher, role="family", name="赵先生"
    )
    dup_events = list(duplicate.events.values_list("pk", flat=True))
    duplicate = services.case_merge(case=duplicate, into=target, actor=actors.dispatcher)
    assert duplicate.status == S.MERGED and duplicate.merged_into == target
    # both timelines kept, each with its own merge line
    assert set(dup_events) < set(duplicate.events.values_list("pk", flat=True))
    assert duplicate.events.last().data == {"into": target.number}  # type: ignore[union-attr]
    assert target.events.last().data == {"merged": duplicate.number}  # type: ignore[union-attr]
    assert Case.objects.get(pk=target.pk).status == S.DISPATCHED
    # the duplicate's people take part in the target (its reporter now sees it)
    assert target.participants.filter(name="赵先生").exists()
    assert target in cases_visible_to(reporter)
    with pytest.raises(IllegalTransition):
        services.case_merge(case=target, into=target, actor=actors.dispatcher)


def test_html_in_text_is_stripped_before_storing(areas):  # type: ignore[no-untyped-def]
    case = report(
        areas["micro_grid"],
        description='<script>alert("x")</script><b>楼道</b>堆满杂物<img src=x onerror=alert(1)>',
    )
    assert "<" not in case.description and "script" not in case.description
    assert case.description.endswith("楼道堆满杂物")
    assert "<" not in CaseEvent.objects.get(case=case).note


def test_over_long_description_is_refused_and_nothing_written(areas):  # type: ignore[no-untyped-def]
    with pytest.raises(CaseInputError, match="不能超过 4000") as err:
        report(areas["micro_grid"], description="漏" * 4001)
    assert err.value.field == "description"
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


@pytest.mark.parametrize("status", [S.DISPATCHED, S.IN_PROGRESS, S.REGISTERED])
def test_notes_and_pauses_do_not_restart_the_stage_clock(areas, actors, status):  # type: ignore[no-untyped-def]
    case = walk_to(report(areas["micro_grid"]), status, actors)
    started, due = case.stage_started_at, case.due_at
    later = MONDAY + dt.timedelta(hours=3)
    services.case_add_note(case=case, actor=actors.dispatcher, note="电话联系", now=later)
    services.case_record_witnessed_action(
        case=case, actor=actors.dispatcher, action_text="现场查看", witness_name="楼长", now=later
    )
    case = services.case_pause(case=case, actor=actors.dispatcher, reason="等居民", now=later)
    assert (case.stage_started_at, case.due_at, case.paused_at) == (started, due, later)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.paused_at == later and fresh.due_at == due


def test_accepting_keeps_the_handle_clock_running_from_dispatch(areas, actors):  # type: ignore[no-untyped-def]
    case = walk_to(report(areas["micro_grid"]), S.DISPATCHED, actors)
    due = case.due_at
    case = services.case_accept(case=case, actor=actors.handler, now=MONDAY + dt.timedelta(hours=5))
    assert case.due_at == due  # dispatched and in progress are one stage ("handle")


@pytest.mark.django_db
def test_handler_may_not_verify_their_own_handling(areas) -> None:
    """GB/T 30428: the unit that handled a case does not check it."""
    from linli.cases.errors import NotAllowed
    from linli.cases.models import CaseStatus
    from linli.cases.tests.lifecycle import Actors, report, walk_to
    from linli.people.models import Assignment, Role

    actors = Actors(areas)
    case = walk_to(report(areas["micro_grid"]), CaseStatus.HANDLED, actors)
    handler = actors.handler
    Assignment.objects.create(user=handler, area=areas["micro_grid"], role=Role.GRID_WORKER)
    with pytest.raises(NotAllowed, match="核查须由其他人员"):
        services.case_verify(case=case, actor=handler)
    case.refresh_from_db()
    assert case.status == CaseStatus.HANDLED
