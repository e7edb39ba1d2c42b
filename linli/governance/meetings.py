"""Writes of deliberation meetings (议事会): plan and change a meeting, its participants,
holding it with minutes or cancelling it, its decisions (决议) and their follow-ups
(落实事项) with progress reports.

Topics and supports are in :mod:`linli.governance.services`, whose shared private helpers
(field checks, row locks, topic events and notifications) this module imports; services
never imports this module, so there is no cycle.

Every function is keyword-only and atomic, checks who may act before it writes, locks the
meeting (and topic) it moves with ``select_for_update`` and checks its state; a topic step
writes an immutable :class:`~linli.governance.models.TopicEvent` through
:func:`~linli.governance.services.topic_transition`. Errors are
:mod:`linli.governance.errors` with a Chinese message: :class:`GovernanceError` (400),
:class:`NotAllowed` (403), :class:`IllegalTransition` (409). A refused call leaves no row
behind. Meetings, decisions and follow-ups are run by community/street admins and grid
leaders (:func:`~linli.governance.access.may_manage`); a follow-up's owner also reports
its progress.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from linli.activities.models import Venue
from linli.cases.models import Case
from linli.governance.access import may_manage, may_raise_for_others
from linli.governance.errors import GovernanceError, IllegalTransition, NotAllowed
from linli.governance.models import (
    Decision,
    FollowUp,
    FollowUpStatus,
    FollowUpUpdate,
    Meeting,
    MeetingParticipant,
    MeetingStatus,
    ParticipantRole,
    Topic,
    TopicStatus,
)
from linli.governance.services import (
    NOTE_MAX,
    REASON_MAX,
    TEXT_MAX,
    TITLE_MAX,
    AnyUser,
    _community,
    _count,
    _manage_check,
    _meeting_locked,
    _tell_people_on_commit,
    _text,
    _topic_locked,
    _under,
    _user,
    topic_transition,
)
from linli.orgs.models import Organization
from linli.people.models import Resident
from linli.places.models import Area

NAME_MAX = 50
PLACE_MAX = 100


# --- meetings -------------------------------------------------------------------------------


def _meeting_fields(
    community: Area,
    *,
    title: str,
    starts_at: dt.datetime,
    venue: Venue | None,
    place: str,
    agenda: str,
) -> dict[str, Any]:
    if not isinstance(starts_at, dt.datetime) or timezone.is_naive(starts_at):
        raise GovernanceError("请填写召开时间（日期和时刻）", field="starts_at")
    place = _text(place, field="place", label="地点", limit=PLACE_MAX)
    if venue is not None and not (
        _under(venue.area, community) or community.path.startswith(venue.area.path)
    ):
        raise GovernanceError("所选场地不属于本社区", field="venue")
    if venue is None and not place:
        raise GovernanceError("请选择场地或填写地点", field="place")
    return {
        "title": _text(title, field="title", label="会议名称", limit=TITLE_MAX, required=True),
        "starts_at": starts_at,
        "venue": venue,
        "place": place,
        "agenda": _text(agenda, field="agenda", label="议程", limit=TEXT_MAX),
    }


@transaction.atomic
def meeting_create(
    *,
    actor: AnyUser,
    area: Area,
    title: str,
    starts_at: dt.datetime,
    venue: Venue | None = None,
    place: str = "",
    agenda: str = "",
) -> Meeting:
    """Plan a deliberation meeting in the community at or above ``area``.

    ``starts_at`` aware; ``venue`` (of the community) or ``place`` in words, at least one;
    ``title`` ≤100, ``agenda`` ≤2,000.

    Raises: NotAllowed (not a manager), GovernanceError (a bad field).
    """
    community = _community(area)
    _manage_check(actor, community)
    fields = _meeting_fields(
        community, title=title, starts_at=starts_at, venue=venue, place=place, agenda=agenda
    )
    user = _user(actor)
    assert user is not None
    return Meeting.objects.create(area=community, created_by=user, **fields)


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    actor: AnyUser,
    title: str,
    starts_at: dt.datetime,
    venue: Venue | None = None,
    place: str = "",
    agenda: str = "",
) -> Meeting:
    """Change a planned meeting's title, time, venue or place and agenda.

    Raises: NotAllowed, IllegalTransition (held or cancelled), GovernanceError.
    """
    _manage_check(actor, meeting.area)
    meeting = _meeting_locked(meeting)
    if meeting.status != MeetingStatus.PLANNED:
        raise IllegalTransition("会议已召开或已取消，不能再修改")
    fields = _meeting_fields(
        meeting.area, title=title, starts_at=starts_at, venue=venue, place=place, agenda=agenda
    )
    for name, value in fields.items():
        setattr(meeting, name, value)
    meeting.save()
    return meeting


@transaction.atomic
def participant_add(
    *,
    meeting: Meeting,
    actor: AnyUser,
    role: str,
    name: str = "",
    resident: Resident | None = None,
    organization: Organization | None = None,
) -> MeetingParticipant:
    """Invite someone to a planned meeting: a resident of the community, a person of an
    organisation, or a name only. ``name`` defaults to the resident's name (≤50).

    Raises: NotAllowed, IllegalTransition (not planned), GovernanceError.
    """
    _manage_check(actor, meeting.area)
    meeting = _meeting_locked(meeting)
    if meeting.status != MeetingStatus.PLANNED:
        raise IllegalTransition("会议已召开或已取消，不能再添加参会人")
    if role not in ParticipantRole.values:
        raise GovernanceError("请选择参会身份", field="role")
    if resident is not None and not _under(resident.area, meeting.area):
        raise GovernanceError("该居民不住在本社区", field="resident")
    name = name or (resident.name if resident is not None else "")
    if not name and organization is not None:
        name = organization.name[:NAME_MAX]
    name = _text(name, field="name", label="参会人姓名", limit=NAME_MAX, required=True)
    return MeetingParticipant.objects.create(
        meeting=meeting, role=role, name=name, resident=resident, organization=organization
    )


@transaction.atomic
def participant_remove(*, participant: MeetingParticipant, actor: AnyUser) -> None:
    """Remove an invitee from a planned meeting. Raises: NotAllowed, IllegalTransition."""
    meeting = participant.meeting
    _manage_check(actor, meeting.area)
    meeting = _meeting_locked(meeting)
    if meeting.status != MeetingStatus.PLANNED:
        raise IllegalTransition("会议已召开或已取消，参会人名单不能再改")
    participant.delete()


@transaction.atomic
def meeting_hold(
    *, meeting: Meeting, actor: AnyUser, minutes: str, absent: Iterable[int] = ()
) -> Meeting:
    """Record that a planned meeting was held → ``held``, with ``minutes`` (required,
    ≤20,000 characters). ``absent``: ids of participants who did not come (the others are
    marked attended).

    Raises: NotAllowed, IllegalTransition (not planned), GovernanceError (no minutes).
    """
    _manage_check(actor, meeting.area)
    minutes = _text(minutes, field="minutes", label="会议纪要", limit=20_000, required=True)
    meeting = _meeting_locked(meeting)
    if meeting.status != MeetingStatus.PLANNED:
        raise IllegalTransition(f"会议现在是「{meeting.get_status_display()}」，不能再记为召开")
    absent_ids = {int(pk) for pk in absent}
    meeting.participants.update(attended=True)
    meeting.participants.filter(pk__in=absent_ids).update(attended=False)
    meeting.minutes, meeting.status = minutes, MeetingStatus.HELD
    meeting.save()
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, actor: AnyUser, reason: str) -> Meeting:
    """Cancel a planned meeting (``reason`` required, ≤200); its scheduled topics go back
    to ``qualified`` with an event each and their people are told.

    Raises: NotAllowed, IllegalTransition (not planned), GovernanceError.
    """
    _manage_check(actor, meeting.area)
    reason = _text(reason, field="reason", label="取消理由", limit=REASON_MAX, required=True)
    meeting = _meeting_locked(meeting)
    if meeting.status != MeetingStatus.PLANNED:
        raise IllegalTransition("只能取消尚未召开的会议")
    topics = Topic.objects.select_for_update().filter(meeting=meeting).order_by("pk")
    for topic in topics:
        if topic.status != TopicStatus.SCHEDULED:
            continue
        topic.meeting = None
        topic_transition(
            topic=topic, actor=actor, to=TopicStatus.QUALIFIED, note=f"议事会取消：{reason}"
        )
        _tell_people_on_commit(topic, f"议题「{topic.title}」原定的议事会取消", reason)
    meeting.status = MeetingStatus.CANCELLED
    meeting.agenda = (meeting.agenda + f"\n（已取消：{reason}）").strip()[:TEXT_MAX]
    meeting.save()
    return meeting


# --- decisions and follow-ups ---------------------------------------------------------------


@transaction.atomic
def decision_record(
    *,
    meeting: Meeting,
    actor: AnyUser,
    text: str,
    deadline: dt.date,
    topic: Topic | None = None,
    owners: Sequence[User] = (),
    owner_orgs: Sequence[Organization] = (),
    votes_for: int | None = None,
    votes_against: int | None = None,
    votes_abstain: int | None = None,
    public: bool = True,
) -> Decision:
    """Record a decision of a held meeting; for ``topic`` (scheduled on that meeting) the
    topic moves to ``decided`` and its people are told.

    ``text`` required ≤2,000; ``owners`` staff covering the community; ``owner_orgs`` any
    organisations; at least one owner of either kind; ``deadline`` a local date; show of
    hands counts 0–100,000 or ``None``.

    Raises: NotAllowed, IllegalTransition (meeting not held; topic not scheduled),
        GovernanceError (topic not on the meeting, owner outside the community, bad field).
    """
    _manage_check(actor, meeting.area)
    text = _text(text, field="text", label="决议内容", limit=TEXT_MAX, required=True)
    if not isinstance(deadline, dt.date):
        raise GovernanceError("请填写完成期限", field="deadline")
    counts = {
        "votes_for": _count(votes_for, field="votes_for", label="赞成票"),
        "votes_against": _count(votes_against, field="votes_against", label="反对票"),
        "votes_abstain": _count(votes_abstain, field="votes_abstain", label="弃权票"),
    }
    if not owners and not owner_orgs:
        raise GovernanceError("请指定责任人或责任单位", field="owners")
    for owner in owners:
        if not may_raise_for_others(owner, meeting.area):
            raise GovernanceError(f"责任人 {owner} 不负责本社区", field="owners")
    meeting = _meeting_locked(meeting)
    if meeting.status != MeetingStatus.HELD:
        raise IllegalTransition("会议召开并记录纪要后才能记录决议", field="meeting")
    if topic is not None:
        topic = _topic_locked(topic)
        if topic.meeting_id != meeting.pk:
            raise GovernanceError("这个议题没有列入本次议事会", field="topic")
        topic_transition(topic=topic, actor=actor, to=TopicStatus.DECIDED, note=text[:NOTE_MAX])
        _tell_people_on_commit(topic, f"议题「{topic.title}」已形成决议", text[:200])
    decision = Decision.objects.create(
        meeting=meeting, topic=topic, text=text, deadline=deadline, public=public, **counts
    )
    decision.owners.set(owners)
    decision.owner_orgs.set(owner_orgs)
    return decision


@transaction.atomic
def followup_add(
    *,
    decision: Decision,
    actor: AnyUser,
    title: str,
    due: dt.date,
    owner: User | None = None,
    owner_org: Organization | None = None,
    case: Case | None = None,
) -> FollowUp:
    """Add a follow-up item (task) to ``decision``: ``title`` ≤100, ``due`` a local date,
    an ``owner`` (staff covering the community) or ``owner_org``, optionally linked to an
    existing grid ``case`` of the community (its own lifecycle then reports progress).

    Raises: NotAllowed, IllegalTransition (the topic is done already), GovernanceError.
    """
    area = decision.meeting.area
    _manage_check(actor, area)
    title = _text(title, field="title", label="事项", limit=TITLE_MAX, required=True)
    if not isinstance(due, dt.date):
        raise GovernanceError("请填写期限", field="due")
    if owner is None and owner_org is None:
        raise GovernanceError("请指定责任人或责任单位", field="owner")
    if owner is not None and not may_raise_for_others(owner, area):
        raise GovernanceError("责任人不负责本社区", field="owner")
    if case is not None and not _under(case.area, area):
        raise GovernanceError("所选事件不属于本社区", field="case")
    if decision.topic_id is not None:
        topic = _topic_locked(decision.topic)  # type: ignore[arg-type]
        if topic.status == TopicStatus.DONE:
            raise IllegalTransition("议题已落实完毕，不能再添加落实事项")
    return FollowUp.objects.create(
        decision=decision, title=title, due=due, owner=owner, owner_org=owner_org, case=case
    )


@transaction.atomic
def followup_update(
    *, follow_up: FollowUp, actor: AnyUser, status: str, note: str
) -> FollowUpUpdate:
    """Report progress on a follow-up: ``status`` (a :class:`FollowUpStatus`) and a public
    ``note`` (required, ≤300). Done stamps ``done_at``; when every follow-up of every
    decision on the topic is done, the topic moves ``decided`` → ``done``.

    Who: managers of the community and the follow-up's owner.

    Raises: NotAllowed, IllegalTransition (done already), GovernanceError.
    """
    area = follow_up.decision.meeting.area
    if not (may_manage(actor, area) or (follow_up.owner_id and follow_up.owner_id == actor.pk)):
        raise NotAllowed("只有责任人或社区管理员可以填报进展")
    if status not in FollowUpStatus.values:
        raise GovernanceError("请选择进度", field="status")
    note = _text(note, field="note", label="进展说明", limit=NOTE_MAX, required=True)
    topic_id = follow_up.decision.topic_id
    topic = Topic.objects.select_for_update().get(pk=topic_id) if topic_id else None
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.status == FollowUpStatus.DONE:
        raise IllegalTransition("这项事项已完成，不能再改进度")
    follow_up.status = status
    follow_up.done_at = timezone.now() if status == FollowUpStatus.DONE else None
    follow_up.save()
    user = _user(actor)
    assert user is not None
    update = FollowUpUpdate.objects.create(
        follow_up=follow_up, actor=user, status=status, note=note
    )
    if topic is not None and status == FollowUpStatus.DONE and topic.status == TopicStatus.DECIDED:
        pending = FollowUp.objects.filter(decision__topic=topic).exclude(status=FollowUpStatus.DONE)
        if not pending.exists():
            topic_transition(topic=topic, actor=actor, to=TopicStatus.DONE, note="决议事项全部落实")
            _tell_people_on_commit(topic, f"议题「{topic.title}」的决议已全部落实", note)
    return update
