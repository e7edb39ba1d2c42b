"""``linli restore FILE``: put back the database and uploaded files of a ``linli backup``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from linli.common.backup import BackupError, restore_apply


class Command(BaseCommand):
    help = (
        "从 linli backup 的备份文件恢复数据库和上传文件。先校验整个文件（SHA-256），"
        "拒绝不同数据库类型、比代码新的迁移；目标库已有数据时须加 --yes。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="备份文件（.tar.gz）")
        parser.add_argument("--yes", action="store_true", help="确认用备份替换目标库的全部数据")
        parser.add_argument("--database", default="default", help="数据库别名（默认 default）")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            result = restore_apply(Path(opts["file"]), yes=opts["yes"], using=opts["database"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = result.manifest
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
        if result.pending_migrations:
            self.stdout.write(
                f"备份早于当前代码：还有 {len(result.pending_migrations)} 个迁移未执行，"
                "请运行 linli migrate。"
            )
        self.stdout.write(
            f"已恢复：{opts['file']}（备份于 {manifest['created_at']}，邻里 "
            f"{manifest['linli_version']}）{len(manifest['tables'])} 张表 "
            f"{sum(manifest['tables'].values())} 行，上传文件 {len(manifest['media'])} 个"
        )
