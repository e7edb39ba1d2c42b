"""``linli plan-day [--date YYYY-MM-DD] [--seconds N] [--seed N]``: plan a day's booked visits."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from linli.orders.dayplan import DayPlan, plan_day


def width(text: str) -> int:
    """Display width: CJK (wide) characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def table_lines(result: DayPlan) -> list[str]:
    """The plan as text: one table per caregiver, then the bookings left unplanned."""
    lines = [f"{result.date:%Y-%m-%d} 上门服务计划"]
    heads = ("时间", "订单号", "服务", "同行", "地址")
    for person, visits in result.by_worker().items():
        lines.append("")
        lines.append(f"【{person.name}】{len(visits)} 项")
        rows = [heads]
        for visit in visits:
            mates = "、".join(w.name for w in visit.workers if w.pk != person.pk) or "—"
            rows.append(
                (
                    f"{timezone.localtime(visit.start):%H:%M}–{timezone.localtime(visit.end):%H:%M}",
                    visit.order.number,
                    visit.order.service_type.name,
                    mates,
                    visit.order.address,
                )
            )
        widths = [max(width(row[i]) for row in rows) for i in range(len(heads) - 1)]
        for row in rows:
            cells = [pad(cell, widths[i]) for i, cell in enumerate(row[:-1])]
            lines.append("  ".join([*cells, row[-1]]).rstrip())
    if not result.visits:
        lines.append("（没有排入任何上门服务）")
    if result.unplanned:
        lines.append("")
        lines.append(f"未能排入 {len(result.unplanned)} 项：")
        for item in result.unplanned:
            slot = ""
            if item.order.slot_start and item.order.slot_end:
                slot = (
                    f"{timezone.localtime(item.order.slot_start):%H:%M}–"
                    f"{timezone.localtime(item.order.slot_end):%H:%M} "
                )
            lines.append(
                f"  {item.order.number} {item.order.service_type.name} {slot}{item.reason}"
            )
    lines.append("")
    lines.append(
        f"共 {len(result.visits)} 项已排入，{len(result.unplanned)} 项未排入，"
        f"保留已确认 {result.fixed} 项；步行合计 {result.travel_min:.0f} 分钟；"
        f"求解 {result.rounds} 轮，用时 {result.seconds:.1f} 秒"
    )
    return lines


class Command(BaseCommand):
    help = "为某天（默认明天）的预约上门服务排班：按技能、班次、时段和双人服务生成派单计划。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", default="", help="日期，如 2030-01-08（默认明天）")
        parser.add_argument("--seconds", type=float, default=10.0, help="求解时间（秒），默认 10")
        parser.add_argument("--seed", type=int, default=1, help="随机种子，默认 1")

    def handle(self, *args: Any, **options: Any) -> None:
        text = options["date"].strip()
        if text:
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                raise CommandError(f"日期格式不正确：{text}（应为 YYYY-MM-DD）") from None
        else:
            day = timezone.localdate() + dt.timedelta(days=1)
        try:
            result = plan_day(date=day, seconds=options["seconds"], seed=options["seed"])
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from error
        for line in table_lines(result):
            self.stdout.write(line)
