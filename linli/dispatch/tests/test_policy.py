"""rank, reoptimise and plan_etas: who takes a job, and held work kept whole."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.dispatch.policy import (
    MAX_PUSH_S,
    Job,
    WorkerState,
    cost,
    plan_etas,
    rank,
    reoptimise,
)
from linli.dispatch.travel import GreatCircleTravel, Point

TRAVEL = GreatCircleTravel()
NOW = 36_000.0  # 10:00
STATION = Point(38.4620, 106.2120)
CANTEEN = Point(38.4687, 106.2134)
HOME = Point(38.4660, 106.2180)
FAR = Point(38.4728, 106.2292)
DELIVERY = frozenset({"delivery"})
REPAIR = frozenset({"repair"})


def worker(wid: str, *, at: Point = STATION, skills=REPAIR, mode="walk", **kw) -> WorkerState:
    fields = {"available_at": NOW, "shift_end": NOW + 8 * 3600, "capacity": 1, "plan": []}
    fields.update(kw)
    return WorkerState(id=wid, mode=mode, position=at, skills=skills, **fields)


def repair(jid: str, at: Point = HOME, **kw) -> Job:
    return Job(id=jid, dropoff=at, service_s=1800, skills=REPAIR, placed_at=NOW, **kw)


def meal(jid: str, at: Point = HOME, *, ready: float = NOW + 300) -> Job:
    return Job(
        id=jid,
        dropoff=at,
        service_s=120,
        skills=DELIVERY,
        ready_at=ready,
        pickup=CANTEEN,
        placed_at=ready - 300,
    )


def test_only_workers_with_every_required_skill_are_ranked():
    job = repair("r1")
    choices = rank(job, [worker("plumber"), worker("cook", skills=DELIVERY)], NOW, TRAVEL)
    assert [c.worker_ids for c in choices] == [("plumber",)]


def test_a_job_that_would_end_after_the_shift_is_not_offered():
    job = repair("r1")
    walk = TRAVEL.seconds(STATION, HOME, "walk")
    leaving = worker("leaving", shift_end=NOW + walk + 1800 - 1)
    staying = worker("staying", shift_end=NOW + walk + 1800 + 1)
    assert [c.worker_ids for c in rank(job, [leaving, staying], NOW, TRAVEL)] == [("staying",)]


def test_the_earliest_arrival_wins_and_eta_is_travel_after_availability():
    near, far = worker("near", at=HOME), worker("far", at=FAR)
    best = rank(repair("r1", at=Point(38.4662, 106.2182)), [far, near], NOW, TRAVEL)[0]
    assert best.worker_ids == ("near",)
    assert best.eta == pytest.approx(NOW + TRAVEL.seconds(HOME, Point(38.4662, 106.2182), "walk"))


def test_work_already_held_counts():
    # The nearby worker holds a 30-minute repair; the far one is free: the far one arrives first.
    busy = worker("busy", at=HOME, plan=[repair("held", at=HOME)])
    free = worker("free", at=STATION)
    choices = rank(repair("new", at=HOME), [busy, free], NOW, TRAVEL)
    assert choices[0].worker_ids == ("free",)
    by_id = {c.worker_ids[0]: c for c in choices}
    assert by_id["busy"].eta >= NOW + 1800  # after the held repair, or pushing it back
    assert by_id["free"].eta < by_id["busy"].eta


def test_a_held_job_is_never_pushed_back_more_than_the_limit():
    # The only worker holds a job; putting the new one first would push it by 30+ minutes.
    held = repair("held", at=HOME)
    only = worker("only", at=STATION, plan=[held])
    old_eta = dict(plan_etas(only, NOW, TRAVEL))["held"]
    (choice,) = rank(repair("new", at=STATION), [only], NOW, TRAVEL)
    new_plan = [*only.plan[: choice.positions[0]], repair("new", at=STATION)]
    new_plan += only.plan[choice.positions[0] :]
    after = dict(plan_etas(dataclasses.replace(only, plan=new_plan), NOW, TRAVEL))["held"]
    assert choice.positions == (1,)
    assert after - old_eta <= MAX_PUSH_S


def test_a_crew_job_goes_to_two_workers_and_its_eta_is_the_later_arrival():
    bath = Job(id="b1", dropoff=HOME, service_s=2700, skills=REPAIR, crew=2, placed_at=NOW)
    a, b, c = worker("a", at=HOME), worker("b", at=STATION), worker("c", at=FAR)
    choices = rank(bath, [a, b, c], NOW, TRAVEL)
    assert all(len(ch.worker_ids) == 2 for ch in choices)
    best = choices[0]
    assert set(best.worker_ids) == {"a", "b"}
    assert best.eta == pytest.approx(NOW + TRAVEL.seconds(STATION, HOME, "walk"))


def test_a_crew_job_needs_two_qualified_workers():
    bath = Job(id="b1", dropoff=HOME, service_s=2700, skills=REPAIR, crew=2, placed_at=NOW)
    assert rank(bath, [worker("alone")], NOW, TRAVEL) == []


def test_deliveries_from_one_pickup_ride_together_up_to_capacity():
    # Three meals from the same canteen, capacity 2: two ride together, the third on a new trip.
    jobs = [meal("m1"), meal("m2", at=FAR), meal("m3")]
    courier = worker("c", at=CANTEEN, skills=DELIVERY, mode="ebike", capacity=2, plan=jobs)
    etas = dict(plan_etas(courier, NOW, TRAVEL))
    first = NOW + 300 + TRAVEL.seconds(CANTEEN, HOME, "ebike")
    assert etas["m1"] == pytest.approx(first)
    assert etas["m2"] == pytest.approx(first + 120 + TRAVEL.seconds(HOME, FAR, "ebike"))
    back = etas["m2"] + 120 + TRAVEL.seconds(FAR, CANTEEN, "ebike")
    assert etas["m3"] == pytest.approx(back + TRAVEL.seconds(CANTEEN, HOME, "ebike"))


def test_a_batch_leaves_when_its_last_meal_is_ready():
    jobs = [meal("m1"), meal("m2", ready=NOW + 900)]
    courier = worker("c", at=CANTEEN, skills=DELIVERY, mode="ebike", capacity=4, plan=jobs)
    etas = dict(plan_etas(courier, NOW, TRAVEL))
    assert etas["m1"] == pytest.approx(NOW + 900 + TRAVEL.seconds(CANTEEN, HOME, "ebike"))


def test_a_courier_at_the_canteen_takes_a_second_meal_into_the_batch():
    courier = worker("c", at=CANTEEN, skills=DELIVERY, mode="ebike", capacity=4, plan=[meal("m1")])
    walker = worker("w", at=STATION, skills=DELIVERY)
    best = rank(meal("m2", at=Point(38.4662, 106.2182)), [walker, courier], NOW, TRAVEL)[0]
    assert best.worker_ids == ("c",)


def test_cost_grows_faster_once_a_job_is_late():
    assert cost(600) == 600
    assert cost(25 * 60) - cost(24 * 60) > cost(15 * 60) - cost(14 * 60)
    assert cost(60 * 60) - cost(59 * 60) > cost(25 * 60) - cost(24 * 60)


def test_reoptimise_moves_work_from_a_loaded_worker_to_an_idle_one():
    # Three repairs queued on one worker while another stands idle next door.
    loaded = worker("loaded", at=HOME, plan=[repair(f"r{i}", at=HOME) for i in range(3)])
    idle = worker("idle", at=HOME)
    plans = reoptimise([loaded, idle], NOW, TRAVEL)
    assert plans["idle"]  # took at least one
    assert sorted(plans["idle"] + plans["loaded"]) == ["r0", "r1", "r2"]
    assert [j.id for j in loaded.plan] == ["r0", "r1", "r2"]  # inputs untouched


def test_reoptimise_leaves_crew_jobs_where_they_are():
    bath = Job(id="b1", dropoff=HOME, service_s=2700, skills=REPAIR, crew=2, placed_at=NOW)
    a = worker("a", at=HOME, plan=[bath, repair("r1")])
    b = worker("b", at=HOME, plan=[bath])
    plans = reoptimise([a, b], NOW, TRAVEL)
    final = {w.id: plans.get(w.id, [j.id for j in w.plan]) for w in (a, b)}
    assert "b1" in final["a"] and "b1" in final["b"]


places = st.sampled_from([STATION, CANTEEN, HOME, FAR, Point(38.4700, 106.2200)])


@st.composite
def fleets(draw):
    n_workers = draw(st.integers(min_value=1, max_value=4))
    workers, counter = [], 0
    for w in range(n_workers):
        plan = []
        skills = REPAIR | DELIVERY if draw(st.booleans()) else REPAIR
        for _ in range(draw(st.integers(min_value=0, max_value=4))):
            counter += 1
            if skills >= DELIVERY and draw(st.booleans()):
                ready = NOW + draw(st.integers(min_value=0, max_value=1200))
                plan.append(dataclasses.replace(meal(f"j{counter}", draw(places)), ready_at=ready))
            else:
                plan.append(repair(f"j{counter}", draw(places)))
        workers.append(
            worker(
                f"w{w}",
                at=draw(places),
                skills=skills,
                mode=draw(st.sampled_from(["walk", "ebike"])),
                capacity=draw(st.integers(min_value=1, max_value=4)),
                available_at=NOW + draw(st.integers(min_value=0, max_value=1800)),
                plan=plan,
            )
        )
    return workers


@settings(max_examples=80, deadline=None)
@given(fleets())
def test_reoptimise_never_loses_or_duplicates_a_job_and_never_costs_more(workers):
    before = sorted(j.id for w in workers for j in w.plan)
    plans = reoptimise(workers, NOW, TRAVEL)
    final = {w.id: plans.get(w.id, [j.id for j in w.plan]) for w in workers}
    assert sorted(j for ids in final.values() for j in ids) == before
    jobs = {j.id: j for w in workers for j in w.plan}
    for w in workers:  # every job is with a qualified worker
        assert all(jobs[j].skills <= w.skills for j in final[w.id])

    def total(plan_of):
        return sum(
            cost(eta - jobs[jid].placed_at)
            for w in workers
            for jid, eta in plan_etas(
                dataclasses.replace(w, plan=[jobs[j] for j in plan_of[w.id]]), NOW, TRAVEL
            )
        )

    assert total(final) <= total({w.id: [j.id for j in w.plan] for w in workers}) + 1e-6


@settings(max_examples=80, deadline=None)
@given(fleets(), places, st.integers(min_value=0, max_value=6 * 3600))
def test_every_ranked_choice_is_qualified_within_shift_and_keeps_held_jobs_in_bounds(
    workers, at, shift_left
):
    workers = [dataclasses.replace(w, shift_end=NOW + shift_left) for w in workers]
    job = repair("new", at)
    by_id = {w.id: w for w in workers}
    for choice in rank(job, workers, NOW, TRAVEL):
        w = by_id[choice.worker_ids[0]]
        assert job.skills <= w.skills
        plan = [*w.plan[: choice.positions[0]], job, *w.plan[choice.positions[0] :]]
        before = dict(plan_etas(w, NOW, TRAVEL))
        after = dict(plan_etas(dataclasses.replace(w, plan=plan), NOW, TRAVEL))
        assert after["new"] == pytest.approx(choice.eta)
        assert after["new"] + job.service_s <= w.shift_end + 1e-6
        assert all(after[j] - before[j] <= MAX_PUSH_S + 1e-6 for j in before)


def test_a_crew_job_waits_for_the_partner_in_the_timeline():
    bath = Job(id="b1", dropoff=HOME, service_s=2700, skills=REPAIR, crew=2, placed_at=NOW)
    after = repair("r1", at=HOME)
    alone = worker("a", at=HOME, plan=[bath, after], crew_start={"b1": NOW + 1200})
    etas = dict(plan_etas(alone, NOW, TRAVEL))
    assert etas["b1"] == NOW + 1200  # the partner arrives 20 minutes from now
    assert etas["r1"] == pytest.approx(NOW + 1200 + 2700)  # same building, no travel


def test_reoptimise_reorders_but_never_hands_over_an_unmovable_job():
    stuck = [dataclasses.replace(repair(f"r{i}", at=HOME), movable=False) for i in range(3)]
    loaded = worker("loaded", at=HOME, plan=stuck)
    plans = reoptimise([loaded, worker("idle", at=HOME)], NOW, TRAVEL)
    assert "idle" not in plans


def test_a_small_gain_is_not_worth_handing_a_job_to_another_worker():
    # The idle worker is a few metres nearer: reordering is free, a hand-over is an offer.
    held = repair("r1", at=HOME)
    holder = worker("holder", at=HOME, available_at=NOW + 60, plan=[held])
    other = worker("other", at=HOME)
    assert reoptimise([holder, other], NOW, TRAVEL, transfer_gain=120) == {}
    assert reoptimise([holder, other], NOW, TRAVEL, transfer_gain=1) == {
        "holder": [],
        "other": ["r1"],
    }
