"""`linli up` starts the web server and worker, serves the log-in page, stops on SIGINT."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_up_serves_login_page_and_stops_cleanly_on_ctrl_c() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(LINLI_VAR_DIR=tempfile.mkdtemp(prefix="linli-up-"), PORT=str(port))
    proc = subprocess.Popen(
        [sys.executable, "-m", "linli.cli", "up", "--no-demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=5
                ) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert "工作人员登录" in body
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/linli/linli.css", timeout=5
        ) as r:
            assert r.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text
    assert "已停止" in text
