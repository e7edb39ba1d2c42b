"""Template context: the signed-in user's unread notification count (one COUNT query)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from linli.notify.selectors import unread_count


def unread(request: HttpRequest) -> dict[str, object]:
    """``unread_notifications``: evaluated only if a template uses it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
