"""Reads behind ``GET requests``: public categories only, filters of :class:`RequestQuery`."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from linli.cases.models import Case, CaseCategory, CaseEvent
from linli.cases.open311.parse import RequestQuery
from linli.cases.open311.status import linli_statuses


def public_categories() -> QuerySet[CaseCategory]:
    """The categories offered as Open311 services: active, ``open311_public`` leaves.

    A class with offered subcategories (GB/T 30428's top classes such as 市容环境) is the
    ``group`` of its children, not a service; a class without any (the community
    categories, or a top class whose children are all hidden) is a service itself.
    Parents joined (for group names).
    """
    offered_child = CaseCategory.objects.filter(
        parent=OuterRef("pk"), active=True, open311_public=True
    )
    return (
        CaseCategory.objects.filter(active=True, open311_public=True)
        .exclude(Exists(offered_child))
        .select_related("parent__parent__parent")
    )


def requests_queryset() -> QuerySet[Case]:
    """Cases of public categories, with what :func:`service_request` reads, in few queries.

    ``status_reason`` is the note of the event that moved the case into its current state
    (a rejection or suspension reason, a closing note).
    """
    reason = CaseEvent.objects.filter(case=OuterRef("pk"), to_status=OuterRef("status"))
    return (
        Case.objects.filter(category__open311_public=True)
        .select_related("category", "handler_org", "merged_into", "building", "area")
        .prefetch_related("photos")
        .annotate(
            status_reason=Subquery(reason.order_by("-at", "-id").values("note")[:1]),
            events_count=Count("events", distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def requests_matching(query: RequestQuery) -> QuerySet[Case]:
    """Cases matching the filters, newest first, not yet paged.

    ``requested_datetime`` is ``created_at``; ``updated_after``/``updated_before`` compare
    with ``updated_at``; bounds are inclusive.
    """
    cases = requests_queryset()
    if query.ids:
        cases = cases.filter(number__in=query.ids)
    if query.service_codes:
        cases = cases.filter(category__code__in=query.service_codes)
    if query.statuses:
        wanted = [s for status in set(query.statuses) for s in linli_statuses(status)]
        cases = cases.filter(status__in=wanted)
    bounds = Q()
    if query.start is not None:
        bounds &= Q(created_at__gte=query.start)
    if query.end is not None:
        bounds &= Q(created_at__lte=query.end)
    if query.updated_after is not None:
        bounds &= Q(updated_at__gte=query.updated_after)
    if query.updated_before is not None:
        bounds &= Q(updated_at__lte=query.updated_before)
    return cases.filter(bounds)
