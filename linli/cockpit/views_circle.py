"""``/cockpit/circle/``: the 15-minute service circle of an area (coverage, gaps, what-if).

One GET page; nothing is written. Parameters:

* ``area`` — area code (street to micro-grid) the user covers; default their top area;
* ``kind`` — the facility kind whose gaps are listed and mapped (default ``canteen``);
* ``minutes`` — the threshold in whole minutes, 1–60 (default 15 = 900 s);
* ``lat``, ``lng``, ``crs`` (``wgs84``/``gcj02``), ``name`` — a hypothetical new facility of
  ``kind`` for the what-if (both coordinates or neither);
* ``format=xlsx`` — the gaps of ``kind`` (and the buildings without coordinates) as Excel.

Bad parameters re-render the page with Chinese messages and HTTP 400; an unknown area or
one outside the user's areas is a 404 (:func:`linli.cockpit.access.area_for`). Queries: the
user's assignments, the area, the area list, buildings, facilities, network — fixed.
"""

from __future__ import annotations

import math
from typing import Any, cast

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from linli.cockpit import circle
from linli.cockpit.access import area_for, areas_for, cockpit_required
from linli.common.exports import wants_xlsx, xlsx_response
from linli.common.geo import GeoError, great_circle_m, parse_lat_lng

DEFAULT_KIND = "canteen"
DEFAULT_MINUTES = 15
CRS_CHOICES = (("wgs84", "WGS-84（GPS、天地图）"), ("gcj02", "GCJ-02（高德、腾讯地图）"))


def _minutes(raw: str | None, errors: list[str]) -> int:
    if raw is None or raw.strip() == "":
        return DEFAULT_MINUTES
    try:
        minutes = int(raw.strip())
    except ValueError:
        errors.append(f"时间阈值「{raw[:20]}」不是整数分钟")
        return DEFAULT_MINUTES
    if not 1 <= minutes <= 60:
        errors.append(f"时间阈值应在 1–60 分钟之间，实际为 {minutes}")
        return DEFAULT_MINUTES
    return minutes


def _kind(raw: str | None, errors: list[str]) -> str:
    try:
        return circle.check_kind((raw or DEFAULT_KIND).strip())
    except circle.CircleError as exc:
        errors.append(str(exc))
        return DEFAULT_KIND


def _proposal(request: HttpRequest, errors: list[str]) -> tuple[Any, dict[str, str]]:
    """The what-if point (WGS-84) or ``None``, and the form's values to show again."""
    values = {key: request.GET.get(key, "").strip()[:60] for key in ("lat", "lng", "crs", "name")}
    values["crs"] = values["crs"] or "wgs84"
    if not values["lat"] and not values["lng"]:
        return None, values
    if not values["lat"] or not values["lng"]:
        errors.append("试算需要同时填写纬度和经度")
        return None, values
    try:
        return parse_lat_lng(values["lat"], values["lng"], crs=values["crs"]), values
    except GeoError as exc:
        errors.append(str(exc))
        return None, values


#: A what-if site farther than this from every building of the area is refused (metres):
#: it cannot serve anyone here, and the map would zoom out to show it.
WHAT_IF_MAX_M = 3000.0


def _near_the_area(point: Any, coverage: circle.Coverage, errors: list[str]) -> Any:
    """``point`` when it lies within :data:`WHAT_IF_MAX_M` of a building of the area;
    otherwise ``None`` with a Chinese error (a typo such as 0,0 lands in the ocean)."""
    if point is None:
        return None
    located = [place.point for place in coverage.places if place.point is not None]
    if not located:
        return point
    nearest = min(great_circle_m(point, other) for other in located)
    if nearest > WHAT_IF_MAX_M:
        errors.append(
            f"试算位置距本区域最近的楼栋约 {nearest / 1000:,.1f} 公里，"
            f"请在辖区内或附近（{WHAT_IF_MAX_M / 1000:.0f} 公里内）选点"
        )
        return None
    return point


def _minutes_text(reach: circle.Reach | None) -> str:
    """Minutes with one decimal, rounded up: 902 s shows 15.1, not 15.0, so a building just
    outside a 15-minute circle never reads as exactly 15 minutes (900 s counts as inside)."""
    return f"{math.ceil(reach.seconds / 6) / 10:.1f}" if reach else "无此类设施"


def _export(coverage: circle.Coverage, kind: str, minutes: int) -> HttpResponseBase:
    label = circle.KIND_LABELS[kind]
    rows: list[list[Any]] = []
    for gap in coverage.kinds[kind].gaps:
        place, reach = gap.place, gap.nearest
        rows.append(
            [
                place.community,
                place.grid,
                place.micro_grid,
                place.name,
                place.households,
                place.elders,
                reach.site.name if reach else "无此类设施",
                round(reach.seconds / 60, 1) if reach else "",
                round(reach.metres) if reach else "",
                f"超出{minutes}分钟",
            ]
        )
    for place in coverage.unlocated:
        rows.append(
            [
                place.community,
                place.grid,
                place.micro_grid,
                place.name,
                place.households,
                place.elders,
                "",
                "",
                "",
                "无坐标，未计入",
            ]
        )
    return xlsx_response(
        title=f"{label}{minutes}分钟步行覆盖缺口",
        header=[
            "社区",
            "网格",
            "微网格",
            "楼栋",
            "户数",
            "60岁以上居民",
            "最近的设施",
            "步行时间（分钟）",
            "步行距离（米）",
            "说明",
        ],
        rows=rows,
        lines=[
            f"区域：{coverage.area.name}（{coverage.area.code}）",
            f"设施类型：{label}；阈值：{minutes} 分钟；步行速度：{coverage.speed_m_s:g} 米/秒",
            f"测距方法：{coverage.method}",
        ],
        filename=f"{coverage.area.name}-{label}覆盖缺口",
    )


@require_GET
@cockpit_required
def circle_page(request: HttpRequest) -> HttpResponse:
    """The coverage table of every kind, the gaps and map of one, and the what-if form."""
    try:
        area = area_for(request.user, request.GET.get("area"))
    except Http404 as exc:
        message = str(exc) or "没有找到该区域，或不在您的辖区内。"
        return render(request, "cockpit/circle_error.html", {"message": message}, status=404)
    errors: list[str] = []
    kind = _kind(request.GET.get("kind"), errors)
    minutes = _minutes(request.GET.get("minutes"), errors)
    point, proposal_values = _proposal(request, errors)
    coverage, walker = circle.coverage_for(area, threshold_s=minutes * 60)
    if wants_xlsx(request) and not errors:
        # A FileResponse (streaming); the decorator's signature wants HttpResponse.
        return cast(HttpResponse, _export(coverage, kind, minutes))
    point = _near_the_area(point, coverage, errors)
    scenario = None
    if point is not None:
        scenario = circle.what_if(
            coverage, kind, point, walker=walker, name=proposal_values["name"]
        )
    chosen = coverage.kinds[kind]
    context = {
        "area": area,
        "areas": list(areas_for(request.user).only("code", "name", "kind", "path")),
        "kind": kind,
        "kind_label": circle.KIND_LABELS[kind],
        "kinds": [(k, circle.KIND_LABELS[k]) for k in circle.SERVICE_KINDS],
        "minutes": minutes,
        "coverage": coverage,
        "rows": list(coverage.kinds.values()),
        "chosen": chosen,
        "gaps": [{"gap": gap, "minutes": _minutes_text(gap.nearest)} for gap in chosen.gaps],
        "scenario": scenario,
        "proposal": proposal_values,
        "crs_choices": CRS_CHOICES,
        "errors": errors,
        "map_data": circle.map_data(coverage, kind, scenario),
    }
    return render(request, "cockpit/circle.html", context, status=400 if errors else 200)
