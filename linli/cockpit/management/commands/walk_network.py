"""``linli walk_network``: load, show or clear the walking network of an area.

* ``linli walk_network load FILE.geojson --area CODE [--name 名称]`` — check the file
  (GeoJSON with LineString/MultiLineString features, WGS-84 ``[lng, lat]``) and store it as
  the area's network, replacing any before; the 15-minute service circle of that area and
  every area under it then measures walking along it (:mod:`linli.cockpit.circle`).
* ``linli walk_network clear --area CODE`` — remove it (great-circle × detour again).
* ``linli walk_network show`` — list the loaded networks.

Bad input (no file, not JSON, not GeoJSON, no line, coordinates out of range, unknown area)
stops with a Chinese message and exit code 2; nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.cockpit import circle
from linli.cockpit.models import WalkNetwork
from linli.places.models import Area

#: Larger files are refused (a street's footpaths are well under this).
MAX_BYTES = 20 * 1024 * 1024


class Command(BaseCommand):
    help = (
        "导入、查看或清除区域的步行路网（GeoJSON 线要素，WGS-84），"
        "供15分钟便民服务圈按路网计算步行时间。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{load,clear,show}")
        load = sub.add_parser("load", help="导入路网文件（替换该区域已有的路网）")
        load.add_argument("file", help="GeoJSON 文件路径（LineString/MultiLineString）")
        load.add_argument("--area", required=True, help="区域代码（路网适用于该区域及其下级）")
        load.add_argument("--name", default="", help="路网名称（默认「区域名步行路网」）")
        clear = sub.add_parser("clear", help="清除区域的路网")
        clear.add_argument("--area", required=True, help="区域代码")
        sub.add_parser("show", help="列出已导入的路网")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "show":
            self._show()
            return
        area = self._area(opts["area"])
        if action == "clear":
            deleted, _ = WalkNetwork.objects.filter(area=area).delete()
            if deleted:
                self.stdout.write(f"已清除「{area.name}」的步行路网，恢复按直线距离×绕行系数计算。")
            else:
                self.stdout.write(f"「{area.name}」没有步行路网，无需清除。")
            return
        data = self._read(opts["file"])
        try:
            network = circle.load_network(data, area=area, name=opts["name"])
        except circle.CircleError as exc:
            raise CommandError(f"路网未导入：{exc}", returncode=2) from None
        self.stdout.write(
            f"已导入「{network.name}」到「{area.name}」（{area.code}）："
            f"{network.nodes} 个节点，{network.edges} 条路段。"
        )

    def _area(self, code: str) -> Area:
        code = (code or "").strip()
        area = Area.objects.filter(code=code).first()
        if area is None:
            raise CommandError(f"没有代码为「{code}」的区域", returncode=2)
        return area

    def _read(self, name: str) -> Any:
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"找不到文件：{name}", returncode=2)
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"文件超过 {MAX_BYTES // (1024 * 1024)} MB：{name}", returncode=2)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise CommandError(f"文件不是 UTF-8 文本：{name}", returncode=2) from None
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"文件不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）：{name}", returncode=2
            ) from None

    def _show(self) -> None:
        networks = WalkNetwork.objects.select_related("area").order_by("area__path")
        if not networks:
            self.stdout.write("尚未导入任何步行路网。")
            return
        for network in networks:
            self.stdout.write(
                f"{network.area.code}  {network.area.name}  「{network.name}」"
                f"  {network.nodes} 个节点，{network.edges} 条路段"
            )
