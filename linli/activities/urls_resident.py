"""Resident activity pages at ``/me/activities/`` (elder-friendly) and the private feed."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.activities import views_resident as views

app_name = "activities_resident"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.mine, name="mine"),
    path("<int:pk>/register/", views.register, name="register"),
    path("ticket/<uuid:token>/", views.ticket, name="ticket"),
    path("ticket/<uuid:token>/cancel/", views.cancel, name="cancel"),
    path("ticket/<uuid:token>/feedback/", views.feedback, name="feedback"),
    path("calendar/<str:signed>.ics", views.feed, name="feed"),
]
