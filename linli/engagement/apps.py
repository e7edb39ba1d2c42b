from django.apps import AppConfig


class EngagementConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "linli.engagement"
    verbose_name = "楼宇经济与企业服务"

    def ready(self) -> None:
        # Re-match policies when organisations or their disabled employees change.
        from linli.engagement import signals  # noqa: F401
