"""A real django-q2 cluster (ORM broker, own SQLite file) sends queued deliveries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def run_e2e(*args: str) -> dict[str, object]:
    script = Path(__file__).with_name("e2e_worker.py")
    done = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_real_cluster_sends_each_queued_delivery_once():
    result = run_e2e()
    assert result["sent"] == result["expected"] == 20, result
    assert result["requests"] == 20, result  # claimed once each: no duplicate posts


def test_real_cluster_on_the_redis_broker_sends_each_delivery_once():
    """Several machines share Redis as broker (LINLI_REDIS_URL); CI starts Redis, and this
    fails, never skips, when it is down."""
    result = run_e2e("--redis", os.environ.get("LINLI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    assert result["sent"] == result["expected"] == 20, result
    assert result["requests"] == 20, result
