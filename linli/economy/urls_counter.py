"""URLs of the canteen counter at ``/economy/counter/`` (namespace ``counter``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from linli.economy import views_counter as v

app_name = "counter"

urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:pk>/", v.page, name="page"),
    path("<int:pk>/find/", v.find, name="find"),
    path("<int:pk>/add/", v.add, name="add"),
    path("<int:pk>/walk-in/", v.walk_in, name="walk_in"),
    path("<int:pk>/remove/", v.remove, name="remove"),
    path("<int:pk>/pay/", v.pay, name="pay"),
    path("<int:pk>/sales/", v.sales, name="sales"),
    path("<int:pk>/sales/<int:sale_pk>/", v.sale, name="sale"),
    path("<int:pk>/sales/<int:sale_pk>/refund/", v.sale_refund, name="refund"),
]
