"""``linli audit verify | export | purge``: check, hand over and shorten the audit chain."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from linli.audit import exports
from linli.audit.models import AuditKind
from linli.audit.services import audit_purge, record
from linli.audit.verification import ChainBroken, verify_chain


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期“{text}”格式不对，应为 YYYY-MM-DD", returncode=2) from None


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight Asia/Shanghai (the project's TIME_ZONE) at the start of ``day``."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _operator() -> str:
    try:
        return f"命令行（{getpass.getuser()}）"
    except (KeyError, OSError):
        return "命令行"


class Command(BaseCommand):
    help = (
        "安全审计记录：verify 核对哈希链；export 导出某段时间的记录（xlsx/csv）；"
        "purge 删除超过保存期限（LINLI_AUDIT_KEEP_DAYS，默认 400 天，不少于 180 天）的记录。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="verify|export|purge")
        verify = sub.add_parser("verify", help="按序号核对整条哈希链，断开时退出码为 1")
        verify.add_argument("--batch", type=int, default=2000, help="每批读取的条数")
        export = sub.add_parser("export", help="导出审计记录（导出本身也会记录）")
        export.add_argument("--since", required=True, help="起始日期 YYYY-MM-DD（含）")
        export.add_argument("--until", help="截止日期 YYYY-MM-DD（含），默认至今")
        export.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
        export.add_argument("--output", required=True, help="输出文件路径")
        purge = sub.add_parser("purge", help="删除超过保存期限的记录，并写入链头记录")
        purge.add_argument("--dry-run", action="store_true", help="只显示将删除的范围")

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, f"_{opts['action']}")(opts)

    def _verify(self, opts: Any) -> None:
        if opts["batch"] < 1:
            raise CommandError("--batch 必须是正整数", returncode=2)
        report = verify_chain(
            batch_size=opts["batch"],
            progress=lambda n: self.stderr.write(f"已核对 {n} 条…") if n % 100_000 == 0 else None,
        )
        if not report.ok:
            raise CommandError(report.summary(), returncode=1)
        self.stdout.write(report.summary())

    def _export(self, opts: Any) -> None:
        since = _day(opts["since"])
        until = _day(opts["until"]) if opts["until"] else None
        if until is not None and until < since:
            raise CommandError("截止日期早于起始日期", returncode=2)
        output = Path(opts["output"])
        if not output.parent.is_dir():
            raise CommandError(f"目录“{output.parent}”不存在", returncode=2)
        end = _start_of(until + dt.timedelta(days=1)) if until else None
        events = exports.in_period(_start_of(since), end)
        count = events.count()
        period = f"{since:%Y-%m-%d} 至 {until or timezone.localdate():%Y-%m-%d}"
        if opts["format"] == "csv":
            content = exports.csv_bytes(events)
        else:
            response = exports.xlsx_file(events, [f"时间范围：{period}"])
            content = b"".join(response.streaming_content)  # type: ignore[arg-type]
        partial = output.with_name(output.name + ".part")
        partial.write_bytes(content)
        partial.replace(output)  # no half-written file under the final name
        record(
            AuditKind.EXPORT,
            f"导出安全审计记录 {period}，{count} 条",
            actor_label=_operator(),
            detail={
                "via": "linli audit export",
                "rows": count,
                "format": opts["format"],
                "file": output.name,
                "bytes": len(content),
            },
        )
        self.stdout.write(f"已导出 {count} 条审计记录（{period}）到 {output}")

    def _purge(self, opts: Any) -> None:
        try:
            result = audit_purge(dry_run=opts["dry_run"])
        except ChainBroken as exc:
            raise CommandError(f"审计链校验失败，未删除任何记录：{exc}", returncode=1) from None
        self.stdout.write(result.summary())
