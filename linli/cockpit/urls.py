"""``/cockpit/``: the operations screen and what hangs off it."""

from django.urls import include, path

urlpatterns = [
    path("", include("linli.cockpit.urls_map")),
    path("kpis/", include("linli.cockpit.urls_kpis")),
    path("circle/", include("linli.cockpit.urls_circle")),
    path("reports/", include("linli.cockpit.urls_reports")),
    path("screens/", include("linli.cockpit.urls_screens")),
]
