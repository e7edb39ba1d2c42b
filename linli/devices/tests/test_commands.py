"""``linli ingest`` and ``linli device-partitions``."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from linli.devices.ingest import ingest
from linli.devices.models import DeviceEvent
from linli.devices.partitions import add_months, month_start
from linli.devices.tests.conftest import SHARED_BROKER, event
from linli.devices.tests.mqtt_helpers import forget_session

ROOT = Path(__file__).resolve().parents[3]


@override_settings(DEVICES_MQTT_URL="")
def test_ingest_refuses_to_start_without_a_broker_address() -> None:
    with pytest.raises(CommandError, match="LINLI_MQTT_URL"):
        call_command("ingest")


def test_ingest_refuses_a_url_that_is_not_mqtt() -> None:
    with pytest.raises(CommandError, match="mqtt://"):
        call_command("ingest", url="http://127.0.0.1:1883")


def test_ingest_stops_cleanly_on_sigterm() -> None:
    client_id = f"linli-test-cmd-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "ingest",
            "--url",
            SHARED_BROKER,
            "--client-id",
            client_id,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "LINLI_VAR_DIR": os.environ["LINLI_VAR_DIR"]},
        text=True,
    )
    try:
        assert process.stdout is not None
        # The command's banner and the client's log lines share the pipe in either order.
        seen: list[str] = []
        while len(seen) < 10 and not any("设备事件接收已启动" in line for line in seen):
            seen.append(process.stdout.readline())
        assert any("设备事件接收已启动" in line for line in seen), seen
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
        forget_session(SHARED_BROKER, client_id)
    assert process.returncode == 0, output
    assert "已停止" in output


@pytest.mark.django_db
@override_settings(DEVICES_RETENTION_MONTHS=1)
def test_device_partitions_applies_retention_and_dry_run_only_reports(home: dict[str, Any]) -> None:
    month = add_months(month_start(dt.datetime.now(dt.UTC)), -2)
    old = dt.datetime(month.year, month.month, 1, 12, tzinfo=dt.UTC)
    ingest([event(home["door"], 1, ts=old)], channel="mqtt", source="t", now=old)
    out = StringIO()
    call_command("device_partitions", dry_run=True, stdout=out)
    assert "将删除" in out.getvalue() and DeviceEvent.objects.count() == 1
    call_command("device_partitions", stdout=out)
    assert DeviceEvent.objects.count() == 0
