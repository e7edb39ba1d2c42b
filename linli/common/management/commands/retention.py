"""``linli retention [--dry-run]``: apply the personal-information retention rules now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from linli.common.retention import retention_run


class Command(BaseCommand):
    help = (
        "按保存期限删除或匿名化个人信息（验证码、过期会话、查看记录、设备事件、"
        "结案事件联系方式、迁出居民），逐项打印数量；--dry-run 只统计不修改。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="只统计将被处理的数量，不修改任何数据"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        results = retention_run(dry_run=dry_run)
        verb = "将处理" if dry_run else "已处理"
        for result in results:
            self.stdout.write(f"{result.label}：{verb} {result.count} 项（{result.note}）")
        total = sum(r.count for r in results)
        tail = "（试运行，未修改数据，未记审计）" if dry_run else "，已记入安全审计"
        self.stdout.write(f"合计{verb} {total} 项{tail}。")
