"""Roster import pages (upload → preview → confirm)."""

from django.urls import path

from linli.people.roster import views

app_name = "roster"

urlpatterns = [
    path("import/", views.upload, name="upload"),
    path("import/<int:pk>/", views.detail, name="detail"),
    path("import/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("import/<int:pk>/progress/", views.progress, name="progress"),
    path("import/<int:pk>/errors.xlsx", views.errors, name="errors"),
    path("export/", views.export, name="export"),
]
