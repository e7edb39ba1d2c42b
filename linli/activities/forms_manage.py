"""Forms of the organiser and staff pages (``/activities/manage/``).

They parse and check shapes only; every rule about activities (venue windows, clashes,
audience, capacity) is the services' (:mod:`linli.activities.services`) and their
Chinese errors are put back on the form by the views. Money is entered in yuan and
handed on in integer fen.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone

from linli.accounts.errors import AccountsError
from linli.accounts.services import parse_mobile
from linli.activities.errors import ActivityError
from linli.activities.models import ActivityKind, Audience
from linli.activities.selectors import (
    invitable_orgs,
    manager_scope,
    organisers_for,
    venues_for,
)
from linli.activities.services import (
    Participant,
    SessionSpec,
    capacity_problem,
    holiday_gap_warning,
    holiday_gap_years,
    timetable,
)
from linli.eligibility.models import Scheme
from linli.orgs.models import Organization

AnyUser = User | AnonymousUser

WEEKDAYS = [
    (0, "周一"),
    (1, "周二"),
    (2, "周三"),
    (3, "周四"),
    (4, "周五"),
    (5, "周六"),
    (6, "周日"),
]
SINGLE, TIMETABLE = "single", "timetable"
#: Most lines one bulk registration takes (a large company's training is ~200 people).
BULK_MAX_LINES = 500
#: Largest .xlsx accepted for a bulk registration, in bytes.
BULK_MAX_BYTES = 2 * 1024 * 1024

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _date(label: str, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "日期格式不正确", "required": f"请填写{label}"},
    )


def _time(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "时间格式不正确（时:分）"},
    )


def _moment(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        error_messages={"invalid": "时间格式不正确"},
    )


class OrgChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class SchemeChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A pricing scheme by its name only (staff do not know the internal codes)."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class VenueChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        owner = obj.organization.name if obj.organization_id else "社区场地"
        return f"{obj.name}（{owner}，{obj.capacity} 人）"


class ActivityForm(forms.Form):
    """A new activity: what, where, who, how much, when registration runs, and the
    sessions — one (``mode=single``: date, start, end) or a timetable (``mode=timetable``:
    first/last day, weekdays, start, end, skip holidays), built by :func:`timetable`.

    ``user`` limits venues (:func:`venues_for`), organisers and invited organisations. An
    enterprise contact's activities are always organised by their organisation.
    After ``is_valid()``, :meth:`sessions` are the session specs (local times).
    """

    title = forms.CharField(
        label="活动名称", max_length=100, error_messages={"required": "请填写活动名称"}
    )
    kind = forms.ChoiceField(label="类型", choices=ActivityKind.choices)
    summary = forms.CharField(
        label="活动介绍", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    venue = VenueChoiceField(
        label="场地",
        queryset=None,
        error_messages={"required": "请选择场地", "invalid_choice": "该场地不可选"},
    )
    organiser = OrgChoiceField(
        label="主办单位",
        queryset=None,
        required=False,
        empty_label="社区主办",
        error_messages={"invalid_choice": "该单位不可选"},
    )
    capacity = forms.IntegerField(
        label="名额",
        min_value=1,
        max_value=10000,
        error_messages={"required": "请填写名额", "min_value": "名额至少为 1"},
    )
    waitlist_limit = forms.IntegerField(
        label="候补上限", min_value=0, max_value=10000, initial=50, required=False
    )
    audience = forms.ChoiceField(label="参加对象", choices=Audience.choices)
    invited_orgs: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(  # type: ignore[type-arg]
        label="受邀单位（仅“指定单位职工”）",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    min_age = forms.IntegerField(label="最小年龄", min_value=0, max_value=120, required=False)
    max_age = forms.IntegerField(label="最大年龄", min_value=0, max_value=120, required=False)
    fee_yuan = forms.DecimalField(
        label="费用（元，0 为免费）",
        min_value=Decimal(0),
        max_value=Decimal(100000),
        decimal_places=2,
        required=False,
        error_messages={"min_value": "费用不能为负数", "max_decimal_places": "费用最多两位小数"},
    )
    fee_scheme = SchemeChoiceField(
        label="或按资格定价",
        queryset=Scheme.objects.filter(active=True, subject_kind="resident").order_by("name"),
        required=False,
        empty_label="不按资格定价",
    )
    registration_opens = _moment("报名开始")
    registration_closes = _moment("报名截止")
    contact = forms.CharField(label="联系人及电话", max_length=100, required=False)
    mode = forms.ChoiceField(
        label="场次",
        choices=[(SINGLE, "单个场次"), (TIMETABLE, "按课表（多次）")],
        initial=SINGLE,
        widget=forms.RadioSelect,
    )
    day = _date("日期")
    start = _time("开始时间")
    end = _time("结束时间")
    first_day = _date("第一天")
    last_day = _date("最后一天")
    weekdays = forms.TypedMultipleChoiceField(
        label="每周上课日",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    skip_holidays = forms.BooleanField(label="跳过法定节假日", required=False, initial=True)
    need = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["venue"].queryset = venues_for(user)  # type: ignore[attr-defined]
        self.fields["invited_orgs"].queryset = invitable_orgs(user)  # type: ignore[attr-defined]
        organisers = organisers_for(user)
        organiser = self.fields["organiser"]
        organiser.queryset = organisers  # type: ignore[attr-defined]
        self.organiser_fixed = not manager_scope(user).is_staff_side
        if self.organiser_fixed:  # an enterprise contact organises for their own org
            organiser.required = True
            organiser.empty_label = None  # type: ignore[attr-defined]
            organiser.error_messages["required"] = "请选择主办单位"
        self._sessions: list[SessionSpec] = []

    def clean_title(self) -> str:
        title: str = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("请填写活动名称")
        return title

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        opens, closes = data.get("registration_opens"), data.get("registration_closes")
        if opens and closes and closes <= opens:
            self.add_error("registration_closes", "报名截止时间必须晚于报名开始时间")
        venue, capacity = data.get("venue"), data.get("capacity")
        if venue is not None and capacity is not None:
            problem = capacity_problem(venue, capacity)
            if problem:
                self.add_error("capacity", problem)
        if data.get("fee_yuan") and data.get("fee_scheme"):
            self.add_error("fee_scheme", "统一收费和按资格定价只能选一种")
        try:
            self._sessions = self._build_sessions(data)
        except ActivityError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, str(exc))
        return data

    def _build_sessions(self, data: dict[str, Any]) -> list[SessionSpec]:
        start, end = data.get("start"), data.get("end")
        if start is None:
            raise ActivityError("请填写开始时间", field="start")
        if end is None:
            raise ActivityError("请填写结束时间", field="end")
        if data.get("mode") == TIMETABLE:
            first, last = data.get("first_day"), data.get("last_day")
            if first is None:
                raise ActivityError("请填写第一天", field="first_day")
            if last is None:
                raise ActivityError("请填写最后一天", field="last_day")
            return timetable(
                first_day=first,
                last_day=last,
                weekdays=data.get("weekdays") or [],
                start=start,
                end=end,
                skip_holidays=bool(data.get("skip_holidays")),
            )
        day = data.get("day")
        if day is None:
            raise ActivityError("请填写日期", field="day")
        if end <= start:
            raise ActivityError("结束时间必须晚于开始时间", field="end")
        return [
            (
                timezone.make_aware(dt.datetime.combine(day, start)),
                timezone.make_aware(dt.datetime.combine(day, end)),
                "",
            )
        ]

    def calendar_warnings(self) -> list[str]:
        """Warnings for a timetable skipping holidays that runs into a year whose holidays
        the system does not know (:func:`holiday_gap_years`); empty otherwise."""
        data = self.cleaned_data
        first, last = data.get("first_day"), data.get("last_day")
        if data.get("mode") != TIMETABLE or not data.get("skip_holidays") or not first or not last:
            return []
        return [holiday_gap_warning(year) for year in holiday_gap_years(first, last)]

    def sessions(self) -> list[SessionSpec]:
        """The session specs built in :meth:`clean` (empty before validation)."""
        return self._sessions

    def fee_fen(self) -> int:
        """The uniform fee in integer fen (0 when free or priced by a scheme)."""
        yuan = self.cleaned_data.get("fee_yuan") or Decimal(0)
        return int((yuan * 100).to_integral_value())

    def waitlist_size(self) -> int:
        """The waitlist limit (50 when left empty)."""
        limit = self.cleaned_data.get("waitlist_limit")
        return 50 if limit is None else int(limit)

    def organiser_kind(self) -> str:
        """``community`` without an organiser; ``enterprise`` for an enterprise, else
        ``partner``."""
        org: Organization | None = self.cleaned_data.get("organiser")
        if org is None:
            return "community"
        return "enterprise" if org.kind == "enterprise" else "partner"


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(
        label="新的名额",
        min_value=1,
        max_value=10000,
        error_messages={"required": "请填写名额", "min_value": "名额至少为 1"},
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="原因",
        max_length=200,
        error_messages={"required": "请填写原因", "max_length": "原因最多 200 字"},
    )

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("请填写原因")
        return reason


class SearchForm(forms.Form):
    q = forms.CharField(
        label="手机号后 4 位或姓名",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "search"}),
    )


def _employer_choices(form: forms.Form, user: AnyUser, employer: Organization | None) -> None:
    """The ``organization`` choices of a registering form: with ``employer`` (an enterprise
    contact registering for an activity it does not organise) that one organisation,
    preselected and required; else the organisations ``user`` may invite or organise."""
    field = form.fields["organization"]
    if employer is None:
        field.queryset = invitable_orgs(user) | organisers_for(user)  # type: ignore[attr-defined]
        return
    field.queryset = Organization.objects.filter(pk=employer.pk)  # type: ignore[attr-defined]
    field.required = True
    field.empty_label = None  # type: ignore[attr-defined]
    form.initial["organization"] = employer.pk


class ParticipantForm(forms.Form):
    """One person registered by staff or an enterprise contact: a registry resident
    (``resident``, staff only) or a guest by name, phone and birth date; a child with the
    guardian's name and phone (``organization`` is then the parent's employer)."""

    resident = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label="姓名", max_length=50, required=False)
    phone = forms.CharField(label="手机号", max_length=20, required=False)
    birth_date = _date("出生日期（有年龄限制时必填）")
    organization = OrgChoiceField(
        label="工作单位（儿童填家长的单位）",
        queryset=Organization.objects.order_by("name"),
        required=False,
        empty_label="无 / 不填",
        error_messages={"invalid_choice": "该单位不可选"},
    )
    child = forms.BooleanField(label="为未成年人报名（由家长代报）", required=False)
    guardian_name = forms.CharField(label="家长姓名", max_length=50, required=False)
    guardian_phone = forms.CharField(label="家长手机号", max_length=20, required=False)

    def __init__(
        self, *args: Any, user: AnyUser, employer: Organization | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _employer_choices(self, user, employer)

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("child"):
            if not (data.get("guardian_name") or "").strip():
                self.add_error("guardian_name", "为未成年人报名需填写家长姓名")
            if not (data.get("guardian_phone") or "").strip():
                self.add_error("guardian_phone", "为未成年人报名需填写家长手机号")
            if data.get("birth_date") is None and not data.get("resident"):
                self.add_error("birth_date", "为未成年人报名需填写出生日期")
        return data

    def participant(self, resident: Any = None) -> Participant:
        """The :class:`Participant` (``resident`` as found by the view, or a guest)."""
        data = self.cleaned_data
        child = bool(data.get("child"))
        return Participant(
            resident=resident,
            name=data.get("name") or "",
            phone="" if child else (data.get("phone") or ""),
            birth_date=data.get("birth_date"),
            organization=data.get("organization"),
            guardian_name=(data.get("guardian_name") or "") if child else "",
            guardian_phone=(data.get("guardian_phone") or "") if child else "",
        )


class BulkForm(forms.Form):
    """Paste ``姓名 手机号 [出生日期]`` lines, or upload an .xlsx with those columns;
    ``organization`` is everyone's employer (an enterprise contact's own organisation)."""

    text = forms.CharField(
        label="名单（每行：姓名 手机号，可加出生日期 2015-06-01）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
    )
    file = forms.FileField(
        label="或上传 Excel（.xlsx，列：姓名、手机号、出生日期）", required=False
    )
    organization = OrgChoiceField(
        label="工作单位",
        queryset=Organization.objects.none(),
        required=False,
        empty_label="不填",
        error_messages={"invalid_choice": "该单位不可选"},
    )

    def __init__(
        self, *args: Any, user: AnyUser, employer: Organization | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _employer_choices(self, user, employer)

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            try:
                data["text"] = xlsx_lines(upload)
            except ValueError as exc:
                self.add_error("file", str(exc))
                return data
        text = (data.get("text") or "").strip()
        if not text:
            self.add_error("text", "请粘贴名单或上传 Excel 文件")
        elif len(text.splitlines()) > BULK_MAX_LINES:
            self.add_error("text", f"一次最多 {BULK_MAX_LINES} 行，请分批报名")
        data["text"] = text
        return data

    def parsed(self) -> list[tuple[int, str, Participant | str]]:
        """The lines parsed (:func:`parse_lines`) with this form's organisation."""
        return parse_lines(self.cleaned_data["text"], self.cleaned_data.get("organization"))


_SPLIT = re.compile(r"[\s,，、;；]+")


def parse_lines(
    text: str, organization: Organization | None = None
) -> list[tuple[int, str, Participant | str]]:
    """``[(line number, raw line, Participant or a Chinese error)]`` for non-empty lines.

    A line is ``姓名 手机号`` with an optional ``出生日期`` (``YYYY-MM-DD`` or ``YYYY/M/D``),
    separated by spaces, tabs or commas. A header line starting with ``姓名`` is skipped.
    """
    out: list[tuple[int, str, Participant | str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or (number == 1 and line.startswith("姓名")):
            continue
        parts = [p for p in _SPLIT.split(line) if p]
        out.append((number, line, _participant(parts, organization)))
    return out


def _participant(parts: list[str], organization: Organization | None) -> Participant | str:
    """``[name, phone…, birth date?]``: the phone may be split by spaces (137 0000 1234)."""
    if len(parts) < 2:
        return "缺少手机号：每行应为“姓名 手机号”"
    name, rest = parts[0], parts[1:]
    born = None
    if len(rest) > 1 and re.search(r"\d{4}[-/.年]", rest[-1]):
        born = _parse_day(rest[-1])
        if born is None:
            return f"出生日期“{rest[-1]}”不正确，应为 2015-06-01"
        rest = rest[:-1]
    if len(name) > 50:
        return "姓名过长"
    raw_phone = "".join(rest)
    try:
        phone = parse_mobile(raw_phone)
    except AccountsError:
        return f"手机号“{' '.join(rest)}”不正确"
    return Participant(name=name, phone=phone, birth_date=born, organization=organization)


def _parse_day(raw: str) -> dt.date | None:
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", raw)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def xlsx_lines(upload: Any) -> str:
    """The first sheet of an uploaded .xlsx as ``姓名 手机号 [出生日期]`` text lines.

    Columns are found by a header row (``姓名``, ``手机``/``电话``, ``出生``) or taken as
    A, B, C. Raises ValueError (Chinese message) for a file that is not a readable .xlsx.
    """
    from openpyxl import load_workbook

    if upload.size > BULK_MAX_BYTES:
        raise ValueError("文件过大（最大 2 MB）")
    try:
        book = load_workbook(io.BytesIO(upload.read()), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a non-xlsx file
        raise ValueError("无法读取该文件，请上传 .xlsx 格式的 Excel 文件") from None
    sheet = book.worksheets[0]
    columns = [0, 1, 2]
    lines: list[str] = []
    for index, row in enumerate(sheet.iter_rows(values_only=True)):
        cells = ["" if c is None else _cell(c) for c in row]
        if index == 0 and any("姓名" in c for c in cells):
            columns = _header_columns(cells)
            continue
        picked = [cells[i] if i < len(cells) else "" for i in columns]
        if any(picked):
            lines.append(" ".join(p for p in picked if p))
    book.close()
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_columns(cells: list[str]) -> list[int]:
    def find(*words: str) -> int | None:
        for i, cell in enumerate(cells):
            if any(w in cell for w in words):
                return i
        return None

    found = [find("姓名"), find("手机", "电话"), find("出生")]
    return [i for i in found if i is not None] or [0, 1, 2]
