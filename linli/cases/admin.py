"""Back office for cases: the category tree, cases (read-only), participants, Open311 keys.

Permission matrix (roles from :class:`linli.people.models.Role`; every right on cases and
participants only inside the user's areas, via :class:`~linli.common.admin_base.ScopedAdmin`):

* Categories — street_admin: view, add, change; community_admin, dispatcher: view.
  Nobody deletes (cases refer to them; deactivate instead).
* Cases and participants — street/community admins, dispatchers, grid roles: view only.
  Nobody, not even a superuser, adds, edits or deletes a case here: every change goes
  through a transition service (case pages, REST API), which checks the state and writes
  the timeline.
* Open311 keys — superusers only (create, rename, deactivate; never delete, so old
  requests keep their source). A new key is shown once, on the page after creation;
  only its keyed hash and first 8 characters are stored.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from linli.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseEvent,
    CaseParticipant,
    CasePhoto,
    Open311Key,
)
from linli.cases.open311.keys import open311_key_create
from linli.common.admin_base import (
    ADMIN_ROLES,
    EDIT,
    GRID_ROLES,
    VIEW,
    ScopedAdmin,
    ScopedInline,
    area_filters,
    masked_display,
    role_table,
    user_may,
)
from linli.people.models import Role

CATEGORY_PERMISSIONS = role_table(
    ({Role.COMMUNITY_ADMIN, Role.DISPATCHER}, VIEW),
    ({Role.STREET_ADMIN}, EDIT),
)
CASE_PERMISSIONS = role_table((ADMIN_ROLES | GRID_ROLES | {Role.DISPATCHER}, VIEW))
HOUR = 3600
STAGES = ("register", "dispatch", "handle", "verify")
STAGE_LABELS = {"register": "立案", "dispatch": "派遣", "handle": "处置", "verify": "核查"}


def hours(seconds: int) -> str:
    """``5400`` → ``"1.5"`` (hours, at most two decimals, no trailing zeros)."""
    return f"{seconds / HOUR:.2f}".rstrip("0").rstrip(".")


# --- categories ------------------------------------------------------------------------------


def hours_field(stage: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=f"{STAGE_LABELS[stage]}时限（小时）",
        min_value=Decimal("0.01"),
        max_value=Decimal("10000"),
        decimal_places=2,
        help_text="按工作时间计时时，一个工作日 = 7 小时；否则为自然时间",
    )


class CategoryForm(forms.ModelForm):  # type: ignore[type-arg]
    """Stage limits are edited in hours (decimals allowed) and stored in seconds."""

    register_hours = hours_field("register")
    dispatch_hours = hours_field("dispatch")
    handle_hours = hours_field("handle")
    verify_hours = hours_field("verify")

    class Meta:
        model = CaseCategory
        fields = [
            "code",
            "name",
            "parent",
            "kind",
            "description",
            "priority",
            "active",
            "working_time",
            "default_role",
            "default_org",
            "open311_public",
            "open311_attributes",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for stage in STAGES:
            self.fields[f"{stage}_hours"].initial = hours(self.instance.limit_for(stage))

    def save(self, commit: bool = True) -> CaseCategory:
        for stage in STAGES:
            seconds = round(self.cleaned_data[f"{stage}_hours"] * HOUR)
            setattr(self.instance, f"{stage}_limit", seconds)
        category: CaseCategory = super().save(commit=commit)
        return category


@admin.register(CaseCategory)
class CaseCategoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = CategoryForm
    list_display = [
        "tree_name",
        "code",
        "kind",
        "priority",
        "working_time",
        "register_hours",
        "dispatch_hours",
        "handle_hours",
        "verify_hours",
        "default_role",
        "active",
    ]
    list_display_links = ["tree_name"]
    list_filter = ["kind", "priority", "working_time", "active"]
    search_fields = ["code", "name"]
    ordering = ["code"]
    list_per_page = 200

    @admin.display(description="名称", ordering="code")
    def tree_name(self, obj: CaseCategory) -> str:
        depth = max(0, (len(obj.code) - 4) // 2)  # SJ01 top level, SJ0101 one level down
        return ("\u3000" * 2 * depth) + ("└ " if depth else "") + obj.name

    def _hours(stage: str) -> Any:  # type: ignore[misc]
        @admin.display(description=f"{STAGE_LABELS[stage]}（小时）")
        def show(self: Any, obj: CaseCategory) -> str:
            return hours(obj.limit_for(stage))

        return show

    register_hours = _hours("register")
    dispatch_hours = _hours("dispatch")
    handle_hours = _hours("handle")
    verify_hours = _hours("verify")
    del _hours

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        main = ["code", "name", "parent", "kind", "description", "priority", "active"]
        limits = ["working_time", *[f"{stage}_hours" for stage in STAGES]]
        handler = ["default_role", "default_org"]
        open311 = ["open311_public", "open311_attributes"]
        return [
            (None, {"fields": main}),
            ("时限", {"fields": limits}),
            ("默认处置", {"fields": handler}),
            ("Open311", {"fields": open311}),
        ]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, CATEGORY_PERMISSIONS, "view")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return user_may(request, CATEGORY_PERMISSIONS, "add")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, CATEGORY_PERMISSIONS, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


# --- cases ---------------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = "是否超时"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "已超时"), ("no", "未超时")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        overdue = {
            "status__in": OPEN_STATUSES,
            "due_at__lt": timezone.now(),
            "paused_at__isnull": True,
        }
        if self.value() == "yes":
            return queryset.filter(**overdue)
        if self.value() == "no":
            return queryset.exclude(**overdue)
        return queryset


class TopCategoryFilter(admin.SimpleListFilter):
    """A top-level category and everything under it (codes share the prefix)."""

    title = "类别"
    parameter_name = "category"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        tops = CaseCategory.objects.filter(parent__isnull=True).only("code", "name")
        return [(c.code, f"{c.code} {c.name}") for c in tops]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(category__code__startswith=self.value())
        return queryset


class ReadOnlyInline(ScopedInline):
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(ReadOnlyInline):
    model = CaseEvent
    verbose_name_plural = "时间线"
    fields = ["at", "action", "actor_label", "from_status", "to_status", "note", "witness_name"]
    readonly_fields = [
        "at",
        "action",
        "actor_label",
        "from_status",
        "to_status",
        "note",
        "witness_name",
    ]
    ordering = ["at", "id"]


class ParticipantInline(ReadOnlyInline):
    model = CaseParticipant
    fk_name = "case"
    fields = ["role", "user", "organization", "name", "phone"]
    readonly_fields = ["role", "user", "organization", "name", "phone"]
    masked_phone_fields = ["phone"]
    phone_masked = masked_display("phone", "电话")


class PhotoInline(ReadOnlyInline):
    model = CasePhoto
    fields = ["public_image", "event", "uploaded_by", "uploaded_at"]
    readonly_fields = ["public_image", "event", "uploaded_by", "uploaded_at"]


@admin.register(Case)
class CaseAdmin(ScopedAdmin):
    role_permissions = CASE_PERMISSIONS
    list_display = [
        "number",
        "title",
        "status",
        "category",
        "area",
        "channel",
        "due_at",
        "is_overdue",
    ]
    list_filter = [
        "status",
        TopCategoryFilter,
        *area_filters("area"),
        "channel",
        OverdueFilter,
        "priority",
    ]
    search_fields = ["number", "title"]
    date_hierarchy = "created_at"
    list_select_related = ["category", "area"]
    inlines = [EventInline, ParticipantInline, PhotoInline]
    masked_phone_fields = ["reporter_phone"]
    reporter_phone_masked = masked_display("reporter_phone", "上报人电话")
    exclude = ["status_before_suspend"]

    @admin.display(description="超时", boolean=True)
    def is_overdue(self, obj: Case) -> bool:
        return bool(
            obj.is_open and obj.paused_at is None and obj.due_at and obj.due_at < timezone.now()
        )

    # Read-only for everyone: changes go through the transition services.
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CaseParticipant)
class CaseParticipantAdmin(ScopedAdmin):
    area_field = "case__area"
    role_permissions = CASE_PERMISSIONS
    list_display = ["case", "role", "name", "user", "organization", "phone_masked"]
    list_filter = ["role"]
    search_fields = ["case__number", "name"]
    list_select_related = ["case", "user", "organization"]
    masked_phone_fields = ["phone"]
    phone_masked = masked_display("phone", "电话")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Open311 keys ---------------------------------------------------------------------------


class Open311KeyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Open311Key
        fields = ["name", "active"]


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = Open311KeyForm
    list_display = ["name", "key_prefix", "active", "last_used_at", "created_at"]
    list_filter = ["active"]
    readonly_fields = ["key_prefix", "last_used_at"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["name"] if obj is None else ["name", "key_prefix", "active", "last_used_at"]

    def save_model(self, request: HttpRequest, obj: Open311Key, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        row, key = open311_key_create(name=form.cleaned_data["name"])
        obj.pk, obj.key_prefix, obj.key_hash = row.pk, row.key_prefix, row.key_hash
        request._linli_new_open311_key = key  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: Open311Key, post_url_continue: str | None = None
    ) -> HttpResponse:
        # The key is rendered into this one response and never stored anywhere else
        # (not in the session or a message cookie).
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Open311 接口密钥已创建",
            "row": obj,
            "key": getattr(request, "_linli_new_open311_key", ""),
        }
        response = TemplateResponse(request, "admin/cases/open311key/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
