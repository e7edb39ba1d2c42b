"""URLs of the social enterprise: market pages (namespace ``market``, at ``/economy/market/``)."""

from django.urls import path

from linli.economy import views_market as views
from linli.economy import views_market_sales as sales

app_name = "market"

urlpatterns = [
    path("", views.home, name="home"),
    path("<int:pk>/", views.products, name="products"),
    path("<int:pk>/products/new/", views.product_new, name="product_new"),
    path("<int:pk>/stock/receive/", views.receive, name="receive"),
    path("<int:pk>/stock/count/", views.count, name="count"),
    path("<int:pk>/producers/", views.producers, name="producers"),
    path("<int:pk>/producers/<int:producer_pk>/pay/", views.pay, name="pay"),
    path("<int:pk>/events/", views.events, name="events"),
    path("<int:pk>/events/<int:event_pk>/", views.event_detail, name="event"),
    path("<int:pk>/events/<int:event_pk>/import/", views.event_import, name="event_import"),
    path("<int:pk>/sell/", sales.sell, name="sell"),
    path("<int:pk>/sales/", sales.sales, name="sales"),
    path("<int:pk>/sales/export.xlsx", sales.sales_export, name="sales_export"),
    path("<int:pk>/sales/<int:sale_pk>/", sales.sale_detail, name="sale"),
    path("<int:pk>/sales/<int:sale_pk>/return/", sales.sale_return, name="sale_return"),
    path("<int:pk>/sales/<int:sale_pk>/refund/", sales.sale_refund, name="sale_refund"),
]
