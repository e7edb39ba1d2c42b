"""The canteen's back-office pages at ``/economy/canteen/<canteen>/`` (namespace ``canteen``).

* ``/`` (``day``) — the day board (``?day=2026-11-30``, default today): lunch and dinner
  menus with dishes, portions and prices, the day's figures, food samples (taken, missing,
  due for discarding) and the actions: edit or copy a menu, record delivery meals, links
  to the counter and to the subsidy claims;
* ``menus/<day>/<meal>/`` (``menu``) — edit a menu (dish rows, publish), ``…/copy/`` copy
  another day's menu onto it, ``…/delete/`` delete it, ``…/delivery/`` record its
  delivery meals from the meal orders;
* ``week/<day>/`` (``week``) — the week's menus, Monday to Sunday, printable;
* ``dishes/<dish>/sample/`` and ``samples/<sample>/discard/`` — food samples (留样);
* ``day/<day>.xlsx`` and ``day/<day>.pdf`` — the daily figures.

Who: log-in required; a canteen the user may not operate
(:func:`linli.economy.access.may_operate`) is 404. Domain errors are shown on the page with
their HTTP status (400, 409).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from linli.common.documents import pdf_bytes, xlsx_bytes
from linli.economy.access import canteen_for as _canteen
from linli.economy.daily import WALK_IN, daily_document, daily_figures
from linli.economy.delivery import record_delivery_meals
from linli.economy.errors import EconomyError
from linli.economy.forms_canteen import (
    CopyForm,
    DayForm,
    DiscardForm,
    DishRow,
    MenuForm,
    SampleForm,
    add_service_error,
    parse_day,
    rows_from_dishes,
)
from linli.economy.menus import (
    combo_words,
    copy_menu,
    delete_menu,
    has_sales,
    menu_prices,
    set_menu,
    standard_combo,
    week_menus,
    week_of,
)
from linli.economy.models import Canteen, Dish, DishKind, FoodSample, Meal, Menu
from linli.economy.samples import day_dishes, discard_sample, due_for_discard, take_sample
from linli.eligibility.money import yuan

WEEKDAYS = "一二三四五六日"
#: The day board's money rows: what was taken at the till, what went back, what is left.
RECEIPTS_LABEL = "收款（退款前）"
REFUNDS_LABEL = "退款"
REVENUE_LABEL = "净收入（收款 − 退款）"


def sample_prefix(dish: Dish) -> str:
    """The form prefix of ``dish``'s food-sample form on the day board (``d474``), so each
    row's labels point to its own inputs."""
    return f"d{dish.pk}"


def _day(text: str) -> dt.date:
    day = parse_day(text)
    if day is None:
        raise Http404("日期格式应为 2026-05-01")
    return day


def _meal(text: str) -> str:
    if text not in Meal.values:
        raise Http404("餐次须为午餐或晚餐")
    return text


def _board_url(canteen: Canteen, day: dt.date) -> str:
    return f"{reverse('canteen:day', args=[canteen.pk])}?day={day:%Y-%m-%d}"


# --- the day board ---------------------------------------------------------------------------


def _menu_card(canteen: Canteen, day: dt.date, meal: str, menu: Menu | None) -> dict[str, Any]:
    card: dict[str, Any] = {"meal": meal, "label": Meal(meal).label, "menu": menu, "day": day}
    if menu is None:
        return card
    meat, vegetables = standard_combo(menu)
    card.update(
        dishes=list(menu.dishes.all()),
        meat=meat,
        vegetables=vegetables,
        combo=combo_words(meat, vegetables),
    )
    try:
        card["prices"] = menu_prices(canteen, menu)
    except EconomyError as err:
        card["price_error"] = str(err)
    return card


def _figure_rows(figures: Any) -> dict[str, Any]:
    columns = [*figures.by_meal.values(), figures]
    tiers = sorted({t for f in columns for t in f.meals_by_tier}, key=lambda t: (t == WALK_IN, t))
    sources = sorted(figures.subsidy_by_source)
    methods = sorted(figures.payments)
    return {
        "columns": [f.label for f in columns],
        "counts": [
            ("就餐人数", [f.diners for f in columns]),
            ("其中登记居民", [f.registered_diners for f in columns]),
            ("散客份数", [f.walk_in_meals for f in columns]),
            ("送餐份数", [f.delivery_meals for f in columns]),
        ],
        "tiers": [(t, [f.meals_by_tier.get(t, 0) for f in columns]) for t in tiers],
        "money": [
            (RECEIPTS_LABEL, [yuan(f.receipts_fen) for f in columns]),
            (REFUNDS_LABEL, [yuan(f.refunds_fen) for f in columns]),
            (REVENUE_LABEL, [yuan(f.revenue_fen) for f in columns]),
        ],
        "payments": [(m, [yuan(f.payments.get(m, 0)) for f in columns]) for m in methods],
        "payments_total": [yuan(sum(f.payments.values())) for f in columns],
        "subsidies": [(s, [yuan(f.subsidy_by_source.get(s, 0)) for f in columns]) for s in sources],
        "subsidy_total": [yuan(f.subsidy_fen) for f in columns],
    }


def _board(
    request: HttpRequest,
    canteen: Canteen,
    day: dt.date,
    *,
    status: int = 200,
    day_form: DayForm | None = None,
    sample_form: tuple[int, SampleForm] | None = None,
    discard_form: tuple[int, DiscardForm] | None = None,
    error: str = "",
) -> HttpResponse:
    menus = {m.meal: m for m in canteen.menus.filter(date=day).prefetch_related("dishes")}
    now = timezone.now()
    dishes = []
    for dish in day_dishes(canteen, day):
        sample = next(iter(dish.samples.all()), None)
        form = sample_form[1] if sample_form and sample_form[0] == dish.pk else None
        blank = SampleForm(prefix=sample_prefix(dish))
        dishes.append({"dish": dish, "sample": sample, "form": form or blank})
    due = []
    for sample in due_for_discard(canteen, now):
        bound = discard_form[1] if discard_form and discard_form[0] == sample.pk else None
        due.append({"sample": sample, "form": bound or DiscardForm(prefix=f"s{sample.pk}")})
    figures = daily_figures(canteen, day)
    context = {
        "canteen": canteen,
        "enterprise": canteen.enterprise,
        "day": day,
        "week_day": day,
        "weekday": WEEKDAYS[day.weekday()],
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "is_today": day == timezone.localdate(),
        "day_form": day_form or DayForm(initial={"day": day}),
        "cards": [_menu_card(canteen, day, m, menus.get(m)) for m in Meal.values],
        "figures": figures,
        "rows": _figure_rows(figures),
        "dishes": dishes,
        "missing": sum(1 for d in dishes if d["sample"] is None),
        "due": due,
        "error": error,
    }
    return render(request, "economy/canteen/day.html", context, status=status)


@require_safe
@login_required
def day_board(request: HttpRequest, pk: int) -> HttpResponse:
    canteen = _canteen(request, pk)
    if "day" not in request.GET:
        return _board(request, canteen, timezone.localdate())
    form = DayForm(request.GET)
    if not form.is_valid():
        return _board(request, canteen, timezone.localdate(), status=400, day_form=form)
    return _board(request, canteen, form.cleaned_data["day"])


# --- menus ---------------------------------------------------------------------------------


def _menu_page(
    request: HttpRequest,
    canteen: Canteen,
    day: dt.date,
    meal: str,
    *,
    form: MenuForm | None = None,
    rows: list[DishRow] | None = None,
    copy_form: CopyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    menu = canteen.menus.filter(date=day, meal=meal).prefetch_related("dishes").first()
    if form is None:
        initial = {"note": menu.note, "published": menu.published} if menu else {}
        form = MenuForm(initial=initial)
    if rows is None:
        rows = rows_from_dishes(list(menu.dishes.all()) if menu else [])
        if menu is None:
            rows[0].kind = DishKind.MEAT
    last_week = day - dt.timedelta(days=7)
    context = {
        "canteen": canteen,
        "enterprise": canteen.enterprise,
        "day": day,
        "week_day": day,
        "weekday": WEEKDAYS[day.weekday()],
        "meal": meal,
        "meal_label": Meal(meal).label,
        "menu": menu,
        "sold": has_sales(menu) if menu else False,
        "form": form,
        "rows": rows,
        "kinds": DishKind.choices,
        "copy_form": copy_form or CopyForm(initial={"source_day": last_week, "source_meal": meal}),
    }
    return render(request, "economy/canteen/menu.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def menu_edit(request: HttpRequest, pk: int, day: str, meal: str) -> HttpResponse:
    canteen, date, meal = _canteen(request, pk), _day(day), _meal(meal)
    if request.method != "POST":
        return _menu_page(request, canteen, date, meal)
    form = MenuForm(request.POST)
    if "add_rows" in request.POST:
        form.is_valid()  # keep what was typed; nothing is saved
        rows = form.rows + [DishRow(kind=DishKind.VEGETABLE) for _ in range(3)]
        return _menu_page(request, canteen, date, meal, form=form, rows=rows)
    if not form.is_valid():
        return _menu_page(request, canteen, date, meal, form=form, rows=form.rows, status=400)
    try:
        set_menu(
            canteen,
            date,
            meal,
            dishes=form.dishes(),
            note=form.cleaned_data["note"],
            published=form.cleaned_data["published"],
        )
    except EconomyError as err:
        add_service_error(form, err)
        status = err.http_status
        return _menu_page(request, canteen, date, meal, form=form, rows=form.rows, status=status)
    messages.success(request, f"{date:%m月%d日}{Meal(meal).label}菜单已保存")
    return redirect(_board_url(canteen, date))


@require_POST
@login_required
def menu_copy(request: HttpRequest, pk: int, day: str, meal: str) -> HttpResponse:
    canteen, date, meal = _canteen(request, pk), _day(day), _meal(meal)
    form = CopyForm(request.POST)
    if not form.is_valid():
        return _menu_page(request, canteen, date, meal, copy_form=form, status=400)
    source_day, source_meal = form.cleaned_data["source_day"], form.cleaned_data["source_meal"]
    source = canteen.menus.filter(date=source_day, meal=source_meal).first()
    if source is None:
        form.add_error("source_day", f"{source_day:%Y-%m-%d} 没有{Meal(source_meal).label}菜单")
        return _menu_page(request, canteen, date, meal, copy_form=form, status=400)
    try:
        copy_menu(source, date, meal)
    except EconomyError as err:
        add_service_error(form, err)
        return _menu_page(request, canteen, date, meal, copy_form=form, status=err.http_status)
    messages.success(request, f"已复制 {source_day:%m月%d日}{source.get_meal_display()}的菜单")
    return redirect("canteen:menu", pk=canteen.pk, day=f"{date:%Y-%m-%d}", meal=meal)


def _menu_or_404(canteen: Canteen, day: dt.date, meal: str) -> Menu:
    menu = canteen.menus.filter(date=day, meal=meal).first()
    if menu is None:
        raise Http404("这一餐还没有菜单")
    return menu


@require_POST
@login_required
def menu_delete(request: HttpRequest, pk: int, day: str, meal: str) -> HttpResponse:
    canteen, date, meal = _canteen(request, pk), _day(day), _meal(meal)
    menu = _menu_or_404(canteen, date, meal)
    try:
        delete_menu(menu)
    except EconomyError as err:
        return _board(request, canteen, date, status=err.http_status, error=str(err))
    messages.success(request, f"{date:%m月%d日}{Meal(meal).label}菜单已删除")
    return redirect(_board_url(canteen, date))


@require_POST
@login_required
def delivery(request: HttpRequest, pk: int, day: str, meal: str) -> HttpResponse:
    canteen, date, meal = _canteen(request, pk), _day(day), _meal(meal)
    menu = _menu_or_404(canteen, date, meal)
    try:
        result = record_delivery_meals(canteen, menu, by=request.user)
    except EconomyError as err:
        return _board(request, canteen, date, status=err.http_status, error=str(err))
    label = f"{date:%m月%d日}{menu.get_meal_display()}"
    messages.success(request, f"{label}：记录送餐 {len(result.sales)} 份")
    for skipped in result.skipped:
        order = skipped.order
        messages.warning(
            request, f"未记录订单 {order.number}（{order.resident.name}）：{skipped.reason}"
        )
    return redirect(_board_url(canteen, date))


# --- the week ------------------------------------------------------------------------------


@require_safe
@login_required
def week(request: HttpRequest, pk: int, day: str) -> HttpResponse:
    canteen = _canteen(request, pk)
    monday = week_of(_day(day))
    menus = week_menus(canteen, monday)
    days = []
    for n in range(7):
        date = monday + dt.timedelta(days=n)
        meals = [(Meal(m).label, m, menus[(date, m)]) for m in Meal.values]
        days.append({"date": date, "weekday": WEEKDAYS[n], "meals": meals})
    context = {
        "canteen": canteen,
        "enterprise": canteen.enterprise,
        "monday": monday,
        "week_day": monday,
        "sunday": monday + dt.timedelta(days=6),
        "days": days,
        "previous": monday - dt.timedelta(days=7),
        "next": monday + dt.timedelta(days=7),
    }
    return render(request, "economy/canteen/week.html", context)


# --- samples -------------------------------------------------------------------------------


@require_POST
@login_required
def sample_take(request: HttpRequest, pk: int, dish_pk: int) -> HttpResponse:
    canteen = _canteen(request, pk)
    dish = Dish.objects.select_related("menu").filter(pk=dish_pk, menu__canteen=canteen).first()
    if dish is None:
        raise Http404("没有找到这道菜")
    form = SampleForm(request.POST, prefix=sample_prefix(dish))
    day = dish.menu.date
    if not form.is_valid():
        return _board(request, canteen, day, status=400, sample_form=(dish.pk, form))
    try:
        take_sample(dish, **form.cleaned_data)
    except EconomyError as err:
        add_service_error(form, err)
        return _board(request, canteen, day, status=err.http_status, sample_form=(dish.pk, form))
    messages.success(request, f"“{dish.name}”已留样 {form.cleaned_data['weight_g']} 克")
    return redirect(_board_url(canteen, day))


@require_POST
@login_required
def sample_discard(request: HttpRequest, pk: int, sample_pk: int) -> HttpResponse:
    canteen = _canteen(request, pk)
    sample = (
        FoodSample.objects.select_related("dish__menu")
        .filter(pk=sample_pk, dish__menu__canteen=canteen)
        .first()
    )
    if sample is None:
        raise Http404("没有找到这份留样")
    day = parse_day(request.POST.get("day", "")) or timezone.localdate()
    form = DiscardForm(request.POST, prefix=f"s{sample.pk}")
    if not form.is_valid():
        problems = "；".join(str(e) for errors in form.errors.values() for e in errors)
        return _board(
            request, canteen, day, status=400, discard_form=(sample.pk, form), error=problems
        )
    try:
        discard_sample(sample, by=form.cleaned_data["by"])
    except EconomyError as err:
        return _board(request, canteen, day, status=err.http_status, error=str(err))
    messages.success(request, f"“{sample.dish.name}”的留样已销毁")
    return redirect(_board_url(canteen, day))


# --- exports -------------------------------------------------------------------------------


@require_safe
@login_required
def day_xlsx(request: HttpRequest, pk: int, day: str) -> HttpResponse:
    canteen, date = _canteen(request, pk), _day(day)
    response = HttpResponse(
        xlsx_bytes(daily_document(canteen, date)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="canteen-{date:%Y%m%d}.xlsx"'
    return response


@require_safe
@login_required
def day_pdf(request: HttpRequest, pk: int, day: str) -> HttpResponse:
    canteen, date = _canteen(request, pk), _day(day)
    response = HttpResponse(
        pdf_bytes(daily_document(canteen, date)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="canteen-{date:%Y%m%d}.pdf"'
    return response
