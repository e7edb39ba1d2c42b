"""Two people acting on one case at once: one wins, the other gets IllegalTransition (409).

Real threads with their own database connections (``transaction=True``, so both see the
committed case). On PostgreSQL the loser waits on ``SELECT … FOR UPDATE`` and then finds
the case in progress; on SQLite the IMMEDIATE transaction mode serialises the writers the
same way — except that the test database is an in-memory shared-cache one, which reports
"database table is locked" at once instead of waiting like a file database's busy timeout
(20 s in settings); :func:`race` waits and retries there, as that timeout would.
No ``serialized_rollback``: its teardown leaves even the content types flushed, which
breaks the next transactional test of another module; the categories this test needs are
re-seeded by ``lifecycle.category`` instead.
Run on both: ``DATABASE_URL=postgres://… pytest linli/cases/tests/test_concurrency.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from linli.cases import services
from linli.cases.errors import IllegalTransition
from linli.cases.models import Case, CaseAction, CaseStatus
from linli.cases.tests.lifecycle import Actors, fast_passwords, report, walk_to  # noqa: F401
from linli.testing import concurrency

pytestmark = pytest.mark.usefixtures("fast_passwords")


def race(*calls: Callable[[], object]) -> list[str]:
    """:func:`linli.testing.concurrency.race`, with IllegalTransition as the expected outcome."""
    return concurrency.race(*calls, expected=(IllegalTransition,))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_members_accept_the_same_case_at_once(areas, round_):  # type: ignore[no-untyped-def]
    # Given a case dispatched to an organisation with two members
    actors = Actors(areas)
    case = walk_to(report(areas["micro_grid"]), CaseStatus.REGISTERED, actors)
    case = services.case_dispatch(case=case, actor=actors.dispatcher, handler_org=actors.org)
    # When both accept at the same moment
    outcomes = race(
        lambda: services.case_accept(case=Case(pk=case.pk), actor=actors.handler),
        lambda: services.case_accept(case=Case(pk=case.pk), actor=actors.colleague),
    )
    # Then exactly one wins and the other is told the case is already in progress
    assert outcomes == ["IllegalTransition", "ok"], (connection.vendor, outcomes)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == CaseStatus.IN_PROGRESS
    assert fresh.handler in (actors.handler, actors.colleague)
    assert fresh.events.filter(action=CaseAction.ACCEPT).count() == 1
