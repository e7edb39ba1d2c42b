"""factory_boy factories for the registry, shared by every app's tests.

``make_id_number(birth, seq)`` builds valid GB 11643 numbers for a chosen birth date.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import factory
from django.contrib.auth.models import User
from stdnum.cn import ric

from linli.common import pii
from linli.orgs.models import Organization, OrgKind
from linli.people.models import Assignment, Resident, Role
from linli.places.models import Area, AreaKind, Building, BuildingKind, Household

_seq = itertools.count(1)


def make_id_number(birth: dt.date, seq: int | None = None, region: str = "640106") -> str:
    """A valid 18-digit identity number; odd ``seq`` → male, even → female."""
    seq = next(_seq) % 1000 if seq is None else seq
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def area_chain(prefix: str = "640106001", name: str = "测试") -> dict[str, Area]:
    """city → district → street → community → grid → micro_grid with codes under ``prefix``.

    ``prefix`` is the 9-digit street code; returns the areas by kind. Reuses existing rows.
    """

    def get(code: str, kind: str, label: str, parent: Area | None) -> Area:
        path = (parent.path if parent else "/") + code + "/"
        area, _ = Area.objects.get_or_create(
            code=code, defaults={"kind": kind, "name": label, "parent": parent, "path": path}
        )
        return area

    city = get("640100", AreaKind.CITY, "银川市", None)
    district = get(prefix[:6], AreaKind.DISTRICT, "金凤区", city)
    street = get(prefix, AreaKind.STREET, f"{name}街道", district)
    community = get(prefix + "001", AreaKind.COMMUNITY, f"{name}社区", street)
    grid = get(prefix + "001001", AreaKind.GRID, f"{name}第一网格", community)
    micro = get(prefix + "00100101", AreaKind.MICRO_GRID, f"{name}微网格1", grid)
    return {
        "city": city,
        "district": district,
        "street": street,
        "community": community,
        "grid": grid,
        "micro_grid": micro,
    }


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    micro_grid = factory.LazyFunction(lambda: area_chain()["micro_grid"])
    name = factory.Sequence(lambda n: f"{n + 1}号楼")
    kind = BuildingKind.RESIDENTIAL
    floors = 6


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    building = factory.SubFactory(BuildingFactory)
    unit = "1单元"
    room = factory.Sequence(lambda n: f"{(n % 6) + 1}0{(n % 4) + 1}-{n}")


class ResidentFactory(factory.django.DjangoModelFactory):
    """A resident with a valid, encrypted identity number; pass ``birth_date`` to choose age."""

    class Meta:
        model = Resident

    id_number: str | None = None  # popped in _create; a valid number is generated if None
    name = factory.Faker("name", locale="zh_CN")
    household = factory.SubFactory(HouseholdFactory)
    area = factory.LazyAttribute(lambda o: o.household.building.micro_grid)
    birth_date = dt.date(1980, 5, 17)
    sex = "M"
    phone = factory.Sequence(lambda n: f"139{n:08d}")

    @classmethod
    def _create(cls, model_class: type[Resident], *args: Any, **kwargs: Any) -> Resident:
        number = kwargs.pop("id_number", None) or make_id_number(kwargs["birth_date"])
        kwargs["birth_date"] = ric.get_birth_date(number)
        kwargs["sex"] = "M" if int(number[16]) % 2 else "F"
        kwargs["id_number_encrypted"] = pii.encrypt(number)
        kwargs["id_number_hash"] = pii.lookup_hash(number)
        kwargs["id_number_masked"] = pii.mask_id_number(number)
        return super()._create(model_class, *args, **kwargs)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    kind = OrgKind.ENTERPRISE
    area = factory.LazyFunction(lambda: area_chain()["community"])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.django.Password("pw-linli-test")


def staff_user(area: Area, role: str = Role.MICRO_GRID_WORKER, **kwargs: Any) -> User:
    """A staff user assigned to ``area`` with ``role`` (password ``pw-linli-test``)."""
    user: User = UserFactory.create(**kwargs)
    Assignment.objects.create(user=user, area=area, role=role)
    return user


# --------------------------------------------------------------------------- care


class WatchFactory(factory.django.DjangoModelFactory):
    """A resident living alone under watch (``linli.care.models.Watch``), no routine yet."""

    class Meta:
        model = "care.Watch"

    resident = factory.SubFactory(
        ResidentFactory, living_alone=True, birth_date=dt.date(1946, 1, 2)
    )
    reason = "living_alone"


def care_alert(resident: Resident, kind: str = "silence", **kwargs: Any) -> Any:
    """An alert opened through :func:`linli.care.services.alert_open` (notifications and
    trail included) for ``resident`` at their household; ``raised_at`` defaults to now."""
    from django.utils import timezone

    from linli.care.services import alert_open

    assert resident.household is not None
    kwargs.setdefault("raised_at", timezone.now())
    return alert_open(kind=kind, household=resident.household, resident=resident, **kwargs)
