"""Staff log-in pages under ``/accounts/``: password (then TOTP) log-in, password change,
TOTP set-up. Rules in :mod:`linli.accounts.security` and docs/accounts.md.

Two-step log-in: a correct password of a user with TOTP on puts :data:`PENDING_KEY`
(user id, backend, time, where to go) into the session without logging in; the code
page finishes the log-in. Wrong codes are reported as failed log-ins
(``user_login_failed``), so django-axes counts them towards the same lock-out.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from linli.accounts import security
from linli.accounts.errors import AccountsError
from linli.accounts.lockout import lockout_response
from linli.accounts.models import StaffSecurity
from linli.accounts.staff_middleware import MUST_CHANGE_KEY, TOTP_SETUP_KEY, mark_active

PENDING_KEY = "linli_totp_pending"
#: Seconds the password step stays valid while the code is typed.
PENDING_SECONDS = 300


def _start_session(request: HttpRequest, user: User) -> None:
    """Session flags of a fresh staff log-in (after ``login()``)."""
    sec = StaffSecurity.objects.filter(user=user).first()
    mark_active(request)
    if sec is not None and sec.must_change_password and not sec.demo:
        request.session[MUST_CHANGE_KEY] = True
    if (sec is None or not sec.totp_enabled) and security.totp_required(user):
        request.session[TOTP_SETUP_KEY] = True


class StaffLoginView(auth_views.LoginView):
    """``/accounts/login/``: username and password; hands over to the code step if needed."""

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        sec = StaffSecurity.objects.filter(user=user).first()
        if sec is not None and sec.totp_enabled:
            self.request.session.cycle_key()
            self.request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": user.backend,
                "at": int(timezone.now().timestamp()),
                "next": self.get_success_url(),
            }
            return redirect("login_totp")
        response = super().form_valid(form)
        _start_session(self.request, user)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = settings.AXES_FAILURE_LIMIT
        return context


class TotpForm(forms.Form):
    code = forms.CharField(label="动态口令", max_length=20, required=False)

    def clean_code(self) -> str:
        try:
            return security.parse_totp_code(self.cleaned_data.get("code", ""))
        except AccountsError as exc:
            raise forms.ValidationError(str(exc)) from None


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if int(timezone.now().timestamp()) - int(pending.get("at", 0)) > PENDING_SECONDS:
        del request.session[PENDING_KEY]
        return None
    user = User.objects.filter(pk=int(pending.get("user") or 0), is_active=True).first()
    return (user, pending) if user is not None else None


@require_http_methods(["GET", "POST"])
def login_totp(request: HttpRequest) -> HttpResponseBase:
    """``/accounts/login/totp/``: the 6-digit code after a correct password."""
    found = _pending_user(request)
    if found is None:
        messages.info(request, "请重新输入用户名和密码")
        return redirect("login")
    user, pending = found
    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        request.session.pop(PENDING_KEY, None)
        return lockout_response(request)
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            security.totp_verify_login(user=user, code=form.cleaned_data["code"])
        except AccountsError as exc:
            form.add_error("code", str(exc))
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        else:
            del request.session[PENDING_KEY]
            login(request, user, backend=pending["backend"])
            _start_session(request, user)
            return redirect(pending.get("next") or "home")
    return render(request, "registration/login_totp.html", {"form": form, "user_name": user})


class StaffPasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, Chinese page; clears the forced-change flag on success."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        security.password_changed(user=form.user, request=self.request)
        self.request.session.pop(MUST_CHANGE_KEY, None)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["forced"] = bool(self.request.session.get(MUST_CHANGE_KEY))
        return context


class StaffPasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


class TotpDisableForm(TotpForm):
    password = forms.CharField(label="当前密码", widget=forms.PasswordInput, required=False)


@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    """``/accounts/totp/``: scan and confirm (second factor off), or turn it off (on)."""
    user: User = request.user  # type: ignore[assignment]
    sec = security.security_of(user)
    if sec.totp_enabled:
        return _totp_disable_page(request, user)
    secret = security.totp_begin(user=user)
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            security.totp_confirm(user=user, code=form.cleaned_data["code"], request=request)
        except AccountsError as exc:
            form.add_error("code", str(exc))
        else:
            request.session.pop(TOTP_SETUP_KEY, None)
            messages.success(request, "动态口令已启用，以后登录时需要输入 App 上的 6 位数字")
            return redirect("totp_setup")
    uri = security.totp_uri(user=user, secret=secret)
    context = {
        "form": form,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr_svg": security.totp_qr_svg(uri),
        "required": bool(request.session.get(TOTP_SETUP_KEY)),
    }
    return render(request, "registration/totp_setup.html", context)


def _totp_disable_page(request: HttpRequest, user: User) -> HttpResponse:
    form = TotpDisableForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            security.totp_disable(
                user=user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
                request=request,
            )
        except AccountsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "动态口令已停用")
            return redirect("totp_setup")
    return render(request, "registration/totp_enabled.html", {"form": form})
