"""E-mail through a real (tiny) SMTP server on 127.0.0.1; SMS adapter; message helpers."""

from __future__ import annotations

import socketserver
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linli.notify import services
from linli.notify.models import Delivery, DeliveryStatus
from linli.notify.robots import truncate_utf8
from linli.notify.services import Recipient
from linli.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP: accepts everything except recipients at refused.example."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 fake ESMTP")
        while line := self.rfile.readline().decode().strip():
            verb = line.split(" ", 1)[0].upper()
            if verb in {"EHLO", "HELO"}:
                self.reply("250 fake")
            elif verb == "RCPT" and "refused.example" in line:
                self.reply("550 5.1.1 no such user")
            elif verb == "DATA":
                self.reply("354 go on")
                while self.rfile.readline() not in {b".\r\n", b""}:
                    pass
                self.server.accepted += 1  # type: ignore[attr-defined]
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def smtp_server(settings):  # type: ignore[no-untyped-def]
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.daemon_threads = True
    server.accepted = 0  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.server_address[1]
    settings.EMAIL_USE_SSL = settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    yield server
    server.shutdown()
    server.server_close()


def send_email(address: str) -> Delivery:
    result = services.notify(
        recipients=[Recipient(email=address)], title="t", body="b", kind="k", channels=["email"]
    )
    delivery = services.delivery_attempt(delivery_id=result.deliveries[0].pk)
    assert delivery is not None
    return delivery


def test_smtp_server_accepts_the_mail(smtp_server):
    delivery = send_email("wang@example.cn")

    assert delivery.status == DeliveryStatus.SENT and smtp_server.accepted == 1


def test_refused_recipient_fails_without_retry(smtp_server):
    delivery = send_email("nobody@refused.example")

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("邮件服务器拒收该地址")


def test_smtp_server_down_is_retried(settings, free_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port
    settings.EMAIL_USE_SSL = settings.EMAIL_USE_TLS = False

    delivery = send_email("wang@example.cn")

    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error.startswith("邮件发送失败")


def test_unknown_sms_backend_is_retried_and_logged(settings, caplog):
    settings.NOTIFY_SMS_BACKEND = "linli.notify.nowhere.Backend"
    result = services.notify(
        recipients=[Recipient(phone="13912345678")], title="t", kind="k", channels=["sms"]
    )

    delivery = services.delivery_attempt(delivery_id=result.deliveries[0].pk)

    assert delivery is not None and delivery.status == DeliveryStatus.PENDING
    assert "意外错误" in delivery.last_error and "意外错误" in caplog.text


def test_same_person_named_twice_hears_it_once():
    user = UserFactory.create(email="a@example.cn")

    result = services.notify(
        recipients=[user, user, Recipient(user=user)],
        title="t",
        kind="k",
        channels=["inapp", "email"],
    )

    assert len(result.notifications) == 1 and len(result.deliveries) == 1


@given(st.text(), st.integers(min_value=4, max_value=64))
def test_truncation_never_exceeds_the_byte_limit(text, limit):
    cut = truncate_utf8(text, limit)

    assert len(cut.encode()) <= limit
    assert cut == text or (cut.endswith("…") and text.startswith(cut[:-1]))
