"""Resident ordering pages (elder-friendly), mounted at ``/me/`` beside the account pages."""

from django.urls import URLPattern, URLResolver, path

from linli.orders import views_resident as views

app_name = "resident_orders"

urlpatterns: list[URLPattern | URLResolver] = [
    path("services/", views.services, name="services"),
    path("services/<slug:code>/", views.service_order, name="service"),
    path("orders/", views.orders, name="orders"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/live/", views.order_live, name="order_live"),
    path("orders/<int:pk>/cancel/", views.order_cancel_page, name="cancel"),
    path("orders/<int:pk>/rate/", views.order_rate_page, name="rate"),
]
