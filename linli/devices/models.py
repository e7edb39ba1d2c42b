"""The device registry and the events devices send (docs/devices.md).

* :class:`Gateway` — a vendor gateway in one community that signs HTTP batches with its
  own HMAC key (stored encrypted: it must be readable to verify signatures).
* :class:`Device` — a door reader, door sensor, meter, SOS button, smoke or motion detector,
  bound to a household (and optionally a resident and a building).
* :class:`DeviceEvent` — one event. On PostgreSQL the table is partitioned by month on
  ``ts`` (migration 0002, :mod:`linli.devices.partitions`); the idempotency key is
  ``(device, ts, event_id)`` on both databases because a unique key of a partitioned table
  must contain the partition key.
* :class:`DeadLetter` — a message or event that could not be stored, with the reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from linli.common.models import TimeStamped
from linli.places.models import Area, AreaKind, Building, Household


class DeviceKind(models.TextChoices):
    DOOR_ACCESS = "door_access", "楼栋门禁"
    DOOR_SENSOR = "door_sensor", "户门磁"
    WATER_METER = "water_meter", "智能水表"
    POWER_METER = "power_meter", "智能电表"
    SOS_BUTTON = "sos_button", "紧急呼叫按钮"
    SMOKE_DETECTOR = "smoke_detector", "烟感报警器"
    MOTION = "motion", "人体感应"


class EventKind(models.TextChoices):
    DOOR_OPEN = "door_open", "开门"
    DOOR_CLOSE = "door_close", "关门"
    WATER = "water", "用水读数"
    POWER = "power", "用电读数"
    SOS = "sos", "紧急呼叫"
    SMOKE = "smoke", "烟雾报警"
    MOTION = "motion", "有人活动"


#: Which event kinds each device kind may send; anything else is rejected.
EVENT_KINDS_BY_DEVICE: dict[str, frozenset[str]] = {
    DeviceKind.DOOR_ACCESS: frozenset({EventKind.DOOR_OPEN, EventKind.DOOR_CLOSE}),
    DeviceKind.DOOR_SENSOR: frozenset({EventKind.DOOR_OPEN, EventKind.DOOR_CLOSE}),
    DeviceKind.WATER_METER: frozenset({EventKind.WATER}),
    DeviceKind.POWER_METER: frozenset({EventKind.POWER}),
    DeviceKind.SOS_BUTTON: frozenset({EventKind.SOS}),
    DeviceKind.SMOKE_DETECTOR: frozenset({EventKind.SMOKE}),
    DeviceKind.MOTION: frozenset({EventKind.MOTION}),
}
#: Event kinds that carry a cumulative meter reading in ``value`` (litres, watt-hours).
METER_EVENT_KINDS = frozenset({EventKind.WATER, EventKind.POWER})


class Gateway(TimeStamped):
    """A vendor gateway of one community; signs HTTP batches with HMAC-SHA256.

    ``secret_encrypted`` is the shared key encrypted with :func:`linli.common.pii.encrypt`
    (it has to be decrypted to verify a signature, so a hash would not do). Created by
    :func:`linli.devices.services.gateway_create`, which returns the plain key once.
    """

    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="gateways",
        verbose_name="所属社区",
        limit_choices_to={"kind": AreaKind.COMMUNITY},
    )
    name = models.CharField("名称", max_length=100)
    key_id = models.SlugField("网关标识", max_length=64, unique=True)
    secret_encrypted = models.TextField("签名密钥（密文）", editable=False)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "网关"
        verbose_name_plural = "网关"
        ordering = ["area__path", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.key_id}）"


class Device(TimeStamped):
    """A device bound to a household; ``external_id`` is the vendor's id, unique per vendor."""

    kind = models.CharField("类型", max_length=20, choices=DeviceKind.choices)
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="devices", verbose_name="户"
    )
    resident = models.ForeignKey(
        "people.Resident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name="关联居民",
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name="所在楼栋（楼栋门禁）",
    )
    vendor = models.CharField("厂商", max_length=50)
    model = models.CharField("型号", max_length=50, blank=True)
    external_id = models.CharField("设备编号", max_length=64)
    gateway = models.ForeignKey(
        Gateway,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name="网关",
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "设备"
        verbose_name_plural = "设备"
        ordering = ["household", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "external_id"], name="device_unique_external_id"
            )
        ]
        indexes = [models.Index(fields=["external_id"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.vendor}/{self.external_id}"


class DeviceEvent(models.Model):
    """One event from a device. ``value``: cumulative litres (water) or watt-hours (power).

    ``ts`` is the device's time (UTC, timezone-aware); ``received_at`` the server's.
    Never edited; rows older than ``DEVICES_RETENTION_MONTHS`` are dropped with their
    monthly partition (:func:`linli.devices.partitions.retention_apply`).
    """

    # No index of its own: the idempotency key (device, ts, event_id) starts with it.
    device = models.ForeignKey(
        Device,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name="设备",
        db_index=False,
    )
    event_id = models.CharField("事件编号", max_length=64)
    ts = models.DateTimeField("发生时间")
    kind = models.CharField("类型", max_length=12, choices=EventKind.choices)
    value = models.FloatField("读数", null=True, blank=True)
    received_at = models.DateTimeField("接收时间")

    class Meta:
        verbose_name = "设备事件"
        verbose_name_plural = "设备事件"
        ordering = ["-ts"]
        # One index serves both idempotency and "this device's events in a time range"
        # (each extra index on the events table costs about a third of the insert rate).
        constraints = [
            models.UniqueConstraint(
                fields=["device", "ts", "event_id"], name="device_event_idempotency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.kind} {self.ts:%Y-%m-%d %H:%M:%S}"


class Channel(models.TextChoices):
    MQTT = "mqtt", "MQTT"
    HTTP = "http", "HTTP"


class DeadLetter(models.Model):
    """A message or event that was not stored: ``code`` for machines, ``reason`` in Chinese.

    ``source`` is the MQTT topic or the gateway key id; ``payload`` the raw text, cut to
    ``DEVICES_DEAD_LETTER_MAX_CHARS`` characters.
    """

    received_at = models.DateTimeField("接收时间", db_index=True)
    channel = models.CharField("通道", max_length=4, choices=Channel.choices)
    source = models.CharField("主题/网关", max_length=200)
    payload = models.TextField("原始内容")
    code = models.CharField("错误代码", max_length=40, db_index=True)
    reason = models.CharField("原因", max_length=300)

    class Meta:
        verbose_name = "无法入库的消息"
        verbose_name_plural = "无法入库的消息"
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M:%S} {self.code}"


class MonitoringConsent(models.Model):
    """A household's recorded consent to device monitoring (PIPL arts. 14, 28, 29).

    Monitoring a home (door sensors, water meters, alarms) processes sensitive personal
    information, so staff record who consented, when, for which device kinds
    (``kinds``: list of :class:`DeviceKind` values, empty = all) and on what evidence (a
    signed paper form's number). ``withdrawn_at`` ends it; events from a household without
    an active consent are listed by ``linli privacy check`` (docs/privacy.md); alerts still
    flow, since dropping a fall alarm for a missing form would endanger the person.
    """

    household = models.ForeignKey(
        Household,
        on_delete=models.CASCADE,
        related_name="monitoring_consents",
        verbose_name="户",
    )
    given_by = models.ForeignKey(
        "people.Resident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="同意人",
    )
    given_by_relation = models.CharField(
        "同意人身份", max_length=30, help_text="本人、监护人、子女等"
    )
    kinds = models.JSONField("设备类型", default=list, blank=True)
    given_at = models.DateTimeField("同意时间")
    evidence = models.CharField("凭证", max_length=100, blank=True, help_text="纸质同意书编号等")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="登记人",
    )
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)

    class Meta:
        verbose_name = "设备监测同意"
        verbose_name_plural = "设备监测同意"
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"{self.household} 设备监测同意（{self.given_by_relation}）"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None
