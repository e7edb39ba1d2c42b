"""What a locked-out staff log-in sees, and the audit trail of lock-outs (django-axes).

Settings (docs/accounts.md): ``AXES_FAILURE_LIMIT`` failures (``LINLI_AXES_FAILURE_LIMIT``,
5) of one (username, client address) pair lock that pair for ``AXES_COOLOFF_TIME``
(``LINLI_AXES_COOLOFF_MINUTES``, 15); another failure during the lock starts the cool-off
again. The page says when to retry as a clock time — it does not count down (no
time-limited UI).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from linli.audit.models import AuditKind
from linli.audit.services import record
from linli.audit.signals import masked_login_name

LOCKED_STATUS = 429


def retry_at(now: dt.datetime | None = None) -> dt.datetime:
    """The local time from which a locked pair may try again (now + cool-off)."""
    cool_off: dt.timedelta = settings.AXES_COOLOFF_TIME
    return timezone.localtime(now or timezone.now()) + cool_off


def locked_message(when: dt.datetime) -> str:
    """The Chinese lock-out sentence, e.g. "… 请在 15 分钟后（10:45 以后）再试 …"."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (
        f"密码连续输错 {settings.AXES_FAILURE_LIMIT} 次，这个账号在本设备上已暂时锁定。"
        f"请在 {minutes} 分钟后（{when:%H:%M} 以后）再试；忘记密码请联系系统管理员。"
    )


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: status 429, JSON ``{"detail": …}`` for the API, else a page."""
    when = retry_at()
    message = locked_message(when)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=LOCKED_STATUS)
    context = {"message": message, "retry_at": when}
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=LOCKED_STATUS)


def record_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str = "", **kwargs: Any
) -> None:
    """Receiver of ``axes.signals.user_locked_out``: one LOCKED_OUT audit event per blocked
    try (a typed phone number masked, as for failed log-ins)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    label = masked_login_name(str(username or ""))
    target = User.objects.filter(username=username).first() if username else None
    record(
        AuditKind.LOCKED_OUT,
        f"用户名“{label}”登录失败次数过多，已锁定 {minutes} 分钟",
        request=request,
        actor_label=label,
        obj=target,
        detail={"failure_limit": settings.AXES_FAILURE_LIMIT, "account_exists": bool(target)},
    )
