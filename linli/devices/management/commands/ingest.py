"""``linli ingest [--url mqtt://…] [--client-id ID]``: the MQTT ingestor (docs/devices.md)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.devices.mqtt import Ingestor, parse_mqtt_url

PROGRESS_EVERY_S = 60.0


class Command(BaseCommand):
    help = (
        "从 MQTT 代理接收设备事件并入库（QoS 1，持久会话，入库后确认）。"
        "Ctrl-C 或 SIGTERM 时写完当前一批再退出。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="", help="MQTT 地址（默认 LINLI_MQTT_URL）")
        parser.add_argument(
            "--client-id", default="", help="客户端标识（默认 LINLI_MQTT_CLIENT_ID）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"] or settings.DEVICES_MQTT_URL
        if not url:
            raise CommandError("未设置 MQTT 地址：请设置 LINLI_MQTT_URL 或使用 --url")
        try:
            parse_mqtt_url(url)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        ingestor = Ingestor(url, client_id=options["client_id"] or None)
        ingestor.start()
        self.stdout.write(
            f"设备事件接收已启动：{url.split('@')[-1]}（客户端 {ingestor.client_id}）"
        )
        while not stop.wait(PROGRESS_EVERY_S):
            self._progress(ingestor)
        ingestor.stop()
        self._progress(ingestor)
        self.stdout.write("已停止")

    def _progress(self, ingestor: Ingestor) -> None:
        totals = ingestor.totals
        self.stdout.write(
            f"入库 {totals.stored}，重复 {totals.duplicates}，拒收 {totals.rejected}，"
            f"数据库故障重试 {ingestor.db_failures}，"
            f"{'已连接' if ingestor.connected.is_set() else '未连接（重连中）'}"
        )
