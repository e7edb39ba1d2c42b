"""The canteen counter pages at ``/economy/counter/<canteen>/`` (namespace ``counter``).

* ``/`` (``page``) — the till for a tablet: the meal served (``?meal=lunch|dinner``
  switches when both are published today), today's meals sold by tier, one input for the
  card scanner, a phone or a name, the receipt in progress (本单) and the three payments;
* ``find/`` — GET (htmx, while typing): candidates as cards; POST (Enter, a scanner):
  a card or a single phone match is added directly, otherwise the candidates;
* ``add/`` (a tapped candidate), ``walk-in/`` (散客 +1), ``remove/`` — change the receipt;
* ``pay/`` — sell (:func:`linli.economy.counter.sell`) and show the receipt;
* ``sales/`` — today's receipts; ``sales/<sale>/`` — one receipt (print, refund);
  ``sales/<sale>/refund/`` — refund meals or a partial amount.

The receipt in progress lives in the session (:class:`~linli.economy.forms_counter.Draft`),
so a reload loses nothing; the pay form's one-time token makes a second submit show the
first sale instead of selling again. htmx requests get the work area (``_work.html``)
back, others a redirect (POST-redirect-GET). Who: log-in required; a canteen the user may
not operate (:func:`linli.economy.access.may_operate`) is 404. Domain errors are shown in
the page (``role=alert``) with their HTTP status (400, 409).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import F, Prefetch, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from linli.common.documents import Cell
from linli.common.exports import amount, local_time, wants_xlsx, xlsx_response
from linli.economy import counter
from linli.economy.access import canteen_for as _canteen
from linli.economy.errors import Conflict, EconomyError
from linli.economy.forms_counter import (
    Draft,
    FindForm,
    PayForm,
    PickForm,
    RefundForm,
    RemoveForm,
    remember_sale,
    sale_for_token,
)
from linli.economy.models import Canteen, DinerCard, IdentifiedBy, MealLine, Menu, Sale
from linli.eligibility.money import yuan
from linli.people.models import Resident

#: Seconds a pay submit holds its token against a parallel submit of the same receipt.
TOKEN_LOCK_SECONDS = 30


def _menu(request: HttpRequest, canteen: Canteen, draft: Draft) -> Menu | None:
    """The draft's menu if it is today's and was chosen by hand or has lines on it, else
    the one being served now (one or two queries)."""
    today = timezone.localdate()
    if draft.menu is not None and (draft.chosen or not draft.empty):
        found = Menu.objects.filter(
            pk=draft.menu, canteen=canteen, date=today, published=True
        ).first()
        if found is not None:
            return found
    current = counter.current_menu(canteen)
    draft.menu = current.pk if current is not None else None
    return current


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _counts(menu: Menu | None) -> list[dict[str, Any]]:
    """Meals sold (not refunded) at ``menu`` by tier, walk-ins as 标价."""
    if menu is None:
        return []
    rows = (
        MealLine.objects.filter(menu=menu, voided=False)
        .values("tier")
        .annotate(meals=Sum(F("quantity") - F("refunded_quantity")))
        .order_by("tier")
    )
    return [{"tier": row["tier"] or "散客（标价）", "meals": row["meals"]} for row in rows]


def _cards(draft: Draft) -> list[dict[str, Any]]:
    """Live cards of the diners on the receipt with their balances (one query)."""
    wanted = {line.card: line for line in draft.lines if line.card}
    if not wanted:
        return []
    cards = DinerCard.objects.filter(pk__in=wanted, active=True).order_by("pk")
    return [
        {
            "card": c,
            "name": wanted[c.pk].name,
            "balance": yuan(c.balance_fen),
            "enough": c.balance_fen >= draft.total_fen,
        }
        for c in cards
    ]


def _hm(moment: dt.time) -> str:
    return f"{moment:%H:%M}"


def meal_time_note(canteen: Canteen, at: dt.datetime | None = None) -> str:
    """``""`` during the canteen's meal times (lunch_start–lunch_end, dinner_start–
    dinner_end, local time), else a note for the till: ``现在不是供餐时间（午餐 11:00–13:30，
    晚餐 17:00–19:00），下一餐：午餐`` (``明天午餐`` after dinner). Selling stays allowed."""
    now = timezone.localtime(at or timezone.now()).time()
    if canteen.lunch_start <= now < canteen.lunch_end:
        return ""
    if canteen.dinner_start <= now < canteen.dinner_end:
        return ""
    if now < canteen.lunch_start:
        upcoming = "午餐"
    elif now < canteen.dinner_start:
        upcoming = "晚餐"
    else:
        upcoming = "明天午餐"
    times = (
        f"午餐 {_hm(canteen.lunch_start)}–{_hm(canteen.lunch_end)}，"
        f"晚餐 {_hm(canteen.dinner_start)}–{_hm(canteen.dinner_end)}"
    )
    return f"现在不是供餐时间（{times}），下一餐：{upcoming}"


def _work_context(
    canteen: Canteen, draft: Draft, menu: Menu | None, **extra: Any
) -> dict[str, Any]:
    return {
        "canteen": canteen,
        "draft": draft,
        "menu": menu,
        "cards": _cards(draft) if not draft.empty else [],
        **extra,
    }


def _page(
    request: HttpRequest, canteen: Canteen, draft: Draft, menu: Menu | None, status: int = 200,
    **extra: Any,
) -> HttpResponse:  # fmt: skip
    context = _work_context(canteen, draft, menu, **extra)
    menus = counter.today_menus(canteen)
    context.update(
        menus=menus,
        counts=_counts(menu),
        today=timezone.localdate(),
        find_form=FindForm(),
        meal_note=meal_time_note(canteen),
    )
    return render(request, "economy/counter/page.html", context, status=status)


def _answer(
    request: HttpRequest, canteen: Canteen, draft: Draft, menu: Menu | None, *,
    error: EconomyError | None = None, added: bool = False, **extra: Any,
) -> HttpResponse:  # fmt: skip
    """The work area for htmx (the status of the error, ``counter-added`` when a line was
    added), else the page on error or a redirect to it."""
    draft.save(request.session, canteen.pk)
    status = error.http_status if error is not None else 200
    if _is_htmx(request):
        context = _work_context(canteen, draft, menu, error=error, oob=True, **extra)
        response = render(request, "economy/counter/_work.html", context, status=status)
        if added:
            response["HX-Trigger"] = "counter-added"
        return response
    if error is not None or extra.get("matches") is not None:
        return _page(request, canteen, draft, menu, status=status, error=error, **extra)
    return redirect("counter:page", pk=canteen.pk)


@require_safe
@login_required
def page(request: HttpRequest, pk: int) -> HttpResponse:
    canteen = _canteen(request, pk)
    draft = Draft.load(request.session, canteen.pk)
    meal = request.GET.get("meal")
    if meal:
        chosen = canteen.menus.filter(date=timezone.localdate(), meal=meal, published=True).first()
        if chosen is not None:
            draft.menu, draft.chosen = chosen.pk, True
    menu = _menu(request, canteen, draft)
    draft.save(request.session, canteen.pk)
    return _page(request, canteen, draft, menu)


def _add(draft: Draft, canteen: Canteen, menu: Menu | None, match: counter.DinerMatch) -> None:
    """Put ``match`` on the receipt, or raise why not (no menu, twice, already ate)."""
    if menu is None:
        raise EconomyError("今天还没有公布菜单，不能售餐", field="menu")
    resident = match.resident
    if draft.has(resident.pk):
        raise Conflict(f"{resident.name} 已在这张小票上", field="q")
    earlier = counter.live_meal(menu, resident)
    if earlier is not None:
        raise Conflict(f"{resident.name} 本餐已购买（小票 {earlier.sale.number}）", field="q")
    draft.add(match, counter.price(canteen, menu, resident))


@require_http_methods(["GET", "POST"])
@login_required
def find(request: HttpRequest, pk: int) -> HttpResponse:
    canteen = _canteen(request, pk)
    draft = Draft.load(request.session, canteen.pk)
    form = FindForm(request.POST if request.method == "POST" else request.GET)
    text = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if request.method == "GET":
        if not text:
            return HttpResponse("")
        digits = text.replace(" ", "").replace("-", "")
        if digits.isdigit() and len(digits) < 11:
            # Still typing a phone number: no error while the cashier types.
            return HttpResponse('<p class="muted hint">请继续输入 11 位手机号，按回车查找</p>')
        try:
            found = counter.find_diners(canteen, text, on=timezone.localdate())
        except EconomyError as err:
            return render(request, "economy/counter/_candidates.html", {"error": err})
        context = {"matches": found, "text": text, "canteen": canteen, "draft": draft}
        return render(request, "economy/counter/_candidates.html", context)
    menu = _menu(request, canteen, draft)
    try:
        found = counter.find_diners(canteen, text, on=timezone.localdate())
        direct = len(found) == 1 and found[0].identified_by != IdentifiedBy.NAME
        if direct:
            _add(draft, canteen, menu, found[0])
            return _answer(request, canteen, draft, menu, added=True)
        if not found:
            raise EconomyError(f"没有找到“{text}”，请换手机号或姓名再试", field="q")
    except EconomyError as err:
        return _answer(request, canteen, draft, menu, error=err)
    return _answer(request, canteen, draft, menu, matches=found, text=text)


@require_POST
@login_required
def add(request: HttpRequest, pk: int) -> HttpResponse:
    canteen = _canteen(request, pk)
    draft = Draft.load(request.session, canteen.pk)
    menu = _menu(request, canteen, draft)
    form = PickForm(request.POST)
    try:
        if not form.is_valid():
            raise EconomyError("请重新查找并点选就餐人", field="q")
        match = counter.diner_by_pk(
            canteen,
            form.cleaned_data["resident"],
            on=timezone.localdate(),
            identified_by=form.cleaned_data["how"],
        )
        _add(draft, canteen, menu, match)
    except EconomyError as err:
        return _answer(request, canteen, draft, menu, error=err)
    return _answer(request, canteen, draft, menu, added=True)


@require_POST
@login_required
def walk_in(request: HttpRequest, pk: int) -> HttpResponse:
    canteen = _canteen(request, pk)
    draft = Draft.load(request.session, canteen.pk)
    menu = _menu(request, canteen, draft)
    try:
        if menu is None:
            raise EconomyError("今天还没有公布菜单，不能售餐", field="menu")
        if draft.walk_ins >= 50:
            raise EconomyError("一张小票最多 50 位散客", field="walk_ins")
        if not draft.walk_in_fen:
            draft.walk_in_fen = counter.price(canteen, menu, None).price_fen
        draft.walk_ins += 1
    except EconomyError as err:
        return _answer(request, canteen, draft, menu, error=err)
    return _answer(request, canteen, draft, menu, added=True)


@require_POST
@login_required
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    canteen = _canteen(request, pk)
    draft = Draft.load(request.session, canteen.pk)
    menu = _menu(request, canteen, draft)
    form = RemoveForm(request.POST)
    if form.is_valid():
        if form.cleaned_data["walk_in"]:
            draft.walk_ins = max(draft.walk_ins - 1, 0)
        elif form.cleaned_data["resident"]:
            draft.remove(form.cleaned_data["resident"])
    return _answer(request, canteen, draft, menu)


def _diners(draft: Draft, card: DinerCard | None) -> list[Resident]:
    """The receipt's residents in order, the card holder first when paying by card (the
    payer of the sale is its first diner)."""
    by_pk = Resident.objects.in_bulk([line.pk for line in draft.lines])
    diners = [by_pk[line.pk] for line in draft.lines if line.pk in by_pk]
    if card is not None:
        diners.sort(key=lambda r: r.pk != card.resident_id)
    return diners


def _pay_card(canteen: Canteen, draft: Draft, card_pk: int | None) -> DinerCard:
    holders = {line.card: line.pk for line in draft.lines if line.card}
    card = DinerCard.objects.filter(
        pk=card_pk or 0, enterprise_id=canteen.enterprise_id, active=True
    ).first()
    if card is None or card.pk not in holders:
        raise EconomyError("没有可用的居民卡，请改用现金或扫码", field="payment")
    return card


@require_POST
@login_required
def pay(request: HttpRequest, pk: int) -> HttpResponse:
    canteen = _canteen(request, pk)
    draft = Draft.load(request.session, canteen.pk)
    form = PayForm(request.POST)
    token = request.POST.get("token", "")
    done = sale_for_token(request.session, token)
    if done is not None:
        return redirect("counter:sale", pk=canteen.pk, sale_pk=done)
    menu = _menu(request, canteen, draft)
    try:
        if token != draft.token or not cache.add(f"linli-counter-{token}", 1, TOKEN_LOCK_SECONDS):
            raise Conflict("这张小票已经提交过或已过期，请核对本单后再收款", field="token")
        if not form.is_valid():
            raise EconomyError(_first_error(form), field="payment")
        if menu is None:
            raise EconomyError("今天还没有公布菜单，不能售餐", field="menu")
        data = form.cleaned_data
        card = _pay_card(canteen, draft, data["card"]) if data["payment"] == "card" else None
        sale = counter.sell(
            canteen,
            menu,
            diners=_diners(draft, card),
            walk_ins=draft.walk_ins,
            identified_by=draft.identified_by,
            payment=data["payment"],
            payment_ref=data["payment_ref"],
            card=card,
            cashier=request.user,
            receipt_token=token,
        )
    except EconomyError as err:
        cache.delete(f"linli-counter-{token}")
        draft.save(request.session, canteen.pk)
        return _page(request, canteen, draft, menu, status=err.http_status, pay_error=err)
    remember_sale(request.session, token, sale.pk)
    draft.clear()
    draft.save(request.session, canteen.pk)
    return redirect(reverse("counter:sale", args=[canteen.pk, sale.pk]) + "?new=1")


def _first_error(form: PayForm) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "请检查付款信息"


@require_safe
@login_required
def sales(request: HttpRequest, pk: int) -> HttpResponseBase:
    canteen = _canteen(request, pk)
    today = timezone.localdate()
    rows = (
        Sale.objects.filter(canteen=canteen, menu__date=today)
        .select_related("menu", "cashier")
        .prefetch_related(Prefetch("meals", MealLine.objects.select_related("diner")))
        .order_by("-sold_at", "-pk")
    )
    found = list(rows)
    if wants_xlsx(request):
        return _sales_xlsx(canteen, today, found)
    context = {
        "canteen": canteen,
        "sales": [_sale_row(s) for s in found],
        "today": today,
        "sum_total": yuan(sum(s.total_fen for s in found)),
        "sum_refunded": yuan(sum(s.refunded_fen for s in found)),
        "sum_net": yuan(sum(s.total_fen - s.refunded_fen for s in found)),
    }
    return render(request, "economy/counter/sales.html", context)


#: Columns of today's receipts export, as on the page; amounts in yuan (numbers in Excel).
SALES_HEADER = [
    "小票号",
    "时间",
    "餐次",
    "就餐人",
    "收款（元，退款前）",
    "已退（元）",
    "净额（元）",
    "付款",
]


def _sales_xlsx(canteen: Canteen, today: dt.date, found: list[Sale]) -> FileResponse:
    """``sales/?format=xlsx``: today's receipts as listed, totals in a line above."""
    rows: list[list[Cell]] = []
    for sale in found:
        row = _sale_row(sale)
        rows.append(
            [
                sale.number,
                local_time(sale.sold_at, "%H:%M"),
                sale.menu.get_meal_display(),
                row["diners"],
                amount(sale.total_fen),
                amount(sale.refunded_fen),
                amount(sale.total_fen - sale.refunded_fen),
                sale.get_payment_display(),
            ]
        )
    total = sum(s.total_fen for s in found)
    refunded = sum(s.refunded_fen for s in found)
    return xlsx_response(
        title=f"{canteen.name}今日小票",
        header=SALES_HEADER,
        rows=rows,
        lines=[
            f"日期：{today:%Y-%m-%d}",
            f"合计：收款 {yuan(total)} 元，已退 {yuan(refunded)} 元，"
            f"净额 {yuan(total - refunded)} 元",
        ],
        filename=f"{canteen.name}小票-{today:%Y%m%d}",
    )


def _who(line: MealLine) -> str:
    if line.diner is not None:
        return line.diner.name
    kept = line.quantity - line.refunded_quantity
    return (
        f"散客 × {kept}"
        if kept == line.quantity
        else f"散客 × {kept}（已退 {line.refunded_quantity} 份）"
    )


def _sale_row(sale: Sale) -> dict[str, Any]:
    diners = "、".join(
        _who(line) + ("（已退）" if line.voided else "") for line in sale.meals.all()
    )
    refunded = yuan(sale.refunded_fen) if sale.refunded_fen else "—"
    return {
        "sale": sale,
        "diners": diners,
        "total": yuan(sale.total_fen),
        "refunded": refunded,
        "net": yuan(sale.total_fen - sale.refunded_fen),
    }


def _sale(canteen: Canteen, sale_pk: int) -> Sale:
    sale = (
        Sale.objects.filter(canteen=canteen, pk=sale_pk)
        .select_related("menu", "cashier", "card", "payer")
        .first()
    )
    if sale is None:
        raise Http404("没有找到这张小票")
    return sale


def _sale_page(
    request: HttpRequest, canteen: Canteen, sale: Sale, form: RefundForm | None = None,
    status: int = 200, error: EconomyError | None = None,
) -> HttpResponse:  # fmt: skip
    context = {
        "canteen": canteen,
        "sale": sale,
        "lines": [
            {
                "line": line,
                "who": _who(line),
                "price": yuan(line.price_fen),
                "amount": yuan(line.amount_fen),
            }
            for line in sale.meals.select_related("diner").order_by("pk")
        ],
        "refunds": [
            {"refund": r, "amount": yuan(r.amount_fen)}
            for r in sale.refunds.select_related("by").order_by("at")
        ],
        "total": yuan(sale.total_fen),
        "refunded": yuan(sale.refunded_fen),
        "left_fen": sale.total_fen - sale.refunded_fen,
        "left": yuan(sale.total_fen - sale.refunded_fen),
        "card_balance": yuan(sale.card.balance_fen) if sale.card is not None else "",
        "form": form or RefundForm(sale=sale),
        "error": error,
        "new": request.GET.get("new") == "1",
    }
    return render(request, "economy/counter/sale.html", context, status=status)


@require_safe
@login_required
def sale(request: HttpRequest, pk: int, sale_pk: int) -> HttpResponse:
    canteen = _canteen(request, pk)
    return _sale_page(request, canteen, _sale(canteen, sale_pk))


@require_POST
@login_required
def sale_refund(request: HttpRequest, pk: int, sale_pk: int) -> HttpResponse:
    canteen = _canteen(request, pk)
    sale = _sale(canteen, sale_pk)
    form = RefundForm(request.POST, sale=sale)
    if not form.is_valid():
        return _sale_page(request, canteen, sale, form, status=400)
    data = form.cleaned_data
    try:
        done = counter.refund(
            sale,
            reason=data["reason"],
            by=request.user,
            lines=list(data["lines"]),
            amount_fen=data["amount_fen"],
            walk_ins=data.get("walk_ins") or 0,
        )
    except EconomyError as err:
        return _sale_page(request, canteen, sale, form, status=err.http_status, error=err)
    messages.success(request, f"已退款 {yuan(done.amount_fen)}，原因：{done.reason}")
    return redirect("counter:sale", pk=canteen.pk, sale_pk=sale.pk)
