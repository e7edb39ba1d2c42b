"""TOTP second factor for staff: set-up, two-step log-in, replay, wrong codes, disabling."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from linli.accounts import security
from linli.accounts.errors import AccountsError, CodeRejected
from linli.accounts.models import StaffSecurity
from linli.accounts.staff_views import PENDING_KEY
from linli.audit.models import AuditEvent, AuditKind
from linli.common.pii import decrypt
from linli.testing.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-linli-test"


def now_step() -> int:
    return int(timezone.now().timestamp()) // security.TOTP_STEP_SECONDS


def secret_of(user) -> str:  # type: ignore[no-untyped-def]
    return decrypt(StaffSecurity.objects.get(user=user).totp_secret)


def wrong_code(secret: str) -> str:
    """A code no step of the accepted window produces."""
    window = {security.totp_code_at(secret, now_step() + d) for d in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222") if c not in window)


def enabled_user(step_offset: int = -1):  # type: ignore[no-untyped-def]
    """A staff user with TOTP on, confirmed with the code of an earlier step."""
    user = UserFactory()
    secret = security.totp_begin(user=user)
    then = timezone.now() + dt.timedelta(seconds=step_offset * security.TOTP_STEP_SECONDS)
    code = security.totp_code_at(secret, now_step() + step_offset)
    security.totp_confirm(user=user, code=code, now=then)
    return user, secret


def password_step(client: Client, user):  # type: ignore[no-untyped-def]
    return client.post(
        "/accounts/login/",
        {"username": user.username, "password": PASSWORD, "next": "/cases/mine/"},
        REMOTE_ADDR="10.0.0.9",
    )


def code_step(client: Client, code: str):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/totp/", {"code": code}, REMOTE_ADDR="10.0.0.9")


def test_set_up_page_shows_a_qr_code_and_the_secret_then_confirms(client) -> None:
    user = UserFactory()
    client.force_login(user)
    page = client.get("/accounts/totp/").content.decode()
    secret = secret_of(user)
    assert "<svg" in page and secret[:4] in page and "确认启用" in page
    # The seed is stored encrypted, and reloading the page keeps it (the QR code stays valid).
    assert StaffSecurity.objects.get(user=user).totp_secret != secret
    client.get("/accounts/totp/")
    assert secret_of(user) == secret
    response = client.post("/accounts/totp/", {"code": "12345"})
    assert "动态口令是 6 位数字" in response.content.decode()
    assert not StaffSecurity.objects.get(user=user).totp_enabled
    code = security.totp_code_at(secret, now_step())
    response = client.post("/accounts/totp/", {"code": code})
    assert response.status_code == 302
    assert StaffSecurity.objects.get(user=user).totp_enabled
    assert AuditEvent.objects.filter(kind=AuditKind.TOTP, actor=user).count() == 1


def test_with_totp_on_the_password_alone_does_not_log_in() -> None:
    user, secret = enabled_user()
    client = Client()
    response = password_step(client, user)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/totp/"
    assert "_auth_user_id" not in client.session and client.session[PENDING_KEY]["user"] == user.pk
    assert client.get("/cases/mine/").status_code == 302  # still anonymous
    page = client.get("/accounts/login/totp/").content.decode()
    assert "输入动态口令" in page
    response = code_step(client, security.totp_code_at(secret, now_step()))
    assert response.status_code == 302 and response["Location"] == "/cases/mine/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert PENDING_KEY not in client.session


def test_a_code_from_the_next_or_previous_step_is_accepted_but_not_two_away() -> None:
    user, secret = enabled_user(step_offset=-5)
    with pytest.raises(CodeRejected):
        security.totp_verify_login(user=user, code=security.totp_code_at(secret, now_step() + 3))
    security.totp_verify_login(user=user, code=security.totp_code_at(secret, now_step() - 1))
    security.totp_verify_login(user=user, code=security.totp_code_at(secret, now_step() + 1))


def test_a_code_cannot_be_replayed() -> None:
    user, secret = enabled_user()
    code = security.totp_code_at(secret, now_step())
    security.totp_verify_login(user=user, code=code)
    with pytest.raises(CodeRejected, match="已用过"):
        security.totp_verify_login(user=user, code=code)
    # Nor can an older step's code once a later one was used.
    with pytest.raises(CodeRejected):
        security.totp_verify_login(user=user, code=security.totp_code_at(secret, now_step() - 1))


def test_replaying_the_confirmation_code_at_log_in_is_refused() -> None:
    user = UserFactory()
    secret = security.totp_begin(user=user)
    code = security.totp_code_at(secret, now_step())
    security.totp_confirm(user=user, code=code)
    with pytest.raises(CodeRejected):
        security.totp_verify_login(user=user, code=code)


def test_wrong_codes_count_towards_the_lock_out(settings) -> None:
    user, secret = enabled_user()
    client = Client()
    password_step(client, user)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = code_step(client, wrong_code(secret))
        assert response.status_code == 200 and "动态口令不正确" in response.content.decode()
    response = code_step(client, wrong_code(secret))
    assert response.status_code == 429 and "已暂时锁定" in response.content.decode()
    # Locked: neither the right code nor the password step logs in now.
    assert code_step(client, security.totp_code_at(secret, now_step())).status_code == 429
    assert "_auth_user_id" not in client.session
    assert password_step(Client(), user).status_code == 429


def test_malformed_codes_are_refused_in_chinese() -> None:
    user, _ = enabled_user()
    for code, message in [("", "请输入"), ("12a456", "只有数字"), ("1234567", "6 位数字")]:
        with pytest.raises(AccountsError, match=message):
            security.totp_verify_login(user=user, code=code)


def test_full_width_digits_are_accepted() -> None:
    user, secret = enabled_user()
    code = security.totp_code_at(secret, now_step())
    security.totp_verify_login(
        user=user, code=code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    )


def test_the_code_step_expires_after_five_minutes() -> None:
    user, secret = enabled_user()
    client = Client()
    password_step(client, user)
    session = client.session
    session[PENDING_KEY]["at"] -= 301
    session.save()
    response = code_step(client, security.totp_code_at(secret, now_step()))
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_the_code_page_without_a_password_step_goes_back_to_log_in(client) -> None:
    response = client.get("/accounts/login/totp/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_disabling_needs_the_password_and_a_current_code(client) -> None:
    user, secret = enabled_user()
    client.force_login(user)
    page = client.get("/accounts/totp/").content.decode()
    assert "停用动态口令" in page
    code = security.totp_code_at(secret, now_step())
    response = client.post("/accounts/totp/", {"password": "wrong", "code": code})
    assert "当前密码不正确" in response.content.decode()
    assert StaffSecurity.objects.get(user=user).totp_enabled
    response = client.post("/accounts/totp/", {"password": PASSWORD, "code": code})
    assert response.status_code == 302
    row = StaffSecurity.objects.get(user=user)
    assert not row.totp_enabled and row.totp_secret == ""
    assert AuditEvent.objects.filter(kind=AuditKind.TOTP, summary__contains="停用").exists()


def test_a_role_may_require_totp(settings, areas) -> None:
    from linli.people.models import Role
    from linli.testing.factories import staff_user

    settings.STAFF_TOTP_REQUIRED_ROLES = [Role.STREET_ADMIN]
    admin = staff_user(areas["street"], Role.STREET_ADMIN)
    client = Client()
    client.post("/accounts/login/", {"username": admin.username, "password": PASSWORD})
    assert client.get("/cases/mine/")["Location"] == "/accounts/totp/"
    assert client.get("/accounts/totp/").status_code == 200
    secret = secret_of(admin)
    client.post("/accounts/totp/", {"code": security.totp_code_at(secret, now_step())})
    assert client.get("/cases/mine/").status_code == 200
    with pytest.raises(AccountsError, match="岗位要求"):
        security.totp_disable(
            user=admin, password=PASSWORD, code=security.totp_code_at(secret, now_step() + 1)
        )


def test_confirm_needs_a_pending_secret() -> None:
    user = UserFactory()
    with pytest.raises(AccountsError, match="扫描二维码"):
        security.totp_confirm(user=user, code="123456")
