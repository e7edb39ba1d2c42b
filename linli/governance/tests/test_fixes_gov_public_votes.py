"""The public board lists the community's counted votes (turnout, passed or not in words)
and links to their results; a result page links back to the board."""

from __future__ import annotations

import pytest
from django.test import Client

from linli.governance import voting
from linli.governance.tests.fixtures_votes import *  # noqa: F403
from linli.governance.tests.fixtures_votes import (
    AFTER,
    DURING,
    VoteScene,
    make_vote,
    option,
)
from linli.places.models import Area

pytestmark = pytest.mark.django_db


def test_counted_votes_on_the_board(vote_scene: VoteScene, other_areas: dict[str, Area]) -> None:
    s = vote_scene
    passed = make_vote(s.manager, s.community, title="改建停车位")
    voting.ballot_cast(
        actor=s.zhang_user, vote=passed, resident=s.zhang, option=option(passed, "同意"), now=DURING
    )
    voting.ballot_cast(
        actor=s.li_user, vote=passed, resident=s.li, option=option(passed, "同意"), now=DURING
    )
    voting.vote_count(actor=s.manager, vote=passed, now=AFTER)
    failed = make_vote(s.manager, s.community, title="加装门禁")
    voting.vote_count(actor=s.manager, vote=failed, now=AFTER)
    running = make_vote(s.manager, s.community, title="增设快递柜")
    board_url = f"/yishi/{s.community.code}/"
    html = Client().get(board_url).content.decode()
    section = html[html.index('id="votes"') :]
    assert f'href="/yishi/votes/{passed.pk}/"' in section and "改建停车位" in section
    assert "参与率 100.0%" in section and "✔ 通过" in section
    assert f'href="/yishi/votes/{failed.pk}/"' in section and "✗ 未通过" in section
    assert "参与率 0.0%" in section
    assert running.title not in html
    result = Client().get(f"/yishi/votes/{passed.pk}/").content.decode()
    assert f'href="{board_url}" id="to-board"' in result
    other = Client().get(f"/yishi/{other_areas['community'].code}/").content.decode()
    assert "改建停车位" not in other and 'id="no-votes"' in other
