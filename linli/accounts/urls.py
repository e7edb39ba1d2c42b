"""Resident account pages, mounted at ``/me/``."""

from django.urls import URLPattern, URLResolver, path

from linli.accounts import views

app_name = "accounts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.me, name="me"),
    path("messages/", views.messages_page, name="messages"),
    path("messages/<int:pk>/open/", views.message_open, name="message_open"),
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
]
