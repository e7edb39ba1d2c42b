"""URL skeleton; filled in by the views of this module."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "activities"
urlpatterns: list[URLPattern | URLResolver] = []
