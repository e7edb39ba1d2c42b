"""``linli import-roster PATH --community CODE``: import a population ledger (台账)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

from linli.people.roster.reading import RosterFileError, read_table
from linli.people.roster.services import RosterImportError, RosterResult, roster_import
from linli.people.roster.workbook import error_report_xlsx
from linli.places.models import Area, AreaKind


class Interrupted(BaseException):
    """SIGTERM during an import: unwinds through the transaction, which rolls back."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Interrupted


class Command(BaseCommand):
    help = (
        "导入实有人口台账（.xlsx/.xls/.csv）。最后一行输出 imported=N updated=M rejected=K；"
        "文件无法处理或导入被中断（Ctrl-C、SIGTERM）时退出码为 2 且不写入任何数据。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="台账文件路径")
        parser.add_argument("--community", required=True, help="社区代码（12 位）")
        parser.add_argument(
            "--create-missing", action="store_true", help="自动创建文件中出现的楼栋、单元和户"
        )
        parser.add_argument("--dry-run", action="store_true", help="只检查和统计，不写入")
        parser.add_argument("--errors", metavar="OUT.xlsx", help="把未导入的行及原因写入此文件")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        community = Area.objects.filter(code=options["community"], kind=AreaKind.COMMUNITY).first()
        if community is None:
            self._fail(f"社区代码 {options['community']} 不存在")
        try:
            table = read_table(path.read_bytes(), path.name)
        except FileNotFoundError:
            self._fail(f"文件不存在：{path}")
        except IsADirectoryError:
            self._fail(f"不是文件：{path}")
        except OSError as exc:
            self._fail(f"无法读取文件 {path}：{exc.strerror or exc}")
        except RosterFileError as exc:
            self._fail(f"{path.name}：{exc}")
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            result = roster_import(
                community=community,
                table=table,
                create_missing=options["create_missing"],
                dry_run=options["dry_run"],
                progress=self._progress,
            )
        except RosterImportError as exc:
            self._fail(str(exc))
        except (Interrupted, KeyboardInterrupt):
            self._fail("导入被中断，已全部撤销，没有写入任何数据")
        finally:
            signal.signal(signal.SIGTERM, previous)
        self._report(result, options.get("errors"), community.name)

    def _progress(self, percent: int, stage: str) -> None:
        self.stderr.write(f"[{percent:3d}%] {stage}")

    def _report(self, result: RosterResult, errors: str | None, unit: str) -> None:
        for row, issues in result.issues.items():
            for issue in issues:
                self.stdout.write(f"第 {row} 行 {issue.column}「{issue.value}」：{issue.reason}")
        if result.skipped:
            self.stdout.write(
                f"已忽略 {len(result.skipped)} 行合计/说明行："
                + "、".join(f"第 {row} 行（{reason}）" for row, reason in result.skipped)
            )
        if result.new_buildings or result.new_households:
            verb = "将新建" if result.dry_run else "新建"
            self.stdout.write(
                f"{verb}楼栋 {len(result.new_buildings)} 栋、户 {result.new_households} 户"
            )
        if errors:
            Path(errors).write_bytes(error_report_xlsx(result, unit=unit))
            self.stdout.write(f"错误报告：{errors}（{result.rejected} 行）")
        prefix = "（试运行，未写入）" if result.dry_run else ""
        self.stdout.write(
            f"{prefix}共 {result.rows} 行，未变化 {result.unchanged} 行，"
            f"用时 {result.seconds:.1f} 秒"
        )
        self.stdout.write(result.summary_line())

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(f"错误：{message}")
        sys.exit(2)
