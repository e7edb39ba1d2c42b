"""Only the pages the inbox and back-office tests need; other apps' URLs stay out."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("notifications/", include("linli.notify.urls")),
    path("admin/", admin.site.urls),
]
