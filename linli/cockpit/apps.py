from django.apps import AppConfig


class CockpitConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "linli.cockpit"
    verbose_name = "一网统管"
