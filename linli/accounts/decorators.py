"""View decorators for resident pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from linli.accounts.selectors import account_of

View = Callable[..., HttpResponseBase]


def resident_only(staff_page: str) -> Callable[[View], View]:
    """Let resident accounts through, with their resident on ``request.linli_resident``.

    An anonymous visitor goes to the resident log-in page and comes back afterwards; a
    logged-in user without a resident account (staff) goes to ``staff_page`` (a URL name
    such as ``"governance:home"`` or a path).
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(
                    request.get_full_path(), login_url=reverse("accounts:login")
                )
            account = account_of(request.user)
            if account is None:
                return redirect(staff_page)
            request.linli_resident = account.resident  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
