"""The import command and service: what gets written, counted, rejected and exported."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from python_calamine import CalamineWorkbook

from linli.common import pii
from linli.people.models import Resident
from linli.people.roster.samples import DEFAULT_HEADERS, ledger_csv, ledger_xlsx
from linli.people.services import resident_create
from linli.places.models import AreaKind, Building, Household
from linli.places.services import area_create
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    make_id_number,
)

HEAD = make_id_number(dt.date(1950, 3, 5), 101)  # male
WIFE = make_id_number(dt.date(1952, 8, 1), 102)  # female
GRANDSON = make_id_number(dt.date(2015, 9, 9), 103)  # male


def row(name: str, number: str, **cells: object) -> list[object]:
    values: dict[str, object] = {"姓名": name, "身份证号码": number, **cells}
    return [values.get(header) for header in DEFAULT_HEADERS]


FAMILY = [
    row("张建国", HEAD, 性别="男", 出生日期="1950/3/5", 联系电话="13912345678", 楼栋="3号楼",
        单元="1单元", 房号="101", 与户主关系="户主", 特殊人群="独居老人、低保户"),
    row("李秀英", WIFE, 出生日期="1952年8月1日", 楼栋="3号楼", 单元="1单元", 房号="101",
        与户主关系="配偶", 居住类型="常住", 特殊人群="残疾人", 残疾等级="二级"),
    row("张小军", GRANDSON, 楼栋="3号楼", 单元="1单元", 房号="101", 与户主关系="孙子",
        居住类型="流动人口", 特殊人群="留守儿童"),
]  # fmt: skip


def run(path: Path, community: str, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``linli import-roster``."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "import_roster", str(path), "--community", community, *args, stdout=out, stderr=err
        )
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def last_line(stdout: str) -> str:
    return stdout.strip().splitlines()[-1]


@pytest.fixture
def ledger(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(rows: list[list[object]], name: str = "台账.xlsx", **kw: object) -> Path:
        path = tmp_path / name
        path.write_bytes(ledger_xlsx(rows, **kw))  # type: ignore[arg-type]
        return path

    return write


def test_import_creates_residents_in_the_buildings_micro_grid_with_history(areas, ledger) -> None:
    code, out, _ = run(
        ledger(FAMILY, footer=[["合计", "3人"]]), areas["community"].code, "--create-missing"
    )
    assert code == 0
    assert last_line(out) == "imported=3 updated=0 rejected=0"
    head = Resident.objects.get(id_number_hash=pii.lookup_hash(HEAD))
    assert head.area == areas["micro_grid"]
    assert head.household.building.micro_grid == areas["micro_grid"]
    assert (head.household.building.name, head.household.unit, head.household.room) == (
        "3号楼",
        "1单元",
        "101",
    )
    assert head.household.head == head
    assert (head.living_alone, head.dibao, head.phone, head.sex) == (True, True, "13912345678", "M")
    assert pii.decrypt(head.id_number_encrypted) == HEAD
    wife = Resident.objects.get(id_number_hash=pii.lookup_hash(WIFE))
    assert (wife.disabled, wife.disability_level, wife.residence_type) == (True, 2, "permanent")
    assert Resident.objects.get(name="张小军").residence_type == "floating"
    assert head.history.count() == 1
    assert head.history.first().history_change_reason == "台账导入"


def test_reimporting_the_same_file_changes_nothing(areas, ledger) -> None:
    path = ledger(FAMILY)
    run(path, areas["community"].code, "--create-missing")
    before = list(Resident.objects.values_list("pk", "updated_at"))
    code, out, _ = run(path, areas["community"].code, "--create-missing")
    assert (code, last_line(out)) == (0, "imported=0 updated=0 rejected=0")
    assert list(Resident.objects.values_list("pk", "updated_at")) == before
    assert Household.objects.count() == 1 and Building.objects.count() == 1


def test_changed_rows_are_updated_and_blank_cells_keep_stored_values(areas, ledger) -> None:
    run(ledger(FAMILY), areas["community"].code, "--create-missing")
    changed = [row("张建国", HEAD, 联系电话="13800001111", 楼栋="3号楼", 单元="1单元", 房号="101",
                   特殊人群="无")]  # fmt: skip
    code, out, _ = run(ledger(changed, name="b.xlsx"), areas["community"].code)
    assert (code, last_line(out)) == (0, "imported=0 updated=1 rejected=0")
    head = Resident.objects.get(name="张建国")
    assert (head.phone, head.living_alone, head.dibao) == ("13800001111", False, False)
    assert head.relation_to_head == "head"  # blank 与户主关系 kept the stored value
    assert head.history.count() == 2


def test_dry_run_writes_nothing_and_prints_what_would_happen(areas, ledger) -> None:
    code, out, _ = run(ledger(FAMILY), areas["community"].code, "--create-missing", "--dry-run")
    assert (code, last_line(out)) == (0, "imported=3 updated=0 rejected=0")
    assert "将新建楼栋 1 栋、户 1 户" in out
    assert not Resident.objects.exists() and not Building.objects.exists()
    assert not Household.objects.exists()


def test_valid_rows_are_imported_and_every_rejected_row_reported(areas, ledger, tmp_path) -> None:
    bad = row("王五", HEAD[:17] + ("1" if HEAD[17] == "0" else "0"), 楼栋="3号楼", 房号="102")
    rows = [FAMILY[0], bad, row("", WIFE), FAMILY[2]]
    errors = tmp_path / "errors.xlsx"
    code, out, _ = run(
        ledger(rows), areas["community"].code, "--create-missing", "--errors", str(errors)
    )
    assert (code, last_line(out)) == (0, "imported=2 updated=0 rejected=2")
    assert "第 5 行 身份证号码（C列）" in out and "第 6 行 姓名（B列）" in out
    report = CalamineWorkbook.from_path(str(errors)).get_sheet_by_index(0).to_python()
    header = report[2]
    assert header[-4:] == ["行号", "列", "值", "原因"]
    assert [r[1] for r in report[3:]] == ["王五", ""]
    assert [int(r[-4]) for r in report[3:]] == [5, 6]
    assert "校验位错误" in report[3][-1] and report[4][-1] == "姓名为空"


def test_error_report_can_be_fixed_and_reimported(areas, ledger, tmp_path) -> None:
    errors = tmp_path / "errors.xlsx"
    run(ledger([row("", WIFE)]), areas["community"].code, "--errors", str(errors))
    rows = CalamineWorkbook.from_path(str(errors)).get_sheet_by_index(0).to_python()
    fixed = [[*r[:1], "李秀英", *r[2:]] for r in rows[3:]]
    path = tmp_path / "fixed.xlsx"
    path.write_bytes(ledger_xlsx(fixed, rows[2]))
    code, out, _ = run(path, areas["community"].code)
    assert (code, last_line(out)) == (0, "imported=1 updated=0 rejected=0")


def test_unknown_building_is_rejected_without_create_missing(areas, ledger) -> None:
    code, out, _ = run(ledger(FAMILY[:1]), areas["community"].code)
    assert (code, last_line(out)) == (0, "imported=0 updated=0 rejected=1")
    assert "楼栋“3号楼”在本社区不存在" in out
    assert not Building.objects.exists()


def test_existing_building_and_household_are_used(areas, ledger) -> None:
    building = BuildingFactory(micro_grid=areas["micro_grid"], name="3号楼")
    household = HouseholdFactory(building=building, unit="1单元", room="101")
    code, out, _ = run(ledger(FAMILY[:1]), areas["community"].code)
    assert (code, last_line(out)) == (0, "imported=1 updated=0 rejected=0")
    assert Resident.objects.get().household == household


def test_new_building_needs_a_micro_grid_when_the_community_has_several(areas, ledger) -> None:
    area_create(
        code=areas["grid"].code + "02",
        kind=AreaKind.MICRO_GRID,
        name="第二微网格",
        parent=areas["grid"],
    )
    code, out, _ = run(ledger(FAMILY[:1]), areas["community"].code, "--create-missing")
    assert (code, last_line(out)) == (0, "imported=0 updated=0 rejected=1")
    assert "本社区有 2 个微网格，请在文件中增加“微网格”列" in out
    headers = [*DEFAULT_HEADERS, "微网格"]
    path = ledger([[*FAMILY[0], "第二微网格"]], name="grid.xlsx", headers=headers)
    code, out, _ = run(path, areas["community"].code, "--create-missing")
    assert (code, last_line(out)) == (0, "imported=1 updated=0 rejected=0")
    assert Resident.objects.get().area.name == "第二微网格"


def test_person_registered_in_another_community_is_rejected(areas, other_areas, ledger) -> None:
    resident_create(name="张建国", id_number=HEAD, area=other_areas["micro_grid"])
    code, out, _ = run(ledger(FAMILY[:1]), areas["community"].code, "--create-missing")
    assert (code, last_line(out)) == (0, "imported=0 updated=0 rejected=1")
    assert "此人已登记在其他区域" in out


def test_rows_without_an_address_belong_to_the_community(areas, ledger) -> None:
    run(ledger([row("赵六", HEAD)]), areas["community"].code)
    assert Resident.objects.get().area == areas["community"]


def test_gbk_and_bom_csv_and_legacy_xls_import(areas, tmp_path) -> None:
    gbk, bom = tmp_path / "gbk.csv", tmp_path / "bom.csv"
    gbk.write_bytes(ledger_csv(FAMILY[:1], encoding="gbk"))
    bom.write_bytes(ledger_csv(FAMILY[1:2], encoding="utf-8-sig"))
    xls = Path(__file__).parent / "data" / "roster_legacy.xls"
    assert (
        last_line(run(gbk, areas["community"].code, "--create-missing")[1])
        == "imported=1 updated=0 rejected=0"
    )
    assert (
        last_line(run(bom, areas["community"].code, "--create-missing")[1])
        == "imported=1 updated=0 rejected=0"
    )
    assert (
        last_line(run(xls, areas["community"].code, "--create-missing")[1])
        == "imported=3 updated=0 rejected=0"
    )


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"PK\x03\x04not really a workbook", "bad.xlsx", "损坏"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x00", "bad.png", "不支持的文件类型"),
        (b"plain text", "bad.xlsx", "不是有效的 Excel 文件"),
        ("只有标题\n序号,电话\n".encode(), "bad.csv", "没有找到表头"),
    ],
)
def test_unprocessable_file_exits_2_and_writes_nothing(
    areas, tmp_path, content, name, message
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = run(path, areas["community"].code, "--create-missing")
    assert code == 2 and message in err and "imported=" not in out
    assert not Resident.objects.exists() and not Building.objects.exists()


def test_unknown_community_or_missing_file_exits_2(areas, ledger, tmp_path) -> None:
    code, _, err = run(ledger(FAMILY), "640106001999", "--create-missing")
    assert code == 2 and "社区代码 640106001999 不存在" in err
    code, _, err = run(tmp_path / "nope.xlsx", areas["community"].code)
    assert code == 2 and "文件不存在" in err
    assert not Resident.objects.exists()


def test_export_then_reimport_changes_nothing(areas, ledger, tmp_path) -> None:
    run(ledger(FAMILY), areas["community"].code, "--create-missing")
    out = tmp_path / "export.xlsx"
    call_command(
        "export_roster", str(out), "--community", areas["community"].code, stdout=io.StringIO()
    )
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert rows[2][:4] == ["姓名", "公民身份号码", "性别", "出生日期"]
    assert {r[1] for r in rows[3:]} == {HEAD, WIFE, GRANDSON}
    code, stdout, _ = run(out, areas["community"].code)
    assert (code, last_line(stdout)) == (0, "imported=0 updated=0 rejected=0")


def test_export_into_an_empty_community_recreates_the_registry(
    areas, other_areas, ledger, tmp_path
) -> None:
    """The export is a complete ledger: importing it elsewhere after moving out works."""
    run(ledger(FAMILY), areas["community"].code, "--create-missing")
    out = tmp_path / "export.xlsx"
    call_command(
        "export_roster", str(out), "--community", areas["community"].code, stdout=io.StringIO()
    )
    snapshot = {
        (r.name, r.phone, r.relation_to_head, r.residence_type, r.disability_level, r.dibao)
        for r in Resident.objects.all()
    }
    Household.objects.update(head=None)
    Resident.objects.all().delete()
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    path = tmp_path / "moved.xlsx"
    path.write_bytes(ledger_xlsx([[*r[:5], "", *r[6:]] for r in rows[3:]], rows[2]))
    code, stdout, _ = run(path, other_areas["community"].code, "--create-missing")
    assert (code, last_line(stdout)) == (0, "imported=3 updated=0 rejected=0")
    assert snapshot == {
        (r.name, r.phone, r.relation_to_head, r.residence_type, r.disability_level, r.dibao)
        for r in Resident.objects.all()
    }


def test_error_report_survives_control_characters_from_csv(areas, tmp_path) -> None:
    path, errors = tmp_path / "a.csv", tmp_path / "errors.xlsx"
    path.write_bytes(ledger_csv([row("坏\x1f名", "1234\x07")]))
    code, out, _ = run(path, areas["community"].code, "--errors", str(errors))
    assert (code, last_line(out)) == (0, "imported=0 updated=0 rejected=1")
    report = CalamineWorkbook.from_path(str(errors)).get_sheet_by_index(0).to_python()
    assert report[3][1] == "坏名"


def test_sigterm_during_the_write_rolls_everything_back(areas, ledger, monkeypatch) -> None:
    import os
    import signal

    from linli.people.roster import services

    def terminated(*args, **kwargs):  # type: ignore[no-untyped-def]
        assert Resident.objects.count() == 3  # residents were inserted…
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(services, "_apply_heads", terminated)
    code, out, err = run(ledger(FAMILY), areas["community"].code, "--create-missing")
    assert code == 2 and "导入被中断" in err and "imported=" not in out
    assert not Resident.objects.exists() and not Building.objects.exists()  # …and rolled back
