"""Residents read their in-app messages at /me/messages/ (approved bookings, topic progress):
before, /notifications/ bounced them to /me/ and the messages were never seen."""

from __future__ import annotations

import pytest
from django.test import Client

from linli.notify.models import Notification
from linli.sharing.tests.conftest import Scene, parking

__all__ = ["parking"]  # the fixture, imported for use here

pytestmark = pytest.mark.django_db


def _note(user: object, link: str, title: str = "您的场地预约已通过") -> Notification:
    return Notification.objects.create(user=user, title=title, body="金凤苑居民活动室", link=link)


def test_a_resident_reads_and_opens_a_message(parking: Scene) -> None:
    client = Client()
    client.force_login(parking.wang_user)
    note = _note(parking.wang_user, "/me/venues/")
    home = client.get("/me/").content.decode()
    assert "我的消息（1 条未读）" in home
    page = client.get("/me/messages/").content.decode()
    assert "您的场地预约已通过" in page and "未读" in page
    opened = client.post(f"/me/messages/{note.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == "/me/venues/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert "我的消息（" not in client.get("/me/").content.decode()


def test_a_staff_link_or_someone_elses_message_is_not_followed(parking: Scene) -> None:
    client = Client()
    client.force_login(parking.wang_user)
    staff_link = _note(parking.wang_user, "/governance/topics/1/")
    assert client.post(f"/me/messages/{staff_link.pk}/open/")["Location"] == "/me/messages/"
    theirs = _note(parking.li_user, "/me/venues/")
    assert client.post(f"/me/messages/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "您的场地预约已通过" not in Client().get("/me/messages/").content.decode()
    assert client.get(f"/me/messages/{theirs.pk}/open/").status_code == 405


def test_a_resident_may_open_the_public_board(parking: Scene) -> None:
    client = Client()
    client.force_login(parking.wang_user)
    session = client.session
    session["linli_resident"] = True
    session.save()
    answer = client.get(f"/yishi/{parking.lot.area.code}/")
    assert answer.status_code == 200
