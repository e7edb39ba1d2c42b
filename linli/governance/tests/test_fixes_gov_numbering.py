"""``linli.common.numbering.next_number``: topic and need numbers keep counting as numbers
(past the padding width and across the old 4-digit topic numbers)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from linli.common.numbering import next_number
from linli.engagement.models import Need
from linli.engagement.services import need_number_next
from linli.governance.models import Topic
from linli.governance.services import topic_number_next
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.places.models import Area
from linli.testing.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def _topic(area: Area, user: User, number: str) -> Topic:
    return Topic.objects.create(
        area=area,
        number=number,
        title="停车",
        category="parking",
        raised_by=user,
        support_threshold=20,
    )


def test_topic_numbers_have_six_digits_and_count_on(areas: dict[str, Area], manager: User) -> None:
    area = areas["community"]
    assert topic_number_next(2030) == "YS-2030-000001"
    _topic(area, manager, "YS-2030-0042")  # numbered before the change: 4 digits
    _topic(area, manager, "YS-2031-000007")  # another year does not count
    assert topic_number_next(2030) == "YS-2030-000043"
    _topic(area, manager, "YS-2030-999999")
    assert topic_number_next(2030) == "YS-2030-1000000"
    _topic(area, manager, "YS-2030-1000000")
    # As strings "YS-2030-999999" > "YS-2030-1000000": compared as numbers it goes on.
    assert topic_number_next(2030) == "YS-2030-1000001"


def test_the_helper_at_four_digits_past_9999(areas: dict[str, Area], manager: User) -> None:
    area = areas["community"]
    for number in ("T-9998", "T-9999", "T-10000", "T-X1"):
        _topic(area, manager, number)
    assert next_number(Topic.objects.all(), "number", "T-", 4) == "T-10001"
    assert next_number(Topic.objects.none(), "number", "T-", 4) == "T-0001"


def test_need_numbers_keep_their_format(areas: dict[str, Area]) -> None:
    assert need_number_next(2030) == "XQ2030000001"
    Need.objects.create(
        number="XQ2030000041",
        area=areas["community"],
        organization=OrganizationFactory(area=areas["community"]),
        category="training",
        title="培训",
    )
    assert need_number_next(2030) == "XQ2030000042"
