"""Concurrent last-place registrations never overbook (issue 6): real threads, each with
its own connection, released together (:func:`linli.testing.concurrency.race`). On
PostgreSQL the registrations overlap and the activity row lock decides; on SQLite the
IMMEDIATE transactions serialise them."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import pytest
from django.db import connection

from linli.activities.errors import ActivityError
from linli.activities.models import Activity, RegistrationStatus
from linli.activities.services import registration_create
from linli.activities.tests.conftest import guest
from linli.testing.concurrency import race

CAPACITY = 8
ALREADY = 5  # 3 places left
RACERS = 10


@pytest.mark.django_db(transaction=True)
def test_ten_people_racing_for_the_last_three_places(
    make_activity: Callable[..., Activity],
) -> None:
    activity = make_activity(capacity=CAPACITY)
    for _ in range(ALREADY):
        registration_create(activity=activity, participant=guest())
    people = [guest(f"抢位{i}") for i in range(RACERS)]
    spans: list[tuple[float, float]] = []

    def register(index: int) -> Callable[[], object]:
        def call() -> object:
            started = time.monotonic()
            try:
                return registration_create(activity=activity, participant=people[index])
            finally:
                spans.append((started, time.monotonic()))

        return call

    outcomes = race(*(register(i) for i in range(RACERS)))

    assert outcomes == ["ok"] * RACERS
    if connection.vendor == "postgresql":  # they really ran at the same time
        spans.sort()
        assert any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))
    confirmed = activity.registrations.filter(status=RegistrationStatus.CONFIRMED)
    waitlisted = activity.registrations.filter(status=RegistrationStatus.WAITLISTED)
    assert confirmed.count() == CAPACITY  # exactly the 3 last places taken, never more
    assert waitlisted.count() == RACERS - (CAPACITY - ALREADY)
    assert set(waitlisted.values_list("name", flat=True)) < {p.name for p in people}


@pytest.mark.django_db(transaction=True)
def test_the_same_person_racing_twice_registers_once(
    make_activity: Callable[..., Activity],
) -> None:
    activity = make_activity(capacity=2)
    person = guest("王强")
    outcomes = race(
        *(lambda: registration_create(activity=activity, participant=person) for _ in range(4)),
        expected=(ActivityError,),
    )
    assert outcomes == ["ActivityError"] * 3 + ["ok"]
    assert activity.registrations.count() == 1
