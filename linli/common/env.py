"""Typed readers for environment variables that fail loudly on nonsense.

Settings read every value once, through these helpers; no module reads ``os.environ``
elsewhere. Each helper raises :class:`ImproperlyConfigured` naming the variable when a
value is present but unusable, so a bad deployment stops at start-up, not at the first
request.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    """The variable's value stripped of surrounding whitespace, or ``default``."""
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    """Parse ``1/0``, ``true/false``, ``yes/no``, ``on/off`` (any case).

    Raises:
        ImproperlyConfigured: for any other non-empty value.
    """
    raw = env_str(name)
    if not raw:
        return default
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    """Parse a base-10 integer.

    Raises:
        ImproperlyConfigured: if the value is not an integer.
    """
    raw = env_str(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    """Parse a decimal number.

    Raises:
        ImproperlyConfigured: if the value is not a number.
    """
    raw = env_str(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    raw = env_str(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def secret_from_env_or_file(name: str, generated_path: Path, *, nbytes: int = 48) -> str:
    """A secret from ``NAME``, else from the file named by ``NAME_FILE``, else generated.

    A first run writes a random URL-safe secret of ``nbytes`` bytes to ``generated_path``
    (mode 0600) and reuses it afterwards, so no default secret ships with the code.

    Raises:
        ImproperlyConfigured: if ``NAME_FILE`` names a missing or empty file, or the
            secret is shorter than 32 characters.
    """
    value = env_str(name)
    file_name = env_str(f"{name}_FILE")
    if not value and file_name:
        path = Path(file_name)
        if not path.is_file():
            raise ImproperlyConfigured(f"{name}_FILE points at {file_name}, which does not exist")
        value = path.read_text(encoding="utf-8").strip()
        if not value:
            raise ImproperlyConfigured(f"{name}_FILE points at an empty file: {file_name}")
    if not value:
        if generated_path.is_file():
            value = generated_path.read_text(encoding="utf-8").strip()
        else:
            generated_path.parent.mkdir(parents=True, exist_ok=True)
            value = secrets.token_urlsafe(nbytes)
            fd = os.open(generated_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(value + "\n")
    if len(value) < 32:
        raise ImproperlyConfigured(f"{name} must be at least 32 characters long")
    return value
