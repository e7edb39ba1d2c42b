"""Encryption, keyed hashes and masks for personal data."""

from __future__ import annotations

import pytest
from django.test import override_settings

from linli.common import pii


def test_encrypt_round_trips_and_is_not_plain() -> None:
    token = pii.encrypt("11010519491231002X")
    assert "11010519491231002X" not in token
    assert pii.decrypt(token) == "11010519491231002X"


def test_token_from_another_key_is_refused() -> None:
    token = pii.encrypt("11010519491231002X")
    with (
        override_settings(PII_KEY="another-key-another-key-another-key-0123"),
        pytest.raises(ValueError, match="PII"),
    ):
        pii.decrypt(token)


def test_lookup_hash_is_stable_and_keyed() -> None:
    first = pii.lookup_hash("11010519491231002X")
    assert first == pii.lookup_hash("11010519491231002X")
    with override_settings(PII_KEY="another-key-another-key-another-key-0123"):
        assert pii.lookup_hash("11010519491231002X") != first


def test_masks_keep_region_and_last_four() -> None:
    assert pii.mask_id_number("64010619500305123X") == "640106********123X"
    assert pii.mask_phone("13912345678") == "139****5678"
