"""``linli open311-key create NAME | list | revoke PREFIX``: Open311 API keys."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.cases.models import Open311Key
from linli.cases.open311.keys import open311_key_create, open311_key_revoke
from linli.cases.open311.payloads import iso


class Command(BaseCommand):
    help = "管理 Open311 接口密钥：create 名称（只显示一次密钥）、list、revoke 前缀"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="创建密钥并打印（仅此一次）")
        create.add_argument("name", help="使用方名称，例如“12345 热线对接”")
        actions.add_parser("list", help="列出密钥（前缀、名称、状态、最近使用）")
        revoke = actions.add_parser("revoke", help="停用以此前缀开头的密钥")
        revoke.add_argument("prefix", help="密钥前缀（至少 4 个字符，见 list）")
        revoke.add_argument("--dry-run", action="store_true", help="只显示将停用的密钥")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "create":
                row, key = open311_key_create(name=options["name"])
                self.stdout.write(key)
                self.stderr.write(f"已创建密钥“{row.name}”（前缀 {row.key_prefix}），请妥善保存。")
            elif action == "list":
                self._list()
            else:
                rows = open311_key_revoke(prefix=options["prefix"], dry_run=options["dry_run"])
                verb = "将停用" if options["dry_run"] else "已停用"
                for row in rows:
                    self.stdout.write(f"{verb} {row.key_prefix} {row.name}")
        except ValueError as err:
            raise CommandError(str(err)) from None

    def _list(self) -> None:
        for row in Open311Key.objects.order_by("created_at"):
            state = "启用" if row.active else "已停用"
            used = iso(row.last_used_at) or "从未使用"
            self.stdout.write(f"{row.key_prefix}\t{row.name}\t{state}\t{used}")
