"""Enterprise contact pages of policies, mounted at ``/biz/policies/`` (namespace
``engagement_biz_policies``).

* ``/biz/policies/`` — the policies our organisation matches: benefit, why we qualify,
  status in words (免申即享 ones say 「已自动兑现」);
* ``/biz/policies/<pk>/`` — one match (``pk`` is the match): the policy's points, the
  relay's explanations (政策解读) with their files, and the one main action 「我要申报」
  while an application is open;
* ``/biz/policies/notes/<pk>/file/`` — a note's attachment.

Who: users with an ``enterprise_contact`` assignment naming an organisation (the rule of
the other ``/biz/`` pages); anyone else logged in gets 403, anonymous visitors the log-in
page. Another organisation's match is 404. Elder mode (大字模式) as on the resident pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from linli.cases.views_public import is_elder
from linli.engagement import policies
from linli.engagement import policy_selectors as sel
from linli.engagement.errors import EngagementError
from linli.engagement.models import GrantMode, MatchStatus, PolicyMatch
from linli.engagement.views_biz import contact_required
from linli.engagement.views_policies import attachment_response

#: What the enterprise reads for each status (words, not colours).
STATUS_WORDS = {
    MatchStatus.MATCHED: "符合条件，可以申报",
    MatchStatus.NOTIFIED: "符合条件，可以申报",
    MatchStatus.APPLIED: "已申报，等待审核",
    MatchStatus.GRANTED: "已兑现",
    MatchStatus.REJECTED: "未通过",
}


def words(match: PolicyMatch) -> str:
    """The status of ``match`` in the enterprise's words."""
    if match.policy.grant_mode == GrantMode.AUTOMATIC and match.status == MatchStatus.GRANTED:
        return "已自动兑现（免申即享，无需申报）"
    return STATUS_WORDS.get(MatchStatus(match.status), match.get_status_display())


def may_apply(match: PolicyMatch) -> bool:
    return match.policy.grant_mode == GrantMode.APPLY and match.status in (
        MatchStatus.MATCHED,
        MatchStatus.NOTIFIED,
    )


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {
        **context,
        "elder": is_elder(request),
        "here": request.get_full_path(),
        "nav": "policies",
    }
    return render(request, template, context, status=status)


@require_safe
@contact_required
def policy_list(request: HttpRequest) -> HttpResponse:
    rows = [
        (m, words(m), policies.benefit_text(m.policy))
        for m in sel.matches_for_contact(request.user)
    ]
    return _render(request, "engagement/policies/biz_list.html", {"rows": rows})


def _match(request: HttpRequest, pk: int) -> PolicyMatch:
    match = sel.match_for_contact(request.user, pk)
    if match is None:
        raise Http404("没有找到这项政策")
    return match


def _detail(
    request: HttpRequest, match: PolicyMatch, error: str = "", status: int = 200
) -> HttpResponse:
    return _render(
        request,
        "engagement/policies/biz_detail.html",
        {
            "match": match,
            "policy": match.policy,
            "words": words(match),
            "benefit": policies.benefit_text(match.policy),
            "notes": sel.notes_of(match.policy),
            "may_apply": may_apply(match),
            "error": error,
        },
        status=status,
    )


@require_safe
@contact_required
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _match(request, pk))


@require_POST
@contact_required
def policy_apply(request: HttpRequest, pk: int) -> HttpResponse:
    match = _match(request, pk)
    try:
        policies.policy_match_applied(match=match, actor=request.user)
    except EngagementError as err:
        match.refresh_from_db()
        return _detail(request, match, str(err), err.http_status)
    messages.success(request, "已登记申报。请按政策解读准备材料，社区工作人员会联系您。")
    return redirect("engagement_biz_policies:detail", pk=match.pk)


@require_safe
@contact_required
def note_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    return attachment_response(sel.note_for_contact(request.user, pk))
