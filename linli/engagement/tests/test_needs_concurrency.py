"""Needs raised or moved at the same moment (real threads; row locks decide on PostgreSQL).

Run on PostgreSQL to see the threads truly overlap:
``DATABASE_URL=postgres://… pytest linli/engagement/tests/test_needs_concurrency.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from linli.engagement.errors import IllegalTransition
from linli.engagement.models import Need, NeedEvent, NeedStatus
from linli.engagement.services import need_transition
from linli.testing.concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_needs_raised_together_get_distinct_numbers(raise_need: Callable[..., Need]) -> None:
    outcomes = race(*[lambda i=i: raise_need(title=f"同时提出的需求 {i}") for i in range(4)])

    assert outcomes == ["ok"] * 4
    numbers = list(Need.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 4


def test_two_staff_accepting_at_once_accept_once(need: Need, admin: User, worker: User) -> None:
    outcomes = race(
        lambda: need_transition(need=need, actor=admin, to="accepted"),
        lambda: need_transition(need=need, actor=worker, to="accepted"),
        expected=(IllegalTransition,),
    )

    assert outcomes == ["IllegalTransition", "ok"]
    need.refresh_from_db()
    assert need.status == NeedStatus.ACCEPTED
    assert NeedEvent.objects.filter(need=need, to_status="accepted").count() == 1
