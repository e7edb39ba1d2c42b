"""Forms of the resident log-in pages; errors in Chinese from :mod:`linli.accounts.services`."""

from __future__ import annotations

from django import forms

from linli.accounts.errors import AccountsError
from linli.accounts.services import parse_code, parse_mobile


class PhoneForm(forms.Form):
    phone = forms.CharField(label="手机号码", max_length=30, required=False)

    def clean_phone(self) -> str:
        try:
            return parse_mobile(self.cleaned_data.get("phone", ""))
        except AccountsError as exc:
            raise forms.ValidationError(str(exc)) from None


class CodeForm(PhoneForm):
    code = forms.CharField(label="短信验证码", max_length=20, required=False)

    def clean_code(self) -> str:
        try:
            return parse_code(self.cleaned_data.get("code", ""))
        except AccountsError as exc:
            raise forms.ValidationError(str(exc)) from None
