"""HMAC signatures of gateway HTTP batches (docs/devices.md "HTTP").

``X-Linli-Signature = hex(HMAC-SHA256(key, timestamp + "\\n" + body))`` where ``timestamp``
is the ``X-Linli-Timestamp`` header (Unix seconds, decimal) and ``body`` the raw request
bytes. A timestamp more than ``DEVICES_SIGNATURE_WINDOW_S`` seconds from the server clock is
refused, which bounds replays to that window (the events' idempotency key makes a replay
inside it harmless).
"""

from __future__ import annotations

import hashlib
import hmac


class SignatureError(Exception):
    """The request is not signed correctly; ``str(exc)`` is the Chinese reason."""


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``timestamp + "\\n" + body`` under ``secret``."""
    return hmac.new(secret, timestamp.encode("ascii") + b"\n" + body, hashlib.sha256).hexdigest()


def verify(
    secret: bytes, *, timestamp: str, signature: str, body: bytes, now: float, window_s: int
) -> None:
    """Check the timestamp window, then the signature in constant time.

    Raises:
        SignatureError: missing or malformed timestamp, outside the window, wrong signature.
    """
    if not timestamp or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureError("时间戳（X-Linli-Timestamp）缺失或格式不对，应为 Unix 秒")
    if abs(now - int(timestamp)) > window_s:
        raise SignatureError(f"时间戳超出允许范围（±{window_s} 秒），请校准网关时钟")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise SignatureError("签名不正确")
