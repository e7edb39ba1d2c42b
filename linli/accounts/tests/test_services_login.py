"""Log-in codes: validity, tries, single use, rate limits, unknown numbers, consent scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli.accounts import services
from linli.accounts.errors import AccountsError, CodeRejected, RateLimited
from linli.accounts.models import OneTimeCode
from linli.accounts.selectors import residents_actable_by
from linli.accounts.tests.conftest import DAUGHTER_PHONE, code_in

pytestmark = pytest.mark.django_db
IP = "10.0.0.7"
T0 = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)


def request_code(phone=DAUGHTER_PHONE, *, at=T0, ip=IP):  # type: ignore[no-untyped-def]
    return services.login_code_request(phone=phone, client_ip=ip, now=at)


def test_a_registered_number_gets_a_six_digit_code_stored_only_as_a_hash(
    family, sms_outbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        result = request_code("+86 139 1234 5678")
    assert result.message == "如该号码已登记，验证码已发送"
    (sms,) = sms_outbox
    assert sms["phone"] == DAUGHTER_PHONE
    code = code_in(sms)
    row = OneTimeCode.objects.get()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.expires_at - row.created_at == dt.timedelta(minutes=5)


def test_the_right_code_logs_in_once(family, sms_outbox, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        request_code()
    code = code_in(sms_outbox[0])
    account = services.login_code_verify(
        phone=DAUGHTER_PHONE, code=code, now=T0 + dt.timedelta(minutes=4)
    )
    assert account == family.account
    with pytest.raises(CodeRejected, match="已经用过"):
        services.login_code_verify(
            phone=DAUGHTER_PHONE, code=code, now=T0 + dt.timedelta(minutes=4)
        )


def test_a_code_expires_after_five_minutes(family, sms_outbox, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        request_code()
    code = code_in(sms_outbox[0])
    with pytest.raises(CodeRejected, match="已过期"):
        services.login_code_verify(
            phone=DAUGHTER_PHONE, code=code, now=T0 + dt.timedelta(minutes=5)
        )


def test_five_wrong_tries_void_the_code(family, sms_outbox, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        request_code()
    code = code_in(sms_outbox[0])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in [4, 3, 2, 1]:
        with pytest.raises(CodeRejected, match=f"还可以再试 {left} 次"):
            services.login_code_verify(phone=DAUGHTER_PHONE, code=wrong, now=T0)
    with pytest.raises(CodeRejected, match="输错次数太多，已作废"):
        services.login_code_verify(phone=DAUGHTER_PHONE, code=wrong, now=T0)
    with pytest.raises(CodeRejected, match="已作废"):
        services.login_code_verify(phone=DAUGHTER_PHONE, code=code, now=T0)
    assert OneTimeCode.objects.get().attempts == 5


def test_a_new_code_voids_the_previous_one(family, sms_outbox, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        request_code()
        request_code(at=T0 + dt.timedelta(seconds=61))
    first, second = (code_in(m) for m in sms_outbox)
    later = T0 + dt.timedelta(seconds=70)
    if first != second:
        with pytest.raises(CodeRejected):
            services.login_code_verify(phone=DAUGHTER_PHONE, code=first, now=later)
    assert services.login_code_verify(phone=DAUGHTER_PHONE, code=second, now=later)


def test_one_code_per_number_per_minute_and_five_per_hour(family) -> None:
    request_code()
    with pytest.raises(RateLimited, match="秒后再重新获取"):
        request_code(at=T0 + dt.timedelta(seconds=59))
    for minute in [1, 2, 3, 4]:
        request_code(at=T0 + dt.timedelta(minutes=minute))
    with pytest.raises(RateLimited, match="一小时后再试"):
        request_code(at=T0 + dt.timedelta(minutes=30))
    request_code(at=T0 + dt.timedelta(minutes=61))  # the first one left the window
    assert OneTimeCode.objects.count() == 6


def test_twenty_codes_per_address_per_hour(db) -> None:  # type: ignore[no-untyped-def]
    for n in range(20):
        request_code(f"1370000{n:04d}", at=T0 + dt.timedelta(seconds=n))
    with pytest.raises(RateLimited, match="这台设备"):
        request_code("13800000000", at=T0 + dt.timedelta(minutes=5))
    request_code("13800000000", at=T0 + dt.timedelta(minutes=5), ip="10.0.0.8")


def test_an_unknown_number_gets_the_same_answer_and_no_sms(
    family, sms_outbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        unknown = request_code("13700001111")
        known = request_code()
    assert unknown == known
    assert [m["phone"] for m in sms_outbox] == [DAUGHTER_PHONE]
    with pytest.raises(CodeRejected, match="验证码不正确，还可以再试 4 次"):
        services.login_code_verify(phone="13700001111", code="123456", now=T0)
    with pytest.raises(RateLimited):  # limits apply to unknown numbers too
        request_code("13700001111", at=T0 + dt.timedelta(seconds=10))


def test_a_code_without_request_is_refused(family) -> None:
    with pytest.raises(CodeRejected, match="请先获取验证码"):
        services.login_code_verify(phone=DAUGHTER_PHONE, code="123456", now=T0)


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("", "请输入手机号码"),
        ("1391234", "手机号码不正确"),
        ("abcdefghijk", "手机号码不正确"),
        ("0951-5012345", "固定电话不能接收验证码"),
    ],
)
def test_malformed_numbers_are_refused_in_chinese(db, phone, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AccountsError, match=message):
        request_code(phone)
    assert not OneTimeCode.objects.exists()


@pytest.mark.parametrize(
    ("code", "message"),
    [("", "请输入"), ("12a456", "只有数字"), ("12345", "6 位数字"), ("1234567", "6 位数字")],
)
def test_malformed_codes_are_refused_without_counting_a_try(family, code, message) -> None:  # type: ignore[no-untyped-def]
    request_code()
    with pytest.raises(AccountsError, match=message):
        services.login_code_verify(phone=DAUGHTER_PHONE, code=code, now=T0)
    assert OneTimeCode.objects.get().attempts == 0


def test_full_width_digits_are_accepted(family, sms_outbox, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        request_code("１３９１２３４５６７８")
    code = code_in(sms_outbox[0])
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert services.login_code_verify(phone=DAUGHTER_PHONE, code=wide, now=T0) == family.account


def test_an_account_user_is_not_staff_and_has_no_password(family) -> None:
    user = family.account.user
    assert not user.is_staff and not user.has_usable_password()
    assert DAUGHTER_PHONE not in user.username and "5678" not in user.username


def test_a_resident_or_number_gets_one_account_only(family) -> None:
    with pytest.raises(AccountsError, match="已有登录账号"):
        services.resident_account_create(resident=family.daughter, phone="13700002222", actor=None)
    with pytest.raises(AccountsError, match="已用于另一个居民账号"):
        services.resident_account_create(resident=family.mother, phone=DAUGHTER_PHONE, actor=None)


def test_residents_actable_by_are_self_and_consented_relatives_only(family) -> None:
    names = [r.name for r in residents_actable_by(family.account.user)]
    assert sorted(names) == sorted(["王丽", "李秀英"])


def test_a_switched_off_account_gets_no_code(
    family, sms_outbox, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    family.account.active = False
    family.account.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert request_code().message == "如该号码已登记，验证码已发送"
    assert sms_outbox == []
    assert list(residents_actable_by(family.account.user)) == []


def test_codes_use_the_real_clock_by_default(family) -> None:
    services.login_code_request(phone=DAUGHTER_PHONE, client_ip=IP)
    assert abs(OneTimeCode.objects.get().created_at - timezone.now()) < dt.timedelta(seconds=5)


def test_in_development_the_code_is_printed_to_the_log(
    family, sms_outbox, caplog, django_capture_on_commit_callbacks
) -> None:
    with (
        caplog.at_level("INFO", logger="linli.notify"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        request_code()
    assert code_in(sms_outbox[0]) in caplog.text


class BrokenSms:
    def send_text(self, *, phone: str, text: str) -> None:
        from linli.notify.channels import RetryableDeliveryError

        raise RetryableDeliveryError("短信网关超时")


def test_a_failed_sms_is_logged_masked_and_the_answer_is_unchanged(
    family, settings, caplog, django_capture_on_commit_callbacks
) -> None:
    settings.NOTIFY_SMS_BACKEND = f"{__name__}.BrokenSms"
    with django_capture_on_commit_callbacks(execute=True):
        assert request_code().message == "如该号码已登记，验证码已发送"
    assert "139****5678" in caplog.text and "短信网关超时" in caplog.text
    assert DAUGHTER_PHONE not in caplog.text
