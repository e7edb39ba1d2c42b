"""``linli case-kpis --area CODE --since DATE [--until DATE] [--by …] [--user NAME]``."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from linli.cases.errors import CaseError
from linli.cases.kpis import GROUPINGS, case_kpis, kpis_for, table_lines
from linli.cases.models import Case
from linli.places.models import Area, AreaKind

#: The natural next level down for ``--by`` when it is not given.
CHILD_KIND: dict[str, str] = {
    AreaKind.CITY: "community",
    AreaKind.DISTRICT: "community",
    AreaKind.STREET: "community",
    AreaKind.COMMUNITY: "grid",
    AreaKind.GRID: "micro_grid",
    AreaKind.MICRO_GRID: "micro_grid",
}


class Command(BaseCommand):
    help = (
        "打印网格事件考核指标：各阶段按时率、处置时长中位数、满意度、重开率、当前超时数，"
        "按区域（社区/网格/微网格）或处置单位分组。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--area", required=True, help="区域代码，如 640106009001")
        parser.add_argument("--since", required=True, help="开始日期（含），如 2025-10-01")
        parser.add_argument("--until", default="", help="结束日期（含），默认今天")
        parser.add_argument(
            "--by", choices=sorted(GROUPINGS), default="", help="分组方式（默认下一级区域）"
        )
        parser.add_argument("--user", default="", help="按此账号的可见范围统计（默认不限）")

    def handle(self, *args: Any, **options: Any) -> None:
        area = Area.objects.filter(code=options["area"]).first()
        if area is None:
            raise CommandError(f"没有代码为 {options['area']} 的区域")
        since = self._date(options["since"], "--since")
        until = self._date(options["until"], "--until") if options["until"] else None
        until = until or timezone.localdate()
        by = options["by"] or CHILD_KIND[area.kind]
        now = timezone.now()
        try:
            if options["user"]:
                user = User.objects.filter(username=options["user"]).first()
                if user is None:
                    raise CommandError(f"没有账号 {options['user']}")
                table = case_kpis(user=user, by=by, since=since, until=until, now=now, area=area)
            else:
                cases = Case.objects.filter(area__path__startswith=area.path)
                table = kpis_for(cases, by=by, since=since, until=until, now=now)
        except CaseError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{area.name}（{area.code}） {since} 至 {until}")
        lines = list(table_lines(table))
        widths = [max(_width(line[i]) for line in lines) for i in range(len(lines[0]))]
        for line in lines:
            self.stdout.write(
                "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(line))
            )

    def _date(self, text: str, name: str) -> dt.date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise CommandError(f"{name} 日期格式不对：{text}（应为 YYYY-MM-DD）") from None


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
