"""The info screens' demo rows (:func:`linli.cockpit.demo.build_screens`)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from linli.cockpit.demo import build_screens
from linli.cockpit.models import InfoScreen, ScreenNotice
from linli.cockpit.screens import current_notices
from linli.cockpit.tests.test_screens_scene import build_scene
from linli.places.models import Area

pytestmark = pytest.mark.django_db


def test_build_screens_is_idempotent_and_keeps_tokens(
    areas: dict[str, Area], other_areas: dict[str, Area]
) -> None:
    users = User.objects.count()
    counts = build_screens(areas["street"])
    assert counts == {"info_screens": 1, "screen_notices": 3}
    tokens = set(InfoScreen.objects.values_list("token", flat=True))
    assert build_screens(areas["street"]) == counts
    assert set(InfoScreen.objects.values_list("token", flat=True)) == tokens
    assert User.objects.count() == users
    assert not InfoScreen.objects.filter(community=other_areas["community"]).exists()
    shown = current_notices(areas["community"], timezone.localdate())
    assert [n.title for n in shown] == ["燃气安全入户检查", "冬季供暖报修"]
    assert ScreenNotice.objects.filter(created_by__isnull=False).count() == 0


def test_a_community_with_a_canteen_gets_a_canteen_door_screen(
    areas: dict[str, Area], other_areas: dict[str, Area]
) -> None:
    build_scene()  # the test community's canteen 测试共享食堂 (and its lobby screen 大厅屏)
    assert build_screens(areas["street"])["info_screens"] == 2
    door = InfoScreen.objects.get(name="食堂门口屏")
    assert door.community == areas["community"] and door.place == "测试共享食堂门口"
    assert InfoScreen.objects.filter(name="大厅屏").count() == 1
