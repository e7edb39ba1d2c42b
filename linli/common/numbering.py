"""Human-readable record numbers: a prefix and a zero-padded yearly sequence.

``next_number(Topic.objects.all(), "number", "YS-2026-", 6)`` → ``"YS-2026-000124"``.

The sequence is one more than the highest existing number with the prefix, compared as
an integer (longer suffixes first, then the string), so it keeps counting past the padding
width (``…-999999`` → ``…-1000000``) and past a width change (a shorter, older suffix such
as ``YS-2026-0042`` is still read as 42). Uniqueness is left to the database (a unique
field): two concurrent callers may compute the same number; the loser's insert raises
``IntegrityError`` and the caller retries (see ``topic_raise`` and ``need_raise``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Length


def next_number(queryset: QuerySet[Any], field: str, prefix: str, width: int) -> str:
    """The next number ``f"{prefix}{seq:0{width}d}"`` for the rows of ``queryset``.

    ``field`` is the (unique) number field; rows whose suffix after ``prefix`` is not all
    digits are ignored. ``seq`` starts at 1.
    """
    rows = (
        queryset.filter(**{f"{field}__startswith": prefix})
        .annotate(_number_length=Length(field))
        .order_by("-_number_length", f"-{field}")
        .values_list(field, flat=True)
    )
    last = 0
    for number in rows.iterator(chunk_size=50):
        suffix = number[len(prefix) :]
        if suffix.isdigit():
            last = int(suffix)
            break
    return f"{prefix}{last + 1:0{width}d}"
