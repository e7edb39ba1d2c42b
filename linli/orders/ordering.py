"""Placing, moving through and closing resident-service orders (issue 4, "Ordering").

Each transition is a service: it locks the order row, checks the state and the actor,
writes the new state with its timestamp and one :class:`OrderEvent`, all in one
transaction. Bad input raises :class:`django.core.exceptions.ValidationError` with a
Chinese message and nothing is written.

Who may order (:func:`order_channel`): the resident themself (a resident account), a
family member whose account the resident has consented to (``FamilyLink.may_act``, the
daughter-for-mother case), or staff whose areas hold the resident's household (a phone
call). Dispatch is separate (:mod:`linli.orders.dispatching`): callers place, then
dispatch, so a placing never waits on a worker lock.

Cancellation rules (:func:`cancel_check`): the resident or their family may cancel until
a worker is on the way; a time-slot booking that a worker has accepted only until
``ORDERS_CANCEL_BEFORE_SLOT_S`` (default 2 h) before the slot. Staff may cancel any open
order, with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from linli.accounts.selectors import account_of, residents_actable_by
from linli.eligibility.engine import EligibilityError
from linli.orders.models import (
    FINAL_STATUSES,
    Offer,
    OfferStatus,
    Order,
    OrderAction,
    OrderChannel,
    OrderEvent,
    OrderNumberSequence,
    OrderPhoto,
    OrderStatus,
    ServiceMode,
    ServiceType,
    Worker,
)
from linli.orders.services import ServiceQuote, service_quote
from linli.people.models import Resident
from linli.people.scoping import area_paths
from linli.places.models import Area, AreaKind, Building, Household

AnyUser = User | AnonymousUser

#: Latest a slot may start, counted from now (seconds): bookings up to 30 days ahead.
MAX_SLOT_AHEAD_S = 30 * 24 * 3600
MAX_NOTE = 200
MAX_COMPLETION_NOTE = 2000
MAX_PHOTOS = 9


def cancel_before_slot_s() -> int:
    """Seconds before a slot after which residents can no longer cancel (setting)."""
    return int(getattr(settings, "ORDERS_CANCEL_BEFORE_SLOT_S", 2 * 3600))


# --- who and where ----------------------------------------------------------------------


def order_channel(*, user: AnyUser, resident: Resident) -> str:
    """How ``user`` may order for ``resident``: ``self``, ``family`` or ``staff``.

    Raises:
        ValidationError: the user is anonymous, has no consent link to the resident, or is
            staff without the resident's area.
    """
    if not user.is_authenticated:
        raise ValidationError("请先登录")
    account = account_of(user)
    if account is not None:
        if account.resident_id == resident.pk:
            return OrderChannel.SELF
        if residents_actable_by(user).filter(pk=resident.pk).exists():
            return OrderChannel.FAMILY
        raise ValidationError("您没有为该居民下单的授权（需要对方同意的家属关联）")
    paths = area_paths(user)
    if paths is None:
        return OrderChannel.STAFF
    home = resident.household
    area_path = home.building.micro_grid.path if home is not None else resident.area.path
    if area_path and any(area_path.startswith(p) for p in paths):
        return OrderChannel.STAFF
    raise ValidationError("该居民不在您负责的区域内，不能代为下单")


def community_of(area: Area) -> Area | None:
    """The community above (or at) ``area``; ``None`` if it is above community level."""
    node: Area | None = area
    while node is not None and node.kind != AreaKind.COMMUNITY:
        node = node.parent
    return node


def _address(*, resident: Resident, building: Building | None) -> tuple[Household | None, Building]:
    """The household and building an order goes to: the resident's home by default.

    Raises:
        ValidationError: no household and no building; a building outside the resident's
            community; a building without coordinates.
    """
    home: Household | None = resident.household if resident.household_id else None
    if building is None:
        if home is None:
            raise ValidationError("该居民没有登记住址，请选择服务地址")
        building = home.building
    elif home is not None and building.pk != home.building_id:
        own = community_of(home.building.micro_grid)
        there = community_of(building.micro_grid)
        if own is None or there is None or own.pk != there.pk:
            raise ValidationError("服务地址不在本社区服务范围内")
        home = None
    if building.lat is None or building.lng is None:
        raise ValidationError(f"{building.name}没有登记坐标，无法派单")
    return home, building


def _slot(
    *,
    service_type: ServiceType,
    slot_start: dt.datetime | None,
    slot_end: dt.datetime | None,
    now: dt.datetime,
) -> tuple[dt.datetime | None, dt.datetime | None]:
    if slot_start is None:
        if slot_end is not None:
            raise ValidationError("请填写预约开始时间")
        if service_type.mode == ServiceMode.SCHEDULED:
            raise ValidationError(f"“{service_type.name}”需要预约时间")
        return None, None
    if service_type.mode == ServiceMode.ON_DEMAND:
        raise ValidationError(f"“{service_type.name}”只提供即时服务，不能预约时段")
    if timezone.is_naive(slot_start) or (slot_end is not None and timezone.is_naive(slot_end)):
        raise ValidationError("预约时间缺少时区")
    if slot_start <= now:
        raise ValidationError("预约时间已过，请选择以后的时间")
    if (slot_start - now).total_seconds() > MAX_SLOT_AHEAD_S:
        raise ValidationError("最多只能预约 30 天以内的时间")
    if slot_end is None:
        slot_end = slot_start + dt.timedelta(hours=1)
    if slot_end <= slot_start:
        raise ValidationError("预约结束时间必须晚于开始时间")
    return slot_start, slot_end


def _variant(service_type: ServiceType, variant: str) -> str:
    codes = [str(v.get("code")) for v in service_type.variants or [] if isinstance(v, dict)]
    if not variant:
        return codes[0] if codes else ""
    if variant not in codes:
        raise ValidationError(f"“{service_type.name}”没有“{variant}”这种服务形式")
    return variant


def quote_data(q: ServiceQuote) -> dict[str, Any]:
    """The parts of a quote kept on the order (JSON): reason, tier, rules and subsidies."""
    return {
        "reason": q.reason,
        "tier": q.tier,
        "scheme": q.scheme_code,
        "rules": [
            {"name": r.name, "passed": r.passed, "explanation": r.explanation} for r in q.rules
        ],
        "subsidies": [
            {"source": s.source, "amount_fen": s.amount_fen, "reason": s.reason}
            for s in q.subsidies
        ],
    }


def order_number_next(day: dt.date) -> str:
    """``FW20261129-0001``: local date and a daily sequence (locked until commit)."""
    prefix = f"FW{day:%Y%m%d}"
    OrderNumberSequence.objects.get_or_create(prefix=prefix)
    seq = OrderNumberSequence.objects.select_for_update().get(prefix=prefix)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"{prefix}-{seq.last:04d}"


def event_write(
    *,
    order: Order,
    action: str,
    at: dt.datetime,
    actor: AnyUser | None = None,
    worker: Worker | None = None,
    from_status: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    """One :class:`OrderEvent` (``to_status`` is the order's status as it is now)."""
    return OrderEvent.objects.create(
        order=order,
        action=action,
        from_status=from_status,
        to_status=order.status,
        at=at,
        actor=actor if isinstance(actor, User) else None,
        worker=worker,
        note=note,
        data=data or {},
    )


# --- placing ----------------------------------------------------------------------------


def _quote(*, service_type: ServiceType, resident: Resident, on: dt.datetime) -> ServiceQuote:
    try:
        return service_quote(
            service_type=service_type, resident=resident, on=timezone.localdate(on)
        )
    except EligibilityError as error:
        raise ValidationError(str(error)) from error


def order_quote(
    *, service_type: ServiceType, resident: Resident, slot_start: dt.datetime | None = None
) -> ServiceQuote:
    """The quote shown before confirming: priced on the slot's local date, or today.

    Raises:
        ValidationError: the service is inactive or its eligibility scheme cannot price.
    """
    return _quote(service_type=service_type, resident=resident, on=slot_start or timezone.now())


@transaction.atomic
def order_place(
    *,
    service_type: ServiceType,
    resident: Resident,
    placed_by: AnyUser,
    variant: str = "",
    slot_start: dt.datetime | None = None,
    slot_end: dt.datetime | None = None,
    building: Building | None = None,
    workers_needed: int | None = None,
    note: str = "",
    expected_price_fen: int | None = None,
    now: dt.datetime | None = None,
) -> Order:
    """Place an order in state ``placed`` (no worker yet; see :func:`dispatching.dispatch`).

    Args:
        placed_by: the resident, a consenting family member, or staff (:func:`order_channel`).
        slot_start / slot_end: a time-slot booking (tz-aware; the end defaults to one hour
            later); both empty for an immediate order.
        building: another address in the resident's community; default their household.
        workers_needed: crew size, default the service's; at most ``workers_max``.
        expected_price_fen: the price the user confirmed; if the quote now differs the
            order is refused so the user sees the new price first.

    Raises:
        ValidationError: inactive service, unknown variant, immediate/slot not offered,
            slot in the past or more than 30 days ahead, no consent or area, address
            outside the community, crew too large, price changed, note too long.
    """
    now = now or timezone.now()
    if not service_type.active:
        raise ValidationError(f"服务“{service_type.name}”已停用")
    channel = order_channel(user=placed_by, resident=resident)
    variant = _variant(service_type, variant)
    slot_start, slot_end = _slot(
        service_type=service_type, slot_start=slot_start, slot_end=slot_end, now=now
    )
    household, building = _address(resident=resident, building=building)
    crew = service_type.workers_needed if workers_needed is None else workers_needed
    if not 1 <= crew <= service_type.workers_max:
        raise ValidationError(f"“{service_type.name}”最多需要 {service_type.workers_max} 人")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ValidationError(f"备注最多 {MAX_NOTE} 字")
    quoted = _quote(service_type=service_type, resident=resident, on=slot_start or now)
    if expected_price_fen is not None and expected_price_fen != quoted.price_fen:
        raise ValidationError(f"价格已变为 {quoted.price_text}，请确认后再下单")
    address = building.name if household is None else str(household)
    order = Order.objects.create(
        number=order_number_next(timezone.localdate(now)),
        service_type=service_type,
        variant=variant,
        resident=resident,
        household=household,
        building=building,
        area=building.micro_grid,
        address=address[:200],
        lat=float(building.lat or 0),
        lng=float(building.lng or 0),
        placed_by=placed_by if isinstance(placed_by, User) else None,
        channel=channel,
        slot_start=slot_start,
        slot_end=slot_end,
        workers_needed=crew,
        duration_s=service_type.default_duration_s,
        status=OrderStatus.PLACED,
        price_fen=quoted.price_fen,
        subsidy_fen=quoted.subsidy_fen,
        quote=quote_data(quoted),
        note=note,
        placed_at=now,
    )
    event_write(
        order=order,
        action=OrderAction.PLACE,
        at=now,
        actor=placed_by,
        data={"channel": channel, "price_fen": quoted.price_fen},
    )
    return order


# --- locking and holders ----------------------------------------------------------------


def locked(order: Order) -> Order:
    """``order`` re-read under a row lock (``SELECT … FOR UPDATE`` on PostgreSQL)."""
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("service_type")
        .get(pk=order.pk)
    )


def held_offer(order: Order, worker: Worker) -> Offer:
    """The accepted offer by which ``worker`` holds ``order``.

    Raises:
        ValidationError: the worker does not hold the order.
    """
    offer = Offer.objects.filter(order=order, worker=worker, status=OfferStatus.ACCEPTED).first()
    if offer is None:
        raise ValidationError("您没有承接此订单")
    return offer


def _advance(
    *,
    order: Order,
    worker: Worker,
    to: str,
    allowed: Sequence[str],
    action: str,
    stamp: str,
    now: dt.datetime | None,
    note: str = "",
) -> Order:
    now = now or timezone.now()
    with transaction.atomic():
        order = locked(order)
        held_offer(order, worker)
        if order.status == to:
            return order  # a repeated tap (a slow phone network) changes nothing
        if order.status not in allowed:
            raise ValidationError(
                f"订单当前为“{order.get_status_display()}”，不能{OrderAction(action).label}"
            )
        before = order.status
        order.status = to
        setattr(order, stamp, now)
        order.save(update_fields=["status", stamp, "updated_at"])
        event_write(
            order=order,
            action=action,
            at=now,
            actor=worker.user,
            worker=worker,
            from_status=before,
            note=note,
        )
    return order


def order_en_route(*, order: Order, worker: Worker, now: dt.datetime | None = None) -> Order:
    """The worker sets off (``accepted`` → ``en_route``).

    Raises:
        ValidationError: the worker does not hold the order, or it is not accepted.
    """
    return _advance(
        order=order,
        worker=worker,
        to=OrderStatus.EN_ROUTE,
        allowed=[OrderStatus.ACCEPTED],
        action=OrderAction.EN_ROUTE,
        stamp="en_route_at",
        now=now,
    )


def order_arrive(*, order: Order, worker: Worker, now: dt.datetime | None = None) -> Order:
    """The worker is at the door (``accepted``/``en_route`` → ``arrived``); the first
    arrival of a crew sets ``arrived_at``, the headline measure.

    Raises:
        ValidationError: the worker does not hold the order, or it is not under way.
    """
    return _advance(
        order=order,
        worker=worker,
        to=OrderStatus.ARRIVED,
        allowed=[OrderStatus.ACCEPTED, OrderStatus.EN_ROUTE],
        action=OrderAction.ARRIVE,
        stamp="arrived_at",
        now=now,
    )


def order_start(*, order: Order, worker: Worker, now: dt.datetime | None = None) -> Order:
    """Service begins (``arrived`` → ``in_service``).

    Raises:
        ValidationError: the worker does not hold the order, or has not arrived.
    """
    return _advance(
        order=order,
        worker=worker,
        to=OrderStatus.IN_SERVICE,
        allowed=[OrderStatus.ARRIVED],
        action=OrderAction.START,
        stamp="started_at",
        now=now,
    )


def order_complete(
    *,
    order: Order,
    worker: Worker,
    note: str = "",
    photos: Sequence[UploadedFile | bytes] = (),
    now: dt.datetime | None = None,
) -> Order:
    """Service done (``arrived``/``in_service`` → ``completed``) with notes and photos.

    Photos (≤ 9; JPEG/PNG/WebP ≤ 10 MB) are checked before anything is written and kept
    only as re-encoded copies without EXIF (:func:`linli.cases.photos.photo_check`).

    Raises:
        ValidationError: not held, wrong state, note over 2,000 characters, too many or
            unreadable photos.
    """
    from linli.cases.errors import CaseInputError
    from linli.cases.photos import photo_check

    now = now or timezone.now()
    note = note.strip()
    if len(note) > MAX_COMPLETION_NOTE:
        raise ValidationError(f"服务记录最多 {MAX_COMPLETION_NOTE} 字")
    if len(photos) > MAX_PHOTOS:
        raise ValidationError(f"最多上传 {MAX_PHOTOS} 张照片")
    try:
        checked = [photo_check(p) for p in photos]
    except CaseInputError as error:
        raise ValidationError(str(error)) from error
    with transaction.atomic():
        order = _advance(
            order=order,
            worker=worker,
            to=OrderStatus.COMPLETED,
            allowed=[OrderStatus.ARRIVED, OrderStatus.IN_SERVICE],
            action=OrderAction.COMPLETE,
            stamp="completed_at",
            now=now,
            note=note,
        )
        workers_release(order)
        if note and order.completion_note != note:
            order.completion_note = note
            order.save(update_fields=["completion_note"])
        for photo in checked:
            row = OrderPhoto(order=order, uploaded_by=worker.user, uploaded_at=now)
            row.image.save(
                f"{order.number}.{photo.extension}", ContentFile(photo.public), save=False
            )
            row.save()
    return order


def workers_release(order: Order, *, keep: Worker | None = None) -> None:
    """Set back to 空闲 every worker of ``order`` (but ``keep``) who is 服务中 and holds no
    other open order (after completion, cancellation, giving up or a hand-over; call inside
    the transaction)."""
    from linli.orders.models import WorkerStatus

    busy = Worker.objects.filter(offers__order=order, status=WorkerStatus.BUSY).distinct()
    if keep is not None:
        busy = busy.exclude(pk=keep.pk)
    for worker in busy:
        still = (
            Offer.objects.filter(worker=worker, status=OfferStatus.ACCEPTED)
            .exclude(order=order)
            .exclude(order__status__in=FINAL_STATUSES)
            .exists()
        )
        if not still:
            Worker.objects.filter(pk=worker.pk).update(status=WorkerStatus.AVAILABLE)


# --- cancelling -------------------------------------------------------------------------


def cancel_check(*, order: Order, by_staff: bool, now: dt.datetime) -> None:
    """Raise ``ValidationError`` unless the order may be cancelled now (module docstring)."""
    if order.status in FINAL_STATUSES:
        raise ValidationError(f"订单{order.get_status_display()}，不能取消")
    if by_staff:
        if order.status == OrderStatus.IN_SERVICE:
            raise ValidationError("服务正在进行中，不能取消")
        return
    if order.status not in (OrderStatus.PLACED, OrderStatus.ASSIGNED, OrderStatus.ACCEPTED):
        raise ValidationError("服务人员已在路上，如需取消请联系社区")
    if (
        order.status == OrderStatus.ACCEPTED
        and order.slot_start is not None
        and (order.slot_start - now).total_seconds() < cancel_before_slot_s()
    ):
        hours = cancel_before_slot_s() // 3600
        raise ValidationError(f"预约开始前 {hours} 小时内不能自行取消，请联系社区")


@transaction.atomic
def order_cancel(
    *, order: Order, actor: AnyUser, reason: str = "", now: dt.datetime | None = None
) -> Order:
    """Cancel an open order; every pending or accepted offer is withdrawn.

    ``actor`` is the resident or a consenting family member (rules above), or staff of
    the order's area (a reason is required).

    Raises:
        ValidationError: not allowed for this actor, too late, or no reason from staff.
    """
    now = now or timezone.now()
    order = locked(order)
    channel = order_channel(user=actor, resident=order.resident)
    by_staff = channel == OrderChannel.STAFF
    reason = reason.strip()
    if by_staff and not reason:
        raise ValidationError("工作人员取消订单需填写原因")
    if len(reason) > MAX_NOTE:
        raise ValidationError(f"原因最多 {MAX_NOTE} 字")
    cancel_check(order=order, by_staff=by_staff, now=now)
    before = order.status
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = now
    order.cancel_reason = reason
    order.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    Offer.objects.filter(
        order=order, status__in=[OfferStatus.PENDING, OfferStatus.ACCEPTED]
    ).update(status=OfferStatus.WITHDRAWN, responded_at=now)
    workers_release(order)
    event_write(
        order=order,
        action=OrderAction.CANCEL,
        at=now,
        actor=actor,
        from_status=before,
        note=reason,
    )
    return order


# --- rating and complaints --------------------------------------------------------------

#: A rating at or below this many stars, with a comment, files a complaint case.
COMPLAINT_STARS = 2
COMPLAINT_CATEGORY = "SQ11"


@transaction.atomic
def order_rate(
    *,
    order: Order,
    actor: AnyUser,
    stars: int,
    comment: str = "",
    complain: bool = False,
    now: dt.datetime | None = None,
) -> Order:
    """Rate a completed order once (1–5 stars); a complaint becomes a case.

    A complaint is filed when ``complain`` is set or the rating is at most
    :data:`COMPLAINT_STARS` with a comment: a case in category ``SQ11`` (养老服务投诉)
    through :func:`linli.cases.services.case_report`, about the resident, linked from
    ``order.complaint_case``.

    Raises:
        ValidationError: not completed, already rated, stars outside 1–5, the actor may
            not act for the resident, a complaint without a comment, comment too long.
    """
    now = now or timezone.now()
    order = locked(order)
    order_channel(user=actor, resident=order.resident)
    if order.status != OrderStatus.COMPLETED:
        raise ValidationError("服务完成后才能评价")
    if order.rating is not None:
        raise ValidationError("该订单已评价过")
    if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
        raise ValidationError("评分为 1 到 5 星")
    comment = comment.strip()
    if len(comment) > 500:
        raise ValidationError("评价最多 500 字")
    files_case = complain or (stars <= COMPLAINT_STARS and bool(comment))
    if files_case and not comment:
        raise ValidationError("投诉请写明遇到的问题")
    order.rating, order.rating_comment, order.rated_at = stars, comment, now
    order.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    event_write(order=order, action=OrderAction.RATE, at=now, actor=actor, data={"stars": stars})
    if files_case:
        case = complaint_file(order=order, actor=actor, comment=comment, now=now)
        order.complaint_case = case
        order.save(update_fields=["complaint_case"])
        event_write(
            order=order,
            action=OrderAction.COMPLAIN,
            at=now,
            actor=actor,
            note=comment,
            data={"case": case.number},
        )
    return order


def complaint_file(*, order: Order, actor: AnyUser, comment: str, now: dt.datetime) -> Any:
    """File the complaint about ``order`` as a grid case (the cases module's closed loop)."""
    from linli.cases.models import CaseCategory, CaseChannel
    from linli.cases.services import case_report

    category = CaseCategory.objects.get(code=COMPLAINT_CATEGORY)
    workers = "、".join(
        o.worker.name
        for o in order.offers.select_related("worker").filter(status=OfferStatus.ACCEPTED)
    )
    description = (
        f"服务订单 {order.number}（{order.service_type.name}，{order.get_channel_display()}）"
        f"评分 {order.rating} 星。服务人员：{workers or '无'}。居民反映：{comment}"
    )
    return case_report(
        category=category,
        description=description,
        channel=CaseChannel.RESIDENT,
        reporter=actor if isinstance(actor, User) else None,
        building=order.building,
        household=order.household,
        subject_resident=order.resident,
        now=now,
    )


def order_events(order: Order) -> list[OrderEvent]:
    """The order's history, oldest first, with actors and workers (one query)."""
    return list(order.events.select_related("actor", "worker").order_by("at", "pk"))
