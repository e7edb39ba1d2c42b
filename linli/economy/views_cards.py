"""Resident card pages of a canteen (namespace ``canteen``), under ``/economy/canteen/<pk>/``.

* ``cards/`` (``cards``) — search a resident of the community by name or phone (masked
  identity number shown), their live card, 办卡 / 补办 (``card_issue``, POST);
* ``cards/<card>/`` (``card``) — balance, moves, top-up form (``card_top_up``, POST),
  退还余额 (``card_refund``, POST), 停用 (``card_stop``, POST);
* ``cards/<card>/print/`` (``card_print``) — the printable card with its QR code.

Who: log-in required; the enterprise's staff and managers (:func:`may_operate`); anyone
else gets 404, as do cards of another enterprise. Domain errors are shown on the page
with their HTTP status.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

from linli.common.identity import IdentityError, parse_phone
from linli.economy import cards
from linli.economy.access import canteen_for as _canteen
from linli.economy.errors import EconomyError
from linli.economy.forms_claims import ResidentSearchForm, TopUpForm, add_service_error
from linli.economy.models import Canteen, DinerCard
from linli.eligibility.money import yuan
from linli.people.models import Resident

#: How many residents a search shows at most.
MATCHES = 10


def _card(request: HttpRequest, pk: int, card_pk: int) -> tuple[Canteen, DinerCard]:
    canteen = _canteen(request, pk)
    card = get_object_or_404(
        DinerCard.objects.select_related("resident"), pk=card_pk, enterprise=canteen.enterprise
    )
    return canteen, card


def _residents(canteen: Canteen, text: str) -> list[Resident]:
    queryset = Resident.objects.filter(
        area__path__startswith=canteen.enterprise.community.path
    ).select_related("household__building")
    digits = re.sub(r"[\s-]", "", text)
    if digits.lstrip("+").isdigit():
        try:
            phone = parse_phone(digits)
        except IdentityError:
            return []
        return list(queryset.filter(phone=phone).order_by("name", "pk")[:MATCHES])
    return list(queryset.filter(name__contains=text).order_by("name", "pk")[:MATCHES])


def _home(
    request: HttpRequest, canteen: Canteen, *, error: str = "", status: int = 200
) -> HttpResponse:
    form = ResidentSearchForm(request.GET or None)
    found: list[tuple[Resident, DinerCard | None]] | None = None
    if form.is_valid():
        residents = _residents(canteen, form.cleaned_data["q"].strip())
        live = {
            c.resident_id: c
            for c in DinerCard.objects.filter(
                enterprise=canteen.enterprise, resident__in=residents, active=True
            )
        }
        found = [(r, live.get(r.pk)) for r in residents]
    context = {
        "canteen": canteen,
        "form": form,
        "found": found,
        "error": error,
        "recent": DinerCard.objects.filter(enterprise=canteen.enterprise, active=True)
        .select_related("resident")
        .order_by("-created_at")[:20],
    }
    return render(request, "economy/cards/home.html", context, status=status)


@login_required
@require_safe
def cards_home(request: HttpRequest, pk: int) -> HttpResponse:
    """Search residents (``?q=``) and the cards issued lately."""
    return _home(request, _canteen(request, pk))


@login_required
@require_POST
def card_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue (or reissue) a card to the resident ``resident`` (POST)."""
    canteen = _canteen(request, pk)
    resident = Resident.objects.filter(pk=_int(request.POST.get("resident"))).first()
    if resident is None:
        return _home(request, canteen, error="请先查找并选择居民", status=400)
    try:
        card = cards.issue_card(canteen.enterprise, resident, by=request.user)
    except EconomyError as err:
        return _home(request, canteen, error=str(err), status=err.http_status)
    messages.success(request, f"已为 {resident.name} 办理居民卡")
    return redirect("canteen:card", pk=canteen.pk, card_pk=card.pk)


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _card_page(
    request: HttpRequest,
    canteen: Canteen,
    card: DinerCard,
    form: TopUpForm | None = None,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    moves = [(m, yuan(m.amount_fen), yuan(m.balance_after_fen)) for m in card.moves.all()[:100]]
    context = {
        "canteen": canteen,
        "card": card,
        "balance": yuan(card.balance_fen),
        "moves": moves,
        "form": form or TopUpForm(),
        "error": error,
    }
    return render(request, "economy/cards/card.html", context, status=status)


@login_required
@require_safe
def card_detail(request: HttpRequest, pk: int, card_pk: int) -> HttpResponse:
    """The card: balance, moves, top-up."""
    canteen, card = _card(request, pk, card_pk)
    return _card_page(request, canteen, card)


@login_required
@require_POST
def card_top_up(request: HttpRequest, pk: int, card_pk: int) -> HttpResponse:
    """Top up the card (amount in 元, cash or QR with reference)."""
    canteen, card = _card(request, pk, card_pk)
    form = TopUpForm(request.POST)
    if not form.is_valid():
        return _card_page(request, canteen, card, form, status=400)
    try:
        move = cards.top_up(
            card,
            form.cleaned_data["amount"],
            by=request.user,
            method=form.cleaned_data["method"],
            reference=form.cleaned_data["reference"],
        )
    except EconomyError as err:
        add_service_error(form, err)
        return _card_page(request, canteen, card, form, status=err.http_status)
    messages.success(
        request, f"已充值 {yuan(move.amount_fen)}，余额 {yuan(move.balance_after_fen)}"
    )
    return redirect("canteen:card", pk=canteen.pk, card_pk=card.pk)


@login_required
@require_POST
def card_refund(request: HttpRequest, pk: int, card_pk: int) -> HttpResponse:
    """Give the balance back in cash."""
    canteen, card = _card(request, pk, card_pk)
    try:
        move = cards.refund_balance(card, by=request.user)
    except EconomyError as err:
        return _card_page(request, canteen, card, error=str(err), status=err.http_status)
    messages.success(request, f"已退还余额 {yuan(-move.amount_fen)}，请当面交给居民")
    return redirect("canteen:card", pk=canteen.pk, card_pk=card.pk)


@login_required
@require_POST
def card_stop(request: HttpRequest, pk: int, card_pk: int) -> HttpResponse:
    """Stop the card (balance must be 0)."""
    canteen, card = _card(request, pk, card_pk)
    try:
        cards.deactivate(card, by=request.user)
    except EconomyError as err:
        return _card_page(request, canteen, card, error=str(err), status=err.http_status)
    messages.success(request, "居民卡已停用")
    return redirect("canteen:card", pk=canteen.pk, card_pk=card.pk)


@login_required
@require_safe
def card_print(request: HttpRequest, pk: int, card_pk: int) -> HttpResponse:
    """The printable card: name, masked identity number, QR code, enterprise."""
    canteen, card = _card(request, pk, card_pk)
    if not card.active:
        raise Http404("这张居民卡已停用")
    context = {
        "canteen": canteen,
        "card": card,
        "qr": mark_safe(cards.card_qr_svg(card)),  # segno's own SVG output
    }
    return render(request, "economy/cards/print.html", context)
