"""Back office for the place registry: areas, buildings, households, facilities.

Scoping and role permissions come from :mod:`linli.common.admin_base`; the permission
matrix for every registry model is in :mod:`linli.people.admin`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, IntegerField, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from linli.common.admin_base import (
    ADMIN_ROLES,
    EDIT,
    FULL,
    GRID_ROLES,
    VIEW,
    ScopedAdmin,
    area_filters,
    role_table,
)
from linli.people.models import Role
from linli.places.models import Area, Building, Facility, Household

#: Roles that look places up for their work (addresses, dispatch, policing, property).
PLACE_READERS = {Role.DISPATCHER, Role.EMERGENCY_TEAM, Role.POLICE, Role.PROPERTY_STAFF}

AREA_PERMISSIONS = role_table((ADMIN_ROLES, EDIT), (GRID_ROLES, VIEW), (PLACE_READERS, VIEW))
BUILDING_PERMISSIONS = role_table((ADMIN_ROLES, FULL), (GRID_ROLES, VIEW), (PLACE_READERS, VIEW))
HOUSEHOLD_PERMISSIONS = role_table((ADMIN_ROLES, FULL), (GRID_ROLES, EDIT), (PLACE_READERS, VIEW))
FACILITY_PERMISSIONS = role_table(
    (ADMIN_ROLES, FULL),
    (GRID_ROLES, VIEW),
    (PLACE_READERS, VIEW),
    ({Role.PROVIDER_STAFF, Role.SOCIAL_ENTERPRISE_STAFF}, VIEW),
)


def count_of(model: type[Model], fk: str) -> Coalesce:
    """Correlated ``COUNT(*)`` of ``model`` rows pointing at the outer row through ``fk``.

    A subquery rather than ``Count()`` + ``GROUP BY``: the database counts only for the
    page of rows shown (measured: household list of a 13,000-household street).
    """
    counted = (
        model._default_manager.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class AreaAdminForm(forms.ModelForm):
    """Area form; ``require_parent`` is set for non-superusers so no one escapes their scope."""

    require_parent = False

    class Meta:
        model = Area
        fields = ["kind", "code", "name", "parent", "boundary"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.require_parent and not self.instance.pk and not cleaned.get("parent"):
            self.add_error("parent", "请选择您管辖范围内的上级区域")
        return cleaned


@admin.register(Area)
class AreaAdmin(ScopedAdmin):
    """Areas under the user's own; code, kind and parent are fixed once created (path)."""

    form = AreaAdminForm
    area_field = ""
    role_permissions = AREA_PERMISSIONS
    list_display = ["name", "code", "kind", "parent", "child_count"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    fields = ["kind", "code", "name", "parent", "boundary", "path"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(child_count=count_of(Area, "parent"))

    @admin.display(description="下级区域数", ordering="child_count")
    def child_count(self, obj: Any) -> int:
        return int(obj.child_count)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = [*super().get_readonly_fields(request, obj), "path"]
        if obj is not None:
            readonly += ["kind", "code", "parent"]
        return readonly

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change, **kwargs)
        require = not request.user.is_superuser
        return type(form.__name__, (form,), {"require_parent": require})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.path = obj.build_path()  # as linli.places.services.area_create does
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)


@admin.register(Building)
class BuildingAdmin(ScopedAdmin):
    area_field = "micro_grid"
    role_permissions = BUILDING_PERMISSIONS
    list_display = ["name", "kind", "micro_grid", "floors", "address", "household_count"]
    list_filter = [*area_filters("micro_grid"), "kind"]
    list_select_related = ["micro_grid"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["micro_grid"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super().get_queryset(request).annotate(household_count=count_of(Household, "building"))
        )

    @admin.display(description="户数", ordering="household_count")
    def household_count(self, obj: Any) -> int:
        return int(obj.household_count)


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    area_field = "building__micro_grid"
    role_permissions = HOUSEHOLD_PERMISSIONS
    list_display = ["__str__", "building", "unit", "room", "head", "member_count"]
    list_filter = [*area_filters("building__micro_grid")]
    list_select_related = ["building__micro_grid", "head"]
    search_fields = ["building__name", "unit", "room"]
    autocomplete_fields = ["building", "head"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request).select_related("building", "head")
        from linli.people.models import Resident

        return queryset.annotate(member_count=count_of(Resident, "household"))

    @admin.display(description="人数", ordering="member_count")
    def member_count(self, obj: Any) -> int:
        return int(obj.member_count)


@admin.register(Facility)
class FacilityAdmin(ScopedAdmin):
    role_permissions = FACILITY_PERMISSIONS
    list_display = ["name", "kind", "area", "building", "opening_hours", "phone"]
    list_filter = [*area_filters("area"), "kind"]
    list_select_related = ["area", "building"]
    search_fields = ["name"]
    autocomplete_fields = ["area", "building"]
