"""Password storage and strength rules (settings "Log-in security", docs/accounts.md)."""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from linli.accounts.passwords import CharacterClassValidator, character_classes

PRODUCTION = importlib.import_module("linli.settings")


def test_production_settings_hash_new_passwords_with_argon2() -> None:
    with override_settings(PASSWORD_HASHERS=PRODUCTION.PASSWORD_HASHERS):
        encoded = make_password("Linli-2026-secret")
        assert encoded.startswith("argon2$argon2id$")
        assert check_password("Linli-2026-secret", encoded)
        assert not check_password("Linli-2026-Secret", encoded)


@pytest.mark.django_db
def test_an_old_pbkdf2_hash_still_logs_in_and_is_upgraded_to_argon2() -> None:
    with override_settings(PASSWORD_HASHERS=PRODUCTION.PASSWORD_HASHERS):
        user = User.objects.create(username="old_staff", is_staff=True)
        user.password = make_password("Linli-2026-secret", hasher="pbkdf2_sha256")
        user.save()
        assert identify_hasher(user.password).algorithm == "pbkdf2_sha256"
        assert user.check_password("Linli-2026-secret")
        user.refresh_from_db()
        assert identify_hasher(user.password).algorithm == "argon2"


@pytest.mark.parametrize(
    "password, message",
    [
        ("Ab1!short", "至少需要 10 个字符"),
        ("password123", "太常见"),
        ("3141592653589", "只包含数字"),
        ("abcdefghijkl", "至少 3 种"),
        ("abcdefgh1234", "至少 3 种"),
        ("wang.xiaoming", "至少 3 种"),
    ],
)
def test_weak_passwords_are_refused_in_chinese(password: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_password(password)
    assert any(message in m for m in caught.value.messages), caught.value.messages


@pytest.mark.django_db
def test_a_password_like_the_username_is_refused() -> None:
    user = User(username="zhangwei_admin", first_name="张伟")
    with pytest.raises(ValidationError) as caught:
        validate_password("Zhangwei_admin1", user)
    assert any("相似" in m for m in caught.value.messages), caught.value.messages


@pytest.mark.parametrize(
    "password", ["Linli-2026-x", "linli2026社区!", "LINLI#2026#Q", "Ab3$efgh9k"]
)
def test_strong_passwords_pass(password: str) -> None:
    validate_password(password)


def test_the_missing_classes_are_named() -> None:
    with pytest.raises(ValidationError) as caught:
        CharacterClassValidator().validate("abcdefgh1234")
    assert "大写字母、符号" in caught.value.messages[0]
    assert caught.value.error_list[0].code == "password_too_simple"


def test_min_classes_outside_one_to_four_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        CharacterClassValidator(min_classes=5)


@given(st.text(min_size=0, max_size=30))
def test_the_validator_accepts_exactly_passwords_with_three_classes(password: str) -> None:
    classes = character_classes(password)
    assert classes <= {"大写字母", "小写字母", "数字", "符号"}
    try:
        CharacterClassValidator().validate(password)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == (len(classes) >= 3)


@given(
    st.text(alphabet=st.characters(min_codepoint=ord("a"), max_codepoint=ord("z")), min_size=1),
    st.text(alphabet="0123456789", min_size=1),
    st.text(alphabet="!@#$%^&*()-_=+，。", min_size=1),
)
def test_lower_digit_symbol_mix_is_enough(lower: str, digits: str, symbols: str) -> None:
    CharacterClassValidator().validate(lower + digits + symbols)
