"""django-q2 tasks of the notification module: they only call a service."""

from __future__ import annotations

from linli.notify import services


def delivery_send_task(delivery_id: int) -> str:
    """Send one delivery; returns its status, or "not-claimed" if it was not due or taken."""
    delivery = services.delivery_attempt(delivery_id=delivery_id)
    return delivery.status if delivery else "not-claimed"


def deliveries_sweep_task() -> int:
    """Every minute (schedule in migration 0002): queue due retries and orphaned sends."""
    return services.deliveries_sweep()
