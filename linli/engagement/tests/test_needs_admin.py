"""Back office of needs, menu and councils: scoped, needs read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from linli.engagement.models import MenuItem, Need

pytestmark = pytest.mark.django_db


def test_need_admin_is_scoped_and_read_only(
    client: Client, need: Need, admin: User, outsider: User
) -> None:
    client.force_login(admin)
    listing = client.get("/admin/engagement/need/")
    assert listing.status_code == 200 and need.number in listing.content.decode()
    page = client.get(f"/admin/engagement/need/{need.pk}/change/")
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()  # read-only: no input
    assert client.get("/admin/engagement/need/add/").status_code == 403

    client.force_login(outsider)
    assert need.number not in client.get("/admin/engagement/need/").content.decode()
    assert client.get(f"/admin/engagement/need/{need.pk}/change/").status_code == 404


def test_menu_admin_for_admins_view_only_for_workers(
    client: Client, admin: User, worker: User, menu_item: MenuItem
) -> None:
    client.force_login(admin)
    assert client.get("/admin/engagement/menuitem/add/").status_code == 200
    page = client.get(f"/admin/engagement/menuitem/{menu_item.pk}/change/").content.decode()
    assert 'name="name"' in page

    # The grid worker may view menus, but the admin scopes strictly under one's areas:
    # a community's menu lies above their grid (the /engagement/menu/ page shows it).
    client.force_login(worker)
    assert client.get("/admin/engagement/menuitem/add/").status_code == 403
    assert client.get("/admin/engagement/menuitem/").status_code == 200
    assert client.get(f"/admin/engagement/menuitem/{menu_item.pk}/change/").status_code == 404
