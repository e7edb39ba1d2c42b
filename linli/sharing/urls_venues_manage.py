"""Staff venue bookings and approvals at /venues/manage/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.sharing import views_venues_manage as views

app_name = "venues_manage"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("bookings/", views.bookings, name="bookings"),
    path("bookings/<int:pk>/approve/", views.approve, name="approve"),
    path("bookings/<int:pk>/reject/", views.reject, name="reject"),
    path("bookings/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("venue/<int:pk>/", views.venue, name="venue"),
    path("venue/<int:pk>/rule/", views.rule, name="rule"),
]
