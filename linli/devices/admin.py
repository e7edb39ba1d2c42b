"""Back office for gateways, devices, device events and dead letters (scoped by area).

Permissions (roles from :class:`linli.people.models.Role`; V view, A add, C change, D delete):

* Gateway: street/community admins VACD. The key is shown once, when the gateway is created
  or its key regenerated (action "重新生成签名密钥"); afterwards only its ciphertext exists.
* Device: street/community admins VACD; grid roles VAC; dispatcher, emergency team V.
* DeviceEvent: read-only for the same roles that may view devices.
* DeadLetter: read-only for street admins (messages that named no known device have no area,
  so they cannot be scoped below the street).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
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
    user_may,
)
from linli.devices.models import DeadLetter, Device, DeviceEvent, Gateway
from linli.devices.services import gateway_create, gateway_rotate_secret
from linli.people.models import Role

GATEWAY_PERMISSIONS = role_table((ADMIN_ROLES, FULL))
DEVICE_PERMISSIONS = role_table(
    (ADMIN_ROLES, FULL), (GRID_ROLES, EDIT), ({Role.DISPATCHER, Role.EMERGENCY_TEAM}, VIEW)
)
EVENT_PERMISSIONS = role_table(
    (ADMIN_ROLES | GRID_ROLES, VIEW), ({Role.DISPATCHER, Role.EMERGENCY_TEAM}, VIEW)
)
DEAD_LETTER_PERMISSIONS = role_table(({Role.STREET_ADMIN}, VIEW))

SECRET_SHOWN_ONCE = "网关 {key} 的签名密钥（只显示这一次，请立即配置到网关）：{secret}"


@admin.register(Gateway)
class GatewayAdmin(ScopedAdmin):
    role_permissions = GATEWAY_PERMISSIONS
    list_display = ["name", "key_id", "area", "active", "created_at"]
    list_filter = [*area_filters("area"), "active"]
    search_fields = ["name", "key_id"]
    fields = ["area", "name", "key_id", "active"]
    actions = ["rotate_secret"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["key_id"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Gateway, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        gateway, secret = gateway_create(area=obj.area, name=obj.name, key_id=obj.key_id)
        obj.pk, obj.secret_encrypted = gateway.pk, gateway.secret_encrypted
        messages.warning(request, SECRET_SHOWN_ONCE.format(key=gateway.key_id, secret=secret))

    @admin.action(description="重新生成签名密钥（旧密钥立即失效）")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Gateway]) -> None:
        if not self.has_change_permission(request):
            return
        for gateway in queryset:
            secret = gateway_rotate_secret(gateway=gateway)
            messages.warning(request, SECRET_SHOWN_ONCE.format(key=gateway.key_id, secret=secret))


@admin.register(Device)
class DeviceAdmin(ScopedAdmin):
    area_field = "household__building__micro_grid"
    role_permissions = DEVICE_PERMISSIONS
    list_display = ["external_id", "vendor", "kind", "household", "resident", "gateway", "active"]
    list_filter = [*area_filters("household__building__micro_grid"), "kind", "vendor", "active"]
    list_select_related = ["household__building", "resident", "gateway"]
    search_fields = ["external_id", "vendor", "model"]
    autocomplete_fields = ["household", "resident", "building", "gateway"]


class ReadOnlyScopedAdmin(ScopedAdmin):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DeviceEvent)
class DeviceEventAdmin(ReadOnlyScopedAdmin):
    area_field = "device__household__building__micro_grid"
    role_permissions = EVENT_PERMISSIONS
    list_display = ["ts", "device", "kind", "value", "event_id", "received_at"]
    list_filter = ["kind"]
    list_select_related = ["device"]
    search_fields = ["device__external_id", "event_id"]
    date_hierarchy = "ts"
    # Counting a partitioned table of millions of rows on every page is slow.
    show_full_result_count = False


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["received_at", "channel", "source", "code", "reason"]
    list_filter = ["channel", "code"]
    search_fields = ["source", "payload"]
    date_hierarchy = "received_at"
    show_full_result_count = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, DEAD_LETTER_PERMISSIONS, "view")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
