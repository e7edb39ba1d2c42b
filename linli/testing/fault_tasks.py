"""Test-only task functions and seed data for the fault and scaled-deployment tests.

The functions run inside ``linli qcluster`` subprocesses (so they live in an importable
module, not in a test file) against a throwaway PostgreSQL and Redis
(:mod:`linli.testing.throwaway`). Their effects are counted by the tests:

- in Redis (``LINLI_FAULT_REDIS_URL``): ``INCR`` of ``faults:starts:<key>`` when a run starts
  and ``faults:done:<key>`` when it finishes — how many times a task really ran;
- in PostgreSQL: one :class:`linli.common.models.CalendarOverride` row per task, whose
  ``note`` is the key and whose ``date`` (unique) is derived from it — a second completion
  of the same task fails on the unique constraint instead of writing a duplicate.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import zlib
from typing import Any

#: Notes of marker rows start with this, so a test can count them.
MARKER_PREFIX = "fault-test:"


def _redis() -> Any:
    import redis

    return redis.from_url(os.environ["LINLI_FAULT_REDIS_URL"])


def marker_date(key: str) -> dt.date:
    """A date in 2090–2180 derived from ``key`` (distinct for the keys of one test)."""
    return dt.date(2090, 1, 1) + dt.timedelta(days=zlib.crc32(key.encode()) % 32_000)


def write_marker(key: str, delay: float = 0.0) -> str:
    """Count a start in Redis, wait ``delay`` seconds, write the marker row, count a finish.

    Returns:
        ``key`` (the task result).

    Raises:
        django.db.IntegrityError: the marker row of ``key`` exists already (the task ran to
            the end twice).
    """
    from linli.common.models import CalendarOverride

    connection = _redis()
    connection.incr(f"faults:starts:{key}")
    if delay:
        time.sleep(delay)
    CalendarOverride.objects.create(
        date=marker_date(key), is_workday=True, note=f"{MARKER_PREFIX}{key}"
    )
    connection.incr(f"faults:done:{key}")
    return key


def seed_reporter() -> dict[str, Any]:
    """A micro-grid worker with an API token, a building and an active case category in the
    current database: ``{"username", "password", "token", "building", "category"}``."""
    from rest_framework.authtoken.models import Token

    from linli.cases.models import CaseCategory
    from linli.testing.factories import BuildingFactory, area_chain, staff_user

    areas = area_chain()
    user = staff_user(areas["micro_grid"])
    building = BuildingFactory.create(micro_grid=areas["micro_grid"])
    kind = CaseCategory._meta.get_field("kind").choices[0][0]  # type: ignore[index]
    category = CaseCategory.objects.create(code="FT01", name="故障测试", kind=kind)
    return {
        "username": user.username,
        "password": "pw-linli-test",
        "token": Token.objects.create(user=user).key,
        "building": building.pk,
        "category": category.code,
    }


def record_group() -> None:
    """Add this process's group id to the Redis set ``faults:groups`` (which cluster ran)."""
    _redis().sadd("faults:groups", os.getpgid(0))


def write_marker_in_group(key: str, delay: float = 0.0) -> str:
    """:func:`write_marker`, also recording which cluster (process group) ran it."""
    record_group()
    return write_marker(key, delay)


def enqueue_on(redis_url: str, queue: str, func: str, keys: list[str], delay: float) -> None:
    """Enqueue ``<this module>.<func>(key, delay)`` for each key on the Redis queue ``queue``
    (``LINLI_Q_NAME``) of a cluster under test, from a process configured otherwise (the
    pytest process): django-q2 signs a task with the secret key salted by the queue name."""
    from django_q.conf import Conf
    from django_q.tasks import async_task

    from linli.common.faults import LeasedRedis

    saved = Conf.REDIS, Conf.PREFIX
    Conf.REDIS, Conf.PREFIX = redis_url, queue
    try:
        broker = LeasedRedis(list_key=queue)
        for key in keys:
            async_task(f"linli.testing.fault_tasks.{func}", key, delay, broker=broker)
    finally:
        Conf.REDIS, Conf.PREFIX = saved


def main() -> None:
    """Command line for the tests (run with the environment of the cluster under test):

    - ``python -m linli.testing.fault_tasks seed``: :func:`seed_reporter` as JSON;
    - ``python -m linli.testing.fault_tasks enqueue FUNC DELAY KEY…``: one task per key,
      ``FUNC`` a function of this module; prints the task ids.
    """
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    django.setup()
    args = sys.argv[1:]
    if args == ["seed"]:
        print(json.dumps(seed_reporter()))
    elif len(args) >= 4 and args[0] == "enqueue":
        from django_q.tasks import async_task

        func, delay = f"linli.testing.fault_tasks.{args[1]}", float(args[2])
        for key in args[3:]:
            print(async_task(func, key, delay))
    else:
        raise SystemExit(
            "usage: python -m linli.testing.fault_tasks seed | enqueue FUNC DELAY KEY…"
        )


if __name__ == "__main__":
    main()
