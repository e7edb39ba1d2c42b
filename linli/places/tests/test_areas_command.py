"""``linli areas``: the area tree with resident counts rolled up by path."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from linli.places.models import Area
from linli.testing.factories import BuildingFactory, HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def run_areas(**options: object) -> str:
    out = StringIO()
    call_command("areas", stdout=out, **options)
    return out.getvalue()


def table(**options: object) -> list[list[str]]:
    """Output rows split into cells: header first; the rule and the footer dropped."""
    lines = run_areas(**options).splitlines()
    return [line.split() for line in [lines[0], *lines[2:-1]]]


def residents_in(micro_grid: Area, count: int) -> None:
    building = BuildingFactory(micro_grid=micro_grid)
    for _ in range(count):
        ResidentFactory(household=HouseholdFactory(building=building))


def test_each_node_counts_the_residents_below_it(areas, other_areas) -> None:
    residents_in(areas["micro_grid"], 3)
    residents_in(other_areas["micro_grid"], 2)
    rows = table()
    assert rows[0] == ["代码", "层级", "名称", "上级代码", "居民数"]
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["640100"][1:] == ["市", "银川市", "5"]  # the city holds both streets
    assert by_code["640106"][-1] == "5"
    assert by_code["640106001"][-1] == "3"
    assert by_code["640106002"][-1] == "2"
    assert by_code["64010600100100101"][1:] == ["微网格", "测试微网格1", "640106001001001", "3"]
    assert by_code["640106002001001"][1:] == ["网格", "别处第一网格", "640106002001", "2"]


def test_rows_follow_the_tree_indented_by_depth(areas) -> None:
    lines = run_areas().splitlines()[2:-1]
    codes = [line.strip().split()[0] for line in lines]
    assert codes == ["640100", "640106", "640106001", "640106001001", "640106001001001",
                     "64010600100100101"]  # fmt: skip
    indents = [len(line) - len(line.lstrip()) for line in lines]
    assert indents == [0, 2, 4, 6, 8, 10]


def test_an_area_without_residents_shows_zero(areas) -> None:
    assert all(row[-1] == "0" for row in table()[1:])


def test_kind_lists_only_that_kind(areas, other_areas) -> None:
    residents_in(areas["micro_grid"], 1)
    rows = table(kind="micro_grid")[1:]
    assert [row[0] for row in rows] == ["64010600100100101", "64010600200100101"]
    assert [row[-1] for row in rows] == ["1", "0"]
    assert run_areas(kind="micro_grid").splitlines()[-1] == "共 2 个区域。"


def test_counts_take_a_fixed_number_of_queries(areas, django_assert_num_queries) -> None:
    residents_in(areas["micro_grid"], 4)
    with django_assert_num_queries(2):
        run_areas()


def test_unknown_kind_is_refused_in_chinese(areas) -> None:
    with pytest.raises(CommandError, match="未知的区域层级") as err:
        run_areas(kind="village")
    assert err.value.returncode == 2


def test_empty_database_says_there_is_nothing() -> None:
    assert run_areas().strip() == "没有符合条件的区域。"
