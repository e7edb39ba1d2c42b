"""The cockpit page (``/cockpit/``), its area picker and the map's GeoJSON layers.

The page's HTML computes no layer: the map fetches ``/cockpit/layers/<name>.geojson`` and
polls ``/cockpit/layers/version`` every 30 s, refetching only the layers whose hash changed;
the KPI panel column is loaded by htmx from ``/cockpit/kpis/panels/?area=`` (another part of
the cockpit), so this module does not import the KPI code. Access: :mod:`linli.cockpit.access`;
the alerts and orders layers are offered (toggles, legend, versions, the map's list) only to
users the care and orders apps allow (:func:`~linli.cockpit.access.sight_for`); anyone else
asking for them gets an empty FeatureCollection.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from linli.cockpit import layers
from linli.cockpit.access import area_for, areas_for, cockpit_required, sight_for
from linli.places.models import Area

#: Where the KPI part serves its panel column (htmx partial, ``?area=<code>``).
PANELS_URL = "/cockpit/kpis/panels/"
#: Seconds between two polls of the layers' versions (and of the panels).
POLL_SECONDS = 30


def _area_or_404(request: HttpRequest) -> Area:
    return area_for(request.user, request.GET.get("area"))


def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    message = str(exc) or "没有找到该区域，或不在您的辖区内。"
    return render(request, "cockpit/_not_found.html", {"message": message}, status=404)


def _picker_context(request: HttpRequest, area: Area) -> dict[str, Any]:
    """The trail up to the user's top area, the area's children and the user's top areas.

    3 queries (the area itself is already loaded).
    """
    covered = areas_for(request.user)
    codes = [code for code in area.path.strip("/").split("/") if code]
    trail = list(covered.filter(code__in=codes[:-1]).only("code", "name", "kind", "path"))
    children = list(covered.filter(parent=area).only("code", "name", "kind", "path"))
    tops = list(covered.exclude(parent__in=covered).only("code", "name", "kind", "path")[:200])
    return {
        "area": area,
        "trail": trail,
        "children": children,
        "tops": tops if len(tops) > 1 else [],
        "picker_url": reverse("cockpit-picker"),
    }


@require_GET
@cockpit_required
def home(request: HttpRequest) -> HttpResponse:
    """The operations screen: picker, map, panel column. ``?area=<code>`` picks the area.

    404 (Chinese message) for an unknown, malformed or not-covered area code.
    """
    try:
        area = _area_or_404(request)
    except Http404 as exc:
        return _not_found(request, exc)
    context = _picker_context(request, area)
    shown = sight_for(request.user).names
    context.update(
        {
            "panels_url": PANELS_URL,
            "poll_seconds": POLL_SECONDS,
            "layer_labels": [(name, layers.LAYER_LABELS[name]) for name in reversed(shown)],
            "shown_layers": shown,
            "map_config": {
                "area": area.code,
                "layerUrl": reverse("cockpit-layer", args=["__name__"]),
                "versionUrl": reverse("cockpit-layer-versions"),
                "pickerUrl": reverse("cockpit-picker"),
                "panelsUrl": PANELS_URL,
                "homeUrl": reverse("cockpit-home"),
                "pollSeconds": POLL_SECONDS,
                "layers": list(shown),
                "tiles": {
                    "url": getattr(settings, "COCKPIT_MAP_TILES_URL", ""),
                    "attribution": getattr(settings, "COCKPIT_MAP_TILES_ATTRIBUTION", ""),
                    "crs": layers.tiles_crs(),
                },
            },
        }
    )
    return render(request, "cockpit/cockpit.html", context)


@require_GET
@cockpit_required
def picker(request: HttpRequest) -> HttpResponse:
    """The area picker alone (htmx swap after a drill-down on the map)."""
    try:
        area = _area_or_404(request)
    except Http404 as exc:
        return HttpResponse(str(exc), status=404, content_type="text/plain; charset=utf-8")
    return render(request, "cockpit/_picker.html", _picker_context(request, area))


def _json_404(exc: Http404 | layers.LayerError) -> JsonResponse:
    return JsonResponse(
        {"detail": str(exc) or "没有找到该区域，或不在您的辖区内。"},
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
@cockpit_required
def layer(request: HttpRequest, name: str) -> HttpResponse:
    """``/cockpit/layers/<name>.geojson?area=<code>``: one layer as GeoJSON.

    Sends ``ETag`` (the layer's version hash) and answers 304 to a matching
    ``If-None-Match``. 404 with ``{"detail": "<Chinese message>"}`` for an unknown layer or
    an area the user does not cover. A layer the user may not see (alerts without the care
    right, orders without the orders right) is an empty FeatureCollection without ETag.
    """
    sight = sight_for(request.user)
    try:
        area = _area_or_404(request)
        version = layers.version_of(name, area, sight=sight)
    except (Http404, layers.LayerError) as exc:
        return _json_404(exc)
    etag = f'"{version}"' if version is not None else ""
    tags = [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]
    if etag and etag in tags:
        response = HttpResponse(status=304)
    else:
        data = layers.build_layer(name, area, sight=sight)
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
        response["Content-Type"] = "application/geo+json; charset=utf-8"
    if etag:
        response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
@cockpit_required
def layer_versions(request: HttpRequest) -> HttpResponse:
    """``/cockpit/layers/version?area=<code>``: ``{"area", "versions": {layer: hash}}`` for
    the layers the user may see."""
    try:
        area = _area_or_404(request)
    except Http404 as exc:
        return _json_404(exc)
    response = JsonResponse(
        {
            "area": area.code,
            "name": area.name,
            "versions": layers.versions(area, sight=sight_for(request.user)),
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "private, no-store"
    return response
