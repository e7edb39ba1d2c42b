"""Case KPIs (linli.cases.kpis) on a hand-built June 2025 with known answers.

Category 噪音扰民: working time; limits register 2 h, dispatch 2 h, handle 14 h (2 working
days), verify 7 h. Working hours 08:30–12:00 and 14:00–17:30. Each case below is walked
through the real transition services at explicit Asia/Shanghai times:

=====  ===========================================================  ======================
case   what happens                                                  handle stage
=====  ===========================================================  ======================
A      every step 5 min apart from Mon 06-09 09:00; rated 5          600 s, on time
B      accepted Mon 09:15, paused Tue 09:00 → Thu 09:00 (awaiting     31,800 s, on time
       the resident), handled Thu 11:00; rated 3                     (late without pauses)
C      handled Fri 06-13 09:10; closed; reopened Mon 06-16 (3 days:  100,800 s late, then
       counts against the unit); handled again; rated 4              1,800 s on time
D      closed Mon 06-09 09:30; reopened Mon 06-30 (21 days: does     600 s, on time; the
       not count); still open and overdue on 07-10                   second one is open
E      reported Mon 09:00, registered 14:30 (3.5 working h: late);   —
       never dispatched, overdue on 07-10
=====  ===========================================================  ======================
"""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from linli.cases import services
from linli.cases.errors import CaseInputError, NotAllowed
from linli.cases.kpis import case_kpis, kpis_for
from linli.cases.models import Case, CaseStatus
from linli.cases.tests.lifecycle import Actors, report, walk_to
from linli.cases.tests.lifecycle import fast_passwords as fast_passwords
from linli.people.models import Role
from linli.places.models import AreaKind
from linli.places.services import area_create
from linli.testing.factories import staff_user

TZ = ZoneInfo("Asia/Shanghai")
SINCE, UNTIL = dt.date(2025, 6, 1), dt.date(2025, 6, 30)


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=TZ)


NOW = at(7, 10, 10)
MON = at(6, 9, 9)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def finish(case: Case, a: Actors, *, handled: dt.datetime) -> Case:
    case = services.case_handle(case=case, actor=a.handler, note="已处理", now=handled)
    case = services.case_verify(
        case=case, actor=a.grid_worker, now=handled + dt.timedelta(minutes=10)
    )
    return services.case_close(
        case=case, actor=a.dispatcher, now=handled + dt.timedelta(minutes=20)
    )


def june(areas: dict, a: Actors) -> dict[str, Case]:  # type: ignore[type-arg]
    micro = areas["micro_grid"]
    case_a = walk_to(report(micro, now=MON), CaseStatus.CLOSED, a, now=MON)
    services.case_rate(case=case_a, actor=a.grid_worker, satisfaction=5, now=at(6, 9, 10))

    case_b = walk_to(report(micro, now=MON), CaseStatus.IN_PROGRESS, a, now=MON)
    services.case_pause(case=case_b, actor=a.handler, reason="等待居民在家", now=at(6, 10, 9))
    services.case_unpause(case=case_b, actor=a.handler, now=at(6, 12, 9))
    case_b = finish(case_b, a, handled=at(6, 12, 11))
    services.case_rate(case=case_b, actor=a.grid_worker, satisfaction=3, now=at(6, 12, 12))

    case_c = walk_to(report(micro, now=MON), CaseStatus.IN_PROGRESS, a, now=MON)
    case_c = finish(case_c, a, handled=at(6, 13, 9, 10))
    case_c = services.case_reopen(
        case=case_c, actor=a.dispatcher, reason="又漏了", now=at(6, 16, 10)
    )
    case_c = services.case_accept(case=case_c, actor=a.handler, now=at(6, 16, 10, 10))
    case_c = finish(case_c, a, handled=at(6, 16, 10, 30))
    services.case_rate(case=case_c, actor=a.grid_worker, satisfaction=4, now=at(6, 16, 11))

    case_d = walk_to(report(micro, now=MON), CaseStatus.CLOSED, a, now=MON)
    services.case_reopen(case=case_d, actor=a.dispatcher, reason="复发", now=at(6, 30, 9))

    case_e = report(micro, now=MON)
    services.case_register(case=case_e, actor=a.dispatcher, now=at(6, 9, 14, 30))
    return {"A": case_a, "B": case_b, "C": case_c, "D": case_d, "E": case_e}


@pytest.fixture
def actors(areas):  # type: ignore[no-untyped-def]
    return Actors(areas)


@pytest.fixture
def superuser():  # type: ignore[no-untyped-def]
    from linli.cases.tests.lifecycle import superuser

    return superuser()


def test_area_kpis_match_the_hand_built_month(areas, actors, superuser):
    june(areas, actors)

    table = case_kpis(user=superuser, by="community", since=SINCE, until=UNTIL, now=NOW)

    [row] = table.rows
    assert row.key == areas["community"].code and row.label == "测试社区"
    rates = {stage: (t.on_time, t.total) for stage, t in row.stages.items()}
    assert rates == {
        "register": (4, 5),
        "dispatch": (4, 4),
        "handle": (4, 5),
        "verify": (5, 5),
    }
    assert sorted(row.handle_seconds) == [600, 600, 1800, 31_800, 100_800]
    assert row.median_handle_seconds == 1800
    assert row.satisfaction_mean == 4.0
    assert row.satisfaction_good_share == pytest.approx(2 / 3)
    assert (row.closed, row.reopened, row.reopen_rate) == (5, 1, 0.2)
    assert row.overdue_now == 2
    assert table.total.stages["handle"].rate == 0.8


def test_pause_time_is_not_counted_against_the_stage(areas, actors, superuser):
    cases = june(areas, actors)
    only_b = Case.objects.filter(pk=cases["B"].pk)

    table = kpis_for(only_b, by="community", since=SINCE, until=UNTIL, now=NOW)

    assert table.rows[0].handle_seconds == [31_800]
    assert table.rows[0].stages["handle"].on_time == 1


def test_unit_kpis_charge_the_handling_unit_with_handle_stages_and_reopens(
    areas, actors, superuser
):
    june(areas, actors)

    table = case_kpis(user=superuser, by="handler_org", since=SINCE, until=UNTIL, now=NOW)

    by_label = {row.label: row for row in table.rows}
    org = by_label["测试物业公司"]
    assert (org.stages["handle"].on_time, org.stages["handle"].total) == (4, 5)
    assert org.stages["register"].total == 0
    assert (org.closed, org.reopened) == (5, 1)
    assert sorted(org.ratings) == [3, 4, 5]
    assert org.overdue_now == 1  # D, reopened to the same unit
    assert by_label["未指定"].overdue_now == 1  # E, never dispatched


def test_period_counts_stages_by_the_day_they_ended(areas, actors, superuser):
    june(areas, actors)

    early = case_kpis(
        user=superuser, by="community", since=SINCE, until=dt.date(2025, 6, 12), now=NOW
    )

    row = early.rows[0]
    # C's late handle stage ended on 06-13; C's and D's reopenings fall later
    assert (row.stages["handle"].on_time, row.stages["handle"].total) == (3, 3)
    assert (row.closed, row.reopened) == (3, 0)


def test_a_grid_leaders_kpis_cover_only_their_grid(areas, actors):
    june(areas, actors)
    other_grid = area_create(
        code=areas["community"].code + "002",
        kind=AreaKind.GRID,
        name="测试第二网格",
        parent=areas["community"],
    )
    other_micro = area_create(
        code=other_grid.code + "01",
        kind=AreaKind.MICRO_GRID,
        name="二网格微网格",
        parent=other_grid,
    )
    there = walk_to(report(other_micro, now=MON), CaseStatus.HANDLED, actors, now=MON)
    there = services.case_verify(case=there, actor=actors.dispatcher, now=at(6, 9, 10))
    services.case_close(case=there, actor=actors.dispatcher, now=at(6, 9, 11))
    leader = staff_user(areas["grid"], Role.GRID_LEADER)
    admin = staff_user(areas["community"], Role.COMMUNITY_ADMIN)

    mine = case_kpis(user=leader, by="grid", since=SINCE, until=UNTIL, now=NOW)
    everyone = case_kpis(user=admin, by="grid", since=SINCE, until=UNTIL, now=NOW)

    assert [row.key for row in mine.rows] == [areas["grid"].code]
    assert mine.total.closed == 5
    assert {row.key for row in everyone.rows} == {areas["grid"].code, other_grid.code}
    assert everyone.total.closed == 6
    with pytest.raises(NotAllowed):
        case_kpis(user=leader, by="micro_grid", since=SINCE, until=UNTIL, now=NOW, area=other_grid)


def test_someone_elsewhere_and_an_anonymous_visitor_see_no_figures(areas, actors, elsewhere):
    from django.contrib.auth.models import AnonymousUser

    june(areas, actors)

    for user in (elsewhere, AnonymousUser()):
        table = case_kpis(user=user, by="community", since=SINCE, until=UNTIL, now=NOW)
        assert table.rows == [] and table.total.closed == 0


@pytest.mark.parametrize(
    ("by", "since", "until", "field"),
    [
        ("street", SINCE, UNTIL, "by"),
        ("community", UNTIL, SINCE, "until"),
        ("community", "2025-06-01", UNTIL, "since"),
        ("community", dt.date(2024, 1, 1), UNTIL, "since"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(areas, by, since, until, field):
    from linli.cases.tests.lifecycle import superuser

    with pytest.raises(CaseInputError) as error:
        case_kpis(user=superuser(), by=by, since=since, until=until, now=NOW)
    assert error.value.field == field


def test_command_prints_the_table_for_a_person_to_check(areas, actors):
    june(areas, actors)
    out = io.StringIO()

    call_command(
        "case_kpis", "--area", areas["street"].code, "--since", "2025-06-01",
        "--until", "2025-06-30", stdout=out,
    )  # fmt: skip

    text = out.getvalue()
    assert "测试社区（640106001001）" in text
    assert "80% (4/5)" in text and "20% (1)" in text and "4.00 (3)" in text
    with pytest.raises(CommandError):
        call_command("case_kpis", "--area", areas["street"].code, "--since", "June")
    with pytest.raises(CommandError):
        call_command("case_kpis", "--area", "999", "--since", "2025-06-01")
    leader = staff_user(areas["grid"], Role.GRID_LEADER)
    with pytest.raises(CommandError, match="无权"):
        call_command(
            "case_kpis", "--area", areas["street"].code, "--since", "2025-06-01",
            "--user", leader.username,
        )  # fmt: skip


def test_kpis_take_a_fixed_number_of_queries(
    areas, actors, superuser, django_assert_max_num_queries
):
    june(areas, actors)
    superuser.refresh_from_db()

    with django_assert_max_num_queries(8):
        table = case_kpis(user=superuser, by="grid", since=SINCE, until=UNTIL, now=NOW)

    assert table.total.closed == 5
