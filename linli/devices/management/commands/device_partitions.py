"""``linli device-partitions [--dry-run]``: create monthly partitions ahead, apply retention."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from linli.devices.partitions import partitions_create_ahead, retention_apply, retention_cutoff


class Command(BaseCommand):
    help = (
        "设备事件按月分区（PostgreSQL）：提前建好分区，并删除超过保存期限"
        "（LINLI_DEVICES_RETENTION_MONTHS）的月份。SQLite 上只删除过期记录。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="只列出将要删除的内容")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        dry_run = options["dry_run"]
        if not dry_run:
            made = partitions_create_ahead(now)
            self.stdout.write(f"新建分区：{', '.join(f'{m:%Y-%m}' for m in made) or '无'}")
        dropped, rows = retention_apply(now, dry_run=dry_run)
        verb = "将删除" if dry_run else "已删除"
        self.stdout.write(
            f"保存 {settings.DEVICES_RETENTION_MONTHS} 个月"
            f"（{retention_cutoff(now):%Y-%m-%d} 之前过期）："
            f"{verb}分区 {', '.join(f'{m:%Y-%m}' for m in dropped) or '无'}，{verb}记录 {rows} 条"
        )
