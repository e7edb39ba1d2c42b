"""Forms of the company record pages: shareholders (a formset of rows), board members,
partners, business lines and the welfare rate. Money in yuan (→ fen), stakes in per cent
(→ basis points)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms

from linli.economy.company import StakeRow, check_stakes
from linli.economy.errors import EconomyError
from linli.economy.forms_money import YuanField
from linli.economy.models import (
    FULL_STAKE_BP,
    MIN_WELFARE_RATE_BP,
    BoardMember,
    BusinessLine,
    Partner,
    Shareholder,
    ShareholderKind,
    SocialEnterprise,
)
from linli.orgs.models import Organization

_PERCENT = re.compile(r"^(\d{1,3})(?:\.(\d{1,2}))?$")


def parse_percent(text: Any) -> int:
    """``"40"`` → ``4000``; ``"12.5"`` → ``1250`` (basis points); ``%`` and full-width
    digits allowed. Raises :class:`forms.ValidationError` (Chinese) otherwise."""
    raw = unicodedata.normalize("NFKC", str(text or "")).strip().removesuffix("%").strip()
    if not raw:
        raise forms.ValidationError("请填写比例")
    match = _PERCENT.match(raw)
    if match is None:
        raise forms.ValidationError(f"“{raw}”不是有效比例，请填写如 40 或 12.5（最多两位小数）")
    bp = int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))
    if not 0 < bp <= FULL_STAKE_BP:
        raise forms.ValidationError("比例须大于 0 且不超过 100")
    return bp


class PercentField(forms.CharField):
    """A per-cent text whose cleaned value is basis points (int)."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value / 100:g}"
        return value

    def clean(self, value: Any) -> int | None:  # type: ignore[override]
        value = super().clean(value)
        if value in self.empty_values:
            return None
        return parse_percent(value)


class ShareholderRowForm(forms.Form):
    name = forms.CharField(label="股东名称", max_length=100)
    kind = forms.ChoiceField(label="股东类型", choices=ShareholderKind.choices)
    stake = PercentField(label="持股比例（%）", max_length=10)
    contribution = YuanField(label="出资额（元）", required=False)

    #: The inputs that make a row "filled in"; the type select always posts a value.
    TYPED = ("name", "stake", "contribution")

    def has_changed(self) -> bool:
        """A row counts only when a name, stake or contribution is typed: the blank
        spare row posts its 类型 select (and a cleared row too) and is then ignored."""
        return any(str(self[name].value() or "").strip() for name in self.TYPED)


class BaseShareholderFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    """Rows to :class:`StakeRow`; the total must be 100 % (checked by the service rule).

    Every row may be empty: a row without name, stake and contribution is skipped, whatever
    its type select says (existing rows cleared by hand are dropped like deleted ones).
    """

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "empty_permitted": True}

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        try:
            check_stakes(self.stake_rows())
        except EconomyError as err:
            raise forms.ValidationError(str(err)) from err

    def stake_rows(self) -> list[StakeRow]:
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or (self.can_delete and data.get("DELETE")):
                continue
            rows.append(
                StakeRow(
                    name=data["name"].strip(),
                    kind=data["kind"],
                    stake_bp=data["stake"],
                    organization=self.organizations.get(data["name"].strip()),
                    contribution_fen=data.get("contribution") or 0,
                )
            )
        return rows

    organizations: dict[str, Organization] = {}


ShareholderFormSet = forms.formset_factory(
    ShareholderRowForm,
    formset=BaseShareholderFormSet,
    extra=1,
    can_delete=True,
    max_num=50,
    validate_max=True,
)


def shareholder_initial(enterprise: SocialEnterprise) -> list[dict[str, Any]]:
    """The current shareholders as formset initial rows."""
    return [
        {
            "name": s.name,
            "kind": s.kind,
            "stake": s.stake_bp,
            "contribution": s.contribution_fen,
        }
        for s in Shareholder.objects.filter(enterprise=enterprise)
    ]


class BoardMemberForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = BoardMember
        fields = ["name", "role", "representing", "term_start", "term_end"]
        widgets = {
            "term_start": forms.DateInput(attrs={"type": "date"}),
            "term_end": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, enterprise: SocialEnterprise, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.enterprise = enterprise
        field = self.fields["representing"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Shareholder.objects.filter(enterprise=enterprise)
        field.empty_label = "（不代表股东）"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("term_start"), data.get("term_end")
        if start and end and end < start:
            self.add_error("term_end", "任期结束不能早于任期开始")
        return data


class PartnerForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Partner
        fields = ["organization", "role", "since"]
        widgets = {"since": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, enterprise: SocialEnterprise, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.enterprise = enterprise
        self.enterprise = enterprise
        field = self.fields["organization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            Organization.objects.filter(area__path__startswith=enterprise.community.path)
            .exclude(pk=enterprise.organization_id)
            .order_by("name")
        )

    def clean_organization(self) -> Organization:
        org: Organization = self.cleaned_data["organization"]
        if Partner.objects.filter(enterprise=self.enterprise, organization=org).exists():
            raise forms.ValidationError(f"“{org.name}”已是合作单位")
        return org


class BusinessLineForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = BusinessLine
        fields = ["kind", "name"]

    def __init__(self, *args: Any, enterprise: SocialEnterprise, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.enterprise = enterprise
        self.enterprise = enterprise

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if BusinessLine.objects.filter(enterprise=self.enterprise, name=name).exists():
            raise forms.ValidationError(f"已有名为“{name}”的业务板块")
        return name


class WelfareRateForm(forms.Form):
    rate = PercentField(
        label="公益提取比例（%）",
        max_length=10,
        help_text="每年利润中用于社区公益的比例，不低于 20%",
    )

    def clean_rate(self) -> int:
        rate: int = self.cleaned_data["rate"]
        if rate < MIN_WELFARE_RATE_BP:
            raise forms.ValidationError(f"公益提取比例不得低于 {MIN_WELFARE_RATE_BP / 100:g}%")
        return rate
