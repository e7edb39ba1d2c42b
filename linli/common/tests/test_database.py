"""CI runs the suite on PostgreSQL too: that run must really be on PostgreSQL."""

from __future__ import annotations

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_database_url_is_honoured() -> None:
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres", "postgresql")) else "sqlite"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert connection.vendor == expected
