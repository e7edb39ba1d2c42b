"""Fixtures shared by the policy tests (imported with ``from … import *``; no tests here).

Given: the test community (``areas``) with four enterprises whose facts differ, a
community admin who edits policies there, an enterprise contact for the software firm,
and a community admin of another street (``elsewhere``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User

from linli.engagement.models import GrantMode
from linli.orgs.models import Organization, OrgKind
from linli.people.models import Assignment, Role
from linli.testing.factories import OrganizationFactory, ResidentFactory, UserFactory, staff_user

IT = "信息传输、软件和信息技术服务业"
TALENT = {
    "all": [
        {
            "fact": "employee_count",
            "op": ">=",
            "value": 10,
            "label": "从业人数 ≥ 10（现 {employee_count} 人）",
        },
        {
            "fact": "industry",
            "op": "in",
            "value": [IT, "科学研究和技术服务业"],
            "label": "行业：{industry}",
        },
    ]
}
INTERNSHIP = {"fact": "internship_base", "op": "==", "value": True, "label": "青年见习基地"}
START = dt.date(2026, 1, 1)

__all__ = [
    "INTERNSHIP",
    "IT",
    "START",
    "TALENT",
    "contact_for",
    "orgs",
    "policy_admin",
    "policy_fields",
    "software_contact",
    "stranger_admin",
]


def policy_fields(area: Any, **overrides: Any) -> dict[str, Any]:
    """Complete, valid fields of an organisation policy for ``area``."""
    fields: dict[str, Any] = {
        "title": "人才共有产权住房",
        "issuer": "银川市住房和城乡建设局",
        "area": area,
        "benefit": "引进人才可申请共有产权住房",
        "condition": TALENT,
        "grant_mode": GrantMode.APPLY,
        "valid_from": START,
        "valid_to": None,
    }
    return fields | overrides


def contact_for(org: Organization) -> User:
    """An enterprise contact (not staff) of ``org``."""
    user: User = UserFactory.create(is_staff=False)
    Assignment.objects.create(
        user=user, area=org.area, role=Role.ENTERPRISE_CONTACT, organization=org
    )
    return user


@pytest.fixture
def orgs(areas):  # type: ignore[no-untyped-def]
    """Four organisations of the test community: only ``software`` meets TALENT."""
    community = areas["community"]
    made = {
        "software": OrganizationFactory(
            name="云帆软件", area=community, industry=IT, employee_count=35, size="small"
        ),
        "small_it": OrganizationFactory(
            name="小小科技", area=community, industry=IT, employee_count=5, internship_base=True
        ),
        "restaurant": OrganizationFactory(
            name="回味餐饮", area=areas["micro_grid"], industry="住宿和餐饮业", employee_count=40
        ),
        "clinic": OrganizationFactory(
            name="康宁体检", area=community, kind=OrgKind.CLINIC, employee_count=None
        ),
    }
    ResidentFactory(employer=made["restaurant"], disabled=True)
    return made


@pytest.fixture
def policy_admin(areas):  # type: ignore[no-untyped-def]
    return staff_user(areas["community"], Role.COMMUNITY_ADMIN)


@pytest.fixture
def stranger_admin(other_areas):  # type: ignore[no-untyped-def]
    return staff_user(other_areas["community"], Role.COMMUNITY_ADMIN)


@pytest.fixture
def software_contact(orgs):  # type: ignore[no-untyped-def]
    return contact_for(orgs["software"])
