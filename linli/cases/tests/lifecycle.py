"""Shared builders for the case-lifecycle tests: seeded categories, cases in any state."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.utils import timezone

from linli.cases import services
from linli.cases.models import Case, CaseCategory, CaseChannel, CaseStatus
from linli.people.models import Role
from linli.places.models import Area, Building
from linli.testing.factories import BuildingFactory, UserFactory, staff_user

#: A Monday morning in office hours (Asia/Shanghai), far from public holidays.
MONDAY = dt.datetime(2026, 6, 8, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def ensure_categories() -> None:
    """Run the seed migration's function again (a transactional test's flush empties it)."""
    module = importlib.import_module("linli.cases.migrations.0002_seed_categories")
    module.seed(apps, None)


def category(name: str = "噪音扰民") -> CaseCategory:
    ensure_categories()
    return CaseCategory.objects.get(name=name, kind="community")


def superuser() -> User:
    user: User = UserFactory.create(is_superuser=True)
    return user


def building_in(area: Area) -> Building:
    return BuildingFactory.create(micro_grid=area, lat="38.480000", lng="106.220000")


def report(
    area: Area, *, reporter: User | None = None, name: str = "噪音扰民", **kwargs: Any
) -> Case:
    kwargs.setdefault("description", "楼上深夜装修，噪音很大")
    kwargs.setdefault("now", MONDAY)
    return services.case_report(
        category=category(name),
        channel=CaseChannel.GRID_PATROL,
        reporter=reporter,
        building=kwargs.pop("building", None) or building_in(area),
        **kwargs,
    )


class Actors:
    """The people of one area: a coordinator, a grid worker and a handler (with org)."""

    def __init__(self, areas: dict[str, Area]) -> None:
        from linli.people.models import Assignment
        from linli.testing.factories import OrganizationFactory

        self.areas = areas
        self.dispatcher = staff_user(areas["community"], Role.DISPATCHER)
        self.grid_worker = staff_user(areas["micro_grid"], Role.MICRO_GRID_WORKER)
        self.org = OrganizationFactory.create(name="测试物业公司", kind="property_company")
        self.handler = staff_user(areas["community"], Role.PROPERTY_STAFF)
        Assignment.objects.filter(user=self.handler).update(organization=self.org)
        self.colleague = staff_user(areas["community"], Role.PROPERTY_STAFF)
        Assignment.objects.filter(user=self.colleague).update(organization=self.org)


def walk_to(case: Case, status: str, a: Actors, *, now: dt.datetime = MONDAY) -> Case:
    """Take a freshly reported case along the happy path (or a side branch) to ``status``."""
    S = CaseStatus
    step = dt.timedelta(minutes=5)
    t = now
    if status == S.REPORTED:
        return case
    if status == S.REJECTED:
        return services.case_reject(case=case, actor=a.dispatcher, reason="重复", now=t)
    t += step
    case = services.case_register(case=case, actor=a.dispatcher, now=t)
    if status == S.REGISTERED:
        return case
    if status == S.SUSPENDED:
        review = timezone.localdate(t) + dt.timedelta(days=30)
        return services.case_suspend(
            case=case, actor=a.dispatcher, reason="等待规划", review_on=review, now=t
        )
    if status == S.MERGED:
        other = report(a.areas["micro_grid"])
        return services.case_merge(case=case, into=other, actor=a.dispatcher, now=t)
    t += step
    case = services.case_dispatch(
        case=case, actor=a.dispatcher, handler=a.handler, handler_org=a.org, now=t
    )
    if status == S.DISPATCHED:
        return case
    if status == S.RETURNED:
        return services.case_return(case=case, actor=a.handler, reason="不属本单位", now=t)
    t += step
    case = services.case_accept(case=case, actor=a.handler, now=t)
    if status == S.IN_PROGRESS:
        return case
    t += step
    case = services.case_handle(case=case, actor=a.handler, note="已处理", now=t)
    if status == S.HANDLED:
        return case
    t += step
    case = services.case_verify(case=case, actor=a.grid_worker, now=t)
    if status == S.VERIFIED:
        return case
    t += step
    case = services.case_close(case=case, actor=a.dispatcher, now=t)
    assert status == S.CLOSED
    return case


@pytest.fixture(autouse=False)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    """Test users need no PBKDF2 work factor (their passwords are never attacked)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
