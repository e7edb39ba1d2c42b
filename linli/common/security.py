"""Browser security and safe uploads (docs/security.md).

- :class:`PermissionsPolicyMiddleware` adds the ``Permissions-Policy`` header (Django has no
  setting for it): no camera or microphone, geolocation for Linli's own pages only (grid
  workers report a case "at my location", caregivers send their position: cases.js,
  work-ping.js).
- :class:`UploadStorage` is the default file storage: a ``FileSystemStorage`` that turns a
  full disk (``ENOSPC``, or ``EDQUOT`` when a quota is reached) into :class:`StorageFull`
  after removing the partial file it was writing.
- :class:`StorageFullMiddleware` answers :class:`StorageFull` with HTTP 507 and the Chinese
  message :data:`STORAGE_FULL_MESSAGE` (JSON for the APIs, a page otherwise), and removes
  the files the failed request had already saved that no database row refers to (the
  services are atomic, so their rows were rolled back).
- :data:`SAFE_INLINE_TYPES` and :func:`safe_file_response` serve uploaded files with a
  content type from an allow-list: images inline, everything else as an attachment.
"""

from __future__ import annotations

import contextvars
import errno
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import DataError, models
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

STORAGE_FULL_MESSAGE = "服务器存储空间不足，文件未能保存，请稍后再试或联系管理员"
#: errno values meaning "no room left": the disk (ENOSPC) or the user's quota (EDQUOT).
FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
#: Path prefixes answered in JSON rather than as a page (machine clients).
JSON_PREFIXES = ("/api/", "/open311/")

#: Extension of a stored upload → the only content type it is ever served with. Stored
#: names are chosen by Linli (photos re-encoded, attachments checked by content), so the
#: extension says what the bytes are. Anything else is ``application/octet-stream``.
SAFE_INLINE_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
}
SAFE_DOWNLOAD_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "csv": "text/csv; charset=utf-8",
}


class PermissionsPolicyMiddleware:
    """Set ``Permissions-Policy`` on every response that has none.

    The value (W3C Permissions Policy header syntax): camera and microphone off,
    geolocation allowed for this origin only, payment and USB off.
    """

    POLICY = "camera=(), microphone=(), geolocation=(self), payment=(), usb=()"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.POLICY)
        return response


class StorageFull(OSError):
    """The upload could not be written: the disk or the quota is full.

    ``errno`` is kept (``ENOSPC``/``EDQUOT``), so code that handles ``OSError`` still sees
    what happened; ``str()`` is the Chinese message for users.
    """

    def __init__(self, errno_value: int = errno.ENOSPC) -> None:
        super().__init__(errno_value, STORAGE_FULL_MESSAGE)

    def __str__(self) -> str:
        return STORAGE_FULL_MESSAGE


#: Names saved through :class:`UploadStorage` during the current request (set by
#: :class:`StorageFullMiddleware`; ``None`` outside a request).
_saved_names: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "linli_saved_names", default=None
)


class UploadStorage(FileSystemStorage):
    """``FileSystemStorage`` that reports a full disk as :class:`StorageFull`.

    A write that fails half-way leaves no partial file behind. Names written during a
    request are remembered so :class:`StorageFullMiddleware` can remove those a failed
    request leaves without a database row.
    """

    def _save(self, name: str, content: Any) -> str:
        path = self.path(name)
        existed = os.path.lexists(path)
        try:
            saved = super()._save(name, content)  # type: ignore[misc]  # not in the stubs
        except OSError as exc:
            if exc.errno not in FULL_ERRNOS:
                raise
            # Storage.save picked an unused name, so a file there now is our partial one.
            if not existed:
                Path(path).unlink(missing_ok=True)
            logger.error("upload storage full while writing %s: %s", name, exc)
            raise StorageFull(exc.errno or errno.ENOSPC) from exc
        names = _saved_names.get()
        if names is not None:
            names.append(saved)
        return saved


def _file_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) that stores a file through the default storage."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.FileField)
    ]


def remove_unreferenced(names: list[str]) -> list[str]:
    """Delete the stored files in ``names`` that no ``FileField`` of any model points at.

    Returns:
        The names deleted. Files a committed row still refers to are kept.
    """
    fields = _file_fields()
    removed = []
    for name in names:
        if any(model._default_manager.filter(**{f: name}).exists() for model, f in fields):
            continue
        default_storage.delete(name)
        removed.append(name)
    return removed


class StorageFullMiddleware:
    """Answer :class:`StorageFull` with 507 and the Chinese message; nothing half-written.

    Place it after the authentication middleware. The failed request's already saved files
    that no row refers to (the service's transaction rolled back) are deleted.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _saved_names.set([])
        try:
            return self.get_response(request)
        finally:
            _saved_names.reset(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, StorageFull):
            return None
        removed = remove_unreferenced(list(_saved_names.get() or []))
        logger.error(
            "upload refused, storage full: %s %s (removed %d orphan files)",
            request.method,
            request.path,
            len(removed),
        )
        if request.path.startswith(JSON_PREFIXES) or "json" in request.headers.get("Accept", ""):
            return JsonResponse({"detail": STORAGE_FULL_MESSAGE}, status=507)
        html = render_to_string("507.html", {"message": STORAGE_FULL_MESSAGE}, request=request)
        return HttpResponse(html, status=507)


def safe_file_response(
    file: Any, name: str, *, inline_images: bool = True, cache: str = "private, max-age=3600"
) -> FileResponse:
    """Serve a stored upload: an allow-listed image inline, anything else as a download.

    Args:
        file: an open binary file (``field.open("rb")``).
        name: the stored name; its extension picks the content type from
            :data:`SAFE_INLINE_TYPES` / :data:`SAFE_DOWNLOAD_TYPES`, never from the
            uploader's file name or content type.
        inline_images: ``False`` serves images as downloads too.

    ``X-Content-Type-Options: nosniff`` comes from ``SECURE_CONTENT_TYPE_NOSNIFF``; it is set
    here too so the rule holds even if that setting changes. SVG and HTML are never inline.
    """
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    base = name.rsplit("/", 1)[-1]
    if suffix in SAFE_INLINE_TYPES and inline_images:
        response = FileResponse(file, content_type=SAFE_INLINE_TYPES[suffix])
    else:
        kind = SAFE_INLINE_TYPES.get(suffix) or SAFE_DOWNLOAD_TYPES.get(suffix)
        kind = kind or "application/octet-stream"
        response = FileResponse(file, content_type=kind, as_attachment=True, filename=base)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache
    return response


BAD_INPUT_MESSAGE = "请求中含有无法处理的字符或数值（如空字符 \\0、超出范围的数字），请检查后重试"


class BadInputMiddleware:
    """Answer input the database cannot store with 400 and a Chinese message, never 500.

    A NUL byte in the path or a query parameter is refused before any view runs (PostgreSQL
    text cannot hold ``\\0``; found by the API fuzzing); a :class:`django.db.DataError`
    raised by a view (a NUL in a JSON body, a number out of the column's range) becomes 400
    too — the view's transaction has rolled back, so nothing is half-written. JSON for the
    API and Open311, a plain page otherwise.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
        ):
            return self._refuse(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DataError):
            return None
        logger.warning("bad input refused: %s %s: %s", request.method, request.path, exception)
        return self._refuse(request)

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/open311/"):
            from linli.cases.open311.render import respond_error

            fmt = "xml" if request.path.endswith(".xml") else "json"
            return respond_error(400, BAD_INPUT_MESSAGE, fmt=fmt)
        if request.path.startswith(JSON_PREFIXES) or "json" in request.headers.get("Accept", ""):
            return JsonResponse({"detail": BAD_INPUT_MESSAGE}, status=400)
        return HttpResponse(BAD_INPUT_MESSAGE, status=400, content_type="text/plain; charset=utf-8")
