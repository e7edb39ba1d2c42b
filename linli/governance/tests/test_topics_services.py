"""Topics: raising, supports, the threshold, scheduling and declining (services)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from linli.governance import services
from linli.governance.errors import GovernanceError, IllegalTransition, NotAllowed
from linli.governance.models import (
    DEFAULT_SUPPORT_THRESHOLD,
    SupportChannel,
    Topic,
    TopicEvent,
    TopicStatus,
    TopicSupport,
)
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_topics import THRESHOLD, make_neighbour, planned_meeting
from linli.notify.models import Notification
from linli.places.models import Area

pytestmark = pytest.mark.django_db


def _raise(actor: User, area: Area, **kwargs: Any) -> Topic:
    fields = {"title": "楼道堆物", "category": "environment", "description": ""}
    return services.topic_raise(actor=actor, area=area, **{**fields, **kwargs})


def test_a_resident_raises_a_topic_and_their_support_counts_first(
    areas: dict[str, Area], rules: Any, neighbour: Any
) -> None:
    resident, user = neighbour("王小明")
    topic = _raise(user, areas["community"], resident=resident)
    year = timezone.localdate().year
    assert topic.number == f"YS-{year}-000001"
    assert topic.area == areas["community"] and topic.raised_for == resident
    assert topic.support_threshold == THRESHOLD and topic.support_count == 1
    support = TopicSupport.objects.get(topic=topic)
    assert support.resident == resident and support.channel == SupportChannel.ONLINE
    assert list(topic.events.values_list("from_status", "to_status")) == [("", "open")]
    assert _raise(user, areas["micro_grid"], resident=resident).number == f"YS-{year}-000002"


def test_staff_raising_in_their_own_name_adds_no_support_and_the_default_threshold(
    areas: dict[str, Area], grid_worker: User
) -> None:
    topic = _raise(grid_worker, areas["community"])
    assert topic.support_count == 0 and topic.raised_for is None
    assert topic.support_threshold == DEFAULT_SUPPORT_THRESHOLD


def test_a_grid_worker_raises_on_a_residents_behalf_without_signing_for_them(
    areas: dict[str, Area], rules: Any, grid_worker: User, neighbour: Any
) -> None:
    resident, _ = neighbour()
    topic = _raise(grid_worker, areas["community"], resident=resident)
    assert topic.raised_for == resident and topic.raised_by == grid_worker
    assert topic.support_count == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"category": "nonsense"}, "category"),
        ({"description": "长" * 2001}, "description"),
        ({"title": " "}, "title"),
        ({"title": "长" * 101}, "title"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    areas: dict[str, Area], grid_worker: User, fields: dict[str, str], field: str
) -> None:
    with pytest.raises(GovernanceError) as err:
        _raise(grid_worker, areas["community"], **fields)
    assert err.value.field == field and str(err.value)
    assert not Topic.objects.exists() and not TopicEvent.objects.exists()


def test_a_resident_of_another_community_or_an_outsider_cannot_be_named(
    areas: dict[str, Area], other_areas: dict[str, Area], grid_worker: User, elsewhere: User
) -> None:
    stranger, stranger_user = make_neighbour(other_areas["micro_grid"])
    with pytest.raises(GovernanceError, match="不住在本社区"):
        _raise(grid_worker, areas["community"], resident=stranger)
    with pytest.raises(NotAllowed):
        _raise(elsewhere, areas["community"])
    with pytest.raises(GovernanceError, match="不住在本社区"):
        _raise(stranger_user, areas["community"], resident=stranger)
    assert not Topic.objects.exists()


def test_a_resident_account_cannot_raise_in_someone_elses_name(
    areas: dict[str, Area], neighbour: Any
) -> None:
    _me, user = neighbour()
    other, _ = neighbour()
    with pytest.raises(NotAllowed):
        _raise(user, areas["community"], resident=other)
    assert not Topic.objects.exists()


def test_reaching_the_threshold_qualifies_the_topic_and_tells_the_admins(
    topic: Topic,
    neighbour: Any,
    manager: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    people = [neighbour() for _ in range(THRESHOLD)]
    for _resident, user in people[:-1]:
        services.topic_support(topic=topic, actor=user)
    topic.refresh_from_db()
    assert topic.status == TopicStatus.OPEN and topic.support_count == THRESHOLD - 1
    with django_capture_on_commit_callbacks(execute=True):
        services.topic_support(topic=topic, actor=people[-1][1], comment="支持")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.QUALIFIED and topic.support_count == THRESHOLD
    event = topic.events.get(to_status=TopicStatus.QUALIFIED)
    assert "3 人" in event.note
    note = Notification.objects.get(user=manager)
    assert "附议已达门槛" in note.title and note.link == f"/governance/topics/{topic.pk}/"


def test_support_once_per_resident(topic: Topic, neighbour: Any) -> None:
    _, user = neighbour()
    services.topic_support(topic=topic, actor=user)
    with pytest.raises(IllegalTransition, match="您已附议过"):
        services.topic_support(topic=topic, actor=user)
    topic.refresh_from_db()
    assert topic.support_count == 1 and topic.supports.count() == 1


def test_only_residents_of_the_community_may_support(
    topic: Topic, other_areas: dict[str, Area]
) -> None:
    _, stranger = make_neighbour(other_areas["micro_grid"])
    with pytest.raises(GovernanceError, match="住在本社区"):
        services.topic_support(topic=topic, actor=stranger)
    assert not topic.supports.exists()


def test_staff_record_an_in_person_signature_for_a_resident(
    topic: Topic, grid_worker: User, elsewhere: User, neighbour: Any
) -> None:
    resident, _ = neighbour()
    support = services.topic_support(topic=topic, actor=grid_worker, resident=resident)
    assert support.channel == SupportChannel.IN_PERSON and support.recorded_by == grid_worker
    with pytest.raises(IllegalTransition, match="已附议过"):
        services.topic_support(topic=topic, actor=grid_worker, resident=resident)
    other, _ = neighbour()
    with pytest.raises(NotAllowed):
        services.topic_support(topic=topic, actor=elsewhere, resident=other)
    with pytest.raises(GovernanceError, match="请选择附议的居民"):
        services.topic_support(topic=topic, actor=grid_worker)


def test_a_declined_topic_takes_no_more_supports(
    topic: Topic, manager: User, neighbour: Any
) -> None:
    services.topic_decline(topic=topic, actor=manager, reason="属物业合同范围，转物业办理")
    _, user = neighbour()
    with pytest.raises(IllegalTransition, match="不再征集附议"):
        services.topic_support(topic=topic, actor=user)


def test_withdrawing_support_while_open(topic: Topic, neighbour: Any) -> None:
    resident, user = neighbour()
    services.topic_support(topic=topic, actor=user)
    services.topic_withdraw_support(topic=topic, actor=user, resident=resident)
    topic.refresh_from_db()
    assert topic.support_count == 0
    with pytest.raises(IllegalTransition, match="还没有附议"):
        services.topic_withdraw_support(topic=topic, actor=user, resident=resident)


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("declined", "open"),
        ("decided", "qualified"),
        ("done", "decided"),
        ("open", "done"),
        ("qualified", "decided"),
    ],
)
def test_illegal_transitions_are_refused(topic: Topic, start: str, to: str) -> None:
    Topic.objects.filter(pk=topic.pk).update(status=start)
    topic.refresh_from_db()
    with pytest.raises(IllegalTransition):
        services.topic_transition(topic=topic, actor=topic.raised_by, to=to)
    topic.refresh_from_db()
    assert topic.status == start and topic.events.count() == 1


def test_an_open_topic_goes_on_a_meeting_only_with_a_reason(
    topic: Topic,
    manager: User,
    neighbour: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _resident, user = neighbour()
    services.topic_support(topic=topic, actor=user)
    meeting = planned_meeting(topic.area, manager)
    with pytest.raises(GovernanceError, match="须写明理由") as err:
        services.topic_schedule(topic=topic, actor=manager, meeting=meeting)
    assert err.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        services.topic_schedule(topic=topic, actor=manager, meeting=meeting, reason="汛期前必须定")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.SCHEDULED and topic.meeting == meeting
    assert "汛期前必须定" in topic.events.last().note  # type: ignore[union-attr]
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert told == {user.pk, topic.raised_by_id}


def test_scheduling_refuses_other_communities_and_non_managers(
    topic: Topic,
    manager: User,
    grid_worker: User,
    other_areas: dict[str, Area],
) -> None:
    from linli.people.models import Role
    from linli.testing.factories import staff_user

    other_admin = staff_user(other_areas["community"], Role.COMMUNITY_ADMIN)
    foreign = planned_meeting(other_areas["community"], other_admin)
    with pytest.raises(GovernanceError, match="不属于"):
        services.topic_schedule(topic=topic, actor=manager, meeting=foreign, reason="急")
    with pytest.raises(NotAllowed):
        services.topic_schedule(
            topic=topic, actor=grid_worker, meeting=planned_meeting(topic.area, manager)
        )
    topic.refresh_from_db()
    assert topic.status == TopicStatus.OPEN and topic.meeting is None


def test_declining_needs_a_reason_and_tells_the_raiser(
    topic: Topic, manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    with pytest.raises(GovernanceError, match="请填写不予立项的理由"):
        services.topic_decline(topic=topic, actor=manager, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.topic_decline(topic=topic, actor=manager, reason="不属于居民自治范围")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECLINED and topic.decline_reason == "不属于居民自治范围"
    assert Notification.objects.get(user=topic.raised_by).title.endswith("不予立项")
    with pytest.raises(IllegalTransition):
        services.topic_decline(topic=topic, actor=manager, reason="再来一次")
