"""Case photos: check what an upload really is, keep the original, publish a clean copy.

Rules: JPEG, PNG or WebP only, decided by the content (Pillow), never by the file name
or the browser's content type; at most :data:`MAX_BYTES` (10 MB) and
:data:`MAX_PIXELS` (40 megapixels, so a small "decompression bomb" file cannot blow up
memory when decoded). The original is stored for staff; ``public_image`` is a re-encoded
copy without EXIF or other metadata (no GPS position, no device serial), turned upright
first so dropping the orientation tag does not rotate it.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from linli.cases.errors import CaseInputError
from linli.cases.models import Case, CaseEvent, CasePhoto

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_PHOTOS = 9
#: Pillow format name → (file extension, save options of the public copy).
FORMATS: dict[str, tuple[str, dict[str, object]]] = {
    "JPEG": ("jpg", {"quality": 85, "optimize": True}),
    "PNG": ("png", {"optimize": True}),
    "WEBP": ("webp", {"quality": 85}),
}


@dataclass(frozen=True)
class CheckedPhoto:
    """An upload that passed :func:`photo_check`: its bytes, format and clean copy."""

    original: bytes
    format: str
    public: bytes

    @property
    def extension(self) -> str:
        return FORMATS[self.format][0]


def _read(upload: UploadedFile | io.BytesIO | bytes) -> bytes:
    if isinstance(upload, bytes):
        data = upload
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > MAX_BYTES:
            raise CaseInputError(_too_big(size), field="photos")
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise CaseInputError(_too_big(len(data)), field="photos")
    if not data:
        raise CaseInputError("照片文件是空的", field="photos")
    return data


def _too_big(size: int) -> str:
    return f"照片不能超过 10 MB（此文件约 {size / 1024 / 1024:.1f} MB）"


def _reencode(image: Image.Image, fmt: str) -> bytes:
    upright = ImageOps.exif_transpose(image) or image
    if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    elif upright.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        upright = upright.convert("RGBA")
    out = io.BytesIO()
    # A fresh save without exif=/pnginfo= writes no metadata chunks at all.
    upright.save(out, format=fmt, **FORMATS[fmt][1])
    return out.getvalue()


def photo_check(upload: UploadedFile | io.BytesIO | bytes) -> CheckedPhoto:
    """Validate an uploaded photo and build its metadata-free public copy.

    Raises:
        CaseInputError (field ``photos``): empty, over 10 MB, not an image, a format other
            than JPEG/PNG/WebP, over 40 megapixels, or a truncated/corrupt image.
    """
    data = _read(upload)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = image.format or ""
            if fmt not in FORMATS:
                raise CaseInputError(
                    f"只接受 JPEG、PNG 或 WebP 格式的照片（此文件为 {fmt or '未知'} 格式）",
                    field="photos",
                )
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise CaseInputError(
                    f"照片像素过多（{width}×{height}），最多 4000 万像素", field="photos"
                )
            image.load()
            public = _reencode(image, fmt)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise CaseInputError("照片像素过多，最多 4000 万像素", field="photos") from None
    except UnidentifiedImageError:
        raise CaseInputError(
            "文件不是可识别的图片（只接受 JPEG、PNG 或 WebP）", field="photos"
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise CaseInputError("图片文件已损坏或不完整", field="photos") from None
    return CheckedPhoto(original=data, format=fmt, public=public)


def photos_check(uploads: list[UploadedFile] | None) -> list[CheckedPhoto]:
    """:func:`photo_check` for each upload (at most :data:`MAX_PHOTOS`), before any write."""
    uploads = list(uploads or [])
    if len(uploads) > MAX_PHOTOS:
        raise CaseInputError(f"一次最多上传 {MAX_PHOTOS} 张照片", field="photos")
    return [photo_check(upload) for upload in uploads]


def photo_store(
    *, case: Case, photo: CheckedPhoto, uploaded_by: User | None, event: CaseEvent | None = None
) -> CasePhoto:
    """Save a checked photo (original and public copy) on ``case``; caller is atomic.

    File names are random (the uploader's name may hold personal data).
    """
    stem = uuid.uuid4().hex
    name = f"{stem}.{photo.extension}"
    row = CasePhoto(case=case, event=event, uploaded_by=uploaded_by)
    row.image.save(name, ContentFile(photo.original), save=False)
    row.public_image.save(name, ContentFile(photo.public), save=False)
    row.save()
    return row


def photo_add(
    *, case: Case, upload: UploadedFile, actor: User | None, event: CaseEvent | None = None
) -> CasePhoto:
    """Check and store one upload (:func:`photo_check` then :func:`photo_store`).

    Raises: CaseInputError (field ``photos``) as :func:`photo_check`; nothing is stored then.
    """
    return photo_store(case=case, photo=photo_check(upload), uploaded_by=actor, event=event)
