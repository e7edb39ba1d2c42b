"""Residents raise and follow needs at /me/needs/ (and family who consented, for them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.accounts.services import resident_account_create
from linli.engagement.errors import NotAllowed
from linli.engagement.models import Need, NeedStatus
from linli.engagement.services import need_rate, need_transition
from linli.people.models import FamilyLink, Role
from linli.testing.factories import HouseholdFactory, ResidentFactory, staff_user

pytestmark = pytest.mark.django_db


def _login(resident: Any, phone: str) -> Client:
    account = resident_account_create(resident=resident, phone=phone, actor=None)
    client = Client()
    client.force_login(account.user)
    session = client.session
    session["linli_resident"] = True
    session.save()
    return client


@pytest.fixture
def family(areas: dict[str, Any]) -> dict[str, Any]:
    home = HouseholdFactory(building__micro_grid=areas["micro_grid"])
    mother = ResidentFactory(household=home, birth_date=dt.date(1948, 5, 1))
    daughter = ResidentFactory(birth_date=dt.date(1978, 5, 1), area=areas["micro_grid"])
    FamilyLink.objects.create(
        resident=mother, relative=daughter, relation="女儿", may_act=True, consent_at=timezone.now()
    )
    return {"mother": mother, "daughter": daughter}


def test_a_resident_raises_a_need_for_her_mother_and_rates_it(
    areas: dict[str, Any], family: dict[str, Any]
) -> None:
    client = _login(family["daughter"], "13912345001")
    page = client.get("/me/needs/new/")
    assert page.status_code == 200 and family["mother"].name in page.content.decode()
    answer = client.post(
        "/me/needs/new/",
        {
            "for": family["mother"].pk,
            "category": "training",
            "title": "老年人智能手机课",
            "urgency": "normal",
            "headcount": 12,
            "description": "楼里好几位老人想学视频通话",
        },
    )
    need = Need.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/me/needs/{need.pk}/"
    assert need.resident == family["mother"] and need.area == family["mother"].area
    assert "老年人智能手机课" in client.get("/me/needs/").content.decode()

    admin = staff_user(areas["community"], Role.COMMUNITY_ADMIN)
    need = need_transition(need=need, actor=admin, to=NeedStatus.ACCEPTED)
    need = need_transition(need=need, actor=admin, to=NeedStatus.PLANNED, plan_note="下月开班")
    need_transition(need=need, actor=admin, to=NeedStatus.DONE)
    detail = client.get(f"/me/needs/{need.pk}/").content.decode()
    assert "请评价办理结果" in detail and "下月开班" in detail
    rated = client.post(f"/me/needs/{need.pk}/rate/", {"rating": 4, "comment": "很好"})
    assert rated.status_code == 302
    need.refresh_from_db()
    assert need.rating == 4


def test_bad_input_and_other_peoples_needs(areas: dict[str, Any], family: dict[str, Any]) -> None:
    client = _login(family["daughter"], "13912345002")
    bad = client.post("/me/needs/new/", {"category": "", "title": "", "headcount": "abc"})
    assert bad.status_code == 400 and Need.objects.count() == 0
    assert "请按提示修改" in bad.content.decode()
    stranger = ResidentFactory(area=areas["micro_grid"])
    other = _login(stranger, "13912345003")
    other.post(
        "/me/needs/new/",
        {"category": "other", "title": "想要一个读书角", "urgency": "low", "headcount": 5},
    )
    theirs = Need.objects.get()
    assert client.get(f"/me/needs/{theirs.pk}/").status_code == 404
    # Choosing someone one may not act for falls back to oneself, never to them.
    client.post(
        "/me/needs/new/",
        {
            "for": stranger.pk,
            "category": "other",
            "title": "x",
            "urgency": "low",
            "headcount": 1,
        },
    )
    assert Need.objects.filter(resident=stranger).count() == 1
    admin = staff_user(areas["community"], Role.COMMUNITY_ADMIN)
    for to in (NeedStatus.ACCEPTED, NeedStatus.DECLINED):
        theirs = need_transition(need=theirs, actor=admin, to=to, declined_reason="场地不足")
    with pytest.raises(NotAllowed):
        need_rate(need=theirs, actor=family["daughter"].account.user, rating=5)


def test_who_gets_in(client: Client, areas: dict[str, Any]) -> None:
    assert client.get("/me/needs/")["Location"].startswith("/me/login/")
    staff = staff_user(areas["community"], Role.COMMUNITY_ADMIN)
    client.force_login(staff)
    assert client.get("/me/needs/")["Location"] == "/engagement/"
