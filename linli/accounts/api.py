"""``POST /api/auth/token/``: DRF's token log-in under the same lock-out as the log-in page.

DRF authenticates with its own ``Request`` object, so django-axes flags the lock-out there
and its middleware (which sees Django's request) cannot answer for it; this view does:
status 429 and the Chinese lock-out sentence (:func:`linli.accounts.lockout.locked_message`).
"""

from __future__ import annotations

from typing import Any

from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from linli.accounts.lockout import LOCKED_STATUS, locked_message, retry_at


class LockedObtainAuthToken(ObtainAuthToken):
    """DRF's ``ObtainAuthToken``; a locked (username, address) pair gets 429, never a token."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            if getattr(request, "axes_locked_out", False):
                return Response({"detail": locked_message(retry_at())}, status=LOCKED_STATUS)
            raise


obtain_auth_token = LockedObtainAuthToken.as_view()
