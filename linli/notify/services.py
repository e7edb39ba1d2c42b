"""Writes of the notification module: ``notify`` and the sending of deliveries.

Flow: a transition calls :func:`notify` inside its transaction; notify writes the in-app
rows and the pending deliveries and registers :func:`deliveries_enqueue` with
``transaction.on_commit``, so a rolled-back transition sends nothing and a committed one
never waits for a webhook. A django-q2 task per delivery calls :func:`delivery_attempt`,
which claims the row with one conditional UPDATE, sends, and records sent / retry with
backoff / failed / dead. A schedule runs :func:`deliveries_sweep` every minute to start due
retries and deliveries whose worker died.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from linli.common.identity import IdentityError, parse_phone
from linli.common.pii import encrypt, mask_phone
from linli.notify.channels import DeliveryError, sender_for
from linli.notify.models import (
    ROBOT_CHANNELS,
    Channel,
    Delivery,
    DeliveryStatus,
    GroupRobot,
    Notification,
    RobotKind,
)
from linli.notify.robots import dingtalk_payload, wecom_payload
from linli.places.models import Area

if TYPE_CHECKING:
    from django_q.models import Schedule

logger = logging.getLogger("linli.notify")

SEND_TASK = "linli.notify.tasks.delivery_send_task"
SWEEP_TASK = "linli.notify.tasks.deliveries_sweep_task"
SWEEP_SCHEDULE = "通知：补发到期消息"
SMS_MAX_CHARS = 300


@dataclasses.dataclass(frozen=True)
class Recipient:
    """Who gets a message: a user (in-app inbox, their e-mail) and/or a phone / e-mail.

    ``phone`` is needed for SMS (a resident has no user account); ``email`` overrides the
    user's address. ``name`` is only for logs.
    """

    user: User | None = None
    phone: str = ""
    email: str = ""
    name: str = ""


@dataclasses.dataclass
class NotifyResult:
    notifications: list[Notification]
    deliveries: list[Delivery]


def notify(
    *,
    recipients: Iterable[User | Recipient] = (),
    title: str,
    body: str = "",
    link: str = "",
    kind: str,
    subject: models.Model | None = None,
    channels: Collection[str] = (Channel.INAPP,),
    area: Area | None = None,
) -> NotifyResult:
    """Notify people and/or the group robots of ``area`` through ``channels``.

    Writes, in the caller's transaction: one :class:`Notification` per recipient user (if
    ``inapp`` is a channel); one :class:`Delivery` per recipient and SMS/e-mail channel;
    one per active robot of the channel's kind on ``area`` or any ancestor (``wecom`` /
    ``dingtalk``). Sending starts after commit and never raises into the caller.

    Args:
        recipients: users or :class:`Recipient`; may be empty when only robots are meant.
        title: non-empty, at most 200 characters (stripped).
        body: plain text; robots render it as markdown.
        link: a site path (``/cases/12/``) or an http(s) URL; made absolute with
            ``LINLI_SITE_URL`` for robots, SMS and e-mail.
        kind: what happened, e.g. ``case.dispatched`` (at most 50 characters).
        subject: the model instance the message is about (stored as type + id).
        channels: values of :class:`~linli.notify.models.Channel`.
        area: where it happened; required for robot channels.

    A recipient without a usable phone or e-mail for a requested channel gets a delivery
    marked ``failed`` with the reason, so the gap shows in the back office.

    Raises:
        ValidationError: empty or too long title or kind, a bad link, an unknown channel,
            a robot channel without ``area`` (caller errors; nothing is written).
    """
    title, kind, link = title.strip(), kind.strip(), link.strip()
    _validate(title=title, kind=kind, link=link, channels=channels, area=area)
    # The same person named twice (as assignee and as grid worker, say) hears it once.
    people = list(
        dict.fromkeys(r if isinstance(r, Recipient) else Recipient(user=r) for r in recipients)
    )
    common: dict[str, Any] = {"kind": kind, **_subject_fields(subject)}
    message = {"title": title, "body": body, "url": absolute_url(link)}
    notifications = []
    if Channel.INAPP in channels:
        notifications = Notification.objects.bulk_create(
            Notification(user=p.user, title=title, body=body, link=link, **common)
            for p in people
            if p.user is not None
        )
    deliveries = _robot_deliveries(area, channels, message)
    for person in people:
        deliveries += _personal_deliveries(person, channels, message)
    for delivery in deliveries:
        delivery.area, delivery.kind = area, kind
        delivery.subject_type, delivery.subject_id = common["subject_type"], common["subject_id"]
    created = _deliveries_save(deliveries)
    return NotifyResult(notifications=notifications, deliveries=created)


def _validate(
    *, title: str, kind: str, link: str, channels: Collection[str], area: Area | None
) -> None:
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "通知标题不能为空"
    elif len(title) > 200:
        errors["title"] = "通知标题不能超过 200 个字"
    if not kind or len(kind) > 50:
        errors["kind"] = "通知类型不能为空，且不超过 50 个字符"
    if link and (link.startswith("//") or not link.startswith(("/", "https://", "http://"))):
        errors["link"] = "链接必须是以 / 开头的站内路径或 http(s) 地址"
    unknown = sorted(set(channels) - set(Channel.values))
    if unknown:
        errors["channels"] = f"未知的通知渠道：{'、'.join(unknown)}"
    elif area is None and ROBOT_CHANNELS & set(channels):
        errors["area"] = "发往群机器人的通知必须指定区域"
    if errors:
        raise ValidationError(errors)


def _subject_fields(subject: models.Model | None) -> dict[str, Any]:
    if subject is None:
        return {"subject_type": None, "subject_id": None}
    return {"subject_type": ContentType.objects.get_for_model(subject), "subject_id": subject.pk}


def absolute_url(link: str) -> str:
    """``link`` as an absolute URL for messages read outside Linli ("" if unknown)."""
    if link.startswith(("https://", "http://")):
        return link
    if link and settings.NOTIFY_SITE_URL:
        return settings.NOTIFY_SITE_URL.rstrip("/") + link
    return ""


def robots_for(area: Area, kind: str) -> list[GroupRobot]:
    """Active robots of ``kind`` on ``area`` and its ancestors, nearest area last."""
    codes = area.path.strip("/").split("/")
    return list(
        GroupRobot.objects.filter(area__code__in=codes, kind=kind, active=True).order_by(
            "area__path", "pk"
        )
    )


def _deliveries_save(deliveries: list[Delivery]) -> list[Delivery]:
    """Insert ``deliveries`` (pending ones due now) and queue the pending ones on commit."""
    now = timezone.now()
    for delivery in deliveries:
        if delivery.status == DeliveryStatus.PENDING:
            delivery.next_attempt_at = now
    created = Delivery.objects.bulk_create(deliveries)
    pending = [d.pk for d in created if d.status == DeliveryStatus.PENDING]
    if pending:
        transaction.on_commit(lambda: deliveries_enqueue(delivery_ids=pending), robust=True)
    return created


def _robot_delivery(robot: GroupRobot, message: dict[str, str]) -> Delivery:
    if robot.kind == RobotKind.WECOM:
        payload = wecom_payload(**message)
    else:
        payload = dingtalk_payload(**message, keyword=robot.keyword)
    return Delivery(channel=robot.kind, robot=robot, target=str(robot)[:200], payload=payload)


def _robot_deliveries(
    area: Area | None, channels: Collection[str], message: dict[str, str]
) -> list[Delivery]:
    deliveries: list[Delivery] = []
    if area is None:
        return deliveries
    for kind in (RobotKind.WECOM, RobotKind.DINGTALK):
        if kind not in channels:
            continue
        robots = robots_for(area, kind)
        if not robots:
            logger.warning("区域 %s 没有启用的%s，该通知不发往群聊", area, kind.label)
        deliveries += [_robot_delivery(robot, message) for robot in robots]
    return deliveries


def _personal_deliveries(
    person: Recipient, channels: Collection[str], message: dict[str, str]
) -> list[Delivery]:
    deliveries = []
    if Channel.SMS in channels:
        deliveries.append(_sms_delivery(person, message))
    if Channel.EMAIL in channels:
        deliveries.append(_email_delivery(person, message))
    return deliveries


def _sms_delivery(person: Recipient, message: dict[str, str]) -> Delivery:
    text = f"{message['title']}：{message['body']}".rstrip("：")
    if message["url"]:
        text += f" {message['url']}"
    try:
        phone = parse_phone(person.phone)
    except IdentityError as exc:
        return _failed(Channel.SMS, mask_phone(person.phone) or _who(person), f"{exc}")
    payload = {"phone": phone, "text": text[:SMS_MAX_CHARS]}
    return Delivery(channel=Channel.SMS, target=mask_phone(phone), payload=payload)


def _email_delivery(person: Recipient, message: dict[str, str]) -> Delivery:
    address = person.email or (person.user.email if person.user else "")
    try:
        validate_email(address)
    except ValidationError:
        reason = f"邮箱地址无效：{address}" if address else "没有邮箱地址"
        return _failed(Channel.EMAIL, address or _who(person), reason)
    body = message["body"] + (f"\n\n{message['url']}" if message["url"] else "")
    payload = {"to": address, "subject": message["title"], "body": body}
    return Delivery(channel=Channel.EMAIL, target=address, payload=payload)


def _who(person: Recipient) -> str:
    return person.name or (person.user.get_username() if person.user else "（未知）")


def _failed(channel: str, target: str, reason: str) -> Delivery:
    logger.warning("通知无法发往 %s（%s）：%s", target, channel, reason)
    return Delivery(
        channel=channel, target=target[:200], status=DeliveryStatus.FAILED, last_error=reason
    )


# --- Sending --------------------------------------------------------------------------
def deliveries_enqueue(*, delivery_ids: Sequence[int]) -> None:
    """Queue one send task per delivery; a broker failure is logged, the sweep retries."""
    from django_q.tasks import async_task

    for delivery_id in delivery_ids:
        try:
            async_task(SEND_TASK, delivery_id, group="notify")
        except Exception:
            logger.exception("通知投递 %s 未能入队，将由定时补发处理", delivery_id)


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failed attempt (1-based).

    ``NOTIFY_RETRY_BASE`` × 2^(attempts − 1), capped at ``NOTIFY_RETRY_CAP``: with the
    defaults 30 s, 60 s, 120 s, … up to one hour.
    """
    exponent = max(attempts - 1, 0)
    return int(min(settings.NOTIFY_RETRY_BASE * 2**exponent, settings.NOTIFY_RETRY_CAP))


def delivery_claim(*, delivery_id: int) -> Delivery | None:
    """Claim a due pending delivery for this worker, or None if another has it.

    One conditional UPDATE counts the attempt and moves ``next_attempt_at`` forward by
    ``NOTIFY_CLAIM_SECONDS`` (a lease): of two workers, only one matches the WHERE
    clause; if this worker dies, the sweep re-queues the row once the lease has passed.
    """
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(
        attempts=F("attempts") + 1,
        next_attempt_at=now + dt.timedelta(seconds=settings.NOTIFY_CLAIM_SECONDS),
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("robot").get(pk=delivery_id)


def delivery_attempt(*, delivery_id: int) -> Delivery | None:
    """Claim, send and record one delivery; None if it was not due or already claimed.

    Call outside any transaction: no lock is held while the channel talks to the outside.
    Outcome: ``sent``; ``pending`` with ``next_attempt_at`` = now + :func:`retry_delay`
    after a retryable error; ``dead`` when that was attempt ``NOTIFY_MAX_ATTEMPTS``;
    ``failed`` after a permanent error. Never raises for a channel failure.
    """
    delivery = delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return None
    try:
        sender_for(delivery.channel).send(delivery)
    except DeliveryError as exc:
        return _record_failure(delivery, str(exc), retryable=exc.retryable)
    except Exception as exc:  # a bug or an unforeseen library error: retry, loudly
        logger.exception("通知投递 %s 出现意外错误", delivery.pk)
        return _record_failure(delivery, f"意外错误：{exc!r}", retryable=True)
    logger.info("通知投递 %s 已发送（%s，第 %s 次）", delivery.pk, delivery, delivery.attempts)
    return _record(delivery, status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="")


def _record_failure(delivery: Delivery, error: str, *, retryable: bool) -> Delivery:
    if not retryable:
        logger.error("通知投递 %s 失败，不再重试（%s）：%s", delivery.pk, delivery, error)
        return _record(delivery, status=DeliveryStatus.FAILED, last_error=error)
    if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        logger.error("通知投递 %s 重试 %s 次仍失败：%s", delivery.pk, delivery.attempts, error)
        return _record(delivery, status=DeliveryStatus.DEAD, last_error=error)
    delay = retry_delay(delivery.attempts)
    logger.warning(
        "通知投递 %s 第 %s 次失败，%s 秒后重试：%s", delivery.pk, delivery.attempts, delay, error
    )
    next_at = timezone.now() + dt.timedelta(seconds=delay)
    return _record(delivery, next_attempt_at=next_at, last_error=error)


def _record(delivery: Delivery, **fields: Any) -> Delivery:
    # Only the holder of this attempt may record it: a worker whose lease ran out and
    # whose row was re-claimed must not overwrite the newer attempt's outcome.
    Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts
    ).update(**fields)
    delivery.refresh_from_db()
    return delivery


def deliveries_sweep(*, limit: int = 500) -> int:
    """Queue up to ``limit`` due pending deliveries (oldest first); returns how many."""
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    deliveries_enqueue(delivery_ids=due)
    return len(due)


def delivery_retry(*, delivery: Delivery) -> Delivery:
    """Send a failed or dead delivery again from attempt 1 (back-office action).

    Raises:
        ValidationError: the delivery is pending or already sent.
    """
    if delivery.status not in (DeliveryStatus.FAILED, DeliveryStatus.DEAD):
        raise ValidationError("只有失败或重试用尽的投递可以重新发送")
    if not delivery.payload:
        raise ValidationError("该投递没有可发送的内容（收件地址无效），无法重发")
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        transaction.on_commit(lambda: deliveries_enqueue(delivery_ids=[delivery.pk]), robust=True)
    delivery.refresh_from_db()
    return delivery


def ensure_schedules() -> Schedule:
    """Create or repair the one-minute sweep schedule (idempotent)."""
    from linli.common.schedules import schedule_every

    return schedule_every(name=SWEEP_SCHEDULE, func=SWEEP_TASK)


# --- In-app inbox ---------------------------------------------------------------------
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark the user's own notification read (idempotent: keeps the first read time).

    Raises:
        Notification.DoesNotExist: no such notification of this user (another user's
            notification is indistinguishable from a missing one).
    """
    notification = Notification.objects.get(pk=notification_id, user=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many changed."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- Group robots ---------------------------------------------------------------------
def group_robot_secret_check(*, kind: str, secret: str) -> str:
    """The stripped signing secret, checked against the robot kind.

    Raises:
        ValidationError: a secret for a WeCom robot (they have none), or a DingTalk
            secret not starting with "SEC" (DingTalk shows it as ``SEC…`` under 加签).
    """
    secret = secret.strip()
    if secret and kind == RobotKind.WECOM:
        raise ValidationError({"secret": "企业微信群机器人没有加签密钥，请留空"})
    if secret and not secret.startswith("SEC"):
        raise ValidationError({"secret": "钉钉加签密钥应以 SEC 开头，请从机器人安全设置中复制"})
    return secret


def group_robot_create(
    *,
    area: Area,
    kind: str,
    name: str,
    webhook_url: str,
    secret: str = "",
    keyword: str = "",
    active: bool = True,
) -> GroupRobot:
    """Register a group robot for ``area``; ``secret`` is stored encrypted.

    Raises:
        ValidationError: bad webhook URL for the kind, bad secret, duplicate name.
    """
    secret = group_robot_secret_check(kind=kind, secret=secret)
    robot = GroupRobot(
        area=area,
        kind=kind,
        name=name.strip(),
        webhook_url=webhook_url.strip(),
        keyword=keyword.strip(),
        active=active,
        secret_encrypted=encrypt(secret) if secret else "",
    )
    robot.full_clean()
    robot.save()
    return robot


def group_robot_test(*, robot: GroupRobot) -> Delivery:
    """Queue a test message to this one robot (not its area's other robots)."""
    message = {
        "title": "邻里测试消息",
        "body": f"这是发往“{robot.name}”的测试消息，收到说明群机器人配置正确。",
        "url": "",
    }
    delivery = _robot_delivery(robot, message)
    delivery.area, delivery.kind = robot.area, "notify.test"
    return _deliveries_save([delivery])[0]
