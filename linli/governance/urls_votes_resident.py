"""Resident voting pages at /me/votes/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.governance import views_votes_resident as views

app_name = "resident_votes"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("<int:pk>/", views.vote_page, name="vote"),
    path("<int:pk>/done/", views.vote_done, name="done"),
]
