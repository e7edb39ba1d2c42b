"""Back office for orders: read-only, scoped by the order's area; pickup fields on services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.orders.dispatching import dispatch
from linli.orders.models import Order, OrderStatus, Shift
from linli.orders.ordering import order_place
from linli.people.models import Role
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def here(scene, community_admin):  # type: ignore[no-untyped-def]
    order = order_place(
        service_type=scene.service("repair"), resident=scene.mother, placed_by=community_admin
    )
    return dispatch(order)  # nobody on shift today: unfulfilled, with its events


@pytest.fixture
def there(other_areas):  # type: ignore[no-untyped-def]
    from linli.orders.models import ServiceType

    admin = staff_user(other_areas["community"], Role.COMMUNITY_ADMIN)
    building = BuildingFactory(micro_grid=other_areas["micro_grid"], lat=38.5, lng=106.2)
    resident = ResidentFactory(household=HouseholdFactory(building=building), name="外区居民")
    return order_place(
        service_type=ServiceType.objects.get(code="repair"), resident=resident, placed_by=admin
    )


def test_community_admin_lists_and_opens_orders_of_their_area_only(
    client, community_admin, here, there
) -> None:
    client.force_login(community_admin)
    listing = client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert here.number in listing and there.number not in listing
    page = client.get(reverse("admin:orders_order_change", args=[here.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "无人接单" in html and "下单" in html  # the event trail inline
    assert client.get(reverse("admin:orders_order_change", args=[there.pk])).status_code == 404


def test_order_pages_are_read_only_even_for_the_admin(client, community_admin, here) -> None:
    client.force_login(community_admin)
    assert client.get(reverse("admin:orders_order_add")).status_code == 403
    html = client.get(reverse("admin:orders_order_change", args=[here.pk])).content.decode()
    assert 'name="status"' not in html and "_save" not in html
    response = client.post(
        reverse("admin:orders_order_change", args=[here.pk]), {"status": OrderStatus.COMPLETED}
    )
    assert response.status_code == 403
    assert Order.objects.get(pk=here.pk).status == OrderStatus.UNFULFILLED
    delete = client.post(reverse("admin:orders_order_delete", args=[here.pk]), {"post": "yes"})
    assert delete.status_code == 403 and Order.objects.filter(pk=here.pk).exists()


def test_search_by_number_and_filter_by_status(client, community_admin, scene, here) -> None:
    other = order_place(
        service_type=scene.service("housekeeping"),
        resident=scene.mother,
        placed_by=community_admin,
    )
    client.force_login(community_admin)
    url = reverse("admin:orders_order_changelist")
    found = client.get(url, {"q": here.number}).content.decode()
    assert here.number in found and other.number not in found
    placed = client.get(url, {"status__exact": "placed"}).content.decode()
    assert other.number in placed and here.number not in placed


def test_offers_inline_lists_the_worker(client, community_admin, scene, daytime) -> None:
    from django.utils import timezone

    today = timezone.localdate()
    for carer in scene.carers:
        Shift.objects.create(worker=carer, date=today, start="00:00", end="23:59:59")
    order = dispatch(
        order_place(
            service_type=scene.service("housekeeping"),
            resident=scene.mother,
            placed_by=community_admin,
        )
    )
    client.force_login(community_admin)
    html = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert order.offers.get().worker.name in html and "待接单" in html


def test_admin_of_another_community_cannot_open_the_order(client, other_areas, here) -> None:
    client.force_login(staff_user(other_areas["community"], Role.COMMUNITY_ADMIN))
    assert client.get(reverse("admin:orders_order_change", args=[here.pk])).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client, here) -> None:
    response = client.get(reverse("admin:orders_order_change", args=[here.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_micro_grid_worker_has_no_order_back_office(client, assigned, here) -> None:
    client.force_login(assigned)
    assert client.get(reverse("admin:orders_order_changelist")).status_code == 403


def test_dispatcher_may_view_orders(client, areas, here) -> None:
    client.force_login(staff_user(areas["street"], Role.DISPATCHER))
    assert client.get(reverse("admin:orders_order_change", args=[here.pk])).status_code == 200


def test_service_type_pages_show_the_pickup_fields(client, community_admin) -> None:
    from linli.orders.models import ServiceType

    client.force_login(community_admin)
    meal = ServiceType.objects.get(code="meal_assist")
    url = reverse("admin:orders_servicetype_change", args=[meal.pk])
    html = client.get(url).content.decode()
    assert 'name="pickup_kind"' in html and 'name="pickup_ready_s"' in html
    assert (
        "取货地点类型"
        in client.get(reverse("admin:orders_servicetype_changelist")).content.decode()
    )


def test_pickup_fields_are_saved_from_the_service_type_form(client, community_admin) -> None:
    from linli.orders.models import ServiceType
    from linli.orders.tests.test_admin import service_type_post

    client.force_login(community_admin)
    data = {**service_type_post(), "pickup_kind": "pharmacy", "pickup_ready_s": "600"}
    response = client.post(reverse("admin:orders_servicetype_add"), data)
    assert response.status_code == 302
    saved = ServiceType.objects.get(code="foot_care")
    assert (saved.pickup_kind, saved.pickup_ready_s) == ("pharmacy", 600)
