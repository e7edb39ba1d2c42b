"""Forms of the canteen pages: the day picker, a menu's dish rows, copying, food samples.

Messages are plain Chinese. The rules (一荤一素 on a published menu, 125 g samples, 48 hours
before discarding) stay in :mod:`linli.economy.menus` and :mod:`linli.economy.samples`;
their errors are put on the field they name (:func:`add_service_error`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django import forms
from django.http import QueryDict

from linli.economy.errors import EconomyError
from linli.economy.menus import DISHES_MAX, NAME_MAX, PORTION_MAX, DishSpec
from linli.economy.models import Dish, DishKind, Meal
from linli.economy.samples import MIN_WEIGHT_G

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
#: Blank rows offered under a menu's dishes (and added by 再加几行).
BLANK_ROWS = 3


def add_service_error(form: forms.Form, err: EconomyError) -> None:
    """Show a service error by its field when the form has it, else above the form."""
    form.add_error(err.field if err.field in form.fields else None, str(err))


def parse_day(text: str | None) -> dt.date | None:
    """``2026-11-30`` → a date; anything else → ``None``."""
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        return None


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=DATE_INPUT,
        error_messages={"required": f"请填写{label}", "invalid": f"{label}格式应为 2026-05-01"},
    )


class DayForm(forms.Form):
    """The board's date picker (``?day=``)."""

    day = _date("日期")


@dataclasses.dataclass
class DishRow:
    """One row of the menu form as typed, with its problem (Chinese) if any."""

    kind: str = DishKind.MEAT
    name: str = ""
    portion: str = ""
    error: str = ""

    @property
    def blank(self) -> bool:
        return not self.name.strip() and not self.portion.strip()


def rows_from_dishes(dishes: list[Dish], blank: int = BLANK_ROWS) -> list[DishRow]:
    """Rows for an existing menu, then ``blank`` empty rows."""
    rows = [DishRow(d.kind, d.name, d.portion) for d in dishes]
    return rows + [DishRow(kind=DishKind.VEGETABLE) for _ in range(blank)]


class MenuForm(forms.Form):
    """A menu: note, publish, and the dish rows posted as parallel lists ``kind``,
    ``name`` and ``portion`` (blank rows are ignored)."""

    note = forms.CharField(
        label="备注",
        required=False,
        max_length=200,
        error_messages={"max_length": "备注最多 200 个字"},
    )
    published = forms.BooleanField(
        label="公布（公布的菜单须有一荤一素）", required=False, initial=True
    )

    def __init__(self, data: QueryDict | None = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.rows: list[DishRow] = []
        if data is not None:
            kinds, names = data.getlist("kind"), data.getlist("name")
            portions = data.getlist("portion")
            for i, name in enumerate(names):
                kind = kinds[i] if i < len(kinds) else ""
                portion = portions[i] if i < len(portions) else ""
                self.rows.append(DishRow(kind, name, portion))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problems = False
        for row in self.rows:
            row.error = self._row_problem(row)
            problems = problems or bool(row.error)
        if problems:
            self.add_error(None, "请改正标出的菜品行")
        if len(self.dishes()) > DISHES_MAX:
            self.add_error(None, f"一份菜单最多 {DISHES_MAX} 道菜")
        return data

    @staticmethod
    def _row_problem(row: DishRow) -> str:
        if row.blank:
            return ""
        if row.kind not in DishKind.values:
            return "请选择类别"
        if not row.name.strip():
            return "请填写菜名"
        if len(row.name.strip()) > NAME_MAX:
            return f"菜名最多 {NAME_MAX} 个字"
        if len(row.portion.strip()) > PORTION_MAX:
            return f"份量最多 {PORTION_MAX} 个字"
        return ""

    def dishes(self) -> list[DishSpec]:
        """The non-blank rows as dish specs, in order."""
        return [
            DishSpec(r.kind, r.name.strip(), r.portion.strip()) for r in self.rows if not r.blank
        ]


class CopyForm(forms.Form):
    """Copy another day's menu (e.g. last Monday's lunch) onto this one."""

    source_day = _date("从哪天复制")
    source_meal = forms.ChoiceField(
        label="餐次",
        choices=Meal.choices,
        error_messages={"required": "请选择餐次", "invalid_choice": "餐次须为午餐或晚餐"},
    )


class SampleForm(forms.Form):
    """A food sample of one dish (《餐饮服务食品安全操作规范》6.6: at least 125 g)."""

    weight_g = forms.IntegerField(
        label="留样量（克）",
        initial=150,
        error_messages={"required": "请填写留样量", "invalid": "留样量请填整数克数"},
    )
    taken_by = forms.CharField(
        label="留样人",
        max_length=50,
        error_messages={"required": "请填写留样人", "max_length": "姓名最多 50 个字"},
    )
    fridge = forms.CharField(
        label="存放冰箱",
        required=False,
        max_length=50,
        error_messages={"max_length": "冰箱名称最多 50 个字"},
    )

    def clean_weight_g(self) -> int:
        weight: int = self.cleaned_data["weight_g"]
        if weight < MIN_WEIGHT_G:
            raise forms.ValidationError(f"留样量不足 {MIN_WEIGHT_G} 克")
        return weight


class DiscardForm(forms.Form):
    """Who threw the sample away."""

    by = forms.CharField(
        label="销毁人",
        max_length=50,
        error_messages={"required": "请填写销毁人", "max_length": "姓名最多 50 个字"},
    )
