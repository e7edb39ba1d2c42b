"""URLs of the cockpit's map part: the page, its area picker and the map layers."""

from django.urls import URLPattern, URLResolver, path

from linli.cockpit import views_map

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_map.home, name="cockpit-home"),
    path("picker/", views_map.picker, name="cockpit-picker"),
    path("layers/version", views_map.layer_versions, name="cockpit-layer-versions"),
    path("layers/<slug:name>.geojson", views_map.layer, name="cockpit-layer"),
]
