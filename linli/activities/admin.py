"""Back office for venues, activities, registrations and attendance (Chinese UI).

Permission matrix (V view, A add, C change, D delete; rows scoped by area through
:class:`~linli.common.admin_base.ScopedAdmin`; a superuser may do everything):

* Venue (weekly windows inline), scoped by the venue's area: street/community admins
  VACD; grid leaders, grid workers and dispatchers V.
* Activity (sessions inline), scoped by the activity's area: street/community admins VC
  (title, summary, contact and the like — capacity, status, sessions and registrations
  change through the organiser pages ``/activities/manage/``, whose services keep the
  waitlist and the venue rules); grid leaders, grid workers, dispatchers V. Nobody adds
  or deletes here: creating checks venue windows and clashes (the organiser pages).
* Registration and Attendance: read-only for street/community admins and dispatchers
  (written by the services only); phones masked.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from linli.activities.models import Activity, Attendance, Registration, Session, Venue, VenueWindow
from linli.common.admin_base import (
    ADMIN_ROLES,
    FULL,
    VIEW,
    ScopedAdmin,
    ScopedHistoryAdmin,
    ScopedInline,
    area_filters,
    masked_display,
    role_table,
)
from linli.people.models import Role

HELPER_ROLES = {Role.GRID_LEADER, Role.GRID_WORKER, Role.DISPATCHER}
VENUE_PERMISSIONS = role_table((ADMIN_ROLES, FULL), (HELPER_ROLES, VIEW))
ACTIVITY_PERMISSIONS = role_table(
    (ADMIN_ROLES, frozenset({"view", "change"})), (HELPER_ROLES, VIEW)
)
RECORD_PERMISSIONS = role_table(({*ADMIN_ROLES, Role.DISPATCHER}, VIEW))


class VenueWindowInline(ScopedInline):
    model = VenueWindow
    fields = ["weekday", "start", "end"]


@admin.register(Venue)
class VenueAdmin(ScopedHistoryAdmin):
    role_permissions = VENUE_PERMISSIONS
    inlines = [VenueWindowInline]
    list_display = ["name", "area", "organization", "capacity", "active"]
    list_filter = ["active", *area_filters("area")]
    list_select_related = ["area", "organization"]
    search_fields = ["name", "organization__name"]
    autocomplete_fields = ["organization"]
    raw_id_fields = ["facility", "building"]


class ReadOnlyInline(ScopedInline):
    """Rows written by services only: shown, never edited here."""

    can_delete = False
    max_num = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SessionInline(ReadOnlyInline):
    model = Session
    fields = ["starts_at", "ends_at", "title", "cancelled"]
    readonly_fields = ["starts_at", "ends_at", "title", "cancelled"]


#: Activity fields only the services change (capacity promotes, status moves, venue rules).
SERVICE_FIELDS = [
    "area",
    "venue",
    "capacity",
    "waitlist_limit",
    "audience",
    "min_age",
    "max_age",
    "fee_fen",
    "fee_scheme",
    "status",
    "organiser",
    "organiser_kind",
    "created_by",
]


@admin.register(Activity)
class ActivityAdmin(ScopedHistoryAdmin):
    role_permissions = ACTIVITY_PERMISSIONS
    inlines = [SessionInline]
    list_display = ["title", "kind", "status", "venue", "organiser", "capacity", "area"]
    list_filter = ["status", "kind", "audience", *area_filters("area")]
    list_select_related = ["venue", "organiser", "area"]
    search_fields = ["title", "organiser__name", "venue__name"]
    filter_horizontal = ["invited_orgs"]
    readonly_fields = SERVICE_FIELDS

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RecordAdmin(ScopedAdmin):
    """Read-only for everyone, superusers included: written by the services only."""

    role_permissions = RECORD_PERMISSIONS

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.concrete_fields if f.name != "id"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Registration)
class RegistrationAdmin(RecordAdmin):
    area_field = "activity__area"
    masked_phone_fields = ("phone", "guardian_phone")
    list_display = ["name", "activity", "status", "phone_masked", "organization", "created_at"]
    list_filter = ["status", *area_filters("activity__area")]
    list_select_related = ["activity", "organization"]
    search_fields = ["name", "activity__title"]
    exclude = ["token", "person_key"]

    phone_masked = masked_display("phone", "联系电话")
    guardian_phone_masked = masked_display("guardian_phone", "监护人电话")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        hidden = {"id", "token", "person_key", *self.masked_phone_fields}
        fields = [f.name for f in Registration._meta.concrete_fields if f.name not in hidden]
        return [*fields, "phone_masked", "guardian_phone_masked"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_readonly_fields(request, obj)


@admin.register(Attendance)
class AttendanceAdmin(RecordAdmin):
    area_field = "registration__activity__area"
    list_display = ["registration", "session", "checked_in_at", "method", "checked_in_by"]
    list_filter = ["method", *area_filters("registration__activity__area")]
    list_select_related = ["registration", "session__activity", "checked_in_by"]
    search_fields = ["registration__name", "session__activity__title"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("registration", "session")
