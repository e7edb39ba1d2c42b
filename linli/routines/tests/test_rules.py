"""The fixed city rules: under 10 L of water in 12 h, no door event in 24 h."""

from __future__ import annotations

from linli.routines.rules import door_24h, water_12h
from linli.routines.tests.helpers import ORIGIN, at, build, series

DAYS = 4
FIRST = [(at(0, 0), "water")]  # a meter's first reading shows no use: only later ones do


def test_water_rule_fires_twelve_hours_after_use_falls_under_ten_litres():
    # given: 6 L at 7:00, 9:00 and 11:00 on day 1 and nothing after
    moments = FIRST + [(at(1, h), "water") for h in (7, 9, 11)]
    ev = series(build(moments, days=DAYS))
    fired = water_12h(ev, start=at(1, 0), end=at(DAYS, 0))
    # then: at 19:00 only the 9:00 and 11:00 uses (12 L) are left; at 21:00 only 6 L
    assert fired.tolist() == [at(1, 21)]


def test_water_rule_stays_quiet_while_ten_litres_a_half_day_are_used():
    moments = FIRST + [(at(d, h), "water") for d in range(DAYS) for h in range(1, 24, 3)]
    ev = series(build(moments, days=DAYS))
    assert water_12h(ev, start=at(1, 0), end=at(DAYS, 0)).tolist() == []


def test_water_rule_re_arms_after_use_resumes():
    moments = FIRST + [(at(1, h), "water") for h in (7, 8)]
    moments += [(at(2, h), "water") for h in (10, 11)]
    ev = series(build(moments, days=DAYS))
    fired = water_12h(ev, start=at(1, 0), end=at(DAYS, 0))
    # 12 L by 8:00 on day 1: under 10 L from 19:00 (only the 8:00 use left); again on day 2
    assert fired.tolist() == [at(1, 19), at(2, 22)]


def test_door_rule_fires_twenty_four_hours_after_the_last_door_event():
    moments = [(at(1, 9), "door_open"), (at(1, 9) + 30, "door_close")]
    ev = series(build(moments, days=DAYS))
    assert door_24h(ev, start=at(1, 0), end=at(DAYS, 0)).tolist() == [at(2, 9) + 30]


def test_both_rules_hold_their_alert_while_away_is_announced():
    moments = [(at(1, 9), "door_open"), (at(1, 9) + 30, "door_close")]
    ev = series(build(moments, days=DAYS))
    held = door_24h(ev, start=at(1, 0), end=at(DAYS, 0), windows=[(at(1, 10), at(3, 0))])
    assert held.tolist() == [at(3, 0)]
    assert held[0] > ORIGIN
