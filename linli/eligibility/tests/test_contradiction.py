"""The contradiction check: rules no subject can ever meet are named before they are saved."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.eligibility.conditions import MAX_CASES, contradiction, evaluate, validate

ORG = "organization"


def cmp(fact: str, op: str, value: Any) -> dict[str, Any]:
    return {"fact": fact, "op": op, "value": value}


@pytest.mark.parametrize(
    ("condition", "explanation"),
    [
        (
            {"all": [cmp("employee_count", ">=", 50), cmp("employee_count", "<", 20)]},
            "“从业人数 ≥ 50”与“从业人数 < 20”不可能同时成立",
        ),
        (
            {"all": [cmp("industry", "==", "餐饮"), cmp("industry", "==", "零售")]},
            "“行业 为 餐饮”与“行业 为 零售”不可能同时成立",
        ),
        (
            {"all": [cmp("internship_base", "==", True), cmp("internship_base", "==", False)]},
            "“见习基地 为 是”与“见习基地 为 否”不可能同时成立",
        ),
        (cmp("industry", "in", []), "“行业 属于 空列表”永远不成立"),
        (
            {
                "all": [
                    cmp("disabled_employees", "exists", False),
                    cmp("disabled_employees", ">=", 1),
                ]
            },
            "“在册残疾职工人数未登记”与“在册残疾职工人数 ≥ 1”不可能同时成立",
        ),
        ({"any": []}, "“任一”条件组为空（any: []），永远不成立"),
        ({"not": {"all": []}}, "“并非（无条件）”永远不成立"),
        (
            {"all": [cmp("employee_count", "in", [5, 8]), cmp("employee_count", "not_in", [5, 8])]},
            "不可能同时成立",
        ),
        (
            {
                "all": [
                    cmp("employee_count", ">=", 10),
                    cmp("employee_count", "<=", 11),
                    cmp("employee_count", "not_in", [10, 11]),
                ]
            },
            "“从业人数 ≥ 10”、“从业人数 ≤ 11”与“从业人数 不属于 10、11”不可能同时成立",
        ),
        (
            {"all": [cmp("size", "in", ["micro", "small"]), cmp("size", "==", "large")]},
            "不可能同时成立",
        ),
        (
            {"all": [cmp("internship_base", "!=", True), cmp("internship_base", "!=", False)]},
            "不可能同时成立",
        ),
        (
            {"not": {"any": [cmp("industry", "exists", True), cmp("industry", "exists", False)]}},
            "不可能同时成立",
        ),
    ],
)
def test_contradictory_rule_is_explained(condition, explanation):
    validate_if_possible(condition)
    assert explanation in (contradiction(condition, ORG) or "")


def validate_if_possible(condition: dict[str, Any]) -> None:
    # ``in []`` is refused by validate; the check must still not crash on it.
    if condition.get("value") != []:
        validate(condition, ORG)


@pytest.mark.parametrize(
    "condition",
    [
        {"all": []},
        cmp("employee_count", ">=", 10),
        # not (x < 60) also holds when x is unknown, so it is no contradiction with "unknown".
        {"all": [{"not": cmp("employee_count", "<", 60)}, cmp("employee_count", "exists", False)]},
        {"all": [cmp("employee_count", ">=", 10), cmp("employee_count", "<=", 10)]},
        # Text is open: some industry is neither of these.
        {"all": [cmp("industry", "!=", "餐饮"), cmp("industry", "!=", "零售")]},
        {"any": [{"all": [cmp("industry", "==", "a"), cmp("industry", "==", "b")]}, {"all": []}]},
        {"all": [cmp("employee_count", ">", 5), cmp("employee_count", "not_in", [6, 7, 8])]},
    ],
)
def test_satisfiable_rule_is_not_reported(condition):
    validate(condition, ORG)
    assert contradiction(condition, ORG) is None


def test_each_alternative_is_named_when_every_one_fails():
    condition = {
        "any": [
            {"all": [cmp("employee_count", ">=", 50), cmp("employee_count", "<", 20)]},
            {"all": [cmp("internship_base", "==", True), cmp("internship_base", "!=", True)]},
        ]
    }
    explanation = contradiction(condition, ORG) or ""
    assert explanation.startswith("条件的每一种情形都不可能成立")
    assert "从业人数 ≥ 50" in explanation and "见习基地 为 是" in explanation


def test_set_facts_need_a_member_that_is_not_excluded():
    both = {"all": [cmp("tags", "contains", "dibao"), cmp("tags", "not_contains", "dibao")]}
    none_left = {
        "all": [
            cmp("tags", "contains_any", ["dibao", "tekun"]),
            {"not": cmp("tags", "contains_any", ["dibao", "tekun", "disabled"])},
        ]
    }
    assert "不可能同时成立" in (contradiction(both, "resident") or "")
    assert "不可能同时成立" in (contradiction(none_left, "resident") or "")
    assert contradiction({"not": cmp("tags", "contains_any", ["dibao"])}, "resident") is None


def test_a_rule_too_big_to_expand_is_not_judged():
    # 9 independent binary choices → 512 cases > MAX_CASES before the empty "any" is
    # reached: the check gives up (None, "cannot prove") instead of working on.
    pairs = [
        {"any": [cmp("employee_count", ">=", i), cmp("industry", "!=", f"行业{i}")]}
        for i in range(9)
    ]
    assert 2 ** len(pairs) > MAX_CASES
    assert contradiction({"all": [*pairs, {"any": []}]}, ORG) is None
    assert contradiction({"all": [{"any": []}, *pairs]}, ORG) is not None


# --- soundness (and, on these small domains, exactness) -----------------------------------

# Constants come from small pools; each domain adds a value outside the pool ("zz", 5, -1)
# so that "none of these" is representable: then a condition holds for some real facts
# exactly when it holds for some assignment of these domains.
INTS = st.integers(0, 4)
DOMAINS: dict[str, dict[str, list[Any]]] = {
    ORG: {
        "employee_count": [None, *range(-1, 6)],
        "industry": [None, "a", "b", "c", "zz"],
        "internship_base": [None, True, False],
    },
    "resident": {
        "age": [None, *range(-1, 6)],
        "sex": [None, "M", "F", "X"],
        "tags": [None]
        + [
            frozenset(combo)
            for n in range(4)
            for combo in itertools.combinations(["dibao", "tekun", "disabled", "key_care"], n)
        ],
    },
}
TAGS = st.sampled_from(["dibao", "tekun", "disabled"])


def comparisons(subject_kind: str) -> st.SearchStrategy[dict[str, Any]]:
    exists = st.sampled_from(list(DOMAINS[subject_kind])).flatmap(
        lambda fact: st.builds(cmp, st.just(fact), st.just("exists"), st.booleans())
    )
    if subject_kind == ORG:
        text = st.sampled_from(["a", "b", "c"])
        options = [
            st.builds(
                cmp,
                st.just("employee_count"),
                st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
                INTS,
            ),
            st.builds(
                cmp,
                st.just("employee_count"),
                st.sampled_from(["in", "not_in"]),
                st.lists(INTS, min_size=1, max_size=3),
            ),
            st.builds(cmp, st.just("industry"), st.sampled_from(["==", "!="]), text),
            st.builds(
                cmp,
                st.just("industry"),
                st.sampled_from(["in", "not_in"]),
                st.lists(text, min_size=1, max_size=3),
            ),
            st.builds(
                cmp, st.just("internship_base"), st.sampled_from(["==", "!="]), st.booleans()
            ),
        ]
    else:
        sex = st.sampled_from(["M", "F"])
        options = [
            st.builds(
                cmp, st.just("age"), st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), INTS
            ),
            st.builds(cmp, st.just("sex"), st.sampled_from(["==", "!="]), sex),
            st.builds(
                cmp,
                st.just("sex"),
                st.sampled_from(["in", "not_in"]),
                st.lists(sex, min_size=1, max_size=2),
            ),
            st.builds(cmp, st.just("tags"), st.sampled_from(["contains", "not_contains"]), TAGS),
            st.builds(
                cmp,
                st.just("tags"),
                st.just("contains_any"),
                st.lists(TAGS, min_size=1, max_size=3),
            ),
        ]
    return st.one_of(exists, *options)


def conditions(subject_kind: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        comparisons(subject_kind),
        lambda children: st.one_of(
            st.builds(lambda c: {"all": c}, st.lists(children, max_size=3)),
            st.builds(lambda c: {"any": c}, st.lists(children, max_size=3)),
            st.builds(lambda c: {"not": c}, children),
        ),
        max_leaves=6,
    )


def holds_somewhere(condition: dict[str, Any], subject_kind: str) -> bool:
    domain = DOMAINS[subject_kind]
    names = list(domain)
    return any(
        evaluate(condition, dict(zip(names, values, strict=True)), subject_kind).passed
        for values in itertools.product(*(domain[name] for name in names))
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([ORG, "resident"]).flatmap(lambda k: st.tuples(st.just(k), conditions(k))))
def test_contradiction_is_reported_exactly_when_no_facts_meet_the_rule(case):
    subject_kind, condition = case
    validate(condition, subject_kind)
    explanation = contradiction(condition, subject_kind)
    # Soundness: a reported contradiction is never met by any facts.
    if explanation is not None:
        assert not holds_somewhere(condition, subject_kind), explanation
    # On these domains (small rules never reach MAX_CASES) the check is also complete.
    else:
        assert holds_somewhere(condition, subject_kind)
