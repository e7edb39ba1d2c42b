"""Enterprise contact pages of policies (see :mod:`linli.engagement.views_biz_policies`)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.engagement import views_biz_policies as views

app_name = "engagement_biz_policies"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.policy_list, name="list"),
    path("<int:pk>/", views.policy_detail, name="detail"),
    path("<int:pk>/apply/", views.policy_apply, name="apply"),
    path("notes/<int:pk>/file/", views.note_file, name="note_file"),
]
