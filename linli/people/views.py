"""Staff pages: the area tree with counts, drilling down to people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone

from linli.common.documents import Cell
from linli.common.exports import wants_xlsx, xlsx_response
from linli.common.pii import mask_phone
from linli.engagement.selectors import contact_organizations
from linli.people import selectors
from linli.people.models import CARE_TAGS, Resident
from linli.people.scoping import area_paths, can_view_registry, can_view_sensitive
from linli.places.models import Area

PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The staff home page: the user's areas as a tree with counts linking to people."""
    if not can_view_registry(request.user) and hasattr(request.user, "worker"):
        return redirect("work:today")  # a caregiver: straight to their offers
    if not can_view_registry(request.user) and contact_organizations(request.user):
        return redirect("engagement_biz:home")  # an enterprise contact: their needs and policies
    nodes = selectors.area_tree_counts(request.user)
    by_code = {node.code: node for node in nodes}
    # Each assigned subtree is drawn as its own tree under a one-line trail of the
    # ancestors shown for context, which saves five nested boxes on a phone.
    roots = [
        {"node": node, "trail": [by_code[code] for code in node.path.strip("/").split("/")[:-1]]}
        for node in nodes
        if node.in_scope
        and not (node.parent_code in by_code and by_code[node.parent_code].in_scope)
    ]
    context = {
        "roots": roots,
        "has_assignment": area_paths(request.user) != [],
        "registry": can_view_registry(request.user),
        "count_labels": selectors.COUNT_LABELS,
        "sensitive": can_view_sensitive(request.user),
    }
    return render(request, "people/home.html", context)


@login_required
def resident_list(request: HttpRequest) -> HttpResponseBase:
    """The people behind a count: ``/people/?area=CODE&tag=dibao&age_min=60&q=王``.

    Bad filters re-render the page with a Chinese message and HTTP 400; a sensitive tag
    the user may not see, with HTTP 403.
    """
    try:
        filters = selectors.resident_filters_from_query(request.GET)
        residents = selectors.residents_for(request.user, **filters)
    except ValidationError as exc:
        errors = [message for messages in exc.message_dict.values() for message in messages]
        return render(request, "people/resident_list.html", {"errors": errors}, status=400)
    except PermissionDenied as exc:
        return render(request, "people/resident_list.html", {"errors": [str(exc)]}, status=403)
    sensitive = can_view_sensitive(request.user)
    today = timezone.localdate()
    if wants_xlsx(request):
        return _list_xlsx(residents, filters, today=today, sensitive=sensitive)
    page = Paginator(residents, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_row(resident, today=today, sensitive=sensitive) for resident in page]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "area": Area.objects.filter(code=filters.get("area_code", "")).first(),
        "tag_label": selectors.TAG_LABELS.get(filters.get("tag", "")),
        "tags": selectors.TAG_LABELS,
        "query": query.urlencode(),
        "rows": rows,
    }
    return render(request, "people/resident_list.html", context)


#: Columns of the list's export, as on screen.
LIST_HEADER = ["姓名", "性别", "年龄", "身份证号", "电话", "住址", "标签"]


def _list_xlsx(
    residents: Iterable[Resident], filters: dict[str, Any], *, today: dt.date, sensitive: bool
) -> FileResponse:
    """``/people/?…&format=xlsx``: every resident the filters select (all pages) with the
    page's masking — identity number and phone masked, sensitive tags only for
    :func:`can_view_sensitive` users."""
    rows: list[list[Cell]] = []
    for resident in residents:
        row = _row(resident, today=today, sensitive=sensitive)
        rows.append(
            [
                resident.name,
                resident.get_sex_display(),
                resident.age(today),
                resident.id_number_masked,
                str(row["phone"] or ""),
                str(row["household"] or resident.area.name),
                "、".join(row["tags"]),  # type: ignore[arg-type]
            ]
        )
    parts = []
    if filters.get("area_code"):
        area = Area.objects.filter(code=filters["area_code"]).first()
        parts.append(f"区域 {area.name if area else filters['area_code']}")
    if filters.get("q"):
        parts.append(f"姓名 {filters['q']}")
    if filters.get("tag"):
        parts.append(f"标签 {selectors.TAG_LABELS.get(filters['tag'], filters['tag'])}")
    if filters.get("age_min") is not None:
        parts.append(f"最小年龄 {filters['age_min']}")
    if filters.get("age_max") is not None:
        parts.append(f"最大年龄 {filters['age_max']}")
    return xlsx_response(
        title="人员名单",
        header=LIST_HEADER,
        rows=rows,
        lines=[f"筛选条件：{'；'.join(parts)}"] if parts else [],
    )


def _row(resident: Resident, *, today: dt.date, sensitive: bool) -> dict[str, object]:
    """One line of the list: masked identity number and phone, tags the user may see."""
    household = resident.household
    return {
        "resident": resident,
        "age": resident.age(today),
        "phone": mask_phone(resident.phone),
        "household": str(household) if household else "",
        "tags": [
            label
            for name, label in CARE_TAGS
            if getattr(resident, name) and (sensitive or name not in selectors.SENSITIVE_TAGS)
        ],
    }
