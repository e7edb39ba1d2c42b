from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "linli.cases"
    verbose_name = "网格事件"
