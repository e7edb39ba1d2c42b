"""Concurrent appends from separate connections stay gap-free and verifiable.

Real threads, each with its own database connection (``transaction=True``). On PostgreSQL
the writers really overlap and the advisory lock in ``record`` serialises them; on SQLite
the database serialises writers and :func:`linli.testing.concurrency.race` retries
"locked". Run on both: ``DATABASE_URL=postgres://… pytest linli/audit/tests/test_concurrency.py``.
"""

from __future__ import annotations

import time

import pytest
from django.db import OperationalError

from linli.audit.models import AuditEvent, AuditKind
from linli.audit.services import record
from linli.audit.verification import verify_chain
from linli.testing.concurrency import race

WRITERS, EACH = 6, 5


def append(summary: str) -> None:
    """One record; on SQLite a "locked" answer is retried here, per event, so a retry never
    writes an event twice (race() would rerun the whole writer)."""
    for _ in range(400):
        try:
            record(AuditKind.LOGIN, summary)
            return
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.05)
    raise AssertionError("SQLite stayed locked")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_stay_gap_free_and_verifiable():  # type: ignore[no-untyped-def]
    def writer(n: int):  # type: ignore[no-untyped-def]
        def write() -> None:
            for i in range(EACH):
                append(f"线程 {n} 第 {i} 条")

        return write

    outcomes = race(*(writer(n) for n in range(WRITERS)))
    assert outcomes == ["ok"] * WRITERS
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, WRITERS * EACH + 1))
    report = verify_chain()
    assert report.ok and report.checked == WRITERS * EACH
