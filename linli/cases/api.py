"""REST API of cases under ``/api/cases/``: list and read (scoped), report, and one
``POST /api/cases/{number}/{action}/`` per transition.

Reads go through :func:`linli.cases.selectors.cases_visible_to` (a case the caller may not
see is a 404). Each action parses its input, calls one service and answers the case.
Errors: ``IllegalTransition`` → 409, ``NotAllowed`` → 403, ``CaseInputError`` → 400, all as
``{"detail": "<中文说明>", "field": "<input field, if known>"}``; malformed input → 400
with DRF's per-field messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from linli.cases import serializers as s
from linli.cases import services
from linli.cases.errors import CaseError, CaseInputError
from linli.cases.models import Case, CaseCategory, CaseChannel
from linli.cases.selectors import cases_visible_to
from linli.common.geo import GeoError, parse_lat_lng
from linli.orgs.models import Organization
from linli.people.models import Resident
from linli.people.scoping import scope
from linli.places.models import Building, Household

#: A 400 is either ``{"detail", "field"}`` (a rule of the service) or DRF's per-field
#: messages ``{"<field>": ["…"]}`` (malformed input): both are documented, so clients and
#: the schema fuzzing (``benchmarks/fuzz.py``) accept either.
BAD_REQUEST = {
    "oneOf": [
        {"$ref": "#/components/schemas/Error"},
        {
            "type": "object",
            "description": "格式不正确的输入：字段名 → 中文说明列表",
            "additionalProperties": {
                "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]
            },
        },
    ]
}
ERRORS = {
    400: OpenApiResponse(BAD_REQUEST, description="输入有误（field 指出字段，或逐字段说明）"),
    403: OpenApiResponse(s.ErrorSerializer, description="无权执行此操作"),
    404: OpenApiResponse(s.ErrorSerializer, description="事件不存在或不可见"),
    409: OpenApiResponse(s.ErrorSerializer, description="当前状态不允许此操作"),
}
LIST_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, description="状态，如 dispatched"),
    OpenApiParameter("category", OpenApiTypes.STR, description="类别代码（含下级），如 SQ04"),
]


def _row(model: type[Model], pk: int | None, field: str, label: str) -> Any:
    """The row with ``pk`` (None stays None), else CaseInputError naming ``field``."""
    if pk is None:
        return None
    row = model._default_manager.filter(pk=pk).first()
    if row is None or (isinstance(row, User) and not row.is_active):
        raise CaseInputError(f"{label}（ID {pk}）不存在", field=field)
    return row


def action_schema(request: type[Serializer[Any]], summary: str) -> Callable[[Any], Any]:
    return extend_schema(
        summary=summary, request=request, responses={200: s.CaseDetailSerializer, **ERRORS}
    )


class CaseViewSet(viewsets.GenericViewSet[Case]):
    lookup_field = "number"
    lookup_value_regex = r"[0-9A-Za-z-]+"
    serializer_class = s.CaseDetailSerializer

    def get_queryset(self) -> QuerySet[Case]:
        queryset = cases_visible_to(self.request.user)
        if self.action == "list":
            params = self.request.query_params
            if params.get("status"):
                queryset = queryset.filter(status=params["status"])
            if params.get("category"):
                queryset = queryset.filter(category__code__startswith=params["category"])
            return queryset.select_related("category", "area")
        return queryset.select_related("handler", "handler_org", "merged_into").prefetch_related(
            "events", "participants__user", "participants__organization", "photos"
        )

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, CaseError):
            body = {"detail": str(exc)}
            if getattr(exc, "field", ""):
                body["field"] = exc.field  # type: ignore[attr-defined]
            return Response(body, status=exc.http_status)
        if isinstance(exc, GeoError):
            return Response({"detail": str(exc), "field": "location"}, status=400)
        return super().handle_exception(exc)

    def _detail(self, case: Case, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=case.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def _input(self, serializer: type[Serializer[Any]]) -> dict[str, Any]:
        data = serializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)

    @extend_schema(
        summary="可见的事件列表",
        parameters=LIST_PARAMETERS,
        responses={200: s.CaseListSerializer(many=True)},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = s.CaseListSerializer(page, many=True).data
        return self.get_paginated_response(rows)

    @extend_schema(
        summary="事件详情（含时间线）", responses={200: s.CaseDetailSerializer, **ERRORS}
    )
    def retrieve(self, request: Request, number: str | None = None) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="上报事件", request=s.ReportInput, responses={201: s.CaseDetailSerializer, **ERRORS}
    )
    def create(self, request: Request) -> Response:
        data = self._input(s.ReportInput)
        if data["channel"] == CaseChannel.OPEN311:
            raise CaseInputError("Open311 渠道请使用 /open311/v2/ 接口", field="channel")
        category = CaseCategory.objects.filter(code=data["category"], active=True).first()
        if category is None:
            raise CaseInputError(f"类别代码 {data['category']} 不存在或已停用", field="category")
        point = None
        if data["lat"] or data["lng"]:
            point = parse_lat_lng(data["lat"], data["lng"], crs=data["crs"])
        case = services.case_report(
            category=category,
            description=data["description"],
            title=data["title"],
            channel=data["channel"],
            reporter=request.user,  # type: ignore[arg-type]
            reporter_name=data["reporter_name"],
            reporter_phone=data["reporter_phone"],
            point=point,
            building=_row(Building, data["building"], "building", "楼栋"),
            household=_row(Household, data["household"], "household", "户"),
            address=data["address"],
            attributes=data["attributes"],
            photos=data["photos"],
        )
        return self._detail(case, status.HTTP_201_CREATED)

    # --- transitions ----------------------------------------------------------------------

    def _act(self, serializer: type[Serializer[Any]], call: Callable[..., Any]) -> Response:
        case = self.get_object()
        data = self._input(serializer)
        call(case=case, actor=self.request.user, **data)
        return self._detail(case)

    @action_schema(s.NoteInput, "立案")
    @action(detail=True, methods=["post"])
    def register(self, request: Request, number: str | None = None) -> Response:
        return self._act(s.NoteInput, services.case_register)

    @action_schema(s.ReasonInput, "不予立案")
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, number: str | None = None) -> Response:
        return self._act(s.ReasonInput, services.case_reject)

    @action_schema(s.DispatchInput, "派遣（处置人和/或处置单位）")
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_(self, request: Request, number: str | None = None) -> Response:
        # Named dispatch_ because APIView.dispatch is the request entry point.
        def call(*, handler: int | None, handler_org: int | None, **rest: Any) -> Case:
            return services.case_dispatch(
                handler=_row(User, handler, "handler", "处置人"),
                handler_org=_row(Organization, handler_org, "handler_org", "处置单位"),
                **rest,
            )

        return self._act(s.DispatchInput, call)

    @action_schema(s.NoteInput, "接单处置")
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, number: str | None = None) -> Response:
        return self._act(s.NoteInput, services.case_accept)

    @action_schema(s.ReasonInput, "退回")
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, number: str | None = None) -> Response:
        return self._act(s.ReasonInput, services.case_return)

    @action_schema(s.HandleInput, "处置反馈（可带照片）")
    @action(detail=True, methods=["post"])
    def handle(self, request: Request, number: str | None = None) -> Response:
        return self._act(s.HandleInput, services.case_handle)

    @action_schema(s.VerifyInput, "核查（passed=false 为不通过，退回处置）")
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, number: str | None = None) -> Response:
        return self._act(s.VerifyInput, services.case_verify)

    @action_schema(s.NoteInput, "结案")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, number: str | None = None) -> Response:
        return self._act(s.NoteInput, services.case_close)

    @action_schema(s.SuspendInput, "挂账")
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, number: str | None = None) -> Response:
        return self._act(s.SuspendInput, services.case_suspend)

    @action_schema(s.NoteInput, "恢复办理")
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, number: str | None = None) -> Response:
        return self._act(s.NoteInput, services.case_resume)

    @action_schema(s.MergeInput, "合并到另一事件")
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, number: str | None = None) -> Response:
        def call(*, into: str, **rest: Any) -> Case:
            target = cases_visible_to(self.request.user).filter(number=into.strip()).first()
            if target is None:
                raise CaseInputError(f"目标事件 {into} 不存在或不可见", field="into")
            return services.case_merge(into=target, **rest)

        return self._act(s.MergeInput, call)

    @action_schema(s.ReasonInput, "重新打开")
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, number: str | None = None) -> Response:
        return self._act(s.ReasonInput, services.case_reopen)

    @action_schema(s.RateInput, "满意度评价")
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, number: str | None = None) -> Response:
        return self._act(s.RateInput, services.case_rate)

    @action_schema(s.ReasonInput, "暂停计时（等待居民）")
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, number: str | None = None) -> Response:
        return self._act(s.ReasonInput, services.case_pause)

    @action_schema(s.NoteInput, "恢复计时")
    @action(detail=True, methods=["post"])
    def unpause(self, request: Request, number: str | None = None) -> Response:
        return self._act(s.NoteInput, services.case_unpause)

    @action_schema(s.RequiredNoteInput, "备注（可带照片）")
    @action(detail=True, methods=["post"])
    def note(self, request: Request, number: str | None = None) -> Response:
        return self._act(s.RequiredNoteInput, services.case_add_note)

    @action_schema(s.ParticipantInput, "增加参与方")
    @action(detail=True, methods=["post"])
    def participants(self, request: Request, number: str | None = None) -> Response:
        def call(
            *, user: int | None, organization: int | None, resident: int | None, **rest: Any
        ) -> Any:
            residents = scope(Resident.objects.all(), self.request.user)
            found = residents.filter(pk=resident).first() if resident is not None else None
            if resident is not None and found is None:
                raise CaseInputError(
                    f"居民（ID {resident}）不存在或不在管辖范围内", field="resident"
                )
            return services.case_add_participant(
                user=_row(User, user, "user", "账号"),
                organization=_row(Organization, organization, "organization", "单位"),
                resident=found,
                **rest,
            )

        return self._act(s.ParticipantInput, call)

    @action_schema(s.WitnessedInput, "记录见证处置（如破门，民警见证）")
    @action(detail=True, methods=["post"])
    def witnessed(self, request: Request, number: str | None = None) -> Response:
        def call(*, witness: int | None, **rest: Any) -> Any:
            return services.case_record_witnessed_action(
                witness=_row(User, witness, "witness", "见证人"), **rest
            )

        return self._act(s.WitnessedInput, call)
