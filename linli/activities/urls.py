"""Public activity pages at ``/activities/`` (no log-in): list, detail, info screen, feed."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.activities import views

app_name = "activities"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.activity_list, name="list"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("screen/<slug:code>/", views.screen, name="screen"),
    path("<slug:code>.ics", views.community_feed, name="feed"),
]
