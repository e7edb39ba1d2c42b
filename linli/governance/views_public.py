"""The public deliberation board at ``/yishi/<community code>/`` (namespace ``yishi``,
route ``board``): no log-in.

Shows a community's public decisions with their owners — staff by role and surname only
(社区居委会 王主任), organisations by name, never a phone number — deadlines, follow-up
progress (latest note) and whether each is overdue; and the topics on the way (titles,
support counts), with nothing about who supported them; and the community's counted
votes (title, turnout, passed or not in words) linking to their results
``/yishi/votes/<pk>/``. Elder mode by cookie as the other public pages
(:func:`linli.cases.views_public.is_elder`).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from linli.cases.views_public import is_elder
from linli.governance import selectors, vote_selectors
from linli.governance.models import Decision, FollowUpStatus, Topic
from linli.places.models import Area, AreaKind


def _decision_rows(decision: Decision, community: Area, today: Any) -> dict[str, Any]:
    follow_ups = []
    for item in decision.follow_ups.all():
        updates = list(item.updates.all())  # newest first (prefetched)
        follow_ups.append(
            {
                "title": item.title,
                "status": item.get_status_display(),
                "done": item.status == FollowUpStatus.DONE,
                "due": item.due,
                "overdue": item.status != FollowUpStatus.DONE and item.due < today,
                "owner": item.owner_org.name
                if item.owner_org
                else (selectors.owner_words(item.owner, community) if item.owner else ""),
                "latest": updates[0] if updates else None,
            }
        )
    owners = [selectors.owner_words(u, community) for u in decision.owners.all()]
    owners += [o.name for o in decision.owner_orgs.all()]
    return {
        "decision": decision,
        "owners": owners,
        "follow_ups": follow_ups,
        "overdue": decision.deadline < today and any(not f["done"] for f in follow_ups),
    }


@require_safe
def board(request: HttpRequest, code: str) -> HttpResponse:
    community = Area.objects.filter(code=code, kind=AreaKind.COMMUNITY).first()
    if community is None:
        raise Http404("没有这个社区")
    today = timezone.localdate()
    decisions = [_decision_rows(d, community, today) for d in selectors.public_decisions(community)]
    on_the_way = Topic.objects.filter(area=community, status__in=selectors.ON_THE_WAY).order_by(
        "-support_count", "-created_at"
    )
    return render(
        request,
        "governance/public/board.html",
        {
            "community": community,
            "decisions": decisions,
            "topics": on_the_way[:50],
            "votes": vote_selectors.published_results(community),
            "elder": is_elder(request),
        },
    )
