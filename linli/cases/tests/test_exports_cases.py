"""「导出 Excel」 on the dispatcher board: the filtered rows of all pages, scoped like the page."""

from __future__ import annotations

import pytest

from linli.cases.models import Case, CaseStatus
from linli.cases.tests.pages import building, report
from linli.common.tests.test_exports import table
from linli.people.models import Role
from linli.testing.factories import OrganizationFactory, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatcher(areas):  # type: ignore[no-untyped-def]
    return staff_user(areas["community"], Role.DISPATCHER)


def test_board_page_links_the_export_with_its_filters(client, dispatcher, areas) -> None:
    building(areas["micro_grid"])
    report(areas["micro_grid"])
    client.force_login(dispatcher)
    html = client.get("/cases/board/", {"status": "open", "page": "1"}).content.decode()
    assert 'href="?status=open&amp;format=xlsx"' in html
    assert "导出 Excel" in html


def test_export_holds_exactly_the_filtered_cases_of_all_pages(
    client, dispatcher, areas, other_areas
) -> None:
    building(areas["micro_grid"])
    company = OrganizationFactory.create(name="红色物业", area=areas["community"])
    cases = [report(areas["micro_grid"], description=f"第{n}件漏水") for n in range(30)]
    registered = cases[::3]
    Case.objects.filter(pk__in=[c.pk for c in registered]).update(
        status=CaseStatus.DISPATCHED, handler_org=company
    )
    building(other_areas["micro_grid"])
    theirs = report(other_areas["micro_grid"])
    client.force_login(dispatcher)

    response = client.get("/cases/board/", {"status": "dispatched", "format": "xlsx"})

    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    rows = table(response, "事件编号")
    assert rows[0][:5] == ["事件编号", "标题", "类别", "渠道", "状态"]
    numbers = sorted(r[0] for r in rows[1:])
    assert numbers == sorted(c.number for c in registered)
    assert theirs.number not in numbers
    assert {r[4] for r in rows[1:]} == {"已派遣"}
    assert {r[9] for r in rows[1:]} == {"红色物业"}

    default = table(client.get("/cases/board/", {"format": "xlsx"}), "事件编号")
    assert len(default) - 1 == 30 - len(registered)  # all pages, not only 25


def test_outsider_exports_nothing_and_anonymous_is_sent_to_log_in(client, elsewhere, areas) -> None:
    building(areas["micro_grid"])
    report(areas["micro_grid"])
    assert client.get("/cases/board/", {"format": "xlsx"}).status_code == 302
    client.force_login(elsewhere)
    rows = table(client.get("/cases/board/", {"format": "xlsx"}), "事件编号")
    assert rows[1:] == []


def test_bad_filter_shows_the_page_instead_of_a_file(client, dispatcher, areas) -> None:
    client.force_login(dispatcher)
    response = client.get("/cases/board/", {"status": "nonsense", "format": "xlsx"})
    assert response["Content-Type"].startswith("text/html")


def test_export_queries_do_not_grow_with_rows(
    client, dispatcher, areas, django_assert_max_num_queries
) -> None:
    building(areas["micro_grid"])
    for n in range(12):
        report(areas["micro_grid"], description=f"第{n}件")
    client.force_login(dispatcher)
    with django_assert_max_num_queries(8):
        rows = table(client.get("/cases/board/", {"format": "xlsx"}), "事件编号")
    assert len(rows) == 13
