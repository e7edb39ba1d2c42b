"""Writes of votes (表决): create, publish, ballots online and on paper, count, cancel.

Every function is keyword-only and atomic, checks who may act before it writes, and
raises :mod:`linli.governance.errors` with a Chinese message: :class:`GovernanceError`
(400), :class:`NotAllowed` (403), :class:`IllegalTransition` / :class:`AlreadyVoted`
(409). A refused call leaves nothing written.

The vote-once guarantee is the unique ``Participation.elector``: every ballot path
(online, open paper ballot, secret paper sign-in) inserts a participation inside a
savepoint, and a unique violation becomes :class:`AlreadyVoted`. Ballot writes also lock
the vote row, so a cancel or a count never interleaves with a ballot being cast.

Secret ballots: the :class:`Ballot` keeps only the option and channel (random key, no
time, no participation); who took part is in :class:`Participation`. Paper ballots of a
secret vote are entered in two steps: :func:`paper_signin` when an elector takes a ballot
paper, :func:`paper_tally_add` for the counted papers from the box (never more papers
than sign-ins).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from linli.accounts.models import ResidentAccount
from linli.accounts.selectors import account_of
from linli.common.identity import age_on
from linli.governance.access import may_manage
from linli.governance.errors import AlreadyVoted, GovernanceError, IllegalTransition, NotAllowed
from linli.governance.models import (
    Ballot,
    BallotChannel,
    Elector,
    MajorityRule,
    Meeting,
    Participation,
    Topic,
    TopicEvent,
    Vote,
    VoteEvent,
    VoteOption,
    VoteScope,
    VoteStatus,
)
from linli.governance.vote_selectors import OptionCount, tally
from linli.people.models import Resident
from linli.places.models import Area, AreaKind, Household

AnyUser = User | AnonymousUser

ADULT_AGE = 18
OPTIONS_MIN, OPTIONS_MAX = 2, 10
LABEL_MAX = 60
TITLE_MAX = 100
QUESTION_MAX = 2000
REASON_MAX = 200
ABSTAIN_LABEL = "弃权"
#: How far in the past a new vote may open (a form filled in over a minute stays valid).
OPEN_GRACE = dt.timedelta(minutes=1)


def local_text(moment: dt.datetime) -> str:
    """``3月5日 08:00`` in Asia/Shanghai."""
    local = timezone.localtime(moment)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


# --- create and edit ------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteSpec:
    """What a vote asks and how it is counted (validated by :func:`vote_spec_check`)."""

    title: str
    question: str
    options: Sequence[str]
    with_abstain: bool
    scope: str
    quorum_percent: int
    majority: str
    secret: bool
    opens_at: dt.datetime
    closes_at: dt.datetime
    topic: Topic | None = None
    meeting: Meeting | None = None


def _options(raw: Sequence[str], with_abstain: bool) -> list[str]:
    labels = [label.strip() for label in raw if label and label.strip()]
    if len(labels) < OPTIONS_MIN:
        raise GovernanceError("请至少填写两个选项（每行一个）", field="options")
    if len(labels) > OPTIONS_MAX:
        raise GovernanceError(
            f"选项最多 {OPTIONS_MAX} 个（现有 {len(labels)} 个）", field="options"
        )
    long = next((label for label in labels if len(label) > LABEL_MAX), None)
    if long:
        raise GovernanceError(f"选项「{long[:10]}…」超过 {LABEL_MAX} 个字", field="options")
    seen: set[str] = set()
    for label in labels:
        if label in seen:
            raise GovernanceError(f"选项「{label}」重复了", field="options")
        seen.add(label)
    if with_abstain and ABSTAIN_LABEL in seen:
        raise GovernanceError("已勾选“设弃权项”，选项中不必再写“弃权”", field="options")
    return labels


def vote_spec_check(*, area: Area, spec: VoteSpec, now: dt.datetime | None = None) -> VoteSpec:
    """``spec`` with texts stripped and options cleaned, or :class:`GovernanceError`.

    Rules: title ≤100 and question non-empty; 2–10 distinct options ≤60 characters
    (blank lines ignored); quorum 0–100 %; known scope and majority; aware times, closing
    after opening, opening no more than a minute in the past; topic and meeting of ``area``.
    """
    now = now or timezone.now()
    title, question = spec.title.strip(), spec.question.strip()
    if not title:
        raise GovernanceError("请填写表决事项", field="title")
    if len(title) > TITLE_MAX:
        raise GovernanceError(f"表决事项不能超过 {TITLE_MAX} 个字", field="title")
    if not question:
        raise GovernanceError("请填写表决内容", field="question")
    if len(question) > QUESTION_MAX:
        raise GovernanceError(f"表决内容不能超过 {QUESTION_MAX} 个字", field="question")
    options = _options(spec.options, spec.with_abstain)
    if spec.scope not in VoteScope.values:
        raise GovernanceError("请选择计票单位（每户一票或每位成年居民一票）", field="scope")
    if spec.majority not in MajorityRule.values:
        raise GovernanceError("请选择通过规则", field="majority")
    if not 0 <= spec.quorum_percent <= 100:
        raise GovernanceError("参与率要求应在 0 到 100 之间", field="quorum_percent")
    for moment, field in ((spec.opens_at, "opens_at"), (spec.closes_at, "closes_at")):
        if moment is None or timezone.is_naive(moment):
            raise GovernanceError("请填写完整的日期和时间", field=field)
    if spec.closes_at <= spec.opens_at:
        raise GovernanceError("截止时间必须晚于开始时间", field="closes_at")
    if spec.opens_at < now - OPEN_GRACE:
        raise GovernanceError("开始时间不能早于现在", field="opens_at")
    for linked, field, label in (
        (spec.topic, "topic", "议题"),
        (spec.meeting, "meeting", "议事会"),
    ):
        if linked is not None and linked.area_id != area.pk:
            raise GovernanceError(f"所选{label}不属于本社区", field=field)
    return VoteSpec(**{**spec.__dict__, "title": title, "question": question, "options": options})


def _given(scope: dict[str, Any]) -> dict[str, Any]:
    """The :class:`VoteSpec` fields among a service's arguments."""
    return {name: scope[name] for name in VoteSpec.__dataclass_fields__}


def _options_write(vote: Vote, spec: VoteSpec) -> None:
    rows = [VoteOption(vote=vote, label=label, position=i) for i, label in enumerate(spec.options)]
    if spec.with_abstain:
        rows.append(VoteOption(vote=vote, label=ABSTAIN_LABEL, position=len(rows), abstain=True))
    VoteOption.objects.bulk_create(rows)


def _spec_fields(spec: VoteSpec) -> dict[str, Any]:
    return {
        "title": spec.title,
        "question": spec.question,
        "scope": spec.scope,
        "quorum_percent": spec.quorum_percent,
        "majority": spec.majority,
        "secret": spec.secret,
        "opens_at": spec.opens_at,
        "closes_at": spec.closes_at,
        "topic": spec.topic,
        "meeting": spec.meeting,
    }


def _must_manage(actor: AnyUser, area: Area) -> User:
    if not isinstance(actor, User) or not may_manage(actor, area):
        raise NotAllowed("您没有管理本社区表决的权限")
    return actor


@transaction.atomic
def vote_create(
    *,
    actor: AnyUser,
    area: Area,
    title: str,
    question: str,
    options: Sequence[str],
    with_abstain: bool,
    scope: str,
    quorum_percent: int,
    majority: str,
    secret: bool,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    topic: Topic | None = None,
    meeting: Meeting | None = None,
    now: dt.datetime | None = None,
) -> Vote:
    """A DRAFT vote in community ``area`` with its options (plus 「弃权」 if asked).

    Fields as :class:`~linli.governance.models.Vote`; ``options`` the labels in order.

    Raises:
        NotAllowed: ``actor`` may not manage votes of ``area``.
        GovernanceError: ``area`` is not a community, or ``spec`` breaks a rule of
            :func:`vote_spec_check`.
    """
    staff = _must_manage(actor, area)
    if area.kind != AreaKind.COMMUNITY:
        raise GovernanceError("表决须在社区一级发起", field="area")
    spec = vote_spec_check(area=area, spec=VoteSpec(**_given(locals())), now=now)
    vote = Vote.objects.create(area=area, created_by=staff, **_spec_fields(spec))
    _options_write(vote, spec)
    VoteEvent.objects.create(vote=vote, actor=staff, action="created", note=vote.title)
    return vote


def _locked(vote: Vote) -> Vote:
    # Lock the vote only, not the joined community row other votes share.
    return Vote.objects.select_for_update(of=("self",)).select_related("area").get(pk=vote.pk)


@transaction.atomic
def vote_update(
    *,
    actor: AnyUser,
    vote: Vote,
    title: str,
    question: str,
    options: Sequence[str],
    with_abstain: bool,
    scope: str,
    quorum_percent: int,
    majority: str,
    secret: bool,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    topic: Topic | None = None,
    meeting: Meeting | None = None,
    now: dt.datetime | None = None,
) -> Vote:
    """Replace a DRAFT vote's texts, rules, times and options (arguments as create).

    Raises:
        NotAllowed, GovernanceError: as :func:`vote_create`.
        IllegalTransition: the vote is no longer a draft.
    """
    vote = _locked(vote)
    staff = _must_manage(actor, vote.area)
    if vote.status != VoteStatus.DRAFT:
        raise IllegalTransition("表决已发布，不能再修改")
    spec = vote_spec_check(area=vote.area, spec=VoteSpec(**_given(locals())), now=now)
    for name, value in _spec_fields(spec).items():
        setattr(vote, name, value)
    vote.save()
    vote.options.all().delete()
    _options_write(vote, spec)
    VoteEvent.objects.create(vote=vote, actor=staff, action="updated")
    return vote


# --- publish: fix the electorate ------------------------------------------------------------


def adult_born_by(day: dt.date) -> dt.date:
    """The latest birth date of someone aged 18 or over on ``day`` (29 Feb → 1 Mar rule)."""
    try:
        return day.replace(year=day.year - ADULT_AGE)
    except ValueError:  # day is 29 Feb: born 29 Feb 18 years earlier turns 18 on 1 Mar
        return day.replace(year=day.year - ADULT_AGE, day=28)


def _under(area: Area, field: str) -> Q:
    return Q(**{f"{field}__path__startswith": area.path})


def electorate_rows(vote: Vote, day: dt.date) -> list[Elector]:
    """Unsaved :class:`Elector` rows for ``vote`` on publish day ``day`` (local date).

    Household scope: every household in a building under the community with at least one
    resident aged ≥18 on ``day``; adult scope: every resident aged ≥18 whose area is
    under the community.
    """
    born_by = adult_born_by(day)
    if vote.scope == VoteScope.HOUSEHOLD:
        households = (
            Household.objects.filter(
                _under(vote.area, "building__micro_grid"), members__birth_date__lte=born_by
            )
            .values_list("pk", flat=True)
            .distinct()
            .order_by("pk")
        )
        return [Elector(vote=vote, household_id=pk) for pk in households]
    adults = (
        Resident.objects.filter(_under(vote.area, "area"), birth_date__lte=born_by)
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    return [Elector(vote=vote, resident_id=pk) for pk in adults]


def _electorate_users(vote: Vote, born_by: dt.date) -> list[User]:
    accounts = ResidentAccount.objects.filter(active=True, user__is_active=True)
    if vote.scope == VoteScope.HOUSEHOLD:
        accounts = accounts.filter(
            resident__household__in=Elector.objects.filter(vote=vote).values("household_id"),
            resident__birth_date__lte=born_by,
        )
    else:
        accounts = accounts.filter(
            resident__in=Elector.objects.filter(vote=vote).values("resident_id")
        )
    return list(User.objects.filter(resident_account__in=accounts).order_by("pk"))


@transaction.atomic
def vote_publish(*, actor: AnyUser, vote: Vote, now: dt.datetime | None = None) -> Vote:
    """DRAFT → PUBLISHED: fix the electorate (:func:`electorate_rows`) and tell residents.

    Electors are bulk-inserted and counted into ``vote.electorate``; after commit every
    active resident account in the electorate (household scope: adult members of elector
    households) gets one in-app message with a link to ``/me/votes/<pk>/``.

    Raises:
        NotAllowed: not a manager of the vote's community.
        IllegalTransition: not a draft.
        GovernanceError: the vote has already closed, or nobody is eligible.
    """
    now = now or timezone.now()
    vote = _locked(vote)
    staff = _must_manage(actor, vote.area)
    if vote.status != VoteStatus.DRAFT:
        raise IllegalTransition(f"表决{vote.get_status_display()}，不能发布")
    if vote.closes_at <= now:
        raise GovernanceError("截止时间已过，请先修改时间再发布", field="closes_at")
    day = timezone.localdate(now)
    electors = electorate_rows(vote, day)
    if not electors:
        raise GovernanceError("本社区没有符合条件的选民（成年居民或有成年居民的住户）")
    Elector.objects.bulk_create(electors, batch_size=500)
    vote.status, vote.electorate = VoteStatus.PUBLISHED, len(electors)
    vote.save(update_fields=["status", "electorate", "updated_at"])
    VoteEvent.objects.create(
        vote=vote, actor=staff, action="published", note=f"应参与 {len(electors)}"
    )
    users = _electorate_users(vote, adult_born_by(day))
    transaction.on_commit(lambda: _tell_published(vote, users))
    return vote


def _tell_published(vote: Vote, users: list[User]) -> None:
    from linli.notify.services import notify

    notify(
        recipients=users,
        title=f"社区表决：{vote.title}",
        body=f"{local_text(vote.opens_at)} 至 {local_text(vote.closes_at)} 可以投票。",
        link=f"/me/votes/{vote.pk}/",
        kind="vote.published",
        subject=vote,
    )


@transaction.atomic
def vote_cancel(*, actor: AnyUser, vote: Vote, reason: str) -> Vote:
    """DRAFT or PUBLISHED → CANCELLED with a reason (≤200 characters).

    Raises:
        NotAllowed, GovernanceError (no reason), IllegalTransition (counted or cancelled).
    """
    vote = _locked(vote)
    staff = _must_manage(actor, vote.area)
    reason = (reason or "").strip()
    if not reason:
        raise GovernanceError("请填写取消理由", field="reason")
    if len(reason) > REASON_MAX:
        raise GovernanceError(f"取消理由不能超过 {REASON_MAX} 个字", field="reason")
    if vote.status not in (VoteStatus.DRAFT, VoteStatus.PUBLISHED):
        raise IllegalTransition(f"表决{vote.get_status_display()}，不能取消")
    vote.status = VoteStatus.CANCELLED
    vote.save(update_fields=["status", "updated_at"])
    VoteEvent.objects.create(vote=vote, actor=staff, action="cancelled", note=reason)
    return vote


# --- ballots -------------------------------------------------------------------------------


def elector_of(vote: Vote, resident: Resident) -> Elector | None:
    """The elector ``resident`` votes as: their household's (household scope) or their own."""
    if vote.scope == VoteScope.HOUSEHOLD:
        if resident.household_id is None:
            return None
        return Elector.objects.filter(vote=vote, household_id=resident.household_id).first()
    return Elector.objects.filter(vote=vote, resident=resident).first()


def window_check(vote: Vote, now: dt.datetime) -> None:
    """Raise unless ``vote`` is PUBLISHED and ``opens_at ≤ now < closes_at``."""
    if vote.status == VoteStatus.DRAFT:
        raise IllegalTransition("表决尚未发布")
    if vote.status == VoteStatus.CANCELLED:
        raise IllegalTransition("表决已取消")
    if vote.status == VoteStatus.COUNTED:
        raise IllegalTransition("表决已结束计票")
    if now < vote.opens_at:
        raise GovernanceError(f"表决尚未开始（{local_text(vote.opens_at)} 开始）")
    if now >= vote.closes_at:
        raise GovernanceError(f"表决已于 {local_text(vote.closes_at)} 截止")


def _voter(vote: Vote, resident: Resident, now: dt.datetime) -> Elector:
    """The elector ``resident`` may vote for, or :class:`NotAllowed` saying why not."""
    if age_on(resident.birth_date, timezone.localdate(now)) < ADULT_AGE:
        raise NotAllowed("未满 18 周岁的居民不能参加表决")
    elector = elector_of(vote, resident)
    if elector is None:
        if vote.scope == VoteScope.HOUSEHOLD:
            raise NotAllowed(f"{resident.name}所在的住户不在本次表决的名单中")
        raise NotAllowed(f"{resident.name}不在本次表决的名单中")
    return elector


def how_voted(participation: Participation) -> str:
    """``本户已于 3月5日 08:00 通过纸质选票投票`` / ``您已投过票`` style, never the choice."""
    who = "本户" if participation.elector.household_id else "您"
    return (
        f"{who}已于 {local_text(participation.at)} "
        f"通过{participation.get_channel_display()}投过票，不能重复投票"
    )


def _participate(
    vote: Vote, elector: Elector, *, channel: str, cast_by: Resident, recorded_by: User | None
) -> Participation:
    try:
        with transaction.atomic():  # a savepoint: the unique violation leaves nothing behind
            return Participation.objects.create(
                vote=vote,
                elector=elector,
                channel=channel,
                cast_by=cast_by,
                recorded_by=recorded_by,
            )
    except IntegrityError:
        earlier = Participation.objects.select_related("elector").filter(elector=elector).first()
        raise AlreadyVoted(how_voted(earlier) if earlier else "已投过票，不能重复投票") from None


def _option(vote: Vote, option: VoteOption | int) -> VoteOption:
    pk = option.pk if isinstance(option, VoteOption) else option
    found = VoteOption.objects.filter(vote=vote, pk=pk).first()
    if found is None:
        raise GovernanceError("请选择本次表决的一个选项", field="option")
    return found


def _ballot(
    *,
    actor: AnyUser,
    vote: Vote,
    resident: Resident,
    option: VoteOption | int,
    channel: str,
    now: dt.datetime | None,
    by_staff: bool,
) -> Participation:
    now = now or timezone.now()
    vote = _locked(vote)
    recorder = _must_manage(actor, vote.area) if by_staff else None
    window_check(vote, now)
    chosen = _option(vote, option)
    elector = _voter(vote, resident, now)
    participation = _participate(
        vote, elector, channel=channel, cast_by=resident, recorded_by=recorder
    )
    Ballot.objects.create(
        vote=vote,
        option=chosen,
        channel=channel,
        participation=None if vote.secret else participation,
    )
    return participation


@transaction.atomic
def ballot_cast(
    *,
    actor: AnyUser,
    vote: Vote,
    resident: Resident,
    option: VoteOption | int,
    now: dt.datetime | None = None,
) -> Participation:
    """An online ballot by ``resident`` through their own account (no proxies online).

    ``resident`` must be 18 or over and an elector (household scope: a member of an
    elector household). Returns the participation; the ballot is tied to it only in an
    open vote.

    Raises:
        NotAllowed: ``actor`` is not ``resident``'s own account, a minor, not an elector.
        IllegalTransition: the vote is not published (draft, cancelled, counted).
        GovernanceError: outside the window, or an option of another vote.
        AlreadyVoted: the elector took part already, online or on paper.
    """
    account = account_of(actor)
    if account is None or account.resident_id != resident.pk:
        raise NotAllowed("网上投票只能由本人用自己的账号进行；家人可到社区用纸质选票投票")
    return _ballot(
        actor=actor,
        vote=vote,
        resident=resident,
        option=option,
        channel=BallotChannel.ONLINE,
        now=now,
        by_staff=False,
    )


@transaction.atomic
def paper_ballot_record(
    *,
    actor: AnyUser,
    vote: Vote,
    resident: Resident,
    option: VoteOption | int,
    now: dt.datetime | None = None,
) -> Participation:
    """Staff enter an OPEN vote's paper ballot cast by ``resident`` (same rules as online).

    Raises:
        NotAllowed: not a manager of the community; ``resident`` a minor or no elector.
        GovernanceError: a secret vote (use sign-in and tally), outside the window,
            wrong option. IllegalTransition, AlreadyVoted: as :func:`ballot_cast`.
    """
    if vote.secret:
        raise GovernanceError("无记名表决的纸质票请先签到领票，计票时再录入票数")
    return _ballot(
        actor=actor,
        vote=vote,
        resident=resident,
        option=option,
        channel=BallotChannel.PAPER,
        now=now,
        by_staff=True,
    )


@transaction.atomic
def paper_signin(
    *, actor: AnyUser, vote: Vote, resident: Resident, now: dt.datetime | None = None
) -> Participation:
    """A SECRET vote: ``resident`` took a paper ballot (participation, no ballot yet).

    Raises:
        GovernanceError: an open vote (enter the ballot with :func:`paper_ballot_record`),
            outside the window. NotAllowed, IllegalTransition, AlreadyVoted: as above.
    """
    now = now or timezone.now()
    vote = _locked(vote)
    staff = _must_manage(actor, vote.area)
    if not vote.secret:
        raise GovernanceError("记名表决请直接录入纸质选票")
    window_check(vote, now)
    elector = _voter(vote, resident, now)
    return _participate(
        vote, elector, channel=BallotChannel.PAPER, cast_by=resident, recorded_by=staff
    )


def paper_counts(vote: Vote) -> tuple[int, int]:
    """(paper sign-ins, anonymous paper ballots entered) of a secret vote."""
    signins = Participation.objects.filter(vote=vote, channel=BallotChannel.PAPER).count()
    papers = Ballot.objects.filter(
        vote=vote, channel=BallotChannel.PAPER, participation__isnull=True
    ).count()
    return signins, papers


@transaction.atomic
def paper_tally_add(*, actor: AnyUser, vote: Vote, counts: Mapping[int, int]) -> list[Ballot]:
    """Add a batch of a SECRET vote's paper ballots: ``counts`` maps option id → papers.

    Allowed while the vote is published (also after it closed) until it is counted. The
    papers entered so far plus this batch may not exceed the paper sign-ins.

    Raises:
        NotAllowed; IllegalTransition (not published); GovernanceError: an open vote,
        an unknown option, a negative or empty batch, or more papers than sign-ins.
    """
    vote = _locked(vote)
    staff = _must_manage(actor, vote.area)
    if not vote.secret:
        raise GovernanceError("记名表决请逐张录入纸质选票")
    if vote.status != VoteStatus.PUBLISHED:
        raise IllegalTransition(f"表决{vote.get_status_display()}，不能再录入选票")
    options = {o.pk: o for o in vote.options.all()}
    if any(pk not in options for pk in counts):
        raise GovernanceError("选项不属于本次表决", field="counts")
    if any(not isinstance(n, int) or n < 0 for n in counts.values()):
        raise GovernanceError("票数必须是不小于 0 的整数", field="counts")
    total = sum(counts.values())
    if total == 0:
        raise GovernanceError("请填写至少一个选项的票数", field="counts")
    signins, papers = paper_counts(vote)
    if papers + total > signins:
        raise GovernanceError(
            f"纸质选票共 {papers + total} 张（已录入 {papers} 张，本次 {total} 张），"
            f"超过签到领票人数 {signins} 人",
            field="counts",
        )
    ballots = [
        Ballot(vote=vote, option=options[pk], channel=BallotChannel.PAPER)
        for pk in sorted(counts)
        for _ in range(counts[pk])
    ]
    Ballot.objects.bulk_create(ballots)
    batch = "、".join(f"{options[pk].label} {n}" for pk, n in sorted(counts.items()) if n)
    VoteEvent.objects.create(
        vote=vote, actor=staff, action="paper_tally", note=f"录入纸质票 {total} 张：{batch}"
    )
    return ballots


# --- count ---------------------------------------------------------------------------------


def _vote_counts(vote: Vote) -> list[OptionCount]:
    rows = vote.options.annotate(n=Count("ballots")).order_by("position", "id")
    return [OptionCount(label=o.label, count=o.n, abstain=o.abstain) for o in rows]


@transaction.atomic
def vote_count(*, actor: AnyUser, vote: Vote, now: dt.datetime | None = None) -> Vote:
    """PUBLISHED → COUNTED after ``closes_at``: write ``vote.result`` (:func:`tally`).

    A secret vote's result also carries ``uncast_paper``: paper sign-ins without a paper
    ballot entered (taken but not put in the box). A linked topic gets a note event (its
    status stays).

    Raises:
        NotAllowed; IllegalTransition: not published (counting twice, a draft, cancelled);
        GovernanceError: before the vote closes.
    """
    now = now or timezone.now()
    vote = _locked(vote)
    staff = _must_manage(actor, vote.area)
    if vote.status != VoteStatus.PUBLISHED:
        raise IllegalTransition(f"表决{vote.get_status_display()}，不能计票")
    if now < vote.closes_at:
        raise GovernanceError(f"表决 {local_text(vote.closes_at)} 截止后才能计票")
    result = tally(
        electorate=vote.electorate,
        participants=Participation.objects.filter(vote=vote).count(),
        options=_vote_counts(vote),
        quorum_percent=vote.quorum_percent,
        majority=vote.majority,
    )
    if vote.secret:
        signins, papers = paper_counts(vote)
        result["uncast_paper"] = signins - papers
    vote.result, vote.status, vote.counted_at = result, VoteStatus.COUNTED, now
    vote.save(update_fields=["result", "status", "counted_at", "updated_at"])
    verdict = f"通过（{result['winner']}）" if result["passed"] else "未通过"
    VoteEvent.objects.create(vote=vote, actor=staff, action="counted", note=verdict)
    if vote.topic_id:
        topic = Topic.objects.get(pk=vote.topic_id)
        TopicEvent.objects.create(
            topic=topic,
            actor=staff,
            from_status=topic.status,
            to_status=topic.status,
            note=f"表决「{vote.title}」计票：参与率 {result['turnout']}%，{verdict}"[:300],
        )
    return vote
