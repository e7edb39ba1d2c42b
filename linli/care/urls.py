"""Care pages for staff and micro-grid workers, mounted at ``/care/``."""

from django.urls import URLPattern, URLResolver, path

from linli.care import views

app_name = "care"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.watch_home, name="home"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("alerts/<int:pk>/ack/", views.alert_ack, name="ack"),
    path("alerts/<int:pk>/note/", views.alert_note, name="note"),
    path("alerts/<int:pk>/resolve/", views.alert_resolve, name="resolve"),
    path("alerts/<int:pk>/case/", views.alert_case, name="case"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/watch/", views.resident_watch, name="watch"),
    path("residents/<int:pk>/away/", views.resident_away, name="away"),
    path("away/<int:pk>/end/", views.away_end, name="away_end"),
]
