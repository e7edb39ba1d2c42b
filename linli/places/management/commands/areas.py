"""``linli areas``: the area tree as a table with resident counts per node."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from linli.people.models import Resident
from linli.places.demo.table import format_table
from linli.places.models import AREA_DEPTH, Area, AreaKind


def resident_counts() -> dict[str, int]:
    """Residents under each area path (the area itself and everything below it).

    One grouped query counts residents per area path; each count is then added to every
    ancestor path, so the cost does not grow with the number of residents.
    """
    direct = (
        Resident.objects.values("area__path").annotate(n=Count("id")).values_list("area__path", "n")
    )
    totals: Counter[str] = Counter()
    for path, n in direct:
        codes = path.strip("/").split("/")
        for depth in range(1, len(codes) + 1):
            totals["/" + "/".join(codes[:depth]) + "/"] += n
    return dict(totals)


class Command(BaseCommand):
    help = "按层级列出区域树：代码、层级、名称、上级代码、辖区居民数。可用 --kind 只看某一层级。"

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = "、".join(f"{k}（{label}）" for k, label in AreaKind.choices)
        parser.add_argument("--kind", help=f"只列出该层级：{kinds}")

    def handle(self, *args: Any, **opts: Any) -> None:
        kind = opts["kind"]
        if kind is not None and kind not in AreaKind.values:
            allowed = "、".join(AreaKind.values)
            raise CommandError(f"未知的区域层级“{kind}”，可选：{allowed}", returncode=2)
        areas = Area.objects.select_related("parent").order_by("path")
        if kind:
            areas = areas.filter(kind=kind)
        counts = resident_counts()
        rows = []
        for area in areas:
            indent = "" if kind else "  " * AREA_DEPTH[area.kind]
            rows.append(
                [
                    indent + area.code,
                    area.get_kind_display(),
                    area.name,
                    area.parent.code if area.parent else "",
                    counts.get(area.path, 0),
                ]
            )
        if not rows:
            self.stdout.write("没有符合条件的区域。")
            return
        for line in format_table(["代码", "层级", "名称", "上级代码", "居民数"], rows):
            self.stdout.write(line)
        self.stdout.write(f"共 {len(rows)} 个区域。")
