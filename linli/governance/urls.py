"""Staff deliberation pages at /governance/ (topics, meetings, decisions, follow-ups)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.governance import views, views_meetings

app_name = "governance"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("export/", views.export, name="export"),
    path("overdue/", views.overdue, name="overdue"),
    path("topics/new/", views.topic_new, name="topic_new"),
    path("topics/<int:pk>/", views.topic_detail, name="topic"),
    path("topics/<int:pk>/schedule/", views.topic_schedule, name="topic_schedule"),
    path("topics/<int:pk>/decline/", views.topic_decline, name="topic_decline"),
    path("topics/<int:pk>/support/", views.topic_support, name="topic_support"),
    path("meetings/", views_meetings.meetings, name="meetings"),
    path("meetings/<int:pk>/", views_meetings.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/participants/", views_meetings.participant_add, name="participant_add"),
    path("meetings/<int:pk>/hold/", views_meetings.meeting_hold, name="meeting_hold"),
    path("meetings/<int:pk>/cancel/", views_meetings.meeting_cancel, name="meeting_cancel"),
    path("meetings/<int:pk>/decisions/", views_meetings.decision_new, name="decision_new"),
    path(
        "meetings/<int:pk>/decisions/<int:decision_pk>/follow-ups/",
        views_meetings.followup_new,
        name="followup_new",
    ),
    path(
        "follow-ups/<int:pk>/progress/", views_meetings.followup_progress, name="followup_progress"
    ),
]
