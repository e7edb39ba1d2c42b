"""Staff pages of the public info screens at ``/cockpit/screens/`` (namespace ``screens``);
see :mod:`linli.cockpit.views_screens`."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.cockpit import views_screens as views

app_name = "screens"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.screen_list, name="list"),
    path("new/", views.screen_edit, name="new"),
    path("<int:pk>/edit/", views.screen_edit, name="edit"),
    path("<int:pk>/token/", views.screen_token, name="token"),
    path("<int:pk>/preview/", views.screen_preview, name="preview"),
    path("<int:pk>/preview/frame/", views.screen_preview_frame, name="preview_frame"),
    path("notices/new/", views.notice_edit, name="notice_new"),
    path("notices/<int:pk>/edit/", views.notice_edit, name="notice_edit"),
    path("notices/<int:pk>/delete/", views.notice_delete, name="notice_delete"),
]
