"""Reading and checking ledger files: pure functions, no database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linli.people.roster.reading import RosterFileError, read_table
from linli.people.roster.samples import DEFAULT_HEADERS, ledger_csv, ledger_xlsx
from linli.people.roster.validation import (
    TAG_SYNONYMS,
    is_skippable,
    parse_date,
    parse_table,
    parse_tags,
    split_tags,
)
from linli.testing.factories import make_id_number

DATA = Path(__file__).parent / "data"
TODAY = dt.date(2026, 11, 29)
ELDER = make_id_number(dt.date(1950, 3, 5), 101)  # male
CHILD = make_id_number(dt.date(2015, 9, 9), 202)  # female


def row(name: str = "张三", number: str = ELDER, **cells: object) -> list[object]:
    """A data row in DEFAULT_HEADERS order; keyword cells by header text."""
    values: dict[str, object] = {"姓名": name, "身份证号码": number, **cells}
    return [values.get(header) for header in DEFAULT_HEADERS]


def parsed(rows: list[list[object]], headers: list[str] = DEFAULT_HEADERS, **kw: object):  # type: ignore[no-untyped-def]
    return parse_table(read_table(ledger_xlsx(rows, headers, **kw)), today=TODAY)  # type: ignore[arg-type]


def reasons(result, number: int) -> str:  # type: ignore[no-untyped-def]
    return "；".join(f"{i.column}|{i.value}|{i.reason}" for i in result.issues.get(number, []))


# --- dates and tags (hypothesis) -------------------------------------------------------

dates = st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2099, 12, 31))


@given(
    dates, st.sampled_from(["iso", "slash", "dot", "cn", "compact", "fullwidth", "excel", "serial"])
)
def test_every_accepted_date_spelling_gives_the_same_day(day: dt.date, style: str) -> None:
    spelled: object = {
        "iso": f"{day:%Y-%m-%d}",
        "slash": f"{day.year}/{day.month}/{day.day}",
        "dot": f"{day.year}.{day.month}.{day.day}",
        "cn": f"{day.year}年{day.month}月{day.day}日",
        "compact": f"{day:%Y%m%d}",
        "fullwidth": f" {day.year}－{day.month:02d}－{day.day:02d} ".translate(
            str.maketrans("0123456789", "０１２３４５６７８９")
        ),
        "excel": dt.datetime.combine(day, dt.time()),
        "serial": float((day - dt.date(1899, 12, 30)).days),
    }[style]
    assert parse_date(spelled) == (day, True)


@given(dates)
def test_year_and_month_only_is_a_date_with_unknown_day(day: dt.date) -> None:
    assert parse_date(f"{day.year}年{day.month}月") == (day.replace(day=1), False)
    assert parse_date(f"{day.year}-{day.month:02d}") == (day.replace(day=1), False)


@pytest.mark.parametrize("text", ["1950-02-30", "昨天", "1950/13/1", "50-3-5", ""])
def test_impossible_or_unreadable_dates_are_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@given(
    st.lists(st.sampled_from(sorted(TAG_SYNONYMS)), min_size=0, max_size=5),
    st.lists(
        st.sampled_from(["、", "，", ",", "；", ";", " ", "  ", "\t"]), min_size=5, max_size=5
    ),
)
def test_tags_split_on_any_separator(words: list[str], separators: list[str]) -> None:
    text = "".join(word + separators[i] for i, word in enumerate(words))
    assert split_tags(text) == words
    assert parse_tags(text) == {TAG_SYNONYMS[word] for word in words}


def test_tag_synonyms_map_to_care_tags() -> None:
    assert parse_tags("独居老人、残疾人，低保户;特困供养") == {
        "living_alone",
        "disabled",
        "dibao",
        "tekun",
    }
    assert parse_tags("无") == set()


def test_unknown_tag_is_an_error_naming_the_word() -> None:
    with pytest.raises(ValueError, match="外星人"):
        parse_tags("独居、外星人")


# --- files ------------------------------------------------------------------------------


def test_header_found_below_merged_title_and_unit_rows_with_synonyms() -> None:
    headers = ["名字", "证件号码", "手机", "楼号", "门牌号", "出生年月", "人员标签"]
    data = ledger_xlsx(
        [["李四", ELDER.lower(), "13912345678", "3", "101", "1950年3月", "独居老人"]], headers
    )
    table = read_table(data, "a.xlsx")
    assert table.header_row == 3
    assert {"name", "id_number", "phone", "building", "room", "birth_date", "tags"} <= set(
        table.columns
    )
    result = parse_table(table, today=TODAY)
    assert not result.issues
    [person] = result.rows
    assert (person.row, person.name, person.id_number) == (4, "李四", ELDER)
    assert (person.building, person.room, person.fields["living_alone"]) == ("3号楼", "101", True)


def test_full_width_digits_spaces_and_lower_case_x_are_accepted() -> None:
    number = next(
        make_id_number(dt.date(1960, 1, 1), seq)
        for seq in range(1000)
        if make_id_number(dt.date(1960, 1, 1), seq).endswith("X")
    )
    fullwidth = number.lower().translate(str.maketrans("0123456789x", "０１２３４５６７８９ｘ"))
    result = parsed([row("王 五", f" {fullwidth} ", 联系电话="１３９ １２３４ ５６７８")])
    assert not result.issues
    assert (result.rows[0].name, result.rows[0].id_number) == ("王五", number)
    assert result.rows[0].fields["phone"] == "13912345678"


def test_blank_formatted_rows_and_totals_rows_are_ignored() -> None:
    result = parsed(
        [row(), [None] * len(DEFAULT_HEADERS), ["", "", "  "]],
        footer=[["合计", "1人"], ["总计：1 人"], [None, "小计"], ["填表人：张三", "审核人：李四"]],
    )
    assert [r.row for r in result.rows] == [4]
    assert not result.issues
    assert [reason for _, reason in result.skipped] == ["合计行", "合计行", "合计行", "说明行"]


def test_gbk_csv_is_decoded() -> None:
    data = ledger_csv([row("欧阳娜娜", CHILD, 性别="女")], encoding="gbk")
    result = parse_table(read_table(data, "a.csv"), today=TODAY)
    assert [r.name for r in result.rows] == ["欧阳娜娜"]


def test_utf8_csv_with_bom_is_decoded() -> None:
    data = ledger_csv([row("张三")], encoding="utf-8-sig")
    table = read_table(data, "a.csv")
    assert table.headers[1] == "姓名"
    assert [r.name for r in parse_table(table, today=TODAY).rows] == ["张三"]


def test_tab_separated_utf16_text_from_excel_is_read() -> None:
    text = "填报单位：测试社区\n" + "\t".join(DEFAULT_HEADERS) + "\n"
    text += (
        "\t".join("" if c is None else str(c) for c in row("张三", 联系电话="13912345678")) + "\n"
    )
    table = read_table(text.encode("utf-16"), "a.txt")
    assert [r.name for r in parse_table(table, today=TODAY).rows] == ["张三"]


def test_legacy_xls_file_is_read() -> None:
    """roster_legacy.xls: made with LibreOffice from samples.ledger_xlsx (see docs)."""
    table = read_table((DATA / "roster_legacy.xls").read_bytes(), "roster_legacy.xls")
    result = parse_table(table, today=TODAY)
    assert not result.issues
    assert [(r.row, r.name) for r in result.rows] == [(4, "马玉兰"), (5, "马福"), (6, "杨小军")]
    assert result.rows[1].fields["disability_level"] == 2
    assert result.skipped == [(7, "合计行")]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "x.xlsx", "空"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "x.png", "不支持的文件类型"),
        (b"%PDF-1.4 text", "x.pdf", "不支持的文件类型"),
        (b"just some text", "x.xlsx", "扩展名是 .xlsx，但内容不是有效的 Excel"),
        (b"\xef\xbb\xbf\xff\xfe broken utf-8", "x.csv", "UTF-8-SIG 编码，但内容有误"),
        (b"PK\x03\x04broken zip", "x.xlsx", "损坏"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "x.xls", "损坏"),
        ("标题\n序号,名字,电话\n1,张三,139\n".encode(), "x.csv", "没有找到表头"),
    ],
)
def test_unusable_files_raise_a_chinese_error(data: bytes, name: str, message: str) -> None:
    with pytest.raises(RosterFileError, match=message) as caught:
        read_table(data, name)
    # the library's own (English) exception text never reaches the user
    assert not any(word in str(caught.value) for word in ("Cannot", "Error", "error", "zip"))


# --- row rules (each rejection reason) ---------------------------------------------------


def test_wrong_check_digit_is_rejected_with_row_column_and_value() -> None:
    wrong = ELDER[:17] + ("0" if ELDER[17] != "0" else "1")
    result = parsed([row(), row("李四", wrong)])
    assert "第 18 位应为" in reasons(result, 5)
    assert reasons(result, 5).startswith(f"身份证号码（C列）|{wrong}|身份证号校验位错误")


def test_stated_birth_date_in_the_future_is_rejected() -> None:
    result = parsed([row(出生日期="2030-01-01")])
    assert "出生日期（E列）|2030-01-01|出生日期在未来" in reasons(result, 4)


def test_birth_date_disagreeing_with_identity_number_shows_both() -> None:
    result = parsed([row(出生日期="1950/3/6")])
    assert "表中为 1950-03-06，身份证号显示为 1950-03-05" in reasons(result, 4)


def test_sex_disagreeing_with_identity_number_shows_both() -> None:
    result = parsed([row(性别="女")])
    assert "性别（D列）|女|性别与身份证号不符：表中为“女”，身份证号显示为“男”" in reasons(result, 4)


def test_invalid_phone_is_rejected() -> None:
    result = parsed([row(联系电话="1234")])
    assert "联系电话（F列）|1234|" in reasons(result, 4)


def test_missing_name_or_identity_number_is_rejected() -> None:
    result = parsed([row(""), row("李四", "")])
    assert "姓名（B列）||姓名为空" in reasons(result, 4)
    assert "身份证号码（C列）||身份证号为空" in reasons(result, 5)


def test_identity_number_stored_as_a_number_by_excel_is_rejected() -> None:
    result = parsed([row("李四", float(ELDER[:17] + "0"))])  # type: ignore[arg-type]
    assert "存成了数字" in reasons(result, 4)


def test_same_person_twice_rejects_both_rows_naming_both() -> None:
    result = parsed([row("张三"), row("李四", CHILD), row("张三", ELDER.lower())])
    assert "第 4 行与第 6 行身份证号相同" in reasons(result, 4)
    assert "第 6 行与第 4 行身份证号相同" in reasons(result, 6)
    assert [r.row for r in result.rows] == [5]


def test_unknown_relation_residence_and_disability_level_are_rejected() -> None:
    result = parsed([row(与户主关系="邻居", 居住类型="暂居?", 残疾等级="五级")])
    text = reasons(result, 4)
    assert "无法识别：邻居" in text and "无法识别：暂居?" in text and "残疾等级应为 1–4 级" in text


def test_room_without_building_is_rejected() -> None:
    result = parsed([row(房号="101")])
    assert "填写了单元或房号，但楼栋为空" in reasons(result, 4)


cell_values = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=["Cc", "Cs"]), max_size=20),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.sampled_from(
        [ELDER, CHILD, ELDER.lower(), "合计", "无", "1950年3月5日", "独居老人、低保户"]
    ),
)


@given(st.lists(st.lists(cell_values, min_size=14, max_size=14), max_size=6))
def test_any_cells_are_either_imported_rejected_or_skipped_never_a_crash(rows) -> None:  # type: ignore[no-untyped-def]
    table = read_table(ledger_xlsx(rows), "fuzz.xlsx")
    result = parse_table(table, today=TODAY)
    accounted = {r.row for r in result.rows} | set(result.issues) | {n for n, _ in result.skipped}
    blank = {number for number, cells in table.rows if is_skippable(cells) == "空行"}
    assert accounted | blank == {number for number, _ in table.rows}
    assert not {r.row for r in result.rows} & set(result.issues)
    for issues in result.issues.values():
        assert all(issue.reason for issue in issues)


def test_address_parts_longer_than_the_registry_stores_are_rejected() -> None:
    result = parsed([row(楼栋="3号楼", 单元="1", 房号="1" * 21)])
    assert "房号（I列）|" + "1" * 21 + "|超过 20 个字" in reasons(result, 4)
