"""The log-in page tells residents which number works and how to get an account."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("linli.accounts.tests.urls")]


def test_phone_hint_names_the_number_given_when_the_account_was_opened(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/me/login/").content.decode()
    assert "居委会开通账号时登记的手机号" in body
    assert "在社区登记的手机号码" not in body  # any registry number did not work
    assert "还没有账号" in body and "社区居委会" in body
