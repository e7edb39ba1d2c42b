"""Reads for the catalogue and workforce; the base of the dispatcher (issue 4)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from linli.orders.models import (
    ProviderProfile,
    ServiceType,
    Shift,
    Worker,
    WorkerSkill,
    WorkerStatus,
)
from linli.places.models import Area


def ancestor_paths(area: Area) -> list[str]:
    """``/a/b/c/`` → ``["/a/", "/a/b/", "/a/b/c/"]``: the area and every area above it."""
    codes = [code for code in area.path.split("/") if code]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def qualified_workers(
    *, service_type: ServiceType, at: dt.datetime, area: Area | None = None
) -> QuerySet[Worker]:
    """Workers who could serve ``service_type`` at the instant ``at`` (tz-aware), in ``area``.

    A worker qualifies when all hold:

    * worker active, status neither 下线 (off) nor 休息 (on break), provider active and
      offering the service;
    * a shift on the local date of ``at`` (dated, or weekly on that weekday) with
      ``start`` ≤ local time < ``end``;
    * every skill the service requires, a certified skill only with ``valid_until`` on or
      after the local date (the expiry day still counts);
    * when ``area`` is given, the provider serves that area or an area above it.

    The queryset is one query when evaluated (provider, organisation and user joined) plus
    one for the prefetched skills (``worker_skills`` with their ``skill``); the service's
    required skills are read once beforehand. Ordered by primary key.

    Raises:
        ValidationError: ``at`` is naive.
    """
    if timezone.is_naive(at):
        raise ValidationError("时间缺少时区")
    local = timezone.localtime(at)
    day, now = local.date(), local.time()
    on_shift = Shift.objects.filter(worker=OuterRef("pk"), start__lte=now, end__gt=now).filter(
        Q(date=day) | Q(date__isnull=True, weekday=day.weekday())
    )
    workers = Worker.objects.filter(
        Exists(on_shift),
        active=True,
        provider__active=True,
        provider__service_types=service_type,
    ).exclude(status__in=[WorkerStatus.OFF, WorkerStatus.ON_BREAK])
    for skill in service_type.skills.all():
        held = WorkerSkill.objects.filter(worker=OuterRef("pk"), skill=skill)
        if skill.needs_certificate:
            held = held.filter(valid_until__gte=day)
        workers = workers.filter(Exists(held))
    if area is not None:
        serves = ProviderProfile.areas.through.objects.filter(
            providerprofile_id=OuterRef("provider_id"), area__path__in=ancestor_paths(area)
        )
        workers = workers.filter(Exists(serves))
    return (
        workers.select_related("provider__organization", "user")
        .prefetch_related(
            Prefetch("worker_skills", queryset=WorkerSkill.objects.select_related("skill"))
        )
        .order_by("pk")
    )


def active_service_types() -> QuerySet[ServiceType]:
    """Services residents may order, with their skills and scheme (two queries)."""
    return (
        ServiceType.objects.filter(active=True)
        .select_related("scheme")
        .prefetch_related("skills")
        .order_by("code")
    )
