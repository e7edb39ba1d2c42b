"""Vote pages with three actors: staff (manager / assigned / elsewhere), residents,
anonymous visitors; bad input answers with a clear message and writes nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.governance import voting
from linli.governance.models import Ballot, Participation, Vote, VoteStatus
from linli.governance.tests.fixtures_votes import (
    VoteScene,
    local_at,
    make_vote,
    option,
    vote_scene,
    with_account,
)

__all__ = ["vote_scene"]
pytestmark = pytest.mark.django_db


def open_vote(s: VoteScene, **overrides: object) -> Vote:
    """A vote that opened an hour ago and closes in three days."""
    opens = timezone.now() - dt.timedelta(hours=1)
    return make_vote(s.manager, s.community, opens_at=opens, closes_at=local_at(3, 18), **overrides)


def closed_vote(s: VoteScene, **overrides: object) -> Vote:
    """A vote that ran from two days ago to yesterday (published back then)."""
    return make_vote(
        s.manager, s.community, opens_at=local_at(-2, 9), closes_at=local_at(-1, 18), **overrides
    )


def as_user(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


# --- staff ----------------------------------------------------------------------------------


def test_staff_list_three_actors(vote_scene: VoteScene, assigned, elsewhere, client) -> None:  # type: ignore[no-untyped-def]
    vote = open_vote(vote_scene)
    url = reverse("governance_votes:home")
    assert vote.title in as_user(assigned).get(url).content.decode()
    assert vote.title not in as_user(elsewhere).get(url).content.decode()
    assert client.get(url).status_code == 302
    detail = reverse("governance_votes:vote", args=[vote.pk])
    assert as_user(elsewhere).get(detail).status_code == 404
    assert client.get(detail).status_code == 302
    page = as_user(assigned).get(detail).content.decode()
    assert (
        'id="turnout"' in page and 'id="publish-form"' not in page and 'id="count-form"' not in page
    )


def test_assigned_worker_may_not_count_or_cancel(vote_scene: VoteScene, assigned) -> None:  # type: ignore[no-untyped-def]
    vote = closed_vote(vote_scene)
    worker = as_user(assigned)
    assert worker.post(reverse("governance_votes:count", args=[vote.pk])).status_code == 403
    response = worker.post(reverse("governance_votes:cancel", args=[vote.pk]), {"reason": "x"})
    assert response.status_code == 403
    vote.refresh_from_db()
    assert vote.status == VoteStatus.PUBLISHED


def _create_form(s: VoteScene, **overrides: str) -> dict[str, str]:
    opens = timezone.localtime(timezone.now() + dt.timedelta(days=1))
    closes = opens + dt.timedelta(days=3)
    return {
        "area": str(s.community.pk),
        "title": "共享停车位改建",
        "question": "是否同意改建？",
        "options": "同意\n不同意\n",
        "with_abstain": "on",
        "scope": "household",
        "quorum_percent": "50",
        "majority": "simple",
        "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": closes.strftime("%Y-%m-%dT%H:%M"),
        **overrides,
    }


def test_manager_creates_publishes_and_enters_paper(vote_scene: VoteScene) -> None:
    s = vote_scene
    manager = as_user(s.manager)
    response = manager.post(reverse("governance_votes:new"), _create_form(s))
    vote = Vote.objects.get()
    assert response.status_code == 302 and vote.status == VoteStatus.DRAFT
    assert [o.label for o in vote.options.all()] == ["同意", "不同意", "弃权"]
    manager.post(reverse("governance_votes:publish", args=[vote.pk]))
    vote.refresh_from_db()
    assert vote.status == VoteStatus.PUBLISHED and vote.electorate == 2
    page = manager.get(reverse("governance_votes:vote", args=[vote.pk]), {"q": "李"})
    assert 'id="outside-window"' in page.content.decode()  # opens tomorrow


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"options": "同意"}, "请至少填写两个选项"),
        ({"options": "同意\n同意"}, "重复"),
        ({"quorum_percent": "150"}, "100"),
        ({"title": ""}, "必填"),
    ],
)
def test_create_bad_input(vote_scene: VoteScene, overrides: dict[str, str], message: str) -> None:
    response = as_user(vote_scene.manager).post(
        reverse("governance_votes:new"), _create_form(vote_scene, **overrides)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Vote.objects.exists()


def test_create_page_is_404_for_non_managers(vote_scene: VoteScene, assigned, elsewhere) -> None:  # type: ignore[no-untyped-def]
    for user in (assigned, elsewhere):
        assert as_user(user).get(reverse("governance_votes:new")).status_code == 404


def test_paper_entry_by_search(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = open_vote(s)
    manager = as_user(s.manager)
    page = manager.get(reverse("governance_votes:vote", args=[vote.pk]), {"q": "李老汉"})
    assert f'data-resident="{s.li_father.pk}"' in page.content.decode()
    url = reverse("governance_votes:paper", args=[vote.pk])
    yes = option(vote, "同意")
    assert manager.post(url, {"resident": s.li_father.pk}).status_code == 400  # no option
    assert manager.post(url, {"option": yes}).status_code == 400  # no resident
    assert not Participation.objects.exists()
    done = manager.post(url, {"resident": s.li_father.pk, "option": yes, "q": "李老汉"})
    assert done.status_code == 302 and done["Location"].endswith("?q=%E6%9D%8E%E8%80%81%E6%B1%89")
    assert "已于" in manager.get(done["Location"]).content.decode()
    again = manager.post(url, {"resident": s.li.pk, "option": yes})
    assert again.status_code == 409 and "纸质选票" in again.content.decode()
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_secret_signin_and_tally_pages(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = open_vote(s, secret=True)
    manager = as_user(s.manager)
    manager.post(reverse("governance_votes:paper", args=[vote.pk]), {"resident": s.li.pk})
    tally = reverse("governance_votes:tally", args=[vote.pk])
    yes, no = option(vote, "同意"), option(vote, "不同意")
    response = manager.post(tally, {f"count_{yes}": "1", f"count_{no}": "1"})
    assert response.status_code == 400 and "超过签到领票人数 1 人" in response.content.decode()
    assert manager.post(tally, {f"count_{yes}": "abc"}).status_code == 400
    assert not Ballot.objects.exists()
    assert manager.post(tally, {f"count_{yes}": "1"}).status_code == 302
    assert Ballot.objects.get().participation_id is None


def test_export_names_who_never_how_in_secret(vote_scene: VoteScene, assigned) -> None:  # type: ignore[no-untyped-def]
    s = vote_scene
    vote = open_vote(s, secret=True)
    voting.ballot_cast(actor=s.zhang_user, vote=vote, resident=s.zhang, option=option(vote, "同意"))
    url = reverse("governance_votes:export", args=[vote.pk])
    assert as_user(assigned).get(url).status_code == 404
    response = as_user(s.manager).get(url)
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("选民（户/人）", "投票人", "方式", "时间", "录入人")
    assert rows[1][1] == s.zhang.name and rows[1][2] == "网上投票"
    assert "同意" not in str(rows)


def test_count_page_after_close(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = closed_vote(s)
    voting.ballot_cast(
        actor=s.zhang_user,
        vote=vote,
        resident=s.zhang,
        option=option(vote, "同意"),
        now=local_at(-1, 10),
    )
    manager = as_user(s.manager)
    response = manager.post(reverse("governance_votes:count", args=[vote.pk]))
    assert response.status_code == 302
    result = manager.get(reverse("governance_votes:result", args=[vote.pk])).content.decode()
    assert "参与率 50.0%" in result and "✔ 已达到" in result
    twice = manager.post(reverse("governance_votes:count", args=[vote.pk]))
    assert twice.status_code == 409


def test_count_too_early_page(vote_scene: VoteScene) -> None:
    vote = open_vote(vote_scene)
    response = as_user(vote_scene.manager).post(reverse("governance_votes:count", args=[vote.pk]))
    assert response.status_code == 400 and "截止后才能计票" in response.content.decode()


# --- residents ------------------------------------------------------------------------------


def test_resident_votes_and_sees_the_confirmation(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = open_vote(s)
    zhang = as_user(s.zhang_user)
    home = zhang.get(reverse("resident_votes:home")).content.decode()
    assert vote.title in home and "请投票" in home
    page = zhang.get(reverse("resident_votes:vote", args=[vote.pk])).content.decode()
    assert 'id="ballot"' in page and ">投票</button>" in page
    response = zhang.post(
        reverse("resident_votes:vote", args=[vote.pk]), {"option": option(vote, "同意")}
    )
    assert response.status_code == 302
    done = zhang.get(response["Location"]).content.decode()
    assert "投票成功" in done and "您的选择：同意" in done
    wife = as_user(s.zhang_wife_user)
    assert "本户已投票（网上投票）" in wife.get(reverse("resident_votes:home")).content.decode()
    again = wife.post(
        reverse("resident_votes:vote", args=[vote.pk]), {"option": option(vote, "不同意")}
    )
    assert again.status_code == 409 and "本户已于" in again.content.decode()
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_resident_secret_vote_never_shows_the_choice(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = open_vote(s, secret=True)
    li = as_user(s.li_user)
    li.post(reverse("resident_votes:vote", args=[vote.pk]), {"option": option(vote, "不同意")})
    done = li.get(reverse("resident_votes:done", args=[vote.pk])).content.decode()
    assert "不同意" not in done and "不记录您投了什么" in done


@pytest.mark.parametrize("data", [{}, {"option": "abc"}, {"option": "999999"}])
def test_resident_bad_ballot(vote_scene: VoteScene, data: dict[str, str]) -> None:
    vote = open_vote(vote_scene)
    response = as_user(vote_scene.li_user).post(
        reverse("resident_votes:vote", args=[vote.pk]), data
    )
    assert response.status_code == 400
    assert "请选择" in response.content.decode()
    assert not Participation.objects.exists()


def test_resident_not_yet_open_and_closed(vote_scene: VoteScene) -> None:
    s = vote_scene
    upcoming = make_vote(s.manager, s.community)
    li = as_user(s.li_user)
    page = li.get(reverse("resident_votes:vote", args=[upcoming.pk])).content.decode()
    assert 'id="upcoming"' in page and "表决尚未开始" in page and 'id="ballot"' not in page
    refused = li.post(
        reverse("resident_votes:vote", args=[upcoming.pk]), {"option": option(upcoming, "同意")}
    )
    assert refused.status_code == 400 and "表决尚未开始" in refused.content.decode()
    closed = closed_vote(s, title="已截止的表决")
    page = li.get(reverse("resident_votes:vote", args=[closed.pk])).content.decode()
    assert 'id="closed"' in page and "截止" in page
    assert not Participation.objects.exists()


def test_a_minor_sees_why_and_cannot_vote(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = open_vote(s)
    child = as_user(with_account(s.child))
    page = child.get(reverse("resident_votes:vote", args=[vote.pk])).content.decode()
    assert 'id="minor"' in page
    refused = child.post(
        reverse("resident_votes:vote", args=[vote.pk]), {"option": option(vote, "同意")}
    )
    assert refused.status_code == 403
    assert not Participation.objects.exists()


def test_resident_pages_three_actors(vote_scene: VoteScene, other_areas, client) -> None:  # type: ignore[no-untyped-def]
    from linli.testing.factories import ResidentFactory

    s = vote_scene
    vote = open_vote(s)
    url = reverse("resident_votes:vote", args=[vote.pk])
    assert client.get(url).status_code == 302 and "login" in client.get(url)["Location"]
    staff = as_user(s.manager).get(url)
    assert staff.status_code == 302 and staff["Location"] == reverse("governance_votes:home")
    outsider = ResidentFactory(household__building__micro_grid=other_areas["micro_grid"])
    assert as_user(with_account(outsider)).get(url).status_code == 404


def test_resident_elder_mode(vote_scene: VoteScene) -> None:
    from linli.cases.views_public import ELDER_COOKIE

    vote = open_vote(vote_scene)
    li = as_user(vote_scene.li_user)
    li.cookies[ELDER_COOKIE] = "1"
    page = li.get(reverse("resident_votes:vote", args=[vote.pk])).content.decode()
    assert 'class="public orders-resident elder"' in page
    assert page.count('class="tile"') == 3


# --- public ---------------------------------------------------------------------------------


def test_public_result_only_when_counted(vote_scene: VoteScene, client) -> None:  # type: ignore[no-untyped-def]
    s = vote_scene
    vote = closed_vote(s, majority="two_thirds")
    url = reverse("yishi_votes:result", args=[vote.pk])
    assert client.get(url).status_code == 404
    for resident, user, label in ((s.zhang, s.zhang_user, "同意"), (s.li, s.li_user, "不同意")):
        voting.ballot_cast(
            actor=user,
            vote=vote,
            resident=resident,
            option=option(vote, label),
            now=local_at(-1, 10),
        )
    voting.vote_count(actor=s.manager, vote=vote)
    page = client.get(url).content.decode()
    assert "50.0%" in page and "参与率 100.0%" in page
    assert "✗ 表决未通过" in page and "三分之二以上" in page
    assert client.get(reverse("yishi_votes:result", args=[vote.pk + 999])).status_code == 404


def test_lists_take_constant_queries(vote_scene: VoteScene) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    s = vote_scene
    staff, resident = as_user(s.manager), as_user(s.li_user)
    urls = [(staff, reverse("governance_votes:home")), (resident, reverse("resident_votes:home"))]

    def counts() -> list[int]:
        found = []
        for client, url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            found.append(len(ctx.captured_queries))
        return found

    open_vote(s)
    before = counts()
    for n in range(3):
        open_vote(s, title=f"表决 {n}")
    assert counts() == before
