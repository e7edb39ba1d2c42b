"""Back office for the security audit log: read-only for everyone, even superusers.

A superuser sees every event; a street admin sees the events of staff assigned under their
street (and their own). Nobody may add, change or delete a row: the log is written only by
:func:`linli.audit.services.record` and shortened only by ``linli audit purge``. The
「导出 Excel」 action downloads the selected events with their hashes (and is itself
recorded by the export middleware).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest

from linli.audit.exports import xlsx_file
from linli.audit.models import AuditEvent
from linli.common.admin_base import VIEW, role_table, user_may
from linli.people.models import Assignment, Role
from linli.people.scoping import scope

AUDIT_PERMISSIONS = role_table(({Role.STREET_ADMIN}, VIEW))


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["seq", "at", "kind", "actor_label", "ip", "summary"]
    list_filter = ["kind", "at"]
    search_fields = ["actor_label", "summary"]
    date_hierarchy = "at"
    actions = ["export_xlsx"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        staff = scope(Assignment.objects.all(), request.user).values("user")
        return queryset.filter(Q(actor__in=staff) | Q(actor=request.user.pk))

    @admin.action(description="导出 Excel（含哈希，可复核）")
    def export_xlsx(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> FileResponse:
        who = request.user.get_username()
        return xlsx_file(queryset.order_by("seq"), [f"导出人：{who}"])

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts: Any, object_id: str):  # type: ignore[no-untyped-def]
        raise Http404("记录不存在或不在您的管辖范围内")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, AUDIT_PERMISSIONS, "view")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
