"""Resident venue booking at /me/venues/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.sharing import views_venues_resident as views

app_name = "resident_venues"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("<int:pk>/", views.venue, name="venue"),
    path("bookings/<int:pk>/", views.booking, name="booking"),
    path("bookings/<int:pk>/cancel/", views.cancel, name="cancel"),
]
