"""The routine detector on hand-made lives: one resident with a very regular day.

Given fourteen ordinary days to learn from, each test changes day 14 (a Monday's fortnight)
and checks what a micro-grid worker would see: an alert or none, and when.
"""

from __future__ import annotations

import numpy as np

from linli.routines.detector import (
    ALERT_SMOKE,
    ALERT_SOS,
    SILENCE,
    WATER_RUNNING,
    DetectorConfig,
    activity,
    detect,
    thresholds,
)
from linli.routines.tests.helpers import DAY, ORIGIN, at, build, regular_day, series

DAYS = 17


def history(until: int = 14) -> list[tuple[int, str]]:
    return [m for d in range(until) for m in regular_day(d)]


def alerts(moments, *, away=None, days=DAYS, cfg=None, out=None):
    ev = series(build(moments, days=days, away=out))
    return detect("张奶奶", ev, origin=ORIGIN, days=days, away=away, cfg=cfg)


def test_an_ordinary_life_with_quiet_nights_raises_no_alert():
    found = alerts(history(DAYS))
    assert found == []


def test_a_missed_morning_routine_raises_one_silence_alert_that_morning():
    # given: day 13 ends as usual (last water at 22:00), then nothing on day 14 or after
    found = alerts(history(14))
    silences = [a for a in found if a.kind == SILENCE]
    # then: the first alert comes on the morning of day 14, after the usual 7:00 water
    assert silences, "a silent morning must alert"
    first = silences[0].ts
    assert at(14, 7) < first <= at(14, 11)
    # and one silence gives one alert, not one per day
    assert len(silences) == 1


def test_a_quiet_spell_is_judged_by_the_hour_it_started():
    cfg = DetectorConfig()
    ev = series(build(history(14), days=DAYS))
    times, door = activity(ev, ORIGIN, DAYS, cfg)
    tol = thresholds(times, door, ORIGIN, DAYS, [], cfg)
    night = tol[14, 0, 44]  # a spell starting 22:00–22:30, at home
    midday = tol[14, 0, 26]  # a spell starting 13:00–13:30, at home
    assert night > 8 * 3600  # nine quiet hours every night are normal
    assert midday < night - 3 * 3600


def test_an_sos_press_alerts_at_once_even_in_an_ordinary_day():
    moments = [*history(DAYS), (at(14, 15.25), "sos")]
    found = alerts(moments)
    assert [(a.kind, a.ts) for a in found] == [(ALERT_SOS, at(14, 15.25))]


def test_smoke_alerts_at_once():
    found = alerts([*history(DAYS), (at(15, 3), "smoke")])
    assert [(a.kind, a.ts) for a in found] == [(ALERT_SMOKE, at(15, 3))]


def test_a_tap_left_open_alerts_after_three_hours_of_running_water():
    # given: from 14:00 on day 14 the meter shows use in every 15-minute report for 4 hours
    tap = [(at(14, 14) + i * 900, "water") for i in range(1, 17)]
    found = alerts(history(DAYS) + tap)
    running = [a for a in found if a.kind == WATER_RUNNING]
    assert len(running) == 1
    # the 14:15 report covers the hour since 13:00, so the known run starts at 14:15
    assert running[0].ts == at(14, 17.25)


def test_announced_away_suppresses_silence_alerts():
    # given: the family announced she stays with her son from day 14 09:00 to day 16 end
    leave = at(14, 9.5)
    moments = [
        *history(14),
        (at(14, 7), "water"),
        (leave, "door_open"),
        (leave + 20, "door_close"),
    ]
    away = [(at(14, 9), at(17, 0))]
    found = alerts(moments, away=away, out=(leave, at(17, 0)))
    # then: no alert while away; the trace ends at day 17 00:00, when away mode also ends
    assert [a for a in found if a.ts < at(17, 0)] == []
    # without the announcement the same silence alerts on day 14
    assert alerts(moments, out=(leave, at(17, 0)))[0].ts < at(15, 0)


def test_a_detected_return_ends_away_mode():
    # given: away announced until day 20, but she is back on day 15 at 10:00 and then silent
    days = 21
    leave, back = at(14, 9.5), at(15, 10)
    moments = [
        *history(14),
        (at(14, 7), "water"),
        (leave, "door_open"),
        (leave + 20, "door_close"),
        (back, "door_open"),
        (back + 20, "door_close"),
        (back + 600, "water"),
    ]
    found = alerts(moments, away=[(at(14, 9), at(20, 0))], days=days, out=(leave, back))
    silences = [a for a in found if a.kind == SILENCE]
    # then: the silence after her return alerts on day 15, long before the announced end
    assert silences
    assert back < silences[0].ts < at(16, 0)


def test_the_routine_learns_only_from_days_before_the_day_it_scores():
    # given two histories that differ only from day 15 on: a quiet afternoon (no water
    # 12:30–18:00), then motion every hour
    base = history(DAYS)
    changed = [m for m in base if not at(15, 12.5) <= m[0] < at(15, 18)]
    changed += [(at(15, 20) + i * 3600, "motion") for i in range(10)]
    ev1 = series(build(base, days=DAYS))
    ev2 = series(build(changed, days=DAYS))
    cfg = DetectorConfig()
    t1, d1 = activity(ev1, ORIGIN, DAYS, cfg)
    t2, d2 = activity(ev2, ORIGIN, DAYS, cfg)
    tol1 = thresholds(t1, d1, ORIGIN, DAYS, [], cfg)
    tol2 = thresholds(t2, d2, ORIGIN, DAYS, [], cfg)
    # then the routine used up to day 15 is the same whatever came later; day 16 learns
    assert np.array_equal(tol1[:16], tol2[:16])
    assert not np.array_equal(tol1[16:], tol2[16:])


def test_base_load_on_the_power_meter_is_not_a_sign_of_life():
    cfg = DetectorConfig()
    ev = series(build(history(3), days=3))
    times, _ = activity(ev, ORIGIN, 3, cfg)
    hours = sorted({int(((t - ORIGIN) % DAY) // 3600) for t in times})
    # water hours, the door, and the cooking hours 8, 12 and 18 — not the 40 Wh base hours
    assert hours == [7, 8, 9, 10, 11, 12, 13, 15, 17, 18, 19, 21, 22]


def test_the_routine_profile_shows_when_she_usually_uses_water_goes_out_and_cooks():
    from linli.routines.detector import routine_profile

    ev = series(build(history(DAYS), days=DAYS))
    profile = routine_profile(ev, origin=ORIGIN, before_day=14)
    door, water, power = profile
    # day 0 is a Monday (hour 0 of the week: Monday 00:00–01:00); use Tuesdays (days 1, 8),
    # since a meter's very first reading (Monday 7:00) shows no use
    tuesday = 24
    assert water[tuesday + 7] == 1.0  # water in the 7 o'clock hour every Tuesday
    assert door[tuesday + 9] == 1.0 and door[tuesday + 10] == 1.0  # out 9:30–10:30
    assert power[tuesday + 8] == 1.0  # breakfast shows in the reading that arrives at 8:00
    assert water[tuesday + 3] == 0.0 and door[tuesday + 3] == 0.0  # nights are quiet
    assert power[tuesday + 3] == 0.0  # base load is not a sign of life


def test_a_silence_after_coming_home_is_judged_as_a_silence_at_home():
    # given: on day 14 she goes out at 9:30 as usual, comes home at 10:30, then nothing
    moments = [m for m in history(15) if m[0] <= at(14, 10.5) + 20]
    found = [a for a in alerts(moments) if a.kind == SILENCE]
    # then: alerted the same afternoon, as a silence at home (not after the 12-hour cap)
    assert found
    assert at(14, 10.5) < found[0].ts <= at(14, 16)


def test_a_silence_after_leaving_is_tolerated_up_to_the_cap():
    # given: on day 14 she uses water at 9:00, leaves at 9:30, and nothing more comes
    moments = [m for m in history(15) if m[0] <= at(14, 9.5) + 20]
    found = [a for a in alerts(moments) if a.kind == SILENCE]
    # then: a day out looks the same, so the alert waits for the 12-hour outer limit
    assert [a.ts for a in found][:1] == [at(14, 9.5) + 20 + 12 * 3600]


def test_a_silent_night_is_alerted_at_her_usual_morning_deadline():
    # given: day 13 ends as usual (22:00), a night toilet visit at 02:00, then nothing; her
    # mornings always start at 7:00
    moments = [*history(14), (at(14, 2), "water")]
    found = [a for a in alerts(moments) if a.kind == SILENCE]
    # then: alerted at about 7:00 + 2.5 h, as if the silence had begun at bedtime
    assert found
    assert at(14, 9) <= found[0].ts <= at(14, 9.75)
