"""iCalendar feeds (RFC 5545) of activity sessions, and the signed personal feed address.

Two feeds: per community (``/activities/<community code>.ics``: the sessions of every
activity that is not a draft) and per resident account (``/me/activities/calendar/
<signed>.ics``: the sessions the account's people hold a confirmed place for). Calendar
apps fetch feeds without logging in, so the personal address carries the account id
signed with :data:`FEED_SALT` (``django.core.signing``, keyed by ``SECRET_KEY``); a
wrong signature is a 404. Anyone holding the address reads the feed (like the private
addresses of other calendar services); changing ``SECRET_KEY`` invalidates all of them.

Each session is one VEVENT with ``UID`` ``session-<id>@linli`` (stable, so apps update
rather than duplicate), ``DTSTART``/``DTEND`` in UTC (``…Z``: no VTIMEZONE needed),
``DTSTAMP`` and ``LAST-MODIFIED`` the activity's last change, ``STATUS`` ``CANCELLED``
for a cancelled session or activity, else ``CONFIRMED``. The ``icalendar`` library
writes CRLF line ends and folds lines over 75 octets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.core import signing
from django.utils import timezone
from icalendar import Calendar, Event

from linli.accounts.models import ResidentAccount
from linli.activities.models import Activity, ActivityStatus, Session

#: Salt of the personal feed signature (changing it invalidates every personal address).
FEED_SALT = "linli.activities.calendar"
PRODID = "-//Linli//社区活动//ZH"
#: Feeds leave out sessions that ended longer ago than this.
FEED_PAST = dt.timedelta(days=90)
CONTENT_TYPE = "text/calendar; charset=utf-8"


def feed_token(account: ResidentAccount) -> str:
    """The signed part of ``account``'s personal feed address (``"<id>:<signature>"``)."""
    return signing.Signer(salt=FEED_SALT).sign(str(account.pk))


def feed_account(signed: str) -> ResidentAccount | None:
    """The active account a feed address names, or ``None`` (bad signature, gone, inactive)."""
    try:
        raw = signing.Signer(salt=FEED_SALT).unsign(signed)
    except signing.BadSignature:
        return None
    if not raw.isdigit():
        return None
    return (
        ResidentAccount.objects.select_related("resident", "user")
        .filter(pk=int(raw), active=True, user__is_active=True)
        .first()
    )


def feed_sessions(activities: Iterable[int] | None = None) -> list[Session]:
    """Sessions of non-draft activities (optionally only ``activities``, by id) that ended
    at most :data:`FEED_PAST` ago, by start; one query."""
    sessions = Session.objects.filter(ends_at__gte=timezone.now() - FEED_PAST).exclude(
        activity__status=ActivityStatus.DRAFT
    )
    if activities is not None:
        sessions = sessions.filter(activity_id__in=list(activities))
    return list(
        sessions.select_related(
            "activity__venue__facility__building",
            "activity__venue__building",
            "activity__organiser",
        ).order_by("starts_at", "pk")
    )


def venue_place(activity: Activity) -> str:
    """The venue's name and address as one line (``"活动室（富民路 8 号）"``)."""
    venue = activity.venue
    address = venue.address
    if not address and venue.building is not None:
        address = venue.building.address
    if not address and venue.facility is not None and venue.facility.building is not None:
        address = venue.facility.building.address
    return f"{venue.name}（{address}）" if address else venue.name


def _event(session: Session, url: str) -> Event:
    activity = session.activity
    cancelled = session.cancelled or activity.status == ActivityStatus.CANCELLED
    event = Event()
    event.add("uid", f"session-{session.pk}@linli")
    event.add("dtstamp", activity.updated_at.astimezone(dt.UTC))
    event.add("last-modified", activity.updated_at.astimezone(dt.UTC))
    event.add("dtstart", session.starts_at.astimezone(dt.UTC))
    event.add("dtend", session.ends_at.astimezone(dt.UTC))
    title = f"{activity.title}：{session.title}" if session.title else activity.title
    event.add("summary", f"【已取消】{title}" if cancelled else title)
    event.add("location", venue_place(activity))
    lines = [
        f"{activity.get_kind_display()} · 主办：{activity.organiser_name}",
        activity.summary.strip(),
        f"联系：{activity.contact}" if activity.contact else "",
        url,
    ]
    event.add("description", "\n".join(line for line in lines if line))
    if url:
        event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def calendar_bytes(
    *, name: str, sessions: Iterable[Session], url_of: Callable[[int], str]
) -> bytes:
    """A VCALENDAR named ``name`` with one VEVENT per session, as RFC 5545 bytes (UTF-8,
    CRLF, folded). ``url_of(activity_id)`` is the absolute address of the activity page
    ("" when unknown: then no URL property)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    for session in sessions:
        cal.add_component(_event(session, url_of(session.activity_id)))
    return cal.to_ical()
