"""REST pagination: DRF's ``limit``/``offset`` with a ceiling on ``limit``.

Without a ceiling, ``?limit=419836924709146329088`` reached the database as a slice bound
and failed there (SQLite: "Python int too large to convert to SQLite INTEGER"; PostgreSQL:
bigint out of range) — a 500 found by the API fuzzing (``benchmarks/fuzz.py``). A larger
``limit`` is now cut to :data:`MAX_LIMIT` (DRF's ``max_limit``). A huge ``offset`` needs no
ceiling: past the row count DRF answers an empty page without querying.
"""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination

#: The most rows one page may hold (``?limit=`` above it gives this many).
MAX_LIMIT = 1000


class LimitOffset(LimitOffsetPagination):
    """``limit`` (default ``PAGE_SIZE``, at most :data:`MAX_LIMIT`) and ``offset``."""

    max_limit = MAX_LIMIT
