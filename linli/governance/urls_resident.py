"""Resident topic pages at /me/topics/ (raise, support, follow)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.governance import views_resident

app_name = "resident_topics"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_resident.home, name="home"),
    path("new/", views_resident.topic_new, name="topic_new"),
    path("<int:pk>/", views_resident.topic_detail, name="topic"),
    path("<int:pk>/support/", views_resident.topic_support, name="topic_support"),
    path("<int:pk>/withdraw/", views_resident.topic_withdraw, name="topic_withdraw"),
]
