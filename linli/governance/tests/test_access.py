"""Who may raise for others and record in-person supports (:mod:`linli.governance.access`).

A raising role counts on the community, above it (street) or under it (a grid or
micro-grid worker of that community); a worker of another community — a sibling under the
same street or another street — may not. Managing stays at or above the community.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import Client

from linli.governance import services
from linli.governance.access import may_manage, may_raise_for_others
from linli.governance.errors import NotAllowed
from linli.governance.models import SupportChannel, Topic, TopicEvent, TopicSupport
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.people.models import Role
from linli.places.models import Area, AreaKind
from linli.testing.factories import staff_user

pytestmark = pytest.mark.django_db


def _child(parent: Area, code: str, kind: str) -> Area:
    return Area.objects.create(
        code=code, kind=kind, name=f"邻社区{kind}", parent=parent, path=f"{parent.path}{code}/"
    )


@pytest.fixture
def sibling_worker(areas: dict[str, Area]) -> User:
    """A micro-grid worker of another community under the same street."""
    street = areas["street"]
    community = _child(street, street.code + "002", AreaKind.COMMUNITY)
    grid = _child(community, community.code + "001", AreaKind.GRID)
    micro = _child(grid, grid.code + "01", AreaKind.MICRO_GRID)
    return staff_user(micro, Role.MICRO_GRID_WORKER)


def _staff(client_user: User) -> Client:
    client = Client()
    client.force_login(client_user)
    return client


def test_a_worker_under_the_community_may_raise_but_not_manage(
    areas: dict[str, Area], assigned: User, grid_worker: User
) -> None:
    community = areas["community"]
    for user in (assigned, grid_worker):  # a micro-grid worker, a grid worker
        assert may_raise_for_others(user, community)
        assert not may_manage(user, community)


def test_workers_of_other_communities_and_anonymous_may_not_raise(
    areas: dict[str, Area], elsewhere: User, sibling_worker: User
) -> None:
    community = areas["community"]
    assert not may_raise_for_others(elsewhere, community)
    assert not may_raise_for_others(sibling_worker, community)
    assert not may_raise_for_others(AnonymousUser(), community)


def test_roles_at_and_above_the_community_still_count(
    areas: dict[str, Area], community_admin: User
) -> None:
    street_admin = staff_user(areas["street"], Role.STREET_ADMIN)
    for user in (community_admin, street_admin):
        assert may_raise_for_others(user, areas["community"])
        assert may_manage(user, areas["community"])
    inactive = staff_user(areas["micro_grid"], Role.MICRO_GRID_WORKER, is_active=False)
    assert not may_raise_for_others(inactive, areas["community"])


def test_a_micro_grid_worker_raises_for_a_resident_and_records_in_person_supports(
    areas: dict[str, Area], rules: Any, assigned: User, neighbour: Any
) -> None:
    raiser, _ = neighbour("赵大爷")
    topic = services.topic_raise(
        actor=assigned,
        area=areas["community"],
        title="楼道灯坏了",
        category="facilities",
        resident=raiser,
    )
    assert topic.raised_by == assigned and topic.raised_for == raiser
    assert topic.support_count == 0  # staff do not sign for the resident
    signer, _ = neighbour("钱阿姨")
    support = services.topic_support(topic=topic, actor=assigned, resident=signer)
    assert support.channel == SupportChannel.IN_PERSON and support.recorded_by == assigned


def test_a_micro_grid_worker_records_an_in_person_support_on_the_page(
    topic: Topic, assigned: User, neighbour: Any
) -> None:
    signer, _ = neighbour("孙奶奶")
    answer = _staff(assigned).post(
        f"/governance/topics/{topic.pk}/support/", {"resident": signer.pk}
    )
    assert answer.status_code == 302
    assert TopicSupport.objects.get(topic=topic).channel == SupportChannel.IN_PERSON


def test_a_worker_of_another_community_may_not_raise_or_record_supports(
    areas: dict[str, Area], rules: Any, topic: Topic, sibling_worker: User, neighbour: Any
) -> None:
    resident, _ = neighbour("周先生")
    events = TopicEvent.objects.count()
    with pytest.raises(NotAllowed):
        services.topic_raise(
            actor=sibling_worker,
            area=areas["community"],
            title="楼道灯坏了",
            category="facilities",
            resident=resident,
        )
    with pytest.raises(NotAllowed):
        services.topic_support(topic=topic, actor=sibling_worker, resident=resident)
    assert Topic.objects.count() == 1 and TopicEvent.objects.count() == events
    assert not TopicSupport.objects.exists()


def test_a_worker_of_another_street_sees_no_topic_page(
    topic: Topic, elsewhere: User, neighbour: Any
) -> None:
    resident, _ = neighbour()
    client = _staff(elsewhere)
    answer = client.post(f"/governance/topics/{topic.pk}/support/", {"resident": resident.pk})
    assert answer.status_code == 404
    assert Client().post(f"/governance/topics/{topic.pk}/support/").status_code == 302
    assert not TopicSupport.objects.exists()
