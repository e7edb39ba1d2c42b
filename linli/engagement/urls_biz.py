"""Enterprise contact pages (needs, the service menu), mounted at ``/biz/``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.engagement import views_biz

app_name = "engagement_biz"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_biz.home, name="home"),
    path("menu/", views_biz.menu, name="menu"),
    path("needs/new/", views_biz.need_new, name="need_new"),
    path("needs/<int:pk>/", views_biz.need_detail, name="need"),
    path("needs/<int:pk>/rate/", views_biz.need_rate, name="need_rate"),
]
