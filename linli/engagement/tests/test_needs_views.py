"""Staff needs pages at /engagement/: three actors, filters, overdue, export, moves."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from linli.engagement.models import CouncilMeeting, MenuItem, Need, NeedStatus
from linli.orgs.models import Organization
from linli.places.models import Area

pytestmark = pytest.mark.django_db

BOARD = "/engagement/"


def as_user(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def age(need: Need, days: int) -> Need:
    """Pretend ``need`` was raised ``days`` calendar days ago (20 days always hold more
    than 3 working days, even across the Spring Festival)."""
    Need.objects.filter(pk=need.pk).update(created_at=timezone.now() - dt.timedelta(days=days))
    need.refresh_from_db()
    return need


# --- who may see ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", [BOARD, "/engagement/needs/new/", "/engagement/menu/", "/engagement/councils/"]
)
def test_anonymous_visitors_go_to_the_login_page(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_staff_without_a_needs_role_get_403(client: Client, assigned: User) -> None:
    assert as_user(client, assigned).get(BOARD).status_code == 403


def test_enterprise_contact_gets_403_on_staff_pages(client: Client, firm_contact: User) -> None:
    assert as_user(client, firm_contact).get(BOARD).status_code == 403


def test_board_shows_the_areas_needs_only(
    client: Client, need: Need, admin: User, outsider: User
) -> None:
    page = as_user(client, admin).get(BOARD).content.decode()
    assert need.number in page

    client.logout()
    other = as_user(client, outsider).get(BOARD)
    assert other.status_code == 200
    assert need.number not in other.content.decode()


def test_a_need_outside_ones_areas_is_404(client: Client, need: Need, outsider: User) -> None:
    client = as_user(client, outsider)
    assert client.get(f"/engagement/needs/{need.pk}/").status_code == 404
    response = client.post(f"/engagement/needs/{need.pk}/move/", {"to": "accepted"})
    assert response.status_code == 404
    need.refresh_from_db()
    assert need.status == NeedStatus.RAISED


def test_grid_worker_sees_needs_under_the_grid(client: Client, need: Need, worker: User) -> None:
    assert need.number in as_user(client, worker).get(BOARD).content.decode()


# --- filters, counts, overdue ---------------------------------------------------------------


def test_filters_and_counts(
    client: Client, raise_need: Callable[..., Need], admin: User, move: Callable[..., Need]
) -> None:
    training = raise_need()
    legal = move(raise_need(category="legal", title="劳动合同咨询"), "accepted")
    client = as_user(client, admin)

    page = client.get(BOARD, {"category": "legal"}).content.decode()
    assert legal.number in page and training.number not in page

    page = client.get(BOARD, {"status": "raised"}).content.decode()
    assert training.number in page and legal.number not in page
    assert 'data-status="raised">1<' in page and 'data-status="accepted">1<' in page


def test_bad_filter_values_show_everything_instead_of_an_error(
    client: Client, need: Need, admin: User
) -> None:
    response = as_user(client, admin).get(BOARD, {"status": "bogus", "organization": "x"})
    assert response.status_code == 200
    assert need.number in response.content.decode()


def test_overdue_needs_are_flagged_and_filtered(
    client: Client, raise_need: Callable[..., Need], admin: User
) -> None:
    old = age(raise_need(title="旧需求"), 20)
    fresh = raise_need(title="新需求")
    client = as_user(client, admin)

    page = client.get(BOARD).content.decode()
    assert "超过 3 个工作日未受理 1 项" in page
    page = client.get(BOARD, {"overdue": "on"}).content.decode()
    assert old.number in page and fresh.number not in page

    detail = client.get(f"/engagement/needs/{old.pk}/").content.decode()
    assert "已超过受理时限" in detail


# --- export ---------------------------------------------------------------------------------


def test_export_opens_in_openpyxl_with_the_filtered_rows(
    client: Client, raise_need: Callable[..., Need], admin: User, outsider: User
) -> None:
    training = raise_need()
    legal = raise_need(category="legal", title="劳动合同咨询", headcount=3)

    response = as_user(client, admin).get("/engagement/needs/export.xlsx", {"category": "legal"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and rows[0][4] == "需求"
    assert [r[0] for r in rows[1:]] == [legal.number]
    assert rows[1][4] == "劳动合同咨询" and rows[1][6] == 3
    assert training.number not in [r[0] for r in rows]

    client.logout()
    other = as_user(client, outsider).get("/engagement/needs/export.xlsx")
    other_rows = list(load_workbook(io.BytesIO(other.content)).active.iter_rows(values_only=True))
    assert len(other_rows) == 1  # header only: nothing of another street


# --- the need page and its moves ------------------------------------------------------------


def test_detail_offers_the_moves_allowed_now(client: Client, need: Need, admin: User) -> None:
    page = as_user(client, admin).get(f"/engagement/needs/{need.pk}/").content.decode()
    assert 'data-move="accepted"' in page and 'data-move="declined"' in page
    assert 'data-move="done"' not in page


def test_accepting_from_the_page(client: Client, need: Need, admin: User) -> None:
    response = as_user(client, admin).post(
        f"/engagement/needs/{need.pk}/move/", {"to": "accepted", "note": "已联系企业"}
    )
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == NeedStatus.ACCEPTED
    assert need.events.last().note == "已联系企业"  # type: ignore[union-attr]


def test_planning_from_the_menu_offers_a_new_activity_link(
    client: Client, need: Need, admin: User, move: Callable[..., Need], menu_item: MenuItem
) -> None:
    move(need, "accepted")
    client = as_user(client, admin)
    page = client.get(f"/engagement/needs/{need.pk}/").content.decode()
    assert f"/activities/manage/new/?need={need.pk}" in page

    response = client.post(
        f"/engagement/needs/{need.pk}/move/", {"to": "planned", "menu_item": menu_item.pk}
    )
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == NeedStatus.PLANNED and need.menu_item == menu_item


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (["accepted"], "已受理"),
        (["accepted", "planned"], "已安排"),
        (["accepted", "planned", "in_progress"], "已开始办理"),
        (["accepted", "planned", "done"], "已办结"),
        (["declined"], "已标为“未能受理”"),
    ],
)
def test_each_move_is_confirmed_in_plain_words(
    client: Client,
    need: Need,
    admin: User,
    move: Callable[..., Need],
    path: list[str],
    message: str,
) -> None:
    for step in path[:-1]:
        move(need, step)
    data = {"to": path[-1], "plan_note": "社区统一安排", "declined_reason": "超出社区服务范围"}
    response = as_user(client, admin).post(f"/engagement/needs/{need.pk}/move/", data, follow=True)
    page = response.content.decode()
    assert f"需求 {need.number} {message}" in page and "已已" not in page


def test_illegal_move_is_409_with_the_reason(client: Client, need: Need, admin: User) -> None:
    response = as_user(client, admin).post(f"/engagement/needs/{need.pk}/move/", {"to": "done"})
    assert response.status_code == 409
    assert "不能改为「已办结」" in response.content.decode()
    need.refresh_from_db()
    assert need.status == NeedStatus.RAISED


def test_declining_without_reason_is_400(client: Client, need: Need, admin: User) -> None:
    response = as_user(client, admin).post(f"/engagement/needs/{need.pk}/move/", {"to": "declined"})
    assert response.status_code == 400
    assert "请填写未能受理的原因" in response.content.decode()
    need.refresh_from_db()
    assert need.status == NeedStatus.RAISED


def test_unknown_target_is_400(client: Client, need: Need, admin: User) -> None:
    response = as_user(client, admin).post(f"/engagement/needs/{need.pk}/move/", {"to": "zzz"})
    assert response.status_code == 400


# --- raising on an enterprise's behalf ------------------------------------------------------


def test_staff_raise_a_need_after_a_council(
    client: Client, admin: User, firm: Organization, community: Area
) -> None:
    meeting = CouncilMeeting.objects.create(
        area=community, title="A 座楼事会", held_at=timezone.now() - dt.timedelta(days=1)
    )
    client = as_user(client, admin)
    assert client.get("/engagement/needs/new/", {"council": meeting.pk}).status_code == 200

    response = client.post(
        "/engagement/needs/new/",
        {
            "organization": firm.pk,
            "council": meeting.pk,
            "category": "childcare",
            "title": "暑期职工子女托管",
            "urgency": "normal",
            "headcount": 25,
        },
    )

    assert response.status_code == 302
    need = Need.objects.get()
    assert need.council == meeting and need.raised_by == admin and need.headcount == 25
    assert response["Location"] == f"/engagement/councils/{meeting.pk}/"


def test_staff_raise_with_bad_headcount_is_400_and_writes_nothing(
    client: Client, admin: User, firm: Organization
) -> None:
    response = as_user(client, admin).post(
        "/engagement/needs/new/",
        {
            "organization": firm.pk,
            "category": "training",
            "title": "培训",
            "urgency": "normal",
            "headcount": 0,
        },
    )
    assert response.status_code == 400
    assert not Need.objects.exists()


def test_staff_cannot_pick_an_organisation_outside_their_areas(
    client: Client, outsider: User, firm: Organization
) -> None:
    response = as_user(client, outsider).post(
        "/engagement/needs/new/",
        {
            "organization": firm.pk,
            "category": "training",
            "title": "越权",
            "urgency": "normal",
            "headcount": 2,
        },
    )
    assert response.status_code == 400
    assert not Need.objects.exists()


def test_board_queries_do_not_grow_with_rows(
    client: Client,
    raise_need: Callable[..., Need],
    admin: User,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    for i in range(12):
        raise_need(title=f"需求 {i}")
    client = as_user(client, admin)
    with django_assert_max_num_queries(15):  # 13 today; an N+1 would add 12
        response = client.get(BOARD)
    assert response.content.decode().count('class="need-row"') == 12
