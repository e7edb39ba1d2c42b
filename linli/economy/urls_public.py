"""URLs of the social enterprise: public pages (namespace ``welfare``, at ``/gongyi/``)."""

from django.urls import path

from linli.economy import views_public as views

app_name = "welfare"

urlpatterns = [
    path("<str:code>/", views.community, name="community"),
]
