"""Resident needs pages, mounted at ``/me/needs/``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.engagement import views_resident

app_name = "resident_needs"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_resident.home, name="home"),
    path("new/", views_resident.need_new, name="need_new"),
    path("<int:pk>/", views_resident.need_detail, name="need"),
    path("<int:pk>/rate/", views_resident.need_rate, name="need_rate"),
]
