"""Resident ordering pages (elder-friendly), mounted at ``/me/`` beside the account pages."""

from django.urls import URLPattern, URLResolver

app_name = "resident_orders"

urlpatterns: list[URLPattern | URLResolver] = []
