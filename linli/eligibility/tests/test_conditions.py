"""The condition language: validation with Chinese messages, evaluation, reasons."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linli.eligibility.conditions import ConditionError, describe, evaluate, validate

AGE_60 = {"fact": "age", "op": ">=", "value": 60}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ([], "应为 JSON 对象"),
        ({"fact": "agee", "op": ">=", "value": 60}, "未知的事实“agee”"),
        ({"fact": "age", "op": "contains", "value": 60}, "不支持运算符“contains”"),
        ({"fact": "age", "op": ">=", "value": "60"}, "比较值应为整数"),
        ({"fact": "age", "op": ">=", "value": True}, "比较值应为整数"),
        ({"fact": "age", "op": ">="}, "缺少比较值"),
        ({"fact": "tags", "op": "contains", "value": "rich"}, "没有取值“rich”"),
        ({"fact": "tags", "op": "contains_any", "value": []}, "非空列表"),
        ({"any": AGE_60}, "应为列表"),
        ({"all": [], "any": []}, "只能有一个键"),
        ({"whatever": 1}, "每一项要写 fact（事实）、op（比较）和 value（值）"),
        ({"fact": "age", "value": 60}, "缺少 op（比较方式）"),
        ({"any": [AGE_60, {"fact": "age", "op": ">=", "value": 1.5}]}, "条件.any[1].value"),
        ({**AGE_60, "label": "{agee} 岁"}, "“{agee}”不是已知事实"),
        ({**AGE_60, "label": "年满 {age"}, "花括号不成对"),
        ({**AGE_60, "colour": "red"}, "不认识这些键"),
    ],
)
def test_bad_condition_is_rejected_with_a_chinese_message(condition, message):
    with pytest.raises(ConditionError, match=message.replace("[", r"\[").replace("{", r"\{")):
        validate(condition, "resident")


def test_resident_fact_is_unknown_for_organisation_schemes():
    with pytest.raises(ConditionError, match="未知的事实“age”"):
        validate(AGE_60, "organization")


def test_deep_nesting_is_rejected():
    node: dict = AGE_60
    for _ in range(10):
        node = {"not": node}
    with pytest.raises(ConditionError, match="嵌套超过"):
        validate(node, "resident")


def test_any_lists_every_comparison_that_held():
    condition = {
        "any": [
            {**AGE_60, "label": "年满 60 周岁（{age} 岁）"},
            {"fact": "tags", "op": "contains", "value": "dibao", "label": "低保对象"},
        ]
    }
    outcome = evaluate(condition, {"age": 67, "tags": frozenset({"dibao"})}, "resident")
    assert outcome.passed
    assert outcome.held == ("年满 60 周岁（67 岁）", "低保对象")


def test_generated_label_names_fact_and_value():
    outcome = evaluate(AGE_60, {"age": 61}, "resident")
    assert outcome.held == ("年龄（周岁） ≥ 60（61）",)
    assert describe({"any": [AGE_60, {"fact": "sex", "op": "==", "value": "F"}]}, "resident") == (
        "（年龄（周岁） ≥ 60 或 性别 为 女）"
    )


def test_held_membership_names_the_subjects_value_not_the_list():
    kinds = {"fact": "kind", "op": "in", "value": ["enterprise", "service_provider", "clinic"]}
    outcome = evaluate(kinds, {"kind": "clinic"}, "organization")
    assert outcome.held == ("单位类型：医疗机构",)


def test_held_equality_names_the_subjects_value():
    female = {"fact": "sex", "op": "==", "value": "F"}
    assert evaluate(female, {"sex": "F"}, "resident").held == ("性别：女",)
    base = {"fact": "internship_base", "op": "==", "value": True}
    assert evaluate(base, {"internship_base": True}, "organization").held == ("见习基地：是",)


def test_label_placeholder_of_a_coded_fact_shows_its_chinese_name():
    node = {
        "fact": "kind",
        "op": "in",
        "value": ["enterprise", "clinic"],
        "label": "单位类型：{kind}",
    }
    assert evaluate(node, {"kind": "clinic"}, "organization").held == ("单位类型：医疗机构",)


def test_unknown_fact_fails_every_comparison_but_exists():
    facts = {"age": None}
    assert not evaluate(AGE_60, facts, "resident").passed
    assert not evaluate({"fact": "age", "op": "<", "value": 60}, facts, "resident").passed
    assert evaluate({"fact": "age", "op": "exists", "value": False}, facts, "resident").passed


@given(age=st.integers(min_value=0, max_value=120), threshold=st.integers(0, 120))
def test_not_is_the_negation_of_its_child(age, threshold):
    node = {"fact": "age", "op": ">=", "value": threshold}
    facts = {"age": age}
    assert evaluate({"not": node}, facts, "resident").passed is (age < threshold)
    assert evaluate(node, facts, "resident").passed is (age >= threshold)


def test_empty_all_always_holds_and_empty_any_never():
    assert evaluate({"all": []}, {}, "resident").passed
    assert not evaluate({"any": []}, {}, "resident").passed
