"""Public deliberation board at /yishi/ (decisions and follow-up progress)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.governance import views_public

app_name = "yishi"
urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:code>/", views_public.board, name="board"),
]
