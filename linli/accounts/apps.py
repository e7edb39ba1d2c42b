from typing import Any

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "linli.accounts"
    verbose_name = "居民账号"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from linli.accounts.lockout import record_locked_out

        user_locked_out.connect(record_locked_out, dispatch_uid="linli.accounts.locked_out")
        user_logged_in.connect(_start_idle_clock, dispatch_uid="linli.accounts.idle_clock")


def _start_idle_clock(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    """Every log-in (pages, API sessions, tests' ``force_login``) starts the idle clock, so
    the first requests after it need no session write."""
    from linli.accounts.staff_middleware import mark_active

    if request is not None and hasattr(request, "session"):
        mark_active(request)
