"""The report's emergency, end to end (issue 3, "The case").

A micro-grid worker notices that an elderly man living alone has not been seen and his
door stays shut; she reports it. The community registers it and dispatches the emergency
team; the property company and a police officer join; the door is forced with the officer
as witness; he is taken to hospital; his daughter is informed; the case is handled,
verified and closed. The whole timeline must read back in order, with actors and witness,
and the officer — assigned to another street — sees this case and no other.
"""

from __future__ import annotations

import datetime as dt

import pytest

from linli.cases import services
from linli.cases.models import CaseAction, CaseChannel, CaseStatus, ParticipantRole
from linli.cases.selectors import cases_visible_to
from linli.cases.tests.lifecycle import MONDAY, category, fast_passwords, report  # noqa: F401
from linli.people.models import Assignment, Role
from linli.testing.factories import (
    HouseholdFactory,
    OrganizationFactory,
    ResidentFactory,
    staff_user,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")
A = CaseAction


@pytest.mark.django_db
def test_elderly_man_living_alone_walk(areas, other_areas):  # type: ignore[no-untyped-def]
    # Given the people of the story
    household = HouseholdFactory.create(
        building__micro_grid=areas["micro_grid"], building__lat="38.48", building__lng="106.22"
    )
    elder = ResidentFactory.create(
        household=household, name="张大爷", birth_date=dt.date(1941, 3, 2), living_alone=True
    )
    daughter = ResidentFactory.create(name="张女士", household=HouseholdFactory.create())
    worker = staff_user(areas["micro_grid"], Role.MICRO_GRID_WORKER, first_name="李网格")
    admin = staff_user(areas["community"], Role.COMMUNITY_ADMIN, first_name="社区书记")
    emergency = staff_user(areas["community"], Role.EMERGENCY_TEAM, first_name="应急队员")
    property_co = OrganizationFactory.create(name="金凤物业", kind="property_company")
    keeper = staff_user(areas["community"], Role.PROPERTY_STAFF, first_name="物业管家")
    Assignment.objects.filter(user=keeper).update(organization=property_co)
    police = staff_user(other_areas["street"], Role.POLICE, first_name="民警王某")
    other_case = report(areas["micro_grid"], reporter=worker)  # the officer has no part in it
    t = MONDAY.replace(hour=20)  # evening: the category counts clock time, not office hours

    def at(minutes: int) -> dt.datetime:
        return t + dt.timedelta(minutes=minutes)

    # When the micro-grid worker reports the silence at his household
    case = services.case_report(
        category=category("独居老人异常"),
        channel=CaseChannel.GRID_PATROL,
        description="独居老人张大爷两天未见出门，敲门无应答，屋内电视声不断",
        reporter=worker,
        subject_resident=elder,
        now=at(0),
    )
    assert case.household == household and case.area == areas["micro_grid"]
    assert case.due_at == at(10)  # minutes-level, clock-time limit to register

    # the community registers and dispatches to the emergency team, who accept
    case = services.case_register(case=case, actor=admin, now=at(2))
    case = services.case_dispatch(case=case, actor=admin, handler=emergency, now=at(3))
    case = services.case_accept(case=case, actor=emergency, now=at(5))
    # the property company and the police officer join
    services.case_add_participant(
        case=case,
        actor=emergency,
        role=ParticipantRole.PROPERTY_COMPANY,
        user=keeper,
        organization=property_co,
        now=at(6),
    )
    services.case_add_participant(
        case=case, actor=emergency, role=ParticipantRole.POLICE, user=police, now=at(7)
    )
    # the property keeper forces the door with the officer as witness
    services.case_record_witnessed_action(
        case=case, actor=keeper, action_text="破门进入，发现老人倒地", witness=police, now=at(20)
    )
    services.case_add_note(case=case, actor=emergency, note="已送医院急救", now=at(35))
    # the family is informed
    services.case_add_participant(
        case=case,
        actor=emergency,
        role=ParticipantRole.FAMILY,
        resident=daughter,
        phone="13912345678",
        note="已电话通知女儿张女士",
        now=at(40),
    )
    case = services.case_handle(case=case, actor=emergency, note="老人已送医，病情稳定", now=at(90))
    case = services.case_verify(case=case, actor=worker, note="医院回访属实", now=at(120))
    case = services.case_close(case=case, actor=admin, now=at(125))

    # Then the case is closed, credited to the emergency team
    assert case.status == CaseStatus.CLOSED
    assert case.closing_user == emergency and case.closed_at == at(125)
    # and the whole timeline reads back in order, with actors and the witness
    timeline = [(e.action, e.actor, e.from_status, e.to_status, e.at) for e in case.events.all()]
    S = CaseStatus
    assert timeline == [
        (A.REPORT, worker, "", S.REPORTED, at(0)),
        (A.REGISTER, admin, S.REPORTED, S.REGISTERED, at(2)),
        (A.DISPATCH, admin, S.REGISTERED, S.DISPATCHED, at(3)),
        (A.ACCEPT, emergency, S.DISPATCHED, S.IN_PROGRESS, at(5)),
        (A.PARTICIPANT, emergency, S.IN_PROGRESS, S.IN_PROGRESS, at(6)),
        (A.PARTICIPANT, emergency, S.IN_PROGRESS, S.IN_PROGRESS, at(7)),
        (A.WITNESSED, keeper, S.IN_PROGRESS, S.IN_PROGRESS, at(20)),
        (A.NOTE, emergency, S.IN_PROGRESS, S.IN_PROGRESS, at(35)),
        (A.PARTICIPANT, emergency, S.IN_PROGRESS, S.IN_PROGRESS, at(40)),
        (A.HANDLE, emergency, S.IN_PROGRESS, S.HANDLED, at(90)),
        (A.VERIFY, worker, S.HANDLED, S.VERIFIED, at(120)),
        (A.CLOSE, admin, S.VERIFIED, S.CLOSED, at(125)),
    ]
    forced = case.events.get(action=A.WITNESSED)
    assert forced.witness == police and forced.witness_name == "民警王某"
    assert forced.note == "破门进入，发现老人倒地" and forced.actor_label == "物业管家"
    family = case.participants.get(role=ParticipantRole.FAMILY)
    assert family.name == "张女士" and family.resident == daughter
    assert {p.role for p in case.participants.all()} == {
        ParticipantRole.HANDLER,
        ParticipantRole.PROPERTY_COMPANY,
        ParticipantRole.POLICE,
        ParticipantRole.FAMILY,
    }
    # and the officer, assigned elsewhere, sees this case and no other of the area
    assert list(cases_visible_to(police)) == [case]
    assert other_case in cases_visible_to(worker)


@pytest.mark.django_db
def test_member_of_a_participating_organisation_sees_the_case(areas, other_areas) -> None:
    """A property-company employee sees the cases their company takes part in, no others."""
    from linli.cases.models import CaseParticipant
    from linli.testing.factories import OrganizationFactory, UserFactory

    company = OrganizationFactory(kind="property_company")
    employee = UserFactory()
    Assignment.objects.create(
        user=employee,
        area=other_areas["community"],
        role=Role.PROPERTY_STAFF,
        organization=company,
    )
    mine, other = report(areas["micro_grid"]), report(areas["micro_grid"])
    CaseParticipant.objects.create(
        case=mine, role=ParticipantRole.PROPERTY_COMPANY, organization=company
    )
    assert list(cases_visible_to(employee)) == [mine]
    assert other not in cases_visible_to(employee)
