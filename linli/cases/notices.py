"""Who hears about a case transition, sent through :func:`linli.notify.services.notify`.

Called by the transition services inside their transaction; the message itself is built
and written only after commit (``transaction.on_commit(robust=True)``): a rolled-back
transition says nothing, and a failing notification is logged, never raised into the
transition (DESIGN.md "Side effects after commit").

Who (users over the case's area = assignment on the area or an ancestor):

==================================  ==========================================================
reported                            dispatchers and community admins over the area
dispatched, verify_fail, reopen     the handler and members of the handler organisation
returned                            dispatchers and community admins over the area
handled                             grid and micro-grid workers over the area (to verify)
verified                            dispatchers and community admins over the area (to close)
rejected                            the reporter (account)
closed                              the reporter, the handler (and whoever fed back the
                                    handling) and members of the handler organisation
participant added                   the participant's account
==================================  ==========================================================

Urgent cases (priority 1) also go to the area's WeCom/DingTalk group robots.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction

from linli.cases.models import Case, CaseAction, CaseStatus, Priority
from linli.people.models import Assignment, Role

log = logging.getLogger(__name__)

COORDINATORS = (Role.DISPATCHER, Role.COMMUNITY_ADMIN)
VERIFIERS = (Role.GRID_WORKER, Role.MICRO_GRID_WORKER)


def _over_area(case: Case, roles: Iterable[str]) -> list[User]:
    ancestors = [p for p in case.area.path.split("/") if p]
    paths = ["/" + "/".join(ancestors[: i + 1]) + "/" for i in range(len(ancestors))]
    user_ids = Assignment.objects.filter(area__path__in=paths, role__in=list(roles)).values(
        "user_id"
    )
    return list(User.objects.filter(pk__in=user_ids, is_active=True))


def _handler_side(case: Case) -> list[User]:
    users = [case.handler] if case.handler is not None else []
    if case.handler_org_id is not None:
        members = Assignment.objects.filter(organization_id=case.handler_org_id).values("user_id")
        users += list(User.objects.filter(pk__in=members, is_active=True))
    return users


def recipients_for(case: Case, action: str) -> list[User]:
    """The accounts told about ``action`` on ``case`` (see the module table)."""
    if action == CaseAction.REPORT or (
        action == CaseAction.RETURN and case.status == CaseStatus.RETURNED
    ):
        return _over_area(case, COORDINATORS)
    if action in (CaseAction.DISPATCH, CaseAction.VERIFY_FAIL, CaseAction.REOPEN):
        return _handler_side(case)
    if action == CaseAction.HANDLE:
        return _over_area(case, VERIFIERS)
    if action == CaseAction.VERIFY:
        return _over_area(case, COORDINATORS)
    reporter = [case.reporter] if case.reporter is not None else []
    if action == CaseAction.REJECT:
        return reporter
    if action == CaseAction.CLOSE:
        closer = [case.closing_user] if case.closing_user is not None else []
        people = reporter + _handler_side(case) + closer
        return list(dict.fromkeys(user for user in people if user.is_active))
    return []


def _send(case_id: int, action: str, extra: list[int]) -> None:
    from linli.notify.models import Channel
    from linli.notify.services import notify

    case = Case.objects.select_related(
        "area", "category", "handler", "reporter", "closing_user"
    ).get(pk=case_id)
    people = recipients_for(case, action) + list(User.objects.filter(pk__in=extra))
    urgent = case.priority == Priority.URGENT and action in (CaseAction.REPORT, CaseAction.DISPATCH)
    if not people and not urgent:
        return
    channels = [Channel.INAPP] + ([Channel.WECOM, Channel.DINGTALK] if urgent else [])
    notify(
        recipients=people,
        title=f"{CaseAction(action).label}：{case.number} {case.title}"[:200],
        body=f"{case.category.name} · {case.area.name} · {case.get_status_display()}",
        link=f"/cases/{case.number}/",
        kind=f"case.{action}",
        subject=case,
        channels=channels,
        area=case.area,
    )


def notice_on_commit(*, case: Case, action: str, also: Iterable[User] = ()) -> None:
    """Tell the people of :func:`recipients_for` (and ``also``) once the transaction commits."""
    extra = [user.pk for user in also]
    transaction.on_commit(lambda: _send(case.pk, action, extra), robust=True)
