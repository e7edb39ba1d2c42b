"""Every download is an EXPORT event: :class:`ExportAuditMiddleware`.

A middleware rather than a call in each export helper because downloads are made in many
ways — :func:`linli.common.exports.xlsx_response`, ``FileResponse(as_attachment=True)`` for
PDFs and stored files, and ``HttpResponse`` with a hand-written ``Content-Disposition`` —
and most helpers never see the request. Whatever makes the file, a successful response
with ``Content-Disposition: attachment`` is recorded with the user, address, path, filters,
file name, content type, size and, when the helper noted it (``response.audit_rows``, set
by ``xlsx_response``), the row count. A new export view is covered without remembering to
call anything. Like the model-signal events (:mod:`linli.audit.signals`) the event is
written on commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

from django.db import transaction
from django.http import HttpRequest, HttpResponseBase

from linli.audit.models import AuditKind
from linli.audit.services import record
from linli.common.pii import mask_phone

#: Query values that could be a phone or identity number: runs of 7 or more digits.
_LONG_DIGITS = re.compile(r"\d{7,}[\dXx]?")
_FILENAME = re.compile(r"filename\*=utf-8''([^;]+)|filename=\"?([^\";]+)\"?", re.IGNORECASE)


def download_name(disposition: str) -> str:
    """The file name of a ``Content-Disposition`` header (RFC 6266 ``filename*`` first)."""
    match = _FILENAME.search(disposition)
    if not match:
        return ""
    return unquote(match.group(1)) if match.group(1) else match.group(2)


def masked_query(request: HttpRequest) -> dict[str, str]:
    """The request's query parameters with long digit runs masked (a searched phone or
    identity number is not copied into the log)."""
    return {
        key: _LONG_DIGITS.sub(lambda m: mask_phone(m.group(0)), str(value))[:200]
        for key, value in request.GET.items()
    }


def _size(response: HttpResponseBase) -> int | None:
    length = response.get("Content-Length")
    if length and length.isdigit():
        return int(length)
    if not response.streaming:
        return len(response.content)  # type: ignore[attr-defined]
    return None


def record_export(request: HttpRequest, response: HttpResponseBase) -> None:
    """Append the EXPORT event of one download, on commit like the model-signal events
    (at once in practice: requests are not wrapped in a transaction, ``ATOMIC_REQUESTS``
    is off; inside a test's transaction it waits for the commit)."""
    name = download_name(response.get("Content-Disposition", ""))
    rows = getattr(response, "audit_rows", None)
    counted = f"，{rows} 行" if rows is not None else ""
    detail = {
        "path": request.path,
        "query": masked_query(request),
        "filename": name[:200],
        "content_type": response.get("Content-Type", ""),
        "bytes": _size(response),
        "rows": rows,
    }
    transaction.on_commit(
        lambda: record(
            AuditKind.EXPORT,
            f"下载 {name or request.path}{counted}",
            request=request,
            detail=detail,
        )
    )


class ExportAuditMiddleware:
    """Records every successful attachment download (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        disposition = response.get("Content-Disposition", "")
        if response.status_code == 200 and disposition.lower().startswith("attachment"):
            record_export(request, response)
        return response
