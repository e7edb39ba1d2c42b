from django.apps import AppConfig


class CareConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "linli.care"
    verbose_name = "主动关怀"

    def ready(self) -> None:
        from linli.care import live  # noqa: F401  (registers the device on_stored hook)
