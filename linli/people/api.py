"""Read-only REST API of the registry (一标三实) under ``/api/``.

Every queryset goes through :func:`linli.people.scoping.scope`, so a detail outside the
caller's areas is a 404. Identity numbers and phones are masked everywhere except
``POST /api/residents/{id}/reveal/``, which logs the view (PIPL art. 51).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from linli.orgs.models import Organization, OrgKind
from linli.people import selectors, serializers
from linli.people.models import Resident
from linli.people.scoping import can_view_registry, scope
from linli.people.services import pii_reveal
from linli.places.models import Area, AreaKind, Building, Facility, FacilityKind, Household


def _subtree_filter(area_field: str) -> django_filters.CharFilter:
    """A ``?area=CODE`` filter: rows whose ``area_field`` lies under that area's subtree."""

    def apply(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        area = Area.objects.filter(code=value.strip()).only("path").first()
        if area is None:
            raise exceptions.ValidationError({"area": [f"区域代码 {value} 不存在"]})
        return queryset.filter(**{f"{area_field}__path__startswith": area.path})

    return django_filters.CharFilter(method=apply, label="区域代码（含下级区域）")


class AreaFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=AreaKind.choices, label="层级")
    parent = django_filters.CharFilter(field_name="parent__code", label="上级区域代码")

    class Meta:
        model = Area
        fields = ["kind", "parent"]


class BuildingFilter(django_filters.FilterSet):
    area = _subtree_filter("micro_grid")

    class Meta:
        model = Building
        fields = ["area", "kind"]


class HouseholdFilter(django_filters.FilterSet):
    area = _subtree_filter("building__micro_grid")

    class Meta:
        model = Household
        fields = ["area", "building"]


class OrganizationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=OrgKind.choices, label="类型")
    industry = django_filters.CharFilter(lookup_expr="icontains", label="行业（包含）")
    area = _subtree_filter("area")

    class Meta:
        model = Organization
        fields = ["kind", "industry", "area"]


class FacilityFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=FacilityKind.choices, label="类型")
    area = _subtree_filter("area")

    class Meta:
        model = Facility
        fields = ["kind", "area"]


class ScopedViewSet(viewsets.ReadOnlyModelViewSet[Any]):
    """A read-only viewset whose rows are limited to the caller's areas."""

    area_field = "area"

    def get_queryset(self) -> QuerySet[Any]:
        return scope(super().get_queryset(), self.request.user, area_field=self.area_field)


class AreaViewSet(ScopedViewSet):
    """Areas under the caller's assignments; ``tree`` adds ancestors and head counts."""

    queryset = Area.objects.select_related("parent")
    serializer_class = serializers.AreaSerializer
    filterset_class = AreaFilter
    area_field = ""
    lookup_field = "code"
    lookup_value_regex = r"\d+"

    @extend_schema(
        responses=serializers.AreaNodeSerializer(many=True),
        filters=False,
        summary="区域树及各项人数（含下级汇总）",
    )
    @action(detail=False, pagination_class=None, filter_backends=[])
    def tree(self, request: Request, format: str | None = None) -> Response:
        """``/api/areas/tree/`` (or ``tree.json``: DRF passes the suffix as ``format``)."""
        nodes = selectors.area_tree_counts(request.user)
        return Response(serializers.AreaNodeSerializer(nodes, many=True).data)


class BuildingViewSet(ScopedViewSet):
    queryset = Building.objects.select_related("micro_grid")
    serializer_class = serializers.BuildingSerializer
    filterset_class = BuildingFilter
    area_field = "micro_grid"


class HouseholdViewSet(ScopedViewSet):
    """Households (addresses) — registry roles only, like residents (403 for others)."""

    queryset = Household.objects.select_related("building__micro_grid")
    serializer_class = serializers.HouseholdSerializer
    filterset_class = HouseholdFilter
    area_field = "building__micro_grid"

    def get_queryset(self) -> QuerySet[Any]:
        if not can_view_registry(self.request.user):
            raise exceptions.PermissionDenied("您的岗位不需要查看住户名单")
        return super().get_queryset()


class OrganizationViewSet(ScopedViewSet):
    queryset = Organization.objects.select_related("area", "building")
    serializer_class = serializers.OrganizationSerializer
    filterset_class = OrganizationFilter


class FacilityViewSet(ScopedViewSet):
    queryset = Facility.objects.select_related("area")
    serializer_class = serializers.FacilitySerializer
    filterset_class = FacilityFilter


_RESIDENT_PARAMETERS = [
    OpenApiParameter("area", str, description="区域代码（含下级区域）"),
    OpenApiParameter("tag", str, enum=list(selectors.TAG_LABELS), description="关爱标签"),
    OpenApiParameter("age_min", int, description="最小年龄（周岁，含）"),
    OpenApiParameter("age_max", int, description="最大年龄（周岁，含）"),
    OpenApiParameter("q", str, description="姓名（包含）"),
    OpenApiParameter("building", int, description="楼栋 ID"),
]


@extend_schema(parameters=_RESIDENT_PARAMETERS)
class ResidentViewSet(viewsets.ReadOnlyModelViewSet[Resident]):
    """Residents of the caller's areas; identity numbers and phones masked."""

    queryset = Resident.objects.none()  # for the schema; rows come from the selector
    serializer_class = serializers.ResidentSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Resident]:
        params = self.request.query_params if self.action == "list" else {}
        try:
            filters = selectors.resident_filters_from_query(params)
            residents = selectors.residents_for(self.request.user, **filters)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from None
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        building = str(params.get("building") or "").strip()
        if building:
            if not building.isdigit():
                raise exceptions.ValidationError({"building": ["楼栋 ID 应为整数"]})
            residents = residents.filter(household__building_id=int(building))
        return residents

    @extend_schema(
        parameters=[],
        request=serializers.RevealRequestSerializer,
        responses={
            200: serializers.PiiRevealSerializer,
            403: OpenApiResponse(OpenApiTypes.OBJECT, description="无权查看完整个人信息"),
        },
        summary="查看完整身份证号和电话（记入查看记录）",
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request: Request, pk: str | None = None) -> Response:
        resident: Resident = self.get_object()
        body = serializers.RevealRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            revealed = pii_reveal(
                actor=request.user,  # type: ignore[arg-type]
                resident=resident,
                purpose=body.validated_data.get("purpose") or "API",
            )
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(serializers.PiiRevealSerializer(revealed).data)
