"""Shared set-up of the case-page tests: seeded categories, buildings, cases, images."""

from __future__ import annotations

import importlib
import io
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from linli.cases import services
from linli.cases.models import Case, CaseCategory, CaseChannel
from linli.places.models import Area, Building
from linli.testing.factories import BuildingFactory


def seed_categories() -> None:
    """The seed migration's categories (a transactional test's flush empties the table)."""
    module = importlib.import_module("linli.cases.migrations.0002_seed_categories")
    module.seed(apps, None)


def community_category(name: str = "漏水") -> CaseCategory:
    seed_categories()
    return CaseCategory.objects.get(name=name, kind="community")


def building(area: Area, name: str = "3号楼") -> Building:
    return BuildingFactory.create(micro_grid=area, name=name, lat="38.480000", lng="106.220000")


def report(area: Area, *, reporter: User | None = None, name: str = "漏水", **kwargs: Any) -> Case:
    kwargs.setdefault("description", "3单元楼道水管漏水")
    place = kwargs.pop("building", None) or Building.objects.filter(micro_grid=area).first()
    return services.case_report(
        category=community_category(name),
        channel=kwargs.pop("channel", CaseChannel.GRID_PATROL),
        reporter=reporter,
        building=place or building(area),
        **kwargs,
    )


def jpeg(name: str = "photo.jpg", size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    """A small real JPEG upload."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()
