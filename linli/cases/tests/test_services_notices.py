"""Transitions tell the right people after commit, and a failing notification never
undoes or blocks the transition."""

from __future__ import annotations

import pytest

from linli.cases import services
from linli.cases.models import Case, CaseStatus
from linli.cases.tests.lifecycle import Actors, fast_passwords, report, walk_to  # noqa: F401
from linli.notify.models import Notification
from linli.people.models import Role
from linli.testing.factories import UserFactory, staff_user

pytestmark = [pytest.mark.usefixtures("fast_passwords"), pytest.mark.django_db]
S = CaseStatus


def test_dispatch_to_an_org_tells_every_member_after_commit(
    areas, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    actors = Actors(areas)
    case = walk_to(report(areas["micro_grid"]), S.REGISTERED, actors)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.case_dispatch(case=case, actor=actors.dispatcher, handler_org=actors.org)
    assert not Notification.objects.exists()  # nothing before commit
    for callback in pending:
        callback()
    told = Notification.objects.filter(kind="case.dispatch")
    assert {n.user for n in told} == {actors.handler, actors.colleague}
    assert told.first().link == f"/cases/{case.number}/"  # type: ignore[union-attr]


def test_reporter_hears_of_closing_and_coordinators_of_new_reports(
    areas, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    actors = Actors(areas)
    resident = UserFactory.create(is_staff=False)
    with django_capture_on_commit_callbacks(execute=True):
        case = report(areas["micro_grid"], reporter=resident)
    assert Notification.objects.filter(kind="case.report", user=actors.dispatcher).exists()
    with django_capture_on_commit_callbacks(execute=True):
        walk_to(case, S.CLOSED, actors)
    assert Notification.objects.filter(kind="case.close", user=resident).exists()
    assert Notification.objects.filter(kind="case.handle", user=actors.grid_worker).exists()


def test_a_failing_notification_does_not_undo_the_transition(  # type: ignore[no-untyped-def]
    areas, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    actors = Actors(areas)
    case = walk_to(report(areas["micro_grid"]), S.REGISTERED, actors)

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("robot down")

    monkeypatch.setattr("linli.notify.services.notify", broken)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_dispatch(case=case, actor=actors.dispatcher, handler=actors.handler)
    assert Case.objects.get(pk=case.pk).status == S.DISPATCHED
    assert "robot down" in caplog.text


def told_about(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def test_verified_case_tells_the_coordinators_who_may_close_it(
    areas, other_areas, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    """Given a dispatcher and a community admin over the case and a dispatcher elsewhere,
    when the grid worker verifies the handling, then the two over the case hear to close it."""
    actors = Actors(areas)
    admin = staff_user(areas["community"], Role.COMMUNITY_ADMIN)
    staff_user(other_areas["community"], Role.DISPATCHER)  # another community: not told
    case = walk_to(report(areas["micro_grid"]), S.HANDLED, actors)

    with django_capture_on_commit_callbacks(execute=True):
        services.case_verify(case=case, actor=actors.grid_worker)

    assert told_about("case.verify") == {actors.dispatcher.username, admin.username}


def test_closed_case_tells_reporter_handler_and_handler_org_members(
    areas, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    actors = Actors(areas)
    resident = UserFactory.create(is_staff=False)
    case = walk_to(report(areas["micro_grid"], reporter=resident), S.VERIFIED, actors)

    with django_capture_on_commit_callbacks(execute=True):
        services.case_close(case=case, actor=actors.dispatcher)

    assert told_about("case.close") == {
        resident.username,
        actors.handler.username,
        actors.colleague.username,
    }


def test_closed_case_sent_to_a_person_tells_that_person(areas, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Given a case dispatched to a user without organisation and no reporter account,
    closing it tells the handler (and no one else)."""
    actors = Actors(areas)
    case = walk_to(report(areas["micro_grid"]), S.REGISTERED, actors)
    services.case_dispatch(case=case, actor=actors.dispatcher, handler=actors.grid_worker)
    services.case_accept(case=case, actor=actors.grid_worker)
    services.case_handle(case=case, actor=actors.grid_worker, note="已劝导")
    services.case_verify(case=case, actor=actors.dispatcher)

    with django_capture_on_commit_callbacks(execute=True):
        services.case_close(case=case, actor=actors.dispatcher)

    assert told_about("case.close") == {actors.grid_worker.username}


def test_dispatch_to_a_person_and_org_tells_both_once(areas, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    actors = Actors(areas)
    case = walk_to(report(areas["micro_grid"]), S.REGISTERED, actors)

    with django_capture_on_commit_callbacks(execute=True):
        services.case_dispatch(
            case=case, actor=actors.dispatcher, handler=actors.handler, handler_org=actors.org
        )

    told = Notification.objects.filter(kind="case.dispatch")
    assert sorted(n.user.username for n in told) == sorted(
        [actors.handler.username, actors.colleague.username]
    )
