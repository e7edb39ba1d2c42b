"""Checking ledger rows: pure functions from cells to clean values or reasons in Chinese.

Nothing here touches the database, so every rule can be unit- and hypothesis-tested.
Policy for blank cells: a blank cell means "not stated" — a new resident gets the model
default, a stored resident keeps the stored value. To clear tags or a disability level
write ``无``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from linli.common.identity import IdentityError, normalize_text, parse_id_number, parse_phone
from linli.people.models import CARE_TAGS, Relation, ResidenceType
from linli.people.roster.reading import COLUMN_LABELS, Table, column_letter

#: Excel's day 0 in the 1900 date system (serial 60 is the fictitious 1900-02-29).
EXCEL_EPOCH = dt.date(1899, 12, 30)
EMPTY_MARKERS = {"无", "-", "—", "/", "／", "没有", "否"}
TOTAL_WORDS = ("合计", "总计", "小计", "共计", "累计")
NOTE_ROW = re.compile(
    r"^(填表人|填报人|审核人|制表人|负责人|联系人|填表日期|填报日期|说明|注)[:：]"
)

#: Tag text → care-tag field. Vocabulary: ``CARE_TAGS`` labels plus common synonyms.
TAG_SYNONYMS: dict[str, str] = {label: name for name, label in CARE_TAGS} | {
    "独居老人": "living_alone",
    "独居老年人": "living_alone",
    "空巢老人": "empty_nest",
    "空巢家庭": "empty_nest",
    "残疾人": "disabled",
    "残障": "disabled",
    "残障人士": "disabled",
    "低保户": "dibao",
    "低保对象": "dibao",
    "城市低保": "dibao",
    "特困供养": "tekun",
    "特困人员": "tekun",
    "特困户": "tekun",
    "特困供养人员": "tekun",
    "五保户": "tekun",
    "留守": "left_behind_child",
    "重点关爱对象": "key_care",
    "重点人群": "key_care",
}
TAG_SEPARATORS = re.compile(r"[、，,；;\s/|]+")

RELATION_SYNONYMS: dict[str, str] = {label: value for value, label in Relation.choices} | {
    "本人": Relation.HEAD,
    "妻": Relation.SPOUSE,
    "妻子": Relation.SPOUSE,
    "夫": Relation.SPOUSE,
    "丈夫": Relation.SPOUSE,
    "子": Relation.CHILD,
    "女": Relation.CHILD,
    "儿子": Relation.CHILD,
    "女儿": Relation.CHILD,
    "长子": Relation.CHILD,
    "次子": Relation.CHILD,
    "长女": Relation.CHILD,
    "次女": Relation.CHILD,
    "父": Relation.PARENT,
    "母": Relation.PARENT,
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD,
    "外孙": Relation.GRANDCHILD,
    "外孙子": Relation.GRANDCHILD,
    "外孙女": Relation.GRANDCHILD,
    "祖父": Relation.GRANDPARENT,
    "祖母": Relation.GRANDPARENT,
    "外祖父": Relation.GRANDPARENT,
    "外祖母": Relation.GRANDPARENT,
    "兄": Relation.SIBLING,
    "弟": Relation.SIBLING,
    "姐": Relation.SIBLING,
    "妹": Relation.SIBLING,
    "儿媳": Relation.CHILD_IN_LAW,
    "女婿": Relation.CHILD_IN_LAW,
    "租户": Relation.TENANT,
    "租客": Relation.TENANT,
}
RESIDENCE_SYNONYMS: dict[str, str] = {label: value for value, label in ResidenceType.choices} | {
    "户籍人口": ResidenceType.REGISTERED,
    "人户一致": ResidenceType.REGISTERED,
    "常住人口": ResidenceType.PERMANENT,
    "人在户不在": ResidenceType.PERMANENT,
    "流动人口": ResidenceType.FLOATING,
    "外来人口": ResidenceType.FLOATING,
    "暂住": ResidenceType.FLOATING,
    "外来": ResidenceType.FLOATING,
}
SEX_SYNONYMS = {"男": "M", "男性": "M", "M": "M", "女": "F", "女性": "F", "F": "F"}
SEX_LABELS = {"M": "男", "F": "女"}
#: Longest building/unit/room the registry stores (Building.name, Household.unit/room).
ADDRESS_LIMITS = {"building": 45, "unit": 16, "room": 20}
CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "壹": 1, "贰": 2, "叁": 3, "肆": 4}

_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?|月)?"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)


@dataclass(frozen=True)
class Issue:
    """Why a row is rejected: ``column`` like ``身份证号（C列）``, ``value`` as written."""

    row: int
    column: str
    value: str
    reason: str


@dataclass
class RosterRow:
    """A checked row.

    Attributes:
        row: the row number the spreadsheet shows.
        cells: the original cell values (for the error report).
        name, id_number: 18-character number with upper-case ``X``.
        sex, birth_date: derived from the identity number.
        micro_grid, building, unit, room: the address as written ("" = not stated).
        fields: model fields the row states (phone, relation_to_head, residence_type,
            care-tag booleans, disability_level, note); absent keys mean "keep stored".
    """

    row: int
    cells: list[Any]
    name: str
    id_number: str
    sex: str
    birth_date: dt.date
    micro_grid: str = ""
    building: str = ""
    unit: str = ""
    room: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedTable:
    """All rows of a table: good ones, rejected ones with reasons, and skipped row numbers."""

    rows: list[RosterRow] = field(default_factory=list)
    issues: dict[int, list[Issue]] = field(default_factory=dict)
    cells: dict[int, list[Any]] = field(default_factory=dict)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def cell_text(value: Any) -> str:
    """A cell as text: ``101.0`` → ``"101"``, dates ISO, full-width to half-width."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return normalize_text(value)


def parse_date(value: Any) -> tuple[dt.date, bool]:
    """A stated date and whether the day is known (``出生年月`` may give only year and month).

    Accepts Excel dates and serial numbers, ``1950-03-05``, ``1950/3/5``, ``1950.3.5``,
    ``1950年3月5日``, ``19500305``, ``1950-03``/``1950年3月``/``195003`` (day unknown, the
    1st is returned), full-width digits and spaces.

    Raises:
        ValueError: not a date (message in Chinese).
    """
    if isinstance(value, dt.datetime):
        return value.date(), True
    if isinstance(value, dt.date):
        return value, True
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel serials run to 9999-12-31
            return EXCEL_EPOCH + dt.timedelta(days=int(value)), True
        raise ValueError(f"无法识别的日期：{cell_text(value)}")
    text = normalize_text(value).replace(" ", "")
    if text.isdigit() and len(text) in (6, 8):
        year, month, day = int(text[:4]), int(text[4:6]), int(text[6:] or 0)
    else:
        match = _DATE.match(text)
        if not match:
            raise ValueError(f"无法识别的日期：{text}（请写成 1950-03-05 或 1950年3月5日）")
        year, month, day = int(match[1]), int(match[2]), int(match[3] or 0)
    try:
        return dt.date(year, month, day or 1), day != 0
    except ValueError:
        raise ValueError(f"日期不存在：{text}") from None


def split_tags(text: Any) -> list[str]:
    """Tag words in order, split on 、，,；; spaces and slashes; empty markers dropped."""
    words = TAG_SEPARATORS.split(normalize_text(text))
    return [word for word in words if word and word not in EMPTY_MARKERS]


def parse_tags(text: Any) -> set[str]:
    """Care-tag field names named in ``text`` (``"独居老人、低保户"`` → living_alone, dibao).

    Raises:
        ValueError: a word that is not in the vocabulary (message lists the accepted ones).
    """
    fields: set[str] = set()
    unknown: list[str] = []
    for word in split_tags(text):
        key = TAG_SYNONYMS.get(re.sub(r"[（(].*[)）]$", "", word))
        if key is None:
            unknown.append(word)
        else:
            fields.add(key)
    if unknown:
        accepted = "、".join(label for _, label in CARE_TAGS)
        raise ValueError(f"无法识别的标签：{'、'.join(unknown)}（可用：{accepted}）")
    return fields


def parse_disability_level(value: Any) -> int | None:
    """1–4 from ``2``, ``二级``, ``2级``, ``贰级``; ``None`` for ``无``.

    Raises:
        ValueError: anything else.
    """
    text = cell_text(value).removesuffix("级").removeprefix("残疾")
    if text in EMPTY_MARKERS:
        return None
    level = CN_DIGITS.get(text) or (int(text) if text.isdigit() else 0)
    if not 1 <= level <= 4:
        raise ValueError(f"残疾等级应为 1–4 级：{cell_text(value)}")
    return level


def normalize_name(value: Any) -> str:
    """Inner spaces removed from Chinese names (``张 三`` → ``张三``), kept in others."""
    text = re.sub(r"\s+", " ", cell_text(value))
    if re.search(r"[\u4e00-\u9fff]", text):
        text = text.replace(" ", "")
    return text


def id_number_text(value: Any) -> str:
    """The identity number as written.

    Raises:
        ValueError: Excel stored an 18-digit number as a number (its last digits are lost).
    """
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 1e15:
        raise ValueError("身份证号被 Excel 存成了数字，后几位已丢失；请把该列设为“文本”后重新填写")
    return cell_text(value).replace(" ", "")


def building_name(text: str) -> str:
    """``3`` → ``3号楼`` (bare numbers in a 楼栋号 column); other names unchanged."""
    return f"{text}号楼" if text.isdigit() else text


def unit_name(text: str) -> str:
    """``1`` → ``1单元``; other names unchanged."""
    return f"{text}单元" if text.isdigit() else text


def is_skippable(cells: list[Any]) -> str | None:
    """Why a row carries no person ("空行", "合计行", "说明行"), or ``None``."""
    filled = []
    for cell in cells:
        if cell not in ("", None) and (text := cell_text(cell)):
            filled.append(text)
            if len(filled) > 3:
                break
    if not filled:
        return "空行"
    if any(text.replace(" ", "").startswith(TOTAL_WORDS) for text in filled[:3]):
        return "合计行"
    if len(filled) <= 2 and NOTE_ROW.match(filled[0].replace(" ", "")):
        return "说明行"
    return None


def column_title(table: Table, key: str) -> str:
    """How a column is named in messages: ``身份证号（C列）``, or the field's label if absent."""
    index = table.columns.get(key)
    if index is None:
        return COLUMN_LABELS[key]
    return f"{table.headers[index] or COLUMN_LABELS[key]}（{column_letter(index)}列）"


class _RowChecker:
    """Collects the issues of one row while parsing its cells."""

    def __init__(self, table: Table, row: int, cells: list[Any]) -> None:
        self.table, self.row, self.cells = table, row, cells
        self.issues: list[Issue] = []
        self._texts = {key: cell_text(cells[index]) for key, index in table.columns.items()}

    def raw(self, key: str) -> Any:
        index = self.table.columns.get(key)
        return "" if index is None else self.cells[index]

    def text(self, key: str) -> str:
        return self._texts.get(key, "")

    def reject(self, key: str, reason: str, value: Any = None) -> None:
        shown = self.text(key) if value is None else cell_text(value)
        self.issues.append(Issue(self.row, column_title(self.table, key), shown, reason))


def parse_row(
    table: Table, row: int, cells: list[Any], *, today: dt.date
) -> RosterRow | list[Issue]:
    """Check one row; a :class:`RosterRow` or every :class:`Issue` found in it."""
    check = _RowChecker(table, row, cells)
    name = normalize_name(check.raw("name"))
    if not name:
        check.reject("name", "姓名为空")
    elif len(name) > 50:
        check.reject("name", "姓名超过 50 个字")
    identity = None
    try:
        raw_id = id_number_text(check.raw("id_number"))
        if not raw_id:
            check.reject("id_number", "身份证号为空")
        else:
            identity = parse_id_number(raw_id, today=today)
    except (IdentityError, ValueError) as exc:
        check.reject("id_number", str(exc))
    fields = _optional_fields(check, today=today, identity=identity)
    if check.issues or identity is None:
        return check.issues
    return RosterRow(
        row=row,
        cells=cells,
        name=name,
        id_number=identity.number,
        sex=identity.sex,
        birth_date=identity.birth_date,
        micro_grid=check.text("micro_grid"),
        building=building_name(check.text("building")),
        unit=unit_name(check.text("unit")),
        room=check.text("room"),
        fields=fields,
    )


def _optional_fields(check: _RowChecker, *, today: dt.date, identity: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if sex_text := check.text("sex"):
        sex = SEX_SYNONYMS.get(sex_text.upper())
        if sex is None:
            check.reject("sex", "性别应为“男”或“女”")
        elif identity and sex != identity.sex:
            check.reject(
                "sex",
                f"性别与身份证号不符：表中为“{sex_text}”，身份证号显示为“{SEX_LABELS[identity.sex]}”",
            )
    if check.text("birth_date"):
        _check_birth(check, today=today, identity=identity)
    if phone := check.text("phone"):
        try:
            fields["phone"] = parse_phone(phone)
        except IdentityError as exc:
            check.reject("phone", str(exc))
    for key, target, vocabulary in (
        ("relation", "relation_to_head", RELATION_SYNONYMS),
        ("residence_type", "residence_type", RESIDENCE_SYNONYMS),
    ):
        if text := check.text(key).replace(" ", ""):
            if text not in vocabulary:
                options = "、".join(label for _, label in _choices(key))
                check.reject(key, f"无法识别：{text}（可用：{options}）")
            else:
                fields[target] = str(vocabulary[text])
    if check.text("tags"):
        try:
            tags = parse_tags(check.raw("tags"))
            fields.update({name: name in tags for name, _ in CARE_TAGS})
        except ValueError as exc:
            check.reject("tags", str(exc))
    if check.text("disability_level"):
        try:
            level = parse_disability_level(check.raw("disability_level"))
            fields["disability_level"] = level
            if level:
                fields["disabled"] = True
        except ValueError as exc:
            check.reject("disability_level", str(exc))
    if "note" in check.table.columns and (note := check.text("note")):
        fields["note"] = note
    if (check.text("unit") or check.text("room")) and not check.text("building"):
        check.reject("building", "填写了单元或房号，但楼栋为空")
    if check.text("building") and not check.text("room"):
        check.reject("room", "填写了楼栋，但房号为空")
    for key, limit in ADDRESS_LIMITS.items():
        if len(check.text(key)) > limit:
            check.reject(key, f"超过 {limit} 个字")
    return fields


def _choices(key: str) -> list[tuple[str, str]]:
    return list(Relation.choices if key == "relation" else ResidenceType.choices)


def _check_birth(check: _RowChecker, *, today: dt.date, identity: Any) -> None:
    try:
        stated, day_known = parse_date(check.raw("birth_date"))
    except ValueError as exc:
        check.reject("birth_date", str(exc))
        return
    if stated > today:
        check.reject("birth_date", f"出生日期在未来：{stated.isoformat()}")
        return
    if identity is None:
        return
    born = identity.birth_date
    same = stated == born if day_known else (stated.year, stated.month) == (born.year, born.month)
    if not same:
        shown = stated.isoformat() if day_known else f"{stated:%Y-%m}"
        check.reject(
            "birth_date",
            f"出生日期与身份证号不符：表中为 {shown}，身份证号显示为 {born.isoformat()}",
        )


def parse_table(table: Table, *, today: dt.date | None = None) -> ParsedTable:
    """Check every row of ``table``; the same person twice rejects every occurrence.

    ``today`` (default: today) is the date against which birth dates must not lie in the
    future.
    """
    today = today or dt.date.today()
    result = ParsedTable()
    seen: dict[str, list[int]] = defaultdict(list)
    for row, cells in table.rows:
        if reason := is_skippable(cells):
            if reason != "空行":
                result.skipped.append((row, reason))
            continue
        result.cells[row] = cells
        parsed = parse_row(table, row, cells, today=today)
        if isinstance(parsed, list):
            result.issues[row] = parsed
            number = _loose_id(cells, table)
        else:
            result.rows.append(parsed)
            number = parsed.id_number
        if number:
            seen[number].append(row)
    _reject_duplicates(result, seen, table)
    return result


def _loose_id(cells: list[Any], table: Table) -> str:
    index = table.columns.get("id_number")
    try:
        return parse_id_number(cells[index]).number if index is not None else ""
    except (IdentityError, ValueError, TypeError):
        return ""


def _reject_duplicates(result: ParsedTable, seen: dict[str, list[int]], table: Table) -> None:
    duplicated = {row: rows for rows in seen.values() if len(rows) > 1 for row in rows}
    if not duplicated:
        return
    column = column_title(table, "id_number")
    for row, rows in duplicated.items():
        others = "、".join(str(r) for r in rows if r != row)
        value = cell_text(result.cells[row][table.columns["id_number"]])
        result.issues.setdefault(row, []).append(
            Issue(
                row,
                column,
                value,
                f"同一人在文件中出现多次：第 {row} 行与第 {others} 行身份证号相同",
            )
        )
    result.rows = [r for r in result.rows if r.row not in duplicated]
