"""The demo street: four fictional communities modelled on MISSION.md (``linli demo``).

:func:`build_demo` writes everything in one transaction; the command in
``linli/places/management/commands/demo.py`` is a thin wrapper around it.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from linli.places.demo import builder, devices, services, staff
from linli.places.demo.builder import DemoError
from linli.places.demo.names import NameMaker
from linli.places.demo.orgs import OrgMaker
from linli.places.demo.people import Numbers, PeopleMaker
from linli.places.demo.residents import ResidentWriter
from linli.places.models import Area

__all__ = ["DEFAULT_SEED", "DemoError", "build_demo", "reference_date"]

DEFAULT_SEED = 20260101


def reference_date() -> dt.date:
    """1 January of the current year (Asia/Shanghai): ages are computed on this day.

    A fixed day within a year keeps a seed's output identical from one day to the next,
    and no birth date can fall in the future.
    """
    return timezone.localdate().replace(month=1, day=1)


@transaction.atomic
def build_demo(
    *, scale: float = 1.0, seed: int = DEFAULT_SEED, log: Callable[[str], None] = print
) -> dict[str, int]:
    """Build the demo street at ``scale`` (1 = full size, about 40,000 residents).

    Areas and buildings are the same at every scale; households, residents and
    enterprises scale, with at least one of each. Returns row counts by kind.

    Raises:
        DemoError: ``scale`` is not in (0, 10], or the database already holds areas or a
            demo account name is taken.
    """
    if not 0 < scale <= 10:
        raise DemoError(f"规模应在 0 到 10 之间（1 = 全尺寸），实际为 {scale}")
    if Area.objects.exists():
        raise DemoError("数据库中已有区域数据，演示数据只能在空库中生成；如需重建请加 --reset")
    started = time.monotonic()

    def step(message: str) -> None:
        log(f"[{time.monotonic() - started:6.1f} s] {message}")

    def stream(name: str) -> random.Random:
        return random.Random(f"{seed}:{name}")

    names = NameMaker(stream("names"))
    numbers = Numbers(stream("numbers"))
    counts: dict[str, int] = {}
    street, builds = builder.build_areas()
    counts["areas"] = Area.objects.count()
    step(f"区域 {counts['areas']} 个：{street.name}下 {len(builds)} 个社区")
    counts["buildings"] = builder.build_buildings(builds, street)
    counts["facilities"] = builder.build_facilities(builds, stream("facilities"))
    step(f"楼栋 {counts['buildings']} 栋，设施 {counts['facilities']} 处")
    counts["organizations"] = builder.build_orgs(
        builds, OrgMaker(stream("orgs"), names, numbers), scale
    )
    step(f"单位 {counts['organizations']} 家（含统一社会信用代码）")
    plans = staff.staff_plans(street, builds)
    users = staff.build_staff(plans, NameMaker(stream("staff")), stream("staff"))
    counts["users"] = len(users)
    step(f"工作人员账号 {counts['users']} 个")
    maker = PeopleMaker(stream("people"), names, numbers, reference_date())
    writer = ResidentWriter(stream("households"), maker, scale)
    employers = {"sq1": builds[1].enterprises, "sq2": builds[1].enterprises}
    employers["sq3"] = [o for k, o in builds[2].orgs.items() if k != "property"]
    employers["sq4"] = builds[3].enterprises
    for cb in builds:
        writer.write(cb, employers[cb.plan.key], users[f"{cb.plan.key}_admin"])
        step(
            f"{cb.plan.name}（{cb.plan.model}）：累计 {writer.counts.households} 户、"
            f"{writer.counts.residents} 人"
        )
    counts.update(vars(writer.counts))
    counts.update(services.build_services(builds, users, stream("services")))
    equipped = devices.build_devices(stream("devices"))
    counts.update(vars(equipped))
    step(
        f"独居老人智能设备 {equipped.devices} 台（{equipped.equipped_residents} 人，"
        f"网关 {equipped.gateways} 个）"
    )
    step("完成。")
    return counts
