"""Notifications: the in-app inbox, external delivery attempts and group-robot webhooks.

One call to :func:`linli.notify.services.notify` writes a :class:`Notification` per user
(the in-app inbox) and a :class:`Delivery` per external target (a WeCom or DingTalk group
robot, a phone for SMS, an e-mail address), all in the caller's transaction; background
tasks send the deliveries after commit (see ``docs/notifications.md``).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models

from linli.places.models import Area


class Channel(models.TextChoices):
    INAPP = "inapp", "站内消息"
    WECOM = "wecom", "企业微信群机器人"
    DINGTALK = "dingtalk", "钉钉群机器人"
    SMS = "sms", "短信"
    EMAIL = "email", "电子邮件"


#: Channels that post to the group robots configured for an area.
ROBOT_CHANNELS = frozenset({Channel.WECOM, Channel.DINGTALK})


class Notification(models.Model):
    """One message in a user's in-app inbox; ``read_at`` is NULL until read."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name="接收人",
    )
    kind = models.CharField("类型", max_length=50, help_text="如 case.dispatched")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=500, blank=True)
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="关联对象类型"
    )
    subject_id = models.PositiveBigIntegerField("关联对象 ID", null=True, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内消息"
        verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notify_inbox_unread")]

    def __str__(self) -> str:
        return self.title


class RobotKind(models.TextChoices):
    WECOM = Channel.WECOM.value, Channel.WECOM.label
    DINGTALK = Channel.DINGTALK.value, Channel.DINGTALK.label


#: kind → (settings name of the allowed webhook base URL, required query parameter).
_WEBHOOK_RULES = {
    RobotKind.WECOM: ("NOTIFY_WECOM_WEBHOOK_BASE", "key"),
    RobotKind.DINGTALK: ("NOTIFY_DINGTALK_WEBHOOK_BASE", "access_token"),
}


class GroupRobot(models.Model):
    """A WeCom or DingTalk group robot that hears the notifications of an area.

    Messages for an area go to the active robots on that area and on its ancestors (a
    community's robot hears the cases of all its grids). ``secret_encrypted`` is the
    DingTalk signing secret (``SEC…``) encrypted with :func:`linli.common.pii.encrypt`;
    WeCom robots have none. ``keyword`` is the DingTalk "custom keyword" security option:
    every message must contain it, so it is appended when missing.
    """

    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="group_robots", verbose_name="区域"
    )
    kind = models.CharField("类型", max_length=10, choices=RobotKind.choices)
    name = models.CharField("群名称", max_length=100, help_text="如“金凤社区网格群”")
    webhook_url = models.URLField("Webhook 地址", max_length=500)
    secret_encrypted = models.TextField("加签密钥（加密存储）", blank=True, editable=False)
    keyword = models.CharField(
        "自定义关键词", max_length=20, blank=True, help_text="钉钉机器人“自定义关键词”安全设置"
    )
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "群机器人"
        verbose_name_plural = "群机器人"
        ordering = ["area__path", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "kind", "name"], name="group_robot_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.name}"

    def clean(self) -> None:
        rule = _WEBHOOK_RULES.get(self.kind)  # type: ignore[call-overload]
        if rule is None or not self.webhook_url:
            return
        setting, param = rule
        base: str = getattr(settings, setting)
        parts = urlsplit(self.webhook_url)
        if not parts.scheme or not parts.netloc:
            return  # not a URL at all: URLField's own message says so
        if f"{parts.scheme}://{parts.netloc}{parts.path}" != base:
            label = self.get_kind_display()
            message = f"{label}的 Webhook 地址必须以 {base}?{param}= 开头"
            raise ValidationError({"webhook_url": message})
        if not parse_qs(parts.query).get(param, [""])[0].strip():
            raise ValidationError({"webhook_url": f"Webhook 地址缺少 {param} 参数"})
        if self.keyword and self.kind != RobotKind.DINGTALK:
            raise ValidationError({"keyword": "只有钉钉机器人需要自定义关键词"})

    @property
    def masked_url(self) -> str:
        """The webhook URL with its key/token cut to the first 4 characters (for lists)."""
        parts = urlsplit(self.webhook_url)
        query = "&".join(
            f"{name}={value[0][:4]}****" for name, value in parse_qs(parts.query).items()
        )
        return f"{parts.scheme}://{parts.netloc}{parts.path}?{query}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "失败（不再重试）"
    DEAD = "dead", "重试用尽"


class Delivery(models.Model):
    """One message to one external target (a group robot, a phone, an e-mail address).

    ``payload`` is what the channel sends: the robot's JSON body, ``{"phone", "text"}``
    for SMS, ``{"to", "subject", "body"}`` for e-mail. A pending delivery is due when
    ``next_attempt_at`` has passed; a worker claims it by pushing ``next_attempt_at``
    forward (a lease) in one conditional UPDATE, so two workers never send it twice and a
    worker that dies mid-send is covered by the periodic sweep once the lease expires.
    """

    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    target = models.CharField("发送对象", max_length=200, help_text="群名称、掩码手机号或邮箱")
    robot = models.ForeignKey(
        GroupRobot,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name="群机器人",
    )
    area = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="区域"
    )
    kind = models.CharField("类型", max_length=50)
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="关联对象类型"
    )
    subject_id = models.PositiveBigIntegerField("关联对象 ID", null=True, blank=True)
    payload = models.JSONField("发送内容", default=dict)
    status = models.CharField(
        "状态", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "消息投递"
        verbose_name_plural = "消息投递"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_delivery_due")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.target}"
