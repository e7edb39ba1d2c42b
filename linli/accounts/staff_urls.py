"""Staff log-in pages, mounted at ``/accounts/`` (names without namespace: ``login`` …)."""

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path

from linli.accounts import staff_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", staff_views.StaffLoginView.as_view(), name="login"),
    path("login/totp/", staff_views.login_totp, name="login_totp"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        staff_views.StaffPasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/change/done/",
        staff_views.StaffPasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("totp/", staff_views.totp_setup, name="totp_setup"),
]
