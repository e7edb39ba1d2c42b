"""The log-in pages with the Django test client: number → code → /me/, and what a
resident may not reach."""

from __future__ import annotations

import pytest
from django.test import Client

from linli.accounts.models import OneTimeCode
from linli.accounts.tests.conftest import DAUGHTER_PHONE, code_in

pytestmark = [pytest.mark.django_db, pytest.mark.urls("linli.accounts.tests.urls")]
SENT = "如该号码已登记，验证码已发送"


def ask_code(client: Client, phone: str = DAUGHTER_PHONE):  # type: ignore[no-untyped-def]
    return client.post("/me/login/", {"step": "phone", "phone": phone})


def enter_code(client: Client, code: str, phone: str = DAUGHTER_PHONE):  # type: ignore[no-untyped-def]
    return client.post("/me/login/", {"step": "code", "phone": phone, "code": code})


def log_in(client: Client, sms_outbox, capture) -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        ask_code(client)
    response = enter_code(client, code_in(sms_outbox[-1]))
    assert response.status_code == 302 and response["Location"] == "/me/"


def test_daughter_logs_in_and_sees_herself_and_her_mother_not_her_aunt(
    client, family, sms_outbox, django_capture_on_commit_callbacks
) -> None:
    page = client.get("/me/login/")
    assert "用手机号登录" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_code(client, "139 1234 5678")
    body = response.content.decode()
    assert SENT in body and "139****5678" in body and "重新获取验证码" in body
    response = enter_code(client, code_in(sms_outbox[0]))
    assert response.status_code == 302
    me = client.get("/me/").content.decode()
    assert "王丽" in me and "李秀英" in me
    assert "李秀兰" not in me and "赵强" not in me
    assert family.mother.id_number_masked in me
    assert "*" in family.mother.id_number_masked


def test_unknown_number_sees_the_same_page_and_gets_no_sms(
    client, family, sms_outbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        unknown = ask_code(client, "13700001111").content.decode()
    assert SENT in unknown and sms_outbox == []
    response = enter_code(client, "123456", phone="13700001111")
    assert "验证码不正确，还可以再试 4 次" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_code_counts_down_and_offers_resend(
    client, family, sms_outbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ask_code(client)
    wrong = f"{(int(code_in(sms_outbox[0])) + 1) % 1_000_000:06d}"
    body = enter_code(client, wrong).content.decode()
    assert "验证码不正确，还可以再试 4 次" in body and "重新获取验证码" in body
    assert 'value="13912345678"' in body  # the number rides along: no session to expire
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("phone", "message"), [("12345", "手机号码不正确"), ("", "请输入手机号码")]
)
def test_malformed_number_gives_a_chinese_error_on_the_first_step(
    client, db, phone, message
) -> None:  # type: ignore[no-untyped-def]
    body = ask_code(client, phone).content.decode()
    assert message in body and "用手机号登录" in body
    assert not OneTimeCode.objects.exists()


def test_letters_in_the_code_give_a_chinese_error(client, family) -> None:
    ask_code(client)
    body = enter_code(client, "12ab56").content.decode()
    assert "验证码只有数字" in body
    assert OneTimeCode.objects.get().attempts == 0


def test_resend_too_soon_says_when_and_keeps_the_code_page(client, family) -> None:
    ask_code(client)
    body = ask_code(client).content.decode()
    assert "秒后再重新获取" in body and "输入短信验证码" in body


def test_resident_cannot_reach_staff_pages_admin_or_api(
    client, family, sms_outbox, django_capture_on_commit_callbacks
) -> None:
    log_in(client, sms_outbox, django_capture_on_commit_callbacks)
    assert client.get("/").url == "/me/"
    assert client.get("/cases/mine/").url == "/me/"
    assert client.get("/api/residents/").status_code == 403
    assert client.get("/admin/").url == "/me/"
    assert client.post("/roster/import/", {}).status_code == 403
    assert client.get("/report/").status_code == 200  # resident pages stay open


def test_admin_refuses_a_resident_user_even_without_the_session_mark(client, family) -> None:
    client.force_login(family.account.user)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_log_out_ends_the_session(
    client, family, sms_outbox, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    log_in(client, sms_outbox, django_capture_on_commit_callbacks)
    response = client.post("/me/logout/")
    assert response.url == "/me/login/"
    assert client.get("/me/").url == "/me/login/"


def test_staff_user_on_me_sees_no_registry_data(client, family) -> None:
    from linli.testing.factories import UserFactory

    client.force_login(UserFactory())
    body = client.get("/me/").content.decode()
    assert "没有关联居民信息" in body and "王丽" not in body


def test_elder_mode_switch_keeps_the_number_on_the_code_step(client, family) -> None:
    ask_code(client)
    response = client.post(
        "/me/login/", {"step": "code", "phone": DAUGHTER_PHONE, "code": "", "elder": "1"}
    )
    body = response.content.decode()
    assert response.cookies["linli_elder"].value == "1"
    assert 'class="public elder"' in body and 'value="13912345678"' in body
    assert "请输入" not in body  # switching modes is not a failed attempt


def test_a_logged_in_resident_skips_the_login_page(
    client, family, sms_outbox, django_capture_on_commit_callbacks
) -> None:
    log_in(client, sms_outbox, django_capture_on_commit_callbacks)
    assert client.get("/me/login/").url == "/me/"


@pytest.mark.parametrize(
    ("target", "lands"),
    [
        ("/me/orders/", "/me/orders/"),
        ("https://evil.example/me/", "/me/"),
        ("//evil.example/me/", "/me/"),
        ("/admin/", "/me/"),  # residents only ever land on resident pages
    ],
)
def test_log_in_returns_to_a_safe_next_page_only(
    client, family, sms_outbox, django_capture_on_commit_callbacks, target, lands
) -> None:
    page = client.get("/me/login/", {"next": target}).content.decode()
    assert (f'name="next" value="{target}"' in page) == (lands == target)
    with django_capture_on_commit_callbacks(execute=True):
        code_page = client.post(
            "/me/login/", {"step": "phone", "phone": DAUGHTER_PHONE, "next": target}
        )
    assert (f'name="next" value="{target}"' in code_page.content.decode()) == (lands == target)
    response = client.post(
        "/me/login/",
        {"step": "code", "phone": DAUGHTER_PHONE, "code": code_in(sms_outbox[-1]), "next": target},
    )
    assert response.status_code == 302 and response["Location"] == lands
