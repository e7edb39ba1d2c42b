from django.apps import AppConfig


class AuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "linli.audit"
    verbose_name = "安全审计"

    def ready(self) -> None:
        """Refuse a retention below the legal floor at start-up; connect the receivers."""
        from django.conf import settings

        from linli.audit import signals
        from linli.audit.services import check_keep_days

        check_keep_days(settings.AUDIT_KEEP_DAYS)
        signals.connect()
