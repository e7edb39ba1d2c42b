"""The site's URLs plus ``/me/`` (until ``linli/urls.py`` mounts it)."""

from django.urls import URLPattern, URLResolver, include, path

from linli.urls import urlpatterns as site_patterns

urlpatterns: list[URLPattern | URLResolver] = [
    path("me/", include("linli.accounts.urls")),
    *site_patterns,
]
