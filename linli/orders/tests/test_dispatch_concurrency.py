"""No worker is double-booked when dispatches and acceptances race (issue 4).

Real threads with their own connections (``transaction=True``), released together by a
barrier, as in ``linli/orders/tests/test_concurrency.py``: on PostgreSQL a dispatch locks
the order row and the chosen workers' rows (``SKIP LOCKED``) and the partial unique
constraints on :class:`Offer` are the backstop; on SQLite the IMMEDIATE transactions
serialise the writers and a locked in-memory test database is retried. The test flushes
the seeded catalogue afterwards, so it re-seeds what it needs first. Run on both:
``DATABASE_URL=postgres://… pytest linli/orders/tests/test_dispatch_concurrency.py``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection

from linli.orders.dispatching import dispatch, offer_accept
from linli.orders.models import Offer, OfferStatus, Order, OrderStatus, Worker
from linli.orders.ordering import order_place
from linli.orders.tests.conftest import HOME
from linli.testing import concurrency

#: Orders placed at once, of which the first ``CREWS`` need two caregivers (bath_assist).
ORDERS = 10
CREWS = 2


@pytest.fixture
def seeded(db):  # type: ignore[no-untyped-def]
    """The seeded skills and service types (a transactional test before may have flushed
    them): the seed migration's own function, which is idempotent."""
    seed = importlib.import_module("linli.orders.migrations.0002_seed_catalog").seed
    seed(apps, None)


def race(*calls: Callable[[], object]) -> list[str]:
    """:func:`linli.testing.concurrency.race`, with ValidationError as the expected outcome."""
    return concurrency.race(*calls, expected=(ValidationError,))


def _dispatcher(pk: int, now: dt.datetime) -> Callable[[], object]:
    return lambda: dispatch(Order(pk=pk), now=now)


def _acceptor(order_pk: int, worker_pk: int, now: dt.datetime) -> Callable[[], object]:
    return lambda: offer_accept(order=Order(pk=order_pk), worker=Worker(pk=worker_pk), now=now)


def _check_offers() -> None:
    """No carer with two pending offers (the day plan's planned offers aside); no order
    with more live offers than its crew; every order assigned with a live offer, or still
    placed (never lost)."""
    pending = Offer.objects.filter(status=OfferStatus.PENDING, planned=False)
    per_worker = Counter(pending.values_list("worker_id", flat=True))
    assert max(per_worker.values(), default=0) <= 1, per_worker
    for order in Order.objects.all():
        live = order.offers.filter(status__in=[OfferStatus.PENDING, OfferStatus.ACCEPTED])
        assert live.count() <= order.workers_needed, order.number
        assert order.status in (OrderStatus.PLACED, OrderStatus.ASSIGNED, OrderStatus.ACCEPTED)
        if order.status == OrderStatus.PLACED:
            assert not live.exists(), order.number
        elif order.status == OrderStatus.ASSIGNED:
            assert live.exists(), order.number
        else:
            assert live.filter(status=OfferStatus.ACCEPTED).count() == order.workers_needed


def _check_no_overlap() -> None:
    """No carer holds two orders whose expected service intervals [eta, eta + duration)
    overlap (all jobs here are on foot, none is a batched delivery)."""
    intervals: dict[int, list[tuple[dt.datetime, dt.datetime, str]]] = defaultdict(list)
    for offer in Offer.objects.filter(status=OfferStatus.ACCEPTED).select_related("order"):
        assert offer.eta is not None
        end = offer.eta + dt.timedelta(seconds=offer.order.duration_s)
        intervals[offer.worker_id].append((offer.eta, end, offer.order.number))
    for worker_id, spans in intervals.items():
        spans.sort()
        for (_, end, a), (start, _, b) in itertools.pairwise(spans):
            # a crew job's later arrival is its ETA; allow a second of float rounding
            assert start >= end - dt.timedelta(seconds=1), (worker_id, a, b, spans)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(2))
def test_racing_dispatches_and_accepts_never_double_book(seeded, scene, round_):  # type: ignore[no-untyped-def]
    # Given three free caregivers a few hundred metres apart and ten orders placed at once
    # (two of them baths needing two caregivers)
    for i, carer in enumerate(scene.carers):
        lat = float(HOME[0]) + (i + 1) * 0.002
        Worker.objects.filter(pk=carer.pk).update(
            last_lat=lat, last_lng=float(HOME[1]), last_ping_at=scene.now
        )
    orders = [
        order_place(
            service_type=scene.service("bath_assist" if i < CREWS else "housekeeping"),
            resident=scene.mother,
            placed_by=scene.daughter_user,
            workers_needed=2 if i < CREWS else None,
            now=scene.now,
        )
        for i in range(ORDERS)
    ]
    # When ten dispatches run at the same moment
    outcomes = race(*(_dispatcher(o.pk, scene.now) for o in orders))
    # Then none fails, nobody holds two pending offers and no order is lost
    assert outcomes == ["ok"] * ORDERS, (connection.vendor, outcomes)
    _check_offers()
    assert Offer.objects.filter(status=OfferStatus.PENDING).exists()
    # And while carers accept and orders are re-dispatched, racing each other,
    for _ in range(12):
        offers = list(Offer.objects.filter(status=OfferStatus.PENDING))
        waiting = [
            o.pk
            for o in Order.objects.filter(status__in=[OrderStatus.PLACED, OrderStatus.ASSIGNED])
        ]
        if not offers and not waiting:
            break
        calls = [_acceptor(o.order_id, o.worker_id, scene.now) for o in offers]
        calls += [_dispatcher(pk, scene.now) for pk in waiting]
        outcomes = race(*calls)
        assert all(o in ("ok", "ValidationError") for o in outcomes), outcomes
        _check_offers()
        _check_no_overlap()
    # Then every order is held by its whole crew and no carer is double-booked
    statuses = Counter(Order.objects.values_list("status", flat=True))
    assert statuses == {OrderStatus.ACCEPTED: ORDERS}, statuses
    _check_no_overlap()
    held = Counter(
        Offer.objects.filter(status=OfferStatus.ACCEPTED).values_list("worker_id", flat=True)
    )
    assert sum(held.values()) == ORDERS + CREWS


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_accept_racing_the_expiry_is_one_or_the_other(seeded, scene, round_):  # type: ignore[no-untyped-def]
    from linli.orders.dispatching import offer_seconds, offers_expire

    order = order_place(
        service_type=scene.service("housekeeping"),
        resident=scene.mother,
        placed_by=scene.daughter_user,
        now=scene.now,
    )
    dispatch(order, now=scene.now)
    [offer] = Offer.objects.filter(order=order, status=OfferStatus.PENDING)
    limit = scene.now + dt.timedelta(seconds=offer_seconds())
    # The carer taps accept a moment before the limit while the sweep runs just after it
    outcomes = race(
        _acceptor(order.pk, offer.worker_id, limit - dt.timedelta(milliseconds=100)),
        lambda: offers_expire(now=limit + dt.timedelta(milliseconds=100)),
    )
    assert all(o in ("ok", "ValidationError") for o in outcomes), outcomes
    offer.refresh_from_db()
    order.refresh_from_db()
    others = Offer.objects.filter(order=order).exclude(pk=offer.pk)
    if offer.status == OfferStatus.ACCEPTED:
        assert order.status == OrderStatus.ACCEPTED
        assert not others.exists()
    else:
        assert offer.status == OfferStatus.EXPIRED
        assert order.status == OrderStatus.ASSIGNED
        assert others.filter(status=OfferStatus.PENDING).count() == 1
    _check_offers()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(2))
def test_day_plan_racing_dispatch_never_gives_one_booking_both(seeded, scene, round_):  # type: ignore[no-untyped-def]
    from linli.orders.dayplan import plan_day
    from linli.orders.tests.factories import local

    bookings = [
        order_place(
            service_type=scene.service("housekeeping"),
            resident=scene.mother,
            placed_by=scene.daughter_user,
            slot_start=local(scene.now.date(), 11 + i),
            slot_end=local(scene.now.date(), 12 + i),
            now=scene.now,
        )
        for i in range(3)
    ]
    # When tonight's plan for today runs while the sweep dispatches the bookings due soon
    calls: list[Callable[[], object]] = [
        lambda: plan_day(date=scene.now.date(), now=scene.now, seconds=5, max_iterations=30)
    ]
    calls += [_dispatcher(b.pk, scene.now) for b in bookings]
    outcomes = race(*calls)
    assert outcomes == ["ok"] * 4, (connection.vendor, outcomes)
    # Then each booking is held by the plan or by a real-time offer, never both
    for booking in bookings:
        live = Offer.objects.filter(
            order=booking, status__in=[OfferStatus.PENDING, OfferStatus.ACCEPTED]
        )
        assert live.count() <= 1, list(live.values("planned", "worker_id"))
    _check_offers()
