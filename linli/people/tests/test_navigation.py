"""The site navigation follows the user's roles (flags set in the session at log-in)."""

from __future__ import annotations

import pytest

from linli.people.models import Role
from linli.testing.factories import staff_user

pytestmark = pytest.mark.django_db


def nav_of(client, user) -> str:  # type: ignore[no-untyped-def]
    response = client.post(
        "/accounts/login/", {"username": user.username, "password": "pw-linli-test"}
    )
    assert response.status_code == 302
    body = client.get("/notifications/").content.decode()
    return body[body.find("<nav") : body.find("</nav>")]


def test_community_admin_sees_registry_orders_and_import(client, areas) -> None:  # type: ignore[no-untyped-def]
    nav = nav_of(client, staff_user(areas["community"], Role.COMMUNITY_ADMIN))
    for label in ("辖区概况", "服务订单", "台账导入", "网格事件"):
        assert label in nav
    assert "我的接单" not in nav


def test_provider_staff_sees_no_registry_links(client, areas) -> None:  # type: ignore[no-untyped-def]
    nav = nav_of(client, staff_user(areas["community"], Role.PROVIDER_STAFF))
    for label in ("辖区概况", "服务订单", "台账导入"):
        assert label not in nav
