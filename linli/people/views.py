"""Staff pages: the area tree with counts, drilling down to people."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

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
def resident_list(request: HttpRequest) -> HttpResponse:
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
    page = Paginator(residents, PAGE_SIZE).get_page(request.GET.get("page"))
    sensitive = can_view_sensitive(request.user)
    today = timezone.localdate()
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
