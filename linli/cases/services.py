"""Every write to a case: reporting here, one service per transition in
:mod:`linli.cases.transitions` (main loop) and :mod:`linli.cases.branches` (suspend, merge,
reopen, rate, pause), notes/participants/witnessed actions in
:mod:`linli.cases.participation` — all re-exported here, so callers use
``services.case_<verb>``.

Each transition service: locks the case row (``select_for_update``), checks the current
state (else :class:`~linli.cases.errors.IllegalTransition`, HTTP 409) and the actor
(:mod:`linli.cases.permissions`, else ``NotAllowed``, 403), writes, appends a
:class:`~linli.cases.models.CaseEvent`, restarts the stage clock when the stage changes,
and enqueues notifications after commit (:mod:`linli.cases.notices`) so a failing
notification never blocks or rolls back the change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from linli.cases import sla
from linli.cases.errors import CaseInputError
from linli.cases.events import event_record
from linli.cases.models import (
    Case,
    CaseAction,
    CaseCategory,
    CaseNumberSequence,
    CaseStatus,
)
from linli.cases.notices import notice_on_commit
from linli.cases.photos import photo_store, photos_check
from linli.cases.text import ELLIPSIS, Uploads, clean_text, text_summary
from linli.common.geo import LatLng, containing
from linli.people.models import Resident
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


def area_for_location(
    *, point: LatLng | None, building: Building | None, area: Area | None = None
) -> Area:
    """The micro-grid of ``building``, else the micro-grid whose boundary holds ``point``,
    else ``area`` (e.g. the community a resident chose when they could only give an address).

    Raises:
        CaseInputError: nothing given, or the point lies outside every micro-grid and no
            fallback ``area`` was given.
    """
    if building is not None:
        return building.micro_grid
    if point is None:
        if area is not None:
            return area
        raise CaseInputError("请提供位置（坐标、地址或楼栋）", field="location")
    rows = Area.objects.filter(kind=AreaKind.MICRO_GRID, boundary__isnull=False).values_list(
        "pk", "boundary"
    )
    area_id = containing(point, ((pk, boundary) for pk, boundary in rows if boundary))
    if area_id is None:
        if area is not None:
            return area
        raise CaseInputError("该位置不在本平台管辖的网格内", field="location")
    return Area.objects.get(pk=int(str(area_id)))


#: Characters of the description in an automatic title ("噪音扰民：楼上深夜装修…").
TITLE_SUMMARY = 30
TITLE_MAX = 100  # Case.title max_length


def auto_title(category: CaseCategory, description: str) -> str:
    """ "<category>：<description summary>" — cut at punctuation or a space, never inside a
    Latin word or number, "…" when shortened (:func:`linli.cases.text.text_summary`);
    at most :data:`TITLE_MAX` characters."""
    title = f"{category.name}：{text_summary(description, limit=TITLE_SUMMARY)}"
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + ELLIPSIS


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
    subject_resident: Resident | None = None,
    address: str = "",
    attributes: dict[str, Any] | None = None,
    photos: Uploads = None,
    area: Area | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """File a new case in state ``reported`` and start its register clock.

    Args:
        point: WGS-84 (convert GCJ-02 with ``linli.common.geo.parse_lat_lng`` first).
        building / household: a building picked on the phone page locates the case even
            without GPS; a household implies its building.
        photos: uploads (≤ 9), checked before anything is written (:mod:`linli.cases.photos`).
        subject_resident: the resident the case is about (e.g. an elderly man living
            alone); implies his household when none is given.
        area: where the case goes when neither ``point`` nor ``building`` places it (a
            resident or a hotline caller who can only give an address in words); an
            ``address`` is then required.

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
    checked = photos_check(list(photos or []))
    if subject_resident is not None and household is None:
        household = subject_resident.household
    if household is not None and building is None:
        building = household.building
    if point is None and building is None and area is not None and not address.strip():
        raise CaseInputError("请填写地址，或选择楼栋", field="address")
    area = area_for_location(point=point, building=building, area=area)
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
        title=title or auto_title(category, description),
        description=description,
        attributes=attributes or {},
        area=area,
        building=building,
        household=household,
        subject_resident=subject_resident,
        lat=lat,
        lng=lng,
        address=clean_text(address, field="address", label="地址", max_length=200, required=False),
        reporter=reporter,
        reporter_name=reporter_name[:50],
        reporter_phone=reporter_phone[:20],
        reporter_email=reporter_email,
        status=CaseStatus.REPORTED,
    )
    sla.stage_start(case=case, now=now)
    case.save(
        update_fields=[
            "stage_started_at",
            "due_at",
            "paused_at",
            "paused_seconds",
            "escalation_level",
        ]
    )
    event = event_record(
        case=case,
        action=CaseAction.REPORT,
        actor=reporter,
        at=now,
        to_status=CaseStatus.REPORTED,
        note=description,
    )
    for photo in checked:
        photo_store(case=case, photo=photo, uploaded_by=reporter, event=event)
    notice_on_commit(case=case, action=CaseAction.REPORT)
    return case


# Re-exports: the services of the other write modules, under one name for callers.
from linli.cases.branches import (  # noqa: E402
    case_merge,
    case_pause,
    case_rate,
    case_reopen,
    case_resume,
    case_suspend,
    case_unpause,
)
from linli.cases.participation import (  # noqa: E402
    case_add_note,
    case_add_participant,
    case_record_witnessed_action,
)
from linli.cases.transitions import (  # noqa: E402
    case_accept,
    case_close,
    case_dispatch,
    case_handle,
    case_register,
    case_reject,
    case_return,
    case_verify,
    reopen_days,
)

__all__ = [
    "MAX_DESCRIPTION",
    "area_for_location",
    "case_accept",
    "case_add_note",
    "case_add_participant",
    "case_close",
    "case_dispatch",
    "case_handle",
    "case_merge",
    "case_number_next",
    "case_pause",
    "case_rate",
    "case_record_witnessed_action",
    "case_register",
    "case_reject",
    "case_reopen",
    "case_report",
    "case_resume",
    "case_return",
    "case_suspend",
    "case_unpause",
    "case_verify",
    "clean_text",
    "reopen_days",
]
