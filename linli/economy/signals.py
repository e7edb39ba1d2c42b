"""Remember at log-in whether the user works for a social enterprise, so the navigation
shows 「社会企业」 without a query on every page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

#: Session key: ``True`` when the user may operate at least one social enterprise.
ECONOMY_SESSION_KEY = "linli_economy"


@receiver(user_logged_in)
def remember_economy(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from linli.economy.access import enterprises_for

    if request is not None and hasattr(request, "session"):
        request.session[ECONOMY_SESSION_KEY] = enterprises_for(user).exists()
