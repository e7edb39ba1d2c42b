"""The two dispatchers of the simulation: Linli's and the issue's greedy baseline."""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Mapping, Sequence

from linli.dispatch.demo_map import DemoMap
from linli.dispatch.policy import Job, best_insertion, rank, reoptimise, timeline
from linli.dispatch.scenario import Scenario
from linli.dispatch.simulate import Dispatcher, OrderState, Simulation, Worker
from linli.dispatch.standby import kmeans_posts, nearest_free_post
from linli.dispatch.travel import Point, haversine_m

#: How often re-optimisation may hand one order to another worker (each time an offer).
MAX_TRANSFERS = 3


class LinliDispatcher(Dispatcher):
    """Linli: offer to the best :func:`rank` choice; insert on accept; then re-optimise.

    Re-optimisation runs after every acceptance and at every shift start and end. Reorders
    apply at once; a job it gives to another worker is offered to that worker while the
    holder keeps it, and moves only on acceptance (at most ``MAX_TRANSFERS`` times). An order
    nobody can take now waits in ``waiting`` and is ranked again whenever a worker becomes
    idle or a shift starts or ends. With ``posts`` (worker group → standby posts), an idle
    worker goes to the nearest post no other idle worker of the group holds.
    """

    name = "linli"

    def __init__(self, posts: Mapping[str, Sequence[Point]] | None = None) -> None:
        self.waiting: list[OrderState] = []
        self.posts = dict(posts or {})  # worker group → standby posts
        self.claims: dict[str, int] = {}  # worker id → index of the post they hold

    def on_order(self, sim: Simulation, state: OrderState) -> None:
        self._offer_best(sim, state)

    def _offer_best(self, sim: Simulation, state: OrderState) -> bool:
        job = state.order.job
        exclude = frozenset(state.declined | state.pending | set(state.accepted))
        choices = rank(job, sim.states(), sim.now, sim.travel, exclude=exclude)
        if state.accepted:  # a crew with one member already: pairs including them
            pairs = rank(job, sim.states(), sim.now, sim.travel, exclude=frozenset(state.declined))
            choices = [c for c in pairs if state.accepted[0] in c.worker_ids]
        if not choices:
            if state not in self.waiting:
                self.waiting.append(state)
            return False
        if state in self.waiting:
            self.waiting.remove(state)
        for wid in choices[0].worker_ids:
            if wid not in state.accepted and wid not in state.pending:
                sim.offer(state, sim.workers[wid])
        return True

    def on_decline(self, sim: Simulation, state: OrderState, worker: Worker) -> None:
        if state.transfer_to == worker.id:  # the holder keeps the job
            state.transfer_to = None
            return
        if not state.pending:
            self._offer_best(sim, state)

    def on_accept(self, sim: Simulation, state: OrderState, worker: Worker) -> None:
        job = state.order.job
        if state.transfer_to == worker.id:
            self._hand_over(sim, state, worker)
            return
        if len(state.accepted) < job.crew:
            if not state.pending:
                self._offer_best(sim, state)
            return
        if state.transfers >= MAX_TRANSFERS:  # no more bouncing between workers
            job = dataclasses.replace(job, movable=False)
        crew = [sim.workers[wid] for wid in state.accepted]
        placed = []
        for member in crew:
            ws = sim.state_of(member)
            ins = best_insertion(job, ws, sim.now, sim.travel) if ws else None
            if ins is None:  # the plan changed while the offer was open: ask someone else
                state.accepted.remove(member.id)
                state.declined.add(member.id)
                self._offer_best(sim, state)
                return
            placed.append((member, ins))
        eta = max(ins.eta for _, ins in placed)
        for member, ins in placed:
            member.plan.insert(ins.position, job)
            if job.crew > 1:
                member.crew_start[job.id] = eta
        state.assigned = True
        for member, _ in placed:
            sim.kick(member)
        self.on_workers_changed(sim)

    def on_idle(self, sim: Simulation, worker: Worker) -> None:
        if self.waiting:
            for state in list(self.waiting):
                self._offer_best(sim, state)
        if worker.plan or worker.activity != "idle" or not worker.on_shift(sim.now):
            return
        posts = self.posts.get(worker.group)
        if not posts:
            return
        taken = {
            self.claims[w.id]
            for w in sim.workers.values()
            if w.group == worker.group
            and w.id != worker.id
            and w.id in self.claims
            and not w.plan
            and w.activity in ("idle", "to_post")
        }
        index = nearest_free_post(worker.position, posts, taken)
        if index is not None:
            self.claims[worker.id] = index
            sim.reposition(worker, posts[index])

    def on_release(self, sim: Simulation, states: list[OrderState]) -> None:
        for state in states:
            state.accepted.clear()
            state.assigned = False
            self._offer_best(sim, state)

    def on_workers_changed(self, sim: Simulation) -> None:
        if self.waiting:
            for state in list(self.waiting):
                self._offer_best(sim, state)
        changed = reoptimise(sim.states(), sim.now, sim.travel)
        jobs = {j.id: j for w in sim.workers.values() for j in w.plan}
        holder = {j.id: w.id for w in sim.workers.values() for j in w.plan}
        losing = {holder[i] for wid, ids in changed.items() for i in ids if holder[i] != wid}
        for wid, ids in changed.items():
            worker = sim.workers[wid]
            if wid not in losing:  # reorder; jobs coming in arrive only once accepted
                worker.plan = [jobs[i] for i in ids if holder[i] == wid]
                sim.kick(worker)
            for oid in ids:
                state = sim.orders[oid]
                if holder[oid] != wid and state.transfer_to is None and not state.pending:
                    # A hand-over is an offer to the new worker; the holder keeps the job
                    # until it is accepted (a decline changes nothing).
                    state.transfer_to = wid
                    sim.offer(state, worker)

    def _hand_over(self, sim: Simulation, state: OrderState, worker: Worker) -> None:
        state.transfer_to = None
        state.accepted.remove(worker.id)
        job = state.order.job
        holder = next((w for w in sim.workers.values() if job.id in {j.id for j in w.plan}), None)
        ws = sim.state_of(worker)
        if holder is None or ws is None:  # started meanwhile, or the new worker left
            return
        state.transfers += 1
        if state.transfers >= MAX_TRANSFERS:  # no more bouncing between workers
            job = dataclasses.replace(job, movable=False)
        ins = best_insertion(job, ws, sim.now, sim.travel)
        if ins is None:
            return
        holder.plan = [j for j in holder.plan if j.id != job.id]
        worker.plan.insert(ins.position, job)
        state.accepted = [worker.id]
        sim.kick(holder)
        sim.kick(worker)


class GreedyDispatcher(Dispatcher):
    """The issue's baseline: the nearest idle, qualified, on-shift worker; one order per trip.

    "Nearest" is the shortest travel time to the job's first stop (the pickup of a delivery,
    else the address) — stronger than straight distance, which would send a walking caregiver
    before a nearby e-bike. A worker is idle when on shift with no plan, no step in progress
    and no open offer, and the job would end before their shift does. With nobody idle the
    order waits in a first-in-first-out queue; a worker who becomes free takes the oldest
    queued order they can serve (an offer, answered like any other). A crew of two waits for
    its second worker.
    """

    name = "greedy"

    def __init__(self) -> None:
        self.queue: list[tuple[float, str]] = []  # (placed_at, order id), oldest first

    def _fits(self, sim: Simulation, worker: Worker, job: Job) -> bool:
        if not worker.on_shift(sim.now) or not job.skills <= worker.skills:
            return False
        ws = sim.state_of(worker)
        assert ws is not None
        _, ends = timeline(ws, [job], sim.now, sim.travel)
        return ends[0] <= ws.shift_end

    def _idle(self, worker: Worker) -> bool:
        return worker.activity == "idle" and not worker.plan and worker.reserved is None

    def _wanted(self, state: OrderState) -> int:
        return state.order.job.crew - len(state.accepted) - len(state.pending)

    def _dispatch(self, sim: Simulation, state: OrderState) -> None:
        job = state.order.job
        first = job.pickup or job.dropoff
        idle = [
            w
            for w in sim.workers.values()
            if self._idle(w) and w.id not in state.declined and self._fits(sim, w, job)
        ]
        idle.sort(key=lambda w: (sim.travel.seconds(w.position, first, w.mode), w.id))
        for worker in idle[: max(0, self._wanted(state))]:
            worker.reserved = state.order.id
            sim.offer(state, worker)
        key = (state.order.placed_at, state.order.id)
        if self._wanted(state) > 0:
            if key not in self.queue:
                bisect.insort(self.queue, key)
        elif key in self.queue:
            self.queue.remove(key)

    def on_order(self, sim: Simulation, state: OrderState) -> None:
        self._dispatch(sim, state)

    def on_decline(self, sim: Simulation, state: OrderState, worker: Worker) -> None:
        worker.reserved = None
        self._dispatch(sim, state)
        self.on_idle(sim, worker)

    def on_accept(self, sim: Simulation, state: OrderState, worker: Worker) -> None:
        job = state.order.job
        if len(state.accepted) < job.crew:
            return  # the first of a crew waits, reserved, for the second
        crew = [sim.workers[wid] for wid in state.accepted]
        etas = []
        for member in crew:
            member.reserved = None
            member.plan = [job]
            ws = sim.state_of(member)
            assert ws is not None
            etas.append(timeline(ws, [job], sim.now, sim.travel)[0][0])
        for member in crew:
            if job.crew > 1:
                member.crew_start[job.id] = max(etas)
            sim.kick(member)
        state.assigned = True

    def on_idle(self, sim: Simulation, worker: Worker) -> None:
        if not self._idle(worker):
            return
        for _, oid in list(self.queue):
            state = sim.orders[oid]
            job = state.order.job
            if worker.id in state.declined or not self._fits(sim, worker, job):
                continue
            worker.reserved = oid
            sim.offer(state, worker)
            if self._wanted(state) <= 0:
                self.queue.remove((state.order.placed_at, oid))
            return

    def on_release(self, sim: Simulation, states: list[OrderState]) -> None:
        for state in states:
            state.accepted.clear()
            state.assigned = False
            self._dispatch(sim, state)

    def on_workers_changed(self, sim: Simulation) -> None:
        for worker in sim.workers.values():
            if worker.activity == "idle" and worker.on_shift(sim.now):
                self.on_idle(sim, worker)


def standby_posts(scn: Scenario, demo: DemoMap, *, seed: int = 1) -> dict[str, list[Point]]:
    """Standby posts per worker group, one per worker (:mod:`linli.dispatch.standby`).

    E-bike delivery groups wait at pickups, weighted by the deliveries expected from each
    (dwellings of the homes nearest to it × the scenario's daily count); every other group
    at homes weighted by dwellings — where services happen.
    """
    posts: dict[str, list[Point]] = {}
    for group in scn.workers:
        if group.count == 0:
            continue
        places: list[tuple[Point, float]]
        if group.mode == "ebike" and any(d.pickup and d.skills <= group.skills for d in scn.demand):
            weight: dict[Point, float] = {}
            for d in scn.demand:
                if not d.pickup or not d.skills <= group.skills:
                    continue
                pickups = demo.facilities.get(d.pickup) or ()
                for home in demo.buildings:
                    if pickups:
                        near = _nearest_point([p.point for p in pickups], home.point)
                        weight[near] = weight.get(near, 0.0) + home.dwellings * d.count
            places = list(weight.items())
        else:
            places = [(b.point, float(b.dwellings)) for b in demo.buildings]
        posts[group.name] = kmeans_posts(places, group.count, seed=seed)
    return posts


def _nearest_point(points: Sequence[Point], target: Point) -> Point:
    return min(points, key=lambda p: haversine_m(p, target))
