"""Actions on a case from its detail page: one small form and one service call each.

``ACTIONS`` lists, per action, the label, the states in which the button is offered, the
form it needs and the service call. Whether the user may act is asked of
:mod:`linli.cases.permissions` (the services check again and raise ``NotAllowed``); the
state check here only hides buttons that cannot work — the service has the last word and a
stale page gets the 409 page with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Case as CaseWhen
from django.db.models import When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from linli.cases import photos, services
from linli.cases.branches import SUSPENDABLE
from linli.cases.errors import CaseError, CaseInputError
from linli.cases.forms import (
    DESCRIPTION_ERRORS,
    MAX_DESCRIPTION,
    PHOTO_ERRORS,
    NoteForm,
    photo_check,
)
from linli.cases.models import OPEN_STATUSES, Case, CaseStatus, ParticipantRole
from linli.cases.views import case_for, error_page
from linli.orgs.models import Organization, OrgKind
from linli.people.models import Assignment
from linli.people.scoping import scope

S = CaseStatus


def attach_photo(*, case: Case, photo: UploadedFile, actor: User, event: Any = None) -> None:
    """Check and store an uploaded photo on the case (:func:`linli.cases.photos.photo_add`)."""
    photos.photo_add(case=case, upload=photo, actor=actor, event=event)


def _note_field(label: str = "说明", *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_DESCRIPTION,
        required=required,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={**DESCRIPTION_ERRORS, "required": f"请填写{label}"},
    )


class EmptyForm(forms.Form):
    pass


class PlainForm(forms.Form):
    note = _note_field()


class ReasonForm(forms.Form):
    reason = _note_field("原因", required=True)


class HandleForm(forms.Form):
    note = _note_field("处置结果", required=True)
    photo = forms.ImageField(label="处置照片", required=False, error_messages=PHOTO_ERRORS)

    def clean_photo(self) -> UploadedFile | None:
        return photo_check(self.cleaned_data.get("photo"))


class VerifyForm(forms.Form):
    passed = forms.TypedChoiceField(
        label="核查结果",
        choices=[("1", "通过"), ("0", "不通过，退回重办")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    note = _note_field("核查说明")


class SuspendForm(forms.Form):
    reason = _note_field("挂账原因", required=True)
    review_on = forms.DateField(
        label="复核日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "请填写复核日期", "invalid": "日期格式应为 2026-07-07"},
    )


class MergeForm(forms.Form):
    into = forms.CharField(label="合并到事件编号", max_length=24)
    note = _note_field()


class WitnessedForm(forms.Form):
    action_text = _note_field("做了什么（如：破门进入）", required=True)
    witness_name = forms.CharField(
        label="见证人（姓名和身份，如：民警 李某）",
        max_length=100,
        error_messages={"required": "请填写见证人"},
    )
    photo = forms.ImageField(label="照片", required=False, error_messages=PHOTO_ERRORS)

    def clean_photo(self) -> UploadedFile | None:
        return photo_check(self.cleaned_data.get("photo"))


class RateForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label="满意度",
        choices=[(str(i), f"{i} 分") for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择满意度"},
    )
    comment = forms.CharField(label="评价", max_length=500, required=False)


class DispatchForm(forms.Form):
    """Dispatch target: a staff user or an organisation within the dispatcher's areas."""

    target = forms.ChoiceField(label="派遣给")
    note = _note_field()

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = dispatch_choices(user)  # type: ignore[attr-defined]

    def clean_target(self) -> tuple[str, int]:
        kind, _, pk = self.cleaned_data["target"].partition(":")
        return kind, int(pk)


class ParticipantForm(forms.Form):
    role = forms.ChoiceField(label="角色", choices=ParticipantRole.choices)
    organization = forms.ModelChoiceField(
        label="单位", queryset=Organization.objects.none(), required=False, empty_label="（不选）"
    )
    name = forms.CharField(label="姓名", max_length=100, required=False)
    phone = forms.CharField(label="电话", max_length=20, required=False)

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = orgs_in_scope(user)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("organization") and not data.get("name"):
            self.add_error("name", "请填写姓名或选择单位")
        return data


#: Organisations that usually handle cases come first in the dispatch list.
HANDLER_KINDS = [
    OrgKind.PROPERTY_COMPANY,
    OrgKind.SERVICE_PROVIDER,
    OrgKind.CLINIC,
    OrgKind.SOCIAL_ENTERPRISE,
    OrgKind.PARTNER,
    OrgKind.ENTERPRISE,
]


def orgs_in_scope(user: User | AnonymousUser) -> Any:
    """Organisations under the user's areas, handling kinds first, then by name."""
    order = CaseWhen(*(When(kind=k, then=i) for i, k in enumerate(HANDLER_KINDS)), default=99)
    return scope(Organization.objects.all(), user).order_by(order, "name")


def dispatch_choices(user: User | AnonymousUser) -> list[tuple[str, Any]]:
    """Grouped ``<select>`` choices: staff users, then organisations grouped by kind, all
    under the user's areas (no cut-off: the list is also what the form accepts).

    Two queries whatever the number of cases on the page (the board builds this once).
    """
    assignments = scope(Assignment.objects.select_related("user", "area"), user).order_by(
        "area__path", "user__username"
    )
    people: dict[str, str] = {}
    for item in assignments:
        key = f"user:{item.user_id}"
        if key not in people:
            name = item.user.get_full_name() or item.user.username
            people[key] = f"{name}（{item.get_role_display()}，{item.area.name}）"
    groups: dict[str, list[tuple[str, str]]] = {}
    for org in orgs_in_scope(user).only("pk", "name", "kind"):
        groups.setdefault(OrgKind(org.kind).label, []).append((f"org:{org.pk}", org.name))
    return [("", "请选择"), ("人员", list(people.items())), *groups.items()]


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    permission: str
    states: frozenset[str]
    form: type[forms.Form]
    run: Callable[[Case, User, dict[str, Any]], Any]
    primary: bool = False
    danger: bool = False

    @property
    def done(self) -> str:
        """The message after success: "已派遣", "已提交处置反馈"…"""
        return DONE.get(self.name, f"已{self.label}")


DONE = {
    "accept": "已接单",
    "handle": "已提交处置反馈",
    "note": "已补充",
    "witnessed": "已记录见证处置",
    "participant": "已增加参与方",
    "pause": "已暂停计时",
    "merge": "已合并",
}


def _service(name: str) -> Callable[[Case, User, dict[str, Any]], Any]:
    """Call ``services.<name>`` with the form's fields as keyword arguments (a ``photo``
    field becomes ``photos=[photo]``)."""

    def run(case: Case, user: User, data: dict[str, Any]) -> Any:
        kwargs = dict(data)
        if "photo" in kwargs:
            photo = kwargs.pop("photo")
            kwargs["photos"] = [photo] if photo else None
        service: Callable[..., Any] = getattr(services, name)
        return service(case=case, actor=user, **kwargs)

    return run


def _dispatch(case: Case, user: User, data: dict[str, Any]) -> Any:
    kind, pk = data["target"]
    target: dict[str, Any] = {}
    if kind == "org":
        target["handler_org"] = orgs_in_scope(user).filter(pk=pk).first()
    else:
        target["handler"] = User.objects.filter(pk=pk).first()
    if not any(target.values()):
        raise CaseInputError("请选择派遣对象", field="target")
    return services.case_dispatch(case=case, actor=user, note=data["note"], **target)


def _merge(case: Case, user: User, data: dict[str, Any]) -> Any:
    from linli.cases.selectors import cases_visible_to

    into = cases_visible_to(user).filter(number=data["into"].strip()).first()
    if into is None:
        raise CaseInputError("没有找到要合并到的事件编号", field="into")
    return services.case_merge(case=case, into=into, actor=user, note=data["note"])


OPEN = frozenset(OPEN_STATUSES)
WORKING = frozenset({S.DISPATCHED, S.IN_PROGRESS})
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("accept", "接单处置", "accept", frozenset({S.DISPATCHED}), EmptyForm,
               _service("case_accept"), primary=True),
        Action("handle", "处置完成，反馈", "handle", frozenset({S.IN_PROGRESS}), HandleForm,
               _service("case_handle"), primary=True),
        Action("register", "立案", "register", frozenset({S.REPORTED}), PlainForm,
               _service("case_register"), primary=True),
        Action("dispatch", "派遣", "dispatch", frozenset({S.REGISTERED, S.RETURNED}),
               DispatchForm, _dispatch, primary=True),
        Action("verify", "核查", "verify", frozenset({S.HANDLED}), VerifyForm,
               _service("case_verify"), primary=True),
        Action("close", "结案", "close", frozenset({S.VERIFIED}), PlainForm,
               _service("case_close"), primary=True),
        Action("note", "补充说明/照片", "note", OPEN | {S.SUSPENDED}, NoteForm,
               _service("case_add_note")),
        Action("witnessed", "记录见证处置", "witnessed", WORKING, WitnessedForm,
               _service("case_record_witnessed_action")),
        Action("participant", "增加参与方", "participant", OPEN, ParticipantForm,
               _service("case_add_participant")),
        Action("pause", "暂停计时（等待居民）", "pause", WORKING, ReasonForm,
               _service("case_pause")),
        Action("unpause", "恢复计时", "pause", WORKING, PlainForm, _service("case_unpause")),
        Action("return", "退回", "return", WORKING, ReasonForm, _service("case_return"),
               danger=True),
        Action("reject", "不予立案", "reject", frozenset({S.REPORTED}), ReasonForm,
               _service("case_reject"), danger=True),
        Action("suspend", "挂账", "suspend", frozenset(SUSPENDABLE), SuspendForm,
               _service("case_suspend"), danger=True),
        Action("resume", "恢复办理", "resume", frozenset({S.SUSPENDED}), PlainForm,
               _service("case_resume"), primary=True),
        Action("merge", "合并到其他事件", "merge", OPEN, MergeForm, _merge, danger=True),
        Action("reopen", "重新打开", "reopen", frozenset({S.CLOSED}), ReasonForm,
               _service("case_reopen"), danger=True),
        Action("rate", "评价", "rate", frozenset({S.CLOSED}), RateForm, _service("case_rate")),
    ]
}  # fmt: skip


def _form(action: Action, user: User | AnonymousUser, data: Any = None, files: Any = None) -> Any:
    if action.form in (DispatchForm, ParticipantForm):
        return action.form(data, files, user=user)  # type: ignore[call-arg]
    return action.form(data, files)


def actions_for(user: User | AnonymousUser, case: Case) -> list[dict[str, Any]]:
    """Buttons for the detail page: actions allowed to the user in the case's state."""
    from linli.cases.permissions import MATRIX, groups_of

    everything = bool(getattr(user, "is_superuser", False)) and user.is_active
    groups = groups_of(user, case)  # a few queries once, not per button
    offered = []
    for action in ACTIONS.values():
        if case.status not in action.states:
            continue
        if not everything and not MATRIX[action.permission] & groups:
            continue
        if action.name == "pause" and case.paused_at is not None:
            continue
        if action.name == "unpause" and case.paused_at is None:
            continue
        if action.name == "rate" and case.satisfaction is not None:
            continue
        offered.append({"action": action, "form": _form(action, user)})
    return offered


@login_required
@require_POST
def act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """POST ``/cases/<number>/<action>/``: parse the action's form, call its service."""
    case = case_for(request.user, number)
    spec = ACTIONS.get(action)
    if spec is None:
        return render(
            request, "cases/error.html", {"title": "没有这个操作", "reason": action}, status=404
        )
    form = _form(spec, request.user, request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                spec.run(case, request.user, form.cleaned_data)  # type: ignore[arg-type]
        except CaseInputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        except CaseError as exc:
            return error_page(request, exc, case=case)
        else:
            messages.success(request, f"{case.number}：{spec.done}")
            back = request.POST.get("next", "")
            if back.startswith("/cases/board/") and url_has_allowed_host_and_scheme(
                back, allowed_hosts={request.get_host()}
            ):
                return redirect(back)
            return redirect("cases:detail", number=case.number)
    context = {"case": case, "action": spec, "form": form}
    return render(request, "cases/action_form.html", context, status=400)
