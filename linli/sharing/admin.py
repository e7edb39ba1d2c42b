"""Back office for parking; venue bookings are registered in :mod:`linli.sharing.admin_venues`.

Permission matrix (V view, A add, C change, D delete; rows scoped by the lot's community
through :class:`~linli.common.admin_base.ScopedAdmin`; a superuser may do everything):

* ParkingLot: street/community admins VACD, with the action 生成道闸密钥 (the key is shown
  once in the message; only its SHA-256 is kept); grid leaders, grid workers and
  dispatchers V.
* ParkingSpace (weekly shared windows inline) and Vehicle (plate checked by
  :func:`linli.sharing.plates.parse`): the same.
* Booking (its events inline) and GateEvent: read-only for everyone (written by the
  services and the gate API only).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from linli.common.admin_base import (
    ADMIN_ROLES,
    FULL,
    VIEW,
    ScopedAdmin,
    ScopedHistoryAdmin,
    ScopedInline,
    role_table,
)
from linli.people.models import Role
from linli.sharing import admin_venues  # noqa: F401
from linli.sharing.errors import SharingError
from linli.sharing.gate import gate_key_issue
from linli.sharing.models import (
    Booking,
    BookingEvent,
    GateEvent,
    ParkingLot,
    ParkingSpace,
    SpaceWindow,
    Vehicle,
)
from linli.sharing.plates import PlateError, parse

HELPER_ROLES = {Role.GRID_LEADER, Role.GRID_WORKER, Role.DISPATCHER}
PARKING_PERMISSIONS = role_table((ADMIN_ROLES, FULL), (HELPER_ROLES, VIEW))
RECORD_PERMISSIONS = role_table(({*ADMIN_ROLES, *HELPER_ROLES}, VIEW))


@admin.register(ParkingLot)
class ParkingLotAdmin(ScopedHistoryAdmin):
    role_permissions = PARKING_PERMISSIONS
    list_display = ["name", "code", "area", "fen_per_hour", "grace_minutes", "has_key", "active"]
    list_filter = ["active"]
    list_select_related = ["area"]
    search_fields = ["name", "code"]
    actions = ["issue_gate_key"]

    @admin.display(boolean=True, description="已设道闸密钥")
    def has_key(self, lot: ParkingLot) -> bool:
        return bool(lot.gate_key_hash)

    @admin.action(description="生成道闸密钥", permissions=["change"])
    def issue_gate_key(self, request: HttpRequest, queryset: QuerySet[ParkingLot]) -> None:
        for lot in queryset:
            try:
                key = gate_key_issue(actor=request.user, lot=lot)
            except SharingError as exc:
                self.message_user(request, f"{lot.name}：{exc}", messages.ERROR)
                continue
            self.message_user(
                request,
                f"{lot.name}（{lot.code}）的新道闸密钥：{key} —— 只显示这一次，请立即填入道闸"
                "相机的 X-Gate-Key；旧密钥已失效（其他服务进程内最迟 5 秒）。",
                messages.WARNING,
            )


class SpaceWindowInline(ScopedInline):
    model = SpaceWindow
    fields = ["weekday", "start", "end"]


@admin.register(ParkingSpace)
class ParkingSpaceAdmin(ScopedHistoryAdmin):
    role_permissions = PARKING_PERMISSIONS
    area_field = "lot__area"
    inlines = [SpaceWindowInline]
    list_display = ["number", "lot", "owner", "kind", "active"]
    list_filter = ["kind", "active"]
    list_select_related = ["lot", "owner"]
    search_fields = ["number", "lot__name", "owner__name"]
    raw_id_fields = ["owner"]


class VehicleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Vehicle
        fields = ["owner", "plate", "new_energy", "note"]

    def clean_plate(self) -> str:
        try:
            parsed = parse(self.cleaned_data.get("plate") or "")
        except PlateError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return parsed.number


@admin.register(Vehicle)
class VehicleAdmin(ScopedAdmin):
    role_permissions = PARKING_PERMISSIONS
    area_field = "owner__area"
    form = VehicleForm
    list_display = ["plate", "owner", "new_energy", "note"]
    list_filter = ["new_energy"]
    list_select_related = ["owner"]
    search_fields = ["plate", "owner__name"]
    raw_id_fields = ["owner"]


class ReadOnlyMixin:
    """Rows written by the services and the gate only: shown, never edited here."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BookingEventInline(ReadOnlyMixin, ScopedInline):
    model = BookingEvent
    fields = ["at", "from_status", "to_status", "actor", "note"]
    readonly_fields = ["at", "from_status", "to_status", "actor", "note"]
    can_delete = False
    max_num = 0


class RecordAdmin(ReadOnlyMixin, ScopedAdmin):
    role_permissions = RECORD_PERMISSIONS

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.concrete_fields if f.name != "id"]


@admin.register(Booking)
class BookingAdmin(RecordAdmin):
    area_field = "space__lot__area"
    inlines = [BookingEventInline]
    list_display = ["plate", "space", "starts_at", "ends_at", "status", "price_fen"]
    list_filter = ["status"]
    list_select_related = ["space__lot"]
    search_fields = ["plate", "space__number"]
    date_hierarchy = "starts_at"


@admin.register(GateEvent)
class GateEventAdmin(RecordAdmin):
    area_field = "lot__area"
    list_display = ["at", "lot", "plate", "direction", "allowed", "reason"]
    list_filter = ["direction", "allowed"]
    list_select_related = ["lot"]
    search_fields = ["plate"]
    date_hierarchy = "at"
