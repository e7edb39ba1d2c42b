"""Supports under concurrency: once per resident, and an exact count (real threads)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from linli.governance import services
from linli.governance.errors import IllegalTransition
from linli.governance.models import GovernanceRules, Topic, TopicStatus, TopicSupport
from linli.governance.tests.fixtures_topics import make_neighbour
from linli.places.models import Area
from linli.testing.concurrency import race
from linli.testing.factories import staff_user

pytestmark = pytest.mark.django_db(transaction=True)


def _topic(areas: dict[str, Area], threshold: int) -> Topic:
    GovernanceRules.objects.create(community=areas["community"], support_threshold=threshold)
    worker: User = staff_user(areas["grid"], "grid_worker")
    return services.topic_raise(
        actor=worker, area=areas["community"], title="加装电梯", category="facilities"
    )


def test_two_supports_by_the_same_resident_at_once_count_once(areas: dict[str, Area]) -> None:
    topic = _topic(areas, 20)
    _, user = make_neighbour(areas["micro_grid"])

    def support() -> None:
        services.topic_support(topic=topic, actor=user)

    assert race(support, support, expected=(IllegalTransition,)) == ["IllegalTransition", "ok"]
    topic.refresh_from_db()
    assert topic.support_count == 1 and TopicSupport.objects.filter(topic=topic).count() == 1


def test_ten_neighbours_supporting_at_once_are_all_counted(areas: dict[str, Area]) -> None:
    topic = _topic(areas, 10)
    users = [make_neighbour(areas["micro_grid"])[1] for _ in range(10)]

    def support_by(user: User) -> Any:
        return lambda: services.topic_support(topic=topic, actor=user)

    assert race(*(support_by(u) for u in users)) == ["ok"] * 10
    topic.refresh_from_db()
    assert topic.support_count == 10 == topic.supports.count()
    assert topic.status == TopicStatus.QUALIFIED
    assert topic.events.filter(to_status=TopicStatus.QUALIFIED).count() == 1
