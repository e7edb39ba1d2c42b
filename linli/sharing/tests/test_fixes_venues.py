"""Fixes of the venue pages: the request form's date is an ISO date the browser's
``<input type=date>`` accepts, and it is the day the resident chose to look at."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from linli.sharing.forms_venues import BookingForm, DayForm, StaffBookingForm
from linli.sharing.tests.fixtures_venues import VenueScene, local_at, venues

__all__ = ["venues"]

pytestmark = pytest.mark.django_db


def test_every_date_and_time_input_renders_the_browser_format() -> None:
    day = local_at(3, 0).date()
    for form in (
        BookingForm(initial={"day": day, "starts": local_at(3, 9).time()}),
        StaffBookingForm(initial={"day": day, "starts": local_at(3, 9).time()}),
    ):
        html = str(form["day"])
        assert f'value="{day:%Y-%m-%d}"' in html, html
        assert 'value="09:00"' in str(form["starts"])
    assert f'value="{day:%Y-%m-%d}"' in str(DayForm(initial={"day": day})["day"])


def test_the_resident_form_date_is_the_day_being_looked_at(
    client: Client, venues: VenueScene
) -> None:
    client.force_login(venues.wang_user)
    day = f"{local_at(4, 0):%Y-%m-%d}"
    url = reverse("resident_venues:venue", args=[venues.room.pk])
    page = client.get(url, {"day": day}).content.decode()
    assert f'type="date" name="day" value="{day}"' in page  # the 日期 of the form
    assert "/" not in page.split('id="booking-form"')[1].split('name="day"')[1][:40]


def test_the_staff_form_date_is_the_day_being_looked_at(client: Client, venues: VenueScene) -> None:
    client.force_login(venues.admin)
    day = f"{local_at(5, 0):%Y-%m-%d}"
    url = reverse("venues_manage:venue", args=[venues.room.pk])
    page = client.get(url, {"day": day}).content.decode()
    form = page.split('id="booking-form"')[1] if 'id="booking-form"' in page else page
    assert f'name="day" value="{day}"' in form


def test_a_bad_day_to_look_at_falls_back_to_today_in_iso(
    client: Client, venues: VenueScene
) -> None:
    client.force_login(venues.wang_user)
    url = reverse("resident_venues:venue", args=[venues.room.pk])
    response = client.get(url, {"day": "2026/13/45"})
    assert response.status_code == 200
    assert f'name="day" value="{local_at(0, 0):%Y-%m-%d}"' in response.content.decode()
