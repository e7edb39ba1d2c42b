"""Forms of the resident ordering pages (``/me/services/…``, ``/me/orders/…``).

Forms only parse what the browser sent and say what is missing in Chinese; every rule
about whether an order may be placed, cancelled or rated lives in
:mod:`linli.orders.ordering`, which the views call with the cleaned values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from linli.orders.models import ServiceMode, ServiceType

NOW, SLOT = "now", "slot"
#: Days offered for a time slot, counted from today (today included).
SLOT_DAYS = 7
#: Start times offered for a time slot (local wall-clock hours; one hour each).
SLOT_HOURS = range(8, 20)
WEEKDAYS = "一二三四五六日"
STAR_LABELS = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}


def day_label(day: dt.date, today: dt.date) -> str:
    """``今天（11月29日 周日）``, ``明天（…）``, ``后天（…）``, else ``12月2日 周三``."""
    plain = f"{day.month}月{day.day}日 周{WEEKDAYS[day.weekday()]}"
    names = {0: "今天", 1: "明天", 2: "后天"}
    name = names.get((day - today).days)
    return f"{name}（{plain}）" if name else plain


def slot_days(today: dt.date, now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """``[(iso date, label)]`` for the next :data:`SLOT_DAYS` days, today first.

    With ``now`` (tz-aware), today is left out once no start time of :data:`SLOT_HOURS`
    lies after ``now`` (the walkthrough offered 今天 08:00 at 19:43).
    """
    days = [today + dt.timedelta(days=i) for i in range(SLOT_DAYS)]
    if now is not None and not slot_times(day=today, now=now):
        days = days[1:]
    return [(d.isoformat(), day_label(d, today)) for d in days]


def slot_label(hour: int) -> str:
    """``上午 8:00``, ``中午 12:00``, ``下午 3:00`` for a whole local hour (0–23)."""
    part = "上午" if hour < 12 else ("中午" if hour == 12 else "下午")
    shown = hour if hour <= 12 else hour - 12
    return f"{part} {shown}:00"


def slot_times(day: dt.date | None = None, now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """``[("08:00", "上午 8:00"), …]``: whole hours from :data:`SLOT_HOURS`.

    With ``day`` and ``now`` (tz-aware), only the hours of ``day`` starting after
    ``now`` (local time): empty for a day that is over.
    """
    hours = list(SLOT_HOURS)
    if day is not None and now is not None:
        hours = [h for h in hours if slot_is_future(day, dt.time(h), now)]
    return [(f"{h:02d}:00", slot_label(h)) for h in hours]


def slot_is_future(day: dt.date, time: dt.time, now: dt.datetime) -> bool:
    """Whether the local wall-clock ``day`` + ``time`` starts after ``now`` (tz-aware)."""
    return timezone.make_aware(dt.datetime.combine(day, time)) > now


class OrderForm(forms.Form):
    """What the quote page sends: for whom, when, which variant, note, the price shown.

    ``resident`` is the primary key of the person served (checked by the view against
    the people the user may act for); ``expected_price_fen`` is the price in fen the page
    showed, passed on to :func:`linli.orders.ordering.order_place` so a changed price is
    refused rather than charged. ``token`` makes a double tap place one order only.
    Slot date and time are validated here for shape and for lying after ``now`` (a past
    slot gets a Chinese message beside the time); how far ahead a slot may lie is the
    service's rule (:func:`linli.orders.ordering.order_place` checks the past again).
    """

    resident = forms.IntegerField(widget=forms.HiddenInput)
    expected_price_fen = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    token = forms.CharField(max_length=40, widget=forms.HiddenInput)
    when = forms.ChoiceField(
        label="什么时候",
        choices=[(NOW, "现在"), (SLOT, "预约时间")],
        error_messages={"required": "请选择“现在”或“预约时间”", "invalid_choice": "请选择服务时间"},
    )
    slot_date = forms.DateField(
        label="日期", required=False, error_messages={"invalid": "预约日期不正确，请重新选择"}
    )
    slot_time = forms.TimeField(
        label="时间", required=False, error_messages={"invalid": "预约时间不正确，请重新选择"}
    )
    variant = forms.ChoiceField(
        label="服务形式",
        required=False,
        error_messages={"invalid_choice": "请选择列表中的服务形式"},
    )
    two_workers = forms.BooleanField(label="需要两位服务人员（例如卧床老人）", required=False)
    note = forms.CharField(
        label="备注（可不填）",
        required=False,
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": "备注最多 200 字"},
    )

    def __init__(
        self,
        *args: Any,
        service_type: ServiceType,
        now: dt.datetime | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.service_type = service_type
        #: The moment slots are judged against (tz-aware); the current time by default.
        self.now = now or timezone.now()
        variants = [v for v in service_type.variants or [] if isinstance(v, dict)]
        #: Variant codes in the catalogue's order (the first is the default).
        self.variant_codes = [str(v.get("code")) for v in variants]
        variant_field = self.fields["variant"]
        assert isinstance(variant_field, forms.ChoiceField)
        variant_field.choices = [(str(v.get("code")), str(v.get("name"))) for v in variants]
        variant_field.required = bool(variants)
        variant_field.error_messages["required"] = "请选择服务形式"
        when = self.fields["when"]
        assert isinstance(when, forms.ChoiceField)
        when.choices = self.when_choices()
        if service_type.workers_max < 2:
            del self.fields["two_workers"]

    def when_choices(self) -> list[tuple[str, str]]:
        """Immediate, slot or both, as the service's mode allows."""
        mode = self.service_type.mode
        choices = []
        if mode != ServiceMode.SCHEDULED:
            choices.append((NOW, "现在"))
        if mode != ServiceMode.ON_DEMAND:
            choices.append((SLOT, "预约时间"))
        return choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == SLOT:
            if not data.get("slot_date") and "slot_date" not in self.errors:
                self.add_error("slot_date", "请选择预约日期")
            if not data.get("slot_time") and "slot_time" not in self.errors:
                self.add_error("slot_time", "请选择预约时间")
            day, time = data.get("slot_date"), data.get("slot_time")
            if day and time and not slot_is_future(day, time, self.now):
                self.add_error("slot_time", "预约时间已过，请选择以后的时间")
        return data

    def slot_start(self) -> dt.datetime | None:
        """The chosen slot start, tz-aware local time; ``None`` for an immediate order."""
        data = self.cleaned_data
        if data.get("when") != SLOT:
            return None
        return timezone.make_aware(dt.datetime.combine(data["slot_date"], data["slot_time"]))

    def workers_needed(self) -> int | None:
        """2 when asked for two workers, else ``None`` (the service's usual crew)."""
        return 2 if self.cleaned_data.get("two_workers") else None


class RateForm(forms.Form):
    """A rating: 1–5 stars, an optional comment, and whether it is a complaint (投诉)."""

    stars = forms.TypedChoiceField(
        label="您对这次服务满意吗？",
        coerce=int,
        choices=[(n, f"{n} 星 {STAR_LABELS[n]}") for n in (5, 4, 3, 2, 1)],
        error_messages={"required": "请选择几星", "invalid_choice": "评分为 1 到 5 星"},
    )
    comment = forms.CharField(
        label="想说的话（可不填）",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "评价最多 500 字"},
    )
    complain = forms.BooleanField(label="我要投诉（社区会跟进处理）", required=False)


class CancelForm(forms.Form):
    """Cancelling an order: the reason is optional for residents and their family."""

    reason = forms.CharField(
        label="取消原因（可不填）",
        required=False,
        max_length=200,
        error_messages={"max_length": "原因最多 200 字"},
    )
