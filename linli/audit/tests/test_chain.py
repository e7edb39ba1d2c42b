"""The hash chain: it verifies, and each kind of tampering is found at the right ``seq``."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from linli.audit.models import AuditEvent, AuditKind
from linli.audit.services import GENESIS, chain_hash, record
from linli.audit.verification import verify_chain

pytestmark = pytest.mark.django_db


def test_record_links_each_event_to_the_previous_one(chain):  # type: ignore[no-untyped-def]
    events = chain(3)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS
    assert events[1].prev_hash == events[0].hash
    stored = AuditEvent.objects.get(seq=2)  # as read back from the database
    assert chain_hash(stored.prev_hash, stored) == stored.hash


def test_record_refuses_an_unknown_kind(db):  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        record("hack", "x")
    assert not AuditEvent.objects.exists()


def test_an_intact_chain_verifies_across_batches(chain):  # type: ignore[no-untyped-def]
    chain(7)
    report = verify_chain(batch_size=3)
    assert report.ok and report.checked == 7
    assert (report.first_seq, report.last_seq) == (1, 7)
    assert report.head_hash == AuditEvent.objects.get(seq=7).hash


def test_an_empty_chain_verifies(db):  # type: ignore[no-untyped-def]
    assert verify_chain().ok


def test_an_edited_summary_breaks_the_chain_at_that_row(chain):  # type: ignore[no-untyped-def]
    chain(5)
    AuditEvent.objects.filter(seq=3).update(summary="改过的摘要")
    report = verify_chain(batch_size=2)
    assert (report.broken_seq, report.checked) == (3, 2)
    assert "被修改" in report.reason


def test_an_edited_detail_breaks_the_chain(chain):  # type: ignore[no-untyped-def]
    chain(4)
    AuditEvent.objects.filter(seq=4).update(detail={"i": 99})
    assert verify_chain().broken_seq == 4


def test_a_deleted_middle_row_is_reported_as_missing(chain):  # type: ignore[no-untyped-def]
    chain(5)
    AuditEvent.objects.filter(seq=3).delete()
    report = verify_chain()
    assert report.broken_seq == 3
    assert "缺失" in report.reason


def test_swapped_rows_break_the_chain_at_the_first_swapped_seq(chain):  # type: ignore[no-untyped-def]
    chain(5)
    AuditEvent.objects.filter(seq=3).update(seq=-3)
    AuditEvent.objects.filter(seq=4).update(seq=3)
    AuditEvent.objects.filter(seq=-3).update(seq=4)
    report = verify_chain()
    assert report.broken_seq == 3
    assert "上一条哈希" in report.reason


def test_a_rehashed_edit_still_breaks_the_next_link(chain):  # type: ignore[no-untyped-def]
    # Given an attacker who edits row 2 and recomputes its own hash
    chain(4)
    row = AuditEvent.objects.get(seq=2)
    row.summary = "伪造"
    AuditEvent.objects.filter(seq=2).update(summary="伪造", hash=chain_hash(row.prev_hash, row))
    # Then row 3 no longer points at it
    assert verify_chain().broken_seq == 3


def test_the_oldest_rows_deleted_without_an_anchor_break_the_start(chain):  # type: ignore[no-untyped-def]
    chain(4)
    AuditEvent.objects.filter(seq__lte=2).delete()
    report = verify_chain()
    assert report.broken_seq == 3
    assert "ANCHOR" in report.reason


def test_verify_command_exits_1_in_chinese_on_a_break(chain, capsys):  # type: ignore[no-untyped-def]
    chain(3)
    call_command("audit", "verify")
    assert "审计链完整：第 1–3 条，共 3 条" in capsys.readouterr().out
    AuditEvent.objects.filter(seq=2).update(actor_label="别人")
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify")
    assert caught.value.returncode == 1
    assert "第 2 条处断开" in str(caught.value)


def test_an_event_joins_the_callers_transaction(db):  # type: ignore[no-untyped-def]
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        record(AuditKind.LOGIN, "回滚")
        raise RuntimeError
    assert not AuditEvent.objects.exists()
