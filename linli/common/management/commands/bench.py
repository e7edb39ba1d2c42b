"""``linli bench NAME``: run ``benchmarks/NAME.py`` and record its figures.

A benchmark module defines ``run(*, stdout) -> dict`` returning flat figures (numbers or
strings); one that also takes ``scenario``, ``seed`` or ``traces`` keyword arguments
receives the ``--scenario FILE.json``, ``--seed N`` and ``--traces DIR`` options (others
refuse them). The module is loaded by file path from ``settings.BASE_DIR / "benchmarks"``
because names such as ``import`` are Python keywords. The figures are printed as a short
table and written to ``settings.VAR_DIR / "bench" / "NAME.json"`` with the time and host.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import inspect
import json
import platform
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "运行性能基准 benchmarks/NAME.py，打印结果并写入 var/bench/NAME.json。"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="基准名称，如 import（对应 benchmarks/import.py）")
        parser.add_argument("--scenario", help="场景文件（JSON），逐字段覆盖默认场景")
        parser.add_argument("--seed", type=int, help="随机种子，相同种子结果可复现")
        parser.add_argument("--traces", help="轨迹目录（residents.jsonl 等），代替模拟数据")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            self._fail(f"基准名称不合法：{name}")
        path = Path(settings.BASE_DIR) / "benchmarks" / f"{name}.py"
        if not path.is_file():
            available = sorted(
                p.stem for p in path.parent.glob("*.py") if not p.stem.startswith("_")
            )
            self._fail(f"没有这个基准：{name}（可用：{'、'.join(available) or '无'}）")
        spec = importlib.util.spec_from_file_location(f"linli_bench_{name}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up by name
        spec.loader.exec_module(module)
        names = ("scenario", "seed", "traces")
        extra = {k: options[k] for k in names if options.get(k) is not None}
        accepted = inspect.signature(module.run).parameters
        refused = [f"--{k}" for k in extra if k not in accepted]
        if refused:
            self._fail(f"基准 {name} 不支持选项：{'、'.join(refused)}")
        figures: dict[str, Any] = module.run(stdout=self.stdout, **extra)
        self._print(name, figures)
        out_dir = Path(settings.VAR_DIR) / "bench"
        out_dir.mkdir(parents=True, exist_ok=True)
        record = {
            "benchmark": name,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "host": platform.node(),
            "python": platform.python_version(),
            **figures,
        }
        out = out_dir / f"{name}.json"
        out.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n")
        self.stdout.write(f"已写入 {out}")

    def _print(self, name: str, figures: dict[str, Any]) -> None:
        width = max((len(key) for key in figures), default=4)
        self.stdout.write(f"== bench {name} ==")
        for key, value in figures.items():
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            self.stdout.write(f"{key.ljust(width)}  {shown}")

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(f"错误：{message}")
        sys.exit(2)
