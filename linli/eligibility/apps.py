from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "linli.eligibility"
    verbose_name = "资格与价格"
