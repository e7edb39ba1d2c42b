"""Roster import benchmark: a 30,000-row messy ledger into an empty community.

Run as ``linli bench import``. The import runs in a THROWAWAY database created the way
Django's test runner does it (``create_test_db``: ``test_<name>`` on PostgreSQL, a
temporary file on SQLite), so the developer's data is never touched. The same file is
also parsed with python-calamine alone: ``ratio = import_seconds / parse_seconds`` is
comparable across noisy machines. Target: ``import_seconds < 15`` on 2 cores.

Figures: rows, import_seconds, parse_seconds, ratio, history_seconds (the cost of the
simple_history rows inside the import, measured separately by re-creating them in a
rolled-back transaction), reimport_seconds and reimport_changes (the same file again:
must change nothing), imported, rejected, target_seconds, within_target.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import OutputWrapper
from django.db import connection, transaction
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

ROWS = 30_000
SEED = 20261129
TARGET_SECONDS = 15.0
MICRO_GRIDS = 3
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬建国志"
TAG_WORDS = ["独居老人", "空巢", "残疾人", "低保户", "特困供养", "留守儿童", "重点关爱"]
SEPARATORS = ["、", "，", ",", "；", ";", " "]
RELATIONS = ["户主", "配偶", "子女", "长子", "女儿", "父亲", "孙子", "租户"]
RESIDENCE = ["户籍", "常住", "流动", "流动人口"]
PHONE_PREFIXES = ["130", "133", "135", "138", "139", "150", "151", "158", "177", "186", "189"]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _date_text(rng: random.Random, born: dt.date) -> Any:
    style = rng.randrange(6)
    if style == 0:
        return born  # a real Excel date
    if style == 1:
        return f"{born:%Y-%m-%d}"
    if style == 2:
        return f"{born.year}/{born.month}/{born.day}"
    if style == 3:
        return f"{born.year}.{born.month}.{born.day}"
    if style == 4:
        return f"{born.year}年{born.month}月{born.day}日"
    return ""


def build_ledger(rows: int = ROWS, seed: int = SEED) -> bytes:
    """A deterministic messy-but-valid ledger (.xlsx bytes) with ``rows`` people.

    Title row merged across the sheet, a 填报单位 row, synonym headers, dates in five
    spellings, full-width phones, lower-case ``x`` check digits, tags with mixed
    separators, blank formatted rows and a 合计 row at the end.
    """
    from linli.testing.factories import make_id_number

    rng = random.Random(seed)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["某社区实有人口信息登记台账"])
    sheet.merge_cells("A1:N1")
    sheet.append(["填报单位：基准社区", None, None, None, "填报日期：2026年11月"])
    sheet.append(
        ["序号", "名字", "身份证号", "性别", "出生年月", "手机", "网格", "楼号", "单元",
         "门牌号", "与户主关系", "人户状态", "标签", "备注"]
    )  # fmt: skip
    used: set[str] = set()
    day_span = (dt.date(2020, 12, 31) - dt.date(1935, 1, 1)).days
    for index in range(rows):
        while True:
            born = dt.date(1935, 1, 1) + dt.timedelta(days=rng.randrange(day_span))
            number = make_id_number(born, rng.randrange(1000))
            if number not in used:
                used.add(number)
                break
        if number.endswith("X") and rng.random() < 0.5:
            number = number[:-1] + "x"
        phone = f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10**8):08d}"
        if rng.random() < 0.1:
            phone = phone.translate(FULLWIDTH)
        tags = rng.sample(TAG_WORDS, k=rng.choice([0, 0, 0, 1, 1, 2]))
        household = index // 3
        building = household // 120
        sheet.append(
            [
                index + 1,
                rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice([1, 2]))),
                number,
                "男" if int(number[16]) % 2 else "女",
                _date_text(rng, born),
                phone if rng.random() < 0.9 else "",
                f"基准微网格{building % MICRO_GRIDS + 1}",
                f"{building + 1}",
                f"{household % 120 // 40 + 1}",
                f"{household % 40 // 4 + 1}0{household % 4 + 1}",
                "户主" if index % 3 == 0 else rng.choice(RELATIONS[1:]),
                rng.choice(RESIDENCE),
                rng.choice(SEPARATORS).join(tags),
                "",
            ]
        )
        if rng.random() < 0.002:
            sheet.append([None] * 14)  # a blank formatted row
    sheet.append(["合计", f"{rows}人"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _community() -> Any:
    from linli.places.models import AreaKind
    from linli.places.services import area_create
    from linli.testing.factories import area_chain

    chain = area_chain("640106099", name="基准")
    for number in range(2, MICRO_GRIDS + 1):
        area_create(
            code=f"{chain['grid'].code}{number:02d}",
            kind=AreaKind.MICRO_GRID,
            name=f"基准微网格{number}",
            parent=chain["grid"],
        )
    chain["micro_grid"].name = "基准微网格1"
    chain["micro_grid"].save()
    return chain["community"]


def _measure(data: bytes, stdout: OutputWrapper) -> dict[str, Any]:
    from linli.people.models import Resident
    from linli.people.roster.reading import read_table
    from linli.people.roster.services import roster_import

    community = _community()
    started = time.perf_counter()
    table = read_table(data, "bench.xlsx")
    result = roster_import(community=community, table=table, create_missing=True)
    import_seconds = time.perf_counter() - started
    stdout.write(f"导入 {result.summary_line()}，用时 {import_seconds:.2f} 秒")

    started = time.perf_counter()
    again = roster_import(
        community=community, table=read_table(data, "bench.xlsx"), create_missing=True
    )
    reimport_seconds = time.perf_counter() - started
    stdout.write(f"再次导入同一文件 {again.summary_line()}，用时 {reimport_seconds:.2f} 秒")

    started = time.perf_counter()
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    parse_seconds = time.perf_counter() - started

    residents = list(Resident.objects.all())
    started = time.perf_counter()
    with transaction.atomic():
        Resident.history.bulk_history_create(residents, batch_size=1000)  # type: ignore[attr-defined]
        transaction.set_rollback(True)
    history_seconds = time.perf_counter() - started
    return {
        "rows": result.rows,
        "sheet_rows": len(rows),
        "imported": result.imported,
        "rejected": result.rejected,
        "import_seconds": round(import_seconds, 3),
        "parse_seconds": round(parse_seconds, 3),
        "ratio": round(import_seconds / parse_seconds, 1),
        "history_seconds": round(history_seconds, 3),
        "reimport_seconds": round(reimport_seconds, 3),
        "reimport_changes": again.imported + again.updated,
        "database": connection.vendor,
        "target_seconds": TARGET_SECONDS,
        "within_target": import_seconds < TARGET_SECONDS,
    }


def run(*, stdout: OutputWrapper) -> dict[str, Any]:
    """Build the ledger, import it into a throwaway database, and return the figures."""
    started = time.perf_counter()
    data = build_ledger()
    stdout.write(
        f"生成 {ROWS} 行台账（{len(data) // 1024} KB），用时 {time.perf_counter() - started:.1f} 秒"
    )
    with tempfile.TemporaryDirectory(prefix="linli-bench-") as tmp:
        if connection.vendor == "sqlite":
            # A file, not the test runner's in-memory default, so the timing is realistic.
            connection.settings_dict.setdefault("TEST", {})["NAME"] = str(
                Path(tmp) / "bench.sqlite3"
            )
        old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
        try:
            return _measure(data, stdout)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
