from django.urls import path

from linli.devices import views

app_name = "devices"
urlpatterns = [path("events", views.events_receive, name="events")]
