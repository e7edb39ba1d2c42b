"""Forms of the staff order pages (``/orders/``): they parse input; views call one service.

Limits repeat the services' checks (:mod:`linli.orders.ordering`) so a bad field is shown
beside the field; the services remain the authority (a slot in the past, a crew too large
or an unknown service form are refused there too).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils import timezone

from linli.orders.models import OrderStatus, ServiceMode, ServiceType
from linli.orders.ordering import MAX_NOTE
from linli.people.models import Resident
from linli.people.scoping import scope

#: The status filter's extra value: orders that need a person now (无人接单).
ALERTS = "alerts"
MAX_SEARCH = 50


class ServiceChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Services labelled by their Chinese name only."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class OrderFilterForm(forms.Form):
    """Filters of the order list: status (or 需处理), service, local date placed, number."""

    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), (ALERTS, "⚠ 需处理（无人接单）"), *OrderStatus.choices],
    )
    service = ServiceChoiceField(
        label="服务",
        required=False,
        queryset=ServiceType.objects.order_by("code"),
        empty_label="全部",
    )
    day = forms.DateField(
        label="下单日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "日期格式应为 2026-11-29"},
    )
    number = forms.CharField(label="订单号", required=False, max_length=30)


class ResidentSearchForm(forms.Form):
    """Who is calling: part of a name, a full mobile number or a full identity number."""

    q = forms.CharField(
        label="居民姓名、手机号或完整身份证号",
        max_length=MAX_SEARCH,
        error_messages={"required": "请输入姓名、手机号或身份证号"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


IMMEDIATE, SLOT = "now", "slot"


def variant_options(service: ServiceType) -> list[tuple[str, str]]:
    """``[(code, name)]`` of the service's variants (forms), in catalogue order."""
    return [
        (str(v["code"]), str(v["name"]))
        for v in service.variants or []
        if isinstance(v, dict) and v.get("code") and v.get("name")
    ]


class StaffOrderForm(forms.Form):
    """An order on a resident's behalf: service, form, immediate or a slot, crew, note.

    ``resident`` is limited to the staff member's areas; ``expected_price_fen`` carries the
    price shown at the quote step so that a changed price is confirmed again.
    """

    resident = forms.ModelChoiceField(
        queryset=Resident.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": "请先查找并选择居民",
            "invalid_choice": "该居民不在您负责的区域内，不能代为下单",
        },
    )
    service_type = ServiceChoiceField(
        label="服务",
        queryset=ServiceType.objects.filter(active=True).order_by("code"),
        empty_label="请选择",
        error_messages={"required": "请选择服务", "invalid_choice": "该服务不存在或已停用"},
    )
    variant = forms.ChoiceField(label="服务形式", required=False)
    timing = forms.ChoiceField(
        label="时间",
        choices=[(IMMEDIATE, "立即上门"), (SLOT, "预约时段")],
        initial=IMMEDIATE,
        widget=forms.RadioSelect,
    )
    slot_start = forms.DateTimeField(
        label="预约开始时间",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": "时间格式应为 2026-11-29 14:30"},
        help_text="北京时间；预约时段默认 1 小时",
    )
    workers_needed = forms.TypedChoiceField(
        label="所需人数",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "按服务默认"), ("1", "1 人"), ("2", "2 人")],
    )
    note = forms.CharField(
        label="备注",
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": f"备注最多 {MAX_NOTE} 字"},
    )
    expected_price_fen = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = timezone.now()
        residents: QuerySet[Resident] = scope(Resident.objects.all(), user)
        self.fields["resident"].queryset = residents.select_related(  # type: ignore[attr-defined]
            "household__building"
        )
        # An <optgroup> per service; once a service is chosen (bound form) only its own
        # group is offered. orders/staff-new.js hides the other groups as the service
        # changes, through ``data-groups`` (service pk → group label).
        chosen = str(self.data.get(self.add_prefix("service_type"), "")) if self.is_bound else ""
        variants: list[Any] = [("", "按服务默认")]
        groups: dict[str, str] = {}
        for service in ServiceType.objects.filter(active=True).order_by("code"):
            options = variant_options(service)
            if options and (not chosen or chosen == str(service.pk)):
                variants.append((service.name, options))
                groups[str(service.pk)] = service.name
        variant_field = self.fields["variant"]
        variant_field.choices = variants  # type: ignore[attr-defined]
        variant_field.widget.attrs["data-groups"] = json.dumps(groups, ensure_ascii=False)
        variant_field.error_messages["invalid_choice"] = "所选服务没有这种服务形式，请重新选择"

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        service: ServiceType | None = cleaned.get("service_type")
        timing, start = cleaned.get("timing"), cleaned.get("slot_start")
        if timing == SLOT:
            if start is None and not self.has_error("slot_start"):
                self.add_error("slot_start", "请填写预约开始时间")
            elif start is not None and start <= self.now:
                self.add_error("slot_start", "预约时间已过，请选择以后的时间")
            elif service is not None and service.mode == ServiceMode.ON_DEMAND:
                self.add_error("timing", f"“{service.name}”只提供即时服务，不能预约时段")
        else:
            cleaned["slot_start"] = None
            if service is not None and service.mode == ServiceMode.SCHEDULED:
                self.add_error("timing", f"“{service.name}”需要预约时间")
        variant = cleaned.get("variant") or ""
        if service is not None and variant:
            codes = dict(variant_options(service))
            if variant not in codes:
                self.add_error("variant", f"“{service.name}”没有这种服务形式，请重新选择")
        crew = cleaned.get("workers_needed")
        if service is not None and crew is not None and crew > service.workers_max:
            self.add_error("workers_needed", f"“{service.name}”最多需要 {service.workers_max} 人")
        return cleaned

    def slot_start_value(self) -> dt.datetime | None:
        """The cleaned slot start (tz-aware) or ``None`` for an immediate order."""
        value: dt.datetime | None = self.cleaned_data.get("slot_start")
        return value


class CancelForm(forms.Form):
    """Staff cancel with a reason (:func:`linli.orders.ordering.order_cancel`)."""

    reason = forms.CharField(
        label="取消原因",
        max_length=MAX_NOTE,
        error_messages={
            "required": "工作人员取消订单需填写原因",
            "max_length": f"原因最多 {MAX_NOTE} 字",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
