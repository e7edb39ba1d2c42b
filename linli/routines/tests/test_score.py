"""Scoring on a tiny hand-made case whose answers are worked out by hand."""

from __future__ import annotations

import pytest

from linli.routines.score import Window, score
from linli.routines.traces import Away

H = 3600
DAY = 86400


def test_delays_false_alarms_and_absence_alerts_on_a_tiny_case():
    # given three residents scored over two days (0 … 2 DAY)
    windows = [
        Window("a", 10 * H, 30 * H),  # found 20 h later
        Window("b", 40 * H, 45 * H),
        Window("c", 20 * H, 3 * DAY),  # not found before the trace ends
    ]
    away = [Away("b", 0, 12 * H, announced=False), Away("b", 12 * H, 20 * H, announced=True)]
    alerts = [
        ("a", 9 * H),  # before the fall: a false alarm
        ("a", 13 * H),  # first after the fall: 3 h delay
        ("a", 15 * H),  # same incident, not counted again, not a false alarm
        ("b", 5 * H),  # during an unannounced absence: an absence alert
        ("b", 14 * H),  # during announced away: still a false alarm
        ("b", 45 * H),  # b was found at 45 h, so b's fall was missed; this alarm is false
        ("b", 3 * DAY),  # outside the scored days: ignored
        ("c", 50 * H),  # c still lies where she fell: a 30 h delay
    ]
    got = score(alerts, windows=windows, away=away, residents=3, score_from=0, score_to=2 * DAY)
    # then: delays a = 3 h, b = missed (its only alert came when found), c = 30 h
    assert got.incidents == 3
    assert got.missed == 1
    assert got.median_delay_h == 30.0
    assert got.p90_delay_h is None  # the 90th percentile falls on the missed incident
    assert got.false_alarms == 3
    assert got.absence_alerts == 1
    assert got.false_alarms_per_100_per_day == pytest.approx(100 * 3 / 6, abs=1e-3)
    assert got.absence_alerts_per_100_per_day == pytest.approx(100 * 1 / 6, abs=1e-3)


def test_incidents_during_learning_days_are_not_scored():
    windows = [Window("a", 1 * H, 5 * H), Window("a", DAY + H, DAY + 5 * H)]
    got = score(
        [("a", 2 * H), ("a", DAY + 3 * H)],
        windows=windows,
        away=[],
        residents=1,
        score_from=DAY,
        score_to=2 * DAY,
    )
    assert (got.incidents, got.median_delay_h, got.false_alarms) == (1, 2.0, 0)


def test_an_empty_period_is_refused():
    with pytest.raises(ValueError, match="评分区间为空"):
        score([], windows=[], away=[], residents=1, score_from=DAY, score_to=DAY)


def test_percentiles_among_several_missed_incidents_are_unknown_not_nan():
    windows = [Window(r, H, 2 * H) for r in "abcde"]
    got = score([("a", H + 60)], windows=windows, away=[], residents=5, score_from=0, score_to=DAY)
    assert got.missed == 4
    assert got.median_delay_h is None and got.p90_delay_h is None
