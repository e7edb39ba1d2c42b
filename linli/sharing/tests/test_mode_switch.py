"""The 大字模式 switch brings the resident back to the page they were on (a newcomer found
it sending them to the problem-report wizard from the issue-7 pages)."""

from __future__ import annotations

import pytest
from django.test import Client

from linli.sharing.tests.conftest import Scene

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/me/parking/", "/me/parking/book/", "/me/topics/", "/me/venues/", "/me/votes/"]
)
def test_the_elder_switch_returns_to_the_same_page(parking: Scene, path: str) -> None:
    client = Client()
    client.force_login(parking.wang_user)
    page = client.get(path)
    assert page.status_code == 200
    assert f'on=1&amp;next={path}"' in page.content.decode()
    back = client.get(f"/report/elder/?on=1&next={path}")
    assert back.status_code == 302 and back["Location"] == path
