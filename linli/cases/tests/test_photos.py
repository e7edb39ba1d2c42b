"""Photo uploads: content-checked type, size and pixel limits; no EXIF GPS in the public copy."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from linli.cases import photos, services
from linli.cases.errors import CaseInputError
from linli.cases.models import CaseEvent, CasePhoto, CaseStatus
from linli.cases.tests.lifecycle import Actors, fast_passwords, report, walk_to  # noqa: F401

pytestmark = [pytest.mark.usefixtures("fast_passwords"), pytest.mark.django_db]

GPS_IFD = 0x8825


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG whose EXIF says where it was taken (Yinchuan) and on which camera."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (38.0, 29.0, 12.5), 3: "E", 4: (106.0, 13.0, 40.1)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_public_copy_has_no_exif_but_the_original_keeps_it(areas):  # type: ignore[no-untyped-def]
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the test is real
    case = report(areas["micro_grid"])
    row = photos.photo_add(case=case, upload=upload(original), actor=None)
    with row.public_image.open("rb") as fh:
        public = Image.open(io.BytesIO(fh.read()))
    assert public.format == "JPEG"
    assert not public.getexif().get_ifd(GPS_IFD) and not public.getexif()
    assert public.size == (48, 64)  # turned upright before the orientation tag was dropped
    with row.image.open("rb") as fh:
        assert fh.read() == original


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted(fmt):  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    Image.new("RGBA", (10, 10)).save(out, format=fmt)
    checked = photos.photo_check(out.getvalue())
    assert checked.format == fmt
    assert Image.open(io.BytesIO(checked.public)).format == fmt


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4 not a photo", "不是可识别的图片"),
        (b"", "是空的"),
        (b"GIF89a" + b"\x00" * 10, "不是可识别的图片"),
    ],
    ids=["pdf", "empty", "broken-gif"],
)
def test_non_images_are_refused_whatever_their_name(data, message):  # type: ignore[no-untyped-def]
    with pytest.raises(CaseInputError, match=message) as err:
        photos.photo_check(upload(data, name="photo.jpg"))
    assert err.value.field == "photos"


def test_other_image_formats_are_refused():  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="GIF")
    with pytest.raises(CaseInputError, match=r"只接受 JPEG、PNG 或 WebP.*GIF"):
        photos.photo_check(out.getvalue())


def test_over_10_mb_is_refused_before_decoding():  # type: ignore[no-untyped-def]
    big = jpeg_with_gps() + b"\x00" * (10 * 1024 * 1024)
    with pytest.raises(CaseInputError, match="不能超过 10 MB"):
        photos.photo_check(upload(big))


def test_decompression_bomb_is_refused():  # type: ignore[no-untyped-def]
    # 8000 × 8000 = 64 megapixels of one colour compresses to a few kilobytes of PNG.
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, format="PNG")
    assert len(out.getvalue()) < 100_000
    with pytest.raises(CaseInputError, match="像素过多"):
        photos.photo_check(out.getvalue())


def test_truncated_jpeg_is_refused():  # type: ignore[no-untyped-def]
    with pytest.raises(CaseInputError, match="损坏"):
        photos.photo_check(jpeg_with_gps((400, 300))[:-400])


def test_a_bad_photo_on_handling_leaves_the_case_untouched(areas):  # type: ignore[no-untyped-def]
    actors = Actors(areas)
    case = walk_to(report(areas["micro_grid"]), CaseStatus.IN_PROGRESS, actors)
    events = CaseEvent.objects.count()
    with pytest.raises(CaseInputError):
        services.case_handle(
            case=case,
            actor=actors.handler,
            note="已修好",
            photos=[upload(jpeg_with_gps()), upload(b"not an image")],
        )
    assert case.__class__.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS
    assert CaseEvent.objects.count() == events and not CasePhoto.objects.exists()
    case = services.case_handle(
        case=case, actor=actors.handler, note="已修好", photos=[upload(jpeg_with_gps())]
    )
    photo = CasePhoto.objects.get()
    assert photo.event == case.events.last() and photo.uploaded_by == actors.handler
