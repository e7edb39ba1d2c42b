"""The in-app inbox: a list of one's own notifications with mark-as-read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from linli.notify import selectors, services
from linli.notify.models import Notification

PAGE_SIZE = 30


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """``/notifications/?unread=1&page=2``: the user's messages, newest first."""
    notifications = selectors.inbox_for(request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "only_unread": only_unread,
        "unread": selectors.unread_count(request.user),
    }
    return render(request, "notify/inbox.html", context)


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one of one's own notifications read; then follow its link or go back (``next``)."""
    try:
        notification = services.notification_mark_read(
            user=request.user,  # type: ignore[arg-type]
            notification_id=notification_id,
        )
    except Notification.DoesNotExist:
        raise Http404("没有这条消息") from None
    link = notification.link
    if request.POST.get("open") and link.startswith("/") and not link.startswith("//"):
        return redirect(link)
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(user=request.user)  # type: ignore[arg-type]
    return _back(request)


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notification-inbox")
