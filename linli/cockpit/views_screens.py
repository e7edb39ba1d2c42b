"""Staff pages of the public info screens at ``/cockpit/screens/`` (namespace ``screens``).

* ``/`` (``list``) — the screens of the communities the user covers, each with its kiosk
  URL and a QR code of it (scan it on the device to set it up), and the notices;
* ``new/``, ``<pk>/edit/`` — create or edit a screen (community, name, place, hotline,
  seconds per slide 5–120, active); ``<pk>/token/`` (POST) issues a new access code (the
  old kiosk URL stops working);
* ``<pk>/preview/`` — the kiosk page as it looks now, in a 16:9 frame (``…/frame/``),
  also for an inactive screen; nothing is polled or stored by the preview;
* ``notices/new/``, ``notices/<pk>/edit/``, ``notices/<pk>/delete/`` — notices
  (title ≤ 60, body ≤ 400 characters, end date ≥ start date, and a new or changed end
  date not before today — such a notice would never show).

Every notice of the user's communities is reachable from the list: the current and
coming ones (``?page=N``) and all ended ones in 「已结束」 (``?ended=N``), each paged by
:data:`NOTICES_PER_PAGE` with its count. Addresses (kiosk URL, QR codes) use the site
address ``LINLI_SITE_URL`` when set, else the host this page was opened with
(:func:`linli.activities.views.site_url`); the list says so when it is not set.

Who: :func:`linli.cockpit.access.cockpit_required` (registry roles; anonymous → log-in,
others 403), then a screen or notice of a community the user does not cover
(:func:`linli.people.scoping.covers`) is a 404, and the community choices are only the
communities they cover. Bad input re-shows the form with Chinese errors (HTTP 400) and
saves nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from csp.decorators import csp_replace
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from linli.activities.views import qr_svg, site_url
from linli.cockpit.access import areas_for, cockpit_required
from linli.cockpit.models import InfoScreen, ScreenNotice
from linli.cockpit.views_kiosk import kiosk_context
from linli.people.scoping import scope
from linli.places.models import Area, AreaKind

ROTATE_MIN, ROTATE_MAX = 5, 120
#: Notices per page in each section of the list (current/coming, ended).
NOTICES_PER_PAGE = 50


def communities_for(user: Any) -> QuerySet[Area]:
    """The communities ``user`` covers, by path (what the forms offer)."""
    return areas_for(user).filter(kind=AreaKind.COMMUNITY)


class ScreenForm(forms.ModelForm):
    """A screen's editable fields; ``community`` limited to the user's communities."""

    class Meta:
        model = InfoScreen
        fields = ["community", "name", "place", "hotline", "rotate_seconds", "is_active"]
        error_messages = {
            "community": {
                "required": "请选择社区",
                "invalid_choice": "请选择您辖区内的社区",
            },
            "name": {"required": "请填写屏幕名称"},
        }
        help_texts = {
            "rotate_seconds": f"每页显示的秒数，{ROTATE_MIN}–{ROTATE_MAX} 秒",
            "hotline": "屏幕上显示的服务热线，如 0951-1234567",
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["community"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = communities_for(user)
        field.empty_label = "（请选择社区）"
        self.fields["rotate_seconds"].error_messages["required"] = "请填写每页停留秒数"
        self.fields["rotate_seconds"].error_messages["invalid"] = "每页停留时间须是整数秒"

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            raise forms.ValidationError("请填写屏幕名称")
        return name

    def clean_rotate_seconds(self) -> int:
        value = self.cleaned_data.get("rotate_seconds")
        if value is None or not ROTATE_MIN <= value <= ROTATE_MAX:
            raise forms.ValidationError(
                f"每页停留时间须在 {ROTATE_MIN}–{ROTATE_MAX} 秒之间（太快读不完，太慢等太久）"
            )
        return value


class NoticeForm(forms.ModelForm):
    """A notice: community (the user's), title, body ≤ 400, dates with end ≥ start."""

    class Meta:
        model = ScreenNotice
        fields = ["community", "title", "body", "starts_on", "ends_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "body": forms.Textarea(attrs={"rows": 6, "maxlength": 400}),
        }
        error_messages = {
            "community": {"required": "请选择社区", "invalid_choice": "请选择您辖区内的社区"},
            "title": {"required": "请填写标题", "max_length": "标题最多 60 个字"},
            "body": {"required": "请填写正文", "max_length": "正文最多 400 个字"},
            "starts_on": {"required": "请填写开始日期", "invalid": "开始日期格式应为 2026-05-01"},
            "ends_on": {"required": "请填写结束日期", "invalid": "结束日期格式应为 2026-05-01"},
        }
        help_texts = {"body": "最多 400 个字；不要写居民姓名、电话等个人信息"}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["community"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = communities_for(user)
        field.empty_label = "（请选择社区）"

    def clean_title(self) -> str:
        title = (self.cleaned_data.get("title") or "").strip()
        if not title:
            raise forms.ValidationError("请填写标题")
        return title

    def clean_body(self) -> str:
        body = (self.cleaned_data.get("body") or "").strip()
        if not body:
            raise forms.ValidationError("请填写正文")
        return body

    def clean(self) -> dict[str, Any]:
        """End ≥ start; a new notice's end date, or a changed one, not before today
        (Asia/Shanghai) — it would be saved and never shown. An ended notice whose end
        date is left as it is may still be corrected (it is listed under 「已结束」)."""
        data = super().clean() or {}
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", "结束日期不能早于开始日期")
        elif (
            end
            and end < timezone.localdate()
            and (self.instance.pk is None or self.instance.ends_on != end)
        ):
            self.add_error("ends_on", "结束日期已过，公告不会在屏幕上显示")
        return data


def only_choice(communities: QuerySet[Area]) -> Area | None:
    """The community when ``communities`` holds exactly one, else ``None`` (two rows
    read at most): a form pre-selects it only then, so a street admin must choose."""
    first_two = list(communities[:2])
    return first_two[0] if len(first_two) == 1 else None


def _screens(user: Any) -> QuerySet[InfoScreen]:
    return scope(
        InfoScreen.objects.select_related("community"), user, area_field="community"
    ).filter(community__kind=AreaKind.COMMUNITY)


def _screen(request: HttpRequest, pk: int) -> InfoScreen:
    screen = _screens(request.user).filter(pk=pk).first()
    if screen is None:
        raise Http404("没有找到这块屏幕，或不在您的辖区内")
    return screen


def _notice(request: HttpRequest, pk: int) -> ScreenNotice:
    notice = (
        scope(
            ScreenNotice.objects.select_related("community"), request.user, area_field="community"
        )
        .filter(pk=pk)
        .first()
    )
    if notice is None:
        raise Http404("没有找到这条公告，或不在您的辖区内")
    return notice


def kiosk_url(request: HttpRequest, screen: InfoScreen) -> str:
    """The absolute address the screen's device opens: on ``LINLI_SITE_URL``
    (``settings.NOTIFY_SITE_URL``) when set, else on the request's host."""
    return site_url(request, reverse("kiosk:page", args=[screen.token]))


def _page(request: HttpRequest, queryset: QuerySet[ScreenNotice], param: str) -> Page:
    """Page ``request.GET[param]`` of ``queryset`` (:data:`NOTICES_PER_PAGE` a page; a
    missing, non-numeric or out-of-range number gives the first or last page); two
    queries (count, rows)."""
    return Paginator(queryset, NOTICES_PER_PAGE).get_page(request.GET.get(param))


def _page_links(request: HttpRequest, page: Page, param: str) -> dict[str, str]:
    """``{"previous", "next"}`` query strings for ``page`` keeping the other section's
    page; a missing side is ``""``."""

    def link(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return "?" + query.urlencode()

    return {
        "previous": link(page.previous_page_number()) if page.has_previous() else "",
        "next": link(page.next_page_number()) if page.has_next() else "",
    }


@require_safe
@cockpit_required
def screen_list(request: HttpRequest) -> HttpResponse:
    """``/cockpit/screens/``: screens with kiosk URL and QR, then the notices showing or
    to come (``?page=N``) and all ended ones (``?ended=N``), each paged with its count;
    six queries after the access check whatever the number of rows."""
    today = timezone.localdate()
    rows = []
    for screen in _screens(request.user):
        url = kiosk_url(request, screen)
        rows.append(
            {"screen": screen, "url": url, "qr": qr_svg(url, title=f"{screen.name}地址二维码")}
        )
    mine = scope(
        ScreenNotice.objects.select_related("community"), request.user, area_field="community"
    )
    current = _page(request, mine.filter(ends_on__gte=today).order_by("starts_on", "pk"), "page")
    ended = _page(request, mine.filter(ends_on__lt=today).order_by("-ends_on", "-pk"), "ended")
    return render(
        request,
        "cockpit/screen_list.html",
        {
            "rows": rows,
            "notices": [(n, "展示中" if n.starts_on <= today else "未开始") for n in current],
            "current": current,
            "current_links": _page_links(request, current, "page"),
            "ended": ended,
            "ended_links": _page_links(request, ended, "ended"),
            "may_create": communities_for(request.user).exists(),
            "site_url": settings.NOTIFY_SITE_URL,
            "host": request.get_host(),
        },
    )


def _form_page(
    request: HttpRequest, form: forms.ModelForm, *, title: str, template: str, **extra: Any
) -> HttpResponse:
    status = 400 if form.is_bound and form.errors else 200
    return render(request, template, {"form": form, "title": title, **extra}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@cockpit_required
def screen_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """``new/`` and ``<pk>/edit/``: the screen form; saved → back to the list."""
    screen = _screen(request, pk) if pk is not None else None
    initial: dict[str, Any] = {}
    if screen is None:
        initial = {"rotate_seconds": 15}
        only = only_choice(communities_for(request.user))
        if only is not None:
            initial["community"] = only
    if request.method == "POST":
        form = ScreenForm(request.POST, instance=screen, user=request.user)
        if form.is_valid():
            saved = form.save()
            messages.success(request, f"已保存智慧屏「{saved.name}」")
            return redirect("screens:list")
    else:
        form = ScreenForm(instance=screen, initial=initial, user=request.user)
    title = f"编辑智慧屏「{screen.name}」" if screen else "新增智慧屏"
    return _form_page(
        request, form, title=title, template="cockpit/screen_form.html", screen=screen
    )


@require_POST
@cockpit_required
def screen_token(request: HttpRequest, pk: int) -> HttpResponse:
    """``<pk>/token/``: a new access code; the old kiosk address stops working."""
    screen = _screen(request, pk)
    screen.token = secrets.token_urlsafe(12)
    screen.save(update_fields=["token", "updated_at"])
    messages.success(request, f"已为「{screen.name}」生成新地址，请在屏幕上重新打开新地址")
    return redirect("screens:list")


@require_safe
@cockpit_required
def screen_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """``<pk>/preview/``: the kiosk page in a 16:9 frame, with its address."""
    screen = _screen(request, pk)
    return render(
        request,
        "cockpit/screen_preview.html",
        {"screen": screen, "url": kiosk_url(request, screen)},
    )


@require_safe
@csp_replace({"frame-ancestors": ["'self'"]})  # the preview page frames it (CSP level 2)
@cockpit_required
@xframe_options_sameorigin
def screen_preview_frame(request: HttpRequest, pk: int) -> HttpResponse:
    """``<pk>/preview/frame/``: the kiosk page in preview mode (no polling, no storage)."""
    screen = _screen(request, pk)
    return render(request, "cockpit/kiosk.html", kiosk_context(request, screen, preview=True))


@require_http_methods(["GET", "HEAD", "POST"])
@cockpit_required
def notice_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """``notices/new/`` and ``notices/<pk>/edit/``: the notice form."""
    notice = _notice(request, pk) if pk is not None else None
    initial: dict[str, Any] = {}
    if notice is None:
        today = timezone.localdate()
        initial = {"starts_on": today, "ends_on": today + dt.timedelta(days=7)}
        only = only_choice(communities_for(request.user))
        if only is not None:
            initial["community"] = only
    if request.method == "POST":
        form = NoticeForm(request.POST, instance=notice, user=request.user)
        if form.is_valid():
            saved = form.save(commit=False)
            if notice is None:
                saved.created_by = request.user
            saved.save()
            messages.success(request, f"已保存公告「{saved.title}」")
            return redirect("screens:list")
    else:
        form = NoticeForm(instance=notice, initial=initial, user=request.user)
    title = f"编辑公告「{notice.title}」" if notice else "新增公告"
    return _form_page(request, form, title=title, template="cockpit/screen_notice_form.html")


@require_http_methods(["GET", "HEAD", "POST"])
@cockpit_required
def notice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """``notices/<pk>/delete/``: confirm (GET), then delete (POST)."""
    notice = _notice(request, pk)
    if request.method == "POST":
        title = notice.title
        notice.delete()
        messages.success(request, f"已删除公告「{title}」")
        return redirect("screens:list")
    return render(request, "cockpit/screen_notice_delete.html", {"notice": notice})
