"""Back office for group robots, deliveries and in-app notifications.

* Group robots: street/community admins add, change and delete the robots of their areas;
  grid leaders view them. The signing secret is typed into a password field, stored
  encrypted and never shown again (leave it empty to keep the stored one). The webhook
  key is shown cut to 4 characters in the list. "发送测试消息" sends a test message.
* Deliveries: read-only for admins and grid leaders of the area; "重新发送" starts a
  failed or dead delivery again.
* In-app notifications: superusers only (they are personal inboxes).
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from linli.common.admin_base import ADMIN_ROLES, FULL, VIEW, ScopedAdmin, role_table
from linli.common.pii import encrypt, mask_phone
from linli.notify import services
from linli.notify.models import Delivery, GroupRobot, Notification
from linli.people.models import Role
from linli.people.scoping import roles

ROBOT_PERMISSIONS = role_table((ADMIN_ROLES, FULL), ([Role.GRID_LEADER], VIEW))
DELIVERY_FIELDS = (
    "channel",
    "target",
    "area",
    "kind",
    "content",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "sent_at",
    "created_at",
)
DELIVERY_PERMISSIONS = role_table((ADMIN_ROLES, VIEW), ([Role.GRID_LEADER], VIEW))


class GroupRobotForm(forms.ModelForm):  # type: ignore[type-arg]
    webhook_url = forms.URLField(
        label="Webhook 地址",
        max_length=500,
        assume_scheme="https",
        help_text="在群设置 → 群机器人中复制的完整地址",
    )
    secret = forms.CharField(
        label="加签密钥",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="钉钉机器人“加签”安全设置下以 SEC 开头的字符串；加密保存。"
        "修改时留空表示保留原密钥。企业微信机器人留空。",
    )
    clear_secret = forms.BooleanField(label="清除已保存的加签密钥", required=False)

    class Meta:
        model = GroupRobot
        fields = ["area", "kind", "name", "webhook_url", "secret", "keyword", "active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            data["secret"] = services.group_robot_secret_check(
                kind=data.get("kind", ""), secret=data.get("secret", "")
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return data

    def save(self, commit: bool = True) -> GroupRobot:
        robot: GroupRobot = super().save(commit=False)
        if self.cleaned_data.get("clear_secret"):
            robot.secret_encrypted = ""
        if self.cleaned_data.get("secret"):
            robot.secret_encrypted = encrypt(self.cleaned_data["secret"])
        if commit:
            robot.save()
        return robot


@admin.register(GroupRobot)
class GroupRobotAdmin(ScopedAdmin):
    form = GroupRobotForm
    role_permissions = ROBOT_PERMISSIONS
    list_display = ["name", "kind", "area", "masked_url", "has_secret", "keyword", "active"]
    list_filter = ["kind", "active"]
    list_select_related = ["area"]
    search_fields = ["name", "area__name"]
    autocomplete_fields = ["area"]
    actions = ["send_test"]

    @admin.display(description="Webhook 地址")
    def masked_url(self, robot: GroupRobot) -> str:
        return robot.masked_url

    @admin.display(description="已设加签", boolean=True)
    def has_secret(self, robot: GroupRobot) -> bool:
        return bool(robot.secret_encrypted)

    @admin.action(description="发送测试消息")
    def send_test(self, request: HttpRequest, queryset: QuerySet[GroupRobot]) -> None:
        for robot in queryset.select_related("area"):
            services.group_robot_test(robot=robot)
        self.message_user(
            request, "测试消息已排队发送，请在群里查看，结果见“消息投递”。", messages.SUCCESS
        )


@admin.register(Delivery)
class DeliveryAdmin(ScopedAdmin):
    role_permissions = DELIVERY_PERMISSIONS
    list_display = ["created_at", "channel", "target", "kind", "status", "attempts", "last_error"]
    list_filter = ["status", "channel"]
    list_select_related = ["area"]
    search_fields = ["target", "kind"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    fields = readonly_fields = DELIVERY_FIELDS

    @admin.display(description="发送内容")
    def content(self, delivery: Delivery) -> str:
        """The message without the full phone number (the payload keeps it for sending)."""
        payload = dict(delivery.payload)
        if "phone" in payload:
            payload["phone"] = mask_phone(payload["phone"])
        return json.dumps(payload, ensure_ascii=False, indent=1)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not (request.user.is_superuser or ADMIN_ROLES & roles(request.user)):
            actions.pop("retry", None)
        return actions

    @admin.action(description="重新发送")
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        done, refused = 0, []
        for delivery in queryset:
            try:
                services.delivery_retry(delivery=delivery)
                done += 1
            except ValidationError as exc:
                refused.append(f"{delivery}：{exc.messages[0]}")
        if done:
            self.message_user(request, f"已重新排队 {done} 条。", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["created_at", "user", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "user__username"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
