"""``linli demo`` builds the super community's service providers, workers, shifts and orders."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from linli.orders.models import (
    FINAL_STATUSES,
    Order,
    OrderStatus,
    ProviderProfile,
    Shift,
    TravelMode,
    Worker,
    WorkerStatus,
)
from linli.orders.selectors import qualified_workers
from linli.orgs.models import OrgKind
from linli.people.models import Assignment, Role
from linli.places.models import Area

pytestmark = pytest.mark.django_db

SMALL = 0.01


def demo(**options: object) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def built() -> str:
    return demo(scale=SMALL, seed=7)


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def test_four_providers_serve_the_super_community_only(built) -> None:
    super_community = Area.objects.get(name="金凤苑社区")
    providers = ProviderProfile.objects.select_related("organization")
    assert providers.count() == 4
    for profile in providers:
        assert list(profile.areas.all()) == [super_community]
        assert profile.organization.area.path.startswith(super_community.path)
    kinds = {p.organization.kind for p in providers}
    assert kinds == {
        OrgKind.SERVICE_PROVIDER,
        OrgKind.SOCIAL_ENTERPRISE,
        OrgKind.CLINIC,
        OrgKind.PROPERTY_COMPANY,
    }


def test_workforce_matches_the_dispatch_scenario(built) -> None:
    def team(prefix: str):  # type: ignore[no-untyped-def]
        return Worker.objects.filter(user__username__startswith=prefix)

    assert team("hg").count() == 14 and team("ps").count() == 16
    assert team("ys").count() == 3 and team("wx").count() == 5
    assert set(team("ps").values_list("travel_mode", flat=True)) == {TravelMode.EBIKE}
    assert set(team("hg").values_list("travel_mode", flat=True)) == {TravelMode.WALK}
    bathers = team("hg").filter(worker_skills__skill__code="bathing")
    assert bathers.count() == 6
    assert not bathers.filter(
        worker_skills__valid_until__isnull=True, worker_skills__skill__code="bathing"
    ).exists()
    assert team("ys").filter(worker_skills__skill__code="medical").count() == 3
    assert team("hg").filter(worker_skills__skill__code="housekeeping").count() == 14
    assert set(Worker.objects.values_list("status", flat=True)) == {WorkerStatus.AVAILABLE}


def test_every_worker_has_weekly_shifts_monday_to_sunday(built) -> None:
    courier = Worker.objects.get(user__username="ps01")
    windows = set(courier.shifts.values_list("weekday", "start", "end"))
    assert {(d, dt.time(10), dt.time(14)) for d in range(7)} <= windows
    assert {(d, dt.time(16), dt.time(19, 30)) for d in range(7)} <= windows
    assert Shift.objects.filter(date__isnull=False).count() == 0
    assert Shift.objects.count() == 7 * (14 + 16 * 2 + 3 + 5)


def test_who_is_qualified_follows_skills_and_shifts(built) -> None:
    from linli.orders.models import ServiceType

    community = Area.objects.get(name="金凤苑社区")
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())  # next Monday: certificates valid
    bath = ServiceType.objects.get(code="bath_assist")
    meal = ServiceType.objects.get(code="meal_assist")
    repair = ServiceType.objects.get(code="repair")
    assert qualified_workers(service_type=bath, at=_local(monday, 9), area=community).count() == 6
    # noon: 14 caregivers and 16 couriers; 15:00: the couriers are off
    assert qualified_workers(service_type=meal, at=_local(monday, 12), area=community).count() == 30
    assert qualified_workers(service_type=meal, at=_local(monday, 15), area=community).count() == 14
    assert not qualified_workers(
        service_type=repair, at=_local(monday, 21), area=community
    ).exists()


def test_workers_log_in_as_provider_staff_with_the_demo_password(built, client) -> None:
    user = User.objects.get(username="hg01")
    assert user.is_staff and user.first_name == user.worker.name
    assert user.check_password(settings.DEMO_PASSWORD)
    assignment = Assignment.objects.get(user=user)
    assert assignment.role == Role.PROVIDER_STAFF and assignment.area.name == "金凤苑社区"
    assert assignment.organization == user.worker.provider.organization
    assert "hg01" in built and "wx05" in built  # the log-in table lists them
    assert client.login(username="hg01", password=settings.DEMO_PASSWORD)


def test_historic_orders_are_completed_and_rated_and_one_is_unfulfilled(built) -> None:
    orders = Order.objects.all()
    assert orders.count() == 9
    assert all(o.status in FINAL_STATUSES for o in orders)
    done = orders.filter(status=OrderStatus.COMPLETED)
    assert done.count() == 8
    assert all(o.rating in (4, 5) and o.arrived_at and o.arrived_at > o.placed_at for o in done)
    assert all(o.events.filter(action="arrive").exists() for o in done)
    lost = orders.get(status=OrderStatus.UNFULFILLED)
    assert lost.service_type.code == "repair" and timezone.localtime(lost.placed_at).hour == 21
    assert all(o.placed_at < timezone.now() for o in orders)
    from linli.notify.models import Notification

    alert = Notification.objects.get(kind="order.unfulfilled", user__username="sq1_admin")
    assert alert.read_at is None and str(lost.pk) in alert.link
    assert not Notification.objects.filter(kind="order.offer", read_at__isnull=True).exists()


def test_same_seed_gives_the_same_workers_and_orders() -> None:
    def fingerprint() -> list[object]:
        workers = list(Worker.objects.order_by("user__username").values_list("name", "phone"))
        orders = list(
            Order.objects.order_by("number").values_list(
                "service_type__code", "resident__name", "rating"
            )
        )
        return [workers, orders]

    demo(scale=SMALL, seed=3)
    first = fingerprint()
    demo(scale=SMALL, seed=3, reset=True)
    assert fingerprint() == first
    assert Worker.objects.count() == 38
