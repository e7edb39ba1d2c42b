"""Personal information (PIPL): encryption at rest, keyed hashes, masking.

Identity numbers are stored encrypted (Fernet: AES-128-CBC + HMAC-SHA256) with a keyed
HMAC-SHA256 hash beside them, so rows can be found and de-duplicated by number without
decrypting. Both keys derive from ``settings.PII_KEY`` (``LINLI_PII_KEY``); back that key
up with the database, because without it nothing encrypted can be read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@cache
def _keys(pii_key: str) -> tuple[Fernet, bytes]:
    root = hashlib.sha256(pii_key.encode()).digest()
    enc = hmac.new(root, b"linli-encrypt-v1", hashlib.sha256).digest()
    mac = hmac.new(root, b"linli-lookup-hash-v1", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(enc)), mac


def encrypt(plain: str) -> str:
    """Encrypt ``plain`` to an ASCII token (about 100 characters for an identity number)."""
    fernet, _ = _keys(settings.PII_KEY)
    return fernet.encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt a token made by :func:`encrypt`.

    Raises:
        ValueError: if the token was made with another key or has been tampered with.
    """
    fernet, _ = _keys(settings.PII_KEY)
    try:
        return fernet.decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise ValueError("无法解密：数据与当前 PII 密钥不匹配") from None


def lookup_hash(plain: str) -> str:
    """64 hex characters: keyed HMAC-SHA256 of ``plain`` for lookup and de-duplication."""
    _, mac = _keys(settings.PII_KEY)
    return hmac.new(mac, plain.encode(), hashlib.sha256).hexdigest()


def mask_id_number(number: str) -> str:
    """Keep the 6-digit region code and the last 4 characters: ``640106********1234``."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4 digits of a mobile number: ``139****5678``."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
