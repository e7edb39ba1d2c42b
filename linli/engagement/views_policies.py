"""Staff pages of the policy library (政策库), mounted at ``/engagement/policies/``
(namespace ``engagement_policies``).

* ``/engagement/policies/`` — the library with a validity filter (现行有效 / 尚未生效 /
  已失效 / 全部) and search; per policy the visible matches by status.
* ``/engagement/policies/new/``, ``<pk>/edit/`` — the policy form with the condition
  editor: a structured form for the common organisation facts (type, industry, size,
  employee range, internship base, disabled employees, community) that builds the
  condition JSON, or the advanced JSON; 「预览符合条件的单位」 shows who would match
  without saving; 「保存」 checks everything (contradictions included) and matches.
* ``/engagement/policies/<pk>/`` — text, the relay's notes (政策解读) with upload, the
  matches with reasons and status (who was told, applied, granted) and their actions;
  ``<pk>/matches.xlsx`` the matches as a spreadsheet; ``<pk>/match/`` re-runs matching.

Who: superusers and staff holding one of
:data:`~linli.engagement.policy_selectors.POLICY_ROLES`; others logged in get 403,
anonymous visitors the log-in page. A policy not applying to the user's areas (or a
match outside them) is 404. Refusals show the service's Chinese message with 400, 403 or
409.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from openpyxl import Workbook

from linli.common.documents import Cell
from linli.common.exports import wants_xlsx, xlsx_response
from linli.common.security import safe_file_response
from linli.eligibility.conditions import describe
from linli.eligibility.facts import SubjectKind
from linli.eligibility.money import yuan
from linli.engagement import policies
from linli.engagement import policy_selectors as sel
from linli.engagement.errors import EngagementError
from linli.engagement.models import GrantMode, MatchStatus, Policy, PolicyMatch, PolicyNote
from linli.orgs.models import OrgKind, OrgSize
from linli.places.models import Area, AreaKind

View = Callable[..., HttpResponseBase]
REFUSED = "政策库页面仅供街道、社区管理员、网格长和调度员使用"
PAGE_ROWS = 200


def policy_staff_required(view: View) -> View:
    """Log-in required (redirect), then :func:`~policy_selectors.may_use_policies` (403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not sel.may_use_policies(request.user):
            raise PermissionDenied(REFUSED)
        return view(request, *args, **kwargs)

    return wrapped


def _policy(request: HttpRequest, pk: int) -> Policy:
    policy = sel.policy_for_staff(request.user, pk)
    if policy is None:
        raise Http404("没有找到这项政策，或它不适用于您负责的区域")
    return policy


# --- the condition editor -----------------------------------------------------------------

YES_NO = [("", "不限"), ("yes", "是见习基地"), ("no", "不是见习基地")]
#: Industry names contain 、 (信息传输、软件和信息技术服务业): one per line, or ；.
SPLIT = re.compile(r"[\n；;]+")


def condition_from_structured(data: dict[str, Any], communities: dict[str, str]) -> dict[str, Any]:
    """The condition JSON of the structured editor's answers (``{"all": []}``: everyone).

    ``communities`` maps community codes to names (for the reason label).
    """
    parts: list[dict[str, Any]] = []
    kinds = data.get("kinds") or []
    if kinds:
        # The reason names the subject's own kind ({kind} renders 医疗机构), not the list.
        parts.append({"fact": "kind", "op": "in", "value": kinds, "label": "单位类型：{kind}"})
    industries = [i.strip() for i in SPLIT.split(data.get("industries") or "") if i.strip()]
    if industries:
        parts.append(
            {"fact": "industry", "op": "in", "value": industries, "label": "行业：{industry}"}
        )
    sizes = data.get("sizes") or []
    if sizes:
        parts.append({"fact": "size", "op": "in", "value": sizes, "label": "企业规模：{size}"})
    low, high = data.get("employees_min"), data.get("employees_max")
    if low is not None:
        label = f"从业人数 ≥ {low}（现 {{employee_count}} 人）"
        parts.append({"fact": "employee_count", "op": ">=", "value": low, "label": label})
    if high is not None:
        label = f"从业人数 ≤ {high}（现 {{employee_count}} 人）"
        parts.append({"fact": "employee_count", "op": "<=", "value": high, "label": label})
    base = data.get("internship_base") or ""
    if base:
        label = "青年就业见习基地" if base == "yes" else "非见习基地"
        parts.append(
            {"fact": "internship_base", "op": "==", "value": base == "yes", "label": label}
        )
    disabled = data.get("disabled_min")
    if disabled is not None:
        label = "在册残疾职工 {disabled_employees} 人"
        parts.append({"fact": "disabled_employees", "op": ">=", "value": disabled, "label": label})
    codes = data.get("communities") or []
    if codes:
        names = "、".join(communities.get(c, c) for c in codes)
        parts.append({"fact": "community", "op": "in", "value": codes, "label": f"位于{names}"})
    return {"all": parts}


def structured_from_condition(condition: Any) -> dict[str, Any] | None:
    """The structured editor's answers for ``condition``, or ``None`` when the condition
    was not built by it (then the page opens the advanced JSON)."""
    if not isinstance(condition, dict) or set(condition) != {"all"}:
        return None
    data: dict[str, Any] = {}
    shapes: dict[tuple[Any, Any], str] = {
        ("kind", "in"): "kinds",
        ("industry", "in"): "industries",
        ("size", "in"): "sizes",
        ("employee_count", ">="): "employees_min",
        ("employee_count", "<="): "employees_max",
        ("internship_base", "=="): "internship_base",
        ("disabled_employees", ">="): "disabled_min",
        ("community", "in"): "communities",
    }
    for part in condition["all"]:
        name = shapes.get((part.get("fact"), part.get("op"))) if isinstance(part, dict) else None
        if name is None or name in data:
            return None
        value = part["value"]
        if name == "industries":
            value = "\n".join(value)
        elif name == "internship_base":
            value = "yes" if value else "no"
        data[name] = value
    return data


#: json.JSONDecodeError messages (CPython ``json.decoder``) in words staff understand.
JSON_ERRORS = {
    "Expecting ',' delimiter": "缺少逗号",
    "Expecting ':' delimiter": "缺少冒号",
    "Expecting property name enclosed in double quotes": (
        "名称要用英文双引号括起来（或最后一项后面多了逗号）"
    ),
    "Expecting value": "缺少值（或多了逗号）",
    "Extra data": "有多余的内容（整个条件只能是一个 {…}）",
    "Unterminated string starting at": "文字缺少结尾的双引号",
    "Invalid control character at": "文字中间不能换行",
    "Invalid \\escape": "反斜杠 \\ 的写法不对",
}


def json_error_text(err: json.JSONDecodeError, raw: str) -> str:
    """``"JSON 格式有误：第 3 行第 5 列附近缺少逗号"`` for a syntax error in ``raw``."""
    what = JSON_ERRORS.get(err.msg, "写法不对")
    hint = "；请使用英文标点" if any(c in raw for c in "“”‘’，：") else ""
    return f"JSON 格式有误：第 {err.lineno} 行第 {err.colno} 列附近{what}{hint}"


class PolicyForm(forms.Form):
    """The policy with its condition (structured or advanced JSON); money in yuan."""

    title = forms.CharField(label="政策名称", max_length=200)
    issuer = forms.CharField(label="发布机关", max_length=100)
    document_number = forms.CharField(label="文号", max_length=60, required=False)
    area = forms.ModelChoiceField(label="适用区域", queryset=Area.objects.none())
    subject_kind = forms.ChoiceField(label="适用对象", choices=SubjectKind.choices)
    summary = forms.CharField(
        label="政策要点", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    benefit = forms.CharField(label="享受内容", max_length=200)
    benefit_yuan = forms.DecimalField(
        label="补贴金额（元）",
        required=False,
        min_value=Decimal(0),
        decimal_places=2,
        max_digits=12,
        help_text="非现金政策可不填",
    )
    benefit_unit = forms.CharField(
        label="计量单位", max_length=30, required=False, help_text="如“人”"
    )
    grant_mode = forms.ChoiceField(
        label="兑现方式", choices=GrantMode.choices, widget=forms.RadioSelect
    )
    valid_from = forms.DateField(
        label="生效日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    valid_to = forms.DateField(
        label="失效日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="长期有效可不填",
    )
    source_url = forms.URLField(label="原文链接", required=False, assume_scheme="https")
    mode = forms.ChoiceField(
        label="资格条件的填写方式",
        choices=[("structured", "按常用条件勾选（单位）"), ("advanced", "高级：直接编写条件 JSON")],
        widget=forms.RadioSelect,
        initial="structured",
    )
    kinds = forms.MultipleChoiceField(
        label="单位类型",
        choices=OrgKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    industries = forms.CharField(
        label="行业（属于其一即可）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="每行一个，按国民经济行业分类名称填写，如：信息传输、软件和信息技术服务业",
    )
    sizes = forms.MultipleChoiceField(
        label="企业规模",
        choices=OrgSize.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    employees_min = forms.IntegerField(label="从业人数不少于", required=False, min_value=0)
    employees_max = forms.IntegerField(label="从业人数不多于", required=False, min_value=0)
    internship_base = forms.ChoiceField(label="青年就业见习基地", choices=YES_NO, required=False)
    disabled_min = forms.IntegerField(label="在册残疾职工不少于（人）", required=False, min_value=1)
    communities = forms.MultipleChoiceField(
        label="所在社区（属于其一即可）", required=False, widget=forms.CheckboxSelectMultiple
    )
    condition_json = forms.CharField(
        label="条件 JSON",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}),
        help_text=(
            '例：{"all": [{"fact": "internship_base", "op": "==", "value": true}]}'
            "，语法见 docs/policies.md"
        ),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = sel.editable_areas(user)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.community_names = {a.code: a.name for a in areas if a.kind == AreaKind.COMMUNITY}
        self.fields["communities"].choices = list(self.community_names.items())  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("mode") == "advanced" or data.get("subject_kind") == SubjectKind.RESIDENT:
            raw = (data.get("condition_json") or "").strip() or '{"all": []}'
            try:
                data["condition"] = json.loads(raw)
            except json.JSONDecodeError as err:
                self.add_error("condition_json", json_error_text(err, raw))
        else:
            low, high = data.get("employees_min"), data.get("employees_max")
            if low is not None and high is not None and low > high:
                self.add_error("employees_max", "从业人数上限不能小于下限")
            data["condition"] = condition_from_structured(data, self.community_names)
            # Opening 高级 after a preview shows the JSON of the ticked answers.
            bound = cast(Any, self.data).copy()  # a QueryDict: keeps the ticked lists
            bound["condition_json"] = json.dumps(data["condition"], ensure_ascii=False, indent=2)
            self.data = bound
        return data

    def policy_fields(self) -> dict[str, Any]:
        """Cleaned values as :func:`~linli.engagement.policies.policy_save` fields."""
        data = self.cleaned_data
        amount = data.get("benefit_yuan")
        fields = {
            name: data.get(name)
            for name in policies.POLICY_FIELDS
            if name not in ("benefit_fen", "condition")
        }
        fields["benefit_fen"] = None if amount is None else int(amount * 100)
        fields["condition"] = data.get("condition")
        fields["source_url"] = data.get("source_url") or ""
        return fields

    @classmethod
    def initial_for(cls, policy: Policy | None) -> dict[str, Any]:
        if policy is None:
            kinds = [OrgKind.ENTERPRISE]
            condition = condition_from_structured({"kinds": kinds}, {})
            return {
                "mode": "structured",
                "grant_mode": GrantMode.APPLY,
                "kinds": kinds,
                "subject_kind": SubjectKind.ORGANIZATION,
                "valid_from": timezone.localdate(),
                "condition_json": json.dumps(condition, ensure_ascii=False, indent=2),
            }
        initial = {name: getattr(policy, name) for name in policies.POLICY_FIELDS}
        if policy.benefit_fen is not None:
            initial["benefit_yuan"] = Decimal(policy.benefit_fen) / 100
        initial["condition_json"] = json.dumps(policy.condition, ensure_ascii=False, indent=2)
        structured = structured_from_condition(policy.condition)
        if structured is None or policy.subject_kind != SubjectKind.ORGANIZATION:
            initial["mode"] = "advanced"
        else:
            initial |= structured | {"mode": "structured"}
        return initial


def _service_error(form: forms.Form, err: EngagementError) -> None:
    errors = getattr(err, "errors", None) or {err.field: str(err)}
    for field, message in errors.items():
        target = {"benefit_fen": "benefit_yuan", "condition": None}.get(field, field)
        if field == "condition":
            target = "condition_json" if form.cleaned_data.get("mode") == "advanced" else None
        form.add_error(target if target in form.fields else None, message)


# --- pages --------------------------------------------------------------------------------


@require_safe
@policy_staff_required
def policy_list(request: HttpRequest) -> HttpResponseBase:
    """``/engagement/policies/?v=current&q=``: the policy library (at most
    :data:`PAGE_ROWS` on the page; ``&format=xlsx`` gives every match)."""
    validity = request.GET.get("v", "current")
    validity = validity if validity in sel.VALIDITY else "current"
    search = request.GET.get("q", "")[:50]
    if wants_xlsx(request):
        return _policies_xlsx(request, validity, search)
    rows = list(sel.policies_for_staff(request.user, validity=validity, search=search)[:PAGE_ROWS])
    counts = sel.match_counts(request.user, [p.pk for p in rows])
    return render(
        request,
        "engagement/policies/list.html",
        {
            "rows": [(p, _count_words(counts.get(p.pk, {}))) for p in rows],
            "validity": validity,
            "validities": sel.VALIDITY.items(),
            "search": search,
            "may_edit": sel.may_edit_policies(request.user),
        },
    )


#: Columns of the policy library export: a row of the page split into cells.
POLICIES_HEADER = ["政策", "发布机关", "文号", "区域", "适用对象", "生效日期", "失效日期"]
POLICIES_HEADER += ["兑现方式", "匹配情况"]


def _policies_xlsx(request: HttpRequest, validity: str, search: str) -> FileResponse:
    """Every policy the filters select, as the list shows them (match counts in words)."""
    policies = list(sel.policies_for_staff(request.user, validity=validity, search=search))
    counts = sel.match_counts(request.user, [p.pk for p in policies])
    rows: list[list[Cell]] = [
        [
            p.title,
            p.issuer,
            p.document_number,
            p.area.name,
            p.get_subject_kind_display(),
            p.valid_from.isoformat() if p.valid_from else "",
            p.valid_to.isoformat() if p.valid_to else "长期",
            p.get_grant_mode_display(),
            _count_words(counts.get(p.pk, {})),
        ]
        for p in policies
    ]
    shown = f"筛选条件：有效期 {sel.VALIDITY[validity]}" + (f"；关键词 {search}" if search else "")
    return xlsx_response(title="政策库", header=POLICIES_HEADER, rows=rows, lines=[shown])


def _count_words(counts: dict[str, int]) -> str:
    live = sum(n for status, n in counts.items() if status != MatchStatus.LAPSED)
    if not live:
        return "暂无符合条件的对象"
    parts = [
        f"{MatchStatus(s).label} {counts[s]}"
        for s in MatchStatus.values
        if counts.get(s) and s != MatchStatus.LAPSED
    ]
    return f"符合 {live} 个：" + "、".join(parts)


@policy_staff_required
def policy_new(request: HttpRequest) -> HttpResponse:
    if not sel.may_edit_policies(request.user):
        raise PermissionDenied("只有街道、社区管理员可以录入政策")
    return _policy_form(request, None)


@policy_staff_required
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy(request, pk)
    if not sel.may_edit_policy_in(request.user, policy.area):
        raise PermissionDenied("您不能修改这项政策（它适用的区域不在您的管辖范围内）")
    return _policy_form(request, policy)


def _policy_form(request: HttpRequest, policy: Policy | None) -> HttpResponse:
    form = PolicyForm(
        request.POST or None, user=request.user, initial=PolicyForm.initial_for(policy)
    )
    preview, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            fields = form.policy_fields()
            try:
                if "preview" in request.POST:
                    preview = sel.match_preview(
                        actor=request.user,
                        area=fields["area"],
                        subject_kind=fields["subject_kind"],
                        condition=fields["condition"],
                    )
                    status = 200
                else:
                    saved = policies.policy_save(actor=request.user, policy=policy, **fields)
                    live = saved.matches.exclude(status=MatchStatus.LAPSED).count()
                    messages.success(request, f"政策已保存，当前符合条件的对象 {live} 个。")
                    return redirect("engagement_policies:detail", pk=saved.pk)
            except EngagementError as err:
                _service_error(form, err)
                status = err.http_status
    condition = (
        form.cleaned_data.get("condition")
        if form.is_bound and hasattr(form, "cleaned_data")
        else None
    )
    return render(
        request,
        "engagement/policies/form.html",
        {
            "form": form,
            "policy": policy,
            "preview": preview,
            "condition_text": describe(
                condition, form.cleaned_data.get("subject_kind", "organization")
            )
            if preview is not None and condition is not None
            else "",
            "condition_json": json.dumps(condition, ensure_ascii=False, indent=2)
            if preview is not None
            else "",
        },
        status=status,
    )


@require_safe
@policy_staff_required
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _policy(request, pk))


def _detail(
    request: HttpRequest,
    policy: Policy,
    *,
    note_error: str = "",
    match_error: tuple[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    shown = request.GET.get("status", "")
    rows = (
        sel.matches_for_staff(request.user)
        .filter(policy=policy)
        .order_by("status", "organization__name", "resident__name", "pk")
    )
    counts = {s: 0 for s in MatchStatus.values}
    for match in rows:
        counts[match.status] += 1
    if shown in MatchStatus.values:
        rows = rows.filter(status=shown)
    elif shown != "all":
        rows = rows.exclude(status=MatchStatus.LAPSED)
    shown_rows = list(rows[:500])
    for match in shown_rows:
        match.granted_yuan = yuan(match.granted_fen) if match.granted_fen is not None else ""  # type: ignore[attr-defined]
    return render(
        request,
        "engagement/policies/detail.html",
        {
            "policy": policy,
            "condition_text": describe(policy.condition, policy.subject_kind),
            "condition_json": json.dumps(policy.condition, ensure_ascii=False, indent=2),
            "benefit": policies.benefit_text(policy),
            "notes": sel.notes_of(policy),
            "matches": shown_rows,
            "counts": [(s, MatchStatus(s).label, counts[s]) for s in MatchStatus.values],
            "shown": shown,
            "automatic": policy.grant_mode == GrantMode.AUTOMATIC,
            "may_edit": sel.may_edit_policy_in(request.user, policy.area),
            "current": policies.policy_is_current(policy, timezone.localdate()),
            "note_error": note_error,
            "match_error": match_error,
        },
        status=status,
    )


@require_POST
@policy_staff_required
def policy_note(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy(request, pk)
    try:
        policies.policy_note_add(
            policy=policy,
            actor=request.user,
            text=request.POST.get("text", ""),
            attachment=request.FILES.get("attachment"),
        )
    except EngagementError as err:
        return _detail(request, policy, note_error=str(err), status=err.http_status)
    messages.success(request, "政策解读已添加，符合条件的企业可以看到。")
    return redirect("engagement_policies:detail", pk=policy.pk)


@require_POST
@policy_staff_required
def policy_rematch(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy(request, pk)
    report = policies.policy_match(policy=policy, actor=request.user)
    messages.success(request, report.summary())
    return redirect("engagement_policies:detail", pk=policy.pk)


MATCH_ACTIONS = {"notify", "phone", "applied", "granted", "rejected"}


@require_POST
@policy_staff_required
def match_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    match = sel.match_for_staff(request.user, pk)
    if match is None or action not in MATCH_ACTIONS:
        raise Http404("没有找到这条匹配记录")
    try:
        _run_action(request, match, action)
    except EngagementError as err:
        return _detail(
            request, match.policy, match_error=(match.pk, str(err)), status=err.http_status
        )
    return redirect(f"/engagement/policies/{match.policy_id}/#match-{match.pk}")


def _run_action(request: HttpRequest, match: PolicyMatch, action: str) -> None:
    actor = request.user
    if action in ("notify", "phone"):
        policies.policy_match_notify(match=match, actor=actor, by_phone=action == "phone")
        messages.success(request, f"已记录告知：{_subject_name(match)}")
    elif action == "applied":
        policies.policy_match_applied(match=match, actor=actor)
        messages.success(request, f"已登记申报：{_subject_name(match)}")
    else:
        amount = _fen(request.POST.get("amount", ""))
        policies.policy_match_outcome(
            match=match,
            actor=actor,
            outcome=action,
            amount_fen=amount,
            note=request.POST.get("note", ""),
        )
        messages.success(request, f"已登记结果：{_subject_name(match)} {MatchStatus(action).label}")


def _fen(raw: str) -> int | None:
    """Yuan text ("1950" / "1,950.50") → fen; empty → ``None``.

    Raises:
        EngagementError: not a non-negative amount with at most two decimals.
    """
    raw = raw.strip().replace(",", "").replace("，", "")
    if not raw:
        return None
    if not re.fullmatch(r"\d{1,9}(\.\d{1,2})?", raw):
        raise EngagementError("兑现金额应为不小于 0 的数字（元，最多两位小数）", field="amount")
    return int(Decimal(raw) * 100)


def _subject_area(match: PolicyMatch) -> str:
    subject = match.organization or match.resident
    return subject.area.name if subject is not None else ""


def _subject_name(match: PolicyMatch) -> str:
    return str(match.organization or match.resident)


@require_safe
@policy_staff_required
def matches_export(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy(request, pk)
    rows = sel.matches_for_staff(request.user).filter(policy=policy).order_by("status", "pk")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "匹配结果"
    sheet.append(
        [
            "对象",
            "统一社会信用代码",
            "所属区域",
            "状态",
            "符合理由",
            "匹配时间",
            "告知时间",
            "申报时间",
            "结果时间",
            "兑现金额（元）",
            "结果说明",
        ]
    )
    for m in rows:
        sheet.append(
            [
                _subject_name(m),
                (m.organization.uscc or "") if m.organization else "",
                _subject_area(m),
                m.get_status_display(),
                m.reasons,
                *(_local(t) for t in (m.matched_at, m.notified_at, m.applied_at, m.outcome_at)),
                Decimal(m.granted_fen) / 100 if m.granted_fen is not None else None,
                m.outcome_note,
            ]
        )
    for cell in sheet["J"][1:]:
        cell.number_format = "0.00"  # a number of yuan, so Excel can sum it
    for column, width in zip(
        "ABCDEFGHIJK", (28, 22, 16, 10, 50, 17, 17, 17, 17, 14, 30), strict=True
    ):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"policy-{policy.pk}-matches-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _local(at: Any) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}" if at else ""


@require_safe
@policy_staff_required
def note_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    return attachment_response(sel.note_for_staff(request.user, pk))


def attachment_response(note: PolicyNote | None) -> FileResponse:
    """A note's attachment as a download (``MEDIA_URL`` is not served), else 404."""
    if note is None or not note.attachment:
        raise Http404("没有这个附件")
    # Always a download, typed from the (content-checked) extension's allow-list.
    name = note.attachment.name or "附件"
    return safe_file_response(note.attachment.open("rb"), name, inline_images=False)
