"""Throwaway PostgreSQL and Redis servers (own port, own temporary directory) for fault tests.

A test that stops, restarts or kills a service must never touch the machine's shared ones
(DESIGN.md "Tests that break things", issue #10 "Faults"): these start private servers on
free ports, and ``close()`` stops them and deletes their files. The throwaway MQTT broker is
:class:`linli.devices.brokers.ThrowawayBroker`.

``initdb`` refuses to run as root: when the tests run as root, the PostgreSQL binaries run as
the ``postgres`` system user (``runuser``) and the data directory is given to that user.
Connections are trust-authenticated on 127.0.0.1 only.

Typical use (linli/common/tests/test_faults.py)::

    with ThrowawayPostgres() as pg, ThrowawayRedis() as redis:
        pg.createdb("linli")
        env = {"DATABASE_URL": pg.url("linli"), "LINLI_REDIS_URL": redis.url}
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from linli.devices.brokers import free_port

__all__ = [
    "ThrowawayPostgres",
    "ThrowawayRedis",
    "clone_schema",
    "django_run",
    "free_port",
    "postgres_bin",
    "start_cluster",
    "start_web",
    "stop_all",
    "stop_group",
    "throwaway_linli",
    "wait_for_port",
    "wsgi_without_manifest",
]


def postgres_bin() -> Path | None:
    """The directory of ``initdb``/``pg_ctl`` (newest Debian PostgreSQL), or ``None``.

    ``LINLI_PG_BIN`` overrides the search (e.g. ``/usr/local/pgsql/bin``).
    """
    override = os.environ.get("LINLI_PG_BIN")
    if override:
        return Path(override) if (Path(override) / "pg_ctl").exists() else None
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def wait_for_port(port: int, *, timeout: float = 20.0, host: str = "127.0.0.1") -> None:
    """Return once ``host:port`` accepts TCP connections.

    Raises:
        TimeoutError: nothing listens there after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


def stop_group(
    process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, wait: float = 10
) -> None:
    """Stop a server started with ``start_new_session`` and its children.

    ``SIGKILL`` goes to the whole process group at once (a crash: nothing may clean up);
    any other signal goes to the main process only, as ``linli up`` and systemd's
    ``KillMode=mixed`` do — django-q2's cluster hangs when every one of its processes gets
    SIGTERM together. Whatever still runs after ``wait`` seconds is killed.
    """
    stop_all([process], wait, sig)


def stop_all(
    processes: list[subprocess.Popen[bytes]], wait: float = 10, sig: int = signal.SIGTERM
) -> None:
    """:func:`stop_group` for several servers at once: ``sig`` to each, then SIGKILL to the
    groups still running after ``wait`` seconds in total."""
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if sig == signal.SIGKILL:
                    os.killpg(process.pid, sig)
                else:
                    os.kill(process.pid, sig)
    deadline = time.monotonic() + wait
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # children left behind by the main process
        log = getattr(process, "log_path", None)
        if log:
            Path(log).unlink(missing_ok=True)


class ThrowawayPostgres:
    """A private PostgreSQL cluster: ``initdb`` into a temporary directory, listening on a free
    port of 127.0.0.1 with ``fsync=off`` (tests only: a crash of the machine may lose it).

    ``start()``, ``stop()`` and ``restart()`` use ``pg_ctl``; ``url(name)`` is a
    ``DATABASE_URL``. The superuser is ``postgres`` (trust authentication).

    Raises:
        RuntimeError: no PostgreSQL binaries, or a command failed (its output is in the
            message).
    """

    def __init__(self) -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
        self.bin = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="linli-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self._as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            os.chmod(self.dir, 0o700)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self.started = False

    def _run(self, tool: str, *args: str, timeout: float = 60) -> str:
        done = subprocess.run(
            [*self._as_user, str(self.bin / tool), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.dir,
        )
        if done.returncode:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stdout}{done.stderr}")
        return done.stdout

    @property
    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.dir} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c listen_addresses=127.0.0.1 -c max_connections=100"
        )

    def url(self, name: str = "postgres") -> str:
        """A ``DATABASE_URL`` for database ``name`` of this cluster."""
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        """Start the server and wait until it accepts connections (``pg_ctl -w``)."""
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options, "-w", "start"
        )
        self.started = True

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``pg_ctl stop -m fast``: open sessions are cut, transactions in
        flight are rolled back)."""
        if self.started:
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
            self.started = False

    def restart(self, mode: str = "fast") -> None:
        """``pg_ctl restart -m fast``: every connection is cut, the server is back when this
        returns."""
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            self._options,
            "-m",
            mode,
            "-w",
            "restart",
        )
        self.started = True

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` with ``psql`` (tuples only, unaligned); its output."""
        return self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        )

    def createdb(self, name: str, template: str | None = None) -> str:
        """Create database ``name`` (optionally as a copy of ``template``); its URL."""
        args = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        if template:
            args += ["-T", template]
        self._run("createdb", *args, name)
        return self.url(name)

    def close(self) -> None:
        """Stop the server (immediately) and delete its directory."""
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class ThrowawayRedis:
    """A private ``redis-server`` on a free port of 127.0.0.1, nothing saved to disk
    (``--save "" --appendonly no``). ``url`` is a ``LINLI_REDIS_URL``.

    Raises:
        RuntimeError: ``redis-server`` is not installed or did not start.
    """

    def __init__(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise RuntimeError("redis-server not found")
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="linli-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(self.port, timeout=10)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"redis-server did not start on port {self.port}") from None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> ThrowawayRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def clone_schema(target: ThrowawayPostgres, name: str, source: dict[str, Any]) -> str:
    """Create database ``name`` on ``target`` with the schema (no rows) of the Django
    database described by ``source`` (a ``DATABASES`` entry, e.g. pytest's test database,
    already migrated): ``pg_dump --schema-only | psql`` takes about a second where
    ``migrate`` takes about 45. Returns its ``DATABASE_URL``.

    Raises:
        RuntimeError: ``pg_dump`` or ``psql`` failed.
    """
    target.createdb(name)
    env = dict(os.environ)
    if source.get("PASSWORD"):
        env["PGPASSWORD"] = str(source["PASSWORD"])
    dump = subprocess.run(
        [
            str(target.bin / "pg_dump"),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "-h",
            str(source.get("HOST") or "127.0.0.1"),
            "-p",
            str(source.get("PORT") or 5432),
            "-U",
            str(source.get("USER") or "postgres"),
            str(source["NAME"]),
        ],
        capture_output=True,
        env=env,
        timeout=120,
    )
    if dump.returncode:
        raise RuntimeError(f"pg_dump failed: {dump.stderr.decode(errors='replace')}")
    load = subprocess.run(
        [str(target.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", target.url(name)],
        input=dump.stdout,
        capture_output=True,
        timeout=120,
    )
    if load.returncode:
        raise RuntimeError(f"psql failed: {load.stderr.decode(errors='replace')}")
    return target.url(name)


def wsgi_without_manifest() -> Any:
    """Gunicorn application factory for tests (``linli.testing.throwaway:wsgi_without_manifest()``):
    Linli's WSGI application with static files served from the finders, since tests never run
    ``collectstatic`` (as :mod:`linli.testing.browser` does for ``live_server``)."""
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return get_wsgi_application()


def start_web(env: dict[str, str], port: int, *, workers: int = 2) -> subprocess.Popen[bytes]:
    """Gunicorn (``workers`` processes × 4 threads, as ``linli up``) on 127.0.0.1:``port``
    in its own process group; returns once it answers TCP connections.

    Raises:
        RuntimeError: it exited or did not listen within 30 s (its log is in the message).
    """
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 -- the server writes it after we return
        prefix="linli-gunicorn-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "linli.testing.throwaway:wsgi_without_manifest()",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--graceful-timeout",
            "5",
            "--no-control-socket",
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "linli.settings"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log_path = log.name  # type: ignore[attr-defined]
    try:
        wait_for_port(port, timeout=30)
    except TimeoutError:
        stop_group(process)
        raise RuntimeError(
            f"gunicorn did not start: {Path(log.name).read_text()[-3000:]}"
        ) from None
    return process


def start_cluster(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``linli qcluster`` in its own process group (stop it with :func:`stop_group`)."""
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 -- the cluster writes it after we return
        prefix="linli-qcluster-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "linli.cli", "qcluster"],
        env={**env, "DJANGO_SETTINGS_MODULE": "linli.settings"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log_path = log.name  # type: ignore[attr-defined]
    return process


def django_run(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """``python -m <args>`` with ``env`` (e.g. ``linli.testing.fault_tasks seed``); stdout.

    Raises:
        RuntimeError: non-zero exit (stderr in the message).
    """
    done = subprocess.run(
        [sys.executable, "-m", *args],
        env={**env, "DJANGO_SETTINGS_MODULE": "linli.settings"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr[-3000:]}")
    return done.stdout


@contextlib.contextmanager
def throwaway_linli(source: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A throwaway PostgreSQL holding Linli's schema (cloned from ``source``, pytest's
    migrated test database) and a reporter seeded by :func:`linli.testing.fault_tasks.
    seed_reporter`: ``{"pg": ThrowawayPostgres, "url": DATABASE_URL, "seed": {...}}``."""
    pg = ThrowawayPostgres()
    pg.start()
    try:
        url = clone_schema(pg, "linli", source)
        seed = json.loads(
            django_run({**os.environ, "DATABASE_URL": url}, "linli.testing.fault_tasks", "seed")
        )
        yield {"pg": pg, "url": url, "seed": seed}
    finally:
        pg.close()
