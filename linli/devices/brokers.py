"""A throwaway Mosquitto broker (own port, own persistence directory) for tests and benchmarks.

Tests that stop a broker must never touch the machine's shared one (DESIGN.md "Tests that
break things"); this starts ``mosquitto -c <temp config>`` on a free port instead. The
configuration is the one docs/devices.md recommends for production: persistence, no limit
on queued messages for an absent persistent session, a larger in-flight window.
"""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: Unacknowledged QoS 1 messages Mosquitto sends one client at a time (its default is 20).
INFLIGHT_WINDOW = 1000


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayBroker:
    """A Mosquitto of our own on a free port, persisting to a temporary directory.

    ``stop()`` sends SIGTERM (Mosquitto writes its persistence file), ``start()`` starts it
    again on the same port with the same directory, so sessions and queued messages survive.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="linli-mosquitto-"))
        self.config = self.dir / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            # As root Mosquitto drops to the "mosquitto" user, who cannot write our temp dir.
            f"user {getpass.getuser()}\n"
            "persistence true\n"
            f"persistence_location {self.dir}/\n"
            "autosave_interval 1\n"
            f"max_inflight_messages {INFLIGHT_WINDOW}\n"
            "max_queued_messages 0\n"
            f"log_dest file {self.dir}/mosquitto.log\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen(
            [mosquitto, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
