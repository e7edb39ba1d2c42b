"""The eligibility engine: pick a scheme's tier for a subject on a date and say why.

Two layers, so the rules can be tested without a database:

* :func:`decide` is pure: tiers and subsidies as plain :class:`TierSpec` values, facts as
  a dict (see :mod:`linli.eligibility.facts`), returns a :class:`Quote`;
* :func:`quote` loads the scheme and the subject's facts from the database and calls it.

Used by the service catalogue (issue 4), the canteen (issue 8) and policy matching over
organisation facts (issue 6).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from linli.eligibility.conditions import Outcome, describe, evaluate, render
from linli.eligibility.facts import SubjectKind, organization_facts, resident_facts
from linli.eligibility.money import yuan


class EligibilityError(Exception):
    """A quote that cannot be made (unknown scheme, no price); the message is Chinese."""


@dataclasses.dataclass(frozen=True)
class SubsidySpec:
    source: str
    amount_fen: int
    condition: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class TierSpec:
    """A tier as plain data; ``valid_to`` inclusive, ``None`` open-ended."""

    priority: int
    name: str
    condition: Mapping[str, Any]
    price_fen: int | None
    reason: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    subsidies: tuple[SubsidySpec, ...] = ()
    id: int | None = None

    def valid_on(self, on: dt.date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


@dataclasses.dataclass(frozen=True)
class SubsidyLine:
    """``amount_fen`` owed by ``source`` for one unit; ``reason`` says which condition held."""

    source: str
    amount_fen: int
    reason: str

    @property
    def amount_text(self) -> str:
        return yuan(self.amount_fen)


@dataclasses.dataclass(frozen=True)
class RuleResult:
    """One tier as evaluated: ``passed`` and the Chinese explanation (held labels or condition)."""

    priority: int
    name: str
    passed: bool
    explanation: str


@dataclasses.dataclass(frozen=True)
class Quote:
    """A price for one unit, with the tier that set it and why.

    ``price_fen`` is what the subject pays; ``subsidies`` what funding sources owe on top
    (the provider receives ``price_fen + subsidy_fen``). ``tier`` is ``None`` when no tier
    applied and the list price was used (walk-ins). ``rules`` lists every tier valid on
    ``on`` in priority order up to and including the one applied.
    """

    scheme_code: str
    scheme_name: str
    on: dt.date
    tier: str | None
    tier_id: int | None
    price_fen: int
    subsidies: tuple[SubsidyLine, ...]
    rules: tuple[RuleResult, ...]
    reason: str

    @property
    def subsidy_fen(self) -> int:
        return sum(line.amount_fen for line in self.subsidies)

    @property
    def price_text(self) -> str:
        return yuan(self.price_fen)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings, money in fen."""
        data = dataclasses.asdict(self)
        data["on"] = self.on.isoformat()
        data["subsidy_fen"] = self.subsidy_fen
        return data


def decide(
    *,
    scheme_code: str,
    scheme_name: str,
    subject_kind: str,
    tiers: Sequence[TierSpec],
    facts: Mapping[str, object] | None,
    on: dt.date,
    base_price_fen: int | None,
) -> Quote:
    """The quote for ``facts`` on ``on`` (pure).

    ``facts`` ``None`` means no known subject (a walk-in): no tier is tried and the base
    price applies. Otherwise tiers valid on ``on`` are tried by ascending ``priority``;
    the first whose condition holds applies. Its price is ``price_fen``, or the base price
    minus the subsidies that apply (never below 0).

    Raises:
        EligibilityError: a price is needed from the base but there is none.
    """
    if facts is None:
        base = _need_base(base_price_fen, scheme_name)
        return Quote(
            scheme_code, scheme_name, on, None, None, base, (), (), "非登记居民（散客），按标价"
        )
    results: list[RuleResult] = []
    for tier in sorted((t for t in tiers if t.valid_on(on)), key=lambda t: t.priority):
        outcome = _evaluate(tier, tier.condition, facts, subject_kind)
        held = "、".join(outcome.held)
        if not outcome.passed:
            results.append(
                RuleResult(
                    tier.priority,
                    tier.name,
                    False,
                    f"不满足：{describe(tier.condition, subject_kind)}",
                )
            )
            continue
        results.append(RuleResult(tier.priority, tier.name, True, held or "无附加条件"))
        lines = _subsidies(tier, facts, subject_kind)
        if tier.price_fen is not None:
            price = tier.price_fen
        else:
            price = max(
                _need_base(base_price_fen, scheme_name) - sum(s.amount_fen for s in lines), 0
            )
        reason = (
            render(tier.reason, facts, held)
            if tier.reason
            else f"{tier.name}：{held or '无附加条件'}"
        )
        return Quote(
            scheme_code, scheme_name, on, tier.name, tier.id, price, lines, tuple(results), reason
        )
    base = _need_base(base_price_fen, scheme_name)
    return Quote(
        scheme_code, scheme_name, on, None, None, base, (), tuple(results), "无适用档位，按标价"
    )


def _subsidies(
    tier: TierSpec, facts: Mapping[str, object], subject_kind: str
) -> tuple[SubsidyLine, ...]:
    lines = []
    for subsidy in tier.subsidies:
        outcome = _evaluate(tier, subsidy.condition, facts, subject_kind)
        if outcome.passed:
            lines.append(
                SubsidyLine(
                    subsidy.source, subsidy.amount_fen, "、".join(outcome.held) or "无附加条件"
                )
            )
    return tuple(lines)


def _evaluate(
    tier: TierSpec, condition: Mapping[str, Any], facts: Mapping[str, object], subject_kind: str
) -> Outcome:
    # Conditions are validated when saved; a row edited behind the back office's back
    # must fail loudly rather than price a meal wrongly.
    try:
        return evaluate(condition, facts, subject_kind)
    except (KeyError, TypeError, AttributeError):
        raise EligibilityError(f"档位“{tier.name}”的条件无效，请在后台修正后再报价") from None


def _need_base(base_price_fen: int | None, scheme_name: str) -> int:
    if base_price_fen is None:
        raise EligibilityError(f"“{scheme_name}”没有标价，也没有传入基础价格，无法报价")
    return base_price_fen


# --- database layer -----------------------------------------------------------------------


def tier_specs(scheme: Any) -> list[TierSpec]:
    """A scheme's tiers (with subsidies) as :class:`TierSpec` values, two queries."""
    return [
        TierSpec(
            priority=tier.priority,
            name=tier.name,
            condition=tier.condition,
            price_fen=tier.price_fen,
            reason=tier.reason,
            valid_from=tier.valid_from,
            valid_to=tier.valid_to,
            subsidies=tuple(
                SubsidySpec(s.source, s.amount_fen, s.condition) for s in tier.subsidies.all()
            ),
            id=tier.pk,
        )
        for tier in scheme.tiers.prefetch_related("subsidies").order_by("priority", "valid_from")
    ]


def subject_facts(subject: Any, on: dt.date, subject_kind: str) -> dict[str, object] | None:
    """Facts of a resident or organisation, or a ready dict; ``None`` for a walk-in.

    Raises:
        EligibilityError: the subject is not of the scheme's kind.
    """
    from linli.orgs.models import Organization
    from linli.people.models import Resident

    if subject is None:
        return None
    if isinstance(subject, Mapping):
        return dict(subject)
    expected = {SubjectKind.RESIDENT: Resident, SubjectKind.ORGANIZATION: Organization}[
        subject_kind
    ]
    if not isinstance(subject, expected):
        raise EligibilityError(f"该方案只适用于{dict(SubjectKind.choices)[subject_kind]}")
    if subject_kind == SubjectKind.RESIDENT:
        return resident_facts(subject, on)
    return organization_facts(subject)


def quote(
    *, scheme_code: str, subject: Any, on: dt.date, base_price_fen: int | None = None
) -> Quote:
    """Quote one unit of ``scheme_code`` for ``subject`` on ``on`` (a local date).

    Args:
        subject: a ``Resident`` / ``Organization`` matching the scheme's subject kind, a
            facts dict (already gathered), or ``None`` for a walk-in.
        base_price_fen: overrides the scheme's list price (a catalogue service's own price).

    Raises:
        EligibilityError: unknown or inactive scheme, wrong subject kind, no base price.
    """
    from linli.eligibility.models import Scheme

    scheme = Scheme.objects.filter(code=scheme_code, active=True).first()
    if scheme is None:
        raise EligibilityError(f"没有启用的资格方案“{scheme_code}”")
    base = base_price_fen if base_price_fen is not None else scheme.list_price_fen
    return decide(
        scheme_code=scheme.code,
        scheme_name=scheme.name,
        subject_kind=scheme.subject_kind,
        tiers=tier_specs(scheme),
        facts=subject_facts(subject, on, scheme.subject_kind),
        on=on,
        base_price_fen=base,
    )
