"""Builders for catalogue and workforce tests (the seeded skills and service types are used)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from linli.orders.models import ProviderProfile, ServiceType, Skill, Worker, WorkerStatus
from linli.orders.services import (
    provider_profile_create,
    shift_create,
    worker_create,
    worker_skill_set,
)
from linli.orgs.models import OrgKind
from linli.places.models import Area
from linli.testing.factories import OrganizationFactory

#: A Tuesday in the future, so shift checks against "today" do not interfere.
DAY = dt.date(2030, 1, 8)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A tz-aware instant at local (Asia/Shanghai) wall-clock time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def provider(
    org_area: Area, *, services: Iterable[str] = ("bath_assist",), serves: Iterable[Area] = ()
) -> ProviderProfile:
    org = OrganizationFactory(area=org_area, kind=OrgKind.SERVICE_PROVIDER)
    return provider_profile_create(
        organization=org,
        service_types=ServiceType.objects.filter(code__in=list(services)),
        areas=list(serves) or [org_area],
    )


def worker(
    profile: ProviderProfile,
    *,
    skills: dict[str, dt.date | None] | None = None,
    shift: tuple[int, int] | None = (8, 18),
    status: str = WorkerStatus.AVAILABLE,
    name: str = "张护工",
) -> Worker:
    """A worker with ``skills`` (code → certificate valid_until) and a shift on :data:`DAY`."""
    person = worker_create(provider=profile, name=name, phone="13912345678")
    for code, valid_until in (skills if skills is not None else {"bathing": DAY}).items():
        certified = valid_until is not None
        worker_skill_set(
            worker=person,
            skill=Skill.objects.get(code=code),
            certificate_no="ZY-001" if certified else "",
            issuer="银川市人社局" if certified else "",
            valid_until=valid_until,
        )
    if shift is not None:
        shift_create(worker=person, date=DAY, start=dt.time(shift[0]), end=dt.time(shift[1]))
    Worker.objects.filter(pk=person.pk).update(status=status)
    person.status = status
    return person
