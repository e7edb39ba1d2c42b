"""What a public info screen (智慧屏) shows: content assembly for ``/screen/<token>/``.

One screen belongs to one community. Its content (:func:`screen_content`) is a JSON-ready
dict the kiosk page renders slide by slide and keeps in the device's ``localStorage`` for
when the network drops:

* ``notices`` — the community's :class:`~linli.cockpit.models.ScreenNotice` rows current
  today (``starts_on ≤ today ≤ ends_on``, Asia/Shanghai), newest start first, at most
  :data:`NOTICES_MAX`;
* ``canteens`` — each canteen of the community's social enterprises with today's published
  menus (lunch, dinner: dishes and the standard combination) and the price tiers of its
  scheme (社区报告: 8.00 元 for residents 60+, disabled or on dibao, 12.00 元 for others —
  the tiers as a board, never a person's price);
* ``activities`` — published or closed activities under the community with a session
  starting in the next :data:`ACTIVITY_DAYS` days, soonest first, at most
  :data:`ACTIVITIES_MAX`, each with an SVG QR code of the absolute URL of its resident
  registration page (``/me/activities/<id>/register/``; log-in first) on the site address
  ``LINLI_SITE_URL`` when set, else the request's host (the caller's ``absolute``);
* ``screen`` — name, place, community, hotline and ``rotate_seconds``.

No personal data at all: no participant, diner or author names, no counts per person.
``version`` is a hash of everything but ``generated_at``; it is the ETag of
``content.json``, so a device re-renders only when something changed.

Queries: a fixed number whatever the data size (screen, notices, canteens, menus with
dishes, one scheme's tiers per distinct price scheme code, activities with their
annotations and invited organisations, fee-scheme tiers for at most
:data:`ACTIVITIES_MAX` activities).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.urls import reverse
from django.utils import timezone

from linli.activities.views import audience_text, card, qr_svg, upcoming
from linli.cockpit.models import InfoScreen, ScreenNotice
from linli.economy.errors import EconomyError
from linli.economy.menus import MEAL_ORDER, menu_prices, standard_combo
from linli.economy.models import Canteen, Menu

#: Notices on one screen at most (one slide each).
NOTICES_MAX = 8
#: How far ahead activities are shown (days) and how many at most.
ACTIVITY_DAYS = 7
ACTIVITIES_MAX = 8
#: Where a community without a hotline sends people.
NO_HOTLINE = "请到社区服务站咨询"
WEEKDAYS = "一二三四五六日"


def active_screen(token: str) -> InfoScreen | None:
    """The active screen with ``token`` and its community (one query), else ``None``."""
    if not token or len(token) > 32:
        return None
    return (
        InfoScreen.objects.select_related("community").filter(token=token, is_active=True).first()
    )


def current_notices(community: Any, today: dt.date) -> list[ScreenNotice]:
    """The community's notices current on ``today`` (inclusive window), newest start
    first, at most :data:`NOTICES_MAX`; one query."""
    return list(
        ScreenNotice.objects.filter(
            community=community, starts_on__lte=today, ends_on__gte=today
        ).order_by("-starts_on", "-pk")[:NOTICES_MAX]
    )


def combo_text(meat: list[str], vegetables: list[str]) -> str:
    """The standard combination for the board without stacked colons (the kiosk puts
    「一荤一素标准餐 · 」 before it): ``荤菜 黄焖鸡 · 素菜 家常豆腐``, a kind with several
    dishes ``荤菜任选其一 A、B``; ``""`` when a kind has none (no standard combination)."""
    if not meat or not vegetables:
        return ""

    def part(kind: str, names: list[str]) -> str:
        return f"{kind} {names[0]}" if len(names) == 1 else f"{kind}任选其一 {'、'.join(names)}"

    return f"{part('荤菜', meat)} · {part('素菜', vegetables)}"


def _hm(value: dt.time) -> str:
    return value.strftime("%H:%M")


def canteen_boards(community: Any, today: dt.date) -> list[dict[str, Any]]:
    """Today's menus and price tiers of each canteen of ``community``'s enterprises.

    Returns: ``[{"name", "menus": [{"meal", "meal_label", "hours", "dishes": [{"kind",
    "name", "portion"}], "combo"}], "prices": ["优惠价 8.00 元（年满 60 周岁、…）", …],
    "note"}]`` by canteen name; ``menus`` is empty when nothing is published today and
    ``prices`` empty when the canteen's scheme is missing (``note`` says so).
    """
    canteens = list(Canteen.objects.filter(enterprise__community=community).order_by("name", "pk"))
    if not canteens:
        return []
    menus = (
        Menu.objects.filter(canteen__in=canteens, date=today, published=True)
        .prefetch_related("dishes")
        .order_by("canteen_id", "meal")
    )
    by_canteen: dict[int, list[Menu]] = {}
    for menu in menus:
        by_canteen.setdefault(menu.canteen_id, []).append(menu)
    prices_by_scheme: dict[str, list[str]] = {}
    boards = []
    for canteen in canteens:
        own = sorted(by_canteen.get(canteen.pk, []), key=lambda m: MEAL_ORDER.get(m.meal, 9))
        if own and canteen.scheme_code not in prices_by_scheme:
            try:
                prices_by_scheme[canteen.scheme_code] = menu_prices(canteen, own[0])
            except EconomyError:
                prices_by_scheme[canteen.scheme_code] = []
        hours = {
            "lunch": f"{_hm(canteen.lunch_start)}–{_hm(canteen.lunch_end)}",
            "dinner": f"{_hm(canteen.dinner_start)}–{_hm(canteen.dinner_end)}",
        }
        items = []
        for menu in own:
            meat, vegetables = standard_combo(menu)
            items.append(
                {
                    "meal": menu.meal,
                    "meal_label": menu.get_meal_display(),
                    "hours": hours.get(menu.meal, ""),
                    "dishes": [
                        {"kind": d.get_kind_display(), "name": d.name, "portion": d.portion}
                        for d in menu.dishes.all()
                    ],
                    "combo": combo_text(meat, vegetables),
                    "note": menu.note,
                }
            )
        prices = prices_by_scheme.get(canteen.scheme_code, []) if own else []
        note = ""
        if not own:
            note = "今日菜单尚未公布"
        elif not prices:
            note = "价格请到食堂窗口咨询"
        boards.append({"name": canteen.name, "menus": items, "prices": prices, "note": note})
    return boards


def _span(start: dt.datetime, end: dt.datetime) -> str:
    start, end = timezone.localtime(start), timezone.localtime(end)
    day = f"{start.month}月{start.day}日（周{WEEKDAYS[start.weekday()]}）"
    return f"{day}{start:%H:%M}–{end:%H:%M}"


def coming_activities(community: Any, now: dt.datetime, absolute: Any) -> list[dict[str, Any]]:
    """Activities under ``community`` whose next live session starts before
    ``now`` + :data:`ACTIVITY_DAYS` days, soonest first, at most :data:`ACTIVITIES_MAX`.

    Args:
        absolute: ``path → absolute URL`` (the site address or the request's), for the QR.

    Returns: ``[{"id", "title", "when", "starts_at", "ends_at" (ISO 8601), "venue",
    "audience", "fee", "places", "url", "qr" (inline SVG)}]`` — no participant data.
    """
    horizon = now + dt.timedelta(days=ACTIVITY_DAYS)
    window = upcoming(community).filter(**{"next_start__lt": horizon})
    found: list[Any] = list(window[:ACTIVITIES_MAX])
    result = []
    for activity in found:
        info = card(activity)
        url = absolute(reverse("activities_resident:register", args=[activity.pk]))
        result.append(
            {
                "id": activity.pk,
                "title": activity.title,
                "when": _span(activity.next_start, activity.next_end),
                "starts_at": activity.next_start.isoformat(),
                "ends_at": activity.next_end.isoformat(),
                "venue": activity.venue.name if activity.venue_id else "",
                "audience": audience_text(activity),
                "fee": info["fee"],
                "places": info["places"].text,
                "url": url,
                "qr": str(qr_svg(url, title=f"“{activity.title}”报名二维码")),
            }
        )
    return result


def screen_content(
    screen: InfoScreen, absolute: Any, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Everything ``screen`` shows now, as a JSON-ready dict with ``version``.

    Args:
        screen: the screen, its community loaded (``select_related``).
        absolute: ``path → absolute URL`` for the activity QR codes.
        now: the moment (default: now); "today" is its Asia/Shanghai date.

    Returns: ``{"version", "generated_at", "today", "screen": {...}, "notices": [{"title",
    "body", "starts_on", "ends_on"}], "canteens": [...], "activities": [...]}`` — see
    the module docstring.
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    community = screen.community
    body: dict[str, Any] = {
        "today": today.isoformat(),
        "screen": {
            "name": screen.name,
            "place": screen.place,
            "community": community.name,
            "hotline": screen.hotline,
            "hotline_text": screen.hotline or NO_HOTLINE,
            "rotate_seconds": screen.rotate_seconds,
        },
        "notices": [
            {
                "title": n.title,
                "body": n.body,
                "starts_on": n.starts_on.isoformat(),
                "ends_on": n.ends_on.isoformat(),
            }
            for n in current_notices(community, today)
        ],
        "canteens": canteen_boards(community, today),
        "activities": coming_activities(community, now, absolute),
    }
    body["version"] = content_version(body)
    body["generated_at"] = timezone.localtime(now).isoformat(timespec="seconds")
    return body


def content_version(body: dict[str, Any]) -> str:
    """A short hash of ``body`` without ``version`` and ``generated_at`` (16 hex digits)."""
    stable = {k: v for k, v in body.items() if k not in ("version", "generated_at")}
    text = json.dumps(stable, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
