from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "linli.orders"
    verbose_name = "居民服务"

    def ready(self) -> None:
        from linli.orders import signals  # noqa: F401  (connects the log-in receiver)
