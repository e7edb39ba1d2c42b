"""URLs of the cockpit's KPI part (``/cockpit/kpis/``, namespace ``cockpit_kpis``)."""

from django.urls import URLPattern, URLResolver, path

from linli.cockpit import views_kpis

app_name = "cockpit_kpis"

urlpatterns: list[URLPattern | URLResolver] = [
    path("panels/", views_kpis.panels_partial, name="panels"),
    path("panels.json", views_kpis.panels_json, name="panels_json"),
    path("drill/<slug:key>/", views_kpis.drill, name="drill"),
]
