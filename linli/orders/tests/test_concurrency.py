"""Two overlapping shifts for one worker written at the same moment: one is saved.

Real threads with their own connections (``transaction=True``). On PostgreSQL the second
writer waits on the worker's ``SELECT … FOR UPDATE`` and then sees the first shift; on
SQLite writers are serialised and a locked in-memory test database is retried (as in
``linli/cases/tests/test_concurrency.py``). Run on both:
``DATABASE_URL=postgres://… pytest linli/orders/tests/test_concurrency.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from linli.orders.models import Shift
from linli.orders.services import shift_create
from linli.orders.tests.factories import DAY, provider, worker
from linli.testing import concurrency


def race(*calls: Callable[[], object]) -> list[str]:
    """:func:`linli.testing.concurrency.race`, with ValidationError as the expected outcome."""
    return concurrency.race(*calls, expected=(ValidationError,))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_overlapping_shifts_written_at_once_save_only_one(areas, round_):  # type: ignore[no-untyped-def]
    # Given a worker with no shifts
    person = worker(provider(areas["community"], services=()), skills={}, shift=None)
    # When two staff add overlapping shifts for the same day at the same moment
    outcomes = race(
        lambda: shift_create(worker=person, date=DAY, start=dt.time(8), end=dt.time(12)),
        lambda: shift_create(worker=person, date=DAY, start=dt.time(10), end=dt.time(14)),
    )
    # Then one is saved and the other is refused as overlapping
    assert outcomes == ["ValidationError", "ok"], (connection.vendor, outcomes)
    assert Shift.objects.filter(worker=person).count() == 1
