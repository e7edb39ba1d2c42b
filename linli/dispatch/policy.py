"""Who should take a new on-demand job, and how held work is re-planned.

A worker's *plan* is the list of jobs they hold but have not started, in the order they will
be done. Executing a plan (see :func:`plan_etas`): from ``position`` at ``available_at``,

- a job without a pickup: walk or ride to the dropoff, arrive (the ETA), serve ``service_s``;
  a crew job (``crew == 2``) starts when the later of its two workers arrives, and that later
  arrival is its ETA (``WorkerState.crew_start`` holds the partner's expected arrival);
- deliveries: consecutive jobs with the same pickup, up to the worker's ``capacity``, are one
  trip — go to the pickup, wait until every one of them is ready, then drop them off in plan
  order, ``service_s`` (the handover) at each door.

Objective (seconds-equivalent, lower is better): the sum over jobs of ``cost(wait)``, where
``wait = eta - placed_at`` and ``cost(w) = w + LATE_WEIGHT × max(0, w - LATE_AFTER_S)``. The
late term makes a minute beyond 20 minutes count four times, so a job already waiting long is
not pushed back further to save a newer one a little time: the 30-minute on-time promise of
the issue is what the tail of the distribution is judged by. An insertion may not delay any
held job by more than ``MAX_PUSH_S`` (the "unacceptably later" rule), and no job may end after
the worker's ``shift_end`` (a plan already past it may not be made to end later).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from linli.dispatch.travel import Point, Travel

#: A wait beyond this many seconds costs ``1 + LATE_WEIGHT`` per second (see module doc).
LATE_AFTER_S = 20 * 60.0
LATE_WEIGHT = 3.0
#: … and the price of lateness grows with it: quadratic, ``late² / LATE_SCALE_S`` more.
LATE_SCALE_S = 600.0
#: No insertion may make a held job later than this (seconds).
MAX_PUSH_S = 15 * 60.0
#: A move in :func:`reoptimise` must gain at least this much (seconds-equivalent) …
MIN_GAIN = 1.0
#: … and a move to another worker this much: it is a new offer, answered in 10–60 s and
#: sometimes declined (issue 4's worker model), so a small gain is not worth the churn.
TRANSFER_GAIN = 120.0


@dataclass(frozen=True)
class Job:
    """One on-demand job as the dispatcher sees it.

    ``dropoff`` is where the service happens (the resident's building); ``service_s`` the time
    on site in seconds (the handover, 120 s, for deliveries); ``skills`` the skill codes a
    worker must all hold; ``ready_at`` (epoch s) when the pickup is ready; ``pickup`` the
    canteen or pharmacy of a delivery (``None`` otherwise); ``crew`` 2 for a job two workers
    do together (both must arrive); ``placed_at`` (epoch s) when it was ordered — waits are
    measured from it (default: the ``now`` of the call); ``movable`` ``False`` keeps it with
    its worker in :func:`reoptimise` (reordered, never handed to another worker — e.g. a job
    handed over once already, so that jobs do not bounce between workers).
    """

    id: str
    dropoff: Point
    service_s: float
    skills: frozenset[str]
    ready_at: float = 0.0
    pickup: Point | None = None
    crew: int = 1
    placed_at: float | None = None
    movable: bool = True


@dataclass
class WorkerState:
    """A worker as the dispatcher sees it at ``now``.

    ``position`` is where the worker will be at ``available_at`` (epoch s, ``>= now``) when
    the stop in progress is done (for a worker riding to a pickup: the pickup and the arrival
    time); ``plan`` the held jobs not yet started, in order; ``capacity`` the deliveries
    carried per trip; ``crew_start`` maps a held crew job's id to the partner's expected
    arrival (epoch s).
    """

    id: str
    mode: str
    position: Point
    available_at: float
    shift_end: float
    skills: frozenset[str]
    capacity: int = 1
    plan: list[Job] = field(default_factory=list)
    crew_start: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    """One feasible way to take a job.

    ``worker_ids`` — 1 worker, or 2 for a crew job; ``eta`` (epoch s) the expected arrival at
    the dropoff (for a crew, the later one); ``positions`` the index in each worker's plan
    where the job goes; ``score`` the objective's increase (seconds-equivalent, lower first);
    ``held_delay_s`` the total seconds the workers' held jobs are pushed back.
    """

    worker_ids: tuple[str, ...]
    eta: float
    score: float
    positions: tuple[int, ...]
    held_delay_s: float = 0.0


def cost(wait_s: float) -> float:
    """The objective's cost of one job arriving ``wait_s`` seconds after it was placed."""
    late = max(0.0, wait_s - LATE_AFTER_S)
    return wait_s + late * (LATE_WEIGHT + late / LATE_SCALE_S)


def timeline(
    worker: WorkerState, plan: Sequence[Job], now: float, travel: Travel
) -> tuple[list[float], list[float]]:
    """``(etas, ends)`` of every job of ``plan`` executed by ``worker`` from ``now`` (epoch s).

    ``ends[i]`` is when the worker leaves job ``i``'s dropoff. See the module doc for the rules.
    """
    mode, cap, crew_start = worker.mode, worker.capacity, worker.crew_start
    seconds = travel.seconds
    t = max(now, worker.available_at)
    pos = worker.position
    n = len(plan)
    etas = [0.0] * n
    ends = [0.0] * n
    i = 0
    while i < n:
        job = plan[i]
        pickup = job.pickup
        if pickup is None:
            # not before the job is due (a booking's slot start; immediate jobs: placed)
            t = max(t + seconds(pos, job.dropoff, mode), job.ready_at)
            if job.crew > 1:
                t = max(t, crew_start.get(job.id, t))
            etas[i] = t
            t += job.service_s
            ends[i] = t
            pos = job.dropoff
            i += 1
            continue
        j = i + 1
        ready = job.ready_at
        while j < n and j - i < cap and plan[j].pickup == pickup:
            ready = max(ready, plan[j].ready_at)
            j += 1
        t = max(t + seconds(pos, pickup, mode), ready)
        pos = pickup
        for k in range(i, j):
            drop = plan[k].dropoff
            t += seconds(pos, drop, mode)
            etas[k] = t
            t += plan[k].service_s
            ends[k] = t
            pos = drop
        i = j
    return etas, ends


def plan_etas(worker: WorkerState, now: float, travel: Travel) -> list[tuple[str, float]]:
    """Expected arrival (epoch s) at each job of the worker's plan, in plan order."""
    etas, _ = timeline(worker, worker.plan, now, travel)
    return [(job.id, eta) for job, eta in zip(worker.plan, etas, strict=True)]


def _base(job: Job, now: float) -> float:
    return now if job.placed_at is None else job.placed_at


def plan_cost(worker: WorkerState, plan: Sequence[Job], now: float, travel: Travel) -> float:
    """Sum of :func:`cost` over the plan's jobs (seconds-equivalent)."""
    etas, _ = timeline(worker, plan, now, travel)
    return sum(cost(eta - _base(job, now)) for job, eta in zip(plan, etas, strict=True))


@dataclass(frozen=True)
class _Insertion:
    score: float
    position: int
    eta: float
    delay_s: float


def qualified(job: Job, worker: WorkerState) -> bool:
    """Whether the worker holds every skill the job requires."""
    return job.skills <= worker.skills


def _first_position(job: Job, plan: Sequence[Job]) -> int:
    # A crew job goes after every crew job already held: crew jobs then keep their order of
    # assignment in every plan, so two workers can never wait for each other (no deadlock).
    if job.crew == 1:
        return 0
    last = max((i for i, held in enumerate(plan) if held.crew > 1), default=-1)
    return last + 1


def best_insertion(
    job: Job,
    worker: WorkerState,
    now: float,
    travel: Travel,
    *,
    reference: Mapping[str, float] | None = None,
) -> _Insertion | None:
    """The cheapest feasible position for ``job`` in the worker's plan, or ``None``.

    A held job may not become more than ``MAX_PUSH_S`` later than its ETA in ``reference``
    (job id → epoch s; default: its ETA in the plan as it is).
    """
    plan = worker.plan
    old_etas, old_ends = timeline(worker, plan, now, travel)
    limits = [
        (reference.get(held.id, eta) if reference else eta) + MAX_PUSH_S
        for held, eta in zip(plan, old_etas, strict=True)
    ]
    old_last = old_ends[-1] if old_ends else 0.0
    limit = max(worker.shift_end, old_last)
    base = _base(job, now)
    best: _Insertion | None = None
    for pos in range(_first_position(job, plan), len(plan) + 1):
        trial = [*plan[:pos], job, *plan[pos:]]
        etas, ends = timeline(worker, trial, now, travel)
        if ends[pos] > worker.shift_end or ends[-1] > limit:
            continue
        delta, pushed, too_late = 0.0, 0.0, False
        for k, held in enumerate(plan):
            new = etas[k + 1] if k >= pos else etas[k]
            if new > limits[k]:
                too_late = True
                break
            hb = _base(held, now)
            delta += cost(new - hb) - cost(old_etas[k] - hb)
            pushed += max(0.0, new - old_etas[k])
        if too_late:
            continue
        score = cost(etas[pos] - base) + delta
        if best is None or score < best.score:
            best = _Insertion(score, pos, etas[pos], pushed)
    return best


def rank(
    job: Job,
    workers: Sequence[WorkerState],
    now: float,
    travel: Travel,
    *,
    exclude: frozenset[str] = frozenset(),
) -> list[Choice]:
    """All feasible choices for ``job``, best (lowest objective increase) first.

    One choice per qualified worker (their best insertion position), or per pair of qualified
    workers for a crew job. ``exclude`` lists worker ids not to consider (those who declined).
    The score counts the work each worker already holds (the new job's ETA comes after it
    unless it is inserted earlier) and the cost of pushing held jobs back (module doc).
    An empty list means nobody can take the job before their shift ends.
    """
    candidates = [w for w in workers if w.id not in exclude and qualified(job, w)]
    singles: list[tuple[WorkerState, _Insertion]] = []
    for worker in candidates:
        ins = best_insertion(job, worker, now, travel)
        if ins is not None:
            singles.append((worker, ins))
    if job.crew == 1:
        choices = [
            Choice((w.id,), ins.eta, ins.score, (ins.position,), ins.delay_s) for w, ins in singles
        ]
    else:
        choices = _crew_choices(job, singles, now, travel)
    choices.sort(key=lambda c: (c.score, c.eta, c.worker_ids))
    return choices


def _crew_choices(
    job: Job, singles: Sequence[tuple[WorkerState, _Insertion]], now: float, travel: Travel
) -> list[Choice]:
    """Pairs of workers; the job's ETA is the later of the two arrivals."""
    choices = []
    base = _base(job, now)
    before = {w.id: timeline(w, w.plan, now, travel) for w, _ in singles}
    for a in range(len(singles)):
        for b in range(a + 1, len(singles)):
            (wa, ia), (wb, ib) = singles[a], singles[b]
            eta = max(ia.eta, ib.eta)
            score, pushed, feasible = cost(eta - base), 0.0, True
            for worker, ins in ((wa, ia), (wb, ib)):
                synced = dataclasses.replace(worker, crew_start={**worker.crew_start, job.id: eta})
                trial = [*worker.plan[: ins.position], job, *worker.plan[ins.position :]]
                etas, ends = timeline(synced, trial, now, travel)
                old_etas, old_ends = before[worker.id]
                limit = max(worker.shift_end, old_ends[-1] if old_ends else 0.0)
                if ends[ins.position] > worker.shift_end or ends[-1] > limit:
                    feasible = False
                    break
                for k, held in enumerate(worker.plan):
                    new = etas[k + 1] if k >= ins.position else etas[k]
                    hb = _base(held, now)
                    score += cost(new - hb) - cost(old_etas[k] - hb)
                    pushed += max(0.0, new - old_etas[k])
            if feasible:
                choices.append(
                    Choice((wa.id, wb.id), eta, score, (ia.position, ib.position), pushed)
                )
    return choices


def reoptimise(
    workers: Sequence[WorkerState],
    now: float,
    travel: Travel,
    *,
    max_passes: int = 2,
    transfer_gain: float = TRANSFER_GAIN,
) -> dict[str, list[str]]:
    """Re-plan the held, not-yet-started jobs across workers by relocation moves.

    Each single-worker job in turn (oldest first) is taken out of its plan and put back at
    the cheapest feasible position over all qualified workers, its own plan included (which
    also reorders a plan); the move is kept when it lowers the total objective by at least
    ``MIN_GAIN`` within the plan, or ``transfer_gain`` (seconds-equivalent) to another worker.
    No job may become more than ``MAX_PUSH_S`` later than before the move. Crew jobs stay
    where they are. At most ``max_passes`` passes over the jobs. The ``workers`` are not
    modified.

    Returns:
        worker id → job ids in their new order, for the workers whose plan changed. Every job
        held before is held after by exactly one worker (or the same two, for a crew job).
    """
    states = {w.id: dataclasses.replace(w, plan=list(w.plan)) for w in workers}
    before = {w.id: [j.id for j in w.plan] for w in workers}
    for _ in range(max_passes):
        moved = False
        held = [(j, wid) for wid, w in states.items() for j in w.plan if j.crew == 1]
        held.sort(key=lambda item: (_base(item[0], now), item[0].id))
        for job, owner_id in held:
            if _relocate(job, states[owner_id], states, now, travel, transfer_gain):
                moved = True
        if not moved:
            break
    after = {wid: [j.id for j in w.plan] for wid, w in states.items()}
    return {wid: ids for wid, ids in after.items() if ids != before[wid]}


def _relocate(
    job: Job,
    owner: WorkerState,
    states: Mapping[str, WorkerState],
    now: float,
    travel: Travel,
    transfer_gain: float,
) -> bool:
    """Move ``job`` to its cheapest place if that gains enough (see reoptimise); True if moved."""
    index = owner.plan.index(job)
    etas, _ = timeline(owner, owner.plan, now, travel)
    reference = {held.id: eta for held, eta in zip(owner.plan, etas, strict=True)}
    with_job = sum(cost(eta - _base(held, now)) for held, eta in zip(owner.plan, etas, strict=True))
    owner.plan.pop(index)
    gain = with_job - plan_cost(owner, owner.plan, now, travel)
    best: tuple[float, WorkerState, int, float] | None = None
    for worker in states.values():
        if not qualified(job, worker) or (worker is not owner and not job.movable):
            continue
        ref = reference if worker is owner else None
        ins = best_insertion(job, worker, now, travel, reference=ref)
        if ins is None:
            continue
        score = ins.score + (MIN_GAIN if worker is owner else transfer_gain)
        if best is None or score < best[0]:
            best = (score, worker, ins.position, ins.eta)
    if (
        best is None
        or best[0] > gain
        or (best[1] is owner and best[2] == index)
        or best[3] > reference[job.id] + MAX_PUSH_S
    ):
        owner.plan.insert(index, job)
        return False
    best[1].plan.insert(best[2], job)
    return True


__all__ = [
    "Choice",
    "Job",
    "WorkerState",
    "best_insertion",
    "cost",
    "plan_cost",
    "plan_etas",
    "qualified",
    "rank",
    "reoptimise",
    "timeline",
]
