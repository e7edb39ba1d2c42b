"""Back office for the PII access log: read-only for everyone, even superusers.

Street and community admins see the reveals of residents in their areas; a superuser sees
all. Nobody may add, change or delete a row (PIPL art. 51 accountability).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from linli.common.admin_base import ADMIN_ROLES, VIEW, role_table, user_may
from linli.common.models import PiiAccessLog
from linli.people.models import Resident
from linli.people.scoping import scope

PII_LOG_PERMISSIONS = role_table((ADMIN_ROLES, VIEW))


@admin.register(PiiAccessLog)
class PiiAccessLogAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["at", "user", "subject_label", "fields", "purpose"]
    list_filter = ["subject_type", "at"]
    list_select_related = ["user"]
    search_fields = ["subject_label", "user__username", "purpose"]
    date_hierarchy = "at"
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        residents = scope(Resident.objects.all(), request.user).values("pk")
        return queryset.filter(subject_type="resident", subject_id__in=residents)

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts: Any, object_id: str):  # type: ignore[no-untyped-def]
        from django.http import Http404

        raise Http404("记录不存在或不在您的管辖范围内")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, PII_LOG_PERMISSIONS, "view")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- working calendar overrides (linli.common.workcalendar) ------------------------------

from simple_history.admin import SimpleHistoryAdmin  # noqa: E402

from linli.common.admin_base import FULL  # noqa: E402
from linli.common.models import CalendarOverride  # noqa: E402
from linli.common.workcalendar import package_is_workday  # noqa: E402
from linli.people.models import Role  # noqa: E402

# The calendar is city-wide, not per area: street admins maintain it, community admins
# read it (it decides their cases' deadlines).
CALENDAR_PERMISSIONS = role_table((ADMIN_ROLES, VIEW), ({Role.STREET_ADMIN}, FULL))
WEEKDAYS_ZH = "一二三四五六日"


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    """Dates the administrator rules on; they beat the chinesecalendar package."""

    list_display = ["date", "weekday", "is_workday", "package_says", "note", "updated_at"]
    list_filter = ["is_workday"]
    search_fields = ["note"]
    date_hierarchy = "date"
    fields = ["date", "is_workday", "note"]

    @admin.display(description="星期")
    def weekday(self, obj: CalendarOverride) -> str:
        return f"周{WEEKDAYS_ZH[obj.date.weekday()]}"

    @admin.display(description="节假日库（chinesecalendar）")
    def package_says(self, obj: CalendarOverride) -> str:
        verdict = package_is_workday(obj.date)
        if verdict is None:
            return "未收录该年（按周一至周五）"
        return "上班" if verdict else "放假"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, CALENDAR_PERMISSIONS, "view")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return user_may(request, CALENDAR_PERMISSIONS, "add")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, CALENDAR_PERMISSIONS, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, CALENDAR_PERMISSIONS, "delete")
