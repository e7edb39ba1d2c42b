"""Staff session safeguards: idle time-out, forced password change, required TOTP set-up.

Both middlewares read the session only (no query per request). A session belongs to staff
when a user is logged in and it is not marked :data:`RESIDENT_SESSION_KEY`: resident pages
keep no time limit (age-friendly rules, MIIT 2021).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from linli.accounts.middleware import RESIDENT_SESSION_KEY

#: Session key: Unix time (seconds) of the staff user's last request that was not polling.
LAST_ACTIVE_KEY = "linli_last_active"
#: Session keys set at log-in: the user must change the password / set up TOTP first.
MUST_CHANGE_KEY = "linli_must_change_password"
TOTP_SETUP_KEY = "linli_totp_setup_required"
#: The clock is written at most this often (seconds), so not every request saves the session.
ACTIVE_GRANULARITY_S = 60
IDLE_NOTICE = "长时间未操作，已自动退出，请重新登录"
POLL_HEADER = "HTTP_X_LINLI_POLL"


def is_staff_session(request: HttpRequest) -> bool:
    """A logged-in user whose session is not a resident's (one-time-code) session.

    Resident users have no usable password (they log in by one-time code), so a resident
    session opened any other way (an administrator's "log in as", a test's ``force_login``)
    is still exempt from the staff rules.
    """
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is None or session is None or not user.is_authenticated:
        return False
    return not session.get(RESIDENT_SESSION_KEY) and user.has_usable_password()


@cache
def _poll_patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def is_polling(request: HttpRequest) -> bool:
    """Background refreshes: header ``X-Linli-Poll: 1`` or a path in ``STAFF_POLL_PATHS``."""
    if request.META.get(POLL_HEADER) == "1":
        return True
    patterns = _poll_patterns(tuple(settings.STAFF_POLL_PATHS))
    return any(p.search(request.path) for p in patterns)


def mark_active(request: HttpRequest) -> None:
    """Restart the idle clock now (called at log-in, and by the middleware)."""
    request.session[LAST_ACTIVE_KEY] = int(timezone.now().timestamp())


class StaffIdleTimeoutMiddleware:
    """Log staff out after ``STAFF_IDLE_MINUTES`` without a (non-polling) request.

    A page request then goes to the log-in page with :data:`IDLE_NOTICE` and comes back
    afterwards; an htmx request gets ``HX-Redirect`` to it; other requests carry on as
    anonymous (views answer them as they answer anyone not logged in).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_staff_session(request):
            now = int(timezone.now().timestamp())
            last = request.session.get(LAST_ACTIVE_KEY)
            if isinstance(last, int) and now - last > settings.STAFF_IDLE_MINUTES * 60:
                return self._timed_out(request)
            if not is_polling(request) and (
                not isinstance(last, int) or now - last >= ACTIVE_GRANULARITY_S
            ):
                request.session[LAST_ACTIVE_KEY] = now
        return self.get_response(request)

    def _timed_out(self, request: HttpRequest) -> HttpResponse:
        path = request.get_full_path()
        logout(request)
        messages.warning(request, IDLE_NOTICE)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse(settings.LOGIN_URL)
            return response
        if request.method == "GET" and not request.path.startswith("/api/"):
            return redirect_to_login(path)
        return self.get_response(request)


# Paths open while a staff user still has to change the password or set up TOTP.
_ALWAYS_OPEN = ("/static/", "/i18n/", "/accounts/logout/", "/accounts/login/")


class StaffSafeguardMiddleware:
    """Hold staff on the password-change (or TOTP set-up) page until they have done it.

    The flags are put in the session by the log-in views (:mod:`linli.accounts.staff_views`)
    and removed when the step is done. GET requests elsewhere are redirected; others get 403.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_staff_session(request):
            for key, url_name, refusal in (
                (MUST_CHANGE_KEY, "password_change", "请先修改初始密码"),
                (TOTP_SETUP_KEY, "totp_setup", "请先设置动态口令（二次验证）"),
            ):
                if request.session.get(key):
                    target = reverse(url_name)
                    if request.path.startswith((target, *_ALWAYS_OPEN)):
                        break
                    if request.method == "GET":
                        return redirect(target)
                    return HttpResponseForbidden(refusal)
        return self.get_response(request)
