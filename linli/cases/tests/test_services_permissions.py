"""The actor matrix of :mod:`linli.cases.permissions`, walked through the services."""

from __future__ import annotations

import pytest

from linli.cases import permissions, services
from linli.cases.errors import NotAllowed
from linli.cases.models import CaseStatus, ParticipantRole
from linli.cases.tests.lifecycle import (  # noqa: F401
    Actors,
    category,
    fast_passwords,
    report,
    superuser,
    walk_to,
)
from linli.people.models import Assignment, Role
from linli.testing.factories import OrganizationFactory, UserFactory, staff_user

pytestmark = [pytest.mark.usefixtures("fast_passwords"), pytest.mark.django_db]
S = CaseStatus


def test_a_participant_may_note_and_witness_but_not_steer(areas, other_areas):  # type: ignore[no-untyped-def]
    actors = Actors(areas)
    case = walk_to(report(areas["micro_grid"]), S.IN_PROGRESS, actors)
    police = staff_user(other_areas["street"], Role.POLICE)
    with pytest.raises(NotAllowed):
        services.case_add_note(case=case, actor=police, note="到场")
    services.case_add_participant(
        case=case, actor=actors.handler, role=ParticipantRole.POLICE, user=police
    )
    services.case_add_note(case=case, actor=police, note="到场")
    services.case_record_witnessed_action(
        case=case, actor=police, action_text="开锁", witness_name="物业 刘某"
    )
    for call in (
        lambda: services.case_handle(case=case, actor=police, note="完成"),
        lambda: services.case_return(case=case, actor=police, reason="不归我管"),
        lambda: services.case_add_participant(
            case=case, actor=police, role=ParticipantRole.OTHER, name="路人"
        ),
    ):
        with pytest.raises(NotAllowed):
            call()
    assert permissions.allowed_actions(police, case) == ["note", "witnessed"]


def test_members_of_a_participating_organisation_may_note(areas, other_areas):  # type: ignore[no-untyped-def]
    actors = Actors(areas)
    case = walk_to(report(areas["micro_grid"]), S.IN_PROGRESS, actors)
    firm = OrganizationFactory.create(name="电梯维保公司")
    engineer = staff_user(other_areas["street"], Role.PROVIDER_STAFF)
    Assignment.objects.filter(user=engineer).update(organization=firm)
    services.case_add_participant(
        case=case, actor=actors.dispatcher, role=ParticipantRole.OTHER, organization=firm
    )
    event = services.case_add_note(case=case, actor=engineer, note="已派工程师")
    assert event.actor == engineer


def test_verification_by_grid_staff_not_by_the_handler(areas):  # type: ignore[no-untyped-def]
    actors = Actors(areas)
    case = walk_to(report(areas["micro_grid"]), S.HANDLED, actors)
    with pytest.raises(NotAllowed):
        services.case_verify(case=case, actor=actors.handler)  # nobody checks their own work
    assert services.case_verify(case=case, actor=actors.grid_worker).status == S.VERIFIED


def test_inactive_and_unassigned_users_may_do_nothing(areas):  # type: ignore[no-untyped-def]
    actors = Actors(areas)
    case = report(areas["micro_grid"])
    nobody = UserFactory.create()
    actors.dispatcher.is_active = False
    actors.dispatcher.save()
    assert permissions.allowed_actions(nobody, case) == []
    assert permissions.allowed_actions(actors.dispatcher, case) == []
    assert "merge" in permissions.allowed_actions(superuser(), case)


def test_registering_may_reclassify_the_case(areas):  # type: ignore[no-untyped-def]
    actors = Actors(areas)
    case = report(areas["micro_grid"])
    leak = category("漏水")
    case = services.case_register(case=case, actor=actors.dispatcher, category=leak)
    assert case.category == leak and case.priority == leak.priority
    event = case.events.last()
    assert event is not None and event.data == {"category_from": "SQ04", "category_to": "SQ05"}
    # the dispatch clock now follows the new category's clock-time limits
    assert case.due_at is not None and case.stage_started_at is not None
    assert (case.due_at - case.stage_started_at).total_seconds() == leak.dispatch_limit


@pytest.mark.parametrize("role", [Role.PROVIDER_STAFF, Role.ENTERPRISE_CONTACT, Role.VOLUNTEER])
def test_involved_only_roles_do_not_see_the_cases_of_their_area(areas, role):  # type: ignore[no-untyped-def]
    from linli.cases.selectors import cases_visible_to

    case = report(areas["micro_grid"])
    user = staff_user(areas["community"], role)
    assert case not in cases_visible_to(user)
    assert not permissions.may(user, "note", case)
    case.reporter = user
    case.save()
    assert case in cases_visible_to(user)  # a case they reported is theirs to follow
