"""Run by test_worker_e2e.py in its own process: a real django-q2 cluster sends deliveries.

(The sweep schedule is not waited for here: django-q2's scheduler runs every 30 s, too
slow for a test; ``deliveries_sweep`` itself is tested in-process.)

Own throwaway var/ and SQLite file (never the test database nor DATABASE_URL), the fake
robot server in a thread, ``linli qcluster`` as a child process. With ``--redis URL`` the
cluster uses the machine's Redis as broker (the several-machines set-up) under a queue name
of its own. Prints one JSON line:
``{"sent": n, "expected": m, "seconds": t, "requests": r}``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

WAIT_SECONDS = 90


def main() -> None:
    from linli.notify.tests.conftest import FakeRobotServer

    server = FakeRobotServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("LINLI_REDIS_URL", None)
    if len(sys.argv) == 3 and sys.argv[1] == "--redis":
        os.environ["LINLI_REDIS_URL"] = sys.argv[2]
        os.environ["LINLI_Q_NAME"] = f"linli-e2e-{os.getpid()}"
    os.environ.update(
        LINLI_VAR_DIR=tempfile.mkdtemp(prefix="linli-notify-e2e-"),
        LINLI_WECOM_WEBHOOK_BASE=f"{server.base}/cgi-bin/webhook/send",
        DJANGO_SETTINGS_MODULE="linli.settings",
        LINLI_WORKERS="2",
        LINLI_LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(run(server)), flush=True)


def run(server) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from linli.notify import services
    from linli.notify.models import Delivery, DeliveryStatus
    from linli.testing.factories import area_chain

    areas = area_chain()
    services.group_robot_create(
        area=areas["community"],
        kind="wecom",
        name="群",
        webhook_url=f"{server.base}/cgi-bin/webhook/send?key=e2e",
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "linli.cli", "qcluster"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        started = time.monotonic()
        for i in range(20):
            services.notify(title=f"事件 {i}", kind="e2e", channels=["wecom"], area=areas["grid"])
        sent = 0
        while time.monotonic() - started < WAIT_SECONDS:
            sent = Delivery.objects.filter(status=DeliveryStatus.SENT).count()
            if sent == 20:
                break
            time.sleep(0.2)
        seconds = round(time.monotonic() - started, 2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=3)  # a throwaway cluster: no need for its slow clean stop
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    return {"sent": sent, "expected": 20, "seconds": seconds, "requests": len(server.requests)}


if __name__ == "__main__":
    main()
