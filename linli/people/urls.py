"""Staff pages of the registry."""

from django.urls import include, path

from linli.people import views

urlpatterns = [
    path("", views.home, name="home"),
    path("people/", views.resident_list, name="people-list"),
    path("", include("linli.people.urls_privacy")),
]
