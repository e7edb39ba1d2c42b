"""The count's arithmetic: exact bounds of the majority rules and the quorum (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from linli.governance.vote_selectors import OptionCount, tally


def _result(yes: int, no: int, abstain: int = 0, *, majority: str = "simple", **kw: int) -> dict:
    options = [
        OptionCount("同意", yes),
        OptionCount("不同意", no),
        OptionCount("弃权", abstain, True),
    ]
    electorate = kw.get("electorate", yes + no + abstain)
    participants = kw.get("participants", yes + no + abstain)
    return tally(
        electorate=electorate,
        participants=participants,
        options=options,
        quorum_percent=kw.get("quorum_percent", 0),
        majority=majority,
    )


def test_exactly_half_is_not_a_simple_majority() -> None:
    assert _result(5, 4, 1)["passed"] is False
    assert _result(6, 4, 0)["passed"] is True


def test_exactly_two_thirds_passes_two_thirds() -> None:
    assert _result(2, 1, majority="two_thirds")["passed"] is True
    assert _result(2, 0, 1, majority="two_thirds")["passed"] is True
    assert _result(199, 101, majority="two_thirds")["passed"] is False


def test_exactly_three_quarters_passes_three_quarters() -> None:
    assert _result(3, 1, majority="three_quarters")["passed"] is True
    assert _result(74, 26, majority="three_quarters")["passed"] is False


def test_a_tie_at_the_top_never_passes() -> None:
    result = _result(3, 3, majority="simple", quorum_percent=0)
    assert result["passed"] is False and result["winner"] is None


def test_abstentions_never_win() -> None:
    result = _result(0, 0, 5)
    assert result["passed"] is False and result["winner"] is None


def test_quorum_at_the_boundary() -> None:
    assert _result(3, 0, electorate=6, participants=3, quorum_percent=50)["quorum_met"] is True
    assert _result(3, 0, electorate=7, participants=3, quorum_percent=50)["quorum_met"] is False
    assert _result(1, 0, electorate=3, participants=1, quorum_percent=34)["quorum_met"] is False
    assert _result(1, 0, electorate=3, participants=1, quorum_percent=33)["quorum_met"] is True


def test_no_quorum_no_pass() -> None:
    result = _result(3, 0, electorate=10, participants=3, quorum_percent=50)
    assert result["quorum_met"] is False and result["passed"] is False
    assert result["turnout"] == 30.0


RULES = {"simple": (1, 2, False), "two_thirds": (2, 3, True), "three_quarters": (3, 4, True)}
counts = st.integers(min_value=0, max_value=500)


@settings(deadline=None)  # no per-example deadline: flaky under load
@given(yes=counts, no=counts, abstain=counts, rule=st.sampled_from(sorted(RULES)))
def test_pass_agrees_with_integer_cross_multiplication(
    yes: int, no: int, abstain: int, rule: str
) -> None:
    num, den, inclusive = RULES[rule]
    ballots = yes + no + abstain
    leader = max(yes, no)
    alone = yes != no and leader > 0
    reached = leader * den >= num * ballots if inclusive else leader * den > num * ballots
    result = _result(yes, no, abstain, majority=rule)
    assert result["passed"] is (alone and reached)
    assert result["winner"] == (("同意" if yes > no else "不同意") if result["passed"] else None)


@settings(deadline=None)  # no per-example deadline: flaky under load
@given(
    electorate=st.integers(min_value=1, max_value=5000),
    data=st.data(),
    quorum=st.integers(min_value=0, max_value=100),
)
def test_quorum_agrees_with_integer_cross_multiplication(
    electorate: int, data: st.DataObject, quorum: int
) -> None:
    participants = data.draw(st.integers(min_value=0, max_value=electorate))
    result = tally(
        electorate=electorate,
        participants=participants,
        options=[OptionCount("同意", participants)],
        quorum_percent=quorum,
        majority="simple",
    )
    assert result["quorum_met"] is (participants * 100 >= quorum * electorate)
    assert 0 <= result["turnout"] <= 100


@settings(deadline=None)  # no per-example deadline: flaky under load
@given(yes=counts, no=counts)
def test_percentages_are_rounded_shares(yes: int, no: int) -> None:
    result = _result(yes, no)
    total = yes + no
    for row in result["options"]:
        if total:
            assert abs(row["percent"] - row["count"] * 100 / total) <= 0.05 + 1e-9
        else:
            assert row["percent"] == 0
