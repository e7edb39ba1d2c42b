"""Back-office forms: condition JSON with Chinese errors, the trial-quote form."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.utils import timezone

from linli.eligibility.conditions import ConditionError, validate
from linli.people.models import Resident
from linli.people.services import resident_find_by_id_number


class ConditionField(forms.JSONField):
    """A JSON text area whose parse errors are in Chinese and name the line and column."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 70, "style": "font-family: monospace"})

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.strip():
            try:
                json.loads(value)
            except json.JSONDecodeError as exc:
                raise forms.ValidationError(
                    f"条件不是合法的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}"
                ) from None
        return super().to_python(value)


def clean_condition(value: Any, subject_kind: str) -> Any:
    """``value`` if it follows the condition language, else a Chinese ValidationError."""
    try:
        validate(value, subject_kind)
    except ConditionError as exc:
        raise forms.ValidationError(str(exc)) from None
    return value


class TrialForm(forms.Form):
    """试算: a resident (identity number or registry number) and a date."""

    resident = forms.CharField(
        label="居民", max_length=30, help_text="输入完整身份证号，或居民编号（后台居民列表中的 ID）"
    )
    on = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()

    def clean_resident(self) -> Resident:
        text = self.cleaned_data["resident"].strip()
        found: Resident | None
        if text.isdigit() and len(text) < 15:
            found = Resident.objects.filter(pk=int(text)).first()
        else:
            found = resident_find_by_id_number(id_number=text)
        if found is None:
            raise forms.ValidationError("没有找到这位居民（请检查身份证号或居民编号）")
        return found

    def clean_on(self) -> dt.date:
        on: dt.date = self.cleaned_data["on"]
        return on
