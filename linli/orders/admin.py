"""Back office for the service catalogue, providers, workers and shifts (Chinese UI).

Permission matrix (V view, A add, C change, D delete; rows scoped by the provider
organisation's area, :func:`linli.people.scoping.scope`; a superuser may do everything):

* Skill, ServiceType (one catalogue for the whole deployment, not area-scoped):
  street_admin, community_admin VAC; dispatcher, provider_staff, social_enterprise_staff V.
* ProviderProfile: street/community admins VACD; dispatcher, provider_staff,
  social_enterprise_staff V.
* Worker (with skills and certificates inline), Shift: street/community admins VACD;
  provider_staff, social_enterprise_staff VAC; dispatcher V.
* Order (offers and events inline), scoped by the order's area: street/community admins
  and dispatchers V — read-only for everyone, superusers included, since every change
  goes through a service that writes the event trail (the staff pages ``/orders/``).
  The stored quote (its reasons may name 低保、残疾) only with ``can_view_sensitive``.

Phones are masked as everywhere in the back office. Shifts are checked for overlap and
certified skills for a certificate number and expiry with the same rules as
:mod:`linli.orders.services`; locations are read-only (written by the worker's phone).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from linli.common.admin_base import (
    ADMIN_ROLES,
    EDIT,
    FULL,
    VIEW,
    PiiMaskedForm,
    ScopedAdmin,
    ScopedHistoryAdmin,
    ScopedInline,
    area_filters,
    masked_display,
    role_table,
    user_may,
)
from linli.orders.models import (
    Offer,
    Order,
    OrderEvent,
    ProviderProfile,
    ServiceType,
    Shift,
    Skill,
    Worker,
    WorkerSkill,
)
from linli.orders.services import provider_check, shift_conflicts, worker_skill_check
from linli.orgs.models import Organization
from linli.people.models import Assignment, Role
from linli.people.scoping import can_view_sensitive, scope
from linli.places.models import Area

PROVIDER_ROLES = {Role.PROVIDER_STAFF, Role.SOCIAL_ENTERPRISE_STAFF}
CATALOG_PERMISSIONS = role_table((ADMIN_ROLES, EDIT), ({Role.DISPATCHER, *PROVIDER_ROLES}, VIEW))
PROVIDER_PERMISSIONS = role_table((ADMIN_ROLES, FULL), ({Role.DISPATCHER, *PROVIDER_ROLES}, VIEW))
WORKER_PERMISSIONS = role_table(
    (ADMIN_ROLES, FULL), (PROVIDER_ROLES, EDIT), ({Role.DISPATCHER}, VIEW)
)


class CatalogAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Deployment-wide catalogue rows: permissions from roles, no area scoping."""

    role_permissions = CATALOG_PERMISSIONS

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, self.role_permissions, "view") or user_may(
            request, self.role_permissions, "change"
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return user_may(request, self.role_permissions, "add")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, self.role_permissions, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, self.role_permissions, "delete")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


@admin.register(Skill)
class SkillAdmin(CatalogAdmin):
    list_display = ["code", "name", "needs_certificate"]
    search_fields = ["code", "name"]


class ServiceTypeForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ServiceType
        fields = [
            "code",
            "name",
            "description",
            "variants",
            "skills",
            "workers_needed",
            "workers_max",
            "default_duration_s",
            "mode",
            "list_price_fen",
            "scheme",
            "pickup_kind",
            "pickup_ready_s",
            "active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "pickup_ready_s" in self.fields:
            self.fields["pickup_ready_s"].required = False  # empty = ready at once (0 s)

    def clean_pickup_ready_s(self) -> int:
        return int(self.cleaned_data.get("pickup_ready_s") or 0)

    def clean_variants(self) -> list[dict[str, str]]:
        variants = self.cleaned_data.get("variants") or []
        ok = isinstance(variants, list) and all(
            isinstance(v, dict) and set(v) == {"code", "name"} and all(v.values()) for v in variants
        )
        if not ok:
            raise ValidationError(
                "服务形式应为列表，每项含 code 和 name，"
                '例如 [{"code": "delivery", "name": "送餐上门"}]'
            )
        return variants


@admin.register(ServiceType)
class ServiceTypeAdmin(CatalogAdmin):
    form = ServiceTypeForm
    list_display = [
        "code",
        "name",
        "mode",
        "workers_needed",
        "default_duration_s",
        "list_price_fen",
        "scheme",
        "pickup_kind",
        "active",
    ]
    list_filter = ["mode", "pickup_kind", "active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["skills"]


def _scoped_areas(request: HttpRequest) -> QuerySet[Area]:
    return scope(Area.objects.all(), request.user, area_field="")


class ProviderProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ProviderProfile
        fields = ["organization", "service_types", "areas", "capacity_per_day", "active"]

    def clean_organization(self) -> Organization:
        organization: Organization = self.cleaned_data["organization"]
        try:
            provider_check(organization)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["organization"]) from None
        return organization


@admin.register(ProviderProfile)
class ProviderProfileAdmin(ScopedHistoryAdmin):
    form = ProviderProfileForm
    area_field = "organization__area"
    role_permissions = PROVIDER_PERMISSIONS
    list_display = ["organization", "capacity_per_day", "active"]
    list_filter = ["active", "service_types", *area_filters("organization__area")]
    list_select_related = ["organization"]
    search_fields = ["organization__name"]
    autocomplete_fields = ["organization"]
    filter_horizontal = ["service_types", "areas"]

    def restrict(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return own_providers_only(request, queryset, "organization")

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "areas":
            kwargs["queryset"] = _scoped_areas(request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class WorkerSkillForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = WorkerSkill
        fields = ["skill", "certificate_no", "issuer", "valid_until"]

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        if self.instance.skill_id is None:
            return
        try:
            worker_skill_check(self.instance)
        except ValidationError as exc:
            self.add_error(None, exc)


class WorkerSkillInline(ScopedInline):
    model = WorkerSkill
    form = WorkerSkillForm


class WorkerForm(PiiMaskedForm):
    masked_phone_fields = ("phone",)

    class Meta:
        model = Worker
        fields = ["provider", "user", "name", "phone", "travel_mode", "status", "active"]


#: Roles that work for one provider: in the back office they manage that provider only.
PROVIDER_SIDE_ROLES = frozenset({Role.PROVIDER_STAFF, Role.SOCIAL_ENTERPRISE_STAFF})


def own_providers_only(request: HttpRequest, queryset: QuerySet[Any], lookup: str) -> QuerySet[Any]:
    """``queryset`` limited to the user's own organisations (``lookup`` leads from the row to
    an Organization) when all their roles are provider-side: a caregiver or a provider's
    office never sees or edits another provider's people, shifts or profile."""
    user = request.user
    if getattr(user, "is_superuser", False):
        return queryset
    assignments = Assignment.objects.filter(user_id=user.pk or 0)
    if assignments.exclude(role__in=PROVIDER_SIDE_ROLES).exists():
        return queryset
    orgs = assignments.filter(organization__isnull=False).values("organization_id")
    return queryset.filter(**{f"{lookup}__in": orgs})


@admin.register(Worker)
class WorkerAdmin(ScopedAdmin):
    form = WorkerForm
    area_field = "provider__organization__area"
    role_permissions = WORKER_PERMISSIONS
    masked_phone_fields = ("phone",)
    inlines = [WorkerSkillInline]
    list_display = ["name", "provider", "phone_masked", "travel_mode", "status", "last_ping_at"]
    list_filter = ["status", "travel_mode", "active", *area_filters("provider__organization__area")]
    list_select_related = ["provider__organization"]
    search_fields = ["name", "provider__organization__name"]
    readonly_fields = ["last_lat", "last_lng", "last_accuracy_m", "last_ping_at"]
    raw_id_fields = ["user"]

    phone_masked = masked_display("phone", "手机号")

    def restrict(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return own_providers_only(request, queryset, "provider__organization")


class ShiftForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Shift
        fields = ["worker", "date", "weekday", "start", "end"]

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        shift = self.instance
        if self.errors or shift.worker_id is None:
            return
        for clash in shift_conflicts(shift):
            day = clash.date.isoformat() if clash.date else clash.get_weekday_display()
            self.add_error(None, f"与已有排班重叠：{day} {clash.start:%H:%M}–{clash.end:%H:%M}")


@admin.register(Shift)
class ShiftAdmin(ScopedAdmin):
    form = ShiftForm
    area_field = "worker__provider__organization__area"
    role_permissions = WORKER_PERMISSIONS
    list_display = ["worker", "date", "weekday", "start", "end"]
    list_filter = ["weekday", *area_filters("worker__provider__organization__area")]
    list_select_related = ["worker"]
    search_fields = ["worker__name"]
    date_hierarchy = "date"

    def restrict(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return own_providers_only(request, queryset, "worker__provider__organization")


# --- orders (read-only) ---------------------------------------------------------------------

ORDER_PERMISSIONS = role_table(({*ADMIN_ROLES, Role.DISPATCHER}, VIEW))


class ReadOnlyInline(ScopedInline):
    """Inline rows shown, never edited: they are written by services only."""

    can_delete = False
    max_num = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OfferInline(ReadOnlyInline):
    model = Offer
    fields = ["worker", "status", "offered_at", "expires_at", "responded_at", "eta", "planned"]
    readonly_fields = [
        "worker",
        "status",
        "offered_at",
        "expires_at",
        "responded_at",
        "eta",
        "planned",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Offer]:
        return super().get_queryset(request).select_related("worker")


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "worker", "note"]
    readonly_fields = ["at", "action", "from_status", "to_status", "actor", "worker", "note"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderEvent]:
        return super().get_queryset(request).select_related("actor", "worker")


@admin.register(Order)
class OrderAdmin(ScopedAdmin):
    """Orders of the user's areas: list with filters, search by number, read-only pages."""

    area_field = "area"
    role_permissions = ORDER_PERMISSIONS
    inlines = [OfferInline, OrderEventInline]
    list_display = [
        "number",
        "service_type",
        "resident",
        "status",
        "channel",
        "placed_at",
        "arrival_minutes",
        "area",
    ]
    list_filter = ["status", "channel", "service_type", *area_filters("area")]
    list_select_related = ["service_type", "resident", "area"]
    search_fields = ["number"]
    search_help_text = "按订单号搜索（FW + 下单日期 + 序号，可输入一部分）"
    date_hierarchy = "placed_at"
    ordering = ["-placed_at", "-pk"]

    @admin.display(description="下单→到达（分钟）")
    def arrival_minutes(self, obj: Order) -> str:
        seconds = obj.arrival_seconds
        return "-" if seconds is None else f"{seconds / 60:.0f}"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = [f for f in super().get_fields(request, obj) if f != "quote"]
        if can_view_sensitive(request.user):
            fields.append("quote")
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in Order._meta.concrete_fields if f.name != "id"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
