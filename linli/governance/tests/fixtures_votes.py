"""Shared scene of the vote tests (import the fixtures explicitly; no conftest here).

:func:`vote_scene`: in the test community, household ``h1`` has two adults with accounts
(``zhang``, ``zhang_wife``) and a 12-year-old (``child``); household ``h2`` one adult with
an account (``li``) and one without (``li_father``); household ``h3`` only a minor
(``kid_alone``, never an elector). ``manager`` is the community admin. Times are whole
days ahead in local time (:func:`local_at`), so nothing depends on the time of day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from linli.accounts.services import resident_account_create
from linli.governance import voting
from linli.governance.models import Vote, VoteScope
from linli.people.models import Resident, Role
from linli.places.models import Area, Household
from linli.testing.factories import HouseholdFactory, ResidentFactory, staff_user

_phones = iter(range(1, 10**6))


def local_at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """An aware datetime: the local date ``days`` from today at ``hour:minute``."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def years_ago(years: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    return voting.adult_born_by(today).replace(year=today.year - years) - dt.timedelta(days=days)


def with_account(resident: Resident) -> User:
    account = resident_account_create(
        resident=resident, phone=f"137{next(_phones):08d}", actor=None
    )
    return account.user


#: Inside the window of a vote made by :func:`make_vote` with default times.
DURING = local_at(2, 10)
OPENS = local_at(1, 9)
CLOSES = local_at(3, 18)
AFTER = local_at(4, 9)


def make_vote(manager: User, area: Area, *, publish: bool = True, **overrides: Any) -> Vote:
    """A vote 'from tomorrow 09:00 to in three days 18:00' (household scope, open)."""
    fields: dict[str, Any] = {
        "title": "是否将闲置空地改建为共享停车位",
        "question": "社区东侧闲置空地改建为 120 个智慧停车位，错峰共享。",
        "options": ["同意", "不同意"],
        "with_abstain": True,
        "scope": VoteScope.HOUSEHOLD,
        "quorum_percent": 50,
        "majority": "simple",
        "secret": False,
        "opens_at": OPENS,
        "closes_at": CLOSES,
        **overrides,
    }
    vote = voting.vote_create(actor=manager, area=area, now=fields["opens_at"], **fields)
    if publish:
        vote = voting.vote_publish(actor=manager, vote=vote, now=fields["opens_at"])
    return vote


def option(vote: Vote, label: str) -> int:
    return vote.options.get(label=label).pk


@dataclass
class VoteScene:
    community: Area
    manager: User
    h1: Household
    h2: Household
    h3: Household
    zhang: Resident
    zhang_user: User
    zhang_wife: Resident
    zhang_wife_user: User
    child: Resident
    li: Resident
    li_user: User
    li_father: Resident
    kid_alone: Resident


@pytest.fixture
def vote_scene(areas: dict[str, Area]) -> VoteScene:
    micro = areas["micro_grid"]
    h1, h2, h3 = (HouseholdFactory(building__micro_grid=micro) for _ in range(3))

    def person(name: str, household: Household, born: dt.date) -> Resident:
        return ResidentFactory(name=name, household=household, area=micro, birth_date=born)

    zhang = person("张建国", h1, dt.date(1970, 3, 1))
    zhang_wife = person("王秀英", h1, dt.date(1972, 6, 1))
    child = person("张小明", h1, years_ago(12))
    li = person("李卫东", h2, dt.date(1985, 1, 1))
    li_father = person("李老汉", h2, dt.date(1948, 9, 9))
    kid_alone = person("赵小小", h3, years_ago(17))
    return VoteScene(
        community=areas["community"],
        manager=staff_user(areas["community"], Role.COMMUNITY_ADMIN),
        h1=h1,
        h2=h2,
        h3=h3,
        zhang=zhang,
        zhang_user=with_account(zhang),
        zhang_wife=zhang_wife,
        zhang_wife_user=with_account(zhang_wife),
        child=child,
        li=li,
        li_user=with_account(li),
        li_father=li_father,
        kid_alone=kid_alone,
    )
