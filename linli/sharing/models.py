"""Shared resources: off-peak parking sharing (错峰共享停车) and venue booking (场地预约).

Parking: a community's :class:`ParkingLot` holds :class:`ParkingSpace` rows, each owned by
a resident or by the community. Owners publish weekly :class:`SpaceWindow` rows when their
space is free; neighbours book (:class:`Booking`) a registered :class:`Vehicle` into a
space inside a window. The barrier camera asks the gate API whether a plate may enter
(:mod:`linli.sharing.gate`); its answers are kept as :class:`GateEvent` rows.

Venues: :class:`linli.activities.models.Venue` (community rooms, the canteen hall outside
meals, enterprise spaces outside production hours) with a :class:`VenueBookingRule` become
bookable; :class:`VenueBooking` rows wait for approval where the rule says so.

No two live bookings overlap on one space or venue: on PostgreSQL an exclusion constraint
(migration ``0002``) over ``tstzrange(starts_at, ends_at)``; on SQLite the booking
service checks inside an ``IMMEDIATE`` transaction (the write lock is taken first).
Times are stored in UTC; windows are local wall-clock times (Asia/Shanghai).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from linli.activities.models import Venue
from linli.common.models import TimeStamped
from linli.orgs.models import Organization
from linli.people.models import Resident
from linli.places.models import Area

WEEKDAYS = [
    (0, "周一"),
    (1, "周二"),
    (2, "周三"),
    (3, "周四"),
    (4, "周五"),
    (5, "周六"),
    (6, "周日"),
]


class ParkingLot(TimeStamped):
    """A parking lot (停车场) with a barrier gate.

    Pricing rule (per lot; the community sets it — the report gives no price list):
    ``fen_per_hour`` charged per started ``billing_unit_minutes``, at most
    ``daily_cap_fen`` per local calendar day (0 = no cap). ``grace_minutes``: the gate
    lets a booked car in that long before its booking starts, a booking with no arrival
    that long after its start is a no-show, and a car leaving within it after the end is
    not overstaying. ``gate_key_hash``: SHA-256 of the key the barrier camera sends.
    """

    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="parking_lots", verbose_name="社区"
    )
    code = models.SlugField("停车场代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    address = models.CharField("位置", max_length=200, blank=True)
    fen_per_hour = models.PositiveIntegerField("每小时价格（分）", default=500)
    billing_unit_minutes = models.PositiveSmallIntegerField("计费单位（分钟）", default=30)
    daily_cap_fen = models.PositiveIntegerField("每日封顶（分）", default=0)
    grace_minutes = models.PositiveSmallIntegerField("宽限时间（分钟）", default=15)
    gate_key_hash = models.CharField(max_length=64, blank=True, editable=False)
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords(verbose_name="变更记录", excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "停车场"
        verbose_name_plural = "停车场"
        ordering = ["area__path", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(billing_unit_minutes__gte=1), name="lot_billing_unit"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SpaceKind(models.TextChoices):
    SMART = "smart", "智慧车位（地锁/车位检测）"
    PLAIN = "plain", "普通车位"


class ParkingSpace(TimeStamped):
    """One space in a lot. ``owner`` is the resident who owns or rents it long-term;
    empty for community-managed spaces (the community publishes their windows)."""

    lot = models.ForeignKey(
        ParkingLot, on_delete=models.CASCADE, related_name="spaces", verbose_name="停车场"
    )
    number = models.CharField("车位号", max_length=20)
    owner = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="parking_spaces",
        verbose_name="车位所有人",
    )
    kind = models.CharField("类型", max_length=8, choices=SpaceKind.choices)
    active = models.BooleanField("可用", default=True)
    history = HistoricalRecords(verbose_name="变更记录", excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "车位"
        verbose_name_plural = "车位"
        ordering = ["lot", "number"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "number"], name="space_number_once"),
        ]

    def __str__(self) -> str:
        return f"{self.lot.name} {self.number}"


class SpaceWindow(models.Model):
    """A weekly window when the space is free for others: ``weekday`` 0 = Monday,
    local times, ``end`` after ``start`` (a window over midnight is two rows)."""

    space = models.ForeignKey(
        ParkingSpace, on_delete=models.CASCADE, related_name="windows", verbose_name="车位"
    )
    weekday = models.PositiveSmallIntegerField("星期", choices=WEEKDAYS)
    start = models.TimeField("开始")
    end = models.TimeField("结束")

    class Meta:
        verbose_name = "共享时段"
        verbose_name_plural = "共享时段"
        ordering = ["space", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="space_window_order"
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="space_window_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class Vehicle(TimeStamped):
    """A resident's vehicle; ``plate`` normalised and validated by
    :func:`linli.sharing.plates.parse` (unique: one plate, one owner)."""

    owner = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="vehicles", verbose_name="车主"
    )
    plate = models.CharField("车牌号", max_length=10, unique=True)
    new_energy = models.BooleanField("新能源", default=False)
    note = models.CharField("车型颜色", max_length=50, blank=True)

    class Meta:
        verbose_name = "车辆"
        verbose_name_plural = "车辆"
        ordering = ["plate"]

    def __str__(self) -> str:
        return self.plate


class BookingStatus(models.TextChoices):
    BOOKED = "booked", "已预约"
    PARKED = "parked", "已入场"
    COMPLETED = "completed", "已离场"
    CANCELLED = "cancelled", "已取消"
    NO_SHOW = "no_show", "未到场"


#: Bookings that hold their time on the space (the exclusion constraint's WHERE clause).
LIVE_BOOKING = (BookingStatus.BOOKED, BookingStatus.PARKED, BookingStatus.COMPLETED)

BOOKING_TRANSITIONS: dict[str, set[str]] = {
    BookingStatus.BOOKED: {BookingStatus.PARKED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW},
    BookingStatus.PARKED: {BookingStatus.COMPLETED},
    BookingStatus.COMPLETED: set(),
    BookingStatus.CANCELLED: set(),
    BookingStatus.NO_SHOW: set(),
}


class Booking(TimeStamped):
    """A booking of a shared space for one vehicle, ``starts_at`` → ``ends_at``.

    ``plate`` is copied from the vehicle (the gate looks bookings up by plate and time).
    ``price_fen`` by the lot's rule when booked; ``arrived_at`` / ``left_at`` from the
    gate; ``overstay_minutes`` beyond ``ends_at`` + grace, charged ``overstay_fen`` at the
    same rule.
    """

    space = models.ForeignKey(
        ParkingSpace, on_delete=models.PROTECT, related_name="bookings", verbose_name="车位"
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="bookings", verbose_name="车辆"
    )
    plate = models.CharField("车牌号", max_length=10)
    booker = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="parking_bookings", verbose_name="预约人"
    )
    starts_at = models.DateTimeField("开始")
    ends_at = models.DateTimeField("结束")
    status = models.CharField(
        "状态", max_length=10, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    price_fen = models.PositiveIntegerField("费用（分）")
    arrived_at = models.DateTimeField("入场时间", null=True, blank=True)
    left_at = models.DateTimeField("离场时间", null=True, blank=True)
    overstay_minutes = models.PositiveIntegerField("超时（分钟）", default=0)
    overstay_fen = models.PositiveIntegerField("超时费用（分）", default=0)

    class Meta:
        verbose_name = "停车预约"
        verbose_name_plural = "停车预约"
        ordering = ["-starts_at"]
        indexes = [
            models.Index(fields=["plate", "starts_at"]),
            models.Index(fields=["space", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="booking_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plate} {self.space}"


class BookingEvent(models.Model):
    """An immutable step of a booking (who, when, from → to, note)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "预约记录"
        verbose_name_plural = "预约记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.booking} → {self.to_status}"


class GateDirection(models.TextChoices):
    IN = "in", "入场"
    OUT = "out", "出场"


class GateEvent(models.Model):
    """A barrier camera's question and the answer given (kept for occupancy and audit)."""

    lot = models.ForeignKey(ParkingLot, on_delete=models.CASCADE, related_name="gate_events")
    plate = models.CharField("车牌号", max_length=10)
    at = models.DateTimeField("时间")
    direction = models.CharField("方向", max_length=3, choices=GateDirection.choices)
    allowed = models.BooleanField("放行")
    reason = models.CharField("原因", max_length=100)
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="gate_events"
    )

    class Meta:
        verbose_name = "道闸记录"
        verbose_name_plural = "道闸记录"
        ordering = ["-at"]
        indexes = [models.Index(fields=["lot", "at"])]

    def __str__(self) -> str:
        return f"{self.plate} {self.get_direction_display()}"


# ---------------------------------------------------------------- venues (场地预约)


class VenueBookers(models.TextChoices):
    RESIDENTS = "residents", "本社区居民"
    ENTERPRISES = "enterprises", "辖区单位"
    BOTH = "both", "居民和辖区单位"


class VenueBookingRule(models.Model):
    """Makes a venue bookable: who may book, whether staff approve, the longest booking.
    Availability is the venue's own windows (:class:`linli.activities.models.VenueWindow`)."""

    venue = models.OneToOneField(
        Venue, on_delete=models.CASCADE, related_name="booking_rule", verbose_name="场地"
    )
    bookers = models.CharField(
        "可预约对象", max_length=12, choices=VenueBookers.choices, default=VenueBookers.BOTH
    )
    needs_approval = models.BooleanField("需审批", default=True)
    max_hours = models.PositiveSmallIntegerField("单次最长（小时）", default=4)
    advance_days = models.PositiveSmallIntegerField("最多提前（天）", default=30)

    class Meta:
        verbose_name = "场地预约规则"
        verbose_name_plural = "场地预约规则"

    def __str__(self) -> str:
        return f"{self.venue} 预约规则"


class VenueBookingStatus(models.TextChoices):
    REQUESTED = "requested", "待审批"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "未通过"
    CANCELLED = "cancelled", "已取消"


#: Venue bookings that hold their time (pending ones too: first come, first served).
LIVE_VENUE_BOOKING = (VenueBookingStatus.REQUESTED, VenueBookingStatus.APPROVED)


class VenueBooking(TimeStamped):
    """A booking of a venue by a resident or an organisation (``booked_by`` is the account).

    ``attendees`` at most the venue's capacity; ``starts_at`` → ``ends_at`` inside one of
    the venue's windows and clear of other live bookings and of activity sessions there.
    """

    venue = models.ForeignKey(
        Venue, on_delete=models.PROTECT, related_name="bookings", verbose_name="场地"
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="预约账号"
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="预约居民"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="预约单位"
    )
    purpose = models.CharField("用途", max_length=100)
    attendees = models.PositiveIntegerField("人数")
    starts_at = models.DateTimeField("开始")
    ends_at = models.DateTimeField("结束")
    status = models.CharField(
        "状态",
        max_length=10,
        choices=VenueBookingStatus.choices,
        default=VenueBookingStatus.REQUESTED,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="venue_bookings_decided",
        verbose_name="审批人",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    reason = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "场地预约"
        verbose_name_plural = "场地预约"
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["venue", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="venue_booking_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.venue} {self.purpose}"


class VenueBookingEvent(models.Model):
    """An immutable step of a venue booking."""

    booking = models.ForeignKey(VenueBooking, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "场地预约记录"
        verbose_name_plural = "场地预约记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.booking} → {self.to_status}"
