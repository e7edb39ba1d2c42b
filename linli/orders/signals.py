"""Remember at log-in whether the user is a caregiver, so every page's navigation can offer
「我的接单」 without a query (the session is read for each request anyway)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

#: Session key: ``True`` when the logged-in user has an active :class:`Worker` row.
WORKER_SESSION_KEY = "linli_worker"


@receiver(user_logged_in)
def remember_worker(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from linli.orders.models import Worker

    if request is not None and hasattr(request, "session"):
        request.session[WORKER_SESSION_KEY] = Worker.objects.filter(user=user, active=True).exists()
