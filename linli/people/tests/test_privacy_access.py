"""Subject access and correction (PIPL arts. 44–46): the resident's own download from /me/,
the staff export from the person page, correction requests, and who gets nothing."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.accounts.services import resident_account_create
from linli.audit.models import AuditEvent, AuditKind
from linli.devices.models import MonitoringConsent
from linli.people.models import FamilyLink
from linli.people.privacy import mask_numbers
from linli.testing.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _vote(area: Any, *, secret: bool, title: str, options: list[str]) -> Any:
    from linli.governance.models import Vote, VoteOption

    now = timezone.now()
    vote = Vote.objects.create(
        area=area,
        title=title,
        question="是否同意？",
        scope="adult",
        secret=secret,
        opens_at=now - dt.timedelta(days=2),
        closes_at=now - dt.timedelta(days=1),
        created_by=UserFactory(),
    )
    for position, label in enumerate(options):
        VoteOption.objects.create(vote=vote, label=label, position=position)
    return vote


def _cast(vote: Any, resident: Any, label: str) -> None:
    from linli.governance.models import Ballot, Elector, Participation

    elector = Elector.objects.create(vote=vote, resident=resident)
    part = Participation.objects.create(
        vote=vote, elector=elector, channel="online", cast_by=resident, at=timezone.now()
    )
    Ballot.objects.create(
        vote=vote,
        option=vote.options.get(label=label),
        channel="online",
        participation=None if vote.secret else part,
    )


@pytest.fixture
def world(areas: dict[str, Any]) -> dict[str, Any]:
    """马桂兰 with an account, a daughter link, a case, a plate, votes and a consent; and
    赵铁柱, a neighbour whose data must never appear in her export."""
    from linli.cases.models import Case, CaseCategory
    from linli.sharing.models import Vehicle

    me = ResidentFactory(name="马桂兰", phone="13912345678", living_alone=True)
    other = ResidentFactory(name="赵铁柱", phone="13800000000")
    daughter = ResidentFactory(name="马小兰")
    account = resident_account_create(resident=me, phone="13912345678", actor=None)
    FamilyLink.objects.create(
        resident=me, relative=daughter, relation="女儿", may_act=True, consent_at=timezone.now()
    )
    category = CaseCategory.objects.create(code="PRIV", name="楼道堆物", kind="event")
    for number, (who, title) in enumerate([(me, "楼道堆放杂物"), (other, "赵家漏水")], start=1):
        Case.objects.create(
            number=f"640106-20261130-{number:04d}",
            category=category,
            channel="grid_patrol",
            title=title,
            description="描述",
            area=areas["micro_grid"],
            subject_resident=who,
        )
    Vehicle.objects.create(owner=me, plate="宁A12345")
    Vehicle.objects.create(owner=other, plate="宁B99999")
    secret = _vote(
        areas["community"], secret=True, title="加装电梯表决", options=["同意加装", "反对加装"]
    )
    _cast(secret, me, "反对加装")
    open_vote = _vote(
        areas["community"], secret=False, title="停车位划线", options=["赞成划线", "不赞成划线"]
    )
    _cast(open_vote, me, "赞成划线")
    MonitoringConsent.objects.create(
        household=me.household, given_by=me, given_by_relation="本人", given_at=timezone.now()
    )
    return {"me": me, "other": other, "account": account}


def _sheets(response: Any) -> dict[str, str]:
    """Sheet name → all its cell texts joined by newlines."""
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return {
        sheet.title: "\n".join(
            str(value) for row in sheet.iter_rows(values_only=True) for value in row if value
        )
        for sheet in book.worksheets
    }


def test_me_page_links_to_the_download(client, world) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world["account"].user)
    me_page = client.get("/me/").content.decode()
    assert "下载我的个人信息" in me_page and reverse("privacy:me") in me_page
    page = client.get(reverse("privacy:me"))
    assert page.status_code == 200
    assert 'name="download"' in page.content.decode()


def test_resident_downloads_own_data_one_sheet_per_category(client, world) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world["account"].user)
    sheets = _sheets(client.post(reverse("privacy:me"), {"download": "1"}))
    assert list(sheets) == [
        "登记信息",
        "户籍与住址",
        "亲属关联",
        "事件（上报或涉及本人）",
        "服务订单",
        "关怀告警",
        "活动报名",
        "社区食堂用餐",
        "参加表决",
        "停车",
        "同意记录",
    ]
    assert "马桂兰" in sheets["登记信息"] and "独居" in sheets["登记信息"]
    assert "139****5678" in sheets["登记信息"] and "13912345678" not in sheets["登记信息"]
    assert "马小兰" in sheets["亲属关联"]
    assert "楼道堆放杂物" in sheets["事件（上报或涉及本人）"]
    assert "宁A12345" in sheets["停车"]
    assert "设备监测同意" in sheets["同意记录"]
    everything = "\n".join(sheets.values())
    for foreign in ("赵铁柱", "赵家漏水", "宁B99999", "13800000000"):
        assert foreign not in everything
    event = AuditEvent.objects.get(kind=AuditKind.DATA_REQUEST)
    assert event.object_id == str(world["me"].pk)
    assert event.detail["channel"] == "本人在“我的账号”页面下载"


def test_secret_ballot_choice_never_exported_open_one_is(client, world) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world["account"].user)
    votes = _sheets(client.post(reverse("privacy:me"), {"download": "1"}))["参加表决"]
    assert "加装电梯表决" in votes and "已投票" in votes
    assert "反对加装" not in votes and "同意加装" not in votes
    assert "不记录投了什么" in votes
    assert "停车位划线" in votes and "赞成划线" in votes


def test_staff_export_recorded_with_the_request_channel(client, community_admin, world) -> None:  # type: ignore[no-untyped-def]
    client.force_login(community_admin)
    url = reverse("privacy:resident", args=[world["me"].pk])
    assert "导出 Excel" in client.get(url).content.decode()
    response = client.post(reverse("privacy:export", args=[world["me"].pk]), {"channel": "counter"})
    sheets = _sheets(response)
    assert "马桂兰" in sheets["登记信息"] and "赵铁柱" not in "\n".join(sheets.values())
    event = AuditEvent.objects.get(kind=AuditKind.DATA_REQUEST)
    assert event.actor == community_admin
    assert event.detail == {"request": "access", "channel": "到社区居委会现场申请"}
    assert "到社区居委会现场申请" in client.get(url).content.decode()


def test_correction_request_recorded_with_numbers_masked(client, assigned, world) -> None:  # type: ignore[no-untyped-def]
    client.force_login(assigned)
    response = client.post(
        reverse("privacy:correction", args=[world["me"].pk]),
        {"channel": "counter", "asked": "电话应为 13711112222", "changed": "已在台账中改正电话"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(kind=AuditKind.DATA_REQUEST)
    assert event.detail["request"] == "correction"
    assert event.detail["asked"] == "电话应为 137******22"
    assert event.detail["changed"] == "已在台账中改正电话"
    page = client.get(response["Location"]).content.decode()
    assert "更正申请已登记" in page and "137******22" in page


def test_blank_correction_refused_in_chinese(client, assigned, world) -> None:  # type: ignore[no-untyped-def]
    client.force_login(assigned)
    response = client.post(
        reverse("privacy:correction", args=[world["me"].pk]), {"channel": "counter", "asked": ""}
    )
    assert response.status_code == 400
    assert "居民要求更正什么：该字段是必填项" in response.content.decode()
    assert not AuditEvent.objects.filter(kind=AuditKind.DATA_REQUEST).exists()


def test_outsider_staff_get_404_and_nothing_is_recorded(client, elsewhere, world) -> None:  # type: ignore[no-untyped-def]
    client.force_login(elsewhere)
    pk = world["me"].pk
    assert client.get(reverse("privacy:resident", args=[pk])).status_code == 404
    assert (
        client.post(reverse("privacy:export", args=[pk]), {"channel": "counter"}).status_code == 404
    )
    correction = {"channel": "counter", "asked": "x"}
    assert client.post(reverse("privacy:correction", args=[pk]), correction).status_code == 404
    assert not AuditEvent.objects.filter(kind=AuditKind.DATA_REQUEST).exists()


def test_staff_without_registry_role_get_404(client, areas, world) -> None:  # type: ignore[no-untyped-def]
    from linli.people.models import Role
    from linli.testing.factories import staff_user

    client.force_login(staff_user(areas["community"], Role.PROPERTY_STAFF))
    assert client.get(reverse("privacy:resident", args=[world["me"].pk])).status_code == 404


def test_anonymous_and_staff_cannot_use_the_resident_download(client, assigned, world) -> None:  # type: ignore[no-untyped-def]
    response = client.post(reverse("privacy:me"), {"download": "1"})
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(assigned)
    response = client.post(reverse("privacy:me"), {"download": "1"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not AuditEvent.objects.filter(kind=AuditKind.DATA_REQUEST).exists()


def test_resident_session_cannot_open_the_staff_person_page(client, world) -> None:  # type: ignore[no-untyped-def]
    from linli.accounts.middleware import RESIDENT_SESSION_KEY

    client.force_login(world["account"].user)
    session = client.session
    session[RESIDENT_SESSION_KEY] = True
    session.save()
    response = client.post(
        reverse("privacy:export", args=[world["other"].pk]), {"channel": "counter"}
    )
    assert response.status_code == 403


def test_mask_numbers_masks_long_digit_runs_only() -> None:
    assert mask_numbers("身份证 64010619500101001X 电话 13912345678 3号楼") == (
        "身份证 640*************1X 电话 139******78 3号楼"
    )
