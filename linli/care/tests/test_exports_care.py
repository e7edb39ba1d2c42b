"""「导出 Excel」 on the care alert list: the filtered alerts of all pages, no phones."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli.care.models import AlertStatus, CareAlert
from linli.common.tests.test_exports import table
from linli.people.models import Role
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    care_alert,
    staff_user,
)

pytestmark = pytest.mark.django_db


def _elder(micro_grid, name: str):  # type: ignore[no-untyped-def]
    home = HouseholdFactory(building=BuildingFactory(micro_grid=micro_grid))
    return ResidentFactory(household=home, name=name, phone="13912340001", living_alone=True)


def test_export_holds_the_filtered_alerts(client, areas, other_areas, assigned) -> None:
    elder = _elder(areas["micro_grid"], "李奶奶")
    now = timezone.now()
    sos = [
        care_alert(elder, "sos", raised_at=now - dt.timedelta(minutes=n), source_key=f"s{n}")
        for n in range(27)
    ]
    silence = care_alert(elder, "silence", source_key="quiet")
    closed = care_alert(elder, "sos", source_key="done")
    CareAlert.objects.filter(pk=closed.pk).update(status=AlertStatus.RESOLVED)
    far = care_alert(_elder(other_areas["micro_grid"], "外区老人"), "sos", source_key="far")
    client.force_login(assigned)

    html = client.get("/care/alerts/", {"kind": "sos"}).content.decode()
    assert "kind=sos&amp;format=xlsx" in html

    rows = table(client.get("/care/alerts/", {"kind": "sos", "format": "xlsx"}), "类型")
    assert rows[0][:3] == ["类型", "居民", "住址"]
    assert len(rows) - 1 == len(sos)  # open only (the default), all pages of 25
    assert {r[1] for r in rows[1:]} == {"李奶奶"}
    assert "13912340001" not in str(rows) and "外区老人" not in str(rows)
    every = table(client.get("/care/alerts/", {"status": "all", "format": "xlsx"}), "类型")
    assert len(every) - 1 == len(sos) + 2  # + silence + the resolved one
    assert far.pk and silence.pk


def test_who_may_not_see_the_list_may_not_export_it(client, areas, elsewhere) -> None:
    care_alert(_elder(areas["micro_grid"], "李奶奶"), "sos")
    client.force_login(elsewhere)
    rows = table(client.get("/care/alerts/", {"format": "xlsx"}), "类型")
    assert rows[1:] == []
    client.force_login(staff_user(areas["community"], Role.PROVIDER_STAFF))
    assert client.get("/care/alerts/", {"format": "xlsx"}).status_code == 403
    client.logout()
    assert client.get("/care/alerts/", {"format": "xlsx"}).status_code == 302


def test_export_queries_do_not_grow_with_rows(
    client, areas, assigned, django_assert_max_num_queries
) -> None:
    elder = _elder(areas["micro_grid"], "李奶奶")
    for n in range(8):
        care_alert(elder, "sos", source_key=f"k{n}")
    client.force_login(assigned)
    with django_assert_max_num_queries(6):
        rows = table(client.get("/care/alerts/", {"format": "xlsx"}), "类型")
    assert len(rows) == 9


def test_watched_residents_export_holds_every_page_without_phones(
    client, areas, other_areas, assigned, django_assert_max_num_queries
) -> None:
    from linli.care.views import WATCH_PAGE_SIZE
    from linli.testing.factories import WatchFactory

    home = HouseholdFactory(building=BuildingFactory(micro_grid=areas["micro_grid"]))
    for n in range(WATCH_PAGE_SIZE + 2):
        WatchFactory(
            resident=ResidentFactory(household=home, name=f"老人{n}", phone=f"1391234{n:04d}")
        )
    WatchFactory(resident=_elder(other_areas["micro_grid"], "外区老人"))
    client.force_login(assigned)
    assert "format=xlsx" in client.get("/care/").content.decode()

    with django_assert_max_num_queries(14):
        rows = table(client.get("/care/", {"format": "xlsx"}), "姓名")

    assert rows[0][:4] == ["姓名", "住址", "年龄", "关注原因"]
    assert len(rows) - 1 == WATCH_PAGE_SIZE + 2
    assert "外区老人" not in str(rows) and "1391234" not in str(rows)
    assert {r[4] for r in rows[1:]} == {"未安装智能设备，无法自动提醒"}
    client.force_login(staff_user(areas["community"], Role.PROVIDER_STAFF))
    assert client.get("/care/", {"format": "xlsx"}).status_code == 403
