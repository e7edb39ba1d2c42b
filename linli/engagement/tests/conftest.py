"""Fixtures of the needs, menu and council tests.

The scene, in the test community ``areas["community"]`` (root ``areas`` fixture):

* ``firm`` — an enterprise registered on the micro-grid, ``firm_contact`` its enterprise
  contact (assignment on the community, organisation = the firm);
* ``rival`` / ``rival_contact`` — another enterprise of the community and its contact;
* ``admin`` — the community admin (told about new needs), ``worker`` — a grid worker of
  the community's grid (staff, sees needs under the grid);
* ``outsider`` — a community admin of another street (``other_areas``);
* ``menu_item`` — fire-safety training on the community's menu (60 people, 7 days' notice);
* ``need`` — a fire-safety need raised by the firm through the service.

The canonical ``assigned`` (micro-grid worker) of the root conftest holds no needs role:
it is the "logged in but not allowed" actor (403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from linli.engagement.models import MenuItem, Need, NeedCategory, NeedStatus
from linli.engagement.services import need_raise, need_transition
from linli.orgs.models import Organization
from linli.people.models import Assignment, Role
from linli.places.models import Area
from linli.testing.factories import OrganizationFactory, UserFactory, staff_user


def contact_for(org: Organization, community: Area) -> User:
    """A user who is ``org``'s enterprise contact (password ``pw-linli-test``)."""
    user: User = UserFactory(is_staff=False)
    Assignment.objects.create(
        user=user, area=community, role=Role.ENTERPRISE_CONTACT, organization=org
    )
    return user


@pytest.fixture
def community(areas: dict[str, Area]) -> Area:
    return areas["community"]


@pytest.fixture
def firm(areas: dict[str, Area]) -> Organization:
    org: Organization = OrganizationFactory(
        name="宁夏凤城精密制造有限公司", area=areas["micro_grid"]
    )
    return org


@pytest.fixture
def rival(community: Area) -> Organization:
    org: Organization = OrganizationFactory(name="银川新材料有限公司", area=community)
    return org


@pytest.fixture
def firm_contact(firm: Organization, community: Area) -> User:
    return contact_for(firm, community)


@pytest.fixture
def rival_contact(rival: Organization, community: Area) -> User:
    return contact_for(rival, community)


@pytest.fixture
def admin(community: Area) -> User:
    return staff_user(community, Role.COMMUNITY_ADMIN, first_name="社区管理员")


@pytest.fixture
def worker(areas: dict[str, Area]) -> User:
    return staff_user(areas["grid"], Role.GRID_WORKER)


@pytest.fixture
def outsider(other_areas: dict[str, Area]) -> User:
    return staff_user(other_areas["community"], Role.COMMUNITY_ADMIN)


@pytest.fixture
def menu_item(community: Area) -> MenuItem:
    item: MenuItem = MenuItem.objects.create(
        area=community,
        name="消防安全培训",
        category=NeedCategory.TRAINING,
        capacity=60,
        lead_days=7,
        deliverer="街道消防站",
    )
    return item


@pytest.fixture
def raise_need(firm: Organization, firm_contact: User) -> Callable[..., Need]:
    """``raise_need(**overrides)``: a need of the firm raised by its contact."""

    def build(**overrides: Any) -> Need:
        values: dict[str, Any] = {
            "actor": firm_contact,
            "organization": firm,
            "category": NeedCategory.TRAINING,
            "title": "员工消防安全培训",
            "description": "60 名一线员工，希望在车间开展",
            "urgency": "normal",
            "headcount": 60,
        }
        values.update(overrides)
        return need_raise(**values)

    return build


@pytest.fixture
def need(raise_need: Callable[..., Need], admin: User) -> Need:
    return raise_need()


@pytest.fixture
def move(admin: User) -> Callable[..., Need]:
    """``move(need, to, **kw)``: :func:`need_transition` by the community admin."""

    def go(need: Need, to: str, **kwargs: Any) -> Need:
        if to == NeedStatus.PLANNED and not any(
            k in kwargs for k in ("menu_item", "partner", "activity", "plan_note")
        ):
            kwargs["plan_note"] = "社区统一安排"
        if to == NeedStatus.DECLINED:
            kwargs.setdefault("declined_reason", "超出社区服务范围")
        return need_transition(need=need, actor=admin, to=to, **kwargs)

    return go
