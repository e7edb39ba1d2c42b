"""The vote-once guarantee under concurrent ballots (real threads; run on PostgreSQL too)."""

from __future__ import annotations

import pytest

from linli.governance import voting
from linli.governance.errors import AlreadyVoted
from linli.governance.models import Ballot, Participation, VoteScope
from linli.governance.tests.fixtures_votes import DURING, VoteScene, make_vote, option, vote_scene
from linli.testing.concurrency import race

__all__ = ["vote_scene"]
pytestmark = pytest.mark.django_db(transaction=True)


def test_two_adults_of_one_household_at_once(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community, scope=VoteScope.HOUSEHOLD)
    yes, no = option(vote, "同意"), option(vote, "不同意")
    outcomes = race(
        lambda: voting.ballot_cast(
            actor=s.zhang_user, vote=vote, resident=s.zhang, option=yes, now=DURING
        ),
        lambda: voting.ballot_cast(
            actor=s.zhang_wife_user, vote=vote, resident=s.zhang_wife, option=no, now=DURING
        ),
        expected=(AlreadyVoted,),
    )
    assert outcomes == ["AlreadyVoted", "ok"]
    assert Participation.objects.filter(vote=vote).count() == 1
    assert Ballot.objects.filter(vote=vote).count() == 1


@pytest.mark.parametrize("secret", [False, True])
def test_six_racers_online_and_paper_for_one_elector(vote_scene: VoteScene, secret: bool) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community, scope=VoteScope.HOUSEHOLD, secret=secret)
    yes = option(vote, "同意")

    def online():  # type: ignore[no-untyped-def]
        return voting.ballot_cast(actor=s.li_user, vote=vote, resident=s.li, option=yes, now=DURING)

    def paper():  # type: ignore[no-untyped-def]
        if secret:
            return voting.paper_signin(actor=s.manager, vote=vote, resident=s.li_father, now=DURING)
        return voting.paper_ballot_record(
            actor=s.manager, vote=vote, resident=s.li_father, option=yes, now=DURING
        )

    outcomes = race(online, paper, online, paper, online, paper, expected=(AlreadyVoted,))
    assert outcomes == ["AlreadyVoted"] * 5 + ["ok"]
    assert Participation.objects.filter(vote=vote).count() == 1
    ballots = Ballot.objects.filter(vote=vote).count()
    channel = Participation.objects.get(vote=vote).channel
    # a secret paper sign-in leaves its ballot for the tally; every other path writes one
    assert ballots == (0 if secret and channel == "paper" else 1)
