"""KPI panels of the cockpit (htmx partial and JSON) and the drill lists behind figures.

* ``GET /cockpit/kpis/panels/?area=<code>`` → the ``cockpit/_panels.html`` partial (the
  cockpit page reloads it by htmx every 30 s);
* ``GET /cockpit/kpis/panels.json?area=<code>`` → the same panels as JSON
  (:func:`linli.cockpit.kpis.panels_json`);
* ``GET /cockpit/kpis/drill/<key>/?area=<code>[&page=N][&format=xlsx]`` → the rows behind
  a figure (:data:`linli.cockpit.kpis_drill.DRILLS`), 25 a page, or all as a workbook.

Access: :func:`linli.cockpit.access.cockpit_required`; an area outside the user's areas,
unknown or malformed is a 404 (:func:`~linli.cockpit.access.area_for`); an unknown drill
key is a 404 too, and so is a drill whose owning app refuses the user (alerts: the care
app's right, orders: the orders app's — ``Drill.right``), so nothing tells the user more.
Registrants' names and phones in the activity drills are always masked (``Drill.masked``).
"""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from linli.cockpit import kpis
from linli.cockpit.access import area_for, cockpit_required
from linli.cockpit.kpis_drill import DRILLS
from linli.common.exports import wants_xlsx, xlsx_response
from linli.people.scoping import can_view_pii

PAGE_SIZE = 25


def _now() -> dt.datetime:
    """The moment the figures are computed at (a seam for tests)."""
    return timezone.now()


@require_safe
@cockpit_required
def panels_partial(request: HttpRequest) -> HttpResponse:
    """The panels of ``?area=`` (default: the user's top area) as an HTML fragment."""
    area = area_for(request.user, request.GET.get("area"))
    now = _now()
    items = kpis.panels(request.user, area, today=timezone.localdate(now), now=now)
    return render(
        request,
        "cockpit/_panels.html",
        {"panels": kpis.with_sparklines(items), "area": area, "now": now},
    )


@require_safe
@cockpit_required
def panels_json(request: HttpRequest) -> JsonResponse:
    """The panels of ``?area=`` as JSON: ``{"area", "generated_at", "panels": [...]}``."""
    area = area_for(request.user, request.GET.get("area"))
    now = _now()
    items = kpis.panels(request.user, area, today=timezone.localdate(now), now=now)
    return JsonResponse(
        kpis.panels_json(items, area=area, now=now), json_dumps_params={"ensure_ascii": False}
    )


@require_safe
@cockpit_required
def drill(request: HttpRequest, key: str) -> HttpResponse:
    """The rows behind figure ``key`` in ``?area=``, paginated, or ``?format=xlsx``."""
    spec = DRILLS.get(key)
    if spec is None or not spec.allowed(request.user):
        raise Http404("没有这个统计明细")
    area = area_for(request.user, request.GET.get("area"))
    now = _now()
    today = timezone.localdate(now)
    records = spec.rows(request.user, area, today, now)
    pii = can_view_pii(request.user) and not spec.masked
    if wants_xlsx(request):
        # A FileResponse is a download, not an HttpResponse; the decorator only passes it on.
        return xlsx_response(  # type: ignore[return-value]
            title=spec.title,
            header=spec.header,
            rows=(spec.row(record, pii).cells for record in records),
            lines=[f"区域：{area.name}（{area.code}）", *([spec.note] if spec.note else [])],
            filename=f"{spec.title}-{area.name}-{today:%Y%m%d}",
        )
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "spec": spec,
        "key": key,
        "area": area,
        "page": page,
        "rows": [spec.row(record, pii) for record in page],
        "pii": pii,
    }
    return render(request, "cockpit/drill.html", context)
