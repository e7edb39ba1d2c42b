"""Case pages shared by the worker, board and public modules: lookup, errors, due labels.

The pages themselves live in ``views_worker.py`` (phone pages and case detail),
``views_board.py`` (dispatcher board, hotline intake) and ``views_public.py`` (the
resident report page). Every view is thin: parse a form, call one service, render.
Domain errors map to HTTP: :class:`IllegalTransition` → 409 page with the reason,
:class:`NotAllowed` → 403, :class:`CaseInputError` → the form with the message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from linli.cases.errors import CaseError, IllegalTransition, NotAllowed
from linli.cases.models import Case
from linli.cases.selectors import cases_visible_to

#: A stage due within this many seconds is shown as "due soon".
DUE_SOON_SECONDS = 4 * 3600


def case_for(user: User | AnonymousUser, number: str) -> Case:
    """The case numbered ``number`` if the user may see it, else 404 (never 403: a case
    outside one's areas is not acknowledged to exist)."""
    case = (
        cases_visible_to(user)
        .select_related("building", "handler", "handler_org", "merged_into", "reporter")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise Http404("没有找到这个事件，或您无权查看")
    return case


def error_page(request: HttpRequest, exc: CaseError, *, case: Case | None = None) -> HttpResponse:
    """The Chinese reason of a refused action, with the status its class names (409/403/400)."""
    titles = {IllegalTransition: "当前状态不能进行此操作", NotAllowed: "您无权进行此操作"}
    title = titles.get(type(exc), "无法完成操作")
    context = {"title": title, "reason": str(exc), "case": case}
    return render(request, "cases/error.html", context, status=exc.http_status)


@dataclass(frozen=True)
class DueLabel:
    """How a due time is shown: ``kind`` (overdue | soon | ok | paused), icon and text.

    The icon and text carry the meaning; colour only repeats it (MIIT/WCAG: colour is
    never the only cue).
    """

    kind: str
    icon: str
    text: str


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return f"{minutes} 分钟"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} 小时"
    return f"{hours // 24} 天"


def due_label(case: Case, now: dt.datetime | None = None) -> DueLabel | None:
    """Label of the current stage's due time, or ``None`` when no clock runs."""
    if case.due_at is None or not case.is_open:
        return None
    if case.paused_at is not None:
        return DueLabel("paused", "‖", "已暂停计时（等待居民）")
    now = now or timezone.now()
    left = (case.due_at - now).total_seconds()
    local = timezone.localtime(case.due_at)
    when = f"{local:%m-%d %H:%M}"
    if left < 0:
        return DueLabel("overdue", "⚠", f"已超时 {_span(left)}（时限 {when}）")
    if left <= DUE_SOON_SECONDS:
        return DueLabel("soon", "◔", f"即将到期：剩 {_span(left)}（时限 {when}）")
    return DueLabel("ok", "◷", f"时限 {when}（剩 {_span(left)}）")
