"""Error pages speak Chinese and never show Django's English internals."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=False)
def test_unknown_page_is_chinese_404(client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page and "Not Found" not in page


@override_settings(DEBUG=False)
def test_permission_denied_shows_the_chinese_reason(client, assigned) -> None:
    client.force_login(assigned)
    response = client.get("/roster/import/")
    assert response.status_code == 403
    assert "社区" in response.content.decode()
