"""URLs of the cockpit's circle part: ``/cockpit/circle/`` (the 15-minute service circle)."""

from django.urls import URLPattern, URLResolver, path

from linli.cockpit import views_circle

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_circle.circle_page, name="cockpit-circle"),
]
