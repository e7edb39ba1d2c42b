"""Staff order pages (list, order on behalf from a phone call, detail), mounted at ``/orders/``."""

from django.urls import URLPattern, URLResolver, path

from linli.orders import views_staff

app_name = "staff_orders"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_staff.order_list, name="list"),
    path("new/", views_staff.order_new, name="new"),
    path("<int:pk>/", views_staff.order_detail, name="detail"),
    path("<int:pk>/cancel/", views_staff.order_cancel_view, name="cancel"),
    path("<int:pk>/redispatch/", views_staff.order_redispatch_view, name="redispatch"),
]
