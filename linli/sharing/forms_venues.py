"""Forms of the venue booking pages (parse and check shapes; the rules are the services')."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import timezone

from linli.common.identity import IdentityError, parse_phone
from linli.sharing.errors import SharingError
from linli.sharing.models import VenueBookers
from linli.sharing.venues import ADVANCE_DAYS_LIMIT, MAX_HOURS_LIMIT, PURPOSE_MAX, REASON_MAX

#: ``<input type=date>`` only accepts ISO dates; Django's default (the locale's
#: ``2026/11/30``) leaves the browser's field blank.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

#: The service's field names → this form's fields, for showing a service error in place.
SERVICE_FIELDS = {"time": "starts", "attendees": "attendees", "purpose": "purpose"}


def add_service_error(form: forms.Form, err: SharingError) -> None:
    """Show a service error on its field if the form has it, else on top of the form."""
    field = SERVICE_FIELDS.get(err.field, err.field)
    form.add_error(field if field in form.fields else None, str(err))


class DayForm(forms.Form):
    """The day whose free times are shown (GET); a bad value falls back to today."""

    day = forms.DateField(label="日期", required=False, widget=DATE_INPUT)

    def chosen(self) -> dt.date:
        today = timezone.localdate()
        if self.is_valid() and self.cleaned_data["day"]:
            day: dt.date = self.cleaned_data["day"]
            return day
        return today


class BookingForm(forms.Form):
    """A request: the local date, from, to, purpose, attendees. ``starts_at`` /
    ``ends_at`` (aware) are in ``cleaned_data`` once valid."""

    day = forms.DateField(
        label="日期",
        widget=DATE_INPUT,
        error_messages={"required": "请选择日期", "invalid": "日期格式应为 2026-06-01"},
    )
    starts = forms.TimeField(
        label="从",
        widget=TIME_INPUT,
        error_messages={"required": "请填写开始时间", "invalid": "时间格式应为 09:00"},
    )
    ends = forms.TimeField(
        label="到",
        widget=TIME_INPUT,
        error_messages={"required": "请填写结束时间", "invalid": "时间格式应为 11:00"},
    )
    purpose = forms.CharField(
        label="用途",
        max_length=PURPOSE_MAX,
        error_messages={
            "required": "请填写用途",
            "max_length": f"用途最多 {PURPOSE_MAX} 个字",
        },
    )
    attendees = forms.IntegerField(
        label="人数",
        min_value=1,
        max_value=10000,
        error_messages={
            "required": "请填写人数",
            "invalid": "人数请填数字",
            "min_value": "人数至少 1 人",
            "max_value": "人数太多了",
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, starts, ends = data.get("day"), data.get("starts"), data.get("ends")
        if day and starts and ends:
            data["starts_at"] = timezone.make_aware(dt.datetime.combine(day, starts))
            # "到 00:00" means the end of the day.
            end_day = day + dt.timedelta(1) if ends == dt.time(0) else day
            data["ends_at"] = timezone.make_aware(dt.datetime.combine(end_day, ends))
        return data


class StaffBookingForm(BookingForm):
    """Booking on behalf: for the community itself, an organisation of the community
    (``org`` choices set by the view; empty = the community), or a resident found by
    their phone number (``phone``, normalised by :func:`parse_phone`)."""

    org = forms.TypedChoiceField(label="以谁的名义", required=False, coerce=int, empty_value=None)
    phone = forms.CharField(label="为居民代约：居民手机号（可不填）", required=False, max_length=20)

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "").strip()
        if not raw:
            return ""
        try:
            return parse_phone(raw)
        except IdentityError as exc:
            raise forms.ValidationError(f"手机号不对：{exc}") from exc

    def __init__(self, *args: Any, orgs: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [("", "社区（本社区自用）")] + [  # type: ignore[attr-defined]
            (org.pk, org.name) for org in orgs
        ]


class RuleForm(forms.Form):
    """A venue's booking rule."""

    bookers = forms.ChoiceField(
        label="可预约对象",
        choices=VenueBookers.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择可预约对象", "invalid_choice": "请选择可预约对象"},
    )
    needs_approval = forms.BooleanField(label="需社区审批", required=False)
    max_hours = forms.IntegerField(
        label="单次最长（小时）",
        min_value=1,
        max_value=MAX_HOURS_LIMIT,
        error_messages={
            "required": "请填写单次最长小时数",
            "invalid": "请填数字",
            "min_value": "至少 1 小时",
            "max_value": f"最多 {MAX_HOURS_LIMIT} 小时",
        },
    )
    advance_days = forms.IntegerField(
        label="最多提前（天）",
        min_value=1,
        max_value=ADVANCE_DAYS_LIMIT,
        error_messages={
            "required": "请填写最多提前天数",
            "invalid": "请填数字",
            "min_value": "至少 1 天",
            "max_value": f"最多 {ADVANCE_DAYS_LIMIT} 天",
        },
    )


class ReasonForm(forms.Form):
    """Why a booking is turned down (required) or cancelled (optional for the booker)."""

    reason = forms.CharField(
        label="原因",
        max_length=REASON_MAX,
        error_messages={"required": "请填写原因", "max_length": f"原因最多 {REASON_MAX} 个字"},
        widget=forms.Textarea(attrs={"rows": 2}),
    )
