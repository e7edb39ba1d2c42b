"""The platform speaks Chinese by default, English only when chosen."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_english_browser_still_gets_chinese(client) -> None:
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "用户名" in response.content.decode()


def test_english_can_be_chosen(client) -> None:
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})
    response = client.get("/admin/login/")
    assert "Username" in response.content.decode()
