"""The facts a condition may test, per subject kind, and how they are read from the registry.

A *subject* is whoever a quote is for: a resident (canteen meals, service orders) or an
organisation (policy matching, issue 6). Each kind has its own vocabulary below; a
condition is validated against the vocabulary of its scheme's subject kind, so a typo in a
fact name is caught when the rule is saved, not when a pensioner is at the till.

Facts are a plain ``dict[str, object]``; a fact that is unknown for a subject (no
disability level recorded, an organisation without an employee count) is ``None`` and
makes every comparison on it false, except ``exists``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from linli.common.identity import age_on
from linli.orgs.models import OrgKind
from linli.people.models import CARE_TAGS, ResidenceType, Sex


class SubjectKind:
    RESIDENT = "resident"
    ORGANIZATION = "organization"

    choices = [(RESIDENT, "居民"), (ORGANIZATION, "单位")]


@dataclasses.dataclass(frozen=True)
class Fact:
    """One fact: its Chinese label, its type and, for text facts, the allowed values.

    ``kind`` is ``"int"``, ``"bool"``, ``"text"`` or ``"set"`` (a set of text values, e.g.
    care tags); ``choices`` maps allowed values to Chinese labels (``None``: any value).
    """

    label: str
    kind: str
    choices: dict[str, str] | None = None


TAG_LABELS = dict(CARE_TAGS)

RESIDENT_FACTS: dict[str, Fact] = {
    "age": Fact("年龄（周岁）", "int"),
    "sex": Fact("性别", "text", dict(Sex.choices)),
    "tags": Fact("关爱标签", "set", TAG_LABELS),
    "disability_level": Fact("残疾等级", "int"),
    "residence_type": Fact("居住类型", "text", dict(ResidenceType.choices)),
    "community": Fact("所属社区代码", "text"),
}

#: Organisation facts for policy matching (issue 6).
ORGANIZATION_FACTS: dict[str, Fact] = {
    "kind": Fact("单位类型", "text", dict(OrgKind.choices)),
    "industry": Fact("行业", "text"),
    "size": Fact(
        "企业规模", "text", {"micro": "微型", "small": "小型", "medium": "中型", "large": "大型"}
    ),
    "employee_count": Fact("从业人数", "int"),
    "disabled_employees": Fact("在册残疾职工人数", "int"),
    "internship_base": Fact("见习基地", "bool"),
    "community": Fact("所在社区代码", "text"),
}

VOCABULARY: dict[str, dict[str, Fact]] = {
    SubjectKind.RESIDENT: RESIDENT_FACTS,
    SubjectKind.ORGANIZATION: ORGANIZATION_FACTS,
}


def _community_code(area: Any) -> str | None:
    """The community code from a materialised area path (``/640100/…/640106001001/…``)."""
    from linli.places.models import AreaKind

    if area is None:
        return None
    if area.kind == AreaKind.COMMUNITY:
        return str(area.code)
    codes = [code for code in area.path.strip("/").split("/") if code]
    # Community codes are 12 digits (street 9 + 3) in the area code scheme of linli.places.
    for code in codes:
        if len(code) == 12:
            return code
    return None


def resident_facts(resident: Any, on: dt.date) -> dict[str, object]:
    """Facts of a :class:`~linli.people.models.Resident` on ``on`` (a local date).

    ``age`` is whole years on ``on`` (:func:`linli.common.identity.age_on`: someone born on
    ``on`` sixty years ago is 60; born 29 Feb they turn a year older on 1 Mar).
    """
    return {
        "age": age_on(resident.birth_date, on),
        "sex": resident.sex,
        "tags": frozenset(name for name, _ in CARE_TAGS if getattr(resident, name)),
        "disability_level": resident.disability_level if resident.disabled else None,
        "residence_type": resident.residence_type,
        "community": _community_code(resident.area),
    }


def organization_facts(
    organization: Any, extra: dict[str, object] | None = None
) -> dict[str, object]:
    """Facts of an :class:`~linli.orgs.models.Organization`.

    ``disabled_employees`` counts registry residents with this employer and the disabled
    tag; ``size`` is ``None`` when not recorded. ``extra`` supplies facts the registry
    does not hold and overrides nothing it does hold.
    """
    facts: dict[str, object] = {
        **(extra or {}),
        "size": organization.size or None,
        "internship_base": organization.internship_base,
        "kind": organization.kind,
        "industry": organization.industry or None,
        "employee_count": organization.employee_count,
        "disabled_employees": organization.employees.filter(disabled=True).count(),
        "community": _community_code(organization.area),
    }
    return facts
