"""``linli export-roster --community CODE OUT.xlsx``: the registry as an importable ledger."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from linli.people.roster.workbook import roster_export_xlsx
from linli.places.models import Area, AreaKind


class Command(BaseCommand):
    help = "把一个社区的实有人口导出为台账 .xlsx（与导入格式相同，可改后重新导入）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="输出文件（.xlsx）")
        parser.add_argument("--community", required=True, help="社区代码（12 位）")

    def handle(self, *args: Any, **options: Any) -> None:
        community = Area.objects.filter(code=options["community"], kind=AreaKind.COMMUNITY).first()
        if community is None:
            self.stderr.write(f"错误：社区代码 {options['community']} 不存在")
            sys.exit(2)
        data, count = roster_export_xlsx(community)
        Path(options["out"]).write_bytes(data)
        self.stdout.write(f"已导出 {count} 人：{options['out']}")
