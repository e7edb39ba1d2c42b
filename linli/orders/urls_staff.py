"""Staff order pages (list, order on behalf from a phone call, detail), mounted at ``/orders/``."""

from django.urls import URLPattern, URLResolver

app_name = "staff_orders"

urlpatterns: list[URLPattern | URLResolver] = []
