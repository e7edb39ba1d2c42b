"""Retention: the purge deletes the oldest rows, anchors the chain, and keeps it verifiable."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.utils import timezone

from linli.audit.models import AuditEvent, AuditKind
from linli.audit.services import MIN_KEEP_DAYS, audit_purge, check_keep_days
from linli.audit.tasks import PURGE_SCHEDULE, ensure_schedules, purge_task
from linli.audit.verification import ChainBroken, verify_chain

pytestmark = pytest.mark.django_db


def test_purge_deletes_old_rows_and_the_anchor_keeps_the_chain_verifiable(chain):  # type: ignore[no-untyped-def]
    old = chain(3, days_ago=500)
    chain(2, days_ago=10)
    result = audit_purge()
    assert (result.count, result.first_seq, result.last_seq) == (3, 1, 3)
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == [4, 5, 6]
    anchor = AuditEvent.objects.get(kind=AuditKind.ANCHOR)
    assert anchor.detail["purged_through_seq"] == 3
    assert anchor.detail["purged_through_hash"] == old[2].hash
    report = verify_chain()
    assert report.ok and report.first_seq == 4 and report.checked == 3


def test_a_second_purge_starts_from_the_second_anchor(chain):  # type: ignore[no-untyped-def]
    chain(2, days_ago=900)
    chain(2, days_ago=600)
    audit_purge(now=timezone.now() - dt.timedelta(days=300))  # drops the 900-day-old pair
    audit_purge()  # drops the 600-day-old pair (the first anchor, written today, stays)
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == [5, 6]
    report = verify_chain()
    assert report.ok and report.first_seq == 5


def test_purge_with_nothing_old_does_nothing(chain):  # type: ignore[no-untyped-def]
    chain(2, days_ago=10)
    assert audit_purge().count == 0
    assert AuditEvent.objects.count() == 2


def test_dry_run_deletes_nothing(chain, capsys):  # type: ignore[no-untyped-def]
    chain(2, days_ago=500)
    call_command("audit", "purge", "--dry-run")
    assert "将删除第 1–2 条" in capsys.readouterr().out
    assert AuditEvent.objects.count() == 2


def test_purge_refuses_to_delete_tampered_rows(chain):  # type: ignore[no-untyped-def]
    chain(3, days_ago=500)
    AuditEvent.objects.filter(seq=2).update(summary="改过")
    with pytest.raises(ChainBroken):
        audit_purge()
    assert AuditEvent.objects.count() == 3
    with pytest.raises(CommandError, match="未删除任何记录"):
        call_command("audit", "purge")


def test_deleting_the_anchor_after_a_purge_breaks_the_start(chain):  # type: ignore[no-untyped-def]
    chain(2, days_ago=500)
    chain(1)
    audit_purge()
    AuditEvent.objects.filter(kind=AuditKind.ANCHOR).delete()
    assert verify_chain().broken_seq == 3


def test_a_retention_under_180_days_is_refused(chain):  # type: ignore[no-untyped-def]
    assert check_keep_days(MIN_KEEP_DAYS) == 180
    with pytest.raises(ImproperlyConfigured, match="180"):
        check_keep_days(179)
    chain(1, days_ago=100)
    with pytest.raises(ImproperlyConfigured):
        audit_purge(keep_days=90)
    assert AuditEvent.objects.count() == 1


def test_start_up_refuses_a_retention_under_180_days():  # type: ignore[no-untyped-def]
    env = {**os.environ, "LINLI_AUDIT_KEEP_DAYS": "90"}
    done = subprocess.run(
        [sys.executable, "-m", "linli.cli", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "LINLI_AUDIT_KEEP_DAYS" in done.stderr and "180" in done.stderr


def test_the_daily_purge_is_scheduled_and_runs(chain):  # type: ignore[no-untyped-def]
    (schedule,) = ensure_schedules()
    ensure_schedules()
    from django_q.models import Schedule

    assert Schedule.objects.filter(name=PURGE_SCHEDULE).count() == 1
    assert schedule.minutes == 24 * 60 and schedule.func == "linli.audit.tasks.purge_task"
    chain(1, days_ago=500)
    assert "已删除第 1–1 条" in purge_task()
