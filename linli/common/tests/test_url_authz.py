"""Every URL pattern, reviewed for authorisation (issue #10, Security, second bullet).

Given one demo street built once for the module (``linli demo`` at scale 0.002: four
communities with one or more of everything: cases, orders, care alerts, canteens, markets,
votes, topics, parking, venues, activities, needs, policies, screens, reports), every
pattern of ``get_resolver()`` is requested — its URL arguments filled from real rows by
:data:`ARGS` (or, for the admin, from the model the admin path names) — by

* an anonymous visitor: only a redirect to a log-in page, 401/403/404/405, or — for the
  :data:`PUBLIC` patterns — a page without the residents' names, phones and ID numbers;
* an outsider: a staff user holding every role in ANOTHER street, and a resident logged in
  with a one-time code from another household: nothing of the street's rows — a page
  about one object (a pattern with arguments, outside the admin) is 404/403/a redirect
  unless public or shared with the whole community (:data:`COMMUNITY_SHARED`); list pages
  hold none of the residents' personal data; a POST with an empty body changes no row.

A pattern that is neither argument-free, in :data:`ARGS`, admin-generic nor in :data:`SKIP`
fails :func:`test_every_pattern_is_reviewed`, so new pages are reviewed too. An insider
(a superuser) must not get 404 on a filled pattern (:func:`test_filled_arguments_name_real_rows`),
so the table names rows that exist and the outsider checks are not vacuous.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, models, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from linli.common import pii
from linli.people.models import Assignment, Resident, Role
from linli.places.models import Area, AreaKind
from linli.testing.factories import HouseholdFactory, ResidentFactory, area_chain

pytestmark = pytest.mark.django_db

OUTSIDE_STREET = "640106099"

# --------------------------------------------------------------------------- patterns


@dataclass(frozen=True)
class Pattern:
    """One URL pattern: ``route`` (the joined pattern text), ``name`` (namespaced, may be
    empty) and its argument names in order (``kwargs``; positional groups as ``_0``…)."""

    route: str
    name: str
    args: tuple[str, ...]
    regex: bool


_PATH_ARG = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")
_RE_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()]|\([^()]*\))*\)|\((?:[^()?]|\[[^]]*\])*\)")


def patterns() -> list[Pattern]:
    """Every leaf pattern of the root resolver, depth first."""

    def walk(items: list[Any], prefix: str, ns: str, regex: bool) -> Iterator[Pattern]:
        for item in items:
            text = str(item.pattern)
            is_re = regex or text.startswith("^")
            if isinstance(item, URLResolver):
                sub = ns
                if item.namespace:
                    sub = f"{ns}:{item.namespace}" if ns else item.namespace
                yield from walk(item.url_patterns, prefix + text, sub, is_re)
            elif isinstance(item, URLPattern):
                route = prefix + text
                name = f"{ns}:{item.name}" if ns and item.name else (item.name or "")
                yield Pattern(route, name, _arg_names(route), is_re)

    return list(walk(get_resolver().url_patterns, "", "", False))


def _arg_names(route: str) -> tuple[str, ...]:
    names: list[str] = [m.group("name") for m in _PATH_ARG.finditer(route) if "?P" not in route]
    if "(" in route:
        names = []
        for i, m in enumerate(_RE_GROUP.finditer(route)):
            names.append(m.group("name") or f"_{i}")
        names += [m.group("name") for m in _PATH_ARG.finditer(_RE_GROUP.sub("", route))]
    return tuple(n for n in names if n)


def build_url(p: Pattern, values: dict[str, Any]) -> str:
    """The path for ``p`` with ``values`` substituted (regex routes de-regexed)."""
    route = p.route
    counter = iter(range(100))

    def group(m: re.Match[str]) -> str:
        name = m.group("name") or f"_{next(counter)}"
        return str(values[name])

    if "(" in route:
        route = _RE_GROUP.sub(group, route)
    route = _PATH_ARG.sub(lambda m: str(values[m.group("name")]), route)
    route = route.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    return "/" + route


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    """The fixture street: ``community`` (the first demo community), the personal data
    that must not leak (``secrets``: names of three or more characters, full phones, full
    ID numbers), the actors' clients."""

    community: Area
    secrets: list[str]
    superuser: User
    outsider_staff: User
    outsider_resident: User
    cache: dict[str, Any] = field(default_factory=dict)

    def first(self, label: str, **filters: Any) -> Any:
        key = f"{label}:{sorted(filters.items())}"
        if key not in self.cache:
            model = apps.get_model(label)
            self.cache[key] = model._default_manager.filter(**filters).order_by("pk").first()
            assert self.cache[key] is not None, f"the fixture has no {label} {filters}"
        return self.cache[key]

    def pk(self, label: str, **filters: Any) -> int:
        return int(self.first(label, **filters).pk)


def _build_world() -> World:
    from linli.cockpit.demo import build_screens
    from linli.places.demo import DEFAULT_SEED, build_demo
    from linli.places.demo import cases as demo_cases
    from linli.places.demo import commons as demo_commons
    from linli.places.demo import social as demo_social
    from linli.places.demo.care import build_care
    from linli.places.demo.economy import build_engagement

    assert not Area.objects.filter(code=OUTSIDE_STREET).exists()
    quiet: Callable[[str], None] = lambda _: None  # noqa: E731
    build_demo(scale=0.002, seed=DEFAULT_SEED, log=quiet)
    # Fewer of the rows that only repeat (one of each is what the review needs).
    smaller = [
        (demo_cases, "PER_COMMUNITY", 2),
        (demo_commons, "SPACES", 12),
        (demo_commons, "OWNED", 8),
        (demo_commons, "VEHICLES", 15),
        (demo_social, "CARD_HOLDERS", 4),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in smaller]
    try:
        for module, name, value in smaller:
            setattr(module, name, value)
        for build in (
            demo_cases.build_cases,
            build_care,
            build_engagement,
            demo_commons.build_commons,
            demo_social.build_social,
        ):
            build(log=quiet)
    finally:
        for module, name, value in saved:
            setattr(module, name, value)
    for street in Area.objects.filter(kind=AreaKind.STREET):
        build_screens(street)
    _add_missing_rows()

    community = Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path").first()
    assert community is not None
    secrets: set[str] = set()
    for r in Resident.objects.all():
        if len(r.name) >= 3:
            secrets.add(r.name)
        if r.phone and len(r.phone) == 11:
            secrets.add(r.phone)
        if r.id_number_encrypted:
            secrets.add(pii.decrypt(r.id_number_encrypted))

    # The outsiders: every role in another street; a resident of a new household.
    outside = area_chain(OUTSIDE_STREET, name="外街")
    staff = User.objects.create_user("outsider-staff", password="x", is_staff=True)
    for role in Role.values:
        Assignment.objects.create(user=staff, area=outside["street"], role=role)
        Assignment.objects.create(user=staff, area=outside["community"], role=role)
    micro = Area.objects.filter(kind=AreaKind.MICRO_GRID, path__startswith=community.path)
    household = HouseholdFactory(
        building__micro_grid=micro.order_by("path").first(), building__name="局外楼"
    )
    me: Any = ResidentFactory(household=household, name="局外人甲", phone="13700009999")
    from linli.accounts.services import resident_account_create

    account = resident_account_create(resident=me, phone="13700009999", actor=None)
    secrets -= {me.name, me.phone}
    superuser = User.objects.create_superuser("authz-root", password="x")
    return World(
        community=community,
        secrets=sorted(secrets),
        superuser=superuser,
        outsider_staff=staff,
        outsider_resident=account.user,
    )


def _add_missing_rows() -> None:
    """Rows the demo does not make but some URL names: a roster import, a case photo, a
    care alert and an away period, a report run, a subsidy claim."""
    from django.core.files.base import ContentFile

    from linli.care.models import AwayPeriod
    from linli.cases.models import Case, CasePhoto
    from linli.cockpit.models import ReportRun
    from linli.people.models import RosterImport
    from linli.testing.factories import care_alert

    community = Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path").first()
    admin = Assignment.objects.filter(role=Role.COMMUNITY_ADMIN, area=community).first()
    assert community is not None and admin is not None
    now = timezone.now()
    roster = RosterImport(community=community, created_by=admin.user, original_name="台账.xlsx")
    roster.file.save("authz.xlsx", ContentFile(b"not really"), save=True)
    case = Case.objects.order_by("pk").first()
    photo = CasePhoto(case=case)
    for f in CasePhoto._meta.concrete_fields:
        if isinstance(f, models.FileField):
            getattr(photo, f.name).save("authz.jpg", ContentFile(b"\xff\xd8\xff"), save=False)
    photo.save()
    watched = apps.get_model("care.Watch").objects.order_by("pk").first()
    if watched is not None:
        care_alert(watched.resident)
        AwayPeriod.objects.create(
            resident=watched.resident, starts_at=now, ends_at=now + dt.timedelta(days=3)
        )
    household = watched.resident.household if watched is not None else None
    if household is not None:
        apps.get_model("devices.MonitoringConsent").objects.create(
            household=household, given_by_relation="本人", kinds=["door"], given_at=now
        )
    ReportRun.objects.create(
        kind="monthly", area=community, period_start=now.date(), period_end=now.date()
    )
    canteen: Any = apps.get_model("economy.Canteen").objects.order_by("pk").first()
    apps.get_model("economy.SubsidyClaim").objects.create(
        canteen=canteen,
        source="民政助餐补贴",
        month=now.date().replace(day=1),
        number="AUTHZ-1",
        meals=1,
        people=1,
        total_fen=300,
        created_by=admin.user,
    )


# --------------------------------------------------------------------------- arguments

W = World
Fill = Callable[[W], list[dict[str, Any]]]


def one(**specs: Any) -> Fill:
    """Arguments from ``specs``: ``"app.Model"`` → the first row's pk,
    ``"app.Model.attr"`` → that attribute, a callable → ``callable(world)``, else literal."""

    def fill(w: W) -> list[dict[str, Any]]:
        values: dict[str, Any] = {}
        for name, spec in specs.items():
            if callable(spec):
                values[name] = spec(w)
            elif isinstance(spec, str) and spec.count(".") == 1 and spec[0].islower():
                values[name] = w.pk(spec)
            elif isinstance(spec, str) and spec.count(".") == 2 and spec[0].islower():
                label, attr = spec.rsplit(".", 1)
                values[name] = getattr(w.first(label), attr)
            else:
                values[name] = spec
        return [values]

    return fill


def many(*fills: Fill) -> Fill:
    return lambda w: [v for f in fills for v in f(w)]


CODE = lambda w: w.community.code  # noqa: E731
TODAY = lambda w: timezone.localdate().isoformat()  # noqa: E731
MONTH = lambda w: timezone.localdate().strftime("%Y-%m")  # noqa: E731
YEAR = lambda w: timezone.localdate().year  # noqa: E731
CASE = "cases.Case.number"
WATCHED = lambda w: w.first("care.Watch").resident_id  # noqa: E731


def _feed(w: W) -> str:
    from linli.accounts.models import ResidentAccount
    from linli.activities.calendar import feed_token

    account = ResidentAccount.objects.exclude(user=w.outsider_resident).order_by("pk").first()
    assert account is not None
    return feed_token(account)


def _drills(w: W) -> list[dict[str, Any]]:
    from linli.cockpit.kpis_drill import DRILLS

    return [{"key": k} for k in DRILLS]


def _layers(w: W) -> list[dict[str, Any]]:
    from linli.cockpit.layers import LAYERS

    return [{"name": n} for n in LAYERS]


def _case_actions(w: W) -> list[dict[str, Any]]:
    from linli.cases.views_actions import ACTIONS  # type: ignore[attr-defined]

    return [{"number": w.first("cases.Case").number, "action": a} for a in ACTIONS]


PUBLIC_311 = {"open311_public": True}


def _open311_code(w: W) -> str:
    from linli.cases.open311.selectors import public_categories

    category = public_categories().order_by("code").first()
    assert category is not None
    return str(category.code)


def _public_311(w: W) -> list[int]:
    model = apps.get_model("cases.CaseCategory")
    return list(model.objects.filter(**PUBLIC_311).values_list("pk", flat=True))


CANTEEN = {"pk": "economy.Canteen"}
MENU = {**CANTEEN, "day": TODAY, "meal": "lunch"}
ENTERPRISE = {"pk": "economy.SocialEnterprise"}
API_CASE = one(number=CASE)

#: URL name → how to fill its arguments (``format``/``fmt`` default to ``json``).
ARGS: dict[str, Fill] = {
    "api-root": one(format=".json"),
    "area-detail": one(code=CODE),
    "building-detail": one(pk="places.Building"),
    "household-detail": one(pk="places.Household"),
    "resident-detail": one(pk="people.Resident"),
    "resident-reveal": one(pk="people.Resident"),
    "organization-detail": one(pk="orgs.Organization"),
    "facility-detail": one(pk="places.Facility"),
    **{
        f"roster:{n}": one(pk="people.RosterImport")
        for n in ("detail", "confirm", "progress", "errors")
    },
    "cases:detail": one(number=CASE),
    "cases:photo": one(
        number=lambda w: w.first("cases.CasePhoto").case.number, pk="cases.CasePhoto"
    ),
    "cases:act": _case_actions,
    "report:status": one(number=CASE),
    "open311:discovery": one(),
    "open311:services": one(),
    "open311:service": one(code=_open311_code),
    "open311:requests": one(),
    "open311:request": one(
        number=lambda w: w.first("cases.Case", category__in=_public_311(w)).number
    ),
    "open311:token": one(token=lambda w: w.first("cases.Case", category__in=_public_311(w)).number),
    **{
        f"case-{a}": API_CASE
        for a in [
            "detail",
            "accept",
            "close",
            "dispatch-",
            "handle",
            "merge",
            "note",
            "participants",
            "pause",
            "rate",
            "register",
            "reject",
            "reopen",
            "resume",
            "return-",
            "suspend",
            "unpause",
            "verify",
            "witnessed",
        ]
    },
    "notification-read": one(notification_id="notify.Notification"),
    "accounts:message_open": one(pk="notify.Notification"),
    "resident_orders:service": one(code="orders.ServiceType.code"),
    **{
        f"resident_orders:{n}": one(pk="orders.Order")
        for n in ("order", "order_live", "cancel", "rate")
    },
    "resident_care:away_end": one(pk="care.AwayPeriod"),
    **{
        f"work:{n}": one(pk="orders.Order")
        for n in ("order", "accept", "decline", "en_route", "arrive", "start", "complete")
    },
    **{f"care:{n}": one(pk="care.CareAlert") for n in ("alert", "ack", "note", "resolve", "case")},
    **{f"care:{n}": one(pk=WATCHED) for n in ("resident", "watch", "away")},
    "care:away_end": one(pk="care.AwayPeriod"),
    **{f"staff_orders:{n}": one(pk="orders.Order") for n in ("detail", "cancel", "redispatch")},
    **{
        f"engagement_policies:{n}": one(pk="engagement.Policy")
        for n in ("detail", "edit", "note_add", "rematch", "export")
    },
    "engagement_policies:match_action": one(pk="engagement.PolicyMatch", action="told"),
    "engagement_policies:note_file": one(pk="engagement.PolicyNote"),
    "engagement:need": one(pk="engagement.Need"),
    "engagement:need_move": one(pk="engagement.Need"),
    "engagement:menu_edit": one(pk="engagement.MenuItem"),
    "engagement:menu_retire": one(pk="engagement.MenuItem"),
    "engagement:council": one(pk="engagement.CouncilMeeting"),
    "engagement:council_edit": one(pk="engagement.CouncilMeeting"),
    "engagement_biz_policies:detail": one(pk="engagement.Policy"),
    "engagement_biz_policies:apply": one(pk="engagement.Policy"),
    "engagement_biz_policies:note_file": one(pk="engagement.PolicyNote"),
    "engagement_biz:need": one(pk="engagement.Need"),
    "engagement_biz:need_rate": one(pk="engagement.Need"),
    "activities_manage:checkin": one(token="activities.Registration.token"),
    **{
        f"activities_manage:{n}": one(pk="activities.Activity")
        for n in [
            "detail",
            "publish",
            "capacity",
            "cancel",
            "register",
            "bulk",
            "attendance",
            "door",
            "door_count",
            "export",
        ]
    },
    "activities_manage:registration_cancel": one(
        pk=lambda w: w.first("activities.Registration").activity_id, rid="activities.Registration"
    ),
    "activities:detail": one(pk="activities.Activity"),
    "activities:screen": one(code=CODE),
    "activities:feed": one(code=CODE),
    "activities_resident:register": one(pk="activities.Activity"),
    **{
        f"activities_resident:{n}": one(token="activities.Registration.token")
        for n in ("ticket", "cancel", "feedback")
    },
    "activities_resident:feed": one(signed=_feed),
    "resident_needs:need": one(pk="engagement.Need"),
    "resident_needs:need_rate": one(pk="engagement.Need"),
    **{
        f"governance_votes:{n}": one(pk="governance.Vote")
        for n in ["vote", "publish", "count", "cancel", "paper", "tally", "export", "result"]
    },
    **{
        f"governance:{n}": one(pk="governance.Topic")
        for n in ("topic", "topic_schedule", "topic_decline", "topic_support")
    },
    **{
        f"governance:{n}": one(pk="governance.Meeting")
        for n in ("meeting", "participant_add", "meeting_hold", "meeting_cancel", "decision_new")
    },
    "governance:followup_new": one(
        pk=lambda w: w.first("governance.Decision").meeting_id, decision_pk="governance.Decision"
    ),
    "governance:followup_progress": one(pk="governance.FollowUp"),
    **{
        f"resident_topics:{n}": one(pk="governance.Topic")
        for n in ("topic", "topic_support", "topic_withdraw")
    },
    "resident_votes:vote": one(pk="governance.Vote"),
    "resident_votes:done": one(pk="governance.Vote"),
    "yishi_votes:result": one(pk="governance.Vote"),
    "yishi:board": one(code=CODE),
    "parking:lot": one(pk="sharing.ParkingLot"),
    "parking:space_new": one(pk="sharing.ParkingLot"),
    "parking:space_windows": one(
        pk=lambda w: w.first("sharing.ParkingSpace").lot_id, space_pk="sharing.ParkingSpace"
    ),
    **{
        f"parking:{n}": one(pk="sharing.Booking")
        for n in ("booking", "booking_arrive", "booking_leave", "booking_cancel")
    },
    "resident_parking:vehicle_remove": one(pk="sharing.Vehicle"),
    "resident_parking:space_windows": one(pk="sharing.ParkingSpace"),
    "resident_parking:booking": one(pk="sharing.Booking"),
    "resident_parking:booking_cancel": one(pk="sharing.Booking"),
    "resident_venues:venue": one(pk="activities.Venue"),
    "resident_venues:booking": one(pk="sharing.VenueBooking"),
    "resident_venues:cancel": one(pk="sharing.VenueBooking"),
    "biz_venues:venue": one(pk="activities.Venue"),
    "biz_venues:booking": one(pk="sharing.VenueBooking"),
    "biz_venues:cancel": one(pk="sharing.VenueBooking"),
    **{
        f"venues_manage:{n}": one(pk="sharing.VenueBooking")
        for n in ("approve", "reject", "cancel")
    },
    "venues_manage:venue": one(pk="activities.Venue"),
    "venues_manage:rule": one(pk="activities.Venue"),
    "canteen:day": one(**CANTEEN),
    **{f"canteen:{n}": one(**MENU) for n in ("menu", "menu_copy", "menu_delete", "delivery")},
    "canteen:week": one(**CANTEEN, day=TODAY),
    "canteen:sample": one(
        pk=lambda w: w.first("economy.Dish").menu.canteen_id, dish_pk="economy.Dish"
    ),
    "canteen:sample_discard": one(
        pk=lambda w: w.first("economy.FoodSample").dish.menu.canteen_id,
        sample_pk="economy.FoodSample",
    ),
    "canteen:day_xlsx": one(**CANTEEN, day=TODAY),
    "canteen:day_pdf": one(**CANTEEN, day=TODAY),
    "canteen:claims": one(**CANTEEN),
    **{
        f"canteen:{n}": one(
            pk=lambda w: w.first("economy.SubsidyClaim").canteen_id,
            claim_pk="economy.SubsidyClaim",
        )
        for n in ("claim", "claim_paid", "claim_xlsx", "claim_pdf")
    },
    "canteen:claim_month": one(**CANTEEN, month=MONTH),
    "canteen:cards": one(**CANTEEN),
    "canteen:card_issue": one(**CANTEEN),
    **{
        f"canteen:{n}": one(
            pk=lambda w: w.pk(
                "economy.Canteen", enterprise=w.first("economy.DinerCard").enterprise_id
            ),
            card_pk="economy.DinerCard",
        )
        for n in ("card", "card_top_up", "card_refund", "card_stop", "card_print")
    },
    **{
        f"counter:{n}": one(**CANTEEN)
        for n in ("page", "find", "add", "walk_in", "remove", "pay", "sales")
    },
    **{
        f"counter:{n}": one(pk=lambda w: w.first("economy.Sale").canteen_id, sale_pk="economy.Sale")
        for n in ("sale", "refund")
    },
    **{
        f"market:{n}": one(**ENTERPRISE)
        for n in [
            "products",
            "product_new",
            "receive",
            "count",
            "producers",
            "events",
            "sell",
            "sales",
            "sales_export",
        ]
    },
    "market:pay": one(
        pk=lambda w: w.first("economy.Producer").enterprise_id, producer_pk="economy.Producer"
    ),
    **{
        f"market:{n}": one(
            pk=lambda w: w.first("economy.MarketEvent").enterprise_id,
            event_pk="economy.MarketEvent",
        )
        for n in ("event", "event_import")
    },
    **{
        f"market:{n}": one(
            pk=lambda w: w.first("economy.ProductSale").enterprise_id,
            sale_pk="economy.ProductSale",
        )
        for n in ("sale", "sale_return", "sale_refund")
    },
    **{
        f"ledger:{n}": one(**ENTERPRISE)
        for n in ("month", "entry_add", "fund", "project_add", "fund_spend")
    },
    **{f"ledger:{n}": one(**ENTERPRISE, month=MONTH) for n in ("month_xlsx", "month_pdf")},
    **{
        f"ledger:{n}": one(**ENTERPRISE, year=YEAR)
        for n in ("year", "year_close", "year_xlsx", "year_pdf")
    },
    **{
        f"economy:{n}": one(**ENTERPRISE)
        for n in ("detail", "shareholders", "board_add", "partner_add", "line_add", "rate_set")
    },
    "economy:board_end": one(
        pk=lambda w: w.first("economy.BoardMember").enterprise_id, member="economy.BoardMember"
    ),
    "welfare:community": one(code=CODE),
    **{f"privacy:{n}": one(pk="people.Resident") for n in ("resident", "export", "correction")},
    "privacy:household": one(pk="places.Household"),
    "privacy:consent": one(pk="places.Household"),
    "privacy:withdraw": one(pk="devices.MonitoringConsent"),
    "cockpit-layer": _layers,
    "cockpit_kpis:drill": _drills,
    "cockpit_reports:pdf": one(pk="cockpit.ReportRun"),
    "cockpit_reports:xlsx": one(pk="cockpit.ReportRun"),
    **{
        f"screens:{n}": one(pk="cockpit.InfoScreen")
        for n in ("edit", "token", "preview", "preview_frame")
    },
    "screens:notice_edit": one(pk="cockpit.ScreenNotice"),
    "screens:notice_delete": one(pk="cockpit.ScreenNotice"),
    **{f"kiosk:{n}": one(token="cockpit.InfoScreen.token") for n in ("page", "content", "sw")},
}

#: Filled patterns where even a superuser gets 404, and why (the row has no such part).
INSIDER_404 = {
    "roster:errors": "the import has no error report (it never ran)",
    "engagement_policies:note_file": "the demo's policy notes carry no file",
    "cockpit_reports:pdf": "the report run has not been rendered (no PDF yet)",
    "cockpit_reports:xlsx": "the report run has not been rendered (no workbook yet)",
}

#: Patterns not requested, with the reason.
SKIP: dict[str, str] = {}

#: Patterns an anonymous visitor may open (200): public by design; their pages are still
#: checked for the residents' personal data.
PUBLIC = {
    "login",
    "metrics",  # Prometheus: local addresses (the test client is 127.0.0.1) or a token only
    "logout",
    "set_language",
    "schema",
    "api-docs",
    "api-redoc",
    "api-root",
    "accounts:login",
    "accounts:logout",
    "admin:login",
    "admin:logout",
    "admin:jsi18n",
    "report:start",
    "report:elder",
    "report:lookup",
    "report:status",
    *(f"open311:{n}" for n in ("discovery", "services", "service", "requests", "request", "token")),
    "yishi:board",
    "yishi_votes:result",
    "welfare:community",
    "kiosk:page",
    "kiosk:content",
    "kiosk:sw",
    "activities:list",
    "activities:detail",
    "activities:screen",
    "activities:feed",
    "activities_resident:feed",
    "parking_gate:ping",  # {"ok": true}: the gate benchmark's baseline
}

#: Public patterns whose address is the key (a signed or random token): the holder's own
#: data may appear (a personal calendar feed names its owner's registrations).
CAPABILITY = {"activities_resident:feed"}

#: The actors' client address: outside ``METRICS_ALLOW`` (TEST-NET-3, RFC 5737).
OUTSIDE_ADDR = "203.0.113.7"

#: Object pages a resident of the same community may open (the outsider resident lives
#: there, in another household): what the community shares with all its residents.
COMMUNITY_SHARED = {
    "resident_orders:service": "the service catalogue entry (no one's order)",
    "activities_resident:register": "a published activity's registration form",
    "resident_topics:topic": "a topic of the community's co-governance (topics_for_resident)",
}

LOGIN_PATHS = ("/accounts/login/", "/me/login/", "/admin/login/")


def admin_fill(p: Pattern, w: W) -> list[dict[str, Any]] | None:
    """Arguments of an admin pattern: ``object_id`` (and positional ids) → the first row
    of the model its path names (``admin/<app>/<model>/…``); ``None`` if not an admin one."""
    if not p.route.startswith("admin/"):
        return None
    if not p.args:
        return [{}]
    parts = p.route.split("/")
    if p.args == ("app_label",):
        return [{"app_label": "people"}]
    if p.args == ("url",):  # the admin's catch-all
        return [{"url": "people/resident/1/nothing/"}]
    if p.name == "admin:view_on_site":
        from django.contrib.contenttypes.models import ContentType

        return [
            {
                "content_type_id": ContentType.objects.get_for_model(Resident).pk,
                "object_id": w.pk("people.Resident"),
            }
        ]
    try:
        model = apps.get_model(parts[1], parts[2])
    except (IndexError, LookupError):
        return None
    row = model._default_manager.order_by("pk").first()
    pk = row.pk if row is not None else 999999
    values: dict[str, Any] = {}
    for name in p.args:
        if name == "_1" and hasattr(model, "history") and row is not None:
            hist = row.history.order_by("pk").first()  # type: ignore[union-attr]
            values[name] = hist.pk if hist else 999999
        else:
            values[name] = pk
    return [values]


def fill(p: Pattern, w: W) -> list[dict[str, Any]] | None:
    """The argument sets for ``p`` or ``None`` when no rule covers it."""
    if p.name in SKIP:
        return []
    admin = admin_fill(p, w)
    if admin is not None:
        return admin
    defaults = {"format": "json", "fmt": "json"}
    if p.name in ARGS:
        return [{**defaults, **v} for v in ARGS[p.name](w)]
    if set(p.args) <= set(defaults):
        return [defaults]
    return None


# --------------------------------------------------------------------------- requests


@dataclass
class Request:
    pattern: Pattern
    url: str


def requests_for(w: W, errors: list[str] | None = None) -> list[Request]:
    """The requests of every covered pattern; a rule that cannot fill its pattern is
    added to ``errors`` (or raised when ``errors`` is None)."""
    out: list[Request] = []
    for p in patterns():
        try:
            for values in fill(p, w) or []:
                out.append(Request(p, build_url(p, values)))
        except Exception as exc:
            if errors is None:
                raise
            errors.append(f"{p.name} {p.route}: {exc!r}")
    return out


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _leaks(response: Any, w: W) -> list[str]:
    """The fixture's secrets in the body (an .xlsx/.pdf is checked as raw bytes, so only
    text formats are really read; exports are also refused by status for outsiders)."""
    body = _body(response)
    return [s for s in w.secrets if s in body][:3]


def _to_login(response: Any) -> bool:
    location = response.get("Location", "")
    return response.status_code in (301, 302) and any(p in location for p in LOGIN_PATHS)


def _snapshot() -> dict[str, tuple[int, Any]]:
    """Row count and newest modification per model (audit/session/lock-out tables aside)."""
    ignore = (
        "sessions.",
        "axes.",
        "audit.",
        "django_q.",
        "common.PiiAccessLog",
        "accounts.OneTimeCode",
    )
    out: dict[str, tuple[int, Any]] = {}
    for model in apps.get_models():
        label = model._meta.label
        if label.startswith(ignore) or model._meta.proxy or not model._meta.managed:
            continue
        names = {f.name for f in model._meta.concrete_fields}
        stamp = next((n for n in ("updated_at", "modified", "updated") if n in names), None)
        qs = model._default_manager.all()
        out[label] = (qs.count(), qs.aggregate(m=models.Max(stamp))["m"] if stamp else None)
    return out


def _clients(w: W) -> dict[str, Client]:
    from linli.accounts.middleware import RESIDENT_SESSION_KEY

    anonymous = Client(raise_request_exception=False, REMOTE_ADDR=OUTSIDE_ADDR)
    staff = Client(raise_request_exception=False, REMOTE_ADDR=OUTSIDE_ADDR)
    staff.force_login(w.outsider_staff)
    resident = Client(raise_request_exception=False, REMOTE_ADDR=OUTSIDE_ADDR)
    resident.force_login(w.outsider_resident)
    session = resident.session
    session[RESIDENT_SESSION_KEY] = True
    session.save()
    return {"anonymous": anonymous, "outsider staff": staff, "outsider resident": resident}


def review(w: W, who: str, client: Client, requests: list[Request]) -> list[str]:
    """The problems ``who`` finds: GET then an empty POST on every request."""
    problems: list[str] = []
    area = f"?area={w.community.code}"
    admin_opened: set[str] = set()
    opened = 0
    for req in requests:
        label = f"{who} GET {req.url} ({req.pattern.name or req.pattern.route})"
        r = client.get(req.url + area)
        status = r.status_code
        opened += status == 200
        own = set(req.pattern.args) - {"format", "fmt"}
        if (
            status == 200
            and who != "anonymous"
            and own
            and not req.url.startswith("/admin/")
            and req.pattern.name not in PUBLIC
            and req.pattern.name not in COMMUNITY_SHARED
        ):
            problems.append(f"{label}: 200 on another street's / household's object")
        if status == 200 and req.url.startswith("/admin/"):
            admin_opened.add(req.url)
        if status >= 500:
            problems.append(f"{label}: {status}")
        elif status in (200, 206, 304) or 300 <= status < 400:
            if 300 <= status < 400 and who != "anonymous":
                pass  # a redirect elsewhere (e.g. /me/) shows nothing
            elif 300 <= status < 400:
                if not _to_login(r) and req.pattern.name not in PUBLIC:
                    problems.append(f"{label}: redirect to {r.get('Location')}")
            elif who == "anonymous" and req.pattern.name not in PUBLIC:
                problems.append(f"{label}: {status} to an anonymous visitor")
            if status == 200 and req.pattern.name not in CAPABILITY and (leaked := _leaks(r, w)):
                problems.append(f"{label}: shows {leaked}")
    if opened < {"outsider staff": 30, "outsider resident": 15}.get(who, 0):
        # Not vacuous: the outsider's own pages open (no forced set-up page in the way).
        problems.append(f"{who}: only {opened} pages answered 200")
    before = _snapshot()
    for req in requests:
        label = f"{who} POST {req.url} ({req.pattern.name or req.pattern.route})"
        if req.pattern.name in ("login", "accounts:login", "admin:login", "set_language"):
            continue
        if req.url.startswith("/admin/") and req.url not in admin_opened:
            continue  # the admin checks the same has_*_permission for GET and POST
        r = client.post(req.url)
        status = r.status_code
        if status >= 500:
            problems.append(f"{label}: {status}")
            continue
        if status in (400, 401, 403, 404, 405, 409, 422) or _to_login(r):
            continue
        after = _snapshot()
        changed = [k for k in after if after[k] != before.get(k)]
        if changed:
            problems.append(f"{label}: {status} and changed {changed[:4]}")
        before = after
        if status == 200 and (leaked := _leaks(r, w)):
            problems.append(f"{label}: shows {leaked}")
    return problems


# --------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """The demo street, built once for the module inside a transaction rolled back at
    the end (tests here only read and POST empty bodies)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("check", stdout=io.StringIO())
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def w(world: World) -> Iterator[World]:
    """The world inside the test's own transaction (pytest-django rolls it back)."""
    yield world
    world.cache.clear()


def test_every_pattern_is_reviewed(w: World) -> None:
    """Given every URL pattern, then each is argument-free, filled by ARGS or the admin
    rule, or skipped with a reason — a new page fails here until it is reviewed."""
    errors: list[str] = []
    requests_for(w, errors)
    assert not errors, "rules that cannot fill their pattern:\n" + "\n".join(errors)
    missing = [f"{p.name or '-'} {p.route}" for p in patterns() if fill(p, w) is None]
    assert not missing, "URL patterns without a rule in ARGS or SKIP:\n" + "\n".join(missing)
    stale = set(ARGS) - {p.name for p in patterns()}
    assert not stale, f"ARGS names no longer in urls: {sorted(stale)}"


def test_filled_arguments_name_real_rows(w: World) -> None:
    """Given a superuser, when every filled non-admin GET is requested, then none is a 404
    for a missing row: the table fills arguments the views know."""
    client = Client(raise_request_exception=False)
    client.force_login(w.superuser)
    bad: list[str] = []
    showing = 0
    for req in requests_for(w, bad):
        if req.pattern.route.startswith("admin/") or not req.pattern.args:
            continue
        r = client.get(req.url + f"?area={w.community.code}")
        showing += r.status_code == 200 and bool(_leaks(r, w))
        if r.status_code == 404 and req.pattern.name not in INSIDER_404:
            bad.append(f"{req.url} ({req.pattern.name})")
    assert not bad, "filled URLs the superuser gets 404 on:\n" + "\n".join(bad)
    # The leak detector works: the insider's pages do name the fixture's residents.
    assert showing >= 10, showing
    assert _leaks(client.get("/api/residents/", {"area": w.community.code}), w)


@pytest.mark.parametrize("who", ["anonymous", "outsider staff", "outsider resident"])
def test_outsiders_get_nothing(w: World, who: str) -> None:
    """Given an anonymous visitor / a staff user with every role in another street / a
    resident of another household, when each pattern is requested with GET and an empty
    POST, then they get a log-in redirect or 4xx, or a public page without the residents'
    personal data, and no row changes."""
    client = _clients(w)[who]
    problems = review(w, who, client, requests_for(w))
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
    assert connection.vendor in ("sqlite", "postgresql")
