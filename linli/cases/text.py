"""Text and upload conventions shared by the case services."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.html import strip_tags

from linli.cases.errors import CaseInputError

#: Upload type accepted by the photo arguments (Django UploadedFile, BytesIO or bytes).
Uploads = Sequence[Any] | None


def clean_text(
    value: str, *, field: str, label: str, max_length: int, required: bool = True
) -> str:
    """Strip tags and surrounding space; check presence and length.

    Text is stored without markup and escaped again by templates, so script in a report
    is never executed (defence in depth).

    Raises:
        CaseInputError: empty when required, or longer than ``max_length`` characters.
    """
    text = strip_tags(value or "").strip()
    if required and not text:
        raise CaseInputError(f"{label}不能为空", field=field)
    if len(text) > max_length:
        raise CaseInputError(
            f"{label}不能超过 {max_length} 个字符（现有 {len(text)} 个）", field=field
        )
    return text
