"""The resident report page ``/report/``: public, step by step, age-friendly (适老化).

MIIT 2021 age-friendly rules followed here: one obvious action per screen (what happened →
where → which building → phone → submit), large text and targets in elder mode (a cookie
set by a plain link, no JavaScript needed), no pop-ups, no time limits (the steps carry
their data in the page, not in an expiring session), colour never the only cue.

Submissions are limited per IP address (:data:`RATE_LIMIT` per :data:`RATE_WINDOW`
seconds) with a friendly message. ``/report/<number>/`` shows the public status (and,
to the reporter, the timeline): no staff names, no personal data, no photos — see
:func:`status` for who sees how much.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from django import forms as django_forms
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from linli.cases import forms, services
from linli.cases.errors import CaseInputError
from linli.cases.models import FINAL_STATUSES, Case, CaseAction, CaseChannel, CaseStatus
from linli.common.identity import normalize_text
from linli.places.models import Area, AreaKind

ELDER_COOKIE = "linli_elder"
RATE_LIMIT = 5
RATE_WINDOW = 600  # seconds
STEPS = ("what", "where", "building", "contact")
#: The phone's location is outside every micro-grid (and no community was chosen).
OUTSIDE = "您现在的位置不在本平台服务的社区内，请在下面选择社区。"
STEP_TITLES = {
    "what": "发生了什么？",
    "where": "在哪里？",
    "building": "在哪栋楼？",
    "contact": "留个电话（可不留）",
}

#: Public wording of the states: residents see progress, not the internal workflow.
PUBLIC_STATUS = {
    CaseStatus.REPORTED: "已收到，等待社区受理",
    CaseStatus.REGISTERED: "社区已受理",
    CaseStatus.RETURNED: "社区已受理，正在安排处理",
    CaseStatus.DISPATCHED: "已安排人员处理",
    CaseStatus.IN_PROGRESS: "正在处理",
    CaseStatus.HANDLED: "已处理，等待社区核实",
    CaseStatus.VERIFIED: "已核实，即将办结",
    CaseStatus.CLOSED: "已办结",
    CaseStatus.REJECTED: "未受理",
    CaseStatus.SUSPENDED: "暂缓处理",
    CaseStatus.MERGED: "与同一件事合并处理",
}
#: Timeline rows shown to the public (notes and participants stay internal).
PUBLIC_ACTIONS = {
    CaseAction.REPORT,
    CaseAction.REGISTER,
    CaseAction.REJECT,
    CaseAction.DISPATCH,
    CaseAction.ACCEPT,
    CaseAction.HANDLE,
    CaseAction.VERIFY,
    CaseAction.CLOSE,
    CaseAction.SUSPEND,
    CaseAction.RESUME,
    CaseAction.MERGE,
    CaseAction.REOPEN,
}


def is_elder(request: HttpRequest) -> bool:
    return request.COOKIES.get(ELDER_COOKIE) == "1"


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    status: int = 200,
    *,
    elder: bool | None = None,
) -> HttpResponse:
    elder = is_elder(request) if elder is None else elder
    context = {**context, "elder": elder, "here": request.get_full_path()}
    return render(request, template, context, status=status)


def _set_elder(response: HttpResponse, on: bool) -> HttpResponse:
    if on:
        response.set_cookie(ELDER_COOKIE, "1", max_age=365 * 86400, samesite="Lax")
    else:
        response.delete_cookie(ELDER_COOKIE)
    return response


@require_GET
def elder_toggle(request: HttpRequest) -> HttpResponse:
    """``/report/elder/?on=1&next=/report/``: switch elder mode with a cookie (one year)."""
    back = request.GET.get("next", "/report/")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/report/"
    return _set_elder(redirect(back), request.GET.get("on") == "1")


def _client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy
    # rewrites it, and trusting it would let anyone dodge the limit.
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def rate_limited(request: HttpRequest) -> bool:
    """Whether this IP already filed :data:`RATE_LIMIT` reports in the current window."""
    count = cache.get(f"linli:report:{_client_ip(request)}", 0)
    return int(count) >= RATE_LIMIT


def _count_submission(request: HttpRequest) -> None:
    key = f"linli:report:{_client_ip(request)}"
    if not cache.add(key, 1, RATE_WINDOW):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, RATE_WINDOW)


class Wizard:
    """The four step forms bound to the same POST; earlier answers ride along as hidden
    fields, so nothing expires while someone takes their time."""

    def __init__(self, data: Any | None) -> None:
        self.what = forms.PublicWhatForm(data, prefix="what")
        self.where = forms.PublicWhereForm(data, prefix="where")
        community = None
        if data is not None and self.where.is_valid():
            community = self.where.cleaned_data.get("community")
        self.community = community
        self.building = forms.PublicBuildingForm(data, prefix="building", community=community)
        self.contact = forms.PublicContactForm(data, prefix="contact")
        self.located: Area | None = None  # the micro-grid holding the phone's location
        point = self.where.cleaned_data.get("point") if self.where.is_valid() else None
        if point is not None:
            try:
                self.located = services.area_for_location(point=point, building=None)
            except CaseInputError:
                if community is None:
                    self.where.add_error(None, OUTSIDE)

    def form(self, step: str) -> django_forms.Form:
        form: django_forms.Form = getattr(self, step)
        return form

    def needs_building(self) -> bool:
        """Step 3 is skipped when the phone gave a location."""
        return not (self.where.is_valid() and self.where.cleaned_data.get("point") is not None)

    def steps(self) -> list[str]:
        return [s for s in STEPS if s != "building" or self.needs_building()]


def report(request: HttpRequest) -> HttpResponse:
    """``/report/``: GET starts at step 1; each POST checks the steps so far and shows the
    next one (or the first with an error); the last step files the case."""
    if request.method != "POST":
        return _step(request, Wizard(None), "what")
    wizard = Wizard(request.POST)
    if request.POST.get("elder") in ("0", "1"):
        # The mode button sits in the step's form: the same step comes back, answers kept.
        on = request.POST["elder"] == "1"
        steps = wizard.steps()
        current = request.POST.get("step", "what")
        step = current if current in steps else steps[0]
        return _set_elder(_step(request, wizard, step, bound=False, elder=on), on)
    if request.POST.get("back"):
        steps = wizard.steps()
        current = request.POST.get("step", "what")
        index = steps.index(current) if current in steps else 1
        return _step(request, wizard, steps[max(index - 1, 0)], bound=False)
    current = request.POST.get("step", "what")
    steps = wizard.steps()
    if current not in steps:
        current = steps[0]
    for step in steps[: steps.index(current) + 1]:
        if not wizard.form(step).is_valid():
            return _step(request, wizard, step, status=400)
    position = steps.index(current)
    if position + 1 < len(steps):
        return _step(request, wizard, steps[position + 1], bound=False)
    return _submit(request, wizard)


def _step(
    request: HttpRequest,
    wizard: Wizard,
    step: str,
    *,
    status: int = 200,
    bound: bool = True,
    elder: bool | None = None,
) -> HttpResponse:
    steps = wizard.steps()
    form = wizard.form(step)
    if not bound:
        # Show the next step fresh (no "required" errors before anything was typed),
        # keeping whatever was entered if the person came back to it.
        if step == "building":
            form = forms.PublicBuildingForm(
                initial=_initial(form), prefix=form.prefix, community=wizard.community
            )
        else:
            form = type(form)(initial=_initial(form), prefix=form.prefix)
    hidden = [wizard.form(s) for s in steps if s != step]
    context = {
        "step": step,
        "number": steps.index(step) + 1,
        "total": len(steps),
        "title": STEP_TITLES[step],
        "form": form,
        "hidden": hidden,
        "last": step == steps[-1],
        "first": step == steps[0],
        "summary": _summary(wizard) if step == steps[-1] else None,
    }
    return _render(request, "cases/public_step.html", context, status=status, elder=elder)


def _initial(form: django_forms.Form) -> dict[str, Any]:
    if not form.is_bound:
        return {}
    return {name: form[name].value() for name in form.fields}


def _summary(wizard: Wizard) -> list[tuple[str, str]]:
    """What the person is about to send, in plain words (shown above the submit button)."""
    rows: list[tuple[str, str]] = []
    if wizard.what.is_valid():
        rows.append(("问题", wizard.what.cleaned_data["category"].name))
        rows.append(("情况", wizard.what.cleaned_data["description"]))
    if wizard.where.is_valid():
        if wizard.where.cleaned_data.get("point") is not None:
            found = community_of(wizard.located) if wizard.located else wizard.community
            rows.append(("位置", "您手机的当前位置" + (f"，在{found.name}" if found else "")))
        elif wizard.community is not None:
            rows.append(("社区", wizard.community.name))
    if wizard.needs_building() and wizard.building.is_valid():
        data = wizard.building.cleaned_data
        place = " ".join(x for x in [str(data["building"] or ""), data["address"]] if x)
        rows.append(("楼栋/地址", place))
    return rows


def _submit(request: HttpRequest, wizard: Wizard) -> HttpResponse:
    if rate_limited(request):
        return _render(request, "cases/public_limited.html", {"minutes": RATE_WINDOW // 60}, 429)
    what, where = wizard.what.cleaned_data, wizard.where.cleaned_data
    building_data = wizard.building.cleaned_data if wizard.needs_building() else {}
    user = request.user if request.user.is_authenticated else None
    try:
        case = services.case_report(
            category=what["category"],
            description=what["description"],
            channel=CaseChannel.RESIDENT,
            reporter=user,  # type: ignore[arg-type]
            reporter_phone=wizard.contact.cleaned_data["phone"],
            point=where.get("point"),
            building=building_data.get("building"),
            address=building_data.get("address", ""),
            area=wizard.community,
        )
    except CaseInputError as exc:
        step = {"location": "building" if wizard.needs_building() else "where"}.get(
            exc.field, "what"
        )
        message = str(exc)
        if exc.field == "location" and step == "building":
            # case_report places a case by building or coordinates only (see report).
            message = "只写地址还无法确定所属网格，请在上面选择楼栋；找不到楼栋请拨打社区电话。"
        wizard.form(step).add_error(None, message)
        return _step(request, wizard, step, status=400)
    _count_submission(request)
    _remember(request, case.number)
    return redirect(f"/report/{case.number}/?new=1")


#: Case numbers as :func:`linli.cases.services.case_number_next` makes them.
NUMBER_RE = re.compile(r"^(\d{6})-?(\d{8})-?(\d{4,})$")
#: Wrong phone digits allowed per IP address and :data:`RATE_WINDOW` on the status page
#: (10,000 possible endings: guessing one takes days, not minutes).
TAIL_LIMIT = 10
SESSION_CASES = "linli_report_cases"


def number_clean(raw: str) -> str | None:
    """``640106-20260707-0012`` from what a resident types (full-width digits, spaces,
    missing dashes are fine); None if it cannot be a case number."""
    text = "".join(normalize_text(raw).split()).replace("－", "-").replace("—", "-")
    match = NUMBER_RE.match(text)
    return "-".join(match.groups()) if match else None


@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """``/report/status/?number=…``: the 查进度 box of ``/report/`` → that case's page."""
    raw = request.GET.get("number", "")
    number = number_clean(raw)
    if number is None:
        return _not_found(request, raw.strip(), bad_format=True)
    return redirect("report:status", number=number)


def _not_found(request: HttpRequest, number: str, *, bad_format: bool = False) -> HttpResponse:
    context = {"number": number[:40], "bad_format": bad_format}
    return _render(request, "cases/public_not_found.html", context, status=404)


def _remember(request: HttpRequest, number: str) -> None:
    """This browser filed (or proved it may follow) the case: show its progress from now on."""
    numbers = [n for n in request.session.get(SESSION_CASES, []) if n != number]
    request.session[SESSION_CASES] = [*numbers[-19:], number]


def _tail_key(request: HttpRequest) -> str:
    return f"linli:report-tail:{_client_ip(request)}"


def _tail_check(request: HttpRequest, case: Case) -> str:
    """Check the posted last 4 phone digits; "" if right (remembered), else the message."""
    key = _tail_key(request)
    if int(cache.get(key, 0)) >= TAIL_LIMIT:
        return f"输错次数太多，请 {RATE_WINDOW // 60} 分钟后再试，或者打电话问社区。"
    tail = normalize_text(request.POST.get("phone_tail", ""))
    if len(tail) == 4 and hmac.compare_digest(tail, case.reporter_phone[-4:]):
        _remember(request, case.number)
        return ""
    if not cache.add(key, 1, RATE_WINDOW):
        try:
            cache.incr(key)
        except ValueError:
            cache.add(key, 1, RATE_WINDOW)
    return "手机号后 4 位不对，请再看一下上报时留的电话。"


@require_http_methods(["GET", "POST"])
def status(request: HttpRequest, number: str) -> HttpResponse:
    """``/report/<number>/``: public progress of a case (never names, phones or photos).

    Anyone with the number sees only the state and the category (numbers are sequential,
    so they can be guessed). The rest — community, submission time and the timeline of
    steps — is shown to the browser that filed the case, to the reporter's account
    (logged in), or after the last 4 digits of the phone the reporter left are entered
    (POST; :data:`TAIL_LIMIT` wrong tries per IP and window; the browser is then
    remembered in the session). A case filed without a phone shows state and category
    only to anyone else.
    """
    case = Case.objects.select_related("category", "area__parent").filter(number=number).first()
    if case is None:
        return _not_found(request, number)
    error = ""
    if request.method == "POST" and case.reporter_phone:
        error = _tail_check(request, case)
        if not error:
            return redirect("report:status", number=case.number)
    full = case.number in request.session.get(SESSION_CASES, []) or (
        case.reporter_id is not None and case.reporter_id == request.user.pk
    )
    context = {
        "case": case,
        "public_status": PUBLIC_STATUS[CaseStatus(case.status)],
        "finished": case.status in FINAL_STATUSES,
        "full": full,
        "asks_phone": not full and bool(case.reporter_phone),
        "error": error,
        "new": full and request.GET.get("new") == "1",
        "link": request.build_absolute_uri(f"/report/{case.number}/"),
    }
    if full:
        events = case.events.filter(action__in=PUBLIC_ACTIONS).only("action", "at", "to_status")
        context["events"] = [{"at": e.at, "label": e.get_action_display()} for e in events]
        context["community"] = community_of(case.area)
    return _render(request, "cases/public_status.html", context, status=400 if error else 200)


def community_of(area: Area) -> Area | None:
    """The community ``area`` lies in (itself if it is one), None above community level."""
    prefixes, path = [], "/"
    for code in area.path.strip("/").split("/"):
        path += code + "/"
        prefixes.append(path)
    return Area.objects.filter(kind=AreaKind.COMMUNITY, path__in=prefixes).first()
