"""``linli up`` creates a missing PostgreSQL database (a newcomer's second instance with its
own DATABASE_URL used to end in two tracebacks). Runs in the PostgreSQL pass of the suite."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="creating a database is PostgreSQL's case"
)

SCRIPT = """
import django
django.setup()
from linli.common.management.commands.up import Command
Command()._database_exists()
"""


def _url(name: str) -> str:
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    return f"{base}/{name}"


def _run(name: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": _url(name), "DJANGO_SETTINGS_MODULE": "linli.settings"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )


def _exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


@pytest.mark.django_db(transaction=True)
def test_a_missing_database_is_created_once() -> None:
    name = f"linli_up_{uuid.uuid4().hex[:8]}"
    try:
        first = _run(name)
        assert first.returncode == 0, first.stderr
        assert f"已创建数据库 {name}" in first.stdout
        assert _exists(name)
        again = _run(name)
        assert again.returncode == 0 and "已创建" not in again.stdout
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
