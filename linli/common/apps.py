from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "linli.common"
    verbose_name = "公共"
