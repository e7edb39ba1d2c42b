"""Monthly partitions of device events (PostgreSQL) and the retention rule (both databases).

Months are calendar months in UTC (``ts`` is stored in UTC). A partition of month M is
``devices_deviceevent_pYYYYMM`` and holds ``[M-01 00:00Z, (M+1)-01 00:00Z)``.

Retention: with ``DEVICES_RETENTION_MONTHS = R`` the current month and the R months before it
are kept; the cut-off is the first instant of the month R months before the current one.
PostgreSQL drops whole partitions before the cut-off (instant, no vacuum debt); SQLite
deletes the rows. Ingestion rejects events older than the cut-off (dead letter ``too_old``)
so a late event never re-creates a dropped month.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction

from linli.devices.models import DeviceEvent

TABLE = DeviceEvent._meta.db_table
_PARTITION = re.compile(rf"^{TABLE}_p(\d{{4}})(\d{{2}})$")
_known: set[dt.date] = set()
_known_lock = threading.Lock()


def month_start(moment: dt.datetime | dt.date) -> dt.date:
    """The first day of ``moment``'s month; an aware datetime is taken in UTC first."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(dt.UTC).date() if moment.tzinfo else moment.date()
    return moment.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month ``n`` months after (``n < 0``: before) ``month``."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def retention_cutoff(now: dt.datetime) -> dt.datetime:
    """Events with ``ts`` before this instant (UTC midnight of a month's first day) expire."""
    first = add_months(month_start(now), -settings.DEVICES_RETENTION_MONTHS)
    return dt.datetime(first.year, first.month, 1, tzinfo=dt.UTC)


def partition_name(month: dt.date) -> str:
    return f"{TABLE}_p{month:%Y%m}"


def is_partitioned() -> bool:
    """Whether the events table is a partitioned table (PostgreSQL after migration 0002)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass", [TABLE])
        return cursor.fetchone() is not None


def existing_partitions() -> list[dt.date]:
    """Months that have a partition, oldest first (``[]`` on SQLite)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        names = [row[0] for row in cursor.fetchall()]
    months = []
    for name in names:
        match = _PARTITION.match(name)
        if match:
            months.append(dt.date(int(match[1]), int(match[2]), 1))
    return sorted(months)


def partitions_ensure(months: Iterable[dt.date]) -> list[dt.date]:
    """Create the monthly partitions of ``months`` that do not exist yet; returns those made.

    Cheap when called per batch: months already seen by this process are skipped without a
    query. A no-op on SQLite. ``CREATE TABLE IF NOT EXISTS`` makes concurrent callers safe.
    """
    if connection.vendor != "postgresql":
        return []
    wanted = {month_start(m) for m in months} - _known
    made = []
    for month in sorted(wanted):
        end = add_months(month, 1)
        with connection.cursor() as cursor:
            cursor.execute(
                f'CREATE TABLE IF NOT EXISTS "{partition_name(month)}" PARTITION OF "{TABLE}" '
                f"FOR VALUES FROM ('{month:%Y-%m-%d} 00:00:00+00') "
                f"TO ('{end:%Y-%m-%d} 00:00:00+00')"
            )
        made.append(month)
    # DDL inside a transaction may still be rolled back: remember it only once committed.
    transaction.on_commit(lambda: _remember(wanted))
    return made


def _remember(months: set[dt.date]) -> None:
    with _known_lock:
        _known.update(months)


def partitions_create_ahead(now: dt.datetime) -> list[dt.date]:
    """Partitions from the retention cut-off's month to ``DEVICES_PARTITIONS_AHEAD`` ahead."""
    first = month_start(retention_cutoff(now))
    last = add_months(month_start(now), settings.DEVICES_PARTITIONS_AHEAD)
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return partitions_ensure(months)


def retention_apply(now: dt.datetime, *, dry_run: bool = False) -> tuple[list[dt.date], int]:
    """Remove events before :func:`retention_cutoff`; returns (partitions dropped, rows deleted).

    PostgreSQL drops whole partitions (rows deleted stays 0: a partition is dropped without
    counting); SQLite deletes rows. With ``dry_run`` nothing changes and the partitions or
    rows that would go are reported.
    """
    cutoff = retention_cutoff(now)
    if connection.vendor == "postgresql" and is_partitioned():
        old = [m for m in existing_partitions() if add_months(m, 1) <= cutoff.date()]
        if not dry_run:
            with connection.cursor() as cursor:
                # Inside a transaction that also wrote events (a test, a maintenance script),
                # PostgreSQL refuses to drop a table with deferred foreign-key checks pending.
                if connection.in_atomic_block:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for month in old:
                    cursor.execute(f'DROP TABLE IF EXISTS "{partition_name(month)}"')
            with _known_lock:
                _known.difference_update(old)
        return old, 0
    rows = DeviceEvent.objects.filter(ts__lt=cutoff)
    if dry_run:
        return [], rows.count()
    deleted, _ = rows.delete()
    return [], deleted


def forget() -> None:
    """Forget which partitions this process has seen (tests that roll back their DDL)."""
    with _known_lock:
        _known.clear()
