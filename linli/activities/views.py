"""Public activity pages (no log-in): the list, one activity, the info screen, the
community iCalendar feed.

Who: anyone. Only activities that are not drafts are shown; the list and the screen
show upcoming ones (published or closed, with a live session not yet ended); an
activity's page also opens when it was cancelled (notifications link to it) and says so.
The one main action is 报名, which leads a resident through the log-in back to
``/me/activities/<id>/register/`` (:mod:`linli.activities.views_resident`).

Age-friendly (MIIT 2021): the list and detail pages share elder mode (大字模式) with the
other resident pages (cookie from ``/report/elder/``); places, statuses and audiences
are words, never colour alone. The info screen (``/activities/screen/<code>/``) is for
the smart screens in public places: 1920×1080, no interaction, it turns its own pages
(htmx fetches the next one every 20 s; a meta refresh without JavaScript) — the
no-time-limit rule is for people operating a page, not for it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import segno
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from linli.activities import calendar, selectors
from linli.activities.models import (
    Activity,
    ActivityStatus,
    Audience,
    RegistrationStatus,
    Session,
)
from linli.cases.views_public import is_elder
from linli.eligibility.conditions import ALWAYS
from linli.eligibility.engine import tier_specs
from linli.eligibility.money import yuan
from linli.notify.services import absolute_url
from linli.places.models import Area, AreaKind

#: Statuses shown on the list and the screen (an activity past its closing date stays
#: listed with "报名已截止" until its last session ends).
LISTED = (ActivityStatus.PUBLISHED, ActivityStatus.CLOSED)
#: The info screen: activities per page and seconds per page.
SCREEN_PER_PAGE = 4
SCREEN_SECONDS = 20
#: How far ahead the info screen looks (its "week").
SCREEN_DAYS = 7
WEEKDAYS = "一二三四五六日"


# --- shared with the resident pages --------------------------------------------------------


def page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render a resident-facing page with elder mode and the current address (for the
    mode switch)."""
    extra = {"elder": is_elder(request), "here": request.get_full_path()}
    return render(request, template, {**context, **extra}, status=status)


def site_url(request: HttpRequest, path: str) -> str:
    """``path`` as an absolute URL: the configured site address (``LINLI_SITE_URL``, what
    messages use) or else the address this request came in on."""
    return absolute_url(path) or request.build_absolute_uri(path)


def subscription(url: str) -> dict[str, str]:
    """A feed's two links: ``subscribe`` (``webcal://``, which phone calendars subscribe to
    and refresh) and ``download`` (the ``https://`` address, a one-time import)."""
    return {"subscribe": re.sub(r"^https?://", "webcal://", url), "download": url}


def qr_svg(url: str, *, title: str) -> SafeString:
    """``url`` as an inline SVG QR code (segno, error level M, 2-module quiet zone on
    white, sized by CSS through its viewBox) with ``title`` for screen readers."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        scale=1, border=2, light="#fff", dark="#000", omitsize=True, title=title, svgclass="qr"
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # segno's own output


def local_span(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """``"7月20日（周一）09:00–11:30"`` in Asia/Shanghai."""
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    day = f"{start.month}月{start.day}日（周{WEEKDAYS[start.weekday()]}）"
    if end.date() != start.date() and end.time() != dt.time(0):
        return f"{day}{start:%H:%M} – {end.month}月{end.day}日 {end:%H:%M}"
    return f"{day}{start:%H:%M}–{end:%H:%M}"


def age_band_text(activity: Activity) -> str:
    """``"6–12 岁"``, ``"60 岁及以上"``, ``"12 岁及以下"`` or ``"不限年龄"``."""
    low, high = activity.min_age, activity.max_age
    if low is not None and high is not None:
        return f"{low}–{high} 岁"
    if low is not None:
        return f"{low} 岁及以上"
    if high is not None:
        return f"{high} 岁及以下"
    return "不限年龄"


def audience_text(activity: Activity) -> str:
    """Who may come, in words (``"辖区企业职工子女，6–12 岁，由家长报名"``)."""
    parts = [activity.get_audience_display()]
    if activity.audience == Audience.INVITED:
        names = "、".join(org.name for org in activity.invited_orgs.all())
        parts[0] = f"受邀单位职工（{names}）" if names else parts[0]
    if activity.min_age is not None or activity.max_age is not None:
        parts.append(age_band_text(activity))
    if activity.audience == Audience.EMPLOYEES_CHILDREN or (
        activity.max_age is not None and activity.max_age < 18
    ):
        parts.append("由家长报名")
    return "，".join(parts)


def fee_text(activity: Activity) -> str:
    """``"免费"``, ``"20.00 元"`` or, for a fee scheme, ``"按资格定价：…"`` listing the
    tiers valid today by name and price (the price once when the name says it), then
    ``其他`` at the list price unless a tier applies to everyone."""
    scheme = activity.fee_scheme
    if scheme is None:
        return "免费" if activity.fee_fen == 0 else yuan(activity.fee_fen)
    today = timezone.localdate()
    tiers = []
    catch_all = False
    for tier in tier_specs(scheme):
        if not tier.valid_on(today):
            continue
        price = "标价减补贴" if tier.price_fen is None else _price_words(tier.price_fen)
        # a tier named "困难家庭免费" already says its price: say it once
        tiers.append(tier.name if price in tier.name else f"{tier.name} {price}")
        catch_all = catch_all or dict(tier.condition) == ALWAYS
    if scheme.list_price_fen is not None and not catch_all:
        tiers.append(f"其他 {_price_words(scheme.list_price_fen)}")
    return "按资格定价：" + ("；".join(tiers) if tiers else scheme.name)


def _price_words(fen: int) -> str:
    return "免费" if fen == 0 else yuan(fen)


# --- reads -----------------------------------------------------------------------------------


def _live_sessions() -> QuerySet[Session]:
    return Session.objects.filter(
        activity=OuterRef("pk"), cancelled=False, ends_at__gt=timezone.now()
    ).order_by("starts_at", "pk")


def with_counts(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    """``activities`` annotated with ``next_start``/``next_end`` (the next live session not
    yet ended, else ``None``), ``last_start`` (the start of the last session not cancelled:
    registration ends then), ``session_count`` (live sessions), ``confirmed`` and
    ``waiting`` (registration counts)."""
    live = _live_sessions()
    last = Session.objects.filter(activity=OuterRef("pk"), cancelled=False).order_by("-starts_at")
    all_live = (
        Session.objects.filter(activity=OuterRef("pk"), cancelled=False)
        .order_by()
        .values("activity")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return activities.annotate(
        next_start=Subquery(live.values("starts_at")[:1]),
        next_end=Subquery(live.values("ends_at")[:1]),
        last_start=Subquery(last.values("starts_at")[:1]),
        session_count=Coalesce(Subquery(all_live), 0),
        confirmed=Count(
            "registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)
        ),
        waiting=Count(
            "registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)
        ),
    ).select_related("venue", "organiser", "area", "fee_scheme")


def upcoming(area: Area | None) -> QuerySet[Activity]:
    """Published or closed activities under ``area`` (all when ``None``) with a session not
    yet ended, soonest first, annotated as :func:`with_counts`."""
    activities = Activity.objects.filter(status__in=LISTED)
    if area is not None:
        activities = activities.filter(area__path__startswith=area.path)
    return (
        with_counts(activities.filter(Exists(_live_sessions())))
        .prefetch_related("invited_orgs")
        .order_by(F("next_start").asc(), "pk")
    )


def communities() -> list[Area]:
    """Communities that have had an activity (published, closed or finished), by code."""
    return list(
        Area.objects.filter(kind=AreaKind.COMMUNITY)
        .filter(activities__status__in=[*LISTED, ActivityStatus.FINISHED])
        .distinct()
        .order_by("code")
    )


# --- what a card shows -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Places:
    """Whether one can register, in words: ``text`` and ``state`` (``open`` / ``waitlist``
    / ``full`` / ``closed`` / ``soon``) for an icon; ``left`` is places left."""

    text: str
    state: str
    left: int

    @property
    def icon(self) -> str:
        return {"open": "✅", "waitlist": "⏳", "soon": "🕒"}.get(self.state, "⛔")

    @property
    def may_register(self) -> bool:
        return self.state in ("open", "waitlist")


def places(
    activity: Activity, confirmed: int, waiting: int, last_start: dt.datetime | None = None
) -> Places:
    """What the list and the detail page say about places (``剩余 5 个名额``,
    ``已满，可候补``, ``报名已截止``…) at this moment; ``last_start`` is the start of the
    last session (registration ends then, as in
    :func:`linli.activities.services.registration_create`)."""
    now = timezone.now()
    left = max(activity.capacity - confirmed, 0)
    if activity.status == ActivityStatus.CANCELLED:
        return Places("活动已取消", "closed", 0)
    if activity.status == ActivityStatus.FINISHED:
        return Places("活动已结束", "closed", 0)
    if last_start is not None and last_start <= now:
        return Places("活动已开始，报名已截止", "closed", left)
    if activity.status != ActivityStatus.PUBLISHED or (
        activity.registration_closes is not None and now > activity.registration_closes
    ):
        return Places("报名已截止", "closed", left)
    if activity.registration_opens is not None and now < activity.registration_opens:
        opens = timezone.localtime(activity.registration_opens)
        return Places(f"{opens.month}月{opens.day}日 {opens:%H:%M} 开始报名", "soon", left)
    if left > 0:
        return Places(f"剩余 {left} 个名额", "open", left)
    if waiting < activity.waitlist_limit:
        return Places("已满，可候补", "waitlist", 0)
    return Places("名额和候补都已满", "full", 0)


def card(activity: Any) -> dict[str, Any]:
    """One list card of an activity annotated by :func:`with_counts`."""
    return {
        "activity": activity,
        "when": local_span(activity.next_start, activity.next_end) if activity.next_start else "",
        "places": places(activity, activity.confirmed, activity.waiting, activity.last_start),
        "audience": audience_text(activity),
        "fee": fee_text(activity),
    }


# --- pages -------------------------------------------------------------------------------------


@require_safe
def activity_list(request: HttpRequest) -> HttpResponse:
    """``/activities/``: upcoming activities; ``?community=<code>`` narrows to one community
    (an unknown code shows all, with a note)."""
    choices = communities()
    code = request.GET.get("community", "")
    chosen = next((c for c in choices if c.code == code), None)
    cards = [card(a) for a in upcoming(chosen)[:200]]
    context = {
        "cards": cards,
        "communities": choices,
        "chosen": chosen,
        "unknown_community": bool(code) and chosen is None,
        "feeds": [
            (
                area.name,
                subscription(site_url(request, reverse("activities:feed", args=[area.code]))),
            )
            for area in ([chosen] if chosen else choices)
        ],
        "nav": "list",
    }
    return page(request, "activities/list.html", context)


def _visible(pk: int) -> Activity:
    """A non-draft activity by id, annotated as :func:`with_counts`; else 404."""
    activities = with_counts(Activity.objects.exclude(status=ActivityStatus.DRAFT))
    return get_object_or_404(activities.prefetch_related("invited_orgs"), pk=pk)


#: An opening-hours clause in a venue's note ("开放时间 08:30-18:00"), which the windows
#: already state.
_HOURS_CLAUSE = re.compile(r"开放时间[：:\s]*[0-9:：\-–~至到、\s周一二三四五六日天每]*")


def venue_hours(activity: Activity) -> tuple[str, str]:
    """``(hours, note)``: the venue's weekly windows in words
    (:func:`selectors.window_summary`, empty when always open) and its note with any
    opening-hours clause dropped when the windows say it — the hours are printed once."""
    venue = activity.venue
    windows = list(venue.windows.all())
    hours = selectors.window_summary(venue) if windows else ""
    note = venue.note
    if hours:
        note = _HOURS_CLAUSE.sub("", note).strip(" ，,；;。")
    return hours, note


@require_safe
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """``/activities/<id>/``: timetable, venue, audience rules, fee, and 报名 (for an
    enterprise contact whose employees the audience admits: 为本单位职工报名, the bulk
    page)."""
    activity = _visible(pk)
    now = timezone.now()
    sessions: list[dict[str, Any]] = [
        {
            "session": s,
            "when": local_span(s.starts_at, s.ends_at),
            "past": s.ends_at <= now,
        }
        for s in activity.sessions.all()
    ]
    context = {
        **card(activity),
        "employer": selectors.employer_admitted(request.user, activity),
        "sessions": sessions,
        "live_count": sum(1 for s in sessions if not s["session"].cancelled),
        "place": calendar.venue_place(activity),
        **dict(zip(("hours", "venue_note"), venue_hours(activity), strict=True)),
        "feed": subscription(
            site_url(request, reverse("activities:feed", args=[activity.area.code]))
        ),
        "nav": "list",
    }
    return page(request, "activities/detail.html", context)


@require_safe
def screen(request: HttpRequest, code: str) -> HttpResponse:
    """``/activities/screen/<code>/``: the coming week's activities under the area ``code``
    for a public info screen, :data:`SCREEN_PER_PAGE` at a time, each with a QR code to
    its page; ``?page=n`` (0-based) is fetched by htmx (or a meta refresh) every
    :data:`SCREEN_SECONDS` s, wrapping to the first page; every page re-reads the data."""
    area = get_object_or_404(Area, code=code)
    horizon = timezone.now() + dt.timedelta(days=SCREEN_DAYS)
    week: list[Any] = [a for a in upcoming(area) if getattr(a, "next_start", None)]
    week = [a for a in week if a.next_start < horizon]
    pages = max((len(week) + SCREEN_PER_PAGE - 1) // SCREEN_PER_PAGE, 1)
    raw = request.GET.get("page", "0")
    number = int(raw) % pages if raw.isdigit() else 0
    shown = week[number * SCREEN_PER_PAGE : (number + 1) * SCREEN_PER_PAGE]
    items = []
    for activity in shown:
        url = site_url(request, reverse("activities:detail", args=[activity.pk]))
        items.append({**card(activity), "qr": qr_svg(url, title=f"“{activity.title}”活动页二维码")})
    context = {
        "area": area,
        "items": items,
        "page_number": number + 1,
        "pages": pages,
        "next_page": f"?page={(number + 1) % pages}",
        "seconds": SCREEN_SECONDS,
        "now": timezone.localtime(),
        "list_qr": qr_svg(
            site_url(request, reverse("activities:list")) + f"?community={area.code}",
            title="全部活动二维码",
        ),
    }
    return render(request, "activities/screen.html", context)


@require_safe
def community_feed(request: HttpRequest, code: str) -> HttpResponse:
    """``/activities/<code>.ics``: every non-draft activity's sessions under the area
    ``code`` (see :mod:`linli.activities.calendar`); an unknown code is a 404."""
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise Http404("没有这个社区")
    ids = Activity.objects.filter(area__path__startswith=area.path).values_list("pk", flat=True)
    body = calendar.calendar_bytes(
        name=f"{area.name}活动",
        sessions=calendar.feed_sessions(ids),
        url_of=lambda pk: site_url(request, reverse("activities:detail", args=[pk])),
    )
    response = HttpResponse(body, content_type=calendar.CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{area.code}.ics"'
    return response
