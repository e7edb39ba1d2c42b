"""Published vote results at /yishi/votes/ (counted votes only; anything else is 404)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.http import require_safe

from linli.cases.views_public import is_elder
from linli.governance import vote_selectors as selectors


@require_safe
def result(request: HttpRequest, pk: int) -> HttpResponse:
    """Counts per option with percentages, turnout, quorum and the verdict in words."""
    vote = selectors.published_result(pk)
    if vote is None:
        raise Http404("没有找到已公布的表决结果")
    context = {
        "vote": vote,
        "result": vote.result,
        "rule": selectors.MAJORITY_WORDS[vote.majority],
        "elder": is_elder(request),
    }
    return render(request, "governance/votes/public/result.html", context)


app_name = "yishi_votes"
urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:pk>/", result, name="result"),
]
