"""GeoReport v2 payloads (dicts and lists) for services, service definitions and requests.

Shapes follow the Open311 schemas in ``shared/data/open311-schema``. Times are ISO-8601 in
Asia/Shanghai with their offset (``2026-07-07T09:30:00+08:00``); coordinates WGS-84 degrees.
Public output never names the reporter (no name, phone, e-mail, account) — PIPL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from linli.cases.models import Case, CaseCategory, CaseStatus
from linli.cases.open311.status import open311_status, status_notes

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: Date of the last change to this endpoint's behaviour (discovery ``changeset``).
CHANGESET = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
DEFAULT_JURISDICTION = "jinfeng.yinchuan.gov.cn"


def jurisdiction() -> str:
    """``settings.LINLI_OPEN311_JURISDICTION`` (default ``jinfeng.yinchuan.gov.cn``)."""
    return str(getattr(settings, "LINLI_OPEN311_JURISDICTION", DEFAULT_JURISDICTION))


def iso(value: dt.datetime | None) -> str | None:
    """ISO-8601 with the Asia/Shanghai offset, to the second; None stays None."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def discovery(request: HttpRequest) -> dict[str, Any]:
    """The service discovery document (Open311 "Service Discovery")."""
    return {
        "changeset": iso(CHANGESET),
        "contact": "邻里平台管理员（请通过所在社区联系）",
        "key_service": "API 密钥由平台管理员以 `linli open311-key create 名称` 创建",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri("/open311/v2/"),
                "changeset": iso(CHANGESET),
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def _lineage(category: CaseCategory) -> list[CaseCategory]:
    """The category and its ancestors, top class last."""
    chain = [category]
    while chain[-1].parent_id is not None and len(chain) < 8:
        parent = chain[-1].parent
        assert parent is not None
        chain.append(parent)
    return chain


def service(category: CaseCategory) -> dict[str, Any]:
    """One entry of ``GET services``; ``group`` is the top class (e.g. 市容环境)."""
    chain = _lineage(category)
    keywords = [category.name, *(c.name for c in chain[1:]), category.get_kind_display()]
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or None,
        "metadata": bool(category.open311_attributes),
        "type": "realtime",
        "keywords": ",".join(dict.fromkeys(str(k) for k in keywords)),
        "group": chain[-1].name,
    }


def service_definition(category: CaseCategory) -> dict[str, Any]:
    """``GET services/{code}``: the category's attributes, ordered by ``order``."""
    attributes = []
    for index, spec in enumerate(category.open311_attributes, start=1):
        attribute: dict[str, Any] = {
            "variable": spec.get("variable", True),
            "code": str(spec["code"]),
            "datatype": spec.get("datatype", "string"),
            "required": bool(spec.get("required", False)),
            "datatype_description": spec.get("datatype_description") or None,
            "order": int(spec.get("order") or index),
            "description": spec.get("description") or None,
        }
        if attribute["datatype"] in ("singlevaluelist", "multivaluelist"):
            attribute["values"] = [
                {"key": str(v["key"]), "name": str(v["name"])} for v in spec.get("values") or []
            ]
        attributes.append(attribute)
    attributes.sort(key=lambda a: a["order"])
    return {"service_code": category.code, "attributes": attributes}


def _media_url(case: Case, request: HttpRequest) -> str | None:
    photos = list(case.photos.all())
    if photos and photos[0].public_image:
        return request.build_absolute_uri(photos[0].public_image.url)
    external = (case.attributes or {}).get("_open311", {}).get("media_url")
    return str(external) if external else None


def due_text(value: dt.datetime) -> str:
    """A due time as people read it in notices: local time, "2026-11-30 10:30"."""
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


def _service_notice(case: Case) -> str | None:
    if case.due_at is None or open311_status(case.status) == "closed":
        return None
    return f"{CaseStatus(case.status).label}，本阶段办理时限 {due_text(case.due_at)}"


def created_notice(case: Case) -> str:
    """``service_notice`` of a new request (``POST requests``), due time as in GET."""
    notice = f"已受理，编号 {case.number}"
    return notice + (f"；立案时限 {due_text(case.due_at)}" if case.due_at else "")


def service_request(case: Case, request: HttpRequest, *, extensions: bool) -> dict[str, Any]:
    """One request of ``GET requests`` (no reporter data: the endpoint is public)."""
    status = open311_status(case.status)
    updated = case.closed_at if status == "closed" and case.closed_at else case.updated_at
    payload: dict[str, Any] = {
        "service_request_id": case.number,
        "status": status,
        "status_notes": status_notes(case, reason=getattr(case, "status_reason", None) or ""),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description,
        "agency_responsible": case.handler_org.name if case.handler_org else None,
        "service_notice": _service_notice(case),
        "requested_datetime": iso(case.created_at),
        "updated_datetime": iso(updated),
        "expected_datetime": iso(case.due_at),
        "address": case.address or (case.building.address if case.building else "") or None,
        # Only the building, never the household: a room number would point at a person.
        "address_id": f"B{case.building_id}" if case.building_id else None,
        "zipcode": None,
        "lat": float(case.lat) if case.lat is not None else None,
        "long": float(case.lng) if case.lng is not None else None,
        "media_url": _media_url(case, request),
    }
    if extensions:
        payload["extended_attributes"] = {
            "linli_status": case.status,
            "linli_status_name": str(CaseStatus(case.status).label),
            "area": case.area.name,
            "area_code": case.area.code,
            "due_at": iso(case.due_at),
            "events_count": getattr(case, "events_count", None),
            "priority": case.priority,
        }
    return payload
