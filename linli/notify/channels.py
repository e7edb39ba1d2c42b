"""Delivery channels behind one interface: ``channel.send(delivery)`` or a DeliveryError.

A channel sends one :class:`~linli.notify.models.Delivery` whose ``payload`` was built by
:func:`linli.notify.services.notify`, and raises

* :class:`RetryableDeliveryError` when trying again later may succeed (timeouts, refused
  connections, HTTP 5xx/429, rate limits, "system busy");
* :class:`PermanentDeliveryError` when it will not (wrong key, bad signature, missing
  keyword, invalid address, robot removed or switched off).

The in-app channel has no deliveries: the :class:`~linli.notify.models.Notification` row is
the message. The WeCom and DingTalk group robots live in :mod:`linli.notify.robots`.
"""

from __future__ import annotations

import logging
import smtplib
from typing import ClassVar, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from linli.notify.models import Channel, Delivery

logger = logging.getLogger("linli.notify")


class DeliveryError(Exception):
    """A delivery failed; ``retryable`` says whether another attempt may succeed."""

    retryable: ClassVar[bool] = True


class RetryableDeliveryError(DeliveryError):
    retryable = True


class PermanentDeliveryError(DeliveryError):
    retryable = False


class Sender(Protocol):
    """What every channel implements."""

    def send(self, delivery: Delivery) -> None:
        """Send ``delivery.payload``; return on success, raise :class:`DeliveryError`."""


# --- SMS ----------------------------------------------------------------------------
class SmsBackend(Protocol):
    """An SMS provider adapter: send ``text`` to the mainland mobile number ``phone``."""

    def send_text(self, *, phone: str, text: str) -> None:
        """Raise :class:`RetryableDeliveryError` / :class:`PermanentDeliveryError` on failure."""


OUTBOX_KEEP = 1000


class ConsoleSmsBackend:
    """Development SMS: logs the message and keeps the last 1000 in :attr:`outbox`.

    No real provider ships with Linli; a deployment writes an adapter with the same
    ``send_text`` method for its provider and names it in ``LINLI_SMS_BACKEND``.
    """

    outbox: ClassVar[list[dict[str, str]]] = []

    def send_text(self, *, phone: str, text: str) -> None:
        logger.info("短信（开发模式，未真正发送）→ %s：%s", phone, text)
        ConsoleSmsBackend.outbox.append({"phone": phone, "text": text})
        del ConsoleSmsBackend.outbox[:-OUTBOX_KEEP]  # a long-running dev worker must not grow


class SmsChannel:
    def send(self, delivery: Delivery) -> None:
        backend: SmsBackend = import_string(settings.NOTIFY_SMS_BACKEND)()
        payload = delivery.payload
        backend.send_text(phone=payload["phone"], text=payload["text"])


# --- E-mail -------------------------------------------------------------------------
class EmailChannel:
    """Django's e-mail backend (console in development, SMTP from ``LINLI_EMAIL_*``)."""

    def send(self, delivery: Delivery) -> None:
        payload = delivery.payload
        message = EmailMessage(
            subject=payload["subject"],
            body=payload["body"],
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[payload["to"]],
        )
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError(f"邮件服务器拒收该地址：{exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableDeliveryError(f"邮件发送失败：{exc}") from None


def sender_for(channel: str) -> Sender:
    """The sender of ``channel`` (a :class:`~linli.notify.models.Channel` value).

    Raises:
        PermanentDeliveryError: for the in-app channel or an unknown name.
    """
    from linli.notify.robots import DingTalkRobot, WeComRobot

    senders: dict[str, type[Sender]] = {
        Channel.WECOM: WeComRobot,
        Channel.DINGTALK: DingTalkRobot,
        Channel.SMS: SmsChannel,
        Channel.EMAIL: EmailChannel,
    }
    if channel not in senders:
        raise PermanentDeliveryError(f"没有可发送的渠道：{channel}")
    return senders[channel]()
