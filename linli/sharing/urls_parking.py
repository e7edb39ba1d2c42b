"""Staff parking pages at /parking/ (lots, spaces, bookings, occupancy and sharing gain)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.sharing import views_parking as v

app_name = "parking"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", v.home, name="home"),
    path("lots/<int:pk>/", v.lot_detail, name="lot"),
    path("lots/<int:pk>/spaces/new/", v.space_new, name="space_new"),
    path("lots/<int:pk>/spaces/<int:space_pk>/windows/", v.space_windows, name="space_windows"),
    path("bookings/", v.bookings, name="bookings"),
    path("bookings/export.xlsx", v.bookings_export, name="bookings_export"),
    path("bookings/<int:pk>/", v.booking_detail, name="booking"),
    path("bookings/<int:pk>/arrive/", v.booking_arrive, name="booking_arrive"),
    path("bookings/<int:pk>/leave/", v.booking_leave, name="booking_leave"),
    path("bookings/<int:pk>/cancel/", v.booking_cancel, name="booking_cancel"),
    path("occupancy/", v.occupancy_report, name="occupancy"),
    path("occupancy/export.xlsx", v.occupancy_export, name="occupancy_export"),
]
