"""Back office of proactive care: watches, away periods, alerts with their trail.

Read-only for everyone, superusers included: every write goes through
:mod:`linli.care.services` (the care pages at ``/care/`` and ``/me/away/``), which keep
the live silence clock, the device cache and the alert trail consistent — an admin edit
would bypass all three. Rows are scoped to the user's areas like every registry admin
(:class:`~linli.common.admin_base.ScopedAdmin`); an alert's trail is shown inline and
can never be edited or deleted.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from linli.care.models import AlertStep, AwayPeriod, CareAlert, Watch
from linli.common.admin_base import VIEW, ScopedInline, area_filters, role_table
from linli.devices.admin import ReadOnlyScopedAdmin
from linli.people.models import SENSITIVE_ROLES

#: The roles of the care pages (linli.care.views.may_use_care) may look, nobody may edit.
CARE_PERMISSIONS = role_table((SENSITIVE_ROLES, VIEW))


@admin.register(Watch)
class WatchAdmin(ReadOnlyScopedAdmin):
    area_field = "resident__area"
    role_permissions = CARE_PERMISSIONS
    list_display = ["resident", "reason", "active", "last_sign_at", "due_at", "routine_days"]
    list_filter = [*area_filters("resident__area"), "reason", "active"]
    list_select_related = ["resident"]
    search_fields = ["resident__name"]
    exclude = ["tolerance", "profile"]


@admin.register(AwayPeriod)
class AwayPeriodAdmin(ReadOnlyScopedAdmin):
    area_field = "resident__area"
    role_permissions = CARE_PERMISSIONS
    list_display = ["resident", "starts_at", "ends_at", "ended_at", "end_reason", "announced_by"]
    list_filter = [*area_filters("resident__area"), "end_reason"]
    list_select_related = ["resident", "announced_by"]
    search_fields = ["resident__name", "note"]
    date_hierarchy = "starts_at"


class AlertStepInline(ScopedInline):
    model = AlertStep
    fields = ["at", "action", "actor", "note"]
    readonly_fields = ["at", "action", "actor", "note"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CareAlert)
class CareAlertAdmin(ReadOnlyScopedAdmin):
    role_permissions = CARE_PERMISSIONS
    list_display = ["raised_at", "kind", "resident", "household", "status", "outcome", "case"]
    list_filter = [*area_filters("area"), "kind", "status", "outcome"]
    list_select_related = ["resident", "household__building", "case"]
    search_fields = ["resident__name", "detail"]
    date_hierarchy = "raised_at"
    exclude = ["source_key"]
    inlines = [AlertStepInline]
