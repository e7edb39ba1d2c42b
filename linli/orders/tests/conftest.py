"""The daughter-for-mother scene (issue 4) shared by the order and dispatch tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from linli.accounts.services import resident_account_create
from linli.orders.models import ProviderProfile, ServiceType, Worker
from linli.orders.tests.factories import DAY, local, provider, worker
from linli.people.models import FamilyLink, Resident
from linli.places.models import Area, Building, Facility, FacilityKind
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    make_id_number,
)

#: The service station and the mother's building, ~400 m apart (WGS-84, Yinchuan).
STATION = (Decimal("38.470000"), Decimal("106.230000"))
HOME = (Decimal("38.473000"), Decimal("106.233000"))


@dataclasses.dataclass
class Scene:
    areas: dict[str, Area]
    building: Building
    mother: Resident
    daughter: Resident
    daughter_user: User
    mother_user: User
    stranger_user: User
    profile: ProviderProfile
    carers: list[Worker]
    now: dt.datetime

    def service(self, code: str) -> ServiceType:
        return ServiceType.objects.get(code=code)


@pytest.fixture
def scene(areas) -> Scene:  # type: ignore[no-untyped-def]
    """Mother (80, living in ``building``), daughter with a consenting family link and an
    account each, a provider serving the community with three certified caregivers on
    shift 08–18 on :data:`DAY`; ``now`` is 10:00 that day."""
    building = BuildingFactory(micro_grid=areas["micro_grid"], lat=HOME[0], lng=HOME[1])
    home = HouseholdFactory(building=building)
    mother = ResidentFactory(
        household=home, id_number=make_id_number(dt.date(1949, 3, 2)), name="王秀英"
    )
    daughter = ResidentFactory(household=HouseholdFactory(building=building), name="李梅")
    stranger = ResidentFactory(household=HouseholdFactory(building=building), name="赵强")
    FamilyLink.objects.create(
        resident=mother,
        relative=daughter,
        relation="女儿",
        may_act=True,
        consent_at=timezone.now(),
    )
    accounts = [
        resident_account_create(resident=r, phone=f"1380000{i:04d}", actor=None)
        for i, r in enumerate([mother, daughter, stranger], start=1)
    ]
    station = BuildingFactory(
        micro_grid=areas["micro_grid"], name="服务站", lat=STATION[0], lng=STATION[1]
    )
    Facility.objects.create(
        area=areas["micro_grid"],
        kind=FacilityKind.SERVICE_STATION,
        name="党群服务中心",
        building=station,
        lat=STATION[0],
        lng=STATION[1],
    )
    profile = provider(
        areas["community"],
        services=["bath_assist", "housekeeping", "meal_assist", "repair"],
        serves=[areas["community"]],
    )
    profile.organization.building = station
    profile.organization.save()
    carers = [
        worker(profile, skills={"bathing": DAY, "housekeeping": None}, name=name)
        for name in ("张护工", "刘护工", "陈护工")
    ]
    return Scene(
        areas=areas,
        building=building,
        mother=mother,
        daughter=daughter,
        daughter_user=accounts[1].user,
        mother_user=accounts[0].user,
        stranger_user=accounts[2].user,
        profile=profile,
        carers=carers,
        now=local(DAY, 10),
    )


#: Local hour from which "now" is too late in the day for a service to end within a shift
#: ending at midnight (the longest catalogue service is 2 hours, plus travel).
LATE_HOUR = 20


@pytest.fixture
def daytime(monkeypatch):  # type: ignore[no-untyped-def]
    """Run the test at a daytime "now": late in the evening (from :data:`LATE_HOUR` local)
    the clock is moved back to 12:00 today and keeps running from there, so tests that give
    caregivers a shift of "the whole of today" can dispatch at any hour CI happens to run."""
    real_now = timezone.now
    local = timezone.localtime(real_now())
    if local.hour < LATE_HOUR:
        yield real_now()
        return
    noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
    offset = local - noon
    monkeypatch.setattr(timezone, "now", lambda: real_now() - offset)
    yield timezone.now()
