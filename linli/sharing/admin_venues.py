"""Back office for venue booking rules and bookings.

Permission matrix (V view, A add, C change, D delete; rows scoped by the venue's
community through :class:`~linli.common.admin_base.ScopedAdmin`; a superuser may do
everything):

* VenueBookingRule: street/community admins VACD (the same people set rules on
  ``/venues/manage/``); grid leaders, grid workers and dispatchers V.
* VenueBooking (its events inline): read-only for everyone — requests, approval and
  cancellation go through the services (:mod:`linli.sharing.venues`), which keep the
  windows, the approval flow and the no-overlap guarantee.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from linli.common.admin_base import ADMIN_ROLES, FULL, VIEW, ScopedAdmin, ScopedInline, role_table
from linli.people.models import Role
from linli.sharing.models import VenueBooking, VenueBookingEvent, VenueBookingRule

HELPER_ROLES = {Role.GRID_LEADER, Role.GRID_WORKER, Role.DISPATCHER}
RULE_PERMISSIONS = role_table((ADMIN_ROLES, FULL), (HELPER_ROLES, VIEW))
BOOKING_PERMISSIONS = role_table(({*ADMIN_ROLES, *HELPER_ROLES}, VIEW))


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VenueBookingRule)
class VenueBookingRuleAdmin(ScopedAdmin):
    role_permissions = RULE_PERMISSIONS
    area_field = "venue__area"
    list_display = ["venue", "bookers", "needs_approval", "max_hours", "advance_days"]
    list_filter = ["bookers", "needs_approval"]
    list_select_related = ["venue"]
    search_fields = ["venue__name"]
    autocomplete_fields = ["venue"]


class VenueBookingEventInline(_ReadOnly, ScopedInline):
    model = VenueBookingEvent
    fields = ["at", "from_status", "to_status", "actor", "note"]
    readonly_fields = ["at", "from_status", "to_status", "actor", "note"]
    can_delete = False
    max_num = 0


@admin.register(VenueBooking)
class VenueBookingAdmin(_ReadOnly, ScopedAdmin):
    role_permissions = BOOKING_PERMISSIONS
    area_field = "venue__area"
    inlines = [VenueBookingEventInline]
    list_display = ["venue", "purpose", "starts_at", "ends_at", "status", "attendees"]
    list_filter = ["status"]
    list_select_related = ["venue"]
    search_fields = ["venue__name", "purpose", "organization__name", "resident__name"]
    date_hierarchy = "starts_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.concrete_fields if f.name != "id"]
