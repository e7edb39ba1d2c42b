from django.apps import AppConfig


class SharingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "linli.sharing"
    verbose_name = "错峰停车与场地预约"
