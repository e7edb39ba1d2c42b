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


#: Where a shortened summary may end: after a Chinese or Latin punctuation mark or a space.
_BREAK_AFTER = set("，。；：！？、,.;:!?）)】」』”'\" \t")
_TRIM = "，。；：！？、,.;:!?（(【「『“ \t-—"
ELLIPSIS = "…"


def _is_word_char(char: str) -> bool:
    """Latin letters and digits form words and numbers that must not be cut in two."""
    return char.isascii() and char.isalnum()


def text_summary(text: str, *, limit: int) -> str:
    """``text`` on one line, shortened to at most ``limit`` characters plus "…".

    A shortened summary ends after the last punctuation mark or space (a line break
    counts) in its second half if there is one, else at ``limit`` — but not inside a
    Latin word or a number ("3号楼2单元1502" is not cut to "3号楼2单元15") unless that
    word fills more than half the summary; the ellipsis shows it was shortened. Text
    that fits is returned whole, without an ellipsis.
    """
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    breaks = [i + 1 for i in range(limit // 2, limit) if line[i] in _BREAK_AFTER]
    cut = breaks[-1] if breaks else limit
    start = cut  # of the Latin word or number the cut would split, if any
    while start > 0 and _is_word_char(line[start - 1]) and _is_word_char(line[start]):
        start -= 1
    if start >= limit // 2:  # a word too long to keep whole is cut after all
        cut = start
    return line[:cut].rstrip(_TRIM) + ELLIPSIS
