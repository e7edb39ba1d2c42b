"""REST API routes under /api/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from linli.accounts.api import obtain_auth_token  # locked out like the log-in page
from linli.people import api

router = DefaultRouter()
router.register("areas", api.AreaViewSet, basename="area")
router.register("buildings", api.BuildingViewSet, basename="building")
router.register("households", api.HouseholdViewSet, basename="household")
router.register("residents", api.ResidentViewSet, basename="resident")
router.register("organizations", api.OrganizationViewSet, basename="organization")
router.register("facilities", api.FacilityViewSet, basename="facility")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    *router.urls,
]
