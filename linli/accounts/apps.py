from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "linli.accounts"
    verbose_name = "居民账号"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from linli.accounts.lockout import record_locked_out

        user_locked_out.connect(record_locked_out, dispatch_uid="linli.accounts.locked_out")
