"""Remember at log-in whether the user is a caregiver and whether their roles use the
registry, so every page's navigation shows 「我的接单」 and hides pages they cannot use
without a query (the session is read for each request anyway)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

#: Session key: ``True`` when the logged-in user has an active :class:`Worker` row.
WORKER_SESSION_KEY = "linli_worker"
#: Session key: ``True`` when the user may browse the registry (:func:`can_view_registry`).
REGISTRY_SESSION_KEY = "linli_registry"
#: Session key: ``True`` when the user is an enterprise contact (the /biz/ pages).
BIZ_SESSION_KEY = "linli_biz"


@receiver(user_logged_in)
def remember_worker(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from linli.orders.models import Worker
    from linli.people.models import Role
    from linli.people.scoping import can_view_registry, roles

    if request is not None and hasattr(request, "session"):
        request.session[WORKER_SESSION_KEY] = Worker.objects.filter(user=user, active=True).exists()
        request.session[REGISTRY_SESSION_KEY] = can_view_registry(user)
        request.session[BIZ_SESSION_KEY] = Role.ENTERPRISE_CONTACT in roles(user)
