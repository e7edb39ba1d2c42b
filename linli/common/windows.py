"""Weekly opening windows (a venue's open hours, a parking space's shared hours).

A window is any object with ``weekday`` (0 = Monday), ``start`` and ``end`` (local
``datetime.time``, ``end`` after ``start``); a span fits when it lies on one local day
inside one window of that weekday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol

from django.utils import timezone

WEEKDAY_WORDS = "一二三四五六日"


class Window(Protocol):
    weekday: int
    start: dt.time
    end: dt.time


def local(moment: dt.datetime) -> dt.datetime:
    """``moment`` in the current time zone (Asia/Shanghai); naive values are taken as local."""
    if timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return timezone.localtime(moment)


def window_problem(
    windows: Iterable[Window], starts_at: dt.datetime, ends_at: dt.datetime, *, name: str
) -> str | None:
    """Why ``starts_at``–``ends_at`` does not fit ``windows``, in Chinese, or ``None``.

    ``name`` is what the windows belong to, quoted in the message (e.g. 场地“活动室”).
    An empty ``windows`` means always open. Spans ending exactly at midnight fit a window
    ending at 23:59:59 or later.
    """
    start, end = local(starts_at), local(ends_at)
    if end <= start:
        return "结束时间必须晚于开始时间"
    windows = list(windows)
    if not windows:
        return None
    if end.date() != start.date() and not (
        end.date() == start.date() + dt.timedelta(1) and end.time() == dt.time(0)
    ):
        return "不能跨天，请分成两段"
    end_time = dt.time(23, 59, 59) if end.time() == dt.time(0) else end.time()
    for window in windows:
        if (
            window.weekday == start.weekday()
            and window.start <= start.time()
            and end_time <= window.end
        ):
            return None
    open_that_day = [w for w in windows if w.weekday == start.weekday()]
    weekday = WEEKDAY_WORDS[start.weekday()]
    if not open_that_day:
        return f"{name}周{weekday}不开放"
    hours = "、".join(f"{w.start:%H:%M}–{w.end:%H:%M}" for w in open_that_day)
    return f"{start:%m月%d日 %H:%M}–{end:%H:%M} 不在{name}的开放时段内（周{weekday} {hours}）"
