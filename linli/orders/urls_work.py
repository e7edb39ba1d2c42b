"""Caregiver (worker) phone pages, mounted at ``/work/``."""

from django.urls import URLPattern, URLResolver

app_name = "work"

urlpatterns: list[URLPattern | URLResolver] = []
