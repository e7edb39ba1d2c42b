"""``linli escalate-cases [--dry-run] [--at ISO-TIME]``: one escalation pass (cron-style)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from linli.cases.escalation import LEVEL_LABELS, cases_escalate


class Command(BaseCommand):
    help = (
        "检查临期和超时的网格事件：发临期提醒，按 网格长→社区→街道 逐级督办。"
        "没有任务队列的部署每分钟由 cron 运行一次。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="只列出将要提醒/督办的事件")
        parser.add_argument(
            "--at",
            default="",
            help="按此时间检查（ISO 8601，如 2025-10-09T10:00+08:00；默认现在）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = self._moment(options["at"])
        result = cases_escalate(now=now, dry_run=options["dry_run"])
        for step in result.steps:
            self.stdout.write(
                f"{step.number}\t{LEVEL_LABELS[step.level]}\t{step.stage}\t"
                f"通知 {len(step.notified)} 人"
            )
        self.stdout.write(result.summary())

    def _moment(self, text: str) -> dt.datetime:
        if not text:
            return timezone.now()
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise CommandError(f"时间格式不对：{text}（应为 ISO 8601）") from None
        if moment.utcoffset() is None:
            moment = timezone.make_aware(moment)
        return moment
