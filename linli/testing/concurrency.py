"""Race helper for concurrency tests: real threads, each with its own database connection.

Use with ``@pytest.mark.django_db(transaction=True)`` so the threads see committed rows. On
PostgreSQL the threads really overlap (row locks decide); SQLite serialises writers and
answers "database is locked", which is retried here for up to ``wait_s`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import OperationalError, connection, connections

RETRY_PAUSE_S = 0.05


def race(
    *calls: Callable[[], object],
    expected: tuple[type[BaseException], ...] = (),
    wait_s: float = 20.0,
    join_s: float = 120.0,
) -> list[str]:
    """Run ``calls`` in threads released together by a barrier; sorted outcomes.

    Each outcome is ``"ok"``, the class name of an ``expected`` exception (e.g.
    ``"ValidationError"``), or ``"Name: message"`` for anything else — so an unexpected
    database error shows up in the assertion instead of passing silently.
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def attempt(call: Callable[[], object]) -> None:
        for _ in range(int(wait_s / RETRY_PAUSE_S)):
            try:
                call()
                return
            except OperationalError as exc:
                if connection.vendor != "sqlite" or "locked" not in str(exc):
                    raise
                time.sleep(RETRY_PAUSE_S)
        raise AssertionError(f"SQLite stayed locked for {wait_s:.0f} s")

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=wait_s)
            attempt(call)
            outcomes.append("ok")
        except expected as exc:
            outcomes.append(type(exc).__name__)
        except Exception as exc:  # reported, so a database error fails the test visibly
            outcomes.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_s)
    return sorted(outcomes)
