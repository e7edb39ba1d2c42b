"""Resident parking pages at /me/parking/ (vehicles, my space's windows, book, my bookings)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.sharing import views_parking_resident as v

app_name = "resident_parking"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", v.home, name="home"),
    path("vehicles/new/", v.vehicle_new, name="vehicle_new"),
    path("vehicles/<int:pk>/remove/", v.vehicle_remove, name="vehicle_remove"),
    path("spaces/<int:pk>/windows/", v.space_windows, name="space_windows"),
    path("book/", v.book, name="book"),
    path("book/confirm/", v.book_confirm, name="book_confirm"),
    path("bookings/<int:pk>/", v.booking_detail, name="booking"),
    path("bookings/<int:pk>/cancel/", v.booking_cancel, name="booking_cancel"),
]
