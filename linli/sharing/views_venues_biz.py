"""Enterprise venue booking at ``/biz/venues/`` (namespace ``biz_venues``): an enterprise
contact books for their organisation.

* ``/biz/venues/`` — venues our community lets enterprises book, our bookings;
* ``/biz/venues/<pk>/?day=`` — free times that day, the request form (``org`` chooses
  the organisation when the contact has several);
* ``/biz/venues/bookings/<pk>/`` and ``…/cancel/`` — one booking, cancel on its own page.

Who: enterprise contacts (:func:`linli.engagement.views_biz.contact_required`: log-in,
else 403). Venues and bookings of other organisations are 404. Same templates as the
resident pages (:mod:`linli.sharing.views_venues_resident`) on the /biz/ base.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from linli.activities.models import Venue
from linli.cases.views_public import is_elder
from linli.engagement.views_biz import contact_required
from linli.orgs.models import Organization
from linli.sharing import venue_selectors as selectors
from linli.sharing.models import VenueBooking
from linli.sharing.venues import venue_booking_request
from linli.sharing.views_venues_resident import cancel_page, rows, venue_page

BASE = "engagement/biz/base.html"


def _orgs(request: HttpRequest) -> list[Organization]:
    return request.linli_orgs  # type: ignore[attr-defined, no-any-return]


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {
        **context,
        "base": BASE,
        "ns": "biz_venues",
        "elder": is_elder(request),
        "orgs": _orgs(request),
        "nav": "venues",
    }
    return render(request, template, context, status=status)


def _venues(request: HttpRequest) -> dict[int, tuple[Venue, list[Organization]]]:
    """Venues any of the contact's organisations may book → (venue, those organisations)."""
    found: dict[int, tuple[Venue, list[Organization]]] = {}
    for org in _orgs(request):
        for venue in selectors.venues_for_organization(org):
            found.setdefault(venue.pk, (venue, []))[1].append(org)
    return found


@require_safe
@contact_required
def home(request: HttpRequest) -> HttpResponse:
    venues = sorted((v for v, _ in _venues(request).values()), key=lambda v: (v.name, v.pk))
    bookings = selectors.bookings_of_organizations(_orgs(request))[:50]
    return _render(request, "sharing/venues/home.html", {"venues": venues, "rows": rows(bookings)})


@require_http_methods(["GET", "HEAD", "POST"])
@contact_required
def venue(request: HttpRequest, pk: int) -> HttpResponse:
    found = _venues(request).get(pk)
    if found is None:
        raise Http404("没有找到这个场地")
    place, orgs = found
    wanted = request.POST.get("org") or request.GET.get("org") or ""
    org = next((o for o in orgs if str(o.pk) == wanted), orgs[0])

    def book(data: dict[str, Any]) -> VenueBooking:
        return venue_booking_request(
            actor=request.user,
            venue=place,
            purpose=data["purpose"],
            attendees=data["attendees"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            organization=org,
        )

    extra = {"book_orgs": orgs, "chosen_org": org}
    return venue_page(request, place, _render, book, "biz_venues:booking", extra)


def _booking(request: HttpRequest, pk: int) -> VenueBooking:
    booking = selectors.bookings_of_organizations(_orgs(request)).filter(pk=pk).first()
    if booking is None:
        raise Http404("没有找到这个预约")
    return booking


@require_safe
@contact_required
def booking(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(
        request, "sharing/venues/booking.html", {"row": rows([_booking(request, pk)])[0]}
    )


@require_http_methods(["GET", "HEAD", "POST"])
@contact_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return cancel_page(request, _booking(request, pk), _render, "biz_venues:booking")
