"""Forms of the ledger pages: a month picker, a hand-kept entry, the year close
confirmation, a welfare project and a fund spending. Money in yuan (→ fen)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from linli.economy.errors import EconomyError
from linli.economy.forms_money import YuanField
from linli.economy.models import (
    BusinessLine,
    EntryCategory,
    EntryKind,
    SocialEnterprise,
    WelfareFund,
    WelfareProject,
)


def add_service_error(form: forms.Form, err: EconomyError) -> None:
    """Show a service error by its field when the form has it, else above the form."""
    field = {"amount_fen": "amount", "budget_fen": "budget"}.get(err.field, err.field)
    form.add_error(field if field in form.fields else None, str(err))


class MonthForm(forms.Form):
    month = forms.CharField(
        label="月份", widget=forms.DateInput(attrs={"type": "month"}), required=False
    )

    def month_date(self) -> dt.date:
        """The first day of the chosen month; this month when empty or invalid."""
        text = (self.data.get("month") or "").strip() if self.is_bound else ""
        try:
            year, month = (int(part) for part in text.split("-"))
            return dt.date(year, month, 1)
        except (ValueError, TypeError):
            return timezone.localdate().replace(day=1)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class EntryForm(forms.Form):
    line = forms.ModelChoiceField(label="业务板块", queryset=BusinessLine.objects.none())
    date = forms.DateField(label="日期", widget=_date_input())
    kind = forms.ChoiceField(label="收支", choices=EntryKind.choices)
    category = forms.ChoiceField(label="科目", choices=EntryCategory.choices)
    amount = YuanField(label="金额（元）", min_fen=1)
    description = forms.CharField(
        label="摘要", max_length=200, error_messages={"required": "请填写摘要"}
    )
    voucher = forms.CharField(label="凭证号", max_length=40, required=False)

    def __init__(self, *args: Any, enterprise: SocialEnterprise, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["line"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = BusinessLine.objects.filter(enterprise=enterprise)
        field.empty_label = None


class ProjectForm(forms.Form):
    name = forms.CharField(label="项目名称", max_length=100)
    description = forms.CharField(
        label="项目说明", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    budget = YuanField(label="预算（元）", required=False)
    decided_by = forms.CharField(
        label="决策依据", max_length=200, required=False, help_text="如：2026年第3次居民议事会决议"
    )


class SpendForm(forms.Form):
    project = forms.ModelChoiceField(label="公益项目", queryset=WelfareProject.objects.none())
    amount = YuanField(label="金额（元）", min_fen=1)
    date = forms.DateField(label="日期", widget=_date_input())
    description = forms.CharField(label="摘要", max_length=200)
    voucher = forms.CharField(label="凭证号", max_length=40, required=False)

    def __init__(self, *args: Any, fund: WelfareFund | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["project"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            WelfareProject.objects.filter(fund=fund) if fund else WelfareProject.objects.none()
        )
