"""Linli's case states seen through Open311's two: ``open`` and ``closed``.

GeoReport v2 knows only open and closed; the Linli state travels in ``status_notes``
(Chinese) and, with ``extensions=true``, in ``extended_attributes.linli_status``.
"""

from __future__ import annotations

from linli.cases.models import FINAL_STATUSES, Case, CaseStatus

#: Linli states that Open311 reports as ``closed`` (结案, 不予立案, 已合并); all others are open.
CLOSED_STATUSES: tuple[str, ...] = tuple(str(s) for s in FINAL_STATUSES)


def open311_status(status: str) -> str:
    """``"closed"`` for closed/rejected/merged, else ``"open"``."""
    return "closed" if status in CLOSED_STATUSES else "open"


def linli_statuses(open311: str) -> list[str]:
    """The Linli states behind an Open311 status (``open`` or ``closed``)."""
    if open311 == "closed":
        return list(CLOSED_STATUSES)
    return [str(s) for s in CaseStatus if s not in CLOSED_STATUSES]


def status_notes(case: Case, *, reason: str = "") -> str:
    """Chinese text of the Linli state, with the reason when one was given.

    ``reason`` is the note of the event that moved the case into its current state
    (the rejection reason, the suspension reason, the closing note).
    """
    label = CaseStatus(case.status).label
    if case.status == CaseStatus.MERGED and case.merged_into_id is not None:
        return f"已合并到 {case.merged_into.number if case.merged_into else ''}".strip()
    if case.status == CaseStatus.SUSPENDED and case.suspend_review_on:
        text = f"{label}（复核日期 {case.suspend_review_on:%Y-%m-%d}）"
        return f"{text}：{reason}" if reason else text
    if reason and case.status in (CaseStatus.REJECTED, CaseStatus.CLOSED, CaseStatus.RETURNED):
        return f"{label}：{reason}"
    return str(label)
