"""Forms of the parking pages (staff and resident). Messages are plain Chinese; the domain
rules (plate format, windows, booking span) stay in :mod:`linli.sharing.services` and their
errors are put on the field they name (:func:`add_service_error`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone

from linli.sharing.errors import SharingError
from linli.sharing.models import WEEKDAYS, BookingStatus, SpaceKind
from linli.sharing.services import WindowSpec

#: The longest occupancy report (days).
MAX_REPORT_DAYS = 92

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        widget=TIME_INPUT,
        error_messages={"required": f"请填写{label}", "invalid": f"{label}格式应为 08:00"},
    )


def _date(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DATE_INPUT,
        error_messages={"required": f"请填写{label}", "invalid": f"{label}格式应为 2026-05-01"},
    )


def _values(data: Any, key: str) -> list[Any]:
    return list(data.getlist(key)) if hasattr(data, "getlist") else [data[key]]


def add_service_error(form: forms.Form, err: SharingError) -> None:
    """Show a service error by its field when the form has it, else above the form."""
    form.add_error(err.field if err.field in form.fields else None, str(err))


class _Span(forms.Form):
    """``start`` and ``end`` local times, ``end`` after ``start``."""

    start = _time("开始时间")
    end = _time("结束时间")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end <= start:
            self.add_error("end", "结束时间必须晚于开始时间")
        return data


class WindowsForm(_Span):
    """One span on the ticked weekdays (e.g. 周一至周五 08:00–18:00), or stop sharing."""

    weekdays = forms.TypedMultipleChoiceField(
        label="星期",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "星期应为周一到周日"},
    )
    stop = forms.BooleanField(label="停止共享（清空所有时段）", required=False)
    field_order = ["weekdays", "start", "end", "stop"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.data.get("stop"):
            self.fields["start"].required = False
            self.fields["end"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("stop") and not data.get("weekdays"):
            self.add_error("weekdays", "请至少选一天，或勾选“停止共享”")
        return data

    def specs(self) -> list[WindowSpec]:
        data = self.cleaned_data
        if data.get("stop"):
            return []
        return [WindowSpec(d, data["start"], data["end"]) for d in sorted(data["weekdays"])]


class VehicleForm(forms.Form):
    plate = forms.CharField(
        label="车牌号",
        max_length=12,
        help_text="例如 宁A12345；新能源车 宁AD12345",
        error_messages={"required": "请填写车牌号", "max_length": "车牌号太长"},
    )
    note = forms.CharField(label="车型颜色（可不填）", max_length=50, required=False)


class SpaceForm(forms.Form):
    number = forms.CharField(
        label="车位号",
        max_length=20,
        error_messages={"required": "请填写车位号", "max_length": "车位号最多 20 个字"},
    )
    kind = forms.ChoiceField(
        label="类型",
        choices=SpaceKind.choices,
        error_messages={"required": "请选择类型", "invalid_choice": "类型不对"},
    )


class SearchForm(_Span):
    """The booking search: lot (when several), local date, from, to."""

    lot = forms.TypedChoiceField(
        label="停车场", coerce=int, error_messages={"required": "请选择停车场"}
    )
    day = _date("日期")
    field_order = ["lot", "day", "start", "end"]

    def __init__(self, *args: Any, lots: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lot"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(lot.pk, lot.name) for lot in lots]
        field.error_messages["invalid_choice"] = "请选择列出的停车场"
        if len(lots) == 1:  # no choice to make: the one lot, hidden
            field.initial = lots[0].pk
            field.widget = forms.HiddenInput()
            if self.is_bound and not self.data.get("lot"):
                data = QueryDict(mutable=True)
                for key in self.data:
                    data.setlist(key, _values(self.data, key))
                data["lot"] = str(lots[0].pk)
                self.data = data

    def span(self) -> tuple[dt.datetime, dt.datetime]:
        from linli.sharing.selectors import span_of

        data = self.cleaned_data
        return span_of(data["day"], data["start"], data["end"])


class ConfirmForm(SearchForm):
    """The search plus the chosen space and vehicle (ids checked by the view)."""

    space = forms.IntegerField(min_value=1, error_messages={"required": "请选择车位"})
    vehicle = forms.IntegerField(min_value=1, error_messages={"required": "请选择车辆"})


class BoardForm(forms.Form):
    """Filters of the bookings board; all optional."""

    lot = forms.TypedChoiceField(label="停车场", coerce=int, required=False, empty_value=None)
    day = _date("日期", required=False)
    status = forms.ChoiceField(
        label="状态", choices=[("", "全部"), *BookingStatus.choices], required=False
    )
    plate = forms.CharField(label="车牌", max_length=10, required=False)

    def __init__(self, *args: Any, lots: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lot"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "全部"), *((lot.pk, lot.name) for lot in lots)]
        field.error_messages["invalid_choice"] = "请选择列出的停车场"
        self.fields["status"].error_messages["invalid_choice"] = "状态不对"


class OccupancyForm(forms.Form):
    """Lot (empty = all the user's lots) and a local date range of at most
    :data:`MAX_REPORT_DAYS` days."""

    lot = forms.TypedChoiceField(label="停车场", coerce=int, required=False, empty_value=None)
    date_from = _date("开始日期")
    date_to = _date("结束日期")

    def __init__(self, *args: Any, lots: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lot"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "全部停车场"), *((lot.pk, lot.name) for lot in lots)]
        field.error_messages["invalid_choice"] = "请选择列出的停车场"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", "结束日期不能早于开始日期")
            elif (end - start).days + 1 > MAX_REPORT_DAYS:
                self.add_error("date_to", f"一次最多统计 {MAX_REPORT_DAYS} 天")
        return data


class GateTimeForm(forms.Form):
    """A time staff record by hand (arrival or departure), local."""

    at = forms.DateTimeField(
        label="时间",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": "请填写时间", "invalid": "时间格式应为 2026-05-01 08:30"},
    )

    def clean_at(self) -> dt.datetime:
        at: dt.datetime = self.cleaned_data["at"]
        if at > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError("不能记录将来的时间")
        return at


class CancelForm(forms.Form):
    reason = forms.CharField(label="取消原因（可不填）", max_length=200, required=False)
