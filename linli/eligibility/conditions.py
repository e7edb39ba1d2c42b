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
        written = "、".join(sorted(keys)) or "空的 {}"
        raise ConditionError(
            "条件写法不对：每一项要写 fact（事实）、op（比较）和 value（值），"
            f"或用 all / any / not 组合几项（{where} 写的是 {written}）"
        )


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
    if op is None:
        allowed = " ".join(sorted(OPS_BY_KIND[fact.kind]))
        raise ConditionError(
            f"{where}.op：条件写法不对：缺少 op（比较方式），“{fact.label}”可用：{allowed}"
        )
    if op not in OPS_BY_KIND[fact.kind]:
        allowed = " ".join(sorted(OPS_BY_KIND[fact.kind]))
        raise ConditionError(f"{where}.op：“{fact.label}”不支持运算符“{op}”（可用：{allowed}）")
    if "value" not in node:
        raise ConditionError(
            f'{where}.value：条件写法不对：缺少比较值 value（如 10、"enterprise"）'
        )
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


def render(
    template: str,
    facts: Mapping[str, object],
    held: str = "",
    vocabulary: Mapping[str, Fact] | None = None,
) -> str:
    """``template`` with ``{held}`` and ``{fact}`` filled in; unknown facts show as “未登记”.

    With ``vocabulary``, a coded fact shows its Chinese name (``{kind}`` → ``医疗机构``, a
    set of tags → ``残疾、低保``) instead of the stored code.
    """
    values: dict[str, object] = {"held": held}
    for name, value in facts.items():
        fact = vocabulary.get(name) if vocabulary is not None else None
        values[name] = "未登记" if value is None else _shown(value, fact)
    return string.Formatter().vformat(template, (), _Default(values))


class _Default(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "未登记"


def _shown(value: object, fact: Fact | None) -> object:
    """A fact's value as a reader sees it: choice codes by their Chinese name."""
    choices = fact.choices if fact is not None else None
    if not choices:
        return value
    if isinstance(value, frozenset | set):
        return "、".join(label for code, label in choices.items() if code in value) or "无"
    return choices.get(str(value), value)


def comparison_label(
    node: Mapping[str, Any], facts: Mapping[str, object], vocabulary: Mapping[str, Fact]
) -> str:
    """The Chinese label of a comparison that held, with facts filled in.

    The node's own ``label`` wins; otherwise ``==`` / ``in`` name the subject's value
    ("单位类型：医疗机构", not the whole list of the rule) and the other comparisons add the
    value to the rule ("年龄（周岁） ≥ 60（61）").
    """
    if node.get("label"):
        return render(node["label"], facts, vocabulary=vocabulary)
    actual = facts.get(node["fact"])
    if isinstance(actual, frozenset | set) or node["op"] == "exists":
        return _plain(node, vocabulary)
    fact = vocabulary[node["fact"]]
    shown = _bool(_shown(actual, fact))
    if node["op"] in ("==", "in"):
        return f"{fact.label}：{shown}"
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


# --- contradiction ------------------------------------------------------------------------

#: Beyond this many alternative cases (conjunctions of the disjunctive normal form) the
#: check gives up and answers "cannot prove" rather than spend time on a huge rule.
MAX_CASES = 256

#: Operator negation over a *known* value: ``not (x < 60)`` is ``x >= 60`` only when x is
#: known; an unknown x is handled separately (see :class:`_FactCase`).
_NEGATED_OP = {
    "==": "!=",
    "!=": "==",
    "<": ">=",
    ">=": "<",
    "<=": ">",
    ">": "<=",
    "in": "not_in",
    "not_in": "in",
    "contains": "not_contains",
    "not_contains": "contains",
    "contains_any": "contains_none",
}


class _TooBig(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class _FactCase:
    """What one case of a condition needs of one fact.

    The fact may be unknown (``unknown_ok``) or known with a value meeting every
    ``(op, value)`` of ``preds`` (``known_ok``); both flags may hold (``not (x < 60)``: x
    unknown, or x ≥ 60). Intersecting two cases keeps exactly the values both allow, so
    ``not`` never doubles the number of cases. ``sources`` are the Chinese descriptions of
    the comparisons involved, for the explanation.
    """

    unknown_ok: bool
    known_ok: bool
    preds: tuple[tuple[str, Any], ...] = ()
    sources: tuple[str, ...] = ()

    def __and__(self, other: _FactCase) -> _FactCase:
        return _FactCase(
            self.unknown_ok and other.unknown_ok,
            self.known_ok and other.known_ok,
            self.preds + other.preds,
            tuple(dict.fromkeys(self.sources + other.sources)),
        )


_Case = dict[str, _FactCase]


def contradiction(node: Mapping[str, Any], subject_kind: str) -> str | None:
    """A Chinese explanation when a *validated* condition can never hold, else ``None``.

    Sound but not complete: a returned explanation means :func:`evaluate` is false for
    every possible set of facts (unknown facts included); ``None`` means no contradiction
    was found — including when the rule has more than :data:`MAX_CASES` alternative cases
    and the check gave up. Text and set facts are treated as open (any string), so
    ``size not_in [all four sizes]`` is not reported; integers are unbounded.

    Method: the condition is rewritten as alternative cases (disjunctive normal form),
    pushing ``not`` down to the comparisons with the unknown-fact semantics of
    :func:`evaluate` (``not (x < 60)`` is "x unknown or x ≥ 60"); each case is checked fact
    by fact (integer ranges and exclusions, text sets, booleans, set membership).

    Example: ``{"all": [employee_count >= 50, employee_count < 20]}`` →
    ``"“从业人数 ≥ 50”与“从业人数 < 20”不可能同时成立"``.
    """
    vocabulary = VOCABULARY[subject_kind]
    reasons: list[str] = []
    try:
        cases = _cases(node, False, vocabulary, reasons)
    except _TooBig:
        return None
    if cases:
        return None
    unique = list(dict.fromkeys(reasons)) or ["条件永远不成立"]
    if len(unique) == 1:
        return unique[0]
    shown = "；".join(unique[:3]) + ("；等" if len(unique) > 3 else "")
    return f"条件的每一种情形都不可能成立：{shown}"


def _cases(
    node: Mapping[str, Any], negated: bool, vocabulary: Mapping[str, Fact], reasons: list[str]
) -> list[_Case]:
    """The satisfiable cases of ``node`` (or of its negation), contradictory ones dropped
    with their explanation appended to ``reasons``."""
    if "not" in node:
        return _cases(node["not"], not negated, vocabulary, reasons)
    if "all" in node or "any" in node:
        key = "all" if "all" in node else "any"
        children = node[key]
        conjunctive = (key == "all") != negated
        if not children:
            if conjunctive:
                return [{}]
            reasons.append(
                "“任一”条件组为空（any: []），永远不成立"
                if key == "any"
                else "“并非（无条件）”永远不成立"
            )
            return []
        if not conjunctive:
            union: list[_Case] = []
            for child in children:
                union += _cases(child, negated, vocabulary, reasons)
                if len(union) > MAX_CASES:
                    raise _TooBig
            return union
        product: list[_Case] = [{}]
        for child in children:
            alternatives = _cases(child, negated, vocabulary, reasons)
            product = [
                merged
                for left in product
                for right in alternatives
                if (merged := _merge(left, right, vocabulary, reasons)) is not None
            ]
            if len(product) > MAX_CASES:
                raise _TooBig
            if not product:
                break
        return product
    case = _comparison_case(node, negated, vocabulary)
    problem = _fact_problem(node["fact"], case, vocabulary)
    if problem:
        reasons.append(problem)
        return []
    return [{node["fact"]: case}]


def _comparison_case(
    node: Mapping[str, Any], negated: bool, vocabulary: Mapping[str, Fact]
) -> _FactCase:
    op, value = node["op"], node["value"]
    if value == []:  # rejected by validate; described here in case it comes unvalidated
        text = f"{vocabulary[node['fact']].label} {OP_LABELS.get(op, op)} 空列表"
    else:
        text = _plain(node, vocabulary)
    source = f"并非{text}" if negated else text
    if op == "exists":
        known = bool(value) != negated
        return _FactCase(unknown_ok=not known, known_ok=known, sources=(source,))
    if negated:
        return _FactCase(True, True, ((_NEGATED_OP[op], value),), (source,))
    return _FactCase(False, True, ((op, value),), (source,))


def _merge(
    left: _Case, right: _Case, vocabulary: Mapping[str, Fact], reasons: list[str]
) -> _Case | None:
    merged = dict(left)
    for name, case in right.items():
        combined = merged[name] & case if name in merged else case
        problem = _fact_problem(name, combined, vocabulary)
        if problem:
            reasons.append(problem)
            return None
        merged[name] = combined
    return merged


def _fact_problem(name: str, case: _FactCase, vocabulary: Mapping[str, Fact]) -> str | None:
    """Why no value (known or unknown) of fact ``name`` meets ``case``; ``None`` if one does."""
    if case.unknown_ok or (case.known_ok and _known_possible(vocabulary[name].kind, case.preds)):
        return None
    quoted = [f"“{source}”" for source in case.sources]
    if len(quoted) == 1:
        return f"{quoted[0]}永远不成立"
    return f"{'、'.join(quoted[:-1])}与{quoted[-1]}不可能同时成立"


def _known_possible(kind: str, preds: tuple[tuple[str, Any], ...]) -> bool:
    """Whether some known value of ``kind`` meets every ``(op, value)`` of ``preds``."""
    if kind == "int":
        return _int_possible(preds)
    if kind == "set":
        return _set_possible(preds)
    allowed: set[Any] | None = {True, False} if kind == "bool" else None
    excluded: set[Any] = set()
    for op, value in preds:
        if op in ("==", "in"):
            items = set(value) if op == "in" else {value}
            allowed = items if allowed is None else allowed & items
        else:  # != / not_in
            excluded |= set(value) if op == "not_in" else {value}
    # An open text domain always has a string outside any finite exclusion.
    return allowed is None or bool(allowed - excluded)


def _int_possible(preds: tuple[tuple[str, Any], ...]) -> bool:
    low: int | None = None
    high: int | None = None
    allowed: set[int] | None = None
    excluded: set[int] = set()
    for op, value in preds:
        if op in (">", ">="):
            bound = value + 1 if op == ">" else value
            low = bound if low is None else max(low, bound)
        elif op in ("<", "<="):
            bound = value - 1 if op == "<" else value
            high = bound if high is None else min(high, bound)
        elif op in ("==", "in"):
            items = set(value) if op == "in" else {value}
            allowed = items if allowed is None else allowed & items
        else:  # != / not_in
            excluded |= set(value) if op == "not_in" else {value}
    if allowed is not None:
        return any(
            (low is None or v >= low) and (high is None or v <= high) and v not in excluded
            for v in allowed
        )
    if low is None or high is None:
        return True  # unbounded on one side: infinitely many integers, finitely many excluded
    inside = sum(1 for v in excluded if low <= v <= high)
    return high - low + 1 > inside


def _set_possible(preds: tuple[tuple[str, Any], ...]) -> bool:
    required = {v for op, v in preds if op == "contains"}
    forbidden = {v for op, v in preds if op == "not_contains"}
    for op, value in preds:
        if op == "contains_none":
            forbidden |= set(value)
    if required & forbidden:
        return False
    # Each contains_any needs one member that is not forbidden; adding it breaks nothing.
    return all(set(value) - forbidden for op, value in preds if op == "contains_any")
