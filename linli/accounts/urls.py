"""Resident account pages, mounted at ``/me/``."""

from django.urls import URLPattern, URLResolver, path

from linli.accounts import views

app_name = "accounts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.me, name="me"),
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
]
