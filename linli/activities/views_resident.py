"""Resident activity pages at ``/me/activities/``: my registrations, register, the ticket
(QR code for check-in), cancel, feedback, and the private calendar feed.

Who: only resident accounts (log-in by phone and one-time code). Anonymous visitors go
to the log-in page and come back; staff users, who have no resident account, go to the
organiser pages ``/activities/manage/``. A resident registers themself, a child of
their household (registered with ``guardian`` = the resident:
:func:`~linli.activities.services.guardian_may_register`) or a relative who consented
to them acting (:func:`~linli.accounts.selectors.residents_actable_by`). They see
registrations they are the participant or guardian of, registered themselves, or of
people they may act for (:func:`visible_registrations`); any other registration is a 404,
so its existence never leaks. The feed (``calendar/<signed>.ics``) needs no log-in.

Age-friendly (MIIT 2021): elder mode as on the other resident pages; one main action
per screen; cancelling asks on its own page (no pop-up); no time limits; statuses are
icons and words, never colour alone.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from linli.accounts.models import ResidentAccount
from linli.accounts.selectors import account_of
from linli.activities import calendar
from linli.activities.errors import ActivityError
from linli.activities.forms import CancelForm, FeedbackForm, RegisterForm
from linli.activities.models import (
    LIVE_STATUSES,
    Activity,
    ActivityStatus,
    Registration,
    RegistrationStatus,
)
from linli.activities.services import (
    ADULT_AGE,
    Participant,
    audience_problem,
    first_day,
    guardian_may_register,
    registration_cancel,
    registration_create,
    registration_feedback,
    registration_price,
    waitlist_position,
)
from linli.activities.views import (
    card,
    local_span,
    page,
    qr_svg,
    site_url,
    subscription,
    with_counts,
)
from linli.common.identity import age_on
from linli.eligibility.money import yuan
from linli.orders.views_resident import people_for
from linli.people.models import Resident

#: Where staff users are sent (the organiser pages).
STAFF_PAGES = "/activities/manage/"
#: Session key: register tokens already used → registration token (a double tap
#: registers once).
TOKENS_SESSION_KEY = "resident_activity_tokens"
TOKENS_KEPT = 20
NOT_YOURS = "您不能为这位居民报名（只能为本人、同户的未成年子女，或已授权您代办的家人报名）"
REFUSED = "您不能办理这项操作。如有疑问，请联系社区。"
STATUS_ICONS = {
    RegistrationStatus.CONFIRMED: "✅",
    RegistrationStatus.WAITLISTED: "⏳",
    RegistrationStatus.CANCELLED: "✖",
}

View = Callable[..., HttpResponseBase]


def resident_page(view: View) -> View:
    """Only resident accounts: anonymous → log-in (then back), staff → organiser pages.

    The wrapped view receives the :class:`ResidentAccount` as its second argument; a 404
    or 403 raised inside is answered with a resident page in resident wording.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
        account = account_of(request.user)
        if account is None:
            return redirect(STAFF_PAGES)
        try:
            return view(request, account, *args, **kwargs)
        except Http404:
            return page(request, "activities/resident/missing.html", {"nav": "mine"}, 404)
        except PermissionDenied:
            return _refused(request, REFUSED)

    return wrapped


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return page(request, "activities/resident/refused.html", {"message": message}, status=403)


# --- reads -----------------------------------------------------------------------------------


def visible_registrations(account: ResidentAccount) -> QuerySet[Registration]:
    """Registrations the account may see and act on: where its resident is the participant
    or the guardian, that its user made, or of residents who consented to it acting
    (:func:`residents_actable_by`, through :func:`people_for`); newest first."""
    me = account.resident
    acting_for = [p.resident.pk for p in people_for(account)]
    return (
        Registration.objects.filter(
            Q(resident_id__in=acting_for) | Q(guardian=me) | Q(registered_by=account.user)
        )
        .select_related("activity__venue", "activity__organiser", "resident")
        .order_by("-created_at", "-pk")
    )


def _registration(account: ResidentAccount, token: uuid.UUID) -> Registration:
    """The registration with check-in ``token`` if the account may see it, else 404."""
    found = visible_registrations(account).filter(token=token).first()
    if found is None:
        raise Http404("没有找到这个报名")
    return found


def next_session_text(activity: Activity) -> str:
    """The next live session not yet ended, in words ("" when none is left)."""
    session = (
        activity.sessions.filter(cancelled=False, ends_at__gt=timezone.now())
        .order_by("starts_at")
        .first()
    )
    return local_span(session.starts_at, session.ends_at) if session else ""


# --- for whom ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Candidate:
    """Someone the account may register: ``as_guardian`` when under 18 on the activity's
    first day (registered with the account's resident as guardian)."""

    resident: Resident
    label: str
    as_guardian: bool


def candidates(account: ResidentAccount, activity: Activity) -> list[Candidate]:
    """The account's own resident, consenting relatives, then the minors of its household
    that :func:`guardian_may_register` allows; each once."""
    me = account.resident
    on = first_day(activity)
    people = [(p.resident, p.label) for p in people_for(account)]
    if me.household_id is not None:
        kids = Resident.objects.filter(household_id=me.household_id).exclude(pk=me.pk)
        people += [(kid, f"{kid.name}（孩子）") for kid in kids.order_by("birth_date", "pk")]
    out: list[Candidate] = []
    seen: set[int] = set()
    for resident, label in people:
        if resident.pk in seen or not guardian_may_register(me, resident, on):
            continue
        seen.add(resident.pk)
        minor = resident.pk != me.pk and age_on(resident.birth_date, on) < ADULT_AGE
        out.append(Candidate(resident, label, minor))
    return out


def participant(account: ResidentAccount, candidate: Candidate) -> Participant:
    """The service's participant for ``candidate`` (a minor with the account as guardian)."""
    guardian = account.resident if candidate.as_guardian else None
    return Participant(resident=candidate.resident, guardian=guardian)


def first_eligible(
    account: ResidentAccount, activity: Activity, people: list[Candidate]
) -> Candidate:
    """The first of ``people`` the activity's audience and age band admit (the page opens
    on them: a children's class opens on the child), else the account's own resident."""
    on = first_day(activity)
    for candidate in people:
        if audience_problem(activity, participant(account, candidate), on) is None:
            return candidate
    return people[0]


def _chosen(people: list[Candidate], raw: Any) -> Candidate | None:
    value = str(raw)
    if not value.isdigit():
        return None
    return next((c for c in people if c.resident.pk == int(value)), None)


# --- my registrations ------------------------------------------------------------------------


@require_safe
@resident_page
def mine(request: HttpRequest, account: ResidentAccount) -> HttpResponse:
    """``/me/activities/``: live registrations first (status, waitlist position, next
    session, ticket), then the cancelled and past ones; the personal feed link."""
    rows = []
    for registration in visible_registrations(account)[:100]:
        live = registration.status in LIVE_STATUSES
        rows.append(
            {
                "registration": registration,
                "icon": STATUS_ICONS.get(RegistrationStatus(registration.status), "•"),
                "position": waitlist_position(registration),
                "next": next_session_text(registration.activity) if live else "",
                "live": live,
                "for_self": registration.resident_id == account.resident_id,
            }
        )
    rows.sort(key=lambda row: not (row["live"] and row["next"]))
    feed = reverse("activities_resident:feed", args=[calendar.feed_token(account)])
    context = {"rows": rows, "feed": subscription(site_url(request, feed)), "nav": "mine"}
    return page(request, "activities/resident/mine.html", context)


# --- register ----------------------------------------------------------------------------------


def _register_context(
    account: ResidentAccount,
    activity: Activity,
    people: list[Candidate],
    chosen: Candidate,
    errors: list[str],
) -> dict[str, Any]:
    """What the register page shows for ``chosen``: price and why, or why not."""
    p = participant(account, chosen)
    on = first_day(activity)
    problem = audience_problem(activity, p, on)
    existing = activity.registrations.filter(
        resident=chosen.resident, status__in=LIVE_STATUSES
    ).first()
    price = reason = ""
    if problem is None:
        try:
            fen, reason = registration_price(activity, p, on)
            price = "免费" if fen == 0 else yuan(fen)
        except ActivityError as error:
            problem = str(error)
    info = card(with_counts(Activity.objects.filter(pk=activity.pk)).get())
    return {
        **info,
        "people": people,
        "chosen": chosen,
        "problem": problem,
        "existing": existing,
        "price": price,
        "reason": reason,
        "errors": errors,
        "token": uuid.uuid4().hex,
        "nav": "mine",
    }


def _open_activity(pk: int) -> Activity:
    activity = Activity.objects.exclude(status=ActivityStatus.DRAFT).filter(pk=pk).first()
    if activity is None:
        raise Http404("没有找到这个活动")
    return activity


@require_http_methods(["GET", "POST"])
@resident_page
def register(request: HttpRequest, account: ResidentAccount, pk: int) -> HttpResponse:
    """``/me/activities/<id>/register/``: for whom (``?for=<resident id>``; without it the
    first person the activity admits), the price and why, then 确认报名. POST registers
    (:func:`registration_create`) and goes to the ticket; a refusal (age band, duplicate,
    full…) shows the service's reason plainly (HTTP 400, or 409 when registration is not
    open)."""
    activity = _open_activity(pk)
    people = candidates(account, activity)
    if request.method == "GET":
        raw = request.GET.get("for")
        chosen = (
            _chosen(people, raw) if raw is not None else first_eligible(account, activity, people)
        )
        if chosen is None:
            return _refused(request, NOT_YOURS)
        context = _register_context(account, activity, people, chosen, [])
        return page(request, "activities/resident/register.html", context)
    form = RegisterForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        context = _register_context(account, activity, people, people[0], errors)
        return page(request, "activities/resident/register.html", context, status=400)
    done = request.session.get(TOKENS_SESSION_KEY, {}).get(form.cleaned_data["token"] or "-")
    if done:
        return redirect(reverse("activities_resident:ticket", args=[done]) + "?new=1")
    chosen = _chosen(people, form.cleaned_data["who"])
    if chosen is None:
        return _refused(request, NOT_YOURS)
    try:
        result = registration_create(
            activity=activity, participant=participant(account, chosen), actor=request.user
        )
    except ActivityError as error:
        context = _register_context(account, activity, people, chosen, [str(error)])
        context["token"] = form.cleaned_data["token"] or context["token"]
        return page(request, "activities/resident/register.html", context, status=error.http_status)
    token = str(result.registration.token)
    _remember(request, form.cleaned_data["token"], token)
    return redirect(reverse("activities_resident:ticket", args=[token]) + "?new=1")


def _remember(request: HttpRequest, form_token: str, ticket: str) -> None:
    if not form_token:
        return
    tokens: dict[str, str] = dict(request.session.get(TOKENS_SESSION_KEY, {}))
    tokens[form_token] = ticket
    request.session[TOKENS_SESSION_KEY] = dict(list(tokens.items())[-TOKENS_KEPT:])


# --- the ticket --------------------------------------------------------------------------------


def checkin_url(request: HttpRequest, registration: Registration) -> str:
    """The absolute address the ticket's QR code encodes: the organisers' check-in page
    for this registration's token."""
    return site_url(request, reverse("activities_manage:checkin", args=[registration.token]))


def may_rate(registration: Registration) -> bool:
    """A confirmed registration whose activity's first live session has begun."""
    if registration.status != RegistrationStatus.CONFIRMED:
        return False
    first = registration.activity.sessions.filter(cancelled=False).order_by("starts_at").first()
    return first is not None and first.starts_at <= timezone.now()


def may_cancel(registration: Registration) -> bool:
    """A live registration of an activity neither cancelled nor finished."""
    return registration.status in LIVE_STATUSES and registration.activity.status not in (
        ActivityStatus.CANCELLED,
        ActivityStatus.FINISHED,
    )


def _ticket_page(
    request: HttpRequest,
    registration: Registration,
    *,
    form: FeedbackForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    activity = registration.activity
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    context = {
        "registration": registration,
        "activity": activity,
        "icon": STATUS_ICONS.get(RegistrationStatus(registration.status), "•"),
        "position": waitlist_position(registration),
        "next": next_session_text(activity),
        "place": calendar.venue_place(activity),
        "price": "免费" if registration.price_fen == 0 else yuan(registration.price_fen),
        "qr": qr_svg(checkin_url(request, registration), title=f"{registration.name}的签到码")
        if confirmed
        else "",
        "may_cancel": may_cancel(registration),
        "may_rate": may_rate(registration),
        "form": form or FeedbackForm(initial={"rating": registration.rating}),
        "errors": errors or [],
        "new": request.GET.get("new") == "1",
        "cancelled_now": request.GET.get("cancelled") == "1",
        "rated_now": request.GET.get("rated") == "1",
        "nav": "mine",
    }
    return page(request, "activities/resident/ticket.html", context, status=status)


@require_safe
@resident_page
def ticket(request: HttpRequest, account: ResidentAccount, token: uuid.UUID) -> HttpResponse:
    """``/me/activities/ticket/<token>/``: big QR code to show at the door, the person,
    the activity and its next session; cancel; feedback once the activity began."""
    return _ticket_page(request, _registration(account, token))


@require_http_methods(["GET", "POST"])
@resident_page
def cancel(request: HttpRequest, account: ResidentAccount, token: uuid.UUID) -> HttpResponse:
    """``/me/activities/ticket/<token>/cancel/``: a confirmation page, then
    :func:`registration_cancel` (the freed place goes to the first on the waitlist)."""
    registration = _registration(account, token)
    form = CancelForm(request.POST or None)
    errors: list[str] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            registration_cancel(
                registration=registration, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ActivityError as error:
            errors, status = [str(error)], error.http_status
        else:
            url = reverse("activities_resident:ticket", args=[registration.token])
            return redirect(url + "?cancelled=1")
    elif request.method == "POST":
        errors, status = [str(e) for f in form.errors.values() for e in f], 400
    if not errors and not may_cancel(registration):
        errors, status = ["这个报名已不能取消"], 409 if request.method == "POST" else 200
    context = {"registration": registration, "form": form, "errors": errors, "nav": "mine"}
    return page(request, "activities/resident/cancel.html", context, status=status)


@require_POST
@resident_page
def feedback(request: HttpRequest, account: ResidentAccount, token: uuid.UUID) -> HttpResponse:
    """Rate 1–5 stars with an optional comment (:func:`registration_feedback`)."""
    registration = _registration(account, token)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for f in form.errors.values() for e in f]
        return _ticket_page(request, registration, form=form, errors=errors, status=400)
    try:
        registration_feedback(
            registration=registration,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
    except ActivityError as error:
        return _ticket_page(
            request, registration, form=form, errors=[str(error)], status=error.http_status
        )
    url = reverse("activities_resident:ticket", args=[registration.token])
    return redirect(url + "?rated=1")


# --- the personal feed -------------------------------------------------------------------------


@require_safe
def feed(request: HttpRequest, signed: str) -> HttpResponse:
    """``/me/activities/calendar/<signed>.ics`` (no log-in): the sessions of the account's
    confirmed registrations (:func:`visible_registrations`); a bad signature is a 404."""
    account = calendar.feed_account(signed)
    if account is None:
        raise Http404("日历地址无效")
    ids = (
        visible_registrations(account)
        .filter(status=RegistrationStatus.CONFIRMED)
        .values_list("activity_id", flat=True)
    )
    body = calendar.calendar_bytes(
        name=f"{account.resident.name}的社区活动",
        sessions=calendar.feed_sessions(ids),
        url_of=lambda pk: site_url(request, reverse("activities:detail", args=[pk])),
    )
    response = HttpResponse(body, content_type=calendar.CONTENT_TYPE)
    response["Cache-Control"] = "private, max-age=900"
    return response
