"""Residents withdraw their support (「撤回附议」) from an OPEN topic through a confirmation
page; refused with a clear message (nothing written) otherwise."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from linli.governance.models import Topic, TopicStatus, TopicSupport
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_topics import login, make_neighbour
from linli.places.models import Area

pytestmark = pytest.mark.django_db


def test_withdraw_through_a_confirmation_page(topic: Topic, neighbour: Any) -> None:
    _, user = neighbour()
    client = login(user)
    url = f"/me/topics/{topic.pk}/withdraw/"
    before = client.get(f"/me/topics/{topic.pk}/").content.decode()
    assert 'id="withdraw"' not in before  # nothing to withdraw yet
    assert client.get(url)["Location"] == f"/me/topics/{topic.pk}/"
    assert client.post(f"/me/topics/{topic.pk}/support/").status_code == 302
    page = client.get(f"/me/topics/{topic.pk}/").content.decode()
    assert f'href="{url}" id="withdraw">撤回附议</a>' in page
    assert page.count("button main") == 0  # the link is small; 附议 is gone
    client.cookies["linli_elder"] = "1"
    confirm = client.get(url)
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "orders-resident elder" in html
    assert html.count("button main") == 1 and 'id="withdraw-confirm"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script (CSP)
    assert "不撤回，返回议题" in html
    assert TopicSupport.objects.filter(topic=topic).count() == 1  # GET writes nothing
    done = client.post(url)
    assert done.status_code == 302 and done["Location"] == f"/me/topics/{topic.pk}/"
    assert not TopicSupport.objects.filter(topic=topic).exists()
    topic.refresh_from_db()
    assert topic.support_count == 0
    after = client.get(done["Location"]).content.decode()
    assert "已撤回您的附议" in after and 'id="support"' in after
    again = client.post(url)
    assert again.status_code == 409 and "您还没有附议这个议题" in again.content.decode()


def test_a_qualified_topic_keeps_its_supports(topic: Topic, neighbour: Any) -> None:
    _, user = neighbour()
    client = login(user)
    assert client.post(f"/me/topics/{topic.pk}/support/").status_code == 302
    Topic.objects.filter(pk=topic.pk).update(status=TopicStatus.QUALIFIED)
    page = client.get(f"/me/topics/{topic.pk}/").content.decode()
    assert 'id="withdraw"' not in page and "附议不能再撤回" in page
    url = f"/me/topics/{topic.pk}/withdraw/"
    assert client.get(url).status_code == 302
    refused = client.post(url)
    assert refused.status_code == 409 and "附议不能撤回" in refused.content.decode()
    assert TopicSupport.objects.filter(topic=topic).count() == 1


def test_withdraw_for_other_actors(
    topic: Topic, other_areas: dict[str, Area], assigned: User
) -> None:
    url = f"/me/topics/{topic.pk}/withdraw/"
    anonymous = Client().post(url)
    assert anonymous.status_code == 302 and "next=" in anonymous["Location"]
    _, stranger = make_neighbour(other_areas["micro_grid"])
    assert login(stranger).get(url).status_code == 404
    assert login(stranger).post(url).status_code == 404
    staff = Client()
    staff.force_login(assigned)
    assert staff.post(url).status_code == 302
    assert Client().put(url).status_code in (302, 405)
