"""Residents' canteen page at ``/me/canteen/`` (namespace ``resident_canteen``).

For the logged-in resident and each family member they may act for (consent recorded):
today's menus at their community's shared canteen with *their* price and the reason
(the eligibility engine, as at the counter), their resident card as a QR code to show at
the counter instead of the plastic card, its balance and recent moves, and their meals
of the last 30 days. ``?for=<resident pk>`` switches to a family member (others → 404).

Resident accounts only (anonymous → log-in, staff → ``/economy/``). Resident base: elder
mode, one main action (showing the card), no pop-ups, no time limits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from linli.accounts.decorators import resident_only
from linli.accounts.selectors import residents_actable_by
from linli.activities.views import qr_svg
from linli.cases.views_public import is_elder
from linli.economy.counter import CARD_PREFIX, price, today_menus
from linli.economy.models import Canteen, CardMove, DinerCard, MealLine
from linli.eligibility.money import yuan
from linli.people.models import Resident

BASE = "orders/resident/base.html"
#: How far back "my meals" goes.
HISTORY_DAYS = 30


def canteens_for(resident: Resident) -> list[Canteen]:
    """The canteens of social enterprises whose community holds ``resident``'s area."""
    canteens = Canteen.objects.select_related("enterprise__community", "enterprise__organization")
    return [c for c in canteens if resident.area.path.startswith(c.enterprise.community.path)]


@require_safe
@resident_only("/economy/")
def home(request: HttpRequest) -> HttpResponse:
    people = list(residents_actable_by(request.user).select_related("area"))
    chosen = people[0]
    wanted = request.GET.get("for")
    if wanted:
        chosen = next((p for p in people if str(p.pk) == wanted), None)  # type: ignore[assignment]
        if chosen is None:
            raise Http404("没有找到这位家人")
    today = timezone.localdate()
    canteens = canteens_for(chosen)
    menus: list[dict[str, Any]] = []
    for canteen in canteens:
        for menu in today_menus(canteen):
            q = price(canteen, menu, chosen)
            menus.append({"canteen": canteen, "menu": menu, "price": yuan(q.price_fen), "quote": q})
    card = (
        DinerCard.objects.select_related("enterprise__organization")
        .filter(resident=chosen, active=True)
        .first()
    )
    since = today - dt.timedelta(days=HISTORY_DAYS)
    meals = list(
        MealLine.objects.filter(diner=chosen, menu__date__gte=since)
        .select_related("menu__canteen", "sale")
        .order_by("-menu__date", "-menu__meal")[:40]
    )
    context = {
        "base": BASE,
        "nav": "canteen",
        "elder": is_elder(request),
        "people": people,
        "chosen": chosen,
        "is_me": chosen.pk == people[0].pk,
        "canteens": canteens,
        "menus": menus,
        "card": card,
        "card_qr": qr_svg(CARD_PREFIX + card.code, title=f"{chosen.name}的居民卡")
        if card
        else None,
        "balance": yuan(card.balance_fen) if card else None,
        "moves": [
            {"move": m, "amount": yuan(abs(m.amount_fen)), "sign": "+" if m.amount_fen > 0 else "−"}
            for m in CardMove.objects.filter(card=card).order_by("-at", "-pk")[:10]
        ]
        if card
        else [],
        "meals": [{"line": m, "price": yuan(m.price_fen)} for m in meals],
    }
    return render(request, "economy/resident/home.html", context)
