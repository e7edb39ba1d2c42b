"""Roster import pages (upload → preview → confirm)."""

urlpatterns: list = []
