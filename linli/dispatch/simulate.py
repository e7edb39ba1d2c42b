"""A discrete-event simulation of one day of on-demand orders (heapq), for two dispatchers.

The same order stream and the same worker answers run through each dispatcher of
:mod:`linli.dispatch.dispatchers` (Linli's and the issue's greedy baseline). Workers execute
their plans by the rules of :mod:`linli.dispatch.policy`:

- a delivery: ride or walk to the pickup, wait there until the head batch is ready, then drop
  the batch off in plan order with a handover at each door;
- a service: go to the address and serve; a crew of two starts when the second one arrives.

A worker commits to a step when starting it; held jobs not started are re-planned freely.
Every offer gets an answer drawn from the order's own random stream (offer k of order o is
accepted after a uniform delay, or declined with the scenario's probability), so both
dispatchers see the same answers for the same offers. A worker does not start a step after
their shift has ended; held jobs left then go back to the dispatcher. Orders nobody has
served by the end of the day are *unfulfilled* and reported as such.

Times are seconds from the simulated day's midnight.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from linli.dispatch.demo_map import DemoMap
from linli.dispatch.policy import Job, WorkerState
from linli.dispatch.scenario import Order, Scenario
from linli.dispatch.travel import GreatCircleTravel, Point, Travel


@dataclass
class Worker:
    """A simulated worker: fixed attributes, position and the step in progress."""

    id: str
    group: str
    mode: str
    capacity: int
    skills: frozenset[str]
    shifts: tuple[tuple[float, float], ...]
    home: Point
    position: Point
    free_at: float = 0.0
    activity: str = "idle"  # idle | to_pickup | at_pickup | delivering | serving | crew_wait
    plan: list[Job] = field(default_factory=list)
    crew_start: dict[str, float] = field(default_factory=dict)
    token: int = 0
    busy_s: float = 0.0
    reserved: str | None = None  # greedy: the order offered to this worker
    move: tuple[Point, Point, float, float] | None = None  # to a post: from, to, t0, t1

    def where(self, t: float) -> Point:
        """Where the worker is at ``t``; on the way to a post, along the straight line."""
        if self.activity != "to_post" or self.move is None:
            return self.position
        a, b, t0, t1 = self.move
        f = 1.0 if t1 <= t0 else min(1.0, max(0.0, (t - t0) / (t1 - t0)))
        if f >= 1.0:
            return b
        return Point(a.lat + (b.lat - a.lat) * f, a.lng + (b.lng - a.lng) * f)

    def shift_at(self, t: float) -> tuple[float, float] | None:
        """The shift in progress at ``t`` or the next one today (``None`` when none is left)."""
        for start, end in self.shifts:
            if t < end:
                return start, end
        return None

    def on_shift(self, t: float) -> bool:
        shift = self.shift_at(t)
        return shift is not None and shift[0] <= t


@dataclass
class OrderState:
    order: Order
    offers: int = 0
    declined: set[str] = field(default_factory=set)
    pending: set[str] = field(default_factory=set)
    accepted: list[str] = field(default_factory=list)
    assigned: bool = False
    transfers: int = 0  # times re-optimisation handed it from one worker to another
    transfer_to: str | None = None  # a hand-over offered, not answered yet
    crew_arrivals: dict[str, float] = field(default_factory=dict)
    arrival: float | None = None


@dataclass(frozen=True)
class Visit:
    """A worker's committed stop: ``trip`` groups the deliveries of one batch."""

    worker: str
    order: str
    start: float  # when the worker committed to it
    arrival: float
    leave: float
    trip: int


def build_workers(scn: Scenario, demo: DemoMap) -> list[Worker]:
    """The scenario's workers, numbered per group; couriers alternate between start places."""
    workers = []
    for group in scn.workers:
        places = demo.facilities.get(group.start) or ()
        if not places:
            raise ValueError(f"演示社区中没有 {group.start} 类设施，无法安排 {group.name} 的起点")
        for i in range(group.count):
            home = places[i % len(places)].point
            workers.append(
                Worker(
                    id=f"{group.name}-{i + 1:02d}",
                    group=group.name,
                    mode=group.mode,
                    capacity=group.capacity,
                    skills=group.skills,
                    shifts=group.shifts,
                    home=home,
                    position=home,
                )
            )
    return workers


class Simulation:
    """One run of one dispatcher over an order stream; see the module doc."""

    def __init__(
        self,
        scn: Scenario,
        workers: Sequence[Worker],
        stream: Sequence[Order],
        dispatcher: Dispatcher,
        *,
        seed: int,
        travel: Travel | None = None,
    ) -> None:
        self.scn = scn
        self.seed = seed
        self.travel: Travel = travel or GreatCircleTravel(
            detour=scn.detour, speeds_kmh=scn.speeds_kmh
        )
        self.workers = {w.id: w for w in workers}
        self.orders = {o.id: OrderState(o) for o in stream}
        self.dispatcher = dispatcher
        self.visits: list[Visit] = []
        self.commits: dict[tuple[str, str], float] = {}  # (worker, crew order) → set off
        self.events: list[tuple[float, int, str, tuple[Any, ...]]] = []
        self.seq = 0
        self.trips = 0
        self.now = 0.0
        for o in stream:
            self.push(o.placed_at, "order", o.id)
        for w in workers:
            for start, end in w.shifts:
                self.push(start, "shift_start", w.id)
                self.push(end, "shift_end", w.id)

    # -- events -------------------------------------------------------------------------
    def push(self, t: float, kind: str, *payload: Any) -> None:
        self.seq += 1
        heapq.heappush(self.events, (t, self.seq, kind, payload))

    def run(self) -> Simulation:
        handlers: dict[str, Callable[..., None]] = {
            "order": lambda oid: self.dispatcher.on_order(self, self.orders[oid]),
            "response": self._on_response,
            "free": self._on_free,
            "arrive": self._on_arrive,
            "crew_arrive": self._on_crew_arrive,
            "shift_start": lambda wid: self._on_shift(self.workers[wid]),
            "shift_end": lambda wid: self._on_shift_end(self.workers[wid]),
        }
        while self.events:
            t, _, kind, payload = heapq.heappop(self.events)
            self.now = t
            handlers[kind](*payload)
        return self

    def offer(self, state: OrderState, worker: Worker) -> None:
        """Offer the order to the worker; the answer comes after the drawn delay."""
        rng = random.Random(f"{self.seed}:{state.order.id}:{state.offers}")
        state.offers += 1
        delay = rng.uniform(*self.scn.accept_delay_s)
        accepted = rng.random() >= self.scn.decline_share
        state.pending.add(worker.id)
        self.push(self.now + delay, "response", state.order.id, worker.id, accepted)

    def _on_response(self, oid: str, wid: str, accepted: bool) -> None:
        state, worker = self.orders[oid], self.workers[wid]
        state.pending.discard(wid)
        if accepted:
            state.accepted.append(wid)
            self.dispatcher.on_accept(self, state, worker)
        else:
            state.declined.add(wid)
            self.dispatcher.on_decline(self, state, worker)

    def _on_free(self, wid: str, token: int) -> None:
        worker = self.workers[wid]
        if token == worker.token:
            self.advance(worker)

    def _on_shift(self, worker: Worker) -> None:
        if worker.activity in ("idle", "at_pickup"):
            self.kick(worker)
        self.dispatcher.on_workers_changed(self)

    def _on_shift_end(self, worker: Worker) -> None:
        """Held single jobs not started go back to the dispatcher; crew jobs are kept."""
        released = [j for j in worker.plan if j.crew == 1]
        worker.plan = [j for j in worker.plan if j.crew > 1]
        if released:
            self.dispatcher.on_release(self, [self.orders[j.id] for j in released])
        self.kick(worker)  # a crew job left at the head is started (see advance)
        self.dispatcher.on_workers_changed(self)

    def _on_arrive(self, oid: str) -> None:
        self.orders[oid].arrival = self.now

    def _on_crew_arrive(self, oid: str, wid: str) -> None:
        state = self.orders[oid]
        state.crew_arrivals[wid] = self.now
        worker = self.workers[wid]
        worker.activity = "crew_wait"
        if len(state.crew_arrivals) < state.order.job.crew:
            return
        state.arrival = self.now
        service = state.order.job.service_s
        for crew_id in state.crew_arrivals:
            mate = self.workers[crew_id]
            mate.token += 1
            mate.free_at = self.now + service
            mate.busy_s += service
            mate.activity = "serving"
            self.push(mate.free_at, "free", mate.id, mate.token)
            start = self.commits.pop((mate.id, oid))
            self.visits.append(Visit(mate.id, oid, start, self.now, mate.free_at, -1))

    # -- executing plans ---------------------------------------------------------------
    def kick(self, worker: Worker) -> None:
        """Re-read the plan of a worker who is idle, going to a post or waiting at a pickup."""
        if worker.activity in ("idle", "at_pickup", "to_post"):
            worker.token += 1
            self.advance(worker)

    def advance(self, worker: Worker) -> None:
        """Start the worker's next step (the worker has nothing in progress)."""
        t = self.now
        if worker.activity == "to_post" and worker.move is not None:
            worker.position = worker.where(t)
            worker.busy_s += t - worker.move[2]
            worker.move = None
        worker.activity = "idle"
        worker.free_at = t
        # Off shift only a crew job already promised is started (overtime for a partner).
        if not worker.on_shift(t) and not (worker.plan and worker.plan[0].crew > 1):
            return
        if not worker.plan:
            self.dispatcher.on_idle(self, worker)
            return
        job = worker.plan[0]
        if job.pickup is None:
            self._serve(worker, job)
        elif worker.position != job.pickup:
            tt = self.travel.seconds(worker.position, job.pickup, worker.mode)
            worker.activity, worker.position = "to_pickup", job.pickup
            worker.free_at = t + tt
            worker.busy_s += tt
            self.push(worker.free_at, "free", worker.id, worker.token)
        else:
            self._depart(worker)

    def reposition(self, worker: Worker, post: Point) -> None:
        """Send an idle worker to a standby post; a new job interrupts the walk."""
        tt = self.travel.seconds(worker.position, post, worker.mode)
        if tt <= 0:
            return
        worker.activity = "to_post"
        worker.move = (worker.position, post, self.now, self.now + tt)
        worker.free_at = self.now
        self.push(self.now + tt, "free", worker.id, worker.token)

    def _serve(self, worker: Worker, job: Job) -> None:
        t = self.now
        worker.plan.pop(0)
        tt = self.travel.seconds(worker.position, job.dropoff, worker.mode)
        worker.position = job.dropoff
        worker.busy_s += tt
        arrive = t + tt
        if job.crew > 1:
            worker.activity = "serving"
            worker.free_at = max(arrive, worker.crew_start.get(job.id, arrive)) + job.service_s
            self.commits[(worker.id, job.id)] = t
            self.push(arrive, "crew_arrive", job.id, worker.id)
            return
        worker.activity = "serving"
        worker.free_at = arrive + job.service_s
        worker.busy_s += job.service_s
        self.push(arrive, "arrive", job.id)
        self.push(worker.free_at, "free", worker.id, worker.token)
        self.visits.append(Visit(worker.id, job.id, t, arrive, worker.free_at, -1))

    def _depart(self, worker: Worker) -> None:
        """At the pickup: leave with the head batch once all of it is ready."""
        t, plan = self.now, worker.plan
        pickup = plan[0].pickup
        end = 1
        while end < len(plan) and end < worker.capacity and plan[end].pickup == pickup:
            end += 1
        ready = max(job.ready_at for job in plan[:end])
        if ready > t:
            worker.activity = "at_pickup"
            self.push(ready, "free", worker.id, worker.token)
            return
        batch, worker.plan = plan[:end], plan[end:]
        self.trips += 1
        pos = worker.position
        for job in batch:
            tt = self.travel.seconds(pos, job.dropoff, worker.mode)
            arrive = t + tt
            t = arrive + job.service_s
            worker.busy_s += tt + job.service_s
            self.push(arrive, "arrive", job.id)
            self.visits.append(Visit(worker.id, job.id, self.now, arrive, t, self.trips))
            pos = job.dropoff
        worker.activity, worker.position, worker.free_at = "delivering", pos, t
        self.push(t, "free", worker.id, worker.token)

    # -- what the dispatchers see -----------------------------------------------------
    def state_of(self, worker: Worker) -> WorkerState | None:
        """The worker as :mod:`linli.dispatch.policy` sees them now (``None``: no shift left)."""
        shift = worker.shift_at(self.now)
        if shift is None:
            return None
        available = max(self.now, worker.free_at, shift[0])
        return WorkerState(
            id=worker.id,
            mode=worker.mode,
            position=worker.where(self.now),
            available_at=available,
            shift_end=shift[1],
            skills=worker.skills,
            capacity=worker.capacity,
            plan=worker.plan,
            crew_start=worker.crew_start,
        )

    def states(self) -> list[WorkerState]:
        return [s for w in self.workers.values() if (s := self.state_of(w)) is not None]


class Dispatcher:
    """What a dispatcher does at each event; the base class does nothing."""

    name = "base"

    def on_order(self, sim: Simulation, state: OrderState) -> None: ...
    def on_accept(self, sim: Simulation, state: OrderState, worker: Worker) -> None: ...
    def on_decline(self, sim: Simulation, state: OrderState, worker: Worker) -> None: ...
    def on_idle(self, sim: Simulation, worker: Worker) -> None: ...
    def on_release(self, sim: Simulation, states: list[OrderState]) -> None: ...
    def on_workers_changed(self, sim: Simulation) -> None: ...
