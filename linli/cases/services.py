"""Every write to a case: report, then one service per transition (see models docstring).

Each transition service: locks the case row (``select_for_update``), checks the current
state (else :class:`~linli.cases.errors.IllegalTransition`, HTTP 409), writes, appends a
:class:`~linli.cases.models.CaseEvent`, and enqueues notifications with
``transaction.on_commit`` so a failing notification never blocks or rolls back the change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags

from linli.cases.errors import CaseInputError
from linli.cases.events import event_record
from linli.cases.models import (
    Case,
    CaseAction,
    CaseCategory,
    CaseNumberSequence,
    CaseStatus,
)
from linli.common.geo import LatLng, containing
from linli.places.models import Area, AreaKind, Building, Household

MAX_DESCRIPTION = 4000


def case_number_next(*, district_code: str, day: dt.date) -> str:
    """``640106-20260707-0012``: district, local date, 4-digit daily sequence.

    Must run inside a transaction: the sequence row is locked until commit, so two
    reports on the same day never get the same number.
    """
    prefix = f"{district_code}-{day:%Y%m%d}"
    CaseNumberSequence.objects.get_or_create(prefix=prefix)
    seq = CaseNumberSequence.objects.select_for_update().get(prefix=prefix)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"{prefix}-{seq.last:04d}"


def area_for_location(*, point: LatLng | None, building: Building | None) -> Area:
    """The micro-grid of ``building``, else the micro-grid whose boundary holds ``point``.

    Raises:
        CaseInputError: neither given, or the point lies outside every micro-grid.
    """
    if building is not None:
        return building.micro_grid
    if point is None:
        raise CaseInputError("请提供位置（坐标、地址或楼栋）", field="location")
    rows = Area.objects.filter(kind=AreaKind.MICRO_GRID, boundary__isnull=False).values_list(
        "pk", "boundary"
    )
    area_id = containing(point, ((pk, boundary) for pk, boundary in rows if boundary))
    if area_id is None:
        raise CaseInputError("该位置不在本平台管辖的网格内", field="location")
    return Area.objects.get(pk=int(str(area_id)))


def clean_text(
    value: str, *, field: str, label: str, max_length: int, required: bool = True
) -> str:
    """Strip tags and surrounding space; check presence and length.

    Text is stored without markup and escaped again by templates, so script in a report
    is never executed (defence in depth).

    Raises:
        CaseInputError: empty when required, or longer than ``max_length`` characters.
    """
    text = strip_tags(value or "").strip()
    if required and not text:
        raise CaseInputError(f"{label}不能为空", field=field)
    if len(text) > max_length:
        raise CaseInputError(
            f"{label}不能超过 {max_length} 个字符（现有 {len(text)} 个）", field=field
        )
    return text


@transaction.atomic
def case_report(
    *,
    category: CaseCategory,
    description: str,
    channel: str,
    title: str = "",
    reporter: User | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    point: LatLng | None = None,
    building: Building | None = None,
    household: Household | None = None,
    address: str = "",
    attributes: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """File a new case in state ``reported`` and start its register clock.

    Args:
        point: WGS-84 (convert GCJ-02 with ``linli.common.geo.parse_lat_lng`` first).
        building / household: a building picked on the phone page locates the case even
            without GPS; a household implies its building.

    Raises:
        CaseInputError: inactive category, empty or over-long text (description ≤ 4,000
            characters), no usable location.
    """
    if not category.active:
        raise CaseInputError(f"类别“{category.name}”已停用", field="category")
    description = clean_text(
        description, field="description", label="描述", max_length=MAX_DESCRIPTION
    )
    title = clean_text(title, field="title", label="标题", max_length=100, required=False)
    if household is not None and building is None:
        building = household.building
    area = area_for_location(point=point, building=building)
    if point is None and building is not None and building.lat is not None:
        point = LatLng(float(building.lat), float(building.lng or 0))
    now = now or timezone.now()
    district = area.path.strip("/").split("/")[1] if area.path.count("/") > 2 else area.code[:6]
    lat, lng = point.as_decimals() if point else (None, None)
    case = Case.objects.create(
        number=case_number_next(district_code=district, day=timezone.localdate(now)),
        category=category,
        priority=category.priority,
        channel=channel,
        title=title or f"{category.name}：{description[:30]}",
        description=description,
        attributes=attributes or {},
        area=area,
        building=building,
        household=household,
        lat=lat,
        lng=lng,
        address=clean_text(address, field="address", label="地址", max_length=200, required=False),
        reporter=reporter,
        reporter_name=reporter_name[:50],
        reporter_phone=reporter_phone[:20],
        reporter_email=reporter_email,
        status=CaseStatus.REPORTED,
    )
    from linli.cases.sla import stage_start

    stage_start(case=case, now=now)
    case.save(update_fields=["stage_started_at", "due_at", "paused_at", "paused_seconds"])
    event_record(
        case=case,
        action=CaseAction.REPORT,
        actor=reporter,
        at=now,
        to_status=CaseStatus.REPORTED,
        note=description,
    )
    return case
