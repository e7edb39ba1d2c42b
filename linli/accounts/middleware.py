"""Keep resident users (logged in by one-time code) on the resident pages.

Staff pages only ask for a log-in; a resident's session must not open them, nor the API
(which also accepts sessions). The log-in view marks the session with
:data:`RESIDENT_SESSION_KEY`, so this check costs no query. Page requests elsewhere go
to ``/me/``; other requests (API, POST) get 403.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect

RESIDENT_SESSION_KEY = "linli_resident"


class ResidentConfinementMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(RESIDENT_SESSION_KEY):
            allowed = tuple(settings.ACCOUNTS_RESIDENT_PATHS)
            if not request.path.startswith(allowed):
                if request.method == "GET" and not request.path.startswith("/api/"):
                    return redirect("/me/")
                return HttpResponseForbidden("居民账号不能访问工作人员页面")
        return self.get_response(request)
