"""「导出 Excel」 on the staff orders list: the filtered orders of all pages, scoped."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.common.tests.test_exports import table
from linli.orders.models import Order, OrderStatus
from linli.orders.ordering import order_place
from linli.people.models import Role
from linli.testing.factories import staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]


def place(scene, user, code="housekeeping"):  # type: ignore[no-untyped-def]
    return order_place(service_type=scene.service(code), resident=scene.mother, placed_by=user)


def test_export_holds_exactly_the_filtered_orders_of_all_pages(client, scene, assigned) -> None:
    cleaning = [place(scene, assigned) for _ in range(27)]
    repair = place(scene, assigned, code="repair")
    cancelled = place(scene, assigned, code="repair")
    Order.objects.filter(pk=cancelled.pk).update(status=OrderStatus.CANCELLED)
    client.force_login(assigned)
    url = reverse("staff_orders:list")

    html = client.get(url, {"service": scene.service("housekeeping").pk}).content.decode()
    assert f"service={scene.service('housekeeping').pk}&amp;format=xlsx" in html

    rows = table(
        client.get(url, {"service": scene.service("housekeeping").pk, "format": "xlsx"}),
        "订单编号",
    )
    assert rows[0][:4] == ["订单编号", "服务", "渠道", "居民"]
    assert sorted(r[0] for r in rows[1:]) == sorted(o.number for o in cleaning)  # 27 > 25
    assert {r[3] for r in rows[1:]} == {"王秀英"}
    only = table(client.get(url, {"status": "cancelled", "format": "xlsx"}), "订单编号")
    assert [r[0] for r in only[1:]] == [cancelled.number]
    assert repair.number not in str(only)
    assert "13" not in "".join(str(c) for r in rows[1:] for c in r[3:5])  # no phones


def test_outsiders_export_nothing_and_volunteers_are_refused(
    client, scene, assigned, elsewhere, areas
) -> None:
    order = place(scene, assigned)
    url = reverse("staff_orders:list")
    client.force_login(elsewhere)
    rows = table(client.get(url, {"format": "xlsx"}), "订单编号")
    assert order.number not in str(rows) and rows[1:] == []
    client.force_login(staff_user(areas["community"], Role.VOLUNTEER))
    assert client.get(url, {"format": "xlsx"}).status_code == 403
    client.logout()
    assert client.get(url, {"format": "xlsx"}).status_code == 302


def test_bad_filter_gives_the_page_with_400(client, scene, assigned) -> None:
    client.force_login(assigned)
    response = client.get(reverse("staff_orders:list"), {"day": "昨天", "format": "xlsx"})
    assert response.status_code == 400 and "日期格式" in response.content.decode()


def test_export_queries_do_not_grow_with_rows(
    client, scene, assigned, django_assert_max_num_queries
) -> None:
    for _ in range(10):
        place(scene, assigned)
    client.force_login(assigned)
    with django_assert_max_num_queries(6):
        rows = table(client.get(reverse("staff_orders:list"), {"format": "xlsx"}), "订单编号")
    assert len(rows) == 11
