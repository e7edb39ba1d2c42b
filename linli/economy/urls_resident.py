"""Residents' canteen page (namespace ``resident_canteen``), mounted at ``/me/canteen/``."""

from django.urls import path

from linli.economy import views_resident

app_name = "resident_canteen"

urlpatterns = [path("", views_resident.home, name="home")]
