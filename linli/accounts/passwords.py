"""Password rule of Linli's own: at least three of four character classes.

Django's validators (settings ``AUTH_PASSWORD_VALIDATORS``) check length (10), common
passwords, all-digit passwords and similarity to the user's name; this one adds the
complexity rule of GB/T 22239-2019 (等保 2.0, 8.1.4.1 a: "口令应有复杂度要求").
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

#: The four classes, in the order the message lists them.
CLASS_NAMES = ("大写字母", "小写字母", "数字", "符号")


def character_classes(password: str) -> set[str]:
    """The classes (names from :data:`CLASS_NAMES`) that ``password`` uses.

    Letters are ASCII A–Z / a–z; every other printable non-space character that is not a
    letter or digit (punctuation, full-width symbols, Chinese characters) counts as a symbol.
    """
    found: set[str] = set()
    for ch in password:
        if "A" <= ch <= "Z":
            found.add("大写字母")
        elif "a" <= ch <= "z":
            found.add("小写字母")
        elif ch.isdigit():
            found.add("数字")
        elif not ch.isspace():
            found.add("符号")
    return found


class CharacterClassValidator:
    """Require ``min_classes`` (default 3) of upper case, lower case, digits and symbols.

    Raises ``ValidationError`` (code ``password_too_simple``) with a Chinese message
    naming the classes still missing.
    """

    def __init__(self, min_classes: int = 3) -> None:
        if not 1 <= min_classes <= len(CLASS_NAMES):
            raise ValueError(f"min_classes must be 1–{len(CLASS_NAMES)}, got {min_classes}")
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        used = character_classes(password)
        if len(used) >= self.min_classes:
            return
        missing = "、".join(name for name in CLASS_NAMES if name not in used)
        raise ValidationError(
            f"密码太简单：须包含大写字母、小写字母、数字、符号中的至少 {self.min_classes} 种"
            f"（还可以加入：{missing}）。",
            code="password_too_simple",
        )

    def get_help_text(self) -> str:
        return f"密码须包含大写字母、小写字母、数字、符号中的至少 {self.min_classes} 种。"


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length rule with a Chinese message (Django 5.2's zh-hans catalogue lacks the
    current wording and would answer in English). Default length 10 (settings)."""

    def get_error_message(self) -> str:
        return f"密码太短：至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少 {self.min_length} 个字符。"
