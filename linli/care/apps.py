from django.apps import AppConfig


class CareConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "linli.care"
    verbose_name = "主动关怀"

    def ready(self) -> None:
        # Registers the device on_stored hook; connects the log-in receiver.
        from linli.care import live, signals  # noqa: F401
