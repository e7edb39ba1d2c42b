"""A real django-q2 cluster (ORM broker, own SQLite file) sends queued deliveries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def test_real_cluster_sends_each_queued_delivery_once():
    script = Path(__file__).with_name("e2e_worker.py")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]

    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["sent"] == result["expected"] == 20, result
    assert result["requests"] == 20, result  # claimed once each: no duplicate posts
