"""The hourly activities sweep: close registration, finish past activities, remind once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from linli.activities.models import ActivityStatus, Session
from linli.activities.services import activities_sweep, registration_create
from linli.activities.tests.conftest import guest, local_at, one_session
from linli.notify.models import Delivery

pytestmark = pytest.mark.django_db


def test_reminders_go_once_the_day_before(
    make_activity: Any, django_capture_on_commit_callbacks: Any
) -> None:
    activity = make_activity(sessions=one_session(days=3))
    registration_create(activity=activity, participant=guest("李四"))
    waiting = make_activity(sessions=one_session(days=4, start=14, end=15), capacity=1)
    registration_create(activity=waiting, participant=guest("甲"))
    registration_create(activity=waiting, participant=guest("乙"))  # waitlisted: no reminder
    start = activity.sessions.get().starts_at
    assert activities_sweep(now=start - dt.timedelta(hours=30)).reminded == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert activities_sweep(now=start - dt.timedelta(hours=23)).reminded == 1
        assert activities_sweep(now=start - dt.timedelta(hours=22)).reminded == 0
    sms = Delivery.objects.filter(kind="activity.reminder", channel="sms")
    assert sms.count() == 1 and "李四" in sms.get().payload["text"]
    later = waiting.sessions.get().starts_at - dt.timedelta(hours=1)
    assert activities_sweep(now=later).reminded == 1  # only 甲, who holds the place


def test_closing_and_finishing(make_activity: Any) -> None:
    closes = make_activity(sessions=one_session(days=5), registration_closes=local_at(2, 18))
    past = make_activity(sessions=one_session(days=1))
    report = activities_sweep(now=local_at(3, 9))
    assert report.closed == 1
    closes.refresh_from_db()
    past.refresh_from_db()
    assert closes.status == ActivityStatus.CLOSED and past.status == ActivityStatus.FINISHED
    # A cancelled later session does not keep an activity open.
    Session.objects.create(
        activity=closes, starts_at=local_at(10, 10), ends_at=local_at(10, 12), cancelled=True
    )
    assert activities_sweep(now=local_at(6, 9)).finished == 1
    closes.refresh_from_db()
    assert closes.status == ActivityStatus.FINISHED
