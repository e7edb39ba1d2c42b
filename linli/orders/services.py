"""Writes for the service catalogue and workforce, and the price quote.

Every write validates first and writes inside one transaction: bad input raises
:class:`django.core.exceptions.ValidationError` with Chinese messages and nothing is saved.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from linli.common.identity import IdentityError, parse_phone
from linli.eligibility.engine import RuleResult, SubsidyLine, quote
from linli.eligibility.money import yuan
from linli.orders.models import (
    ProviderProfile,
    ServiceType,
    Shift,
    Skill,
    TravelMode,
    Weekday,
    Worker,
    WorkerSkill,
    WorkerStatus,
)
from linli.orgs.models import Organization, OrgKind
from linli.people.models import Resident
from linli.places.models import Area

# --- quote ----------------------------------------------------------------------------------

STANDARD_PRICE = "标准价"


@dataclasses.dataclass(frozen=True)
class ServiceQuote:
    """The price of one unit of a service for a resident on a date.

    ``price_fen`` is what the resident pays; ``subsidies`` what funding sources owe on top.
    ``rules`` and ``reason`` come from the eligibility engine (every tier tried and why);
    a fixed-price service has no rules and the reason ``"标准价"``.
    """

    service_code: str
    service_name: str
    on: dt.date
    price_fen: int
    subsidies: tuple[SubsidyLine, ...]
    rules: tuple[RuleResult, ...]
    reason: str
    scheme_code: str | None = None
    tier: str | None = None

    @property
    def subsidy_fen(self) -> int:
        return sum(line.amount_fen for line in self.subsidies)

    @property
    def price_text(self) -> str:
        return yuan(self.price_fen)


def service_quote(
    *, service_type: ServiceType, resident: Resident | None, on: dt.date
) -> ServiceQuote:
    """Quote ``service_type`` for ``resident`` (``None``: a walk-in) on the local date ``on``.

    A service linked to an eligibility scheme is priced by
    :func:`linli.eligibility.engine.quote` (its list price, if set, replaces the scheme's
    base price); otherwise the list price applies with the reason "标准价".

    Raises:
        ValidationError: the service is not active.
        linli.eligibility.engine.EligibilityError: the scheme is missing, inactive or
            cannot price (Chinese message).
    """
    if not service_type.active:
        raise ValidationError(f"服务“{service_type.name}”已停用，无法报价")
    if service_type.scheme_id is None:
        assert service_type.list_price_fen is not None  # service_type_has_price
        return ServiceQuote(
            service_type.code,
            service_type.name,
            on,
            service_type.list_price_fen,
            (),
            (),
            STANDARD_PRICE,
        )
    assert service_type.scheme is not None
    result = quote(
        scheme_code=service_type.scheme.code,
        subject=resident,
        on=on,
        base_price_fen=service_type.list_price_fen,
    )
    return ServiceQuote(
        service_type.code,
        service_type.name,
        on,
        result.price_fen,
        result.subsidies,
        result.rules,
        result.reason,
        scheme_code=result.scheme_code,
        tier=result.tier,
    )


# --- providers ------------------------------------------------------------------------------

#: Organisation kinds that may deliver services (issue 4: providers, clinics, social
#: enterprises, property companies).
PROVIDER_KINDS = frozenset(
    {
        OrgKind.SERVICE_PROVIDER,
        OrgKind.CLINIC,
        OrgKind.SOCIAL_ENTERPRISE,
        OrgKind.PROPERTY_COMPANY,
    }
)


def provider_check(organization: Organization) -> None:
    """Raises ValidationError (Chinese) unless the organisation's kind may provide services."""
    if organization.kind not in PROVIDER_KINDS:
        allowed = "、".join(str(OrgKind(k).label) for k in sorted(PROVIDER_KINDS))
        raise ValidationError(
            {
                "organization": f"“{organization.name}”是{organization.get_kind_display()}，"
                f"只有{allowed}可以登记为服务商"
            }
        )


@transaction.atomic
def provider_profile_create(
    *,
    organization: Organization,
    service_types: Iterable[ServiceType] = (),
    areas: Iterable[Area] = (),
    capacity_per_day: int = 50,
) -> ProviderProfile:
    """Register ``organization`` as a provider of ``service_types`` in ``areas``.

    Raises:
        ValidationError: wrong organisation kind, already registered; nothing saved.
    """
    provider_check(organization)
    profile = ProviderProfile(organization=organization, capacity_per_day=capacity_per_day)
    profile.full_clean()
    profile.save()
    profile.service_types.set(list(service_types))
    profile.areas.set(list(areas))
    return profile


# --- workers --------------------------------------------------------------------------------


def _phone(raw: str) -> str:
    if not raw:
        return ""
    try:
        return parse_phone(raw)
    except IdentityError as exc:
        raise ValidationError({"phone": str(exc)}) from None


@transaction.atomic
def worker_create(
    *,
    provider: ProviderProfile,
    name: str,
    phone: str = "",
    travel_mode: str = TravelMode.WALK,
    user: User | None = None,
) -> Worker:
    """A worker of ``provider``; ``phone`` is normalised by :func:`parse_phone`.

    Raises:
        ValidationError: blank name, invalid phone or travel mode, user already a worker.
    """
    worker = Worker(
        provider=provider,
        name=name.strip(),
        phone=_phone(phone),
        travel_mode=travel_mode,
        user=user,
    )
    worker.full_clean()
    worker.save()
    return worker


def certificate_valid(worker_skill: WorkerSkill, on: dt.date) -> bool:
    """Whether the skill counts on ``on``: no certificate needed, or ``valid_until`` ≥ ``on``."""
    if not worker_skill.skill.needs_certificate:
        return True
    return worker_skill.valid_until is not None and on <= worker_skill.valid_until


def worker_skill_check(worker_skill: WorkerSkill) -> None:
    """A skill needing a certificate must carry its number and expiry date.

    Raises:
        ValidationError: Chinese messages per field.
    """
    errors: dict[str, str] = {}
    if worker_skill.skill.needs_certificate:
        if not worker_skill.certificate_no.strip():
            errors["certificate_no"] = f"“{worker_skill.skill.name}”需要填写证书编号"
        if worker_skill.valid_until is None:
            errors["valid_until"] = f"“{worker_skill.skill.name}”需要填写证书有效期"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def worker_skill_set(
    *,
    worker: Worker,
    skill: Skill,
    certificate_no: str = "",
    issuer: str = "",
    valid_until: dt.date | None = None,
) -> WorkerSkill:
    """Add or update ``worker``'s ``skill`` (a renewed certificate replaces the old one).

    Raises:
        ValidationError: a certified skill without certificate number or expiry.
    """
    row = WorkerSkill.objects.filter(worker=worker, skill=skill).first() or WorkerSkill(
        worker=worker, skill=skill
    )
    row.certificate_no, row.issuer, row.valid_until = certificate_no.strip(), issuer, valid_until
    worker_skill_check(row)
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def worker_status_set(*, worker: Worker, status: str) -> Worker:
    """Set the live status (下线/空闲/服务中/休息).

    Raises:
        ValidationError: unknown status.
    """
    if status not in WorkerStatus.values:
        raise ValidationError(f"未知的状态：{status}")
    Worker.objects.filter(pk=worker.pk).update(status=status, updated_at=timezone.now())
    worker.status = status
    return worker


# --- shifts ---------------------------------------------------------------------------------


def _day_label(date: dt.date | None, weekday: int | None) -> str:
    if date is not None:
        return f"{date.isoformat()}（{Weekday(date.weekday()).label}）"
    return f"每{Weekday(weekday).label}" if weekday is not None else ""


def shift_conflicts(shift: Shift) -> list[Shift]:
    """Other shifts of the same worker that overlap ``shift`` in time on a shared day.

    Shared day: the same date, the same weekday, or a date (today or later) falling on the
    weekly day.
    Intervals are half-open, so 08:00–12:00 and 12:00–18:00 do not overlap.
    """
    if shift.date is not None:
        same_day = Q(date=shift.date) | Q(weekday=shift.date.weekday())
    else:
        # Django's week_day runs 1 = Sunday … 7 = Saturday; past dated shifts no longer clash.
        week_day = ((shift.weekday or 0) + 1) % 7 + 1
        same_day = Q(weekday=shift.weekday) | Q(
            date__week_day=week_day, date__gte=timezone.localdate()
        )
    others = Shift.objects.filter(worker_id=shift.worker_id).filter(same_day)
    if shift.pk:
        others = others.exclude(pk=shift.pk)
    return list(others.filter(start__lt=shift.end, end__gt=shift.start))


def shift_check(shift: Shift) -> None:
    """Field rules, then no overlap with the worker's other shifts.

    Raises:
        ValidationError: Chinese messages naming the clashing shift.
    """
    shift.full_clean()
    clashes = shift_conflicts(shift)
    if clashes:
        raise ValidationError(
            [
                f"与已有排班重叠：{_day_label(c.date, c.weekday)} "
                f"{c.start:%H:%M}–{c.end:%H:%M}，同一人员的班次不能重叠"
                for c in clashes
            ]
        )


@transaction.atomic
def shift_create(
    *,
    worker: Worker,
    start: dt.time,
    end: dt.time,
    date: dt.date | None = None,
    weekday: int | None = None,
) -> Shift:
    """A shift on ``date`` or every ``weekday`` (0 = Monday), local ``start`` ≤ t < ``end``.

    The worker row is locked first so two concurrent writes cannot both pass the overlap
    check.

    Raises:
        ValidationError: neither or both of date/weekday, end not after start, overlap with
            another shift of the worker; nothing saved.
    """
    Worker.objects.select_for_update().filter(pk=worker.pk).first()
    shift = Shift(worker=worker, date=date, weekday=weekday, start=start, end=end)
    shift_check(shift)
    shift.save()
    return shift


# --- location -------------------------------------------------------------------------------

#: Rough bounding box of mainland China incl. Hainan (degrees, WGS-84); pings outside are
#: phone errors or spoofing, not service calls.
CHINA_LAT = (3.8, 53.6)
CHINA_LNG = (73.5, 135.1)
#: A phone clock may run a little ahead; more than this is rejected.
FUTURE_SLACK = dt.timedelta(minutes=5)


@dataclasses.dataclass(frozen=True)
class GeoPoint:
    """A WGS-84 position: ``lat``/``lng`` degrees, ``accuracy_m`` metres (optional)."""

    lat: float
    lng: float
    accuracy_m: float | None = None


def point_check(point: GeoPoint) -> None:
    """Raises ValidationError (Chinese) unless ``point`` is a finite position in China."""
    try:
        lat, lng = float(point.lat), float(point.lng)
        accuracy = None if point.accuracy_m is None else float(point.accuracy_m)
    except (TypeError, ValueError):
        raise ValidationError("定位数据无法识别") from None
    if not (math.isfinite(lat) and math.isfinite(lng)) or abs(lat) > 90 or abs(lng) > 180:
        raise ValidationError(f"定位坐标超出范围：纬度 {lat}，经度 {lng}")
    if not (CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LNG[0] <= lng <= CHINA_LNG[1]):
        raise ValidationError(f"定位不在中国境内（纬度 {lat}，经度 {lng}），请检查手机定位")
    if accuracy is not None and (not math.isfinite(accuracy) or accuracy < 0):
        raise ValidationError("定位精度必须是不小于 0 的米数")


def worker_ping(*, worker: Worker, point: GeoPoint, at: dt.datetime) -> bool:
    """Store the worker's position from their phone page.

    A ping older than (or as old as) the stored one is ignored: the update is conditional
    in the database, so out-of-order requests cannot move a worker backwards.

    Returns:
        ``True`` if stored, ``False`` if ignored as stale.

    Raises:
        ValidationError: position outside China or out of range, negative accuracy, a naive
            or future time.
    """
    if timezone.is_naive(at):
        raise ValidationError("定位时间缺少时区")
    if at > timezone.now() + FUTURE_SLACK:
        raise ValidationError("定位时间在未来，请检查手机时间")
    point_check(point)
    stored = (
        Worker.objects.filter(pk=worker.pk)
        .filter(Q(last_ping_at__isnull=True) | Q(last_ping_at__lt=at))
        .update(
            last_lat=float(point.lat),
            last_lng=float(point.lng),
            last_accuracy_m=None if point.accuracy_m is None else float(point.accuracy_m),
            last_ping_at=at,
        )
    )
    if stored:
        worker.last_lat, worker.last_lng, worker.last_ping_at = point.lat, point.lng, at
        worker.last_accuracy_m = point.accuracy_m
    return bool(stored)
