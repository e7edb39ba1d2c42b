"""Uploads: hostile files are refused by content, stored files are served safely, and a
full disk gives a clear Chinese error with nothing half-written.

Rules: issue #10 ("uploaded files served with safe content types and never executed";
Proof: "the disk-full path for uploads (clear error)"); linli/common/security.py.

The disk-full tests mount a real 256 KiB tmpfs (we run as root); where mount is refused
they fall back to a loop-mounted ext2 image, and fail (never skip) only if neither works.
"""

from __future__ import annotations

import io
import os
import random
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from linli.cases.models import Case, CasePhoto
from linli.cases.tests.pages import building, community_category, jpeg
from linli.common.security import (
    STORAGE_FULL_MESSAGE,
    StorageFull,
    UploadStorage,
    safe_file_response,
)
from linli.people.models import RosterImport

pytestmark = pytest.mark.django_db

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.domain)</script><rect width='10' height='10'/></svg>"
)
NOT_A_PHOTO = "这个文件不是图片或已损坏"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)


def media_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def media(tmp_path, settings) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def worker(client, assigned, areas):  # type: ignore[no-untyped-def]
    client.force_login(assigned)
    return client


def post_case(client, areas, photo):  # type: ignore[no-untyped-def]
    place = building(areas["micro_grid"])
    form = {"category": community_category("漏水").pk, "building": place.pk, "photo": photo}
    return client.post("/cases/new/", form)


# --- hostile files --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("photo.jpg", HTML, NOT_A_PHOTO),  # an HTML page renamed .jpg
        ("photo.svg", SVG, NOT_A_PHOTO),  # SVG with a script
        ("photo.jpg", SVG, NOT_A_PHOTO),  # … renamed .jpg
        ("photo.jpg", EXE, NOT_A_PHOTO),
        # a real JPEG, named to be opened as a page: Django's extension check
        ("photo.html", jpeg().read() + HTML, "不能上传“.html”文件"),
    ],
    ids=["html-as-jpg", "svg-script", "svg-as-jpg", "exe-as-jpg", "jpeg-named-html"],
)
def test_case_photo_that_is_not_a_photo_is_refused(
    worker, areas, media, name, data, message
) -> None:
    response = post_case(worker, areas, SimpleUploadedFile(name, data, content_type="image/jpeg"))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Case.objects.exists() and not CasePhoto.objects.exists()
    assert media_files(media) == []


def test_polyglot_jpeg_with_html_is_served_only_as_an_image(worker, areas, media) -> None:
    """A real JPEG with an HTML page appended passes Pillow; it is stored under a random
    .jpg name, served as image/jpeg with nosniff, and the public copy is re-encoded."""
    polyglot = jpeg().read() + HTML
    upload = SimpleUploadedFile("x.jpg", polyglot, "text/html")
    assert post_case(worker, areas, upload).status_code == 302
    photo = CasePhoto.objects.get()
    name = photo.image.name or ""
    assert name.endswith(".jpg") and "/x" not in name
    assert HTML not in photo.public_image.read()
    served = worker.get(f"/cases/{photo.case.number}/photos/{photo.pk}/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in served.get("Content-Disposition", "")


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("花名册.exe", EXE, "只支持 .xlsx、.xls 或 .csv 文件"),
        ("花名册.xlsx", EXE, ""),
        ("花名册.csv", HTML, ""),
    ],
    ids=["exe", "exe-as-xlsx", "html-as-csv"],
)
def test_roster_file_that_is_not_a_ledger_is_refused(
    client, community_admin, areas, media, name, data, message
) -> None:
    client.force_login(community_admin)
    form = {"community": areas["community"].pk, "file": SimpleUploadedFile(name, data)}
    response = client.post("/roster/import/", form)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'class="error' in page
    assert not RosterImport.objects.exists()
    assert media_files(media) == []


@pytest.mark.parametrize(
    "name, inline, kind",
    [
        ("cases/a.jpg", True, "image/jpeg"),
        ("cases/a.png", True, "image/png"),
        ("notes/a.pdf", False, "application/pdf"),
        ("notes/a.html", False, "application/octet-stream"),
        ("notes/a.svg", False, "application/octet-stream"),
        ("notes/noext", False, "application/octet-stream"),
    ],
)
def test_served_types_come_from_an_allow_list(name, inline, kind) -> None:
    response = safe_file_response(io.BytesIO(b"x"), name)
    assert response["Content-Type"] == kind
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response.get("Content-Disposition", "")
    assert ("attachment" in disposition) is not inline


def test_attachments_can_be_forced_to_download() -> None:
    response = safe_file_response(io.BytesIO(b"x"), "notes/a.png", inline_images=False)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment")


# --- a full disk ------------------------------------------------------------------------


def _mount_tiny(target: Path, size_kib: int) -> Iterator[str]:
    """Mount a ``size_kib`` filesystem at ``target``; yields how it was made."""
    tmpfs = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(target)],
        capture_output=True,
    )
    if tmpfs.returncode == 0:
        try:
            yield "tmpfs"
        finally:
            subprocess.run(["umount", str(target)], check=True)
        return
    image = target.with_suffix(".img")
    with image.open("wb") as out:
        out.truncate(size_kib * 1024)
    subprocess.run(["mkfs.ext2", "-q", "-F", str(image)], check=True, capture_output=True)
    loop = subprocess.run(["mount", "-o", "loop", str(image), str(target)], capture_output=True)
    if loop.returncode != 0:
        pytest.fail(
            "cannot mount a tiny filesystem (tmpfs: "
            f"{tmpfs.stderr.decode().strip()}; loop: {loop.stderr.decode().strip()})"
        )
    try:
        yield "loop"
    finally:
        subprocess.run(["umount", str(target)], check=True)
        image.unlink()


@pytest.fixture
def tiny_disk() -> Iterator[Path]:
    """A real 256 KiB filesystem, unmounted afterwards."""
    with tempfile.TemporaryDirectory(prefix="linli-full-") as where:
        target = Path(where) / "media"
        target.mkdir()
        mounts = _mount_tiny(target, 256)
        next(mounts)
        try:
            yield target
        finally:
            next(mounts, None)


def fill(disk: Path, leave_bytes: int) -> None:
    """Fill ``disk`` until about ``leave_bytes`` are free."""
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    with (disk / "filler.bin").open("wb") as out:
        out.write(b"\0" * max(0, free - leave_bytes))


def noisy_jpeg(kib: int) -> bytes:
    """A real JPEG of about ``kib`` KiB that does not compress (random pixels)."""
    rng = random.Random(kib)
    side = 64
    while True:
        image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=95)
        if out.tell() >= kib * 1024:
            return out.getvalue()
        side += 16


def stored(disk: Path) -> list[Path]:
    return [path for path in media_files(disk) if path.name != "filler.bin"]


def test_storage_raises_storage_full_and_leaves_no_partial_file(tiny_disk) -> None:
    fill(tiny_disk, 16 * 1024)
    storage = UploadStorage(location=tiny_disk)
    with pytest.raises(StorageFull) as caught:
        storage.save("cases/big.bin", ContentFile(b"x" * 64 * 1024))
    assert str(caught.value) == STORAGE_FULL_MESSAGE
    assert stored(tiny_disk) == []
    assert storage.save("cases/small.bin", ContentFile(b"x" * 100)) == "cases/small.bin"


def test_full_disk_case_photo_gets_the_chinese_error_and_nothing_is_kept(
    worker, areas, tiny_disk
) -> None:
    """The original fits, the public copy does not: no case, no photo row, no file."""
    photo = noisy_jpeg(40)
    fill(tiny_disk, len(photo) + 16 * 1024)
    with override_settings(MEDIA_ROOT=tiny_disk):
        response = post_case(worker, areas, SimpleUploadedFile("p.jpg", photo, "image/jpeg"))
    assert response.status_code == 507
    assert STORAGE_FULL_MESSAGE in response.content.decode()
    assert not Case.objects.exists() and not CasePhoto.objects.exists()
    assert stored(tiny_disk) == []


def test_full_disk_answers_json_to_the_api(client, assigned, areas, tiny_disk) -> None:
    client.force_login(assigned)
    fill(tiny_disk, 4 * 1024)
    place = building(areas["micro_grid"])
    category = community_category("漏水")
    form = {
        "category": category.code,
        "building": place.pk,
        "description": "楼道漏水",
        "photos": [SimpleUploadedFile("p.jpg", noisy_jpeg(40), "image/jpeg")],
    }
    with override_settings(MEDIA_ROOT=tiny_disk):
        response = client.post("/api/cases/", form)
    assert response.status_code == 507, response.content[:300]
    assert response.json() == {"detail": STORAGE_FULL_MESSAGE}
    assert not Case.objects.exists() and stored(tiny_disk) == []


def test_full_disk_roster_upload_keeps_no_job(client, community_admin, areas, tiny_disk) -> None:
    from linli.people.roster.samples import ledger_xlsx
    from linli.people.tests.test_roster_pages import GOOD

    client.force_login(community_admin)
    fill(tiny_disk, 1024)
    data = ledger_xlsx(GOOD)
    form = {"community": areas["community"].pk, "file": SimpleUploadedFile("台账.xlsx", data)}
    with override_settings(MEDIA_ROOT=tiny_disk):
        response = client.post("/roster/import/", form)
    assert response.status_code == 507
    assert STORAGE_FULL_MESSAGE in response.content.decode()
    assert not RosterImport.objects.exists() and stored(tiny_disk) == []
