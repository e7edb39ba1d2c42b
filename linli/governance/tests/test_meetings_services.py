"""Meetings, decisions and follow-ups (services): from a qualified topic to done."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from linli.cases.tests.pages import report
from linli.governance import meetings, selectors, services
from linli.governance.errors import GovernanceError, IllegalTransition, NotAllowed
from linli.governance.models import (
    Decision,
    FollowUp,
    FollowUpStatus,
    Meeting,
    MeetingParticipant,
    MeetingStatus,
    Topic,
    TopicStatus,
)
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_topics import local_at, planned_meeting
from linli.notify.models import Notification
from linli.places.models import Area
from linli.testing.factories import OrganizationFactory, ResidentFactory

pytestmark = pytest.mark.django_db

IN_A_MONTH = timezone.localdate() + dt.timedelta(days=30)


def _qualified(topic: Topic) -> Topic:
    Topic.objects.filter(pk=topic.pk).update(status=TopicStatus.QUALIFIED)
    topic.refresh_from_db()
    return topic


def _held(meeting: Meeting, manager: User) -> Meeting:
    return meetings.meeting_hold(meeting=meeting, actor=manager, minutes="到会 15 人，议定如下……")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"place": ""}, "place"),
        ({"starts_at": dt.datetime(2026, 5, 1, 19)}, "starts_at"),
        ({"title": ""}, "title"),
    ],
)
def test_a_meeting_needs_a_title_an_aware_time_and_a_place(
    areas: dict[str, Area], manager: User, fields: dict[str, Any], field: str
) -> None:
    good = {"title": "议事会", "starts_at": local_at(3, 19), "place": "活动室"}
    with pytest.raises(GovernanceError) as err:
        meetings.meeting_create(actor=manager, area=areas["community"], **{**good, **fields})
    assert err.value.field == field
    assert not Meeting.objects.exists()


def test_only_managers_plan_meetings(
    areas: dict[str, Area], grid_worker: User, elsewhere: User
) -> None:
    for actor in (grid_worker, elsewhere):
        with pytest.raises(NotAllowed):
            planned_meeting(areas["community"], actor)
    assert not Meeting.objects.exists()


def test_meeting_update_and_participants(areas: dict[str, Area], manager: User) -> None:
    meeting = planned_meeting(areas["community"], manager)
    meetings.meeting_update(
        meeting=meeting,
        actor=manager,
        title="停车专题议事会",
        starts_at=local_at(8, 19),
        place="党群服务中心二楼",
        agenda="一、停车难",
    )
    meeting.refresh_from_db()
    assert meeting.title == "停车专题议事会" and meeting.place == "党群服务中心二楼"
    rep = ResidentFactory(area=areas["micro_grid"], name="赵大爷")
    property_co = OrganizationFactory(name="安居物业")
    first = meetings.participant_add(
        meeting=meeting, actor=manager, role="resident_rep", resident=rep
    )
    meetings.participant_add(
        meeting=meeting, actor=manager, role="property", organization=property_co, name="钱经理"
    )
    assert first.name == "赵大爷"
    with pytest.raises(GovernanceError) as err:
        meetings.participant_add(meeting=meeting, actor=manager, role="nobody", name="某人")
    assert err.value.field == "role"
    with pytest.raises(GovernanceError, match="请填写参会人姓名"):
        meetings.participant_add(meeting=meeting, actor=manager, role="other")
    meetings.participant_remove(participant=first, actor=manager)
    assert list(meeting.participants.values_list("name", flat=True)) == ["钱经理"]


def test_holding_needs_minutes_and_records_who_came(areas: dict[str, Area], manager: User) -> None:
    meeting = planned_meeting(areas["community"], manager)
    came = meetings.participant_add(meeting=meeting, actor=manager, role="other", name="甲")
    away = meetings.participant_add(meeting=meeting, actor=manager, role="other", name="乙")
    with pytest.raises(GovernanceError, match="请填写会议纪要"):
        meetings.meeting_hold(meeting=meeting, actor=manager, minutes="")
    meetings.meeting_hold(meeting=meeting, actor=manager, minutes="纪要", absent=[away.pk])
    assert MeetingParticipant.objects.get(pk=came.pk).attended
    assert not MeetingParticipant.objects.get(pk=away.pk).attended
    with pytest.raises(IllegalTransition):
        _held(meeting, manager)
    with pytest.raises(IllegalTransition):
        meetings.participant_add(meeting=meeting, actor=manager, role="other", name="丙")


def test_cancelling_a_meeting_sends_its_topics_back_to_qualified(
    topic: Topic, manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    meeting = planned_meeting(topic.area, manager)
    services.topic_schedule(topic=_qualified(topic), actor=manager, meeting=meeting)
    with pytest.raises(GovernanceError, match="请填写取消理由"):
        meetings.meeting_cancel(meeting=meeting, actor=manager, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        meetings.meeting_cancel(meeting=meeting, actor=manager, reason="场地漏水")
    topic.refresh_from_db()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    assert topic.status == TopicStatus.QUALIFIED and topic.meeting is None
    assert "场地漏水" in topic.events.last().note  # type: ignore[union-attr]
    assert Notification.objects.filter(user=topic.raised_by, title__contains="取消").exists()


def test_a_decision_needs_a_held_meeting_and_the_topic_on_its_agenda(
    topic: Topic, manager: User, grid_worker: User
) -> None:
    meeting = planned_meeting(topic.area, manager)
    services.topic_schedule(topic=_qualified(topic), actor=manager, meeting=meeting)
    args = {"text": "划定夜间共享车位", "deadline": IN_A_MONTH, "owners": [manager]}
    with pytest.raises(IllegalTransition, match="召开"):
        meetings.decision_record(meeting=meeting, actor=manager, topic=topic, **args)
    _held(meeting, manager)
    other = services.topic_raise(
        actor=grid_worker, area=topic.area, title="垃圾分类", category="environment"
    )
    with pytest.raises(GovernanceError, match="没有列入本次议事会") as err:
        meetings.decision_record(meeting=meeting, actor=manager, topic=other, **args)
    assert err.value.field == "topic"
    with pytest.raises(GovernanceError, match="责任人或责任单位"):
        meetings.decision_record(
            meeting=meeting, actor=manager, topic=topic, text="x", deadline=IN_A_MONTH
        )
    with pytest.raises(GovernanceError, match="整数"):
        meetings.decision_record(
            meeting=meeting, actor=manager, topic=topic, votes_for="很多", **args
        )
    assert not Decision.objects.exists()
    topic.refresh_from_db()
    assert topic.status == TopicStatus.SCHEDULED


def test_owners_must_work_in_the_community(topic: Topic, manager: User, elsewhere: User) -> None:
    meeting = _held(planned_meeting(topic.area, manager), manager)
    with pytest.raises(GovernanceError, match="不负责本社区"):
        meetings.decision_record(
            meeting=meeting, actor=manager, text="x", deadline=IN_A_MONTH, owners=[elsewhere]
        )


def test_from_decision_to_done_when_every_follow_up_is_done(
    topic: Topic,
    manager: User,
    grid_worker: User,
    areas: dict[str, Area],
    django_capture_on_commit_callbacks: Any,
) -> None:
    meeting = planned_meeting(topic.area, manager)
    services.topic_schedule(topic=_qualified(topic), actor=manager, meeting=meeting)
    _held(meeting, manager)
    property_co = OrganizationFactory(name="安居物业", area=areas["community"])
    with django_capture_on_commit_callbacks(execute=True):
        decision = meetings.decision_record(
            meeting=meeting,
            actor=manager,
            topic=topic,
            text="利用闲置空地改建 120 个智能车位，错峰共享",
            deadline=IN_A_MONTH,
            owners=[manager],
            owner_orgs=[property_co],
            votes_for=14,
            votes_against=1,
            votes_abstain=0,
        )
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECIDED and decision.votes_for == 14
    assert Notification.objects.filter(user=topic.raised_by, title__contains="决议").exists()
    case = report(areas["micro_grid"], reporter=grid_worker)
    first = meetings.followup_add(
        decision=decision, actor=manager, title="划线施工", due=IN_A_MONTH, owner_org=property_co
    )
    second = meetings.followup_add(
        decision=decision,
        actor=manager,
        title="安装道闸",
        due=IN_A_MONTH,
        owner=grid_worker,
        case=case,
    )
    meetings.followup_update(follow_up=first, actor=manager, status="done", note="已划线")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECIDED
    update = meetings.followup_update(
        follow_up=second, actor=grid_worker, status="doing", note="设备到货"
    )
    assert update.status == FollowUpStatus.DOING
    meetings.followup_update(follow_up=second, actor=grid_worker, status="done", note="已安装")
    topic.refresh_from_db()
    second.refresh_from_db()
    assert topic.status == TopicStatus.DONE and second.done_at is not None
    assert second.updates.count() == 2
    with pytest.raises(IllegalTransition):
        meetings.followup_update(follow_up=second, actor=manager, status="doing", note="再改")
    with pytest.raises(IllegalTransition, match="落实完毕"):
        meetings.followup_add(
            decision=decision, actor=manager, title="再加", due=IN_A_MONTH, owner=manager
        )


def test_follow_up_bad_input_and_who_may_report(
    topic: Topic, manager: User, grid_worker: User, other_areas: dict[str, Area]
) -> None:
    meeting = _held(planned_meeting(topic.area, manager), manager)
    decision = meetings.decision_record(
        meeting=meeting, actor=manager, text="清理楼道", deadline=IN_A_MONTH, owners=[manager]
    )
    with pytest.raises(GovernanceError, match="责任人或责任单位"):
        meetings.followup_add(decision=decision, actor=manager, title="清理", due=IN_A_MONTH)
    with pytest.raises(GovernanceError, match="请填写事项"):
        meetings.followup_add(
            decision=decision, actor=manager, title="", due=IN_A_MONTH, owner=manager
        )
    foreign_case = report(other_areas["micro_grid"])
    with pytest.raises(GovernanceError, match="不属于本社区"):
        meetings.followup_add(
            decision=decision,
            actor=manager,
            title="清理",
            due=IN_A_MONTH,
            owner=manager,
            case=foreign_case,
        )
    item = meetings.followup_add(
        decision=decision, actor=manager, title="清理", due=IN_A_MONTH, owner=manager
    )
    with pytest.raises(NotAllowed):
        meetings.followup_update(follow_up=item, actor=grid_worker, status="doing", note="x")
    with pytest.raises(GovernanceError, match="请填写进展说明"):
        meetings.followup_update(follow_up=item, actor=manager, status="doing", note="")
    with pytest.raises(GovernanceError, match="请选择进度"):
        meetings.followup_update(follow_up=item, actor=manager, status="later", note="x")
    assert FollowUp.objects.get().status == FollowUpStatus.TODO


def test_overdue_follow_ups_are_listed_for_the_community_only(
    topic: Topic, manager: User, elsewhere: User
) -> None:
    meeting = _held(planned_meeting(topic.area, manager), manager)
    decision = meetings.decision_record(
        meeting=meeting, actor=manager, text="清理楼道", deadline=IN_A_MONTH, owners=[manager]
    )
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    late = meetings.followup_add(
        decision=decision, actor=manager, title="清运", due=yesterday, owner=manager
    )
    meetings.followup_add(
        decision=decision, actor=manager, title="复查", due=IN_A_MONTH, owner=manager
    )
    assert list(selectors.overdue_follow_ups(manager)) == [late]
    assert list(selectors.overdue_follow_ups(elsewhere)) == []
