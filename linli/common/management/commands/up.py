"""``linli up``: migrate, build the demo if empty, then serve with the task worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from linli.common.env import env_int, env_str


class Command(BaseCommand):
    help = (
        "迁移数据库，空库时生成演示社区，然后启动 Web 服务（gunicorn）和任务队列，"
        "Ctrl-C 一并停止。端口取 PORT（默认 8000），数据库取 DATABASE_URL。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--port", type=int, default=None, help="监听端口（默认取 PORT 或 8000）"
        )
        parser.add_argument("--host", default=env_str("LINLI_HOST", "127.0.0.1"))
        parser.add_argument("--no-demo", action="store_true", help="空库时不生成演示数据")
        parser.add_argument("--no-worker", action="store_true", help="不启动任务队列")
        parser.add_argument(
            "--demo-scale",
            type=float,
            default=float(env_str("LINLI_DEMO_SCALE", "1") or 1),
            help="演示数据规模（1 = 全尺寸，约 4 万居民）",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        port = opts["port"] or env_int("PORT", 8000)
        self._database_exists()
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("数据库已迁移。")
        self._schedules()
        call_command("collectstatic", interactive=False, verbosity=0)
        self._demo(opts)
        procs = self._start(opts["host"], port, with_worker=not opts["no_worker"])
        self.stdout.write(
            self.style.SUCCESS(f"邻里已启动：http://{opts['host']}:{port}/  （Ctrl-C 停止）")
        )
        self._supervise(procs)

    def _database_exists(self) -> None:
        """Create the PostgreSQL database named in ``DATABASE_URL`` when it is missing (the
        server must let the user create databases), so a new instance needs no manual step.

        Raises:
            CommandError: the server cannot be reached, or refuses to create the database.
        """
        from django.db import connection
        from django.db.utils import OperationalError

        if connection.vendor != "postgresql":
            return
        try:
            connection.ensure_connection()
            return
        except OperationalError as exc:
            if "does not exist" not in str(exc):
                raise CommandError(f"无法连接数据库：{exc}") from None
        name = connection.settings_dict["NAME"]
        with connection._nodb_cursor() as cursor:
            try:
                cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
            except Exception as exc:  # permission denied and the like, shown to the user
                raise CommandError(f"数据库 {name} 不存在，且无法创建：{exc}") from None
        self.stdout.write(f"已创建数据库 {name}。")

    def _schedules(self) -> None:
        """Periodic tasks (idempotent): case escalation, notification retry sweep, the
        order dispatch sweep (offer timeouts, waiting orders, re-optimisation), and the
        18:00 day plan of tomorrow's booked visits, device-event partitions and retention,
        the care sweep (silence alerts, escalation) and hourly routine learning, the hourly
        activities sweep (close, finish, reminders), the daily policy re-matching and the
        5-minute parking sweep (no-shows), the monthly and weekly reports, and the daily
        audit-log purge."""
        from linli.activities.tasks import ensure_schedules as activity_schedules
        from linli.audit.tasks import ensure_schedules as audit_schedules
        from linli.care.tasks import ensure_schedules as care_schedules
        from linli.cases.tasks import ensure_schedules as case_schedules
        from linli.cockpit.tasks import ensure_schedules as report_schedules
        from linli.common.retention import ensure_schedules as retention_schedules
        from linli.devices.tasks import ensure_schedules as device_schedules
        from linli.engagement.tasks import ensure_schedules as policy_schedules
        from linli.notify.services import ensure_schedules as notify_schedules
        from linli.orders.dayplan import ensure_schedules as plan_schedules
        from linli.orders.dispatching import ensure_schedules as order_schedules
        from linli.sharing.tasks import schedules as sharing_schedules

        case_schedules()
        notify_schedules()
        order_schedules()
        plan_schedules()
        device_schedules()
        care_schedules()
        activity_schedules()
        policy_schedules()
        sharing_schedules()
        report_schedules()
        retention_schedules()  # daily personal-information retention
        audit_schedules()

    def _demo(self, opts: dict[str, Any]) -> None:
        from linli.places.models import Area

        if Area.objects.exists():
            self.stdout.write("数据库已有数据，跳过演示数据生成。")
        elif opts["no_demo"]:
            return
        else:
            self.stdout.write("空库：正在生成演示社区……")
            call_command("demo", scale=opts["demo_scale"], stdout=self.stdout)
            return
        call_command("demo", logins_only=True, stdout=self.stdout)

    def _start(self, host: str, port: int, *, with_worker: bool) -> list[subprocess.Popen[bytes]]:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="linli.settings")
        # Counters summed over every process on /metrics (linli/common/metrics.py).
        from linli.common.metrics import MULTIPROC_ENV, multiproc_dir_prepare

        env.setdefault(MULTIPROC_ENV, str(settings.VAR_DIR / "prometheus"))
        multiproc_dir_prepare(Path(env[MULTIPROC_ENV]))
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "linli.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(env_int("LINLI_WEB_WORKERS", 2)),
            "--threads",
            "4",
            "--graceful-timeout",
            "5",
            "--no-control-socket",
            "--chdir",
            str(settings.BASE_DIR),
        ]
        if settings.LOG_FORMAT != "json":  # JSON: the linli.request line replaces it
            web += ["--access-logfile", "-"]
        procs = [subprocess.Popen(web, env=env, start_new_session=True)]
        if with_worker:
            worker = [sys.executable, "-m", "linli.cli", "qcluster"]
            procs.append(subprocess.Popen(worker, env=env, start_new_session=True))
        if settings.DEVICES_MQTT_URL:  # the MQTT ingestor of device events (docs/devices.md)
            ingest = [sys.executable, "-m", "linli.cli", "ingest"]
            procs.append(subprocess.Popen(ingest, env=env, start_new_session=True))
        return procs

    def _supervise(self, procs: list[subprocess.Popen[bytes]]) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping:
            if any(p.poll() is not None for p in procs):
                break
            time.sleep(0.3)
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if not stopping:
            raise CommandError("有子进程意外退出，已停止全部服务。")
        self.stdout.write("已停止。")
