"""Residents vote at ``/me/votes/`` (namespace ``resident_votes``).

* ``""`` (``home``) — the votes I (or my household) take part in, each saying whether we
  have voted and how (online or on paper; never what, in a secret vote);
* ``<pk>/`` — the question and big options with one main action 「投票」; instead a clear
  page when we have voted already, the vote has not opened or has closed, or I am under
  18;
* ``<pk>/done/`` — the confirmation after voting.

Who: resident accounts only, for themselves (no proxies online: relatives vote on paper
through staff). Anonymous visitors go to the log-in page, staff to the staff list. A vote
I am not in is 404. Elder mode, one main action, no pop-ups, no time limits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from linli.accounts.decorators import resident_only
from linli.accounts.selectors import account_of
from linli.cases.views_public import is_elder
from linli.common.identity import age_on
from linli.governance import vote_selectors as selectors
from linli.governance import voting
from linli.governance.errors import AlreadyVoted, GovernanceError
from linli.governance.forms_votes import BallotForm
from linli.governance.models import Ballot
from linli.people.models import Resident

View = Callable[..., HttpResponseBase]
BASE = "orders/resident/base.html"


resident_required = resident_only("governance_votes:home")


def _me(request: HttpRequest) -> Resident:
    account = account_of(request.user)
    assert account is not None  # resident_required
    return account.resident


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {**context, "base": BASE, "nav": "votes", "elder": is_elder(request)}
    return render(request, template, context, status=status)


@require_safe
@resident_required
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [(row, row.state(now)) for row in selectors.votes_for_resident(_me(request))]
    return _render(request, "governance/votes/resident/home.html", {"rows": rows[:50]})


def _row(request: HttpRequest, pk: int) -> selectors.ResidentVote:
    row = selectors.vote_for_resident(_me(request), pk)
    if row is None:
        raise Http404("没有找到这项表决")
    return row


def _page(
    request: HttpRequest,
    row: selectors.ResidentVote,
    form: BallotForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    vote = row.vote
    minor = age_on(_me(request).birth_date, timezone.localdate(now)) < voting.ADULT_AGE
    state = "minor" if minor and row.participation is None else row.state(now)
    choices = [(o.pk, o.label) for o in vote.options.all()]
    context = {
        "vote": vote,
        "row": row,
        "state": state,
        "form": form or BallotForm(choices=choices),
        "error": error,
        "opens": voting.local_text(vote.opens_at),
        "closes": voting.local_text(vote.closes_at),
        "how": voting.how_voted(row.participation) if row.participation else "",
    }
    return _render(request, "governance/votes/resident/vote.html", context, status=status)


@resident_required
def vote_page(request: HttpRequest, pk: int) -> HttpResponse:
    row = _row(request, pk)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405)
    if request.method != "POST":
        return _page(request, row)
    choices = [(o.pk, o.label) for o in row.vote.options.all()]
    form = BallotForm(request.POST, choices=choices)
    if not form.is_valid():
        return _page(request, row, form, status=400)
    try:
        voting.ballot_cast(
            actor=request.user,
            vote=row.vote,
            resident=_me(request),
            option=form.cleaned_data["option"],
        )
    except GovernanceError as err:
        row = _row(request, pk)
        # Voted already: the page's ✔ box says how and when; no second (⚠) box.
        error = "" if isinstance(err, AlreadyVoted) and row.participation else str(err)
        return _page(request, row, form, error=error, status=err.http_status)
    return redirect("resident_votes:done", pk=pk)


@require_safe
@resident_required
def vote_done(request: HttpRequest, pk: int) -> HttpResponse:
    row = _row(request, pk)
    if row.participation is None:
        return redirect("resident_votes:vote", pk=pk)
    choice = ""
    if not row.vote.secret:
        ballot = Ballot.objects.filter(participation=row.participation).select_related("option")
        choice = ballot[0].option.label if ballot else ""
    mine = row.participation.cast_by_id == _me(request).pk
    context = {"vote": row.vote, "row": row, "choice": choice if mine else "", "mine": mine}
    return _render(request, "governance/votes/resident/done.html", context)
