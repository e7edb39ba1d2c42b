"""Shared set-up for the Open311 tests: a located micro-grid, categories, a key, schemas."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.urls import include, path
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from linli.cases.models import CaseCategory, CategoryKind, Open311Key
from linli.cases.open311.keys import open311_key_create
from linli.cases.open311.render import ITEM_TAGS
from linli.places.models import Area, Building, Household
from linli.testing.factories import BuildingFactory, HouseholdFactory, area_chain

#: Only the Open311 routes, so these tests do not depend on pages being built in parallel
#: (``pytest.mark.urls(URLS)``); ``test_open311_client`` uses the real ``linli.urls``.
URLS = "linli.cases.tests.open311_support"
urlpatterns = [path("open311/v2/", include("linli.cases.open311.urls"))]
#: The published GeoReport v2 schemas (a copy of ``../shared/data/open311-schema`` kept
#: with the tests, so a clone without ``shared/`` beside it still validates).
SCHEMA_DIR = Path(__file__).resolve().parent / "data" / "open311-schema"
#: Inside the test micro-grid (Jinfeng District, Yinchuan), WGS-84.
INSIDE = (38.4700, 106.2300)
OUTSIDE = (39.9042, 116.4074)  # Beijing: no micro-grid of ours
ATTRIBUTES: list[dict[str, Any]] = [
    {"code": "where", "datatype": "string", "required": True, "description": "具体位置"},
    {"code": "volume", "datatype": "number", "required": False, "description": "体积（立方米）"},
    {"code": "seen_at", "datatype": "datetime", "required": False, "description": "发现时间"},
    {"code": "details", "datatype": "text", "required": False, "description": "补充说明"},
    {
        "code": "kind",
        "datatype": "singlevaluelist",
        "required": True,
        "description": "堆放物",
        "values": [{"key": "debris", "name": "建筑垃圾"}, {"key": "furniture", "name": "废旧家具"}],
    },
    {
        "code": "hazards",
        "datatype": "multivaluelist",
        "required": False,
        "description": "隐患",
        "values": [{"key": "fire", "name": "消防通道"}, {"key": "smell", "name": "异味"}],
    },
    {"code": "note", "variable": False, "datatype": "string", "description": "请勿堆放杂物"},
]


@dataclass
class Site:
    areas: dict[str, Area]
    building: Building
    household: Household
    top: CaseCategory  # 市容环境 (no attributes)
    category: CaseCategory  # T105 乱堆物堆料, with every datatype
    hidden: CaseCategory  # 独居老人异常: not public on Open311
    key: Open311Key
    api_key: str


def make_site() -> Site:
    areas = area_chain()
    lat, lng = INSIDE
    micro = areas["micro_grid"]
    micro.boundary = {
        "type": "Polygon",
        "coordinates": [
            [
                [lng - 0.01, lat - 0.01],
                [lng + 0.01, lat - 0.01],
                [lng + 0.01, lat + 0.01],
                [lng - 0.01, lat + 0.01],
                [lng - 0.01, lat - 0.01],
            ]
        ],
    }
    micro.save()
    building = cast(
        Building,
        BuildingFactory(
            micro_grid=micro, name="3号楼", address="金凤区测试路1号3号楼", lat=lat, lng=lng
        ),
    )
    top = CaseCategory.objects.create(code="T1", name="市容环境", kind=CategoryKind.EVENT)
    category = CaseCategory.objects.create(
        code="T105",
        name="乱堆物堆料",
        kind=CategoryKind.EVENT,
        parent=top,
        description="楼道、路面乱堆放",
        open311_attributes=ATTRIBUTES,
    )
    hidden = CaseCategory.objects.create(
        code="T901", name="独居老人异常", kind=CategoryKind.COMMUNITY, open311_public=False
    )
    key, api_key = open311_key_create(name="测试对接")
    return Site(
        areas=areas,
        building=building,
        household=cast(Household, HouseholdFactory(building=building)),
        top=top,
        category=category,
        hidden=hidden,
        key=key,
        api_key=api_key,
    )


def good_post(site: Site, **extra: Any) -> dict[str, Any]:
    """A valid ``POST requests`` body for ``site.category`` located by coordinates."""
    body: dict[str, Any] = {
        "api_key": site.api_key,
        "service_code": site.category.code,
        "lat": str(INSIDE[0]),
        "long": str(INSIDE[1]),
        "description": "3号楼楼道堆满了装修垃圾",
        "attribute[where]": "1单元楼道",
        "attribute[kind]": "debris",
    }
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


def _registry() -> Registry:
    resources = []
    for schema_file in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(schema_file.read_text(encoding="utf-8"))
        resources.append(
            (schema_file.name, Resource.from_contents(contents, default_specification=DRAFT7))
        )
    if not resources:
        raise FileNotFoundError(f"Open311 schemas not found in {SCHEMA_DIR}")
    return Registry().with_resources(resources)


def assert_valid(data: Any, schema: str) -> None:
    """Validate ``data`` against ``schema`` (e.g. ``requests.json``); lists must be non-empty.

    ``date-time`` values are also checked here to carry an offset (GeoReport v2 requires
    one; the installed jsonschema may not check that format).
    """
    validator = Draft7Validator(
        {"$ref": schema}, registry=_registry(), format_checker=FormatChecker()
    )
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    if isinstance(data, list):
        assert data, "the schemas' minItems has no effect; an empty list is not a test"
    for item in data if isinstance(data, list) else [data]:
        for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
            if isinstance(item, dict) and item.get(name):
                assert dt.datetime.fromisoformat(item[name]).utcoffset() is not None


def xml_items(body: bytes, root: str, item: str) -> list[dict[str, Any]]:
    """Parse an XML list response into dicts of child text (nested lists as lists of dicts)."""
    tree = ET.fromstring(body)
    assert tree.tag == root, tree.tag
    return [_xml_dict(element) for element in tree.findall(item)]


def _xml_dict(element: ET.Element) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for child in element:
        if child.tag in ITEM_TAGS:
            result[child.tag] = [_xml_dict(g) if len(g) else g.text for g in child]
        elif len(child):
            result[child.tag] = _xml_dict(child)
        else:
            result[child.tag] = child.text
    return result


def json_as_text(item: dict[str, Any]) -> dict[str, Any]:
    """A JSON item with values as XML carries them (text; true/false; None → None)."""
    result: dict[str, Any] = {}
    for key, value in item.items():
        if isinstance(value, dict):
            result[key] = json_as_text(value)
        elif isinstance(value, list):
            result[key] = [json_as_text(v) if isinstance(v, dict) else str(v) for v in value]
        elif isinstance(value, bool):
            result[key] = "true" if value else "false"
        elif value is None or value == "":
            result[key] = None
        else:
            result[key] = str(value)
    return result
