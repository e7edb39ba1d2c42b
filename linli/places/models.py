"""The place registry: the Area tree, buildings, households and facilities (一标三实)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from linli.common.models import TimeStamped


class AreaKind(models.TextChoices):
    CITY = "city", "市"
    DISTRICT = "district", "区（县）"
    STREET = "street", "街道"
    COMMUNITY = "community", "社区"
    GRID = "grid", "网格"
    MICRO_GRID = "micro_grid", "微网格"


#: Kind → (allowed parent kind, code length). Codes after GB/T 2260 (6-digit county) +
#: 3 digits street + 3 community + 3 grid + 2 micro-grid; city and district use 6 digits.
AREA_RULES: dict[str, tuple[str | None, int]] = {
    AreaKind.CITY: (None, 6),
    AreaKind.DISTRICT: (AreaKind.CITY, 6),
    AreaKind.STREET: (AreaKind.DISTRICT, 9),
    AreaKind.COMMUNITY: (AreaKind.STREET, 12),
    AreaKind.GRID: (AreaKind.COMMUNITY, 15),
    AreaKind.MICRO_GRID: (AreaKind.GRID, 17),
}
AREA_DEPTH = {kind: depth for depth, kind in enumerate(AREA_RULES)}


class Area(TimeStamped):
    """A node of city → district → street → community → grid → micro_grid.

    ``path`` is the materialised chain of codes (``/640100/640106/640106001/``) so that
    "everything under this area" is one indexed ``LIKE 'prefix%'`` query; it is set by
    :func:`linli.places.services.area_create` and never edited by hand.
    ``boundary`` is an optional GeoJSON Polygon/MultiPolygon geometry in WGS-84.
    """

    code = models.CharField("代码", max_length=17, unique=True)
    kind = models.CharField("层级", max_length=12, choices=AreaKind.choices)
    name = models.CharField("名称", max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上级",
    )
    path = models.CharField("路径", max_length=120, unique=True, editable=False)
    boundary = models.JSONField("边界（GeoJSON）", null=True, blank=True)

    class Meta:
        verbose_name = "区域"
        verbose_name_plural = "区域"
        ordering = ["path"]
        indexes = [models.Index(fields=["kind", "path"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def clean(self) -> None:
        parent_kind, length = AREA_RULES[self.kind]
        if len(self.code) != length or not self.code.isdigit():
            raise ValidationError({"code": f"{self.get_kind_display()}代码应为 {length} 位数字"})
        if parent_kind is None:
            if self.parent_id is not None:
                raise ValidationError({"parent": "市级区域没有上级"})
            return
        if self.parent is None or self.parent.kind != parent_kind:
            raise ValidationError(
                {"parent": f"{self.get_kind_display()}的上级必须是{AreaKind(parent_kind).label}"}
            )
        if self.kind != AreaKind.DISTRICT and not self.code.startswith(self.parent.code):
            raise ValidationError({"code": f"代码必须以上级代码 {self.parent.code} 开头"})

    def build_path(self) -> str:
        return (self.parent.path if self.parent else "/") + self.code + "/"


class BuildingKind(models.TextChoices):
    RESIDENTIAL = "residential", "住宅楼"
    APARTMENT = "apartment", "公寓"
    OFFICE = "office", "写字楼"
    COMPLEX = "complex", "商业综合体"
    FACTORY = "factory", "厂房"
    MIXED = "mixed", "商住混合"
    BUNGALOW = "bungalow", "平房/自建房"


class Building(TimeStamped):
    """A building (楼栋) in one micro-grid; location in WGS-84 degrees."""

    micro_grid = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="buildings",
        verbose_name="微网格",
        limit_choices_to={"kind": AreaKind.MICRO_GRID},
    )
    name = models.CharField("楼栋", max_length=50, help_text="如“3号楼”")
    kind = models.CharField("类型", max_length=12, choices=BuildingKind.choices)
    floors = models.PositiveSmallIntegerField("层数", default=6)
    address = models.CharField("标准地址", max_length=200, blank=True)
    lat = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = "楼栋"
        verbose_name_plural = "楼栋"
        ordering = ["micro_grid__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["micro_grid", "name"], name="building_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Household(TimeStamped):
    """A dwelling (户): building + unit + room. ``head`` is the householder (户主) if known."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="households", verbose_name="楼栋"
    )
    unit = models.CharField("单元", max_length=20, blank=True)
    room = models.CharField("房号", max_length=20)
    head = models.ForeignKey(
        "people.Resident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="户主",
    )

    class Meta:
        verbose_name = "户"
        verbose_name_plural = "户"
        ordering = ["building", "unit", "room"]
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "room"], name="household_unique")
        ]

    def __str__(self) -> str:
        unit = f"{self.unit}" if self.unit else ""
        return f"{self.building.name}{unit}{self.room}"


class FacilityKind(models.TextChoices):
    CANTEEN = "canteen", "社区食堂"
    PARCEL_LOCKER = "parcel_locker", "快递柜"
    CLINIC = "clinic", "卫生服务站"
    PHARMACY = "pharmacy", "药店"
    ACTIVITY_ROOM = "activity_room", "活动室"
    PARKING_LOT = "parking_lot", "停车场"
    SERVICE_STATION = "service_station", "服务站"
    ELDERLY_DAY_CARE = "elderly_day_care", "日间照料中心"


class Facility(TimeStamped):
    """A service facility of the 15-minute circle; ``opening_hours`` like ``06:30-19:00``."""

    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="facilities", verbose_name="所属区域"
    )
    kind = models.CharField("类型", max_length=20, choices=FacilityKind.choices)
    name = models.CharField("名称", max_length=100)
    building = models.ForeignKey(
        Building, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="所在楼栋"
    )
    lat = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    opening_hours = models.CharField("开放时间", max_length=100, blank=True)
    phone = models.CharField("电话", max_length=20, blank=True)

    class Meta:
        verbose_name = "设施"
        verbose_name_plural = "设施"
        ordering = ["area__path", "kind", "name"]

    def __str__(self) -> str:
        return self.name
