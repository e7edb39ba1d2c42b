"""Due-soon warnings and the overdue ladder (linli.cases.escalation).

Times are explicit Asia/Shanghai moments in 2025 (a year chinesecalendar covers). The
category is 噪音扰民: working time, handle limit 2 working days (14 h), so with the default
settings the warning comes when 2.8 working hours are left and each further level after
7 more working hours (one working day).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection, connections

from linli.cases import services
from linli.cases.escalation import cases_escalate
from linli.cases.models import Case, CaseAction, CaseEvent, CaseStatus
from linli.cases.tasks import ESCALATE_SCHEDULE, ensure_schedules, escalate_cases_task
from linli.cases.tests.lifecycle import Actors, report, walk_to
from linli.cases.tests.lifecycle import fast_passwords as fast_passwords
from linli.notify.models import Notification
from linli.people.models import Role
from linli.places.models import AreaKind
from linli.places.services import area_create
from linli.testing.factories import staff_user

TZ = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


#: Monday 2025-06-09 09:00: reported; registered 09:05; dispatched 09:10 → handle stage due
#: Wednesday 2025-06-11 09:10 (6 h 20 on Monday + 7 h on Tuesday + 40 min).
REPORTED = at(6, 9, 9)


class Ladder:
    """The case's people plus one holder of each ladder role, and decoys elsewhere."""

    def __init__(self, areas: dict, other_areas: dict) -> None:  # type: ignore[type-arg]
        self.actors = Actors(areas)
        self.grid_leader = staff_user(areas["grid"], Role.GRID_LEADER)
        self.community_admin = staff_user(areas["community"], Role.COMMUNITY_ADMIN)
        self.street_admin = staff_user(areas["street"], Role.STREET_ADMIN)
        other_grid = area_create(
            code=areas["community"].code + "002",
            kind=AreaKind.GRID,
            name="测试第二网格",
            parent=areas["community"],
        )
        self.other_grid_leader = staff_user(other_grid, Role.GRID_LEADER)
        self.other_street_admin = staff_user(other_areas["street"], Role.STREET_ADMIN)


@pytest.fixture
def ladder(areas, other_areas, fast_passwords):  # type: ignore[no-untyped-def]
    return Ladder(areas, other_areas)


def dispatched_case(ladder: Ladder, *, now: dt.datetime = REPORTED) -> Case:
    case = report(ladder.actors.areas["micro_grid"], now=now)
    return walk_to(case, CaseStatus.DISPATCHED, ladder.actors, now=now)


def ladder_events(case: Case) -> list[dict]:  # type: ignore[type-arg]
    rows = CaseEvent.objects.filter(case=case, action=CaseAction.ESCALATE).order_by("at", "id")
    return [row.data for row in rows]


def notified(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


pytestmark = pytest.mark.django_db


def test_handle_stage_due_time_is_counted_in_working_time(ladder):
    case = dispatched_case(ladder)

    assert case.due_at == at(6, 11, 9, 10)


def test_due_soon_warns_the_handler_once_when_80_percent_is_used(ladder):
    case = dispatched_case(ladder)

    before = cases_escalate(now=at(6, 10, 15, 10))  # 2 h 50 left: more than 2.8 h
    first = cases_escalate(now=at(6, 10, 15, 30))  # 2 h 40 left
    again = cases_escalate(now=at(6, 10, 17, 0))

    assert before.steps == [] and again.steps == []
    assert [step.level for step in first.steps] == [0]
    assert [data["level"] for data in ladder_events(case)] == [0]
    assert notified("case.due_soon") == {ladder.actors.handler.username}


def test_register_stage_warning_goes_to_the_micro_grid_worker(ladder):
    case = report(ladder.actors.areas["micro_grid"], now=REPORTED)  # register limit 2 h

    cases_escalate(now=at(6, 9, 10, 40))

    assert [data["stage"] for data in ladder_events(case)] == ["register"]
    assert notified("case.due_soon") == {ladder.actors.grid_worker.username}


def test_overdue_climbs_grid_leader_then_community_then_street(ladder):
    case = dispatched_case(ladder)

    cases_escalate(now=at(6, 11, 9, 11))  # just overdue
    level_1 = notified("case.escalated")
    cases_escalate(now=at(6, 12, 9, 0))  # 6 h 50 further: not yet a working day
    cases_escalate(now=at(6, 12, 9, 10))  # one working day over
    cases_escalate(now=at(6, 13, 9, 10))  # two working days over

    levels = [(data["level"], data["role"]) for data in ladder_events(case)]
    assert levels == [(1, "grid_leader"), (2, "community_admin"), (3, "street_admin")]
    handler = ladder.actors.handler.username
    assert level_1 == {ladder.grid_leader.username, handler}
    assert notified("case.escalated") == {
        ladder.grid_leader.username,
        ladder.community_admin.username,
        ladder.street_admin.username,
        handler,
    }
    assert ladder_events(case)[1]["overdue_seconds"] == 7 * 3600
    case.refresh_from_db()
    assert case.escalation_level == 3


def test_another_grids_leader_and_another_streets_admin_are_not_told(ladder):
    dispatched_case(ladder)

    cases_escalate(now=at(6, 20, 9))

    told = notified("case.escalated")
    assert ladder.other_grid_leader.username not in told
    assert ladder.other_street_admin.username not in told
    assert ladder.street_admin.username in told


def test_a_case_found_far_overdue_gets_every_missed_level_at_once(ladder):
    case = dispatched_case(ladder)

    result = cases_escalate(now=at(6, 20, 9))

    assert [step.level for step in result.steps] == [1, 2, 3]
    assert [data["level"] for data in ladder_events(case)] == [1, 2, 3]


def test_running_twice_at_the_same_moment_writes_nothing_the_second_time(ladder):
    case = dispatched_case(ladder)
    now = at(6, 12, 10)

    first = cases_escalate(now=now)
    events = CaseEvent.objects.filter(case=case).count()
    messages = Notification.objects.count()
    second = cases_escalate(now=now)

    assert [step.level for step in first.steps] == [1, 2]
    assert second.steps == []
    assert CaseEvent.objects.filter(case=case).count() == events
    assert Notification.objects.count() == messages


def test_a_paused_clock_is_never_escalated(ladder):
    case = walk_to(
        report(ladder.actors.areas["micro_grid"], now=REPORTED),
        CaseStatus.IN_PROGRESS,
        ladder.actors,
        now=REPORTED,
    )
    services.case_pause(
        case=case, actor=ladder.actors.handler, reason="等待居民在家", now=at(6, 10, 9)
    )

    result = cases_escalate(now=at(6, 30, 9))

    assert result.steps == [] and ladder_events(case) == []


def test_a_suspended_case_is_never_escalated(ladder):
    case = dispatched_case(ladder)
    services.case_suspend(
        case=case,
        actor=ladder.actors.dispatcher,
        reason="等待规划审批",
        review_on=dt.date(2025, 8, 1),
        now=at(6, 10, 9),
    )

    result = cases_escalate(now=at(6, 30, 9))

    assert result.steps == [] and ladder_events(case) == []


def test_a_new_stage_starts_the_ladder_again(ladder):
    case = report(ladder.actors.areas["micro_grid"], now=REPORTED)
    cases_escalate(now=at(6, 9, 11, 30))  # register limit (2 h) passed at 11:00
    services.case_register(case=case, actor=ladder.actors.dispatcher, now=at(6, 9, 11, 40))

    # dispatch limit 2 working hours: 11:40-12:00, then 14:00-15:40 (lunch does not count)
    warned = cases_escalate(now=at(6, 9, 15, 30))
    result = cases_escalate(now=at(6, 9, 15, 50))

    assert [(d["stage"], d["level"]) for d in ladder_events(case)] == [
        ("register", 1),
        ("dispatch", 0),
        ("dispatch", 1),
    ]
    assert [step.level for step in warned.steps] == [0]
    assert [step.level for step in result.steps] == [1]


def test_national_day_holiday_stops_the_clock_and_the_makeup_saturday_counts(ladder):
    # Dispatched Tue 2025-09-30 10:00: 5.5 h that day, Oct 1-8 off, 7 h on Thu Oct 9,
    # 1.5 h on Fri Oct 10 → due 10:00; one working day later is Sat Oct 11 (调休上班).
    case = dispatched_case(ladder, now=at(9, 30, 9, 50))
    assert case.due_at == at(10, 10, 10)

    holiday = cases_escalate(now=at(10, 5, 12))
    warned = cases_escalate(now=at(10, 9, 16, 30))
    overdue = cases_escalate(now=at(10, 10, 10, 1))
    makeup_day = cases_escalate(now=at(10, 11, 10, 5))

    assert holiday.steps == []
    assert [s.level for s in warned.steps] == [0]
    assert [s.level for s in overdue.steps] == [1]
    assert [s.level for s in makeup_day.steps] == [2]


def test_clock_time_categories_escalate_at_night(ladder):
    case = report(ladder.actors.areas["micro_grid"], name="电梯故障", now=at(6, 14, 22))  # Sat

    result = cases_escalate(now=at(6, 14, 22, 31))  # register limit 30 min, clock time

    assert [step.level for step in result.steps] == [1]
    assert ladder_events(case)[0]["working_time"] is False


def test_dry_run_lists_steps_and_writes_nothing(ladder):
    case = dispatched_case(ladder)

    result = cases_escalate(now=at(6, 20, 9), dry_run=True)

    assert [step.level for step in result.steps] == [1, 2, 3]
    assert ladder_events(case) == [] and Notification.objects.count() == 0


def test_a_naive_now_is_refused():
    with pytest.raises(TypeError):
        cases_escalate(now=dt.datetime(2025, 6, 9, 9))


def test_command_runs_a_pass_and_rejects_a_bad_time(ladder):
    case = dispatched_case(ladder)

    call_command("escalate_cases", "--dry-run", "--at", "2025-06-20T09:00+08:00")
    assert ladder_events(case) == []
    call_command("escalate_cases", "--at", "2025-06-20T09:00+08:00")
    assert [data["level"] for data in ladder_events(case)] == [1, 2, 3]
    with pytest.raises(CommandError):
        call_command("escalate_cases", "--at", "next tuesday")


def test_schedule_is_created_once_and_the_task_runs(ladder):
    ensure_schedules()
    schedule = ensure_schedules()

    from django_q.models import Schedule

    assert Schedule.objects.filter(name=ESCALATE_SCHEDULE).count() == 1
    assert schedule.func == "linli.cases.tasks.escalate_cases_task" and schedule.minutes == 1
    assert "检查" in escalate_cases_task()


def test_a_pass_that_read_before_another_pass_wrote_does_not_repeat_it(ladder, monkeypatch):
    # Given pass A has read the candidates, and pass B escalates everything before A writes
    from linli.cases import escalation

    case = dispatched_case(ladder)
    now = at(6, 20, 9)
    real = escalation._escalate_one
    interleaved: list[escalation.EscalationResult] = []

    def b_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not interleaved:
            monkeypatch.setattr(escalation, "_escalate_one", real)  # B runs unpatched
            interleaved.append(cases_escalate(now=now))
        return real(*args, **kwargs)

    monkeypatch.setattr(escalation, "_escalate_one", b_first)
    # When A goes on to write
    late = cases_escalate(now=now)
    # Then A writes nothing: it re-read the ladder under the row lock
    assert [step.level for step in interleaved[0].steps] == [1, 2, 3]
    assert late.steps == []
    assert [data["level"] for data in ladder_events(case)] == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_do_not_double_escalate(areas, other_areas, fast_passwords):
    """Real threads, own connections. PostgreSQL: ``skip_locked`` and the re-check under the
    lock. SQLite's in-memory shared-cache test database says "table is locked" at once where
    a file database would wait (busy timeout): the pass is retried then, as it is safe to
    run again (see linli/cases/tests/test_concurrency.py)."""
    from linli.cases.tests.lifecycle import ensure_categories

    ensure_categories()
    ladder = Ladder(areas, other_areas)
    cases = [dispatched_case(ladder) for _ in range(4)]
    now = at(6, 20, 9)
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(200):
                try:
                    cases_escalate(now=now)
                    return
                except OperationalError as exc:
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    time.sleep(0.05)
        except Exception as exc:  # reported, so a database error fails the test
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    for case in cases:
        assert [data["level"] for data in ladder_events(case)] == [1, 2, 3]
    assert Notification.objects.filter(user=ladder.street_admin).count() == 4


def test_a_level_nobody_holds_is_still_recorded(areas, other_areas, fast_passwords):
    # Given no street admin over the case's street
    ladder = Ladder(areas, other_areas)
    ladder.street_admin.assignments.all().delete()
    case = dispatched_case(ladder)

    result = cases_escalate(now=at(6, 20, 9))

    level_3 = ladder_events(case)[2]
    assert level_3["level"] == 3 and level_3["notified"] == [ladder.actors.handler.pk]
    assert [step.level for step in result.steps] == [1, 2, 3]


def test_an_inactive_grid_leader_is_not_notified(ladder):
    ladder.grid_leader.is_active = False
    ladder.grid_leader.save()
    dispatched_case(ladder)

    cases_escalate(now=at(6, 11, 9, 11))

    assert notified("case.escalated") == {ladder.actors.handler.username}


def test_the_benchmark_builds_its_cases_and_reports_the_figures(db):
    """``benchmarks/escalation.py`` at 400 cases, in the test database (kept runnable)."""
    import importlib.util
    import io
    from pathlib import Path

    from django.conf import settings
    from django.core.management.base import OutputWrapper

    path = Path(settings.BASE_DIR) / "benchmarks" / "escalation.py"
    spec = importlib.util.spec_from_file_location("bench_escalation", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    setattr(module, "CASES", 400)  # noqa: B010

    figures = module._measure(OutputWrapper(io.StringIO()))

    assert figures["cases"] == 400
    assert figures["warned"] > 0 and figures["escalated_levels"] > 0
    assert figures["catch_up_cases_acted_on"] > 300
    assert set(figures) >= {"pass_seconds", "baseline_seconds", "ratio"}


def test_a_case_sent_to_an_organisation_warns_its_members_until_one_accepts(ladder):
    a = ladder.actors
    case = walk_to(report(a.areas["micro_grid"], now=REPORTED), CaseStatus.REGISTERED, a)
    services.case_dispatch(case=case, actor=a.dispatcher, handler_org=a.org, now=at(6, 9, 9, 10))

    cases_escalate(now=at(6, 10, 15, 30))

    assert notified("case.due_soon") == {a.handler.username, a.colleague.username}
