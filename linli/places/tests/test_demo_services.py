"""``linli demo`` builds the super community's service providers, workers, shifts and orders."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.http import HttpRequest  # django-axes needs a request to authenticate
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


def test_haircut_and_knife_sharpening_have_qualified_workers(built) -> None:
    from linli.orders.models import ServiceType

    community = Area.objects.get(name="金凤苑社区")
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())
    haircut = ServiceType.objects.get(code="haircut")
    knives = ServiceType.objects.get(code="knife_sharpening")
    barbers = qualified_workers(service_type=haircut, at=_local(monday, 10), area=community)
    assert sorted(barbers.values_list("user__username", flat=True)) == ["hg13", "hg14"]
    grinders = qualified_workers(service_type=knives, at=_local(monday, 10), area=community)
    assert list(grinders.values_list("user__username", flat=True)) == ["wx05"]
    offered = ProviderProfile.objects.filter(service_types=knives)
    assert [p.organization.kind for p in offered] == [OrgKind.PROPERTY_COMPANY]


def test_workers_log_in_as_provider_staff_with_the_demo_password(built, client) -> None:
    user = User.objects.get(username="hg01")
    assert user.is_staff and user.first_name == user.worker.name
    assert user.check_password(settings.DEMO_PASSWORD)
    assignment = Assignment.objects.get(user=user)
    assert assignment.role == Role.PROVIDER_STAFF and assignment.area.name == "金凤苑社区"
    assert assignment.organization == user.worker.provider.organization
    assert "hg01" in built and "wx05" in built  # the log-in table lists them
    assert client.login(request=HttpRequest(), username="hg01", password=settings.DEMO_PASSWORD)


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


def test_three_resident_accounts_daughter_mother_and_elder_living_alone(built) -> None:
    from linli.accounts.models import ResidentAccount
    from linli.accounts.selectors import residents_actable_by
    from linli.accounts.services import phone_hash
    from linli.people.models import Resident
    from linli.places.demo.services import MOTHER_AGE, RESIDENT_PHONES
    from linli.places.demo.staff import DEMO_EMAIL_DOMAIN

    community = Area.objects.get(name="金凤苑社区")
    daughter, mother, alone = (
        ResidentAccount.objects.select_related("resident", "user").get(phone_hash=phone_hash(phone))
        for phone in RESIDENT_PHONES
    )
    # The three of issue 4, and the canteen regular of 丰登新村社区 (issue 8).
    assert ResidentAccount.objects.count() == 4
    regular = ResidentAccount.objects.get(phone_hash=phone_hash("13800000004"))
    assert regular.resident.area.path.startswith(Area.objects.get(name="丰登新村社区").path)
    assert regular.user.email.endswith("@" + DEMO_EMAIL_DOMAIN)
    assert list(residents_actable_by(daughter.user)) == [daughter.resident, mother.resident]
    link = mother.resident.family_links.get(relative=daughter.resident)
    assert link.consent_active and link.relation == "女儿"
    assert mother.resident.sex == "F" and mother.resident.age() >= MOTHER_AGE
    assert mother.resident.area.path.startswith(community.path)
    assert mother.resident.household_id is not None
    assert list(residents_actable_by(mother.user)) == [mother.resident]
    assert alone.resident.living_alone and alone.resident.age() >= 60
    assert alone.resident.area.path.startswith(community.path)
    for account in (daughter, mother, alone):
        assert not account.user.is_staff and not account.user.has_usable_password()
        assert account.user.email.endswith("@" + DEMO_EMAIL_DOMAIN)  # --reset removes them
        assert account.created_by == User.objects.get(username="sq1_admin")
    assert not Resident.objects.filter(phone__in=RESIDENT_PHONES).exists()
    assert not Worker.objects.filter(phone__in=RESIDENT_PHONES).exists()


def test_resident_log_ins_are_listed_and_work(  # type: ignore[no-untyped-def]
    built, client, django_capture_on_commit_callbacks
) -> None:
    from linli.accounts.models import ResidentAccount
    from linli.notify.channels import ConsoleSmsBackend
    from linli.places.demo.services import RESIDENT_PHONES

    header = "居民账号（/me/login/，验证码在服务器日志中显示）"
    mother = ResidentAccount.objects.get(phone_masked="138****0002").resident
    for output in (built, demo(logins_only=True)):
        assert header in output
        listing = output.split(header, 1)[1]
        assert all(phone in listing for phone in RESIDENT_PHONES)
        daughter_line = next(line for line in listing.splitlines() if "13800000001" in line)
        assert mother.name in daughter_line and "女儿" in daughter_line
        assert "（独居）" in next(line for line in listing.splitlines() if "13800000003" in line)
    ConsoleSmsBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/me/login/", {"step": "phone", "phone": RESIDENT_PHONES[0]})
    assert response.status_code == 200
    [sms] = [m for m in ConsoleSmsBackend.outbox if m["phone"] == RESIDENT_PHONES[0]]
    code = sms["text"].split("验证码是 ")[1][:6]
    response = client.post(
        "/me/login/", {"step": "code", "phone": RESIDENT_PHONES[0], "code": code}
    )
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert mother.name in client.get("/me/").content.decode()


def test_reset_rebuilds_the_resident_accounts() -> None:
    from linli.accounts.models import ResidentAccount

    demo(scale=SMALL, seed=5)
    before = set(ResidentAccount.objects.values_list("phone_hash", flat=True))
    demo(scale=SMALL, seed=5, reset=True)
    assert set(ResidentAccount.objects.values_list("phone_hash", flat=True)) == before
    assert User.objects.filter(is_staff=False, resident_account__isnull=True).count() == 0


def test_without_a_consenting_daughter_the_demo_links_one(built) -> None:
    from types import SimpleNamespace

    from linli.people.models import FamilyLink
    from linli.places.demo.services import MOTHER_AGE, _mother_link

    community = Area.objects.get(name="金凤苑社区")
    FamilyLink.objects.all().delete()
    admin = User.objects.get(username="sq1_admin")
    link = _mother_link(SimpleNamespace(area=community), admin)  # type: ignore[arg-type]
    assert link is not None and link.pk and link.consent_active and link.relation == "女儿"
    assert link.consent_recorded_by == admin
    mother, daughter = link.resident, link.relative
    assert mother.sex == "F" and mother.age() >= MOTHER_AGE and daughter.sex == "F"
    assert 20 <= daughter.birth_date.year - mother.birth_date.year <= 42
    assert mother.household_id != daughter.household_id
    assert mother.area.path.startswith(community.path)
