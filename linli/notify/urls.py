"""The in-app inbox: ``path("notifications/", include("linli.notify.urls"))``."""

from django.urls import path

from linli.notify import views

urlpatterns = [
    path("", views.inbox, name="notification-inbox"),
    path("<int:notification_id>/read/", views.mark_read, name="notification-read"),
    path("read-all/", views.mark_all_read, name="notification-read-all"),
]
