"""The fixed layout of the four demo communities: codes, names, rectangles, buildings, facilities.

Sizes follow MISSION.md (a Yinchuan newspaper report): the super community has about
10,000 households and 30,000 residents in 100+ buildings over about 1.5 km × 1.2 km; the
office-building community has 1 commercial complex, 7 apartment buildings, 2 office
buildings and 465 enterprises. The areas and buildings are the same at every ``--scale``;
only households, residents and enterprises scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from linli.places.demo.geo import Rect
from linli.places.models import BuildingKind, FacilityKind

CITY = ("640100", "银川市")
DISTRICT = ("640106", "金凤区")
STREET = ("640106009", "阅海湾街道")


@dataclass(frozen=True)
class BuildingPlan:
    """One building; ``mg`` is the index of its micro-grid within the community (0-based).

    ``units`` × ``floors`` × ``doors`` is its number of dwellings; ``profile`` names the
    household mix of :mod:`linli.places.demo.people` (``""`` = nobody lives there).
    """

    name: str
    kind: str
    mg: int
    floors: int
    units: int = 1
    doors: int = 2
    profile: str = ""

    @property
    def capacity(self) -> int:
        return self.floors * self.units * self.doors if self.profile else 0


@dataclass(frozen=True)
class FacilityPlan:
    """A facility in micro-grid ``mg``; ``building`` is a building name there, if any."""

    kind: str
    name: str
    mg: int
    opening_hours: str = ""
    building: str = ""


@dataclass(frozen=True)
class CommunityPlan:
    key: str  # login prefix, e.g. "sq1"
    suffix: str  # 3-digit community code within the street
    name: str
    model: str  # the report's community model, in Chinese
    rect: Rect
    grid_cols: int
    grid_rows: int
    mg_cols: int
    mg_rows: int
    households: int  # at scale 1
    floating_share: float  # share of households registered as 流动人口
    buildings: list[BuildingPlan] = field(default_factory=list)
    facilities: list[FacilityPlan] = field(default_factory=list)

    @property
    def grid_count(self) -> int:
        return self.grid_cols * self.grid_rows

    @property
    def micro_grid_count(self) -> int:
        return self.grid_count * self.mg_cols * self.mg_rows


def _super_buildings() -> list[BuildingPlan]:
    # 128 residential buildings, two per micro-grid: older 6-storey walk-ups to 33-storey towers.
    floors_cycle = [6, 33, 11, 26, 18, 18, 6, 26]  # a low and a tall building per micro-grid
    units_cycle = [3, 2, 2, 2, 3, 2, 2, 3]
    doors_cycle = [2, 2, 3, 2, 2, 4, 4, 2]
    plans = []
    for i in range(128):
        plans.append(
            BuildingPlan(
                name=f"{i + 1}号楼",
                kind=BuildingKind.RESIDENTIAL,
                mg=i // 2,
                floors=floors_cycle[i % 8],
                units=units_cycle[(i // 8) % 8],
                doors=doors_cycle[(i + i // 8) % 8],
                profile="urban",
            )
        )
    return plans


SUPER = CommunityPlan(
    key="sq1",
    suffix="001",
    name="金凤苑社区",
    model="超大社区",
    rect=Rect(0, 0, 1500, 1200),
    grid_cols=4,
    grid_rows=2,
    mg_cols=4,
    mg_rows=2,
    households=10_000,
    floating_share=0.12,
    buildings=_super_buildings(),
    facilities=[
        FacilityPlan(FacilityKind.CANTEEN, "金凤苑长者食堂", 9, "06:30-19:00", "11号楼"),
        FacilityPlan(FacilityKind.CANTEEN, "金凤苑社区食堂（南区）", 45, "10:30-19:30", "91号楼"),
        FacilityPlan(FacilityKind.PHARMACY, "金凤苑惠民大药房", 20, "08:00-22:00", "41号楼"),
        FacilityPlan(FacilityKind.CLINIC, "金凤苑社区卫生服务站", 18, "08:00-18:00", "37号楼"),
        FacilityPlan(FacilityKind.ELDERLY_DAY_CARE, "金凤苑老年人日间照料中心", 27, "08:00-18:00"),
        FacilityPlan(FacilityKind.ACTIVITY_ROOM, "金凤苑居民活动室", 36, "08:30-21:00"),
        FacilityPlan(FacilityKind.SERVICE_STATION, "金凤苑党群服务中心", 36, "08:30-18:00"),
        FacilityPlan(
            FacilityKind.PARKING_LOT,
            "金凤苑智慧停车场（120个智能车位，错峰共享）",
            54,
            "00:00-24:00",
        ),
        *[
            FacilityPlan(FacilityKind.PARCEL_LOCKER, f"快递柜（{n}号）", mg, "00:00-24:00")
            for n, mg in enumerate([1, 11, 22, 33, 44, 55, 60, 63], start=1)
        ],
    ],
)

OFFICE = CommunityPlan(
    key="sq2",
    suffix="002",
    name="阅海楼宇社区",
    model="楼宇社区",
    rect=Rect(1550, 620, 2150, 1200),
    grid_cols=1,
    grid_rows=2,
    mg_cols=4,
    mg_rows=1,
    households=1_500,
    floating_share=0.25,
    buildings=[
        BuildingPlan("阅海汇商业综合体", BuildingKind.COMPLEX, 0, 5),
        BuildingPlan("阅海金融大厦A座", BuildingKind.OFFICE, 1, 28),
        BuildingPlan("阅海金融大厦B座", BuildingKind.OFFICE, 2, 26),
        *[
            BuildingPlan(f"公寓{n}号楼", BuildingKind.APARTMENT, mg, 30, 1, 10, "office")
            for n, mg in zip(range(1, 8), [3, 4, 4, 5, 5, 6, 7], strict=True)
        ],
    ],
    facilities=[
        FacilityPlan(
            FacilityKind.SERVICE_STATION,
            "楼宇党群服务站（楼事会）",
            1,
            "08:30-18:00",
            "阅海金融大厦A座",
        ),
        FacilityPlan(FacilityKind.CANTEEN, "阅海汇职工食堂", 0, "07:00-20:00", "阅海汇商业综合体"),
        FacilityPlan(
            FacilityKind.ACTIVITY_ROOM, "七彩假期活动室", 2, "08:30-20:00", "阅海金融大厦B座"
        ),
        FacilityPlan(FacilityKind.PARCEL_LOCKER, "快递柜（公寓区）", 5, "00:00-24:00"),
    ],
)

VILLAGE = CommunityPlan(
    key="sq3",
    suffix="003",
    name="丰登新村社区",
    model="村改居社区",
    rect=Rect(1550, 0, 2350, 570),
    grid_cols=2,
    grid_rows=1,
    mg_cols=3,
    mg_rows=1,
    households=1_000,
    floating_share=0.05,
    buildings=[
        *[
            BuildingPlan(
                f"安置{n}号楼",
                BuildingKind.RESIDENTIAL,
                (n - 1) // 3,
                11 if n % 3 else 6,
                4,
                2,
                "village",
            )
            for n in range(1, 13)
        ],
        *[
            BuildingPlan(f"平房{n}排", BuildingKind.BUNGALOW, 4 + (n - 1) // 8, 1, 1, 12, "village")
            for n in range(1, 17)
        ],
    ],
    facilities=[
        FacilityPlan(
            FacilityKind.CANTEEN, "丰登共享食堂", 1, "11:00-13:30,17:00-19:00", "安置4号楼"
        ),
        FacilityPlan(
            FacilityKind.SERVICE_STATION, "丰登邻里服务综合体", 2, "08:30-20:00", "安置7号楼"
        ),
        FacilityPlan(FacilityKind.ACTIVITY_ROOM, "四点半课堂活动室", 2, "14:00-20:00"),
        FacilityPlan(FacilityKind.ELDERLY_DAY_CARE, "丰登老年人日间照料站", 0, "08:00-18:00"),
    ],
)

INDUSTRIAL = CommunityPlan(
    key="sq4",
    suffix="004",
    name="凤城工业集中区社区",
    model="工业集中区社区",
    rect=Rect(2400, 0, 3600, 1200),
    grid_cols=3,
    grid_rows=1,
    mg_cols=1,
    mg_rows=3,
    households=700,
    floating_share=0.5,
    buildings=[
        *[
            BuildingPlan(f"{n}号厂房", BuildingKind.FACTORY, (n - 1) // 3, 1 + n % 3)
            for n in range(1, 19)
        ],
        *[
            BuildingPlan(
                f"职工宿舍{n}号楼", BuildingKind.APARTMENT, 6 + (n - 1) // 3, 6, 1, 20, "dorm"
            )
            for n in range(1, 7)
        ],
        *[
            BuildingPlan(f"职工家属楼{n}号楼", BuildingKind.RESIDENTIAL, 8, 6, 2, 2, "family")
            for n in range(1, 5)
        ],
    ],
    facilities=[
        FacilityPlan(
            FacilityKind.ACTIVITY_ROOM,
            "职工之家活动室（暑期班、冬令营）",
            7,
            "08:30-21:00",
            "职工宿舍4号楼",
        ),
        FacilityPlan(FacilityKind.SERVICE_STATION, "企社共建联盟服务站", 8, "08:30-18:00"),
        FacilityPlan(FacilityKind.CANTEEN, "园区职工食堂", 6, "06:30-20:00", "职工宿舍1号楼"),
        FacilityPlan(FacilityKind.PARCEL_LOCKER, "快递柜（宿舍区）", 7, "00:00-24:00"),
    ],
)

COMMUNITIES: list[CommunityPlan] = [SUPER, OFFICE, VILLAGE, INDUSTRIAL]
