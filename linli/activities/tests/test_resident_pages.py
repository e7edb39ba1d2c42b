"""Resident activity pages (/me/activities/): who may see them, registering oneself, a
child and a consenting relative, refusals, waitlist, the ticket, cancel and feedback.

The family: ``parent`` (an account) with ``child`` (8) in the same household and
``grandma`` who consented to the parent acting for her; ``stranger`` (an account) with
``stranger_child`` (9) in another household. Activities are days ahead, so nothing
depends on the time of day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.accounts.services import resident_account_create
from linli.activities.models import Activity, Registration, RegistrationStatus, Session
from linli.activities.services import Participant, registration_create
from linli.activities.tests.conftest import guest, local_at
from linli.activities.views import qr_svg
from linli.eligibility.models import Scheme, Tier
from linli.people.models import FamilyLink, Resident
from linli.testing.factories import (
    HouseholdFactory,
    ResidentFactory,
    make_id_number,
    staff_user,
)

pytestmark = pytest.mark.django_db


def years_ago(years: int) -> dt.date:
    """A birthday ``years`` whole years (and about 100 days) before today (never 29 Feb)."""
    today = timezone.localdate()
    return dt.date(today.year - years, today.month, min(today.day, 28)) - dt.timedelta(days=100)


@dataclasses.dataclass
class Family:
    parent: Resident
    child: Resident
    grandma: Resident
    stranger: Resident
    stranger_child: Resident
    parent_user: User
    stranger_user: User

    def client(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture
def family(areas: dict[str, Any]) -> Family:
    home = HouseholdFactory()
    parent = ResidentFactory(household=home, name="李梅", birth_date=years_ago(36))
    child = ResidentFactory(household=home, name="李小宝", birth_date=years_ago(8))
    grandma = ResidentFactory(name="王秀英", id_number=make_id_number(years_ago(78), seq=2))
    FamilyLink.objects.create(
        resident=grandma, relative=parent, relation="女儿", may_act=True, consent_at=timezone.now()
    )
    other_home = HouseholdFactory()
    stranger = ResidentFactory(household=other_home, name="赵强", birth_date=years_ago(40))
    stranger_child = ResidentFactory(household=other_home, name="赵小明", birth_date=years_ago(9))
    parent_account = resident_account_create(resident=parent, phone="13800001001", actor=None)
    stranger_account = resident_account_create(resident=stranger, phone="13800001002", actor=None)
    return Family(
        parent=parent,
        child=child,
        grandma=grandma,
        stranger=stranger,
        stranger_child=stranger_child,
        parent_user=parent_account.user,
        stranger_user=stranger_account.user,
    )


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def register_post(client: Client, activity: Activity, who: Resident, token: str = "") -> Any:
    return client.post(
        f"/me/activities/{activity.pk}/register/", {"who": str(who.pk), "token": token}
    )


# --- who may see the pages -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/me/activities/", "/me/activities/{pk}/register/"])
def test_anonymous_visitor_is_sent_to_the_log_in_page_and_back(
    client: Client, make_activity: Callable[..., Activity], path: str
) -> None:
    url = path.format(pk=make_activity().pk)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/me/login/?next=")
    assert response["Location"] == f"/me/login/?next={url}"


def test_staff_user_is_sent_to_the_organiser_pages(
    client: Client, areas: dict[str, Any], make_activity: Callable[..., Activity]
) -> None:
    client.force_login(staff_user(areas["community"]))
    for url in ["/me/activities/", f"/me/activities/{make_activity().pk}/register/"]:
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, "/activities/manage/")


def test_draft_activity_cannot_be_registered_for(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    draft = make_activity(publish=False)
    response = family.client(family.parent_user).get(f"/me/activities/{draft.pk}/register/")
    assert response.status_code == 404
    assert "没有找到这个活动或报名" in text(response)


# --- registering ---------------------------------------------------------------------------------


def test_register_page_offers_self_child_and_consenting_relative_not_a_stranger(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    page = text(
        family.client(family.parent_user).get(f"/me/activities/{make_activity().pk}/register/")
    )
    assert "本人（李梅）" in page
    assert "李小宝（孩子）" in page
    assert "王秀英（母亲）" in page
    assert "赵小明" not in page and "赵强" not in page
    assert "确认报名" in page and "免费" in page


def test_the_log_in_hint_is_for_visitors_not_for_a_logged_in_resident(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity()
    url = f"/activities/{activity.pk}/"
    assert "报名需用手机号登录" in text(Client().get(url))
    mine = text(family.client(family.parent_user).get(url))
    assert "报名需用手机号登录" not in mine and 'id="register"' in mine


def test_resident_registers_self_and_sees_success_on_the_ticket(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity()
    client = family.client(family.parent_user)
    response = register_post(client, activity, family.parent, token="t1")
    registration = Registration.objects.get(activity=activity)
    assert response.status_code == 302
    assert response["Location"] == f"/me/activities/ticket/{registration.token}/?new=1"
    assert (registration.resident, registration.guardian) == (family.parent, None)
    assert registration.registered_by == family.parent_user
    page = text(client.get(response["Location"]))
    assert "报名成功" in page and "李梅" in page and "<svg" in page


def test_a_double_tap_registers_once(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity()
    client = family.client(family.parent_user)
    first = register_post(client, activity, family.parent, token="same")
    second = register_post(client, activity, family.parent, token="same")
    assert first["Location"] == second["Location"]
    assert Registration.objects.filter(activity=activity).count() == 1


def test_register_page_opens_on_the_first_person_the_activity_admits(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    camp = make_activity(title="暑期托管班", kind="camp", min_age=6, max_age=12)
    page = text(family.client(family.parent_user).get(f"/me/activities/{camp.pk}/register/"))
    assert f'name="who" value="{family.child.pk}"' in page  # the form registers the child
    assert "李小宝 的费用" in page and "不能为" not in page
    nobody = make_activity(
        title="青年志愿者培训",
        min_age=18,
        max_age=30,
        sessions=[(local_at(9, 14), local_at(9, 16), "")],
    )
    page = text(family.client(family.parent_user).get(f"/me/activities/{nobody.pk}/register/"))
    assert "不能为 李梅 报名" in page


def test_parent_registers_child_as_guardian(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity(title="暑期托管班", kind="camp", min_age=6, max_age=12)
    client = family.client(family.parent_user)
    page = text(client.get(f"/me/activities/{activity.pk}/register/?for={family.child.pk}"))
    assert "由您作为家长报名" in page
    response = register_post(client, activity, family.child)
    assert response.status_code == 302
    registration = Registration.objects.get(activity=activity)
    assert (registration.resident, registration.guardian) == (family.child, family.parent)


def test_child_outside_the_age_band_is_refused_plainly(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity(title="青少年编程", kind="class", min_age=10, max_age=14)
    client = family.client(family.parent_user)
    page = text(client.get(f"/me/activities/{activity.pk}/register/?for={family.child.pk}"))
    assert "不在本活动的年龄范围（10–14 岁）内" in page
    assert "确认报名" not in page
    response = register_post(client, activity, family.child)
    assert response.status_code == 400
    assert "不在本活动的年龄范围（10–14 岁）内" in text(response)
    assert not Registration.objects.exists()


def test_consenting_relative_is_registered_by_the_parent(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity(title="智能手机课")
    response = register_post(family.client(family.parent_user), activity, family.grandma)
    assert response.status_code == 302
    registration = Registration.objects.get(activity=activity)
    assert (registration.resident, registration.guardian) == (family.grandma, None)


def test_a_strangers_child_is_refused_and_nothing_written(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity()
    client = family.client(family.parent_user)
    page = client.get(f"/me/activities/{activity.pk}/register/?for={family.stranger_child.pk}")
    assert page.status_code == 403
    response = register_post(client, activity, family.stranger_child)
    assert response.status_code == 403
    assert "您不能为这位居民报名" in text(response)
    assert not Registration.objects.exists()


def test_a_revoked_consent_removes_the_relative(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    FamilyLink.objects.filter(resident=family.grandma).update(revoked_at=timezone.now())
    response = register_post(family.client(family.parent_user), make_activity(), family.grandma)
    assert response.status_code == 403
    assert not Registration.objects.exists()


def test_registering_twice_shows_the_existing_registration(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity()
    client = family.client(family.parent_user)
    register_post(client, activity, family.parent, token="a")
    page = text(client.get(f"/me/activities/{activity.pk}/register/"))
    assert "李梅 已已报名" not in page and "李梅 已报名" in page
    assert "查看报名" in page
    again = register_post(client, activity, family.parent, token="b")
    assert again.status_code == 400
    assert "不能重复报名" in text(again)
    assert Registration.objects.filter(activity=activity).count() == 1


def test_full_activity_puts_the_resident_on_the_waitlist_with_position(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity(capacity=1)
    registration_create(activity=activity, participant=guest())
    client = family.client(family.parent_user)
    page = text(client.get(f"/me/activities/{activity.pk}/register/"))
    assert "报名后进入候补" in page and "确认报名候补" in page
    response = register_post(client, activity, family.parent)
    page = text(client.get(response["Location"]))
    assert "已进入候补第 1 位" in page
    assert "<svg" not in page  # no check-in code before a place is free
    assert "⏳</span> 候补第 1 位" in text(client.get("/me/activities/"))


def test_full_waitlist_is_refused_plainly(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity(capacity=1, waitlist_limit=0)
    registration_create(activity=activity, participant=guest())
    client = family.client(family.parent_user)
    assert "名额和候补都已满" in text(client.get(f"/me/activities/{activity.pk}/register/"))
    response = register_post(client, activity, family.parent)
    assert response.status_code == 400
    assert "候补也已满" in text(response)


def test_closed_activity_answers_409(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity()
    Activity.objects.filter(pk=activity.pk).update(status="closed")
    response = register_post(family.client(family.parent_user), activity, family.parent)
    assert response.status_code == 409
    assert "报名截止，不能报名" in text(response)


def test_fee_scheme_price_and_reason_are_shown_before_confirming(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    scheme = Scheme.objects.create(code="calligraphy", name="书法班收费", list_price_fen=20000)
    Tier.objects.create(
        scheme=scheme,
        priority=1,
        name="70岁以上",
        condition={"fact": "age", "op": ">=", "value": 70},
        price_fen=5000,
        reason="老年优惠：{held}",
        valid_from=dt.date(2020, 1, 1),
    )
    activity = make_activity(title="书法班", kind="class", fee_scheme=scheme)
    client = family.client(family.parent_user)
    grandma = text(client.get(f"/me/activities/{activity.pk}/register/?for={family.grandma.pk}"))
    assert "50.00 元" in grandma and "老年优惠" in grandma
    parent = text(client.get(f"/me/activities/{activity.pk}/register/"))
    assert "200.00 元" in parent
    register_post(client, activity, family.grandma)
    assert Registration.objects.get().price_fen == 5000


# --- my registrations and the ticket ------------------------------------------------------------


def test_my_registrations_list_mine_my_childs_and_relatives_not_a_strangers(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    camp = make_activity(title="暑期托管班", min_age=6, max_age=12)
    phone_class = make_activity(
        title="智能手机课", sessions=[(local_at(9, 14), local_at(9, 16), "")]
    )
    client = family.client(family.parent_user)
    register_post(client, camp, family.child)
    register_post(client, phone_class, family.grandma)
    stranger = family.client(family.stranger_user)
    register_post(stranger, camp, family.stranger_child)
    page = text(client.get("/me/activities/"))
    assert "暑期托管班 · 李小宝" in page and "智能手机课 · 王秀英" in page
    assert "赵小明" not in page
    assert "订阅日历" in page and "/me/activities/calendar/" in page


def test_ticket_is_visible_only_to_its_people(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity(min_age=6, max_age=12)
    register_post(family.client(family.parent_user), activity, family.child)
    registration = Registration.objects.get()
    url = f"/me/activities/ticket/{registration.token}/"
    page = text(family.client(family.parent_user).get(url))
    assert "李小宝（家长：李梅）" in page and "入场时请出示此签到码" in page
    other = family.client(family.stranger_user).get(url)
    assert other.status_code == 404
    assert "李小宝" not in text(other)
    for action in ["cancel/"]:
        assert family.client(family.stranger_user).post(url + action).status_code == 404
    assert Client().get(url).status_code == 302


def test_ticket_qr_code_encodes_the_check_in_address(
    family: Family, make_activity: Callable[..., Activity], settings: Any
) -> None:
    """The QR code on the page is exactly segno's code of the organisers' check-in URL
    for this token (absolute, on the configured site address)."""
    settings.NOTIFY_SITE_URL = "https://linli.example.cn"
    activity = make_activity()
    client = family.client(family.parent_user)
    register_post(client, activity, family.parent)
    registration = Registration.objects.get()
    page = client.get(f"/me/activities/ticket/{registration.token}/").content.decode()
    url = f"https://linli.example.cn/activities/manage/checkin/{registration.token}/"
    assert reverse("activities_manage:checkin", args=[registration.token]) in url
    assert str(qr_svg(url, title="李梅的签到码")) in page


def test_cancel_asks_on_its_own_page_then_promotes_the_waitlist(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity(capacity=1)
    client = family.client(family.parent_user)
    register_post(client, activity, family.parent)
    waiting = registration_create(activity=activity, participant=guest()).registration
    mine = Registration.objects.get(resident=family.parent)
    url = f"/me/activities/ticket/{mine.token}/cancel/"
    question = text(client.get(url))
    assert "确定要取消 <strong>李梅</strong> 的" in question and "名额会让给候补的人" in question
    assert Registration.objects.get(pk=mine.pk).status == RegistrationStatus.CONFIRMED
    response = client.post(url, {"reason": "临时有事"})
    assert response["Location"] == f"/me/activities/ticket/{mine.token}/?cancelled=1"
    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert (mine.status, mine.cancel_reason) == (RegistrationStatus.CANCELLED, "临时有事")
    assert waiting.status == RegistrationStatus.CONFIRMED
    again = client.post(url, {"reason": ""})
    assert again.status_code == 409
    assert "该报名已取消" in text(again)


def test_feedback_only_after_the_activity_began(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    activity = make_activity()
    client = family.client(family.parent_user)
    register_post(client, activity, family.parent)
    registration = Registration.objects.get()
    ticket = f"/me/activities/ticket/{registration.token}/"
    assert "评价这次活动" not in text(client.get(ticket))
    early = client.post(ticket + "feedback/", {"rating": "5", "comment": "很好"})
    assert early.status_code == 409
    assert "活动开始后才能评价" in text(early)
    started = timezone.now() - dt.timedelta(minutes=5)
    Session.objects.filter(activity=activity).update(
        starts_at=started, ends_at=started + dt.timedelta(hours=2)
    )
    assert "评价这次活动" in text(client.get(ticket))
    bad = client.post(ticket + "feedback/", {"rating": "9"})
    assert bad.status_code == 400 and "评分应为 1 到 5 星" in text(bad)
    done = client.post(ticket + "feedback/", {"rating": "4", "comment": "老师讲得清楚"})
    assert done["Location"] == ticket + "?rated=1"
    registration.refresh_from_db()
    assert (registration.rating, registration.feedback) == (4, "老师讲得清楚")


def test_register_for_someone_by_participant_keeps_guardian_for_minor_relative(
    family: Family, make_activity: Callable[..., Activity]
) -> None:
    """A consenting relative under 18 (a grandchild in another home) is registered with
    the account's resident as guardian, as the service requires for minors."""
    grandchild = ResidentFactory(name="孙小雨", birth_date=years_ago(10))
    FamilyLink.objects.create(
        resident=grandchild,
        relative=family.parent,
        relation="侄女",
        may_act=True,
        consent_at=timezone.now(),
    )
    activity = make_activity(min_age=6, max_age=12)
    response = register_post(family.client(family.parent_user), activity, grandchild)
    assert response.status_code == 302
    registration = Registration.objects.get(resident=grandchild)
    assert registration.guardian == family.parent
    assert Participant(resident=grandchild).display_name == "孙小雨"
