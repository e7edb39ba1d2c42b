"""Caregiver (worker) phone pages, mounted at ``/work/`` (:mod:`linli.orders.views_work`)."""

from django.urls import URLPattern, URLResolver, path

from linli.orders import views_work

app_name = "work"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_work.today, name="today"),
    path("offer/", views_work.offer_area, name="offer_area"),
    path("status/", views_work.status_set, name="status"),
    path("ping", views_work.ping, name="ping"),
    path("orders/<int:pk>/", views_work.order_detail, name="order"),
    path("orders/<int:pk>/accept/", views_work.accept, name="accept"),
    path("orders/<int:pk>/decline/", views_work.decline, name="decline"),
    *[
        path(f"orders/<int:pk>/{step}/", views_work.order_step, {"step": step}, name=step)
        for step in views_work.STEPS
    ],
]
