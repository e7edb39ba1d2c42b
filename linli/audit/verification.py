"""Checking the audit chain: :func:`verify_chain` walks it in ``seq`` order and finds the
first row that breaks it (``linli audit verify``).

A row breaks the chain when

* its ``seq`` is not the previous row's ``seq`` + 1 (a row was deleted; the missing
  ``seq`` is reported);
* its ``prev_hash`` is not the previous row's ``hash`` (rows reordered or replaced);
* its ``hash`` is not :func:`linli.audit.services.chain_hash` of its content (a row was
  edited).

The oldest remaining row starts the chain when it is ``seq`` 1 with ``prev_hash`` of 64
zeros, or when an ANCHOR event written by :func:`linli.audit.services.audit_purge`
declares ``purged_through_seq`` = its ``seq`` − 1 and ``purged_through_hash`` = its
``prev_hash`` (the anchor itself is checked later in the same walk).

Limits: a hash chain in the same database shows edits, deletions in the middle and
reordering; it cannot show the newest rows cut off, or the whole chain recomputed by
someone with write access. Keep the head (``seq`` and ``hash`` printed by ``verify``)
outside the database to catch those (docs/audit.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

from linli.audit.models import AuditEvent, AuditKind
from linli.audit.services import GENESIS, chain_hash

#: Rows fetched per query while walking the chain.
BATCH_SIZE = 2000


@dataclasses.dataclass(frozen=True)
class ChainReport:
    """The result of a walk: ``checked`` rows from ``first_seq`` to ``last_seq`` (the head
    ``head_hash``); ``broken_seq`` and ``reason`` (Chinese) name the first break, if any."""

    checked: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    head_hash: str = ""
    broken_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """No break found."""
        return self.broken_seq is None

    def summary(self) -> str:
        """One or two Chinese lines for the command."""
        if not self.ok:
            checked = f"已核对 {self.checked} 条"
            return f"审计链在第 {self.broken_seq} 条处断开：{self.reason}（{checked}）"
        if not self.checked:
            return "审计链为空，无需核对。"
        return (
            f"审计链完整：第 {self.first_seq}–{self.last_seq} 条，共 {self.checked} 条。\n"
            f"链尾哈希：{self.head_hash}（请另行保存，用于发现末尾记录被截去）"
        )


class ChainBroken(Exception):
    """The chain does not verify; ``report`` says where."""

    def __init__(self, report: ChainReport) -> None:
        super().__init__(report.summary())
        self.report = report


def declared_starts() -> dict[int, str]:
    """``{purged_through_seq: purged_through_hash}`` from every ANCHOR event."""
    starts: dict[int, str] = {}
    for detail in AuditEvent.objects.filter(kind=AuditKind.ANCHOR).values_list("detail", flat=True):
        if isinstance(detail, dict) and "purged_through_seq" in detail:
            starts[int(detail["purged_through_seq"])] = str(detail.get("purged_through_hash"))
    return starts


def _in_seq_order(until_seq: int | None, batch_size: int) -> Iterator[AuditEvent]:
    """Every event (up to ``until_seq``) by ascending ``seq``, ``batch_size`` per query
    (keyset pagination, so memory stays flat and rows added meanwhile do not shift pages)."""
    after: int | None = None
    while True:
        rows = AuditEvent.objects.order_by("seq")
        if after is not None:
            rows = rows.filter(seq__gt=after)
        if until_seq is not None:
            rows = rows.filter(seq__lte=until_seq)
        batch = list(rows[:batch_size])
        yield from batch
        if len(batch) < batch_size:
            return
        after = batch[-1].seq


def verify_chain(
    *,
    until_seq: int | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ChainReport:
    """Walk the chain from its oldest row (to ``until_seq`` if given) and report the first
    break; ``progress(checked)`` is called after each batch. Reads only."""
    starts = declared_starts()
    checked, first, prev_seq, prev_hash = 0, None, None, ""

    def broken(seq: int, reason: str) -> ChainReport:
        return ChainReport(checked, first, prev_seq, prev_hash, seq, reason)

    for event in _in_seq_order(until_seq, batch_size):
        if prev_seq is None:
            first = event.seq
            declared = GENESIS if event.seq == 1 else starts.get(event.seq - 1)
            if declared != event.prev_hash:
                return broken(
                    event.seq,
                    "最早一条记录之前的记录缺失，且没有“到期删除”链头记录（ANCHOR）说明",
                )
        elif event.seq != prev_seq + 1:
            return broken(prev_seq + 1, "该条记录缺失（被删除）")
        elif event.prev_hash != prev_hash:
            return broken(event.seq, "“上一条哈希”与前一条记录不符（记录被替换或调换顺序）")
        if chain_hash(event.prev_hash, event) != event.hash:
            return broken(event.seq, "记录内容与哈希不符（记录被修改）")
        checked, prev_seq, prev_hash = checked + 1, event.seq, event.hash
        if progress is not None and checked % batch_size == 0:
            progress(checked)
    return ChainReport(checked, first, prev_seq, prev_hash)
