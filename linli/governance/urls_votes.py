"""Staff vote pages at /governance/votes/ (create, publish, paper ballots, count)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.governance import views_votes as views

app_name = "governance_votes"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("new/", views.vote_new, name="new"),
    path("<int:pk>/", views.vote_detail, name="vote"),
    path("<int:pk>/publish/", views.vote_publish, name="publish"),
    path("<int:pk>/count/", views.vote_count, name="count"),
    path("<int:pk>/cancel/", views.vote_cancel, name="cancel"),
    path("<int:pk>/paper/", views.paper_ballot, name="paper"),
    path("<int:pk>/tally/", views.paper_tally, name="tally"),
    path("<int:pk>/participations.xlsx", views.participations_xlsx, name="export"),
    path("<int:pk>/result/", views.vote_result, name="result"),
]
