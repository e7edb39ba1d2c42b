"""Fixtures of the deliberation tests (topics, meetings, the public board).

Import the fixtures into a test module with ``from linli.governance.tests.fixtures_topics
import *`` (names listed in ``__all__``). The scene: the test community (``areas``) with a
threshold of 3 supports; residents with log-in accounts are made by :func:`neighbour`.
"""

from __future__ import annotations

import datetime as dt
from itertools import count
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from linli.accounts.services import resident_account_create
from linli.governance import meetings, services
from linli.governance.models import GovernanceRules, Meeting, Topic
from linli.people.models import Resident, Role
from linli.places.models import Area
from linli.testing.factories import HouseholdFactory, ResidentFactory, staff_user

__all__ = ["grid_worker", "manager", "neighbour", "resident_client", "rules", "topic"]

_phones = count(1)
THRESHOLD = 3


def local_at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """An aware datetime: the local date ``days`` from today at ``hour:minute``."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def make_neighbour(micro_grid: Area, name: str = "") -> tuple[Resident, User]:
    """A resident in a new household of ``micro_grid`` with a resident account."""
    household = HouseholdFactory(building__micro_grid=micro_grid)
    extra = {"name": name} if name else {}
    resident = ResidentFactory(household=household, area=micro_grid, **extra)
    account = resident_account_create(
        resident=resident, phone=f"137{next(_phones):08d}", actor=None
    )
    return resident, account.user


def login(user: User) -> Client:
    """A client logged in as a resident account (or any user)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session["linli_resident"] = True
    session.save()
    return client


@pytest.fixture
def rules(areas: dict[str, Area]) -> GovernanceRules:
    return GovernanceRules.objects.create(community=areas["community"], support_threshold=THRESHOLD)


@pytest.fixture
def neighbour(areas: dict[str, Area]) -> Any:
    """``neighbour("王小明")`` → (resident, user) living in the test community."""
    return lambda name="": make_neighbour(areas["micro_grid"], name)


@pytest.fixture
def resident_client() -> Any:
    return login


@pytest.fixture
def grid_worker(areas: dict[str, Area]) -> User:
    """A grid worker (may raise for others, may not manage)."""
    return staff_user(areas["grid"], Role.GRID_WORKER, last_name="李")


@pytest.fixture
def manager(areas: dict[str, Area]) -> User:
    """A community admin named 王 (manages deliberation in the test community)."""
    return staff_user(areas["community"], Role.COMMUNITY_ADMIN, last_name="王", first_name="芳")


@pytest.fixture
def topic(areas: dict[str, Area], rules: GovernanceRules, grid_worker: User) -> Topic:
    """An open topic about parking raised by the grid worker in their own name."""
    return services.topic_raise(
        actor=grid_worker,
        area=areas["community"],
        title="小区停车难",
        category="parking",
        description="晚上车位不够，消防通道被占",
    )


def planned_meeting(area: Area, actor: User, days: int = 7) -> Meeting:
    return meetings.meeting_create(
        actor=actor,
        area=area,
        title="第三季度居民议事会",
        starts_at=local_at(days, 19),
        place="社区活动室",
    )
