"""The shape of a KPI panel on the cockpit: figures, each with its trend and drill-down.

:mod:`linli.cockpit.kpis` builds them; the cockpit page and its JSON API only render them.
A panel whose module has no data for the area (not deployed there, or nothing recorded)
says so in ``missing`` instead of showing zeros that would read as real figures.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class Figure:
    """One number on a panel.

    Attributes:
        label: what it counts, in Chinese (「超期事件」).
        value: the number; ``None`` shows 「暂无数据」.
        unit: shown after the value (「件」「分钟」「%」).
        drill_url: the list behind the number (every figure has one when it counts rows).
        trend: ``(period label, value)`` pairs, oldest first, for the sparkline.
        good: against its target: ``True`` met, ``False`` missed, ``None`` no target.
            Shown as text as well as colour (colour is never the only cue).
        note: a short explanation (the target, the definition).
    """

    label: str
    value: int | float | str | None
    unit: str = ""
    drill_url: str | None = None
    trend: tuple[tuple[str, float | None], ...] = ()
    good: bool | None = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Panel:
    """A titled group of figures; ``missing`` (non-empty) replaces the figures' display."""

    key: str
    title: str
    figures: tuple[Figure, ...] = ()
    missing: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "missing": self.missing,
            "figures": [f.as_json() for f in self.figures],
        }
