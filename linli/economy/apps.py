from django.apps import AppConfig


class EconomyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "linli.economy"
    verbose_name = "社区社会企业"

    def ready(self) -> None:
        from linli.economy import signals  # noqa: F401  (registers the log-in receiver)
