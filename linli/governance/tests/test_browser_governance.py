"""Deliberation pages in a real browser on a 375 px phone (issue 7): axe-core clean (no
serious or critical violations) in normal and elder mode, and in elder mode the MIIT 2021
sizes (body ≥ 18 px, main action ≥ 30 px, targets ≥ 60×60 px), no sideways scrolling.

The walks: a resident opens 居民议事, supports a topic (the count goes up and the button
gives way to 「已附议」), raises a topic (a blank title is explained first); votes on an
open household vote with a big tile and 「投票」, sees the confirmation and, back on the
vote, that her household has voted; an anonymous visitor reads the public board and a
counted vote's result. Screenshots: ``var/screenshots/activities_governance_*.png``.

Elder mode is switched by its cookie (:func:`linli.testing.browser.set_elder`): the mode
link of these pages does not come back to the page yet (see
:func:`test_the_mode_link_comes_back_to_the_page`).

Run on PostgreSQL, as CI does:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_x .venv/bin/pytest -m browser
linli/governance/tests/test_browser_governance.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from linli.activities.tests.test_browser_activities import FITS, check, phone, style
from linli.governance import services, voting
from linli.governance.models import Participation, Topic, TopicSupport
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_votes import (
    VoteScene,
    local_at,
    make_vote,
    option,
    vote_scene,
)
from linli.testing.browser import resident_session, set_elder

__all__ = ["phone", "vote_scene"]  # fixtures, imported for use here

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def modes(page: Any, axe_check: Any, base: str, name: str, targets: list[str]) -> None:
    """Check the page in normal mode, then elder mode (by cookie), and back to normal."""
    check(page, axe_check, f"governance_{name}", elder=False, targets=targets)
    set_elder(page, base, True)
    check(page, axe_check, f"governance_{name}", elder=True, targets=targets)
    set_elder(page, base, False)


def public_modes(page: Any, axe_check: Any, name: str, targets: list[str]) -> None:
    """As :func:`modes` for the public pages (no resident navigation), switching by the
    mode link, which comes back to the page."""
    url = page.url
    for elder in (False, True):
        if elder:
            with page.expect_navigation():
                page.locator(".mode-link").tap()
            assert page.url == url
        assert (page.locator("body.elder").count() == 1) is elder, page.url
        assert page.evaluate(FITS), page.url
        assert axe_check(page) == [], page.url
        if elder:
            assert style(page, "body", "fontSize") >= 18
            for selector in [*targets, ".mode-link"]:
                shown = page.locator(f"{selector} >> visible=true")
                boxes = [shown.nth(i).bounding_box() for i in range(shown.count())]
                assert boxes, selector
                for box in boxes:
                    assert box["width"] >= 60 and box["height"] >= 60, (selector, box)
        folder = settings.VAR_DIR / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        mode = "elder" if elder else "normal"
        page.screenshot(
            path=str(folder / f"activities_governance_{name}_{mode}.png"), full_page=True
        )
    with page.expect_navigation():
        page.locator(".mode-link").tap()
    assert page.url == url and page.locator("body.elder").count() == 0


def failures_of(page: Any) -> list[str]:
    failures: list[str] = []
    page.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 500 else None
    )
    return failures


def test_resident_supports_a_topic_and_raises_one(
    live_server: Any, phone: Any, axe_check: Any, topic: Topic, neighbour: Any
) -> None:
    base = live_server.url
    failures = failures_of(phone)
    resident, user = neighbour("陈阿姨")
    resident_session(phone, base, user)

    # The list: the topic with its count, one main action.
    phone.goto(f"{base}/me/topics/")
    assert "已有 0 人附议（需要 3 人）" in phone.locator("#topics").inner_text()
    modes(phone, axe_check, base, "topics", [".main", ".order-card", ".text-link"])

    # The topic: 附议 once; the count goes up and the button gives way to 已附议.
    with phone.expect_navigation():
        phone.get_by_role("link", name="小区停车难").tap()
    assert "进行中" in phone.locator("#topic-progress").inner_text()
    modes(phone, axe_check, base, "topic", [".main", ".text-link"])
    with phone.expect_navigation():
        phone.get_by_role("button", name="附议").tap()
    assert phone.locator("#support-count").inner_text() == "1"
    assert "已附议" in phone.locator("#supported").inner_text()
    assert phone.get_by_role("button", name="附议").count() == 0
    assert TopicSupport.objects.filter(topic=topic, resident=resident).count() == 1
    modes(phone, axe_check, base, "topic_supported", [".text-link"])

    # Raise a topic: a blank title first is explained in Chinese, nothing written.
    with phone.expect_navigation():
        phone.get_by_role("link", name="‹ 居民议事").tap()
    with phone.expect_navigation():
        phone.get_by_role("link", name="提议题").tap()
    modes(phone, axe_check, base, "raise", [".main", ".tile", ".text-link"])
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交议题").tap()
    assert "必填" in phone.locator("#title-error").inner_text()
    assert "请选择类别" in phone.locator("#category-error").inner_text()
    assert Topic.objects.count() == 1
    modes(phone, axe_check, base, "raise_error", [".main", ".tile", ".text-link"])
    phone.get_by_label("议题（一句话说清楚）").fill("小区增设电动车充电桩")
    phone.locator(".tile").filter(has_text="设施").first.tap()
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交议题").tap()
    raised = Topic.objects.get(title="小区增设电动车充电桩")
    assert phone.url.endswith(f"/me/topics/{raised.pk}/"), phone.url
    assert raised.raised_for == resident and raised.support_count == 1
    assert "议题已提出" in phone.locator(".notice").first.inner_text()
    assert failures == []


def _open_vote(s: VoteScene) -> Any:
    opens = timezone.now() - dt.timedelta(hours=1)
    return make_vote(s.manager, s.community, opens_at=opens, closes_at=local_at(3, 18))


def test_resident_votes_with_a_tile_and_sees_her_household_has_voted(
    live_server: Any, phone: Any, axe_check: Any, vote_scene: VoteScene
) -> None:
    s, base = vote_scene, live_server.url
    failures = failures_of(phone)
    vote = _open_vote(s)
    resident_session(phone, base, s.zhang_user)

    phone.goto(f"{base}/me/votes/")
    assert "正在投票，请投票" in phone.locator("#votes").inner_text()
    modes(phone, axe_check, base, "votes", [".order-card"])
    with phone.expect_navigation():
        phone.get_by_role("link", name=vote.title).tap()
    modes(phone, axe_check, base, "vote", [".main", ".tile", ".text-link"])

    # Voting without a choice is explained; then a tile and 投票.
    with phone.expect_navigation():
        phone.get_by_role("button", name="投票").tap()
    assert phone.locator("#ballot .error").count() == 1
    assert not Participation.objects.exists()
    phone.get_by_label("同意", exact=True).check()
    assert phone.get_by_label("同意", exact=True).is_checked()
    with phone.expect_navigation():
        phone.get_by_role("button", name="投票").tap()
    assert phone.url.endswith(f"/me/votes/{vote.pk}/done/"), phone.url
    assert "您的选择：同意" in phone.locator("#choice").inner_text()
    modes(phone, axe_check, base, "vote_done", [".main"])

    # Back: the household has voted; no form to vote again.
    with phone.expect_navigation():
        phone.get_by_role("link", name="返回社区表决").tap()
    assert "已投票" in phone.locator("#votes").inner_text()
    with phone.expect_navigation():
        phone.get_by_role("link", name=vote.title).tap()
    assert "投过票，不能重复投票" in phone.locator("#voted").inner_text()
    assert phone.get_by_role("button", name="投票").count() == 0
    modes(phone, axe_check, base, "vote_voted", [".text-link"])
    assert Participation.objects.filter(vote=vote).count() == 1
    assert failures == []


def test_anonymous_reads_the_public_board_and_a_counted_result(
    live_server: Any, phone: Any, axe_check: Any, vote_scene: VoteScene
) -> None:
    s, base = vote_scene, live_server.url
    failures = failures_of(phone)
    services.topic_raise(
        actor=s.manager, area=s.community, title="楼道堆物清理", category="environment"
    )
    vote = make_vote(s.manager, s.community, opens_at=local_at(-2, 9), closes_at=local_at(-1, 18))
    for resident, user, label in ((s.zhang, s.zhang_user, "同意"), (s.li, s.li_user, "不同意")):
        voting.ballot_cast(
            actor=user,
            vote=vote,
            resident=resident,
            option=option(vote, label),
            now=local_at(-1, 10),
        )
    voting.vote_count(actor=s.manager, vote=vote)

    phone.goto(f"{base}/yishi/{s.community.code}/")
    assert "楼道堆物清理" in phone.locator("#topics").inner_text()
    public_modes(phone, axe_check, "board", [])

    phone.goto(f"{base}/yishi/votes/{vote.pk}/")
    assert "参与率 100.0%" in phone.locator("#participants").inner_text()
    assert "表决" in phone.locator("#verdict").inner_text()
    public_modes(phone, axe_check, "result", [])
    assert failures == []


def test_the_mode_link_comes_back_to_the_page(
    live_server: Any, phone: Any, topic: Topic, neighbour: Any
) -> None:
    _, user = neighbour()
    resident_session(phone, live_server.url, user)
    phone.goto(f"{live_server.url}/me/topics/{topic.pk}/")
    with phone.expect_navigation():
        phone.locator(".mode-link").tap()
    assert phone.url.endswith(f"/me/topics/{topic.pk}/"), phone.url
    assert phone.locator("body.elder").count() == 1
