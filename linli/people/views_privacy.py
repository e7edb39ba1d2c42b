"""Pages of personal-information rights and consents (docs/privacy.md).

Resident: ``/me/privacy/`` — what Linli holds and a button to download it (PIPL arts. 44–45).
Staff: a person's page (export for them, record a correction request) and a household's
page (its devices and monitoring consents, record or withdraw a consent). Rows outside the
staff member's areas, or staff without a registry role, get 404; recording a consent needs
an administrator or grid role (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from linli.accounts.decorators import resident_only
from linli.cases.views_public import is_elder
from linli.common.admin_base import ADMIN_ROLES, GRID_ROLES
from linli.common.documents import xlsx_bytes
from linli.common.exports import XLSX
from linli.devices.models import DeviceKind, MonitoringConsent
from linli.people import privacy
from linli.people.models import Resident
from linli.people.scoping import can_view_sensitive, roles, scope
from linli.places.models import Household

CONSENT_ROLES = ADMIN_ROLES | GRID_ROLES


def _resident_or_404(request: HttpRequest, pk: int) -> Resident:
    if not can_view_sensitive(request.user):
        raise Http404("对象不存在或不在您的管辖范围内")
    queryset = scope(Resident.objects.select_related("area", "household"), request.user)
    resident = queryset.filter(pk=pk).first()
    if resident is None:
        raise Http404("对象不存在或不在您的管辖范围内")
    return resident


def _household_or_404(request: HttpRequest, pk: int) -> Household:
    if not can_view_sensitive(request.user):
        raise Http404("对象不存在或不在您的管辖范围内")
    queryset = scope(
        Household.objects.select_related("building__micro_grid"),
        request.user,
        area_field="building__micro_grid",
    )
    household = queryset.filter(pk=pk).first()
    if household is None:
        raise Http404("对象不存在或不在您的管辖范围内")
    return household


def may_record_consent(user: Any) -> bool:
    """Administrators and grid staff record consents (they meet households in person)."""
    return bool(getattr(user, "is_superuser", False) or roles(user) & CONSENT_ROLES)


def _xlsx(resident: Resident, channel: str) -> FileResponse:
    import io

    content = xlsx_bytes(privacy.subject_access_document(resident, channel=channel))
    stamp = timezone.localdate().strftime("%Y%m%d")
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=f"个人信息-{resident.name}-{stamp}.xlsx",
        content_type=XLSX,
    )


# ------------------------------------------------------------------------------ resident


@require_http_methods(["GET", "POST"])
@resident_only("home")
def me_privacy(request: HttpRequest) -> HttpResponseBase:
    """``/me/privacy/``: GET explains; POST downloads the resident's own data as .xlsx."""
    resident: Resident = request.linli_resident  # type: ignore[attr-defined]
    if request.method == "POST" and "download" in request.POST:
        privacy.subject_access_record(
            actor=request.user,
            resident=resident,
            channel=privacy.SELF_SERVICE_CHANNEL,
            request=request,
        )
        return _xlsx(resident, privacy.SELF_SERVICE_CHANNEL)
    context = {"me": resident, "elder": is_elder(request), "here": request.get_full_path()}
    return render(request, "people/privacy/me.html", context)


# --------------------------------------------------------------------------------- staff


class CorrectionForm(forms.Form):
    channel = forms.ChoiceField(label="申请方式", choices=privacy.REQUEST_CHANNELS)
    asked = forms.CharField(
        label="居民要求更正什么",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="完整的身份证号、电话会被自动部分隐藏后记入审计。",
    )
    changed = forms.CharField(
        label="已做的更改（未更改请说明原因）",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ExportForm(forms.Form):
    channel = forms.ChoiceField(label="申请方式", choices=privacy.REQUEST_CHANNELS)


def _resident_page(
    request: HttpRequest,
    resident: Resident,
    *,
    correction: CorrectionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "resident": resident,
        "export_form": ExportForm(auto_id="export_%s"),
        "correction_form": correction or CorrectionForm(),
        "requests": list(privacy.data_requests_of(resident)[:50]),
        "done": request.GET.get("done") == "1",
    }
    return render(request, "people/privacy/resident.html", context, status=status)


@login_required
def resident_privacy(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's rights page: export their data, record a correction, past requests."""
    return _resident_page(request, _resident_or_404(request, pk))


@login_required
@require_POST
def resident_export(request: HttpRequest, pk: int) -> HttpResponseBase:
    """POST: the person's data as .xlsx, recorded as ``DATA_REQUEST`` with the channel."""
    resident = _resident_or_404(request, pk)
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _resident_page(request, resident, status=400)
    channel = dict(privacy.REQUEST_CHANNELS)[form.cleaned_data["channel"]]
    privacy.subject_access_record(
        actor=request.user, resident=resident, channel=channel, request=request
    )
    return _xlsx(resident, channel)


@login_required
@require_POST
def resident_correction(request: HttpRequest, pk: int) -> HttpResponse:
    """POST: record a correction request (what was asked, what was changed)."""
    resident = _resident_or_404(request, pk)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        return _resident_page(request, resident, correction=form, status=400)
    data = form.cleaned_data
    privacy.correction_record(
        actor=request.user,
        resident=resident,
        asked=data["asked"],
        changed=data["changed"],
        channel=dict(privacy.REQUEST_CHANNELS)[data["channel"]],
        request=request,
    )
    return redirect(reverse("privacy:resident", args=[resident.pk]) + "?done=1")


class ConsentForm(forms.Form):
    given_by = forms.ModelChoiceField(
        label="同意人",
        queryset=Resident.objects.none(),
        required=False,
        empty_label="（不是本户登记的居民，如外住的监护人）",
    )
    given_by_relation = forms.CharField(label="同意人身份", max_length=30, initial="本人")
    given_at = forms.DateTimeField(
        label="同意时间",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "同意时间格式不对，例如 2026-11-30 09:30。"},
    )
    evidence = forms.CharField(label="凭证（纸质同意书编号等）", max_length=100, required=False)

    def __init__(self, *args: Any, household: Household, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_by"].queryset = Resident.objects.filter(  # type: ignore[attr-defined]
            household=household
        )


def _household_page(
    request: HttpRequest,
    household: Household,
    *,
    form: ConsentForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.localtime().replace(second=0, microsecond=0)
    context = {
        "household": household,
        "members": list(Resident.objects.filter(household=household).order_by("pk")),
        **privacy.household_devices_status(household),
        "form": form or ConsentForm(household=household, initial={"given_at": now}),
        "kind_choices": DeviceKind.choices,
        "chosen_kinds": request.POST.getlist("kinds") if request.method == "POST" else [],
        "errors": errors or [],
        "may_record": may_record_consent(request.user),
    }
    return render(request, "people/privacy/household.html", context, status=status)


@login_required
def household_privacy(request: HttpRequest, pk: int) -> HttpResponse:
    """A household's devices and monitoring consents (status in words and an icon)."""
    return _household_page(request, _household_or_404(request, pk))


@login_required
@require_POST
def consent_create(request: HttpRequest, pk: int) -> HttpResponse:
    """POST: record a consent for the household; Chinese errors, nothing written on error."""
    household = _household_or_404(request, pk)
    if not may_record_consent(request.user):
        raise PermissionDenied("只有社区管理员和网格员可以登记设备监测同意。")
    form = ConsentForm(request.POST, household=household)
    if not form.is_valid():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        return _household_page(request, household, form=form, errors=errors, status=400)
    data = form.cleaned_data
    try:
        privacy.consent_record(
            actor=request.user,
            household=household,
            given_by=data["given_by"],
            given_by_relation=data["given_by_relation"],
            kinds=request.POST.getlist("kinds"),
            given_at=data["given_at"],
            evidence=data["evidence"],
        )
    except ValidationError as exc:
        return _household_page(request, household, form=form, errors=exc.messages, status=400)
    return redirect("privacy:household", pk=household.pk)


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """POST: withdraw a consent of a household in the user's areas."""
    consent = MonitoringConsent.objects.filter(pk=pk).select_related("household").first()
    if consent is None:
        raise Http404("对象不存在或不在您的管辖范围内")
    household = _household_or_404(request, consent.household_id)
    if not may_record_consent(request.user):
        raise PermissionDenied("只有社区管理员和网格员可以撤回设备监测同意。")
    try:
        privacy.consent_withdraw(actor=request.user, consent=consent)
    except ValidationError as exc:
        return _household_page(request, household, errors=exc.messages, status=409)
    return redirect("privacy:household", pk=household.pk)
