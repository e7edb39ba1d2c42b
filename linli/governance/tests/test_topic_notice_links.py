"""The link in a topic notification depends on who receives it: staff get the staff topic
page (``/governance/topics/<pk>/``), resident accounts the resident one (``/me/topics/<pk>/``)
— each page sends the other kind of user away."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from linli.governance import services
from linli.governance.models import Topic
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_topics import login
from linli.notify.models import Notification

pytestmark = pytest.mark.django_db


def _link(user: User) -> str:
    return Notification.objects.get(user=user).link


def test_a_staff_raiser_and_a_resident_supporter_get_their_own_pages(
    topic: Topic,
    grid_worker: User,
    manager: User,
    neighbour: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    resident, user = neighbour("王小明")
    services.topic_support(topic=topic, actor=user, resident=resident)
    with django_capture_on_commit_callbacks(execute=True):
        services.topic_decline(topic=topic, actor=manager, reason="已由物业处理")
    staff_link, resident_link = f"/governance/topics/{topic.pk}/", f"/me/topics/{topic.pk}/"
    assert topic.raised_by == grid_worker
    assert _link(grid_worker) == staff_link
    assert _link(user) == resident_link
    assert Notification.objects.filter(user=user).get().title.endswith("不予立项")
    staff = Client()
    staff.force_login(grid_worker)
    assert staff.get(staff_link).status_code == 200
    assert login(user).get(resident_link).status_code == 200


def test_a_resident_raiser_gets_the_resident_page_and_admins_the_staff_page(
    areas: Any,
    rules: Any,
    manager: User,
    neighbour: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    raiser, raiser_user = neighbour("李阿姨")
    topic = services.topic_raise(
        actor=raiser_user,
        area=areas["community"],
        title="小区增设充电桩",
        category="facilities",
        resident=raiser,
    )
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("张一", "张二"):  # the threshold is 3: the raiser's own support + 2
            resident, user = neighbour(name)
            services.topic_support(topic=topic, actor=user, resident=resident)
    assert _link(manager) == f"/governance/topics/{topic.pk}/"  # 附议已达门槛
    with django_capture_on_commit_callbacks(execute=True):
        services.topic_decline(topic=topic, actor=manager, reason="不属于议事范围")
    links = set(Notification.objects.filter(user=raiser_user).values_list("link", flat=True))
    assert links == {f"/me/topics/{topic.pk}/"}
    assert Notification.objects.filter(user=raiser_user, title__endswith="不予立项").exists()
