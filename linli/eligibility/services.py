"""Writes to eligibility schemes, and the scoped quote for staff.

Tier sets are checked as a whole before anything is written (:func:`tiers_check`), so an
overlapping price list is rejected with every problem listed and nothing half-saved.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from linli.eligibility.conditions import ConditionError, check_template, validate
from linli.eligibility.engine import Quote, RuleResult, TierSpec, quote
from linli.eligibility.facts import VOCABULARY, SubjectKind
from linli.eligibility.models import Scheme, Subsidy, Tier
from linli.people.models import Resident
from linli.people.scoping import can_view_sensitive, scope


def _period(spec: TierSpec) -> str:
    end = spec.valid_to.isoformat() if spec.valid_to else "长期"
    return f"{spec.valid_from.isoformat()} 至 {end}"


def _overlap(a: TierSpec, b: TierSpec) -> bool:
    far = dt.date.max
    return a.valid_from <= (b.valid_to or far) and b.valid_from <= (a.valid_to or far)


def tiers_check(*, subject_kind: str, tiers: Sequence[TierSpec]) -> None:
    """Check a scheme's complete tier set.

    Rules (documented in docs/eligibility.md):

    * each condition, subsidy condition and reason template follows the condition
      language for ``subject_kind``;
    * ``valid_to`` is not before ``valid_from``; money is not negative;
    * no two tiers share a priority with overlapping validity: on some date both would be
      tried at the same rank and could both hold, giving two prices.

    Raises:
        ValidationError: with one Chinese message per problem.
    """
    errors: list[str] = []
    vocabulary = VOCABULARY.get(subject_kind, {})
    for i, spec in enumerate(tiers, start=1):
        where = f"第 {i} 档“{spec.name}”"
        try:
            validate(spec.condition, subject_kind)
            check_template(spec.reason, vocabulary, "理由模板")
        except ConditionError as exc:
            errors.append(f"{where}：{exc}")
        if spec.valid_to is not None and spec.valid_to < spec.valid_from:
            errors.append(f"{where}：失效日期早于生效日期")
        if spec.price_fen is not None and spec.price_fen < 0:
            errors.append(f"{where}：价格不能为负")
        for j, subsidy in enumerate(spec.subsidies, start=1):
            try:
                validate(subsidy.condition, subject_kind)
            except ConditionError as exc:
                errors.append(f"{where} 的第 {j} 项补贴：{exc}")
            if subsidy.amount_fen < 0 or not subsidy.source.strip():
                errors.append(f"{where} 的第 {j} 项补贴：需要资金来源和不为负的金额")
    for i, a in enumerate(tiers):
        for b in tiers[i + 1 :]:
            if a.priority == b.priority and _overlap(a, b):
                errors.append(
                    f"档位“{a.name}”（{_period(a)}）与“{b.name}”（{_period(b)}）"
                    f"优先级同为 {a.priority} 且有效期重叠，同一天可能得出两个价格"
                )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def scheme_save(
    *,
    code: str,
    name: str,
    tiers: Sequence[TierSpec],
    subject_kind: str = SubjectKind.RESIDENT,
    list_price_fen: int | None = None,
    unit: str = "份",
    description: str = "",
) -> Scheme:
    """Create or update the scheme ``code`` and replace its tiers and subsidies.

    Everything is checked first (:func:`tiers_check`, the scheme's fields); on any error
    nothing is written. Tier history survives in the history tables.

    Raises:
        ValidationError: Chinese messages, nothing saved.
    """
    scheme = Scheme.objects.select_for_update().filter(code=code).first() or Scheme(code=code)
    scheme.name, scheme.subject_kind, scheme.list_price_fen = name, subject_kind, list_price_fen
    scheme.unit, scheme.description = unit, description
    scheme.full_clean()
    tiers_check(subject_kind=subject_kind, tiers=tiers)
    scheme.save()
    scheme.tiers.all().delete()
    for spec in tiers:
        tier = Tier.objects.create(
            scheme=scheme,
            priority=spec.priority,
            name=spec.name,
            condition=dict(spec.condition),
            price_fen=spec.price_fen,
            reason=spec.reason,
            valid_from=spec.valid_from,
            valid_to=spec.valid_to,
        )
        for order, subsidy in enumerate(spec.subsidies, start=1):
            Subsidy.objects.create(
                tier=tier,
                source=subsidy.source,
                amount_fen=subsidy.amount_fen,
                condition=dict(subsidy.condition),
                order=order,
            )
    return scheme


SENSITIVE_HIDDEN = "符合条件（涉及敏感信息，已隐藏）"


def quote_for_resident(
    *, actor: User | AnonymousUser, resident: Resident, scheme_code: str, on: dt.date
) -> Quote:
    """A quote for a resident in the actor's areas (DESIGN.md "Scoping").

    Actors who may not see sensitive tags (:func:`can_view_sensitive`: disability, dibao…)
    get the price and tier but the reasons replaced by a neutral text, since "低保对象"
    would reveal them.

    Raises:
        PermissionDenied: the resident is outside the actor's areas, or the actor is
            anonymous.
        EligibilityError: see :func:`linli.eligibility.engine.quote`.
    """
    if not scope(Resident.objects.filter(pk=resident.pk), actor).exists():
        raise PermissionDenied("该居民不在您的管辖范围内")
    result = quote(scheme_code=scheme_code, subject=resident, on=on)
    if can_view_sensitive(actor):
        return result
    rules = tuple(
        RuleResult(r.priority, r.name, r.passed, SENSITIVE_HIDDEN if r.passed else "不满足")
        for r in result.rules
    )
    subsidies = tuple(dataclasses.replace(s, reason=SENSITIVE_HIDDEN) for s in result.subsidies)
    return dataclasses.replace(
        result,
        rules=rules,
        subsidies=subsidies,
        reason=f"{result.tier or '标价'}：{SENSITIVE_HIDDEN}",
    )
