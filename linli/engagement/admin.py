"""Back office for the service menu, building councils and needs (Chinese UI).

Permission matrix (V view, A add, C change, D delete; rows scoped by their ``area``,
:func:`linli.people.scoping.scope`; a superuser may do everything):

* MenuItem (点菜单): street/community admins VAC; grid leaders, grid workers and
  dispatchers V. Items are retired (``上架`` unticked), never deleted: needs point at them.
* CouncilMeeting (楼事会, attendance inline): street/community admins VACD; grid
  leaders and grid workers VAC; dispatchers V.
* Need (问需清单, events inline): the same staff roles V — read-only for everyone,
  superusers included: every move goes through :func:`~linli.engagement.services.need_transition`
  on the staff pages (``/engagement/``), which checks the state machine and writes the event.

The policies admin lives in :mod:`linli.engagement.admin_policies` (another module).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from linli.common.admin_base import (
    ADMIN_ROLES,
    EDIT,
    FULL,
    VIEW,
    ScopedHistoryAdmin,
    ScopedInline,
    area_filters,
    role_table,
)
from linli.eligibility.money import yuan
from linli.engagement.models import CouncilAttendance, CouncilMeeting, MenuItem, Need, NeedEvent
from linli.people.models import Role
from linli.places.models import AreaKind

STAFF = {Role.GRID_LEADER, Role.GRID_WORKER, Role.DISPATCHER}
MENU_PERMISSIONS = role_table((ADMIN_ROLES, EDIT), (STAFF, VIEW))
COUNCIL_PERMISSIONS = role_table(
    (ADMIN_ROLES, FULL), ({Role.GRID_LEADER, Role.GRID_WORKER}, EDIT), ({Role.DISPATCHER}, VIEW)
)
NEED_PERMISSIONS = role_table((ADMIN_ROLES | STAFF, VIEW))


class CommunityFkMixin:
    """The ``area`` choice offers communities only (menus and councils are per community)."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        if db_field.name == "area" and field is not None:
            field.queryset = field.queryset.filter(kind=AreaKind.COMMUNITY)
        return field


@admin.register(MenuItem)
class MenuItemAdmin(CommunityFkMixin, ScopedHistoryAdmin):
    area_field = "area"
    role_permissions = MENU_PERMISSIONS
    list_display = [
        "name",
        "category",
        "area",
        "provider",
        "capacity",
        "lead_days",
        "fee",
        "active",
    ]
    list_filter = ["active", "category", *area_filters("area")]
    list_select_related = ["area", "provider"]
    search_fields = ["name", "description", "deliverer"]

    @admin.display(description="费用")
    def fee(self, obj: MenuItem) -> str:
        return yuan(obj.fee_fen) if obj.fee_fen else "免费"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttendanceInline(ScopedInline):
    model = CouncilAttendance
    fields = ["organization", "person_name", "present"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CouncilAttendance]:
        return super().get_queryset(request).select_related("organization")


@admin.register(CouncilMeeting)
class CouncilMeetingAdmin(CommunityFkMixin, ScopedHistoryAdmin):
    area_field = "area"
    role_permissions = COUNCIL_PERMISSIONS
    inlines = [AttendanceInline]
    list_display = ["title", "held_at", "area", "venue", "recorded_by"]
    list_filter = [*area_filters("area")]
    list_select_related = ["area", "recorded_by"]
    search_fields = ["title", "agenda", "minutes"]
    date_hierarchy = "held_at"
    filter_horizontal = ["buildings"]
    readonly_fields = ["recorded_by"]

    def save_model(
        self, request: HttpRequest, obj: CouncilMeeting, form: Any, change: bool
    ) -> None:
        if not change:
            obj.recorded_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


class NeedEventInline(ScopedInline):
    model = NeedEvent
    fields = ["at", "from_status", "to_status", "actor", "note"]
    readonly_fields = ["at", "from_status", "to_status", "actor", "note"]
    can_delete = False
    max_num = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[NeedEvent]:
        return super().get_queryset(request).select_related("actor")


@admin.register(Need)
class NeedAdmin(ScopedHistoryAdmin):
    """Needs of the user's areas: list with filters, search by number, read-only pages."""

    area_field = "area"
    role_permissions = NEED_PERMISSIONS
    inlines = [NeedEventInline]
    list_display = [
        "number",
        "title",
        "organization",
        "category",
        "urgency",
        "headcount",
        "status",
        "created_at",
        "rating",
    ]
    list_filter = ["status", "category", "urgency", *area_filters("area")]
    list_select_related = ["organization", "resident", "area"]
    search_fields = ["number", "title", "organization__name"]
    search_help_text = "按编号（XQ + 年份 + 序号）、需求或单位名称搜索"
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in Need._meta.concrete_fields if f.name != "id"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


from linli.engagement import admin_policies  # noqa: E402,F401  (registers Policy and PolicyMatch)
