"""The form that asks for a report: area, kind, and a month or a week."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from linli.cockpit.models import ReportKind
from linli.cockpit.reports import ReportInputError, period_for
from linli.places.models import Area


def _area_label(area: Area) -> str:
    return f"{area.name}（{area.get_kind_display()}）"


class ReportRequestForm(forms.Form):
    """``period`` is ``2026-11`` for a monthly report, ``2026-W48`` (or a date in the week)
    for a weekly one; ``cleaned_data`` gains ``period_start``/``period_end``. ``areas`` are
    the areas the user may ask for (:func:`linli.cockpit.reports.reportable_areas`)."""

    kind = forms.ChoiceField(label="报告类型", choices=ReportKind.choices)
    area = forms.ModelChoiceField(
        label="区域",
        queryset=Area.objects.none(),
        error_messages={"invalid_choice": "请选择您负责的区域"},
    )
    period = forms.CharField(
        label="月份或周次",
        max_length=20,
        help_text="月报填月份，如 2026-11；周报填周次，如 2026-W48，或该周任一天",
    )

    def __init__(self, *args: Any, areas: list[Area], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Area.objects.filter(pk__in=[a.pk for a in areas]).order_by("path")
        field.label_from_instance = _area_label  # type: ignore[method-assign,assignment]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, text = data.get("kind"), data.get("period")
        if kind and text:
            try:
                start, end = period_for(kind, text)
            except ReportInputError as err:
                self.add_error("period", str(err))
            else:
                data["period_start"], data["period_end"] = start, end
        return data

    @staticmethod
    def default_period(today: dt.date) -> str:
        """Last month, the usual request (``2026-10`` on 2026-11-30)."""
        last = today.replace(day=1) - dt.timedelta(days=1)
        return f"{last:%Y-%m}"
