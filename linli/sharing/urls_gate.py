"""Gate API for barrier cameras at /api/parking/ (:mod:`linli.sharing.api_gate`)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.sharing import api_gate

app_name = "parking_gate"
urlpatterns: list[URLPattern | URLResolver] = [
    path("gate/check", api_gate.check, name="check"),
    path("gate/pass", api_gate.passage, name="pass"),
    path("ping", api_gate.ping, name="ping"),
]
