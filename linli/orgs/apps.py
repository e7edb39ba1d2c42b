from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "linli.orgs"
    verbose_name = "实有单位"
