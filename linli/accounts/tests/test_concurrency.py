"""Two web workers at once: the database, not a process cache, decides.

Real threads with their own connections. PostgreSQL: advisory locks per number/address
(rate limits) and ``SELECT … FOR UPDATE`` (code use). SQLite: the IMMEDIATE transaction;
its in-memory test database answers "table is locked" at once instead of waiting out the
busy timeout, so :func:`race` retries there (as in linli/cases/tests/test_concurrency.py).
Run on both: ``DATABASE_URL=postgres://… pytest linli/accounts/tests/test_concurrency.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection

from linli.accounts import services
from linli.accounts.errors import CodeRejected, RateLimited
from linli.accounts.models import OneTimeCode
from linli.accounts.tests.conftest import DAUGHTER_PHONE, code_in
from linli.testing import concurrency

pytestmark = pytest.mark.django_db(transaction=True)
T0 = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)


def race(*calls: Callable[[], object]) -> list[str]:
    """:func:`linli.testing.concurrency.race`; the accounts errors are expected outcomes."""
    return concurrency.race(*calls, expected=(RateLimited, CodeRejected))


@pytest.mark.parametrize("round_", range(2))
def test_two_workers_asking_a_code_for_one_number_send_one(family, round_) -> None:  # type: ignore[no-untyped-def]
    def ask() -> object:
        return services.login_code_request(phone=DAUGHTER_PHONE, client_ip="10.0.0.1", now=T0)

    assert race(ask, ask) == ["RateLimited", "ok"], connection.vendor
    assert OneTimeCode.objects.count() == 1


def test_one_code_entered_twice_at_once_logs_in_once(family, sms_outbox) -> None:  # type: ignore[no-untyped-def]
    services.login_code_request(phone=DAUGHTER_PHONE, client_ip="10.0.0.1", now=T0)
    code = code_in(sms_outbox[-1])

    def enter() -> object:
        return services.login_code_verify(phone=DAUGHTER_PHONE, code=code, now=T0)

    assert race(enter, enter) == ["CodeRejected", "ok"], connection.vendor
