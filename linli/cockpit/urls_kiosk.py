"""Public info screens at ``/screen/`` (namespace ``kiosk``, no log-in); see
:mod:`linli.cockpit.views_kiosk`."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.cockpit import views_kiosk as views

app_name = "kiosk"
urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:token>/", views.page, name="page"),
    path("<str:token>/content.json", views.content, name="content"),
    path("<str:token>/sw.js", views.service_worker, name="sw"),
]
