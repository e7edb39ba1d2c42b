"""The condition language: JSON trees of all/any/not over fact comparisons.

Grammar (one node is exactly one of these objects)::

    {"all": [node, ...]}          every child holds ({"all": []} always holds)
    {"any": [node, ...]}          at least one child holds ({"any": []} never holds)
    {"not": node}                 the child does not hold
    {"fact": NAME, "op": OP, "value": VALUE, "label": "年满 60 周岁（{age} 岁）"}

``label`` is optional: the Chinese text a quote shows when the comparison holds (it may
use ``{fact}`` placeholders); without one a label is generated ("年龄（周岁） ≥ 60").

Operators by fact kind (see :mod:`linli.eligibility.facts`):

* ``int``: ``== != < <= > >=`` with an integer, ``in`` / ``not_in`` with a list of them;
* ``text``: ``== !=`` with a string, ``in`` / ``not_in`` with a list;
* ``bool``: ``==`` / ``!=`` with ``true`` / ``false``;
* ``set``: ``contains`` / ``not_contains`` with one value, ``contains_any`` with a list;
* any kind: ``exists`` with ``true`` / ``false`` (the fact is known / unknown).

An unknown fact (``None``) makes every comparison false except ``exists``; so
``{"not": {"fact": "age", "op": "<", "value": 60}}`` holds for a walk-in whose age is
unknown, and ``{"fact": "age", "op": ">=", "value": 60}`` does not.

:func:`validate` raises :class:`ConditionError` with a Chinese message naming the path of
the bad node (``all[1].value``); :func:`evaluate` is pure and never touches the database.
"""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Mapping
from typing import Any

from linli.eligibility.facts import VOCABULARY, Fact

ALWAYS: dict[str, Any] = {"all": []}

OPS_BY_KIND: dict[str, set[str]] = {
    "int": {"==", "!=", "<", "<=", ">", ">=", "in", "not_in", "exists"},
    "text": {"==", "!=", "in", "not_in", "exists"},
    "bool": {"==", "!=", "exists"},
    "set": {"contains", "not_contains", "contains_any", "exists"},
}
OP_LABELS = {
    "==": "为",
    "!=": "不为",
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
    "in": "属于",
    "not_in": "不属于",
    "contains": "包含",
    "not_contains": "不包含",
    "contains_any": "包含任一",
    "exists": "已登记",
}
LIST_OPS = {"in", "not_in", "contains_any"}
MAX_DEPTH = 8


class ConditionError(ValueError):
    """A condition that does not follow the grammar; the message is Chinese."""


# --- validation ---------------------------------------------------------------------------


def validate(node: object, subject_kind: str) -> None:
    """Check ``node`` against the grammar and the facts of ``subject_kind``.

    Raises:
        ConditionError: naming where the problem is, e.g. ``条件 any[0]：未知的事实“agee”``.
    """
    vocabulary = VOCABULARY.get(subject_kind)
    if vocabulary is None:
        raise ConditionError(f"未知的对象类型“{subject_kind}”")
    _validate(node, vocabulary, "条件", 0)


def _validate(node: object, vocabulary: Mapping[str, Fact], where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ConditionError(f"{where}：嵌套超过 {MAX_DEPTH} 层")
    if not isinstance(node, dict):
        raise ConditionError(f"{where}：应为 JSON 对象（{{…}}），实际为 {_kind(node)}")
    keys = set(node)
    if keys & {"all", "any"}:
        (key,) = _only(keys, {"all", "any"}, where)
        children = node[key]
        if not isinstance(children, list):
            raise ConditionError(f"{where}.{key}：应为列表（[…]）")
        for i, child in enumerate(children):
            _validate(child, vocabulary, f"{where}.{key}[{i}]", depth + 1)
    elif "not" in keys:
        _only(keys, {"not"}, where)
        _validate(node["not"], vocabulary, f"{where}.not", depth + 1)
    elif "fact" in keys:
        _validate_comparison(node, vocabulary, where)
    else:
        raise ConditionError(f"{where}：应包含 all、any、not 或 fact 之一，实际键为 {sorted(keys)}")


def _only(keys: set[str], allowed: set[str], where: str) -> list[str]:
    found = sorted(keys & allowed)
    if len(found) != 1 or keys - set(found):
        raise ConditionError(
            f"{where}：一个条件只能有一个键（all / any / not），实际为 {sorted(keys)}"
        )
    return found


def _validate_comparison(node: dict[str, Any], vocabulary: Mapping[str, Fact], where: str) -> None:
    extra = set(node) - {"fact", "op", "value", "label"}
    if extra:
        raise ConditionError(f"{where}：比较条件不认识这些键：{sorted(extra)}")
    name = node["fact"]
    fact = vocabulary.get(name) if isinstance(name, str) else None
    if fact is None:
        known = "、".join(vocabulary)
        raise ConditionError(f"{where}.fact：未知的事实“{name}”（可用：{known}）")
    op = node.get("op")
    if op not in OPS_BY_KIND[fact.kind]:
        allowed = " ".join(sorted(OPS_BY_KIND[fact.kind]))
        raise ConditionError(f"{where}.op：“{fact.label}”不支持运算符“{op}”（可用：{allowed}）")
    if "value" not in node:
        raise ConditionError(f"{where}.value：缺少比较值")
    _validate_value(node["value"], fact, op, f"{where}.value")
    label = node.get("label", "")
    if not isinstance(label, str):
        raise ConditionError(f"{where}.label：应为文字")
    check_template(label, vocabulary, f"{where}.label")


def _validate_value(value: object, fact: Fact, op: str, where: str) -> None:
    if op == "exists":
        if not isinstance(value, bool):
            raise ConditionError(f"{where}：exists 的值应为 true 或 false")
        return
    if op in LIST_OPS:
        if not isinstance(value, list) or not value:
            raise ConditionError(f"{where}：运算符“{op}”的值应为非空列表")
        for i, item in enumerate(value):
            _validate_scalar(item, fact, f"{where}[{i}]")
        return
    _validate_scalar(value, fact, where)


def _validate_scalar(value: object, fact: Fact, where: str) -> None:
    expected = {"int": "整数", "bool": "true 或 false", "text": "文字", "set": "文字"}[fact.kind]
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "text": isinstance(value, str),
        "set": isinstance(value, str),
    }[fact.kind]
    if not ok:
        raise ConditionError(f"{where}：“{fact.label}”的比较值应为{expected}，实际为 {value!r}")
    if fact.choices is not None and value not in fact.choices:
        allowed = "、".join(f"{k}（{v}）" for k, v in fact.choices.items())
        raise ConditionError(f"{where}：“{fact.label}”没有取值“{value}”（可用：{allowed}）")


def check_template(template: str, vocabulary: Mapping[str, Fact], where: str) -> None:
    """Reject a reason/label template with placeholders other than facts and ``{held}``.

    Raises:
        ConditionError: ``{agee}`` unknown, or a malformed brace.
    """
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError:
        raise ConditionError(
            f"{where}：花括号不成对（文字中的花括号请写成 {{{{ 或 }}}}）"
        ) from None
    for field in fields:
        if field != "held" and field not in vocabulary:
            raise ConditionError(f"{where}：模板中的“{{{field}}}”不是已知事实")


def _kind(value: object) -> str:
    return {list: "列表", str: "文字", int: "数字", float: "数字", bool: "布尔值"}.get(
        type(value), type(value).__name__
    )


# --- evaluation ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Outcome:
    """Whether a condition held, and the labels of the comparisons that made it so.

    ``held`` lists, in condition order, the labels of comparisons that held and
    contributed (inside ``any``, every child that held is listed; under ``not`` nothing is
    listed but the negation itself, e.g. "并非：年龄（周岁） ≥ 60").
    """

    passed: bool
    held: tuple[str, ...] = ()


def evaluate(node: Mapping[str, Any], facts: Mapping[str, object], subject_kind: str) -> Outcome:
    """Evaluate a *validated* condition over ``facts`` (pure; no database)."""
    vocabulary = VOCABULARY[subject_kind]
    if "all" in node:
        outcomes = [evaluate(child, facts, subject_kind) for child in node["all"]]
        passed = all(o.passed for o in outcomes)
        return Outcome(passed, tuple(h for o in outcomes for h in o.held) if passed else ())
    if "any" in node:
        outcomes = [evaluate(child, facts, subject_kind) for child in node["any"]]
        held = tuple(h for o in outcomes if o.passed for h in o.held)
        return Outcome(any(o.passed for o in outcomes), held)
    if "not" in node:
        inner = evaluate(node["not"], facts, subject_kind)
        if inner.passed:
            return Outcome(False)
        return Outcome(True, (f"并非：{describe(node['not'], subject_kind)}",))
    passed = _compare(facts.get(node["fact"]), node["op"], node["value"])
    return Outcome(passed, (comparison_label(node, facts, vocabulary),) if passed else ())


def _compare(actual: object, op: str, expected: Any) -> bool:
    if op == "exists":
        return (actual is not None) is expected
    if actual is None:
        return False
    if op == "contains":
        return expected in actual  # type: ignore[operator]
    if op == "not_contains":
        return expected not in actual  # type: ignore[operator]
    if op == "contains_any":
        return any(item in actual for item in expected)  # type: ignore[operator]
    if op == "in":
        return actual in expected
    if op == "not_in":
        return actual not in expected
    if op == "==":
        return actual == expected
    if op == "!=":
        return actual != expected
    try:
        return {
            "<": actual < expected,  # type: ignore[operator]
            "<=": actual <= expected,  # type: ignore[operator]
            ">": actual > expected,  # type: ignore[operator]
            ">=": actual >= expected,  # type: ignore[operator]
        }[op]
    except TypeError:
        return False


def render(template: str, facts: Mapping[str, object], held: str = "") -> str:
    """``template`` with ``{held}`` and ``{fact}`` filled in; unknown facts show as “未登记”."""
    values: dict[str, object] = {"held": held}
    for name, value in facts.items():
        values[name] = "未登记" if value is None else value
    return string.Formatter().vformat(template, (), _Default(values))


class _Default(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "未登记"


def comparison_label(
    node: Mapping[str, Any], facts: Mapping[str, object], vocabulary: Mapping[str, Fact]
) -> str:
    """The Chinese label of a comparison that held, with facts filled in."""
    if node.get("label"):
        return render(node["label"], facts)
    actual = facts.get(node["fact"])
    if isinstance(actual, frozenset | set) or node["op"] == "exists":
        return _plain(node, vocabulary)
    fact = vocabulary[node["fact"]]
    shown = fact.choices.get(str(actual), actual) if fact.choices else _bool(actual)
    return f"{_plain(node, vocabulary)}（{shown}）"


def describe(node: Mapping[str, Any], subject_kind: str) -> str:
    """A condition in Chinese, for the admin and for failed rules ("年龄（周岁） ≥ 60 或 …")."""
    vocabulary = VOCABULARY[subject_kind]
    if "all" in node:
        parts = [describe(child, subject_kind) for child in node["all"]]
        return (
            "（" + " 且 ".join(parts) + "）"
            if len(parts) > 1
            else (parts[0] if parts else "无条件")
        )
    if "any" in node:
        parts = [describe(child, subject_kind) for child in node["any"]]
        return (
            "（" + " 或 ".join(parts) + "）" if len(parts) > 1 else (parts[0] if parts else "永不")
        )
    if "not" in node:
        return f"并非{describe(node['not'], subject_kind)}"
    return _plain(node, vocabulary)


def _plain(node: Mapping[str, Any], vocabulary: Mapping[str, Fact]) -> str:
    fact = vocabulary[node["fact"]]
    value = node["value"]
    items = value if isinstance(value, list) else [value]
    shown = "、".join(
        str(fact.choices.get(v, v)) if fact.choices and isinstance(v, str) else _bool(v)
        for v in items
    )
    if node["op"] == "exists":
        return f"{fact.label}{'已登记' if value else '未登记'}"
    return f"{fact.label} {OP_LABELS[node['op']]} {shown}"


def _bool(value: object) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    return str(value)
