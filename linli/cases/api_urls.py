"""REST routes of cases, mounted at ``/api/cases/`` (see :mod:`linli.cases.api`)."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from linli.cases import api

router = SimpleRouter()
router.register("", api.CaseViewSet, basename="case")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
