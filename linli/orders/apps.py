from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "linli.orders"
    verbose_name = "居民服务"
