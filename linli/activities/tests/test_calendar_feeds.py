"""iCalendar feeds (RFC 5545): the community feed and the signed personal feed, parsed
back with ``icalendar`` and checked line by line (CRLF, folding at 75 octets)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from linli.accounts.models import ResidentAccount
from linli.activities import calendar
from linli.activities.models import Activity, Session
from linli.activities.services import activity_cancel, registration_create
from linli.activities.tests.conftest import guest, local_at
from linli.activities.tests.test_resident_pages import Family, family, register_post
from linli.places.models import Area

__all__ = ["family"]  # the fixture, imported for use here

pytestmark = pytest.mark.django_db


def events(body: bytes) -> dict[str, Any]:
    """The VEVENTs of a feed by UID."""
    cal = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def assert_rfc5545_lines(body: bytes) -> None:
    """Every line ends in CRLF and is at most 75 octets; continuation lines start with a
    space; folding never splits a UTF-8 character."""
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines)
    for line in lines:
        assert len(line) <= 75, line
        line.decode("utf-8")  # raises if a fold cut a character in two
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-1] == b"END:VCALENDAR"


def test_community_feed_has_one_event_per_session_with_stable_uids(
    client: Client, make_activity: Callable[..., Activity], community: Area
) -> None:
    activity = make_activity(
        title="暑期托管班：职工子女手工、阅读与户外活动（全程由社工和志愿者陪伴）",
        summary="每天上午九点开始，请家长按时接送。" * 4,
        contact="王老师 0951-1234567",
        sessions=[
            (local_at(8, 9), local_at(8, 11), "开营"),
            (local_at(9, 9), local_at(9, 11), ""),
        ],
    )
    make_activity(title="草稿", publish=False, sessions=[(local_at(10, 9), local_at(10, 11), "")])
    response = client.get(f"/activities/{community.code}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert_rfc5545_lines(response.content)
    cal = Calendar.from_ical(response.content)
    assert str(cal["VERSION"]) == "2.0" and "Linli" in str(cal["PRODID"])
    found = events(response.content)
    first, second = Session.objects.filter(activity=activity).order_by("starts_at")
    assert set(found) == {f"session-{first.pk}@linli", f"session-{second.pk}@linli"}
    event = found[f"session-{first.pk}@linli"]
    assert event.decoded("DTSTART") == first.starts_at
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert event.decoded("DTEND") == first.ends_at
    assert str(event["SUMMARY"]) == f"{activity.title}：开营"
    assert str(event["LOCATION"]) == "党群服务中心活动室"
    assert "王老师 0951-1234567" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == f"http://testserver/activities/{activity.pk}/"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTAMP").tzinfo is not None
    again = events(client.get(f"/activities/{community.code}.ics").content)
    assert set(again) == set(found)


def test_cancelled_sessions_and_activities_are_marked_cancelled(
    client: Client, make_activity: Callable[..., Activity], community: Area
) -> None:
    kept = make_activity(
        sessions=[(local_at(8, 9), local_at(8, 11), ""), (local_at(9, 9), local_at(9, 11), "")]
    )
    dropped = Session.objects.filter(activity=kept).order_by("starts_at").last()
    assert dropped is not None
    Session.objects.filter(pk=dropped.pk).update(cancelled=True)
    gone = make_activity(title="取消的活动", sessions=[(local_at(10, 9), local_at(10, 11), "")])
    activity_cancel(activity=gone, actor=None, reason="天气原因")
    found = events(client.get(f"/activities/{community.code}.ics").content)
    assert str(found[f"session-{dropped.pk}@linli"]["STATUS"]) == "CANCELLED"
    gone_session = Session.objects.get(activity=gone)
    assert str(found[f"session-{gone_session.pk}@linli"]["STATUS"]) == "CANCELLED"
    assert str(found[f"session-{gone_session.pk}@linli"]["SUMMARY"]).startswith("【已取消】")


def test_unknown_community_feed_is_404(client: Client) -> None:
    assert client.get("/activities/999999.ics").status_code == 404


def test_personal_feed_lists_confirmed_registrations_of_me_and_my_child_only(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    camp = make_activity(title="暑期托管班", min_age=6, max_age=12)
    talk = make_activity(title="健康讲座", sessions=[(local_at(9, 14), local_at(9, 16), "")])
    full = make_activity(
        title="满员活动", capacity=1, sessions=[(local_at(10, 14), local_at(10, 16), "")]
    )
    other = make_activity(title="别人的活动", sessions=[(local_at(11, 14), local_at(11, 16), "")])
    client = family.client(family.parent_user)
    register_post(client, camp, family.child)
    register_post(client, talk, family.parent)
    registration_create(activity=full, participant=guest())
    register_post(client, full, family.parent)  # waitlisted: not in the feed
    register_post(family.client(family.stranger_user), other, family.stranger)
    account = ResidentAccount.objects.get(user=family.parent_user)
    url = f"/me/activities/calendar/{calendar.feed_token(account)}.ics"
    anonymous = Client()
    response = anonymous.get(url)
    assert response.status_code == 200
    assert_rfc5545_lines(response.content)
    titles = {str(e["SUMMARY"]) for e in events(response.content).values()}
    assert titles == {"暑期托管班", "健康讲座"}


def test_personal_feed_with_a_bad_signature_is_404(family: Family) -> None:
    account = ResidentAccount.objects.get(user=family.parent_user)
    token = calendar.feed_token(account)
    forged = f"{ResidentAccount.objects.get(user=family.stranger_user).pk}:{token.split(':')[1]}"
    for signed in [forged, token + "x", "1", "abc:def"]:
        assert Client().get(f"/me/activities/calendar/{signed}.ics").status_code == 404


def test_personal_feed_of_a_closed_account_is_404(family: Family) -> None:
    account = ResidentAccount.objects.get(user=family.parent_user)
    token = calendar.feed_token(account)
    ResidentAccount.objects.filter(pk=account.pk).update(active=False)
    assert Client().get(f"/me/activities/calendar/{token}.ics").status_code == 404


def test_feed_leaves_out_sessions_that_ended_long_ago(
    client: Client, make_activity: Callable[..., Activity], community: Area
) -> None:
    activity = make_activity()
    long_ago = timezone.now() - calendar.FEED_PAST - dt.timedelta(days=1)
    Session.objects.filter(activity=activity).update(
        starts_at=long_ago, ends_at=long_ago + dt.timedelta(hours=1)
    )
    assert events(client.get(f"/activities/{community.code}.ics").content) == {}
