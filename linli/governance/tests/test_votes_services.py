"""Vote services: create, publish (electorate), ballots online and on paper, count, cancel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli.governance import voting
from linli.governance.errors import AlreadyVoted, GovernanceError, IllegalTransition, NotAllowed
from linli.governance.models import (
    Ballot,
    Elector,
    Participation,
    TopicEvent,
    Vote,
    VoteEvent,
    VoteScope,
    VoteStatus,
)
from linli.governance.tests.fixtures_votes import (
    AFTER,
    CLOSES,
    DURING,
    OPENS,
    VoteScene,
    local_at,
    make_vote,
    option,
    vote_scene,
)
from linli.notify.models import Notification
from linli.testing.factories import staff_user

__all__ = ["vote_scene"]
pytestmark = pytest.mark.django_db


def _nothing_written(vote: Vote) -> None:
    assert not Participation.objects.filter(vote=vote).exists()
    assert not Ballot.objects.filter(vote=vote).exists()


# --- create ---------------------------------------------------------------------------------


def test_create_makes_a_draft_with_abstain_last(vote_scene: VoteScene) -> None:
    vote = make_vote(vote_scene.manager, vote_scene.community, publish=False)
    assert vote.status == VoteStatus.DRAFT
    assert [(o.label, o.abstain) for o in vote.options.all()] == [
        ("同意", False),
        ("不同意", False),
        ("弃权", True),
    ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"closes_at": OPENS}, "closes_at"),
        ({"majority": "most"}, "majority"),
        ({"opens_at": local_at(-1, 9), "closes_at": CLOSES}, "opens_at"),
        ({"options": ["同意", " 同意 "]}, "options"),
        ({"options": ["同意", ""]}, "options"),
        ({"options": [f"方案{i}" for i in range(11)]}, "options"),
        ({"options": ["同意", "弃权"]}, "options"),
        ({"quorum_percent": 101}, "quorum_percent"),
        ({"scope": "everyone"}, "scope"),
        ({"title": "  "}, "title"),
    ],
)
def test_create_refuses_bad_input(vote_scene: VoteScene, overrides: dict, field: str) -> None:
    fields = {
        "title": "表决",
        "question": "问题",
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
    with pytest.raises(GovernanceError) as err:
        voting.vote_create(actor=vote_scene.manager, area=vote_scene.community, now=OPENS, **fields)
    assert err.value.field == field
    assert not Vote.objects.exists()


def test_create_needs_a_manager(vote_scene: VoteScene, assigned, elsewhere) -> None:  # type: ignore[no-untyped-def]
    for actor in (assigned, elsewhere, vote_scene.zhang_user):
        with pytest.raises(NotAllowed):
            make_vote(actor, vote_scene.community, publish=False)
    assert not Vote.objects.exists()


def test_update_only_a_draft(vote_scene: VoteScene) -> None:
    vote = make_vote(vote_scene.manager, vote_scene.community, publish=False)
    fields = {
        "title": "新标题",
        "question": "问",
        "options": ["甲", "乙", "丙"],
        "with_abstain": False,
        "scope": VoteScope.ADULT,
        "quorum_percent": 0,
        "majority": "two_thirds",
        "secret": True,
        "opens_at": OPENS,
        "closes_at": CLOSES,
    }
    vote = voting.vote_update(actor=vote_scene.manager, vote=vote, now=OPENS, **fields)
    assert [o.label for o in vote.options.all()] == ["甲", "乙", "丙"]
    voting.vote_publish(actor=vote_scene.manager, vote=vote, now=OPENS)
    with pytest.raises(IllegalTransition):
        voting.vote_update(actor=vote_scene.manager, vote=vote, now=OPENS, **fields)


# --- publish --------------------------------------------------------------------------------


def test_household_electorate_is_households_with_an_adult(
    vote_scene: VoteScene, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        vote = make_vote(vote_scene.manager, vote_scene.community)
    s = vote_scene
    assert vote.electorate == 2
    assert set(Elector.objects.filter(vote=vote).values_list("household_id", flat=True)) == {
        s.h1.pk,
        s.h2.pk,
    }
    told = Notification.objects.filter(kind="vote.published")
    assert sorted(n.user_id for n in told) == sorted(
        [s.zhang_user.pk, s.zhang_wife_user.pk, s.li_user.pk]
    )
    assert VoteEvent.objects.filter(vote=vote, action="published").count() == 1


def test_adult_electorate_is_adults_under_the_community(vote_scene: VoteScene) -> None:
    vote = make_vote(vote_scene.manager, vote_scene.community, scope=VoteScope.ADULT)
    s = vote_scene
    assert set(Elector.objects.filter(vote=vote).values_list("resident_id", flat=True)) == {
        s.zhang.pk,
        s.zhang_wife.pk,
        s.li.pk,
        s.li_father.pk,
    }
    assert vote.electorate == 4


def test_publish_twice_is_illegal(vote_scene: VoteScene) -> None:
    vote = make_vote(vote_scene.manager, vote_scene.community)
    with pytest.raises(IllegalTransition):
        voting.vote_publish(actor=vote_scene.manager, vote=vote, now=OPENS)
    assert Elector.objects.filter(vote=vote).count() == 2


# --- online ballots -------------------------------------------------------------------------


def test_online_ballot_in_an_open_vote_says_whose(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community)
    p = voting.ballot_cast(
        actor=s.zhang_user, vote=vote, resident=s.zhang, option=option(vote, "同意"), now=DURING
    )
    assert p.channel == "online" and p.cast_by == s.zhang
    assert Ballot.objects.get(vote=vote).participation == p


@pytest.mark.parametrize(
    ("when", "message"),
    [(AFTER, "表决已于"), (CLOSES, "表决已于"), (local_at(0, 12), "表决尚未开始")],
)
def test_online_ballot_outside_the_window(
    vote_scene: VoteScene, when: dt.datetime, message: str
) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community)
    with pytest.raises(GovernanceError, match=message):
        voting.ballot_cast(
            actor=s.zhang_user, vote=vote, resident=s.zhang, option=option(vote, "同意"), now=when
        )
    _nothing_written(vote)


def test_second_household_member_online_is_already_voted(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community)
    voting.ballot_cast(
        actor=s.zhang_user, vote=vote, resident=s.zhang, option=option(vote, "同意"), now=DURING
    )
    with pytest.raises(AlreadyVoted, match=r"本户已于 .* 通过网上投票投过票"):
        voting.ballot_cast(
            actor=s.zhang_wife_user,
            vote=vote,
            resident=s.zhang_wife,
            option=option(vote, "不同意"),
            now=DURING,
        )
    assert Participation.objects.filter(vote=vote).count() == 1
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_online_then_paper_is_already_voted(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community)
    voting.ballot_cast(
        actor=s.li_user, vote=vote, resident=s.li, option=option(vote, "同意"), now=DURING
    )
    with pytest.raises(AlreadyVoted, match="网上投票"):
        voting.paper_ballot_record(
            actor=s.manager,
            vote=vote,
            resident=s.li_father,
            option=option(vote, "同意"),
            now=DURING,
        )
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_paper_then_online_is_already_voted(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community)
    voting.paper_ballot_record(
        actor=s.manager, vote=vote, resident=s.li_father, option=option(vote, "不同意"), now=DURING
    )
    with pytest.raises(AlreadyVoted, match=r"本户已于 .* 通过纸质选票投过票"):
        voting.ballot_cast(
            actor=s.li_user, vote=vote, resident=s.li, option=option(vote, "同意"), now=DURING
        )
    p = Participation.objects.get(vote=vote)
    assert (p.channel, p.cast_by, p.recorded_by) == ("paper", s.li_father, s.manager)
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_twice_online_by_the_same_adult(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community, scope=VoteScope.ADULT)
    voting.ballot_cast(
        actor=s.li_user, vote=vote, resident=s.li, option=option(vote, "同意"), now=DURING
    )
    with pytest.raises(AlreadyVoted, match="您已于"):
        voting.ballot_cast(
            actor=s.li_user, vote=vote, resident=s.li, option=option(vote, "同意"), now=DURING
        )
    # the adult scope counts people, so li's father still votes
    voting.paper_ballot_record(
        actor=s.manager, vote=vote, resident=s.li_father, option=option(vote, "同意"), now=DURING
    )
    assert Participation.objects.filter(vote=vote).count() == 2


def test_no_proxy_online(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community)
    for actor in (s.zhang_wife_user, s.manager):
        with pytest.raises(NotAllowed, match="本人"):
            voting.ballot_cast(
                actor=actor, vote=vote, resident=s.zhang, option=option(vote, "同意"), now=DURING
            )
    _nothing_written(vote)


def test_a_minor_may_not_vote(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community)
    for kid in (s.child, s.kid_alone):
        with pytest.raises(NotAllowed, match="未满 18 周岁"):
            voting.paper_ballot_record(
                actor=s.manager, vote=vote, resident=kid, option=option(vote, "同意"), now=DURING
            )
    _nothing_written(vote)


def test_a_non_elector_may_not_vote(vote_scene: VoteScene, other_areas) -> None:  # type: ignore[no-untyped-def]
    from linli.testing.factories import ResidentFactory

    s = vote_scene
    vote = make_vote(s.manager, s.community)
    outsider = ResidentFactory(household__building__micro_grid=other_areas["micro_grid"])
    with pytest.raises(NotAllowed, match="不在本次表决的名单中"):
        voting.paper_ballot_record(
            actor=s.manager, vote=vote, resident=outsider, option=option(vote, "同意"), now=DURING
        )
    _nothing_written(vote)


def test_wrong_option_is_refused(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community)
    other = make_vote(s.manager, s.community, title="另一项")
    with pytest.raises(GovernanceError) as err:
        voting.ballot_cast(
            actor=s.zhang_user,
            vote=vote,
            resident=s.zhang,
            option=option(other, "同意"),
            now=DURING,
        )
    assert err.value.field == "option"
    _nothing_written(vote)


def test_paper_ballot_needs_a_manager(vote_scene: VoteScene, assigned, elsewhere) -> None:  # type: ignore[no-untyped-def]
    s = vote_scene
    vote = make_vote(s.manager, s.community)
    for actor in (assigned, elsewhere):
        with pytest.raises(NotAllowed):
            voting.paper_ballot_record(
                actor=actor, vote=vote, resident=s.li, option=option(vote, "同意"), now=DURING
            )
    _nothing_written(vote)


def test_cancelled_vote_takes_no_ballots(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community)
    with pytest.raises(GovernanceError):
        voting.vote_cancel(actor=s.manager, vote=vote, reason=" ")
    voting.vote_cancel(actor=s.manager, vote=vote, reason="方案调整")
    with pytest.raises(IllegalTransition, match="已取消"):
        voting.ballot_cast(
            actor=s.li_user, vote=vote, resident=s.li, option=option(vote, "同意"), now=DURING
        )
    with pytest.raises(IllegalTransition):
        voting.vote_cancel(actor=s.manager, vote=vote, reason="再取消")
    _nothing_written(vote)


# --- secret ballots -------------------------------------------------------------------------


def test_secret_ballot_keeps_no_link_to_the_voter(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community, secret=True)
    voting.ballot_cast(
        actor=s.zhang_user, vote=vote, resident=s.zhang, option=option(vote, "同意"), now=DURING
    )
    ballot = Ballot.objects.get(vote=vote)
    assert ballot.participation_id is None
    columns = {f.column for f in Ballot._meta.concrete_fields}
    assert columns == {"id", "vote_id", "option_id", "channel", "participation_id"}
    assert not any(isinstance(f, (dt.datetime,)) for f in Ballot._meta.concrete_fields)
    time_fields = [f.name for f in Ballot._meta.concrete_fields if "Date" in type(f).__name__]
    assert time_fields == []


def test_secret_vote_refuses_named_paper_ballots(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community, secret=True)
    with pytest.raises(GovernanceError, match="签到"):
        voting.paper_ballot_record(
            actor=s.manager, vote=vote, resident=s.li, option=option(vote, "同意"), now=DURING
        )
    _nothing_written(vote)


def test_secret_paper_signin_then_tally(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community, secret=True, scope=VoteScope.ADULT)
    voting.paper_signin(actor=s.manager, vote=vote, resident=s.li_father, now=DURING)
    voting.paper_signin(actor=s.manager, vote=vote, resident=s.zhang_wife, now=DURING)
    with pytest.raises(AlreadyVoted, match="纸质选票"):
        voting.ballot_cast(
            actor=s.zhang_wife_user,
            vote=vote,
            resident=s.zhang_wife,
            option=option(vote, "同意"),
            now=DURING,
        )
    voting.paper_tally_add(actor=s.manager, vote=vote, counts={option(vote, "同意"): 1})
    with pytest.raises(GovernanceError, match=r"纸质选票共 3 张.*签到领票人数 2 人"):
        voting.paper_tally_add(actor=s.manager, vote=vote, counts={option(vote, "不同意"): 2})
    assert Ballot.objects.filter(vote=vote).count() == 1
    assert VoteEvent.objects.filter(vote=vote, action="paper_tally").count() == 1
    voting.vote_count(actor=s.manager, vote=vote, now=AFTER)
    vote.refresh_from_db()
    assert vote.result["uncast_paper"] == 1
    assert vote.result["participants"] == 2 and vote.result["ballots"] == 1


@pytest.mark.parametrize(
    "counts", [{0: 1}, {"x": 1}, {-1: 1}], ids=["unknown", "not-an-id", "negative-id"]
)
def test_tally_refuses_foreign_options(vote_scene: VoteScene, counts: dict) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community, secret=True)
    voting.paper_signin(actor=s.manager, vote=vote, resident=s.li, now=DURING)
    with pytest.raises(GovernanceError):
        voting.paper_tally_add(actor=s.manager, vote=vote, counts=counts)
    assert not Ballot.objects.filter(vote=vote).exists()


def test_tally_refuses_negative_and_empty_counts(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community, secret=True)
    voting.paper_signin(actor=s.manager, vote=vote, resident=s.li, now=DURING)
    for counts in ({option(vote, "同意"): -1}, {option(vote, "同意"): 0}, {}):
        with pytest.raises(GovernanceError):
            voting.paper_tally_add(actor=s.manager, vote=vote, counts=counts)
    assert not Ballot.objects.filter(vote=vote).exists()


# --- count ----------------------------------------------------------------------------------


def test_count_writes_the_result_and_notes_the_topic(vote_scene: VoteScene) -> None:
    from linli.governance.models import Topic

    s = vote_scene
    topic = Topic.objects.create(
        area=s.community,
        number="YT-TEST-1",
        title="停车难",
        category="parking",
        raised_by=s.manager,
        support_threshold=20,
    )
    vote = make_vote(s.manager, s.community, topic=topic)
    voting.ballot_cast(
        actor=s.zhang_user, vote=vote, resident=s.zhang, option=option(vote, "同意"), now=DURING
    )
    voting.paper_ballot_record(
        actor=s.manager, vote=vote, resident=s.li_father, option=option(vote, "同意"), now=DURING
    )
    with pytest.raises(GovernanceError, match="截止后才能计票"):
        voting.vote_count(actor=s.manager, vote=vote, now=DURING)
    vote = voting.vote_count(actor=s.manager, vote=vote, now=AFTER)
    assert vote.status == VoteStatus.COUNTED
    assert vote.result["turnout"] == 100.0
    assert vote.result["passed"] is True and vote.result["winner"] == "同意"
    assert [o["count"] for o in vote.result["options"]] == [2, 0, 0]
    event = TopicEvent.objects.get(topic=topic)
    assert event.from_status == event.to_status == topic.status
    assert "通过" in event.note
    with pytest.raises(IllegalTransition):
        voting.vote_count(actor=s.manager, vote=vote, now=AFTER)
    assert VoteEvent.objects.filter(vote=vote, action="counted").count() == 1


def test_count_needs_a_manager(vote_scene: VoteScene, assigned) -> None:  # type: ignore[no-untyped-def]
    vote = make_vote(vote_scene.manager, vote_scene.community)
    with pytest.raises(NotAllowed):
        voting.vote_count(actor=assigned, vote=vote, now=AFTER)
    vote.refresh_from_db()
    assert vote.status == VoteStatus.PUBLISHED and vote.result is None


def test_counted_time_is_given_now(vote_scene: VoteScene) -> None:
    vote = make_vote(vote_scene.manager, vote_scene.community)
    vote = voting.vote_count(actor=vote_scene.manager, vote=vote, now=AFTER)
    assert vote.counted_at == AFTER
    assert vote.result["quorum_met"] is False and vote.result["passed"] is False
    assert timezone.is_aware(vote.counted_at)


def test_staff_elsewhere_cannot_manage(vote_scene: VoteScene, other_areas) -> None:  # type: ignore[no-untyped-def]
    from linli.people.models import Role

    admin_elsewhere = staff_user(other_areas["community"], Role.COMMUNITY_ADMIN)
    vote = make_vote(vote_scene.manager, vote_scene.community, publish=False)
    with pytest.raises(NotAllowed):
        voting.vote_publish(actor=admin_elsewhere, vote=vote)
    assert not Elector.objects.exists()
