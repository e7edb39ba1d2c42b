"""Back office for gateways, devices, device events and dead letters (scoped by area).

Permissions (roles from :class:`linli.people.models.Role`; V view, A add, C change, D delete):

* Gateway: street/community admins VACD. The key is shown once, when the gateway is created
  or its key regenerated (action "重新生成签名密钥"); afterwards only its ciphertext exists.
* Device: street/community admins VACD; grid roles VAC; dispatcher, emergency team V.
* DeviceEvent: read-only for the same roles that may view devices.
* DeadLetter: read-only for street admins (messages that named no known device have no area,
  so they cannot be scoped below the street).
* MonitoringConsent: admins and grid roles VAC (a consent is evidence: it is withdrawn,
  never deleted); dispatcher, emergency team V. See docs/privacy.md.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

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
from linli.devices.models import (
    DeadLetter,
    Device,
    DeviceEvent,
    DeviceKind,
    Gateway,
    MonitoringConsent,
)
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
CONSENT_PERMISSIONS = role_table(
    (ADMIN_ROLES | GRID_ROLES, EDIT), ({Role.DISPATCHER, Role.EMERGENCY_TEAM}, VIEW)
)

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


class MonitoringConsentForm(forms.ModelForm):  # type: ignore[type-arg]
    """The same checks as :func:`linli.people.privacy.consent_record`, in Chinese."""

    class Meta:
        model = MonitoringConsent
        fields = [
            "household",
            "given_by",
            "given_by_relation",
            "kinds",
            "given_at",
            "evidence",
            "withdrawn_at",
        ]

    def clean_given_at(self) -> Any:
        given_at = self.cleaned_data["given_at"]
        if given_at and given_at > timezone.now():
            raise forms.ValidationError("同意时间不能晚于现在。")
        return given_at

    def clean_kinds(self) -> Any:
        kinds = self.cleaned_data["kinds"] or []
        if not isinstance(kinds, list):
            raise forms.ValidationError('设备类型应是列表，例如 ["door_sensor"]。')
        unknown = sorted(set(map(str, kinds)) - set(DeviceKind.values))
        if unknown:
            raise forms.ValidationError(f"不认识的设备类型：{'、'.join(unknown)}。")
        return kinds


@admin.register(MonitoringConsent)
class MonitoringConsentAdmin(ScopedAdmin):
    """Consents to device monitoring; the household page (``privacy:household``) is the
    everyday way to record them, this list is for review and search."""

    area_field = "household__building__micro_grid"
    role_permissions = CONSENT_PERMISSIONS
    form = MonitoringConsentForm
    list_display = ["household", "given_by_relation", "given_at", "evidence", "withdrawn_at"]
    list_filter = [*area_filters("household__building__micro_grid"), "withdrawn_at"]
    list_select_related = ["household__building"]
    search_fields = ["evidence", "given_by_relation"]
    autocomplete_fields = ["household", "given_by"]
    readonly_fields = ["recorded_by"]
    date_hierarchy = "given_at"

    def save_model(
        self, request: HttpRequest, obj: MonitoringConsent, form: Any, change: bool
    ) -> None:
        if not change:
            obj.recorded_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
