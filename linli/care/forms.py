"""Forms of the care pages (``/care/…`` for staff, ``/me/away/`` for families).

Forms only parse what the browser sent and say in Chinese what is missing or malformed;
every rule (end after start, no overlap, 误报 needs a reason, an alert acknowledged once)
lives in :mod:`linli.care.services`, which the views call with the cleaned values and
whose ``ValidationError`` messages the pages show as they are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from linli.care.models import AlertKind, AlertOutcome

#: ``<input type="datetime-local">`` sends this (local wall-clock time, Asia/Shanghai).
LOCAL_INPUT = "%Y-%m-%dT%H:%M"
BAD_TIME = "请输入正确的日期和时间"
PAST_RETURN = "回来时间已经过去，请选择以后的日期和时间"
ALL = "all"
OPEN = "open"
#: The default return time offered on the family page (local wall clock).
DEFAULT_BACK_TIME = dt.time(18, 0)


def local_input(value: dt.datetime) -> str:
    """An aware datetime as the value of a ``datetime-local`` input (local minutes)."""
    return timezone.localtime(value).strftime(LOCAL_INPUT)


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` field: local wall-clock minutes, made aware in Asia/Shanghai."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT)
    default_error_messages = {"invalid": BAD_TIME, "required": "请填写时间"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=[LOCAL_INPUT, "%Y-%m-%d %H:%M"], **kwargs)


class AlertFilterForm(forms.Form):
    """``/care/alerts/?status=open|all&kind=…``; unknown values fall back to the defaults."""

    status = forms.ChoiceField(
        label="状态", choices=[(OPEN, "待处理"), (ALL, "全部")], required=False
    )
    kind = forms.ChoiceField(
        label="类型", choices=[("", "全部类型"), *AlertKind.choices], required=False
    )

    def values(self) -> tuple[str, str]:
        """``(status, kind)``: ``("open", "")`` for anything invalid or missing."""
        if not self.is_valid():
            return OPEN, ""
        return self.cleaned_data["status"] or OPEN, self.cleaned_data["kind"] or ""


class ResolveForm(forms.Form):
    """解除: the outcome (平安无事 / 误报 / 确需帮助) and a note (a 误报 needs one: service)."""

    outcome = forms.ChoiceField(
        label="处理结果",
        choices=AlertOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择处理结果", "invalid_choice": "请选择处理结果"},
    )
    note = forms.CharField(
        label="说明（误报须写明原因）",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoteForm(forms.Form):
    """A note on the trail; the 「已电话联系」 button sends ``called=1`` (note optional)."""

    note = forms.CharField(
        label="说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    called = forms.BooleanField(required=False)


class CaseForm(forms.Form):
    """转为事件: an optional note for the case description."""

    note = forms.CharField(
        label="转事件说明（可不填）",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WatchForm(forms.Form):
    """关注 / 取消关注 a resident (staff choice)."""

    action = forms.ChoiceField(choices=[("watch", "关注"), ("unwatch", "取消关注")])
    note = forms.CharField(label="原因", max_length=200, required=False)


class StaffAwayForm(forms.Form):
    """Staff announce away mode for a resident: start (default now), end, note."""

    starts_at = LocalDateTimeField(label="离开时间")
    ends_at = LocalDateTimeField(label="预计回来时间")
    note = forms.CharField(label="去向说明（可不填）", max_length=200, required=False)


class FamilyAwayForm(forms.Form):
    """Family away mode: whom (when several), the day and time of return, a note.

    ``people`` is ``[(resident pk, label)]``; with one person the choice is implied.
    Away mode starts now; the service checks that the return is in the future.
    """

    person = forms.TypedChoiceField(
        label="谁要外出",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择是谁外出", "invalid_choice": "请选择是谁外出"},
    )
    back_date = forms.DateField(
        label="哪天回来",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"required": "请选择哪天回来", "invalid": "请选择正确的日期"},
    )
    back_time = forms.TimeField(
        label="大约几点回来",
        initial=DEFAULT_BACK_TIME,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"required": "请填写大约几点回来", "invalid": "请填写正确的时间"},
    )
    note = forms.CharField(
        label="去哪里（可不填，例如：去女儿家住）", max_length=200, required=False
    )

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = people
        if len(people) == 1:
            field.initial = people[0][0]
            field.widget = forms.HiddenInput()

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        # Away mode starts now, so a return already past is the one mistake a family makes
        # with dates; say it in their words (the service would speak of 离开时间).
        if "back_date" in cleaned and "back_time" in cleaned and self.ends_at() <= timezone.now():
            self.add_error("back_date", PAST_RETURN)
        return cleaned

    def ends_at(self) -> dt.datetime:
        """The return moment, aware in the current time zone (call after ``is_valid``)."""
        naive = dt.datetime.combine(self.cleaned_data["back_date"], self.cleaned_data["back_time"])
        return timezone.make_aware(naive)
