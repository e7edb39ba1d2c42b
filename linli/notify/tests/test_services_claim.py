"""Claiming a delivery: one worker wins; a stale worker cannot overwrite a newer attempt."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from linli.notify import services
from linli.notify.models import Delivery, DeliveryStatus
from linli.notify.services import Recipient


def pending_sms() -> Delivery:
    result = services.notify(
        recipients=[Recipient(phone="13912345678")], title="t", kind="k", channels=["sms"]
    )
    return result.deliveries[0]


@pytest.mark.django_db
def test_of_two_claims_one_wins():
    delivery = pending_sms()

    first = services.delivery_claim(delivery_id=delivery.pk)
    second = services.delivery_claim(delivery_id=delivery.pk)

    assert first is not None and first.attempts == 1
    assert second is None
    lease = first.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=100) < lease <= dt.timedelta(seconds=120)


@pytest.mark.django_db
def test_sent_delivery_is_not_sent_again(sms_outbox):
    delivery = pending_sms()

    services.delivery_attempt(delivery_id=delivery.pk)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    again = services.delivery_attempt(delivery_id=delivery.pk)

    assert again is None and len(sms_outbox) == 1


@pytest.mark.django_db
def test_dead_worker_is_covered_by_the_sweep_after_the_lease(sms_outbox):
    delivery = pending_sms()
    assert services.delivery_claim(delivery_id=delivery.pk) is not None  # then the worker dies
    assert services.deliveries_sweep() == 0

    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )
    sent = services.delivery_attempt(delivery_id=delivery.pk)

    assert sent is not None and sent.status == DeliveryStatus.SENT and sent.attempts == 2


@pytest.mark.django_db
def test_stale_worker_does_not_overwrite_the_newer_attempt():
    delivery = pending_sms()
    stale = services.delivery_claim(delivery_id=delivery.pk)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    fresh = services.delivery_claim(delivery_id=delivery.pk)
    assert stale is not None and fresh is not None

    services._record_failure(stale, "late timeout", retryable=False)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_from_threads_have_one_winner():
    delivery = pending_sms()
    barrier = threading.Barrier(6)
    results: list[bool] = []

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(200):
                try:
                    claimed = services.delivery_claim(delivery_id=delivery.pk) is not None
                except OperationalError as exc:
                    # SQLite's in-memory test database answers "table is locked" at once
                    # where a file database would wait (busy timeout): wait and retry.
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.02)
                    continue
                results.append(claimed)
                return
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 5 + [True]
    assert Delivery.objects.get(pk=delivery.pk).attempts == 1
