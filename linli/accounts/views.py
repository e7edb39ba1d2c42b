"""Resident pages ``/me/login/`` (number → code) and ``/me/`` (who I am, whom I act for).

Age-friendly (MIIT 2021): elder mode shares the report page's cookie and stylesheet; one
main action per screen; no time limit on the page — the number rides along in the form,
the code expires but "resend" is always offered; errors are text with a ⚠ sign, never
colour alone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from linli.accounts import selectors, services
from linli.accounts.errors import AccountsError
from linli.accounts.forms import CodeForm, PhoneForm
from linli.accounts.middleware import RESIDENT_SESSION_KEY
from linli.cases.views_public import ELDER_COOKIE, is_elder
from linli.common.pii import mask_phone


def _client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a trusted
    # proxy rewrites it (see docs/accounts.md for deployments behind a proxy).
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _next(request: HttpRequest) -> str:
    """Where to go after logging in: a ``next`` under ``/me/`` on this site, else ``""``."""
    target = str(request.POST.get("next") or request.GET.get("next") or "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and target.startswith("/me/") else ""


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], *, elder: bool | None = None
) -> HttpResponse:
    elder = is_elder(request) if elder is None else elder
    extra = {
        "next": _next(request),
        "elder": elder,
        "here": request.get_full_path(),
        "phone_masked": mask_phone(context.get("phone", "")),
    }
    response = render(request, template, {**context, **extra})
    if "elder" in request.POST:
        if elder:
            response.set_cookie(ELDER_COOKIE, "1", max_age=365 * 86400, samesite="Lax")
        else:
            response.delete_cookie(ELDER_COOKIE)
    return response


@require_http_methods(["GET", "POST"])
def login_page(request: HttpRequest) -> HttpResponse:
    """Step 1 asks for the number and sends a code; step 2 takes the code and logs in."""
    if selectors.account_of(request.user) is not None:
        return redirect(_next(request) or "accounts:me")
    if request.method == "GET":
        return _page(request, "accounts/login_phone.html", {"form": PhoneForm()})
    elder = request.POST["elder"] == "1" if "elder" in request.POST else None
    step = request.POST.get("step")
    if step == "code":
        return _code_step(request, elder=elder)
    form = PhoneForm(request.POST)
    if "elder" in request.POST or not form.is_valid():
        return _page(request, "accounts/login_phone.html", {"form": form}, elder=elder)
    phone = form.cleaned_data["phone"]
    try:
        sent = services.login_code_request(phone=phone, client_ip=_client_ip(request))
        notice, error = sent.message, ""
    except AccountsError as exc:
        notice, error = "", str(exc)
    context = {"form": CodeForm(initial={"phone": phone}), "phone": phone, "notice": notice}
    return _page(request, "accounts/login_code.html", {**context, "send_error": error})


def _code_step(request: HttpRequest, *, elder: bool | None) -> HttpResponse:
    form = CodeForm(request.POST)
    phone_ok = form.is_valid() or "phone" not in form.errors
    if not phone_ok:
        return _page(request, "accounts/login_phone.html", {"form": form}, elder=elder)
    phone = form.cleaned_data["phone"]
    context = {"form": form, "phone": phone}
    if "elder" in request.POST or not form.is_valid():
        if "elder" in request.POST:
            context["form"] = CodeForm(initial={"phone": phone})
        return _page(request, "accounts/login_code.html", context, elder=elder)
    try:
        account = services.login_code_verify(phone=phone, code=form.cleaned_data["code"])
    except AccountsError as exc:
        form.add_error("code", str(exc))
        return _page(request, "accounts/login_code.html", context)
    login(request, account.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[RESIDENT_SESSION_KEY] = True
    return redirect(_next(request) or "accounts:me")


@require_http_methods(["GET"])
def me(request: HttpRequest) -> HttpResponse:
    """Who I am and whom I may act for (identity numbers masked)."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    account = selectors.account_of(request.user)
    people = list(selectors.residents_actable_by(request.user)) if account else []
    from linli.notify.selectors import unread_count

    context = {
        "account": account,
        "unread": unread_count(request.user),
        "me": account.resident if account else None,
        "others": [p for p in people if account and p.pk != account.resident_id],
    }
    return _page(request, "accounts/me.html", context)


#: Messages shown on one page (the newest; older ones are kept but not listed).
MESSAGES_SHOWN = 50


def messages_page(request: HttpRequest) -> HttpResponse:
    """``/me/messages/``: the resident's in-app messages (approved bookings, topic
    progress, vote results …), newest first, unread ones marked in words."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("accounts:login"))
    from linli.notify.selectors import inbox_for

    rows = list(inbox_for(request.user)[:MESSAGES_SHOWN])
    return _page(request, "accounts/messages.html", {"rows": rows})


@require_POST
def message_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's messages read and open its page when it is a resident page
    (under ``/me/`` or public), else come back to the list."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    from linli.notify.models import Notification
    from linli.notify.services import notification_mark_read

    try:
        note = notification_mark_read(user=request.user, notification_id=pk)  # type: ignore[arg-type]
    except Notification.DoesNotExist:
        raise Http404("没有这条消息") from None
    if note.link.startswith(tuple(settings.ACCOUNTS_RESIDENT_PATHS)):
        return redirect(note.link)
    return redirect("accounts:messages")


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")
