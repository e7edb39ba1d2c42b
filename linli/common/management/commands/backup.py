"""``linli backup``: one archive of the database and the uploaded files (linli/common/backup.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from linli.common.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "把数据库和上传文件备份成一个 .tar.gz 文件（含清单：时间、版本、迁移、各表行数、"
        "文件 SHA-256）。默认写到 var/backups/。PII 密钥默认不放入备份，应另行保管。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--output",
            "-o",
            default=None,
            help="备份文件或目录（默认 var/backups/linli-backup-日期-时间.tar.gz）",
        )
        parser.add_argument(
            "--with-keys",
            action="store_true",
            help="把 PII 密钥也放进备份（不建议：密钥应与备份分开保管）",
        )
        parser.add_argument("--database", default="default", help="数据库别名（默认 default）")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            path, manifest = backup_create(
                output=opts["output"], with_keys=opts["with_keys"], using=opts["database"]
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"已备份：{path}  数据库 {manifest['vendor']}，{len(manifest['tables'])} 张表 "
            f"{rows} 行，上传文件 {len(manifest['media'])} 个"
            + ("，含 PII 密钥" if manifest["with_keys"] else "")
        )
