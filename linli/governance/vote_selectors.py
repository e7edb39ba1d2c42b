"""Reads of votes: staff lists scoped to their areas, a resident's open votes, live
turnout, elector search for paper entry, the participation list, published results, and
the count's arithmetic (:func:`tally`).

Staff see the votes of every community their assignments lie in or cover (a micro-grid
worker sees their community's votes; a street admin those of the whole street). What
they may change is decided by :func:`linli.governance.access.may_manage`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from linli.common.pii import mask_phone
from linli.governance.models import (
    Ballot,
    BallotChannel,
    Elector,
    MajorityRule,
    Participation,
    Vote,
    VoteScope,
    VoteStatus,
)
from linli.people.models import Resident
from linli.people.scoping import area_paths
from linli.places.models import Area, AreaKind

AnyUser = User | AnonymousUser


# --- staff ---------------------------------------------------------------------------------


def communities_for_staff(user: AnyUser) -> QuerySet[Area]:
    """Communities the user's areas lie in or cover (all for a superuser, none for others)."""
    paths = area_paths(user)
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY)
    if paths is None:
        return communities
    if not paths:
        return communities.none()
    ancestors = {path[: i + 1] for path in paths for i, ch in enumerate(path) if ch == "/"}
    condition = Q(path__in=sorted(ancestors))
    for path in paths:
        condition |= Q(path__startswith=path)
    return communities.filter(condition)


def votes_for_staff(user: AnyUser) -> QuerySet[Vote]:
    """Votes of :func:`communities_for_staff`, newest opening first."""
    return (
        Vote.objects.filter(area__in=communities_for_staff(user))
        .select_related("area")
        .order_by("-opens_at", "-pk")
    )


def vote_for_staff(user: AnyUser, pk: int) -> Vote | None:
    return votes_for_staff(user).filter(pk=pk).first()


def turnout_by_channel(vote: Vote) -> dict[str, int]:
    """Live participation counts: ``{"online": n, "paper": m, "total": n + m}``."""
    counts = dict(
        Participation.objects.filter(vote=vote)
        .values_list("channel")
        .annotate(n=Count("pk"))
        .values_list("channel", "n")
    )
    rows = {channel: counts.get(channel, 0) for channel in BallotChannel.values}
    rows["total"] = sum(rows.values())
    return rows


@dataclass(frozen=True)
class ElectorMatch:
    """A resident found for paper entry, the elector they vote as and whether it voted."""

    resident: Resident
    elector: Elector
    participation: Participation | None

    @property
    def phone_masked(self) -> str:
        """``139****5678`` (:func:`linli.common.pii.mask_phone`), ``""`` if none."""
        return mask_phone(self.resident.phone)

    @property
    def birth_year(self) -> int:
        """The year of birth, to tell namesakes apart (曾萍 and 曾萍雪)."""
        return self.resident.birth_date.year


SEARCH_LIMIT = 20


def elector_search(vote: Vote, query: str) -> list[ElectorMatch]:
    """Residents of the vote's electorate matching ``query`` by name, phone or room.

    Household scope: members of elector households (minors are listed too, so staff
    see why they cannot vote; the service refuses them). At most :data:`SEARCH_LIMIT`.
    """
    query = query.strip()
    if not query:
        return []
    text = Q(name__contains=query) | Q(phone__contains=query) | Q(household__room=query)
    electors = Elector.objects.filter(vote=vote).select_related("participation")
    if vote.scope == VoteScope.HOUSEHOLD:
        people = Resident.objects.filter(
            text, household__in=Elector.objects.filter(vote=vote).values("household_id")
        )
        found = list(
            people.select_related("household__building").order_by("name", "pk")[:SEARCH_LIMIT]
        )
        by_key = {e.household_id: e for e in electors.filter(household__members__in=found)}
        keys = [p.household_id for p in found]
    else:
        people = Resident.objects.filter(
            text, pk__in=Elector.objects.filter(vote=vote).values("resident_id")
        )
        found = list(
            people.select_related("household__building").order_by("name", "pk")[:SEARCH_LIMIT]
        )
        by_key = {e.resident_id: e for e in electors.filter(resident__in=found)}
        keys = [p.pk for p in found]
    matches = []
    for person, key in zip(found, keys, strict=True):
        elector = by_key[key]
        voted = getattr(elector, "participation", None)
        matches.append(ElectorMatch(resident=person, elector=elector, participation=voted))
    return matches


def participation_rows(vote: Vote) -> list[dict[str, Any]]:
    """Who took part, for the export: elector, who cast, channel, time, recorder; the
    option only in an open vote (never how, in a secret one)."""
    rows = []
    participations = (
        Participation.objects.filter(vote=vote)
        .select_related(
            "elector__household__building", "elector__resident", "cast_by", "recorded_by"
        )
        .order_by("at", "pk")
    )
    options = {}
    if not vote.secret:
        options = dict(
            Ballot.objects.filter(vote=vote, participation__isnull=False).values_list(
                "participation_id", "option__label"
            )
        )
    for p in participations:
        household = p.elector.household
        rows.append(
            {
                "elector": str(household) if household else str(p.elector.resident),
                "cast_by": p.cast_by.name if p.cast_by else "",
                "channel": p.get_channel_display(),
                "at": timezone.localtime(p.at),
                "recorded_by": p.recorded_by.get_full_name() or p.recorded_by.username
                if p.recorded_by
                else "",
                "option": options.get(p.pk, ""),
            }
        )
    return rows


# --- residents -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentVote:
    """A vote a resident may take part in, with their elector and its participation."""

    vote: Vote
    elector: Elector
    participation: Participation | None

    def state(self, now: dt.datetime) -> str:
        """``voted``, ``upcoming``, ``open`` or ``closed``."""
        if self.participation is not None:
            return "voted"
        if now < self.vote.opens_at:
            return "upcoming"
        return "open" if now < self.vote.closes_at else "closed"


def elector_filter(resident: Resident) -> Q:
    """Electors ``resident`` votes as: their household's (household votes) or their own."""
    mine = Q(vote__scope=VoteScope.ADULT, resident=resident)
    if resident.household_id:
        mine |= Q(vote__scope=VoteScope.HOUSEHOLD, household_id=resident.household_id)
    return mine


def votes_for_resident(resident: Resident, *, include_counted: bool = True) -> list[ResidentVote]:
    """Published (and counted) votes in which ``resident`` or their household is an
    elector, newest first."""
    statuses = [VoteStatus.PUBLISHED] + ([VoteStatus.COUNTED] if include_counted else [])
    electors = (
        Elector.objects.filter(elector_filter(resident), vote__status__in=statuses)
        .select_related("vote", "participation")
        .order_by("-vote__opens_at", "-vote_id")
    )
    return [
        ResidentVote(vote=e.vote, elector=e, participation=getattr(e, "participation", None))
        for e in electors
    ]


def vote_for_resident(resident: Resident, pk: int) -> ResidentVote | None:
    return next((row for row in votes_for_resident(resident) if row.vote.pk == pk), None)


# --- public --------------------------------------------------------------------------------


def published_result(pk: int) -> Vote | None:
    """A COUNTED vote (with its result), else ``None``."""
    return (
        Vote.objects.filter(pk=pk, status=VoteStatus.COUNTED, result__isnull=False)
        .select_related("area")
        .first()
    )


def published_results(community: Area, limit: int = 50) -> list[Vote]:
    """The community's COUNTED votes (with a result), newest count first, at most ``limit``;
    for the public board (``result`` holds ``turnout`` in percent and ``passed``)."""
    return list(
        Vote.objects.filter(
            area=community, status=VoteStatus.COUNTED, result__isnull=False
        ).order_by("-counted_at", "-pk")[:limit]
    )


MAJORITY_WORDS: dict[str, str] = {
    MajorityRule.SIMPLE: "得票最多的选项须超过投票总数的一半（弃权计入投票总数）",
    MajorityRule.TWO_THIRDS: "得票最多的选项须达到投票总数的三分之二以上（弃权计入投票总数）",
    MajorityRule.THREE_QUARTERS: "得票最多的选项须达到投票总数的四分之三以上（弃权计入投票总数）",
}


# --- the count's arithmetic ----------------------------------------------------------------


#: Share of ballots cast the leading option needs, and whether reaching it exactly passes.
#: Civil Code art. 278 wording: 过半数 is strictly more than half; 三分之二以上 and
#: 四分之三以上 include the bound (以上 includes the number itself, Civil Code art. 1259).
MAJORITY_BOUNDS: dict[str, tuple[Fraction, bool]] = {
    MajorityRule.SIMPLE: (Fraction(1, 2), False),
    MajorityRule.TWO_THIRDS: (Fraction(2, 3), True),
    MajorityRule.THREE_QUARTERS: (Fraction(3, 4), True),
}


@dataclass(frozen=True)
class OptionCount:
    label: str
    count: int
    abstain: bool = False


def tally(
    *,
    electorate: int,
    participants: int,
    options: Sequence[OptionCount],
    quorum_percent: int,
    majority: str,
) -> dict[str, Any]:
    """The result of a vote, in exact arithmetic (see :data:`MAJORITY_BOUNDS`).

    ``turnout`` = participants ÷ electorate (shown in percent, one decimal);
    ``quorum_met`` when turnout ≥ ``quorum_percent`` %; ballots cast include abstentions;
    the leading non-abstain option passes when alone at the top and its share of the
    ballots cast reaches the rule's bound; a tie at the top never passes. ``winner`` is
    its label when passed, else ``None``.
    """
    ballots = sum(o.count for o in options)
    turnout = Fraction(participants, electorate) if electorate else Fraction(0)
    quorum_met = turnout * 100 >= quorum_percent if electorate else quorum_percent == 0
    ranked = sorted((o for o in options if not o.abstain), key=lambda o: -o.count)
    leader = ranked[0] if ranked and ranked[0].count > 0 else None
    if leader and len(ranked) > 1 and ranked[1].count == leader.count:
        leader = None
    bound, inclusive = MAJORITY_BOUNDS[majority]
    share = Fraction(leader.count, ballots) if leader else Fraction(0)
    reached = share >= bound if inclusive else share > bound
    passed = bool(leader and quorum_met and reached)
    return {
        "electorate": electorate,
        "participants": participants,
        "turnout": _percent(turnout),
        "ballots": ballots,
        "options": [
            {
                "label": o.label,
                "count": o.count,
                "abstain": o.abstain,
                "percent": _percent(Fraction(o.count, ballots) if ballots else Fraction(0)),
            }
            for o in options
        ],
        "quorum_percent": quorum_percent,
        "quorum_met": quorum_met,
        "majority": majority,
        "passed": passed,
        "winner": leader.label if passed and leader else None,
    }


def _percent(share: Fraction) -> float:
    """A share in percent rounded half up to one decimal (for display only)."""
    tenths = (share * 1000 * 2 + 1) // 2
    return int(tenths) / 10
