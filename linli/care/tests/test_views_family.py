"""The family away page (/me/away/): a daughter announces "staying with us until …" for her
mother who consented, sees it and ends it; strangers, revoked consent, bad dates and
staff users are turned away in words."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.accounts.services import resident_account_create
from linli.care.models import AwayEnd, AwayPeriod
from linli.people.models import FamilyLink, Resident
from linli.testing.factories import ResidentFactory, WatchFactory, make_id_number

pytestmark = pytest.mark.django_db


@dataclasses.dataclass
class Family:
    daughter: Resident
    mother: Resident
    aunt: Resident
    stranger: Resident
    daughter_user: User
    loner_user: User


@pytest.fixture
def family(db: Any) -> Family:
    """A daughter with an account; her mother (watched, consent given), an aunt (consent
    revoked), a stranger, and a lone elder with an account of her own."""
    now = timezone.now()
    daughter = ResidentFactory(name="李梅", id_number=make_id_number(dt.date(1975, 3, 8)))
    mother = WatchFactory(
        resident__name="王秀英", resident__id_number=make_id_number(dt.date(1946, 1, 2), seq=2)
    ).resident  # an even sequence digit: female, so the page says 母亲
    aunt = ResidentFactory(name="王秀兰", id_number=make_id_number(dt.date(1950, 6, 1)))
    stranger = ResidentFactory(name="赵强", id_number=make_id_number(dt.date(1960, 9, 9)))
    loner = WatchFactory(resident__name="孙桂芝").resident
    FamilyLink.objects.create(
        resident=mother, relative=daughter, relation="女儿", may_act=True, consent_at=now
    )
    FamilyLink.objects.create(
        resident=aunt,
        relative=daughter,
        relation="外甥女",
        may_act=True,
        consent_at=now - dt.timedelta(days=30),
        revoked_at=now - dt.timedelta(days=1),
    )
    account = resident_account_create(resident=daughter, phone="13800000001", actor=None)
    lone = resident_account_create(resident=loner, phone="13800000003", actor=None)
    return Family(daughter, mother, aunt, stranger, account.user, lone.user)


@pytest.fixture
def daughter(family: Family) -> Client:
    client = Client()
    client.force_login(family.daughter_user)
    return client


URL = "/me/away/"


def back_in(days: int) -> dict[str, str]:
    day = timezone.localdate() + dt.timedelta(days=days)
    return {"back_date": day.isoformat(), "back_time": "18:30"}


def text(response: Any) -> str:
    return response.content.decode()


def test_anonymous_visitors_go_to_the_resident_log_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_staff_users_are_sent_to_the_staff_care_page(client: Client, assigned: User) -> None:
    client.force_login(assigned)
    assert client.get(URL)["Location"] == reverse("care:home")


def test_the_daughter_may_choose_herself_or_her_mother_and_the_watched_mother_is_chosen(
    family: Family, daughter: Client
) -> None:
    page = text(daughter.get(URL))
    assert "本人（李梅）" in page
    assert "王秀英（母亲）" in page
    assert "王秀兰" not in page and "赵强" not in page  # revoked consent, stranger
    checked = page.split(" checked>")[0].rsplit('value="', 1)[1]
    assert checked.startswith(str(family.mother.pk))


def test_announcing_away_mode_for_mother_starts_now_and_is_listed(
    family: Family, daughter: Client
) -> None:
    before = timezone.now()
    form = {"person": family.mother.pk, **back_in(3), "note": "去女儿家住"}
    response = daughter.post(URL, form)
    assert response.status_code == 302 and response["Location"] == URL
    away = AwayPeriod.objects.get(resident=family.mother)
    assert before <= away.starts_at <= timezone.now()
    local_end = timezone.localtime(away.ends_at)
    assert (local_end.date(), local_end.hour, local_end.minute) == (
        timezone.localdate() + dt.timedelta(days=3),
        18,
        30,
    )
    assert away.announced_by == family.daughter_user and away.note == "去女儿家住"
    page = text(daughter.get(URL))
    assert "已登记：王秀英（母亲）外出" in page
    listed = page[page.index('id="aways"') :]
    assert "王秀英（母亲）" in listed and "已经回家了" in listed


def test_a_return_in_the_past_is_refused_in_words(family: Family, daughter: Client) -> None:
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = daughter.post(
        URL, {"person": family.mother.pk, "back_date": yesterday, "back_time": "08:00"}
    )
    assert response.status_code == 400
    assert "回来时间已经过去" in text(response)
    assert not AwayPeriod.objects.exists()


def test_a_malformed_date_is_refused_in_words(family: Family, daughter: Client) -> None:
    response = daughter.post(
        URL, {"person": family.mother.pk, "back_date": "2026-13-45", "back_time": "8点"}
    )
    assert response.status_code == 400
    page = text(response)
    assert "请选择正确的日期" in page and "请填写正确的时间" in page
    assert not AwayPeriod.objects.exists()


def test_too_long_an_away_is_refused(family: Family, daughter: Client) -> None:
    response = daughter.post(URL, {"person": family.mother.pk, **back_in(120)})
    assert response.status_code == 400
    assert "外出登记最长 92 天" in text(response)


def test_an_overlapping_away_is_refused(family: Family, daughter: Client) -> None:
    daughter.post(URL, {"person": family.mother.pk, **back_in(3)})
    response = daughter.post(URL, {"person": family.mother.pk, **back_in(5)})
    assert response.status_code == 400
    assert "这段时间已有外出登记" in text(response)
    assert AwayPeriod.objects.count() == 1


@pytest.mark.parametrize("who", ["stranger", "aunt"])
def test_away_for_someone_without_consent_is_refused_and_nothing_written(
    family: Family, daughter: Client, who: str
) -> None:
    person = getattr(family, who)
    response = daughter.post(URL, {"person": person.pk, **back_in(3)})
    assert response.status_code == 400
    assert "请选择是谁外出" in text(response)
    assert not AwayPeriod.objects.exists()


def test_without_a_choice_the_page_asks_who(family: Family, daughter: Client) -> None:
    response = daughter.post(URL, back_in(3))
    assert response.status_code == 400
    assert "请选择是谁外出" in text(response)


def test_already_home_ends_away_mode(family: Family, daughter: Client) -> None:
    daughter.post(URL, {"person": family.mother.pk, **back_in(3)})
    away = AwayPeriod.objects.get()
    response = daughter.post(reverse("resident_care:away_end", args=[away.pk]))
    assert response.status_code == 302
    away.refresh_from_db()
    assert away.end_reason == AwayEnd.CANCELLED and away.ended_at is not None
    page = text(daughter.get(URL))
    assert "的外出登记" in page and "现在没有外出登记" in page
    again = daughter.post(reverse("resident_care:away_end", args=[away.pk]))
    assert again.status_code == 409 and "该外出登记已结束" in text(again)


def test_ending_a_strangers_away_is_a_404_in_resident_words(
    family: Family, daughter: Client
) -> None:
    now = timezone.now()
    away = AwayPeriod.objects.create(
        resident=family.stranger, starts_at=now, ends_at=now + dt.timedelta(days=1)
    )
    response = daughter.post(reverse("resident_care:away_end", args=[away.pk]))
    assert response.status_code == 404
    assert "不是您家人的登记" in text(response)
    away.refresh_from_db()
    assert away.ended_at is None


def test_a_lone_elder_announces_her_own_away_without_choosing(
    family: Family, client: Client
) -> None:
    client.force_login(family.loner_user)
    page = text(client.get(URL))
    assert 'type="hidden" name="person"' in page
    response = client.post(
        URL, {"person": family.loner_user.resident_account.resident_id, **back_in(2)}
    )
    assert response.status_code == 302
    assert AwayPeriod.objects.filter(announced_by=family.loner_user).count() == 1


def test_account_page_links_away_mode_for_family_and_for_the_resident_themself(
    family: Family, daughter: Client, client: Client
) -> None:
    assert "家人去亲戚家住" in text(daughter.get(reverse("accounts:me")))
    client.force_login(family.loner_user)
    assert "要去亲戚家住几天？登记外出" in text(client.get(reverse("accounts:me")))
