"""Read-only API representations of the registry. Identity numbers and phones are masked.

Full numbers leave the server only through ``POST /api/residents/{id}/reveal/``
(:func:`linli.people.services.pii_reveal`, which logs the view). Sensitive care tags
(:data:`linli.people.selectors.SENSITIVE_TAGS`) are omitted for users without
``can_view_sensitive``.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from linli.common.pii import mask_phone
from linli.orgs.models import Organization
from linli.people.models import CARE_TAGS, Resident
from linli.people.scoping import can_view_sensitive
from linli.people.selectors import SENSITIVE_TAGS
from linli.places.models import Area, Building, Facility, Household


class AreaSerializer(serializers.ModelSerializer[Area]):
    parent_code = serializers.CharField(source="parent.code", allow_null=True, read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Area
        fields = ["id", "code", "name", "kind", "kind_label", "parent_code", "path"]


class AreaCountsSerializer(serializers.Serializer[Any]):
    """Head counts of one area, rolled up over its subtree."""

    residents = serializers.IntegerField()
    households = serializers.IntegerField()
    aged60 = serializers.IntegerField(help_text="60 岁及以上（按上海时区当天计算）")
    living_alone = serializers.IntegerField()
    disabled = serializers.IntegerField(required=False, help_text="仅对有敏感信息权限的用户返回")
    dibao = serializers.IntegerField(required=False, help_text="仅对有敏感信息权限的用户返回")
    enterprises = serializers.IntegerField()


class AreaNodeSerializer(serializers.Serializer[Any]):
    """One node of ``/api/areas/tree/``; ``counts`` is null for a context-only ancestor."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    parent_code = serializers.CharField(allow_null=True)
    depth = serializers.IntegerField()
    counts = AreaCountsSerializer(allow_null=True)


class BuildingSerializer(serializers.ModelSerializer[Building]):
    micro_grid_code = serializers.CharField(source="micro_grid.code", read_only=True)

    class Meta:
        model = Building
        fields = ["id", "name", "kind", "floors", "address", "lat", "lng", "micro_grid_code"]


class HouseholdSerializer(serializers.ModelSerializer[Household]):
    building_name = serializers.CharField(source="building.name", read_only=True)
    micro_grid_code = serializers.CharField(source="building.micro_grid.code", read_only=True)

    class Meta:
        model = Household
        fields = ["id", "building", "building_name", "unit", "room", "micro_grid_code"]


class ResidentSerializer(serializers.ModelSerializer[Resident]):
    """A resident with the identity number and phone masked; no birth date (it is part
    of the identity number, which the mask hides)."""

    age = serializers.SerializerMethodField()
    phone_masked = serializers.SerializerMethodField()
    area_code = serializers.CharField(source="area.code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    household_label = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()

    class Meta:
        model = Resident
        fields = [
            "id",
            "name",
            "sex",
            "age",
            "id_number_masked",
            "phone_masked",
            "area_code",
            "area_name",
            "household",
            "household_label",
            "relation_to_head",
            "residence_type",
            "tags",
        ]

    @cached_property
    def _today(self) -> dt.date:
        return timezone.localdate()

    @cached_property
    def _sensitive(self) -> bool:
        request = self.context.get("request")
        return bool(request and can_view_sensitive(request.user))

    def get_age(self, resident: Resident) -> int:
        return resident.age(self._today)

    def get_phone_masked(self, resident: Resident) -> str:
        return mask_phone(resident.phone)

    def get_household_label(self, resident: Resident) -> str:
        return str(resident.household) if resident.household else ""

    def get_tags(self, resident: Resident) -> list[str]:
        """Care-tag field names set on the resident (sensitive ones only if permitted)."""
        return [
            name
            for name, _ in CARE_TAGS
            if getattr(resident, name) and (self._sensitive or name not in SENSITIVE_TAGS)
        ]


class PiiRevealSerializer(serializers.Serializer[Any]):
    """The unmasked identity number and phone of one resident (each reveal is logged)."""

    id_number = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)


class RevealRequestSerializer(serializers.Serializer[Any]):
    purpose = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="查看用途，记入查看记录"
    )


class OrganizationSerializer(serializers.ModelSerializer[Organization]):
    area_code = serializers.CharField(source="area.code", read_only=True)
    building_name = serializers.CharField(source="building.name", read_only=True, default="")
    contact_phone_masked = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "kind",
            "uscc",
            "area_code",
            "building",
            "building_name",
            "room",
            "industry",
            "employee_count",
            "contact_name",
            "contact_phone_masked",
        ]

    def get_contact_phone_masked(self, organization: Organization) -> str:
        return mask_phone(organization.contact_phone)


class FacilitySerializer(serializers.ModelSerializer[Facility]):
    area_code = serializers.CharField(source="area.code", read_only=True)

    class Meta:
        model = Facility
        fields = [
            "id",
            "name",
            "kind",
            "area_code",
            "building",
            "lat",
            "lng",
            "opening_hours",
            "phone",
        ]
