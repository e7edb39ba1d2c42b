"""The inbox page: login required, only one's own messages, mark as read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.notify import selectors, services
from linli.notify.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.urls("linli.notify.tests.urls")]


def message(user, title="新事件待派遣", link=""):  # type: ignore[no-untyped-def]
    return services.notify(recipients=[user], title=title, kind="case.reported", link=link)


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("notification-inbox"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_inbox_shows_only_own_messages(client, assigned, elsewhere):
    message(assigned, "给我的消息")
    message(elsewhere, "给别人的消息")
    client.force_login(assigned)

    html = client.get(reverse("notification-inbox")).content.decode()

    assert "给我的消息" in html and "给别人的消息" not in html
    assert '<strong id="unread">1</strong>' in html


def test_mark_read_marks_own_message_and_lowers_the_unread_count(client, assigned):
    notification = message(assigned).notifications[0]
    message(assigned, "第二条")
    client.force_login(assigned)

    response = client.post(reverse("notification-read", args=[notification.pk]))

    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert selectors.unread_count(assigned) == 1


def test_open_marks_read_and_follows_the_link(client, assigned):
    notification = message(assigned, link="/people/").notifications[0]
    client.force_login(assigned)

    response = client.post(reverse("notification-read", args=[notification.pk]), {"open": "1"})

    assert response["Location"] == "/people/"


def test_someone_elses_message_cannot_be_marked_read(client, assigned, elsewhere):
    notification = message(elsewhere).notifications[0]
    client.force_login(assigned)

    response = client.post(reverse("notification-read", args=[notification.pk]))

    assert response.status_code == 404
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_mark_read_needs_post(client, assigned):
    notification = message(assigned).notifications[0]
    client.force_login(assigned)

    assert client.get(reverse("notification-read", args=[notification.pk])).status_code == 405


def test_mark_all_read_touches_only_own_messages(client, assigned, elsewhere):
    message(assigned)
    message(assigned)
    message(elsewhere)
    client.force_login(assigned)

    response = client.post(reverse("notification-read-all"), {"next": "https://evil.example/"})

    assert response["Location"] == reverse("notification-inbox")
    assert selectors.unread_count(assigned) == 0
    assert selectors.unread_count(elsewhere) == 1


def test_unread_filter_and_empty_state(client, assigned):
    notification = message(assigned, "读过的").notifications[0]
    services.notification_mark_read(user=assigned, notification_id=notification.pk)
    client.force_login(assigned)

    html = client.get(reverse("notification-inbox"), {"unread": "1"}).content.decode()

    assert "读过的" not in html and "没有未读消息。" in html


def test_inbox_query_count_does_not_grow_with_messages(
    client, assigned, django_assert_max_num_queries
):
    for i in range(25):
        message(assigned, f"消息{i}")
    client.force_login(assigned)

    with django_assert_max_num_queries(6):
        response = client.get(reverse("notification-inbox"))

    assert response.content.decode().count('class="card notification unread"') == 25
