"""Remember at log-in whether the user may use the care pages, so every page's navigation
shows 「关怀守护」 without a query (the session is read for each request anyway)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

#: Session key: ``True`` when :func:`linli.care.views.may_use_care` holds for the user.
CARE_SESSION_KEY = "linli_care"


@receiver(user_logged_in)
def remember_care(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from linli.care.views import may_use_care

    if request is not None and hasattr(request, "session"):
        request.session[CARE_SESSION_KEY] = may_use_care(user)
