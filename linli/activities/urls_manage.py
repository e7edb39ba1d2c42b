"""Organiser and staff pages of activities (``/activities/manage/``); see
:mod:`linli.activities.views_manage`. ``checkin`` is the URL every QR ticket encodes."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.activities import views_manage as views

app_name = "activities_manage"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_new, name="new"),
    path("checkin/<uuid:token>/", views.checkin_view, name="checkin"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/publish/", views.activity_publish_view, name="publish"),
    path("<int:pk>/capacity/", views.activity_capacity_view, name="capacity"),
    path("<int:pk>/cancel/", views.activity_cancel_view, name="cancel"),
    path(
        "<int:pk>/registrations/<int:rid>/cancel/",
        views.registration_cancel_view,
        name="registration_cancel",
    ),
    path("<int:pk>/register/", views.register_one, name="register"),
    path("<int:pk>/bulk/", views.register_bulk, name="bulk"),
    path("<int:pk>/attendance/", views.attendance_view, name="attendance"),
    path("<int:pk>/door/", views.door, name="door"),
    path("<int:pk>/door/count/", views.door_count_view, name="door_count"),
    path("<int:pk>/export.xlsx", views.export_view, name="export"),
]
