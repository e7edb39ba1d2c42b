"""Staff pages of the policy library (see :mod:`linli.engagement.views_policies`)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.engagement import views_policies as views

app_name = "engagement_policies"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.policy_list, name="list"),
    path("new/", views.policy_new, name="new"),
    path("<int:pk>/", views.policy_detail, name="detail"),
    path("<int:pk>/edit/", views.policy_edit, name="edit"),
    path("<int:pk>/notes/", views.policy_note, name="note_add"),
    path("<int:pk>/match/", views.policy_rematch, name="rematch"),
    path("<int:pk>/matches.xlsx", views.matches_export, name="export"),
    path("matches/<int:pk>/<str:action>/", views.match_action, name="match_action"),
    path("notes/<int:pk>/file/", views.note_file, name="note_file"),
]
