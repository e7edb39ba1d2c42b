"""Writes of deliberation topics (议题) and their supports (附议): raise, support and
withdraw, schedule on a meeting, decline; the topic's moves and the in-app notifications.

Meetings, participants, decisions and follow-ups are in :mod:`linli.governance.meetings`,
which imports this module's shared private helpers (field checks ``_text``/``_count``,
``_manage_check``, row locks, ``topic_transition`` and the notification senders); this
module never imports it.

Every function is keyword-only and atomic, checks who may act before it writes, locks the
row it moves (``select_for_update``), checks its state and writes an immutable
:class:`~linli.governance.models.TopicEvent` for every topic step. Errors are
:mod:`linli.governance.errors` with a Chinese message: :class:`GovernanceError` (400),
:class:`NotAllowed` (403), :class:`IllegalTransition` (409). A refused call leaves no row
behind. People are told in-app after commit (a failing notification never undoes a write).

Who may do what (:mod:`linli.governance.access`, ``docs/governance.md``):

* raise a topic: a resident account for themself (or a consenting relative); grid workers
  and registry roles over the community for a resident or in their own name;
* support: a resident account online, or the same staff recording an in-person signature;
* schedule, decline, meetings, decisions, follow-ups: community/street admins and grid
  leaders (:func:`~linli.governance.access.may_manage`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from linli.accounts.models import ResidentAccount
from linli.accounts.selectors import residents_actable_by
from linli.cases.models import Case
from linli.common.numbering import next_number
from linli.engagement.models import Need
from linli.engagement.selectors import community_of
from linli.governance.access import may_manage, may_raise_for_others
from linli.governance.errors import GovernanceError, IllegalTransition, NotAllowed
from linli.governance.models import (
    DEFAULT_SUPPORT_THRESHOLD,
    TOPIC_TRANSITIONS,
    GovernanceRules,
    Meeting,
    MeetingStatus,
    SupportChannel,
    Topic,
    TopicCategory,
    TopicEvent,
    TopicStatus,
    TopicSupport,
)
from linli.people.models import Resident, Role
from linli.places.models import Area, AreaKind

AnyUser = User | AnonymousUser

TITLE_MAX = 100
TEXT_MAX = 2000
REASON_MAX = 200
NOTE_MAX = 300
VOTES_MAX = 100_000
#: Attempts at a fresh topic number when two topics are raised at the same moment.
NUMBER_ATTEMPTS = 5
#: Statuses in which a topic still gathers supports.
SUPPORTABLE = (TopicStatus.OPEN, TopicStatus.QUALIFIED)


# --- small checks ---------------------------------------------------------------------------


def _text(value: str, *, field: str, label: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise GovernanceError(f"请填写{label}", field=field)
    if len(value) > limit:
        raise GovernanceError(f"{label}不能超过 {limit} 个字（现有 {len(value)} 个）", field=field)
    return value


def _count(value: Any, *, field: str, label: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise GovernanceError(f"{label}必须是整数", field=field)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise GovernanceError(f"{label}必须是整数", field=field) from None
    if not 0 <= number <= VOTES_MAX:
        raise GovernanceError(f"{label}应在 0–{VOTES_MAX} 之间", field=field)
    return number


def _under(area: Area, community: Area) -> bool:
    return area.path.startswith(community.path)


def _community(area: Area, *, field: str = "area") -> Area:
    community = area if area.kind == AreaKind.COMMUNITY else community_of(area)
    if community is None:
        raise GovernanceError("请选择一个社区（议事按社区进行）", field=field)
    return community


def _manage_check(actor: AnyUser, area: Area) -> None:
    if not may_manage(actor, area):
        raise NotAllowed("只有本社区（或街道）的管理员、网格长可以办理议事事项")


def _user(actor: AnyUser) -> User | None:
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def _event(topic: Topic, actor: AnyUser, from_status: str, to_status: str, note: str) -> None:
    TopicEvent.objects.create(
        topic=topic, actor=_user(actor), from_status=from_status, to_status=to_status, note=note
    )


def _topic_locked(topic: Topic) -> Topic:
    # No outer joins under FOR UPDATE (PostgreSQL refuses to lock a nullable side).
    return Topic.objects.select_for_update(of=("self",)).select_related("area").get(pk=topic.pk)


def _meeting_locked(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update(of=("self",)).select_related("area").get(pk=meeting.pk)


# --- topics ---------------------------------------------------------------------------------


def topic_number_next(year: int) -> str:
    """``YS-2026-000001``: the year and a 6-digit sequence (numbering is shared by every
    community of the deployment), one more than the year's highest, by
    :func:`linli.common.numbering.next_number`.

    Unique by the database; a clash with a concurrent topic is retried by :func:`topic_raise`.
    """
    return next_number(Topic.objects.all(), "number", f"YS-{year}-", 6)


def support_threshold_of(community: Area) -> int:
    """The community's :class:`GovernanceRules` threshold, else
    :data:`~linli.governance.models.DEFAULT_SUPPORT_THRESHOLD` (20)."""
    rules = GovernanceRules.objects.filter(community=community).first()
    return rules.support_threshold if rules is not None else DEFAULT_SUPPORT_THRESHOLD


def _is_own(actor: AnyUser, resident: Resident) -> bool:
    return residents_actable_by(actor).filter(pk=resident.pk).exists()


def _raise_check(actor: AnyUser, area: Area, resident: Resident | None) -> bool:
    """Whether the actor raises as the resident themself (their support then counts)."""
    if resident is not None and _is_own(actor, resident):
        return True
    if may_raise_for_others(actor, area):
        return False
    if resident is None and residents_actable_by(actor).exists():
        raise GovernanceError("请选择以谁的名义提议题", field="resident")
    raise NotAllowed("只有本社区的居民、网格员或社区工作人员可以提出议题")


@transaction.atomic
def topic_raise(
    *,
    actor: AnyUser,
    area: Area,
    title: str,
    category: str,
    description: str = "",
    resident: Resident | None = None,
    cases: Sequence[Case] = (),
    needs: Sequence[Need] = (),
) -> Topic:
    """Raise a topic in the community at or above ``area``, status ``open``.

    Args:
        resident: in whose name; a resident account raising for itself (or a consenting
            relative) passes its own resident, and that resident's support is recorded as
            the first support (channel online). Staff (:func:`may_raise_for_others`) may
            name any resident living in the community, or none (their own name).
        title: required, ≤100 characters. description: ≤2,000. category: a
            :class:`TopicCategory` value.
        cases / needs: what lies behind it, all of the same community.

    Returns the topic, numbered ``YS-<year>-<6 digits>``, with the community's threshold
    copied onto it. A ``TopicEvent`` ''→open is written.

    Raises:
        NotAllowed: a resident account raising for someone else, or anyone without a role.
        GovernanceError: a bad field, a resident or case or need of another community.
    """
    community = _community(area)
    own = _raise_check(actor, community, resident)
    if resident is not None and not _under(resident.area, community):
        raise GovernanceError("该居民不住在本社区，不能以其名义提出议题", field="resident")
    fields = {
        "title": _text(title, field="title", label="议题", limit=TITLE_MAX, required=True),
        "description": _text(description, field="description", label="情况说明", limit=TEXT_MAX),
    }
    if category not in TopicCategory.values:
        raise GovernanceError("请选择议题类别", field="category")
    for case in cases:
        if not _under(case.area, community):
            raise GovernanceError(f"事件 {case} 不属于本社区", field="cases")
    for need in needs:
        if not _under(need.area, community):
            raise GovernanceError(f"需求 {need.number} 不属于本社区", field="needs")
    raiser = _user(actor)
    if raiser is None:
        raise NotAllowed("请先登录")
    topic = _topic_create(
        area=community,
        category=category,
        raised_by=raiser,
        raised_for=resident,
        support_threshold=support_threshold_of(community),
        **fields,
    )
    topic.cases.set(cases)
    topic.needs.set(needs)
    _event(topic, actor, "", TopicStatus.OPEN, "")
    if own and resident is not None:
        _support_add(topic, resident, actor, SupportChannel.ONLINE, "")
    return topic


def _topic_create(**fields: Any) -> Topic:
    year = timezone.localdate().year
    for _ in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                return Topic.objects.create(number=topic_number_next(year), **fields)
        except IntegrityError:
            continue  # a concurrent topic took the number; read the new highest and retry
    raise GovernanceError("系统繁忙，议题编号分配失败，请稍后再试")


def topic_transition(*, topic: Topic, actor: AnyUser, to: str, note: str = "") -> Topic:
    """Move a **locked** ``topic`` to ``to`` along :data:`TOPIC_TRANSITIONS` and write the
    event. The caller holds the row lock (inside its transaction) and has checked rights.

    Raises:
        IllegalTransition: the current status does not allow ``to`` (409).
    """
    current = topic.status
    if to not in TOPIC_TRANSITIONS.get(current, set()):
        raise IllegalTransition(
            f"这个议题现在是「{TopicStatus(current).label}」，不能改为「{TopicStatus(to).label}」"
        )
    topic.status = to
    topic.save()
    _event(topic, actor, current, to, note[:NOTE_MAX])
    return topic


def _support_add(
    topic: Topic, resident: Resident, actor: AnyUser, channel: str, comment: str
) -> TopicSupport:
    """Caller holds the topic lock. Adds the support, keeps the count, qualifies."""
    user = _user(actor)
    assert user is not None
    try:
        with transaction.atomic():
            support = TopicSupport.objects.create(
                topic=topic, resident=resident, channel=channel, recorded_by=user, comment=comment
            )
    except IntegrityError:
        raise IllegalTransition(
            f"{resident.name}已附议过这个议题"
            if channel == SupportChannel.IN_PERSON
            else "您已附议过",
            field="resident",
        ) from None
    topic.support_count = TopicSupport.objects.filter(topic=topic).count()
    topic.save(update_fields=["support_count", "updated_at"])
    if topic.status == TopicStatus.OPEN and topic.support_count >= topic.support_threshold:
        topic_transition(
            topic=topic,
            actor=actor,
            to=TopicStatus.QUALIFIED,
            note=f"附议达到 {topic.support_count} 人（门槛 {topic.support_threshold} 人）",
        )
        _tell_admins_on_commit(topic, f"议题「{topic.title}」附议已达门槛，待安排上会")
    return support


@transaction.atomic
def topic_support(
    *,
    topic: Topic,
    actor: AnyUser,
    resident: Resident | None = None,
    comment: str = "",
) -> TopicSupport:
    """Record ``resident``'s support (附议) for ``topic``, once per resident.

    A resident account supports for itself (``resident`` its own, or ``None``) or a
    consenting relative: channel online. Staff who may raise for others
    (:func:`may_raise_for_others`) record an in-person signature for any resident living
    in the community: channel in person. ``comment`` ≤200 characters.

    The topic row is locked; ``support_count`` is recounted. Reaching
    ``support_threshold`` moves ``open`` → ``qualified`` (event written) and the community
    admins are told in-app after commit.

    Raises:
        NotAllowed: not a resident of the community's accounts nor staff of it.
        IllegalTransition: supported already ("您已附议过"), or the topic is no longer
            gathering supports (not open or qualified).
        GovernanceError: the resident lives outside the community, comment too long.
    """
    own = list(residents_actable_by(actor))
    if resident is None and own:
        resident = own[0]
    if resident is None:
        raise GovernanceError("请选择附议的居民", field="resident")
    if any(r.pk == resident.pk for r in own):
        channel = SupportChannel.ONLINE
    elif may_raise_for_others(actor, topic.area):
        channel = SupportChannel.IN_PERSON
    else:
        raise NotAllowed("只能为自己（或授权您代办的家人）附议")
    comment = _text(comment, field="comment", label="意见", limit=REASON_MAX)
    topic = _topic_locked(topic)
    if not _under(resident.area, topic.area):
        raise GovernanceError("只有住在本社区的居民可以附议", field="resident")
    if topic.status not in SUPPORTABLE:
        raise IllegalTransition(f"这个议题现在是「{topic.get_status_display()}」，已不再征集附议")
    return _support_add(topic, resident, actor, channel, comment)


@transaction.atomic
def topic_withdraw_support(*, topic: Topic, actor: AnyUser, resident: Resident) -> Topic:
    """Withdraw ``resident``'s support while the topic is ``open`` (a qualified topic keeps
    its supports: the threshold, once met, is not undone). Only the resident's own account
    or a consenting relative.

    Raises:
        NotAllowed: someone else's support. IllegalTransition: not open, or no support.
    """
    if not _is_own(actor, resident):
        raise NotAllowed("只能撤回自己的附议")
    topic = _topic_locked(topic)
    if topic.status != TopicStatus.OPEN:
        raise IllegalTransition("议题已进入待上会或之后的阶段，附议不能撤回")
    deleted, _ = TopicSupport.objects.filter(topic=topic, resident=resident).delete()
    if not deleted:
        raise IllegalTransition("您还没有附议这个议题")
    topic.support_count = TopicSupport.objects.filter(topic=topic).count()
    topic.save(update_fields=["support_count", "updated_at"])
    return topic


@transaction.atomic
def topic_schedule(*, topic: Topic, actor: AnyUser, meeting: Meeting, reason: str = "") -> Topic:
    """Put ``topic`` on ``meeting``'s agenda → ``scheduled``.

    A ``qualified`` topic goes on as it is; an ``open`` one (under the threshold) only with
    a written ``reason`` (≤200 characters: an urgent matter). The meeting must be planned
    and of the same community. Raiser and supporters are told in-app after commit.

    Raises:
        NotAllowed: not a manager of the community. IllegalTransition: topic or meeting in
        the wrong state. GovernanceError: another community's meeting, missing reason.
    """
    _manage_check(actor, topic.area)
    reason = _text(reason, field="reason", label="提前上会的理由", limit=REASON_MAX)
    meeting = _meeting_locked(meeting)  # meeting before topic, as every other service
    topic = _topic_locked(topic)
    if meeting.area_id != topic.area_id:
        raise GovernanceError("所选议事会不属于本议题所在社区", field="meeting")
    if meeting.status != MeetingStatus.PLANNED:
        raise IllegalTransition("只能列入尚未召开的议事会", field="meeting")
    if topic.status == TopicStatus.OPEN and not reason:
        raise GovernanceError("议题附议人数未达门槛，提前上会须写明理由", field="reason")
    topic.meeting = meeting
    when = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")
    topic_transition(
        topic=topic,
        actor=actor,
        to=TopicStatus.SCHEDULED,
        note=f"列入「{meeting.title}」（{when}）" + (f"；理由：{reason}" if reason else ""),
    )
    _tell_people_on_commit(
        topic, f"您关注的议题「{topic.title}」已列入议事会", f"{meeting.title}，{when}"
    )
    return topic


@transaction.atomic
def topic_decline(*, topic: Topic, actor: AnyUser, reason: str) -> Topic:
    """Decline ``topic`` (不予立项) with ``reason`` (required, ≤200 characters) from open,
    qualified or scheduled. Raiser and supporters are told in-app after commit.

    Raises: NotAllowed, IllegalTransition (done, decided, declined), GovernanceError.
    """
    _manage_check(actor, topic.area)
    reason = _text(reason, field="reason", label="不予立项的理由", limit=REASON_MAX, required=True)
    topic = _topic_locked(topic)
    topic.decline_reason = reason
    topic.meeting = None if topic.status != TopicStatus.SCHEDULED else topic.meeting
    topic_transition(topic=topic, actor=actor, to=TopicStatus.DECLINED, note=reason)
    _tell_people_on_commit(topic, f"议题「{topic.title}」不予立项", reason)
    return topic


# --- notifications --------------------------------------------------------------------------


def _admins_over(area: Area) -> list[User]:
    ancestors = [p for p in area.path.split("/") if p]
    paths = ["/" + "/".join(ancestors[: i + 1]) + "/" for i in range(len(ancestors))]
    return list(
        User.objects.filter(
            is_active=True,
            assignments__role=Role.COMMUNITY_ADMIN,
            assignments__area__path__in=paths,
        ).distinct()
    )


def _people_of(topic: Topic) -> list[User]:
    ids = set(
        TopicSupport.objects.filter(topic=topic, resident__account__active=True).values_list(
            "resident__account__user_id", flat=True
        )
    )
    if topic.raised_by.is_active:
        ids.add(topic.raised_by_id)
    return list(User.objects.filter(pk__in=ids, is_active=True))


def _resident_users(people: Sequence[User]) -> set[int]:
    """Ids of those of ``people`` with an active resident account (they read ``/me/``)."""
    return set(
        ResidentAccount.objects.filter(
            user__in=[p.pk for p in people], active=True, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def _send(topic_id: int, *, to_admins: bool, title: str, body: str) -> None:
    """Tell the community's admins (``to_admins``) or the topic's raiser and supporters.

    The link depends on who receives it: resident accounts get the resident page
    (``/me/topics/<pk>/``), staff the staff page (``/governance/topics/<pk>/``) — the
    resident page sends staff away, and the staff page resident accounts.
    """
    from linli.notify.services import notify

    topic = Topic.objects.select_related("area", "raised_by").get(pk=topic_id)
    people = _admins_over(topic.area) if to_admins else _people_of(topic)
    residents = _resident_users(people)
    links = (
        (
            [p for p in people if p.pk not in residents],
            reverse("governance:topic", args=[topic.pk]),
        ),
        (
            [p for p in people if p.pk in residents],
            reverse("resident_topics:topic", args=[topic.pk]),
        ),
    )
    for recipients, link in links:
        if not recipients:
            continue
        notify(
            recipients=recipients,
            title=title[:200],
            body=body,
            link=link,
            kind=f"topic.{topic.status}",
            subject=topic,
            area=topic.area,
        )


def _tell_admins_on_commit(topic: Topic, title: str) -> None:
    body = f"{topic.number} · {topic.get_category_display()}"
    transaction.on_commit(
        lambda: _send(topic.pk, to_admins=True, title=title, body=body), robust=True
    )


def _tell_people_on_commit(topic: Topic, title: str, body: str) -> None:
    transaction.on_commit(
        lambda: _send(topic.pk, to_admins=False, title=title, body=body), robust=True
    )
