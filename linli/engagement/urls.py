"""Staff pages of needs, the service menu and building councils, mounted at ``/engagement/``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.engagement import views

app_name = "engagement"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.need_list, name="needs"),
    path("needs/export.xlsx", views.need_export, name="needs_export"),
    path("needs/new/", views.need_new, name="need_new"),
    path("needs/<int:pk>/", views.need_detail, name="need"),
    path("needs/<int:pk>/move/", views.need_move, name="need_move"),
    path("menu/", views.menu_list, name="menu"),
    path("menu/new/", views.menu_new, name="menu_new"),
    path("menu/<int:pk>/edit/", views.menu_edit, name="menu_edit"),
    path("menu/<int:pk>/retire/", views.menu_retire, name="menu_retire"),
    path("councils/", views.council_list, name="councils"),
    path("councils/new/", views.council_new, name="council_new"),
    path("councils/<int:pk>/", views.council_detail, name="council"),
    path("councils/<int:pk>/edit/", views.council_edit, name="council_edit"),
]
