"""API shapes of cases: the case as seen by a staff user, and the input of each action.

Phones of reporters and participants are masked. Photos are linked by their EXIF-free
public copy only. Input serializers only parse; every rule lives in the services.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from linli.cases import permissions
from linli.cases.models import (
    Case,
    CaseChannel,
    CaseEvent,
    CaseParticipant,
    CasePhoto,
    ParticipantRole,
)
from linli.common.pii import mask_phone


class ErrorSerializer(serializers.Serializer[Any]):
    """An error answer: a Chinese ``detail``; ``field`` names the offending input (400)."""

    detail = serializers.CharField()
    field = serializers.CharField(required=False)


class EventSerializer(serializers.ModelSerializer[CaseEvent]):
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    # Plain strings: the same choices as Case.status under other names would be a second enum.
    from_status = serializers.CharField(read_only=True, help_text="原状态（同 status 取值）")
    to_status = serializers.CharField(read_only=True, help_text="新状态（同 status 取值）")

    class Meta:
        model = CaseEvent
        fields = [
            "action",
            "action_label",
            "actor_label",
            "at",
            "from_status",
            "to_status",
            "note",
            "witness_name",
            "data",
        ]


class ParticipantSerializer(serializers.ModelSerializer[CaseParticipant]):
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    display_name = serializers.SerializerMethodField()
    organization_name = serializers.CharField(
        source="organization.name", allow_null=True, default=None, read_only=True
    )
    phone = serializers.SerializerMethodField()

    class Meta:
        model = CaseParticipant
        fields = ["id", "role", "role_label", "display_name", "user", "organization_name", "phone"]

    def get_display_name(self, row: CaseParticipant) -> str:
        if row.name:
            return row.name
        if row.user is not None:
            return row.user.get_full_name() or row.user.get_username()
        return row.organization.name if row.organization else ""

    def get_phone(self, row: CaseParticipant) -> str:
        return mask_phone(row.phone)


class PhotoSerializer(serializers.ModelSerializer[CasePhoto]):
    url = serializers.SerializerMethodField()

    class Meta:
        model = CasePhoto
        fields = ["id", "url", "event", "uploaded_at"]

    def get_url(self, row: CasePhoto) -> str:
        return row.public_image.url if row.public_image else ""


class CaseListSerializer(serializers.ModelSerializer[Case]):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    category_code = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    area_code = serializers.CharField(source="area.code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = Case
        fields = [
            "number",
            "title",
            "status",
            "status_label",
            "priority",
            "channel",
            "category_code",
            "category_name",
            "area_code",
            "area_name",
            "address",
            "due_at",
            "paused_at",
            "escalation_level",
            "created_at",
        ]


class CaseDetailSerializer(CaseListSerializer):
    """A case with its timeline, participants, public photos and the caller's actions."""

    lat = serializers.FloatField(allow_null=True, read_only=True)
    lng = serializers.FloatField(allow_null=True, read_only=True)
    reporter_phone = serializers.SerializerMethodField()
    handler_label = serializers.SerializerMethodField()
    handler_org_name = serializers.CharField(
        source="handler_org.name", allow_null=True, default=None, read_only=True
    )
    merged_into = serializers.CharField(
        source="merged_into.number", allow_null=True, default=None, read_only=True
    )
    events = EventSerializer(many=True, read_only=True)
    participants = ParticipantSerializer(many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField(
        help_text="调用者按权限可执行的动作（不含状态检查）"
    )

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "description",
            "attributes",
            "lat",
            "lng",
            "reporter_name",
            "reporter_phone",
            "handler_label",
            "handler_org_name",
            "stage_started_at",
            "paused_seconds",
            "suspend_review_on",
            "merged_into",
            "reopen_count",
            "closed_at",
            "satisfaction",
            "satisfaction_note",
            "events",
            "participants",
            "photos",
            "allowed_actions",
        ]

    def get_reporter_phone(self, case: Case) -> str:
        return mask_phone(case.reporter_phone)

    def get_handler_label(self, case: Case) -> str:
        if case.handler is None:
            return ""
        return case.handler.get_full_name() or case.handler.get_username()

    def get_allowed_actions(self, case: Case) -> list[str]:
        return permissions.allowed_actions(self.context["request"].user, case)


# --- input ------------------------------------------------------------------------------------


class ReportInput(serializers.Serializer[Any]):
    """``POST /api/cases/``: where (lat/lng, a building or a household) and what."""

    category = serializers.CharField(max_length=12, help_text="类别代码，如 SQ04")
    description = serializers.CharField(max_length=20000, help_text="≤ 4000 字，HTML 会被去除")
    title = serializers.CharField(max_length=400, required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(
        choices=CaseChannel.choices,
        default=CaseChannel.GRID_PATROL,
        help_text="open311 只用于 /open311/v2/ 接口",
    )
    lat = serializers.CharField(required=False, allow_blank=True, default="")
    lng = serializers.CharField(required=False, allow_blank=True, default="")
    crs = serializers.ChoiceField(choices=["wgs84", "gcj02"], default="wgs84")
    building = serializers.IntegerField(required=False, allow_null=True, default=None)
    household = serializers.IntegerField(required=False, allow_null=True, default=None)
    address = serializers.CharField(max_length=800, required=False, allow_blank=True, default="")
    reporter_name = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default=""
    )
    reporter_phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default=""
    )
    attributes = serializers.DictField(required=False, default=dict)
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=9
    )


def _note(label: str = "说明", *, required: bool = False) -> serializers.CharField:
    """Free text; the services strip HTML and apply the real limits (4,000 / 1,000)."""
    if required:
        return serializers.CharField(max_length=20000, label=label)
    return serializers.CharField(
        max_length=20000, required=False, allow_blank=True, default="", label=label
    )


def _photos() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=9
    )


class NoteInput(serializers.Serializer[Any]):
    note = _note()


class RequiredNoteInput(serializers.Serializer[Any]):
    note = _note("备注", required=True)
    photos = _photos()


class ReasonInput(serializers.Serializer[Any]):
    reason = _note("理由", required=True)


class DispatchInput(serializers.Serializer[Any]):
    handler = serializers.IntegerField(required=False, allow_null=True, default=None)
    handler_org = serializers.IntegerField(required=False, allow_null=True, default=None)
    note = _note()


class HandleInput(serializers.Serializer[Any]):
    note = _note("处置反馈", required=True)
    photos = _photos()


class VerifyInput(serializers.Serializer[Any]):
    passed = serializers.BooleanField(default=True)
    note = _note()
    photos = _photos()


class SuspendInput(serializers.Serializer[Any]):
    reason = _note("挂账理由", required=True)
    review_on = serializers.DateField()


class MergeInput(serializers.Serializer[Any]):
    into = serializers.CharField(max_length=24, help_text="目标事件编号")
    note = _note()


class RateInput(serializers.Serializer[Any]):
    satisfaction = serializers.IntegerField(help_text="1–5 分")
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ParticipantInput(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=ParticipantRole.choices)
    user = serializers.IntegerField(required=False, allow_null=True, default=None)
    organization = serializers.IntegerField(required=False, allow_null=True, default=None)
    resident = serializers.IntegerField(required=False, allow_null=True, default=None)
    name = serializers.CharField(max_length=400, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    note = _note()


class WitnessedInput(serializers.Serializer[Any]):
    action_text = _note("处置内容", required=True)
    witness = serializers.IntegerField(required=False, allow_null=True, default=None)
    witness_name = serializers.CharField(
        max_length=400, required=False, allow_blank=True, default=""
    )
    photos = _photos()
