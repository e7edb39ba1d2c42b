"""Money typed in forms: yuan text (``12.5``, ``12.50``, full-width ``１２``) → integer fen.

Money is integer fen everywhere in Linli; a form field never yields a float.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms

_YUAN = re.compile(r"^(\d+)(?:\.(\d{1,2}))?$")
#: The largest amount a form accepts: 1 000 000 000 yuan (fits every fen column).
MAX_FEN = 100_000_000_000


def parse_yuan(text: Any) -> int:
    """``"12.5"`` → ``1250``; ``"１２"`` → ``1200``; ``"0.05"`` → ``5`` (fen, int).

    Full-width digits and the full-width point (``．``/``。``) are read like ASCII, a
    trailing ``元`` and spaces are ignored.

    Raises:
        django.forms.ValidationError: empty, negative, more than two decimals, not a
            number, or more than 10 亿元 — with a Chinese message.
    """
    raw = unicodedata.normalize("NFKC", str(text if text is not None else "")).strip()
    raw = raw.replace("。", ".").removesuffix("元").strip().replace(",", "")
    if not raw:
        raise forms.ValidationError("请填写金额", code="required")
    if raw.startswith("-"):
        raise forms.ValidationError("金额不能为负数", code="negative")
    match = _YUAN.match(raw)
    if match is None:
        if re.match(r"^\d+\.\d{3,}$", raw):
            raise forms.ValidationError("金额最多两位小数（精确到分）", code="decimals")
        raise forms.ValidationError(f"“{raw}”不是有效金额，请填写数字，如 12.50", code="invalid")
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    fen = int(whole) * 100 + int(cents)
    if fen > MAX_FEN:
        raise forms.ValidationError("金额过大", code="too_large")
    return fen


def fen_to_input(fen: int | None) -> str:
    """``1250`` → ``"12.50"`` (the value shown back in an input; no unit)."""
    if fen is None:
        return ""
    whole, cents = divmod(int(fen), 100)
    return f"{whole}.{cents:02d}"


class YuanField(forms.Field):
    """A text input in yuan whose cleaned value is integer fen (see :func:`parse_yuan`).

    ``min_fen``: the smallest accepted amount (e.g. ``1`` for "more than zero").
    """

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(self, *, min_fen: int = 0, **kwargs: Any) -> None:
        self.min_fen = min_fen
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return fen_to_input(value)
        return value

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return parse_yuan(value)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and value < self.min_fen:
            raise forms.ValidationError(
                f"金额须不少于 {fen_to_input(self.min_fen)} 元"
                if self.min_fen > 1
                else "金额须大于 0",
                code="min",
            )


def grouped(fen: int) -> str:
    """``97300000`` → ``"973,000.00"``; ``-123456`` → ``"-1,234.56"`` (yuan with thousands
    separators, two decimals, no unit — for report cells whose column says 元)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def yuan_grouped(fen: int) -> str:
    """``97300000`` → ``"973,000.00 元"``: like :func:`linli.eligibility.money.yuan` but
    with thousands separators, so large amounts on pages are easy to read."""
    return f"{grouped(fen)} 元"
