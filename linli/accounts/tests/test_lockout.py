"""Lock-out after failed staff log-ins (django-axes, settings "Log-in security")."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client

from linli.audit.models import AuditEvent, AuditKind
from linli.testing.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-linli-test"
OFFICE = "10.0.0.7"


def post_login(client: Client, username: str, password: str, ip: str = OFFICE):  # type: ignore[no-untyped-def]
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def fail(client: Client, username: str, times: int, ip: str = OFFICE) -> None:
    for _ in range(times):
        post_login(client, username, "wrong-password", ip)


def test_five_failures_lock_the_account_on_that_address_with_a_chinese_page(settings) -> None:
    user = UserFactory()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post_login(client, user.username, "wrong-password").status_code == 200
    response = post_login(client, user.username, "wrong-password")
    assert response.status_code == 429
    body = response.content.decode()
    assert "已暂时锁定" in body and "15 分钟后" in body and "以后）再试" in body
    # Locked: even the right password is refused now.
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(kind=AuditKind.LOCKED_OUT, actor_label=user.username).exists()


def test_the_lock_ends_after_the_cool_off(settings) -> None:
    user = UserFactory()
    client = Client()
    fail(client, user.username, settings.AXES_FAILURE_LIMIT)
    assert post_login(client, user.username, PASSWORD).status_code == 429
    # Time travel: the failures happened 16 minutes ago.
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_the_lock_is_per_username_and_address(settings) -> None:
    victim, colleague = UserFactory(), UserFactory()
    attacker = Client()
    fail(attacker, victim.username, settings.AXES_FAILURE_LIMIT)
    # The same user from another office computer, and a colleague on the attacker's
    # computer, still log in.
    assert post_login(Client(), victim.username, PASSWORD, ip="10.0.0.8").status_code == 302
    assert post_login(Client(), colleague.username, PASSWORD).status_code == 302
    assert post_login(Client(), victim.username, PASSWORD).status_code == 429


def test_a_success_resets_the_count(settings) -> None:
    user = UserFactory()
    fail(Client(), user.username, settings.AXES_FAILURE_LIMIT - 1)
    assert post_login(Client(), user.username, PASSWORD).status_code == 302
    fail(Client(), user.username, settings.AXES_FAILURE_LIMIT - 1)
    assert post_login(Client(), user.username, PASSWORD).status_code == 302


def test_the_api_token_endpoint_is_locked_too(settings) -> None:
    user = UserFactory()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(
            "/api/auth/token/", {"username": user.username, "password": "x"}, REMOTE_ADDR=OFFICE
        )
        assert response.status_code == 400
    response = client.post(
        "/api/auth/token/", {"username": user.username, "password": "x"}, REMOTE_ADDR=OFFICE
    )
    assert response.status_code == 429 and "已暂时锁定" in response.json()["detail"]
    response = client.post(
        "/api/auth/token/", {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=OFFICE
    )
    assert response.status_code == 429
    assert "token" not in response.json()


def test_the_right_password_gets_a_token(settings) -> None:
    user = UserFactory()
    response = Client().post(
        "/api/auth/token/", {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=OFFICE
    )
    assert response.status_code == 200 and response.json()["token"]
