"""Forms of the claim and card pages: mark a claim paid, search residents, top up a card.

Money is typed in yuan (two decimals at most) and cleaned to integer fen by
:class:`linli.economy.forms_money.YuanField`.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from linli.economy.cards import MAX_TOP_UP_FEN, TOP_UP_METHODS
from linli.economy.errors import EconomyError
from linli.economy.forms_money import YuanField, fen_to_input


def add_service_error(form: forms.Form, err: EconomyError) -> None:
    """Show a service error by its field when the form has it, else above the form."""
    form.add_error(err.field if err.field in form.fields else None, str(err))


class PaidForm(forms.Form):
    """The funder's payment of a claim: amount in 元 and the date it arrived."""

    paid = YuanField(label="到账金额（元）", min_fen=1)
    paid_on = forms.DateField(
        label="到账日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "请填写有效日期，如 2026-12-05", "required": "请填写到账日期"},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["paid_on"].initial = timezone.localdate()


class ResidentSearchForm(forms.Form):
    """A resident of the community by name or phone."""

    q = forms.CharField(
        label="姓名或手机号",
        max_length=50,
        error_messages={"required": "请输入姓名或手机号"},
    )


class TopUpForm(forms.Form):
    """A top-up at the counter: 0.01 … 2000.00 元, cash or QR (QR with its reference)."""

    amount = YuanField(
        label="充值金额（元）",
        min_fen=1,
        help_text=f"单次 0.01 至 {fen_to_input(MAX_TOP_UP_FEN)} 元",
    )
    method = forms.ChoiceField(
        label="付款方式",
        choices=list(TOP_UP_METHODS.items()),
        initial="cash",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择付款方式", "invalid_choice": "请选择现金或扫码"},
    )
    reference = forms.CharField(
        label="支付流水号", max_length=40, required=False, help_text="扫码充值时必填"
    )

    def clean_amount(self) -> int:
        amount: int = self.cleaned_data["amount"]
        if amount > MAX_TOP_UP_FEN:
            raise forms.ValidationError(f"单次充值不能超过 {fen_to_input(MAX_TOP_UP_FEN)} 元")
        return amount
