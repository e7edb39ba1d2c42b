"""URLs of the social enterprise: company pages (namespace ``economy``, at ``/economy/``)."""

from django.urls import path

from linli.economy import views_company as views

app_name = "economy"

urlpatterns = [
    path("", views.home, name="home"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/shareholders/", views.shareholders, name="shareholders"),
    path("<int:pk>/board/", views.board_add, name="board_add"),
    path("<int:pk>/board/<int:member>/end/", views.board_end, name="board_end"),
    path("<int:pk>/partners/", views.partner_add, name="partner_add"),
    path("<int:pk>/lines/", views.line_add, name="line_add"),
    path("<int:pk>/rate/", views.rate_set, name="rate_set"),
]
