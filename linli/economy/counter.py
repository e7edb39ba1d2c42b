"""The canteen counter: find the diner, price their meal, sell, refund.

One sale is one receipt (:class:`~linli.economy.models.Sale`). Each registered diner on it
gets one standard combination (一荤一素) priced by the eligibility scheme of the canteen
(``canteen_meal``: 8 yuan for residents 60+, disabled or on dibao, 12 yuan for others —
社区报告) on the *menu's* date, so someone turning 60 today pays 8 yuan at today's lunch.
Walk-ins (非登记居民) pay the list price. The funding sources' shares of each discounted
meal are written as :class:`~linli.economy.models.MealSubsidy` rows for the monthly claim.

Guarantees: a registered diner has at most one live meal per menu — refused here with a
clear message and, under a race, by the partial unique index
``economy_one_meal_per_diner_per_menu``; a refund never exceeds what is left of the sale
(service check on the locked row and a check constraint); money is integer fen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from linli.accounts.services import phone_hash
from linli.common.identity import IdentityError, age_on, parse_phone
from linli.common.numbering import next_number
from linli.common.windows import local
from linli.economy.accounts import ensure_year_open
from linli.economy.errors import Conflict, EconomyError
from linli.economy.models import (
    Canteen,
    CardMove,
    CardMoveKind,
    DinerCard,
    IdentifiedBy,
    Meal,
    MealLine,
    MealSubsidy,
    Menu,
    PaymentMethod,
    Refund,
    Sale,
    SaleChannel,
)
from linli.eligibility.engine import EligibilityError, Quote, quote
from linli.eligibility.money import yuan
from linli.people.models import Resident

#: What a card's QR code may carry before the code itself (scanners type the whole text).
CARD_PREFIX = "LINLI-CARD:"
#: How many name matches the counter shows at most.
NAME_MATCHES = 8
#: A QR payment reference: the wallet's transaction number, letters and digits.
PAYMENT_REF = re.compile(r"^[0-9A-Za-z_-]{6,64}$")


@dataclasses.dataclass(frozen=True)
class DinerMatch:
    """A candidate diner as the cashier sees them: enough to check the person in front of
    the counter (name, masked identity number, age, sex, building) and nothing more."""

    resident: Resident
    identified_by: str
    age: int
    card: DinerCard | None

    @property
    def masked_id(self) -> str:
        return self.resident.id_number_masked

    @property
    def building(self) -> str:
        household = self.resident.household
        return str(household.building) if household is not None and household.building else ""


def _community_residents(canteen: Canteen):  # type: ignore[no-untyped-def]
    path = canteen.enterprise.community.path
    return Resident.objects.filter(area__path__startswith=path).select_related(
        "household__building"
    )


def find_diners(canteen: Canteen, text: str, *, on: dt.date) -> list[DinerMatch]:
    """Candidates for what the cashier typed or scanned: a card code (exact, with or without
    the ``LINLI-CARD:`` prefix), a phone number (exact, the registry's or the one the
    resident logs in with; residents of the canteen's community), or part of a name
    (community residents, at most :data:`NAME_MATCHES`).

    Raises:
        EconomyError: empty input, or a card that is known but no longer valid.
    """
    text = (text or "").strip()
    if not text:
        raise EconomyError("请扫居民卡，或输入手机号、姓名", field="q")
    code = text.removeprefix(CARD_PREFIX).strip().upper()
    card = (
        DinerCard.objects.select_related("resident__household__building")
        .filter(enterprise=canteen.enterprise, code=code)
        .first()
    )
    if card is not None:
        if not card.active:
            raise EconomyError("这张居民卡已停用，请用手机号或姓名查找", field="q")
        return [_match(card.resident, IdentifiedBy.CARD, on, card)]
    digits = re.sub(r"[\s-]", "", text)
    if digits.lstrip("+").isdigit():
        try:
            phone = parse_phone(digits)
        except IdentityError:
            raise EconomyError(f"“{text}”不是有效的手机号，也不是居民卡号", field="q") from None
        # The registry's phone, or the number the resident logs in with (kept only as a
        # keyed hash on the account, see linli.accounts).
        by_account = Q(account__phone_hash=phone_hash(phone), account__active=True)
        residents = list(
            _community_residents(canteen)
            .filter(Q(phone=phone) | by_account)
            .distinct()
            .order_by("name", "pk")[:5]
        )
        return _matches(canteen, residents, IdentifiedBy.PHONE, on)
    residents = list(
        _community_residents(canteen)
        .filter(name__contains=text)
        .order_by("name", "pk")[:NAME_MATCHES]
    )
    return _matches(canteen, residents, IdentifiedBy.NAME, on)


def diner_by_pk(canteen: Canteen, pk: int, *, on: dt.date, identified_by: str) -> DinerMatch:
    """The candidate the cashier tapped (resident ``pk``), checked to live in the canteen's
    community; two queries.

    Raises:
        EconomyError: no such resident in the community.
    """
    resident = _community_residents(canteen).filter(pk=pk).first()
    if resident is None:
        raise EconomyError("没有找到这位居民，请重新查找", field="q")
    return _matches(canteen, [resident], identified_by, on)[0]


def _matches(
    canteen: Canteen, residents: list[Resident], how: str, on: dt.date
) -> list[DinerMatch]:
    """Matches with each resident's live card, the cards in one query."""
    cards = (
        {
            card.resident_id: card
            for card in DinerCard.objects.filter(
                enterprise_id=canteen.enterprise_id, resident__in=residents, active=True
            )
        }
        if residents
        else {}
    )
    return [_match(r, how, on, cards.get(r.pk)) for r in residents]


def _match(resident: Resident, how: str, on: dt.date, card: DinerCard | None) -> DinerMatch:
    return DinerMatch(resident, how, age_on(resident.birth_date, on), card)


def price(canteen: Canteen, menu: Menu, diner: Resident | None) -> Quote:
    """The standard combination's price for ``diner`` (``None``: walk-in) at ``menu``.

    Raises:
        EconomyError: the canteen's scheme is missing or inactive.
    """
    try:
        return quote(scheme_code=canteen.scheme_code, subject=diner, on=menu.date)
    except EligibilityError as err:
        raise EconomyError(str(err)) from None


def live_meal(menu: Menu, diner: Resident) -> MealLine | None:
    """The diner's meal at ``menu`` that is not refunded, if any."""
    return (
        MealLine.objects.select_related("sale").filter(menu=menu, diner=diner, voided=False).first()
    )


def today_menus(canteen: Canteen, at: dt.datetime | None = None) -> list[Menu]:
    """The canteen's published menus of the local day of ``at`` (lunch first)."""
    day = local(at or timezone.now()).date()
    menus = canteen.menus.filter(date=day, published=True).prefetch_related("dishes")
    return sorted(menus, key=lambda menu: menu.meal != Meal.LUNCH)


def current_menu(canteen: Canteen, at: dt.datetime | None = None) -> Menu | None:
    """The menu being served at ``at``: dinner from the end of lunch on, else lunch; ``None``
    when no menu is published today."""
    moment = local(at or timezone.now())
    today = canteen.menus.filter(date=moment.date(), published=True)  # one query, no dishes
    menus = {m.meal: m for m in today}
    if "dinner" in menus and ("lunch" not in menus or moment.time() >= canteen.lunch_end):
        return menus["dinner"]
    return menus.get("lunch") or menus.get("dinner")


def _check_payment(
    payment: str, payment_ref: str, card: DinerCard | None, canteen: Canteen, order: object
) -> str:
    if payment not in PaymentMethod.values:
        raise EconomyError("请选择付款方式：现金、扫码或居民卡", field="payment")
    ref = (payment_ref or "").strip()
    if payment == PaymentMethod.QR and not PAYMENT_REF.match(ref):
        raise EconomyError("扫码支付请填写支付流水号（6–64 位字母或数字）", field="payment_ref")
    if payment == PaymentMethod.CARD and (
        card is None or not card.active or card.enterprise_id != canteen.enterprise_id
    ):
        raise EconomyError("没有可用的居民卡，请改用现金或扫码", field="payment")
    if payment == PaymentMethod.ORDER and order is None:
        raise EconomyError("“随订单结算”只用于助餐送餐订单", field="payment")
    return ref if payment == PaymentMethod.QR else ""


def sell(
    canteen: Canteen,
    menu: Menu,
    *,
    diners: Sequence[Resident] = (),
    walk_ins: int = 0,
    identified_by: str,
    payment: str,
    cashier: Any,
    payment_ref: str = "",
    card: DinerCard | None = None,
    at: dt.datetime | None = None,
    channel: str = SaleChannel.COUNTER,
    order: object = None,
    prices: dict[int, Quote] | None = None,
    receipt_token: str = "",
) -> Sale:
    """Sell one standard combination to each of ``diners`` and ``walk_ins`` at list price,
    on one receipt, paid by ``payment``.

    Args:
        identified_by: an :class:`~linli.economy.models.IdentifiedBy` value.
        payment: a :class:`~linli.economy.models.PaymentMethod` value; ``qr`` needs
            ``payment_ref``; ``card`` debits ``card`` (the balance must cover the total).
        at: the time of sale (default now); counter sales must be on the menu's local day.
        prices: quotes already made (resident pk → quote), e.g. an order's frozen price.
        receipt_token: the counter form's one-time token; a sale already made with it is
            returned as it is (a double submit, also one reaching another web process at
            the same moment: the token is unique in the database).

    Returns:
        The saved sale with its meal lines and subsidies.

    Raises:
        EconomyError: no meal, a menu of another canteen or another day, bad payment,
            a card balance too low.
        Conflict: the same diner twice on the receipt, or a diner who already has this
            meal (the message names the earlier receipt).
    """
    at = at or timezone.now()
    done = _sale_of_token(receipt_token)
    if done is not None:
        return done
    if menu.canteen_id != canteen.pk:
        raise EconomyError("菜单不属于这个食堂", field="menu")
    if channel == SaleChannel.COUNTER and local(at).date() != menu.date:
        raise EconomyError(f"窗口只能售当天的餐，这份菜单是 {menu.date:%Y-%m-%d} 的", field="menu")
    if walk_ins < 0 or walk_ins > 50:
        raise EconomyError("散客份数须在 0 到 50 之间", field="walk_ins")
    if not diners and not walk_ins:
        raise EconomyError("请至少添加一位就餐人", field="diners")
    seen: set[int] = set()
    for diner in diners:
        if diner.pk in seen:
            raise Conflict(f"{diner.name} 已在这张小票上，同一餐每人只能买一份", field="diners")
        seen.add(diner.pk)
    ref = _check_payment(payment, payment_ref, card, canteen, order)
    quotes = [
        (diner, (prices or {}).get(diner.pk) or price(canteen, menu, diner)) for diner in diners
    ]
    walk_in_quote = price(canteen, menu, None) if walk_ins else None
    total = sum(q.price_fen for _, q in quotes) + (
        walk_in_quote.price_fen * walk_ins if walk_in_quote else 0
    )
    try:
        with transaction.atomic():
            for diner in diners:
                earlier = live_meal(menu, diner)
                if earlier is not None:
                    raise Conflict(
                        f"{diner.name} 本餐已购买（小票 {earlier.sale.number}），"
                        "同一餐每人只能买一份",
                        field="diners",
                    )
            sale = _save_sale(
                canteen,
                menu,
                at=at,
                identified_by=identified_by,
                payer=diners[0] if diners else None,
                payment=payment,
                payment_ref=ref,
                card=card if payment == PaymentMethod.CARD else None,
                total_fen=total,
                cashier=cashier,
                channel=channel,
                order=order,
                receipt_token=receipt_token,
            )
            for diner, q in quotes:
                _save_line(sale, menu, diner, q, 1)
            if walk_in_quote is not None:
                _save_line(sale, menu, None, walk_in_quote, walk_ins)
            if payment == PaymentMethod.CARD and card is not None:
                _debit(card, total, cashier, at, sale.number)
    except IntegrityError:
        done = _sale_of_token(receipt_token)
        if done is not None:  # the same receipt, submitted twice at once: sold once
            return done
        # Another till sold the same diner this meal between our check and our insert.
        raise Conflict("有就餐人刚刚在其他窗口购买了本餐，请刷新后重试", field="diners") from None
    return sale


def _sale_of_token(token: str) -> Sale | None:
    return Sale.objects.filter(receipt_token=token).first() if token else None


def _save_sale(canteen: Canteen, menu: Menu, *, at: dt.datetime, **fields: object) -> Sale:
    prefix = f"ST{local(at):%Y%m%d}-"
    for _ in range(5):
        number = next_number(Sale.objects.all(), "number", prefix, 4)
        try:
            with transaction.atomic():
                return Sale.objects.create(
                    canteen=canteen, menu=menu, number=number, sold_at=at, **fields
                )
        except IntegrityError:
            if not Sale.objects.filter(number=number).exists():
                raise
    raise Conflict("小票号分配冲突，请重试")


def _save_line(sale: Sale, menu: Menu, diner: Resident | None, q: Quote, quantity: int) -> None:
    line = MealLine.objects.create(
        sale=sale,
        menu=menu,
        diner=diner,
        quantity=quantity,
        list_price_fen=canteen_list_price(q),
        price_fen=q.price_fen,
        tier=q.tier or "",
        reason=q.reason[:200],
    )
    MealSubsidy.objects.bulk_create(
        MealSubsidy(line=line, source=s.source, amount_fen=s.amount_fen, reason=s.reason[:200])
        for s in q.subsidies
    )


def canteen_list_price(q: Quote) -> int:
    """The list price behind a quote: what was paid plus what the funders owe."""
    return q.price_fen + q.subsidy_fen


def _debit(card: DinerCard, amount: int, by: Any, at: dt.datetime, reference: str) -> None:
    locked = DinerCard.objects.select_for_update().get(pk=card.pk)
    if locked.balance_fen < amount:
        raise EconomyError(
            f"居民卡余额 {yuan(locked.balance_fen)}，不足 {yuan(amount)}，请改用现金或扫码",
            field="payment",
        )
    locked.balance_fen -= amount
    locked.save(update_fields=["balance_fen", "updated_at"])
    CardMove.objects.create(
        card=locked,
        kind=CardMoveKind.PAYMENT,
        amount_fen=-amount,
        balance_after_fen=locked.balance_fen,
        reference=reference,
        at=at,
        by=by,
    )
    card.balance_fen = locked.balance_fen


def refund(
    sale: Sale,
    *,
    reason: str,
    by: Any,
    lines: Sequence[MealLine] = (),
    amount_fen: int | None = None,
    walk_ins: int = 0,
    at: dt.datetime | None = None,
) -> Refund:
    """Give money back on ``sale``.

    With ``lines`` (meals not eaten), those meals are voided — their subsidies leave the
    claim and the diner may buy that meal again — and the amount defaults to their price.
    With ``walk_ins``, that many of the receipt's walk-in meals are refunded at their price
    (counted on the line, which is voided once all are back). Otherwise ``amount_fen`` is a
    partial refund that voids nothing. Card payments go back to the card; cash and QR
    refunds are handed back by the cashier.

    Raises:
        EconomyError: no reason, an amount ≤ 0 or larger than what is left of the sale
            (the message gives both), a meal of another receipt, more walk-ins than are
            left on the receipt.
        Conflict: a meal already refunded, one whose subsidy is already claimed, or a
            receipt of a closed year.
    """
    reason = (reason or "").strip()
    if not reason:
        raise EconomyError("请填写退款原因", field="reason")
    at = at or timezone.now()
    with transaction.atomic():
        locked = Sale.objects.select_for_update().get(pk=sale.pk)
        chosen = list(
            MealLine.objects.select_for_update().filter(pk__in=[line.pk for line in lines])
        )
        for line in chosen:
            if line.sale_id != locked.pk:
                raise EconomyError("只能退这张小票上的餐", field="lines")
            if line.voided:
                raise Conflict("这份餐已经退过了", field="lines")
            if line.subsidies.filter(claim__isnull=False).exists():
                raise Conflict("这份餐的补贴已申报，不能再退餐；可做部分退款", field="lines")
        ensure_year_open(
            locked.canteen.enterprise_id, local(locked.sold_at).date(), "退这一年的小票"
        )
        walk_in_line = _walk_in_line(locked, walk_ins) if walk_ins else None
        if walk_in_line is not None:
            amount = walk_ins * walk_in_line.price_fen if amount_fen is None else amount_fen
        elif amount_fen is not None:
            amount = amount_fen
        else:
            amount = sum(line.amount_fen for line in chosen)
        left = locked.total_fen - locked.refunded_fen
        if amount <= 0:
            raise EconomyError("退款金额须大于 0", field="amount")
        if amount > left:
            raise EconomyError(
                f"退款 {yuan(amount)}超过这张小票可退的 {yuan(left)}", field="amount"
            )
        locked.refunded_fen += amount
        locked.save(update_fields=["refunded_fen", "updated_at"])
        record = Refund.objects.create(sale=locked, amount_fen=amount, reason=reason, at=at, by=by)
        if chosen:
            MealLine.objects.filter(pk__in=[line.pk for line in chosen]).update(voided=True)
            record.lines.set(chosen)
        if walk_in_line is not None:
            walk_in_line.refunded_quantity += walk_ins
            walk_in_line.voided = walk_in_line.refunded_quantity == walk_in_line.quantity
            walk_in_line.save(update_fields=["refunded_quantity", "voided"])
            record.lines.add(walk_in_line)
        if locked.payment == PaymentMethod.CARD and locked.card_id:
            card = DinerCard.objects.select_for_update().get(pk=locked.card_id)
            card.balance_fen += amount
            card.save(update_fields=["balance_fen", "updated_at"])
            CardMove.objects.create(
                card=card,
                kind=CardMoveKind.REFUND,
                amount_fen=amount,
                balance_after_fen=card.balance_fen,
                reference=locked.number,
                at=at,
                by=by,
            )
    sale.refunded_fen = locked.refunded_fen
    return record


def _walk_in_line(sale: Sale, count: int) -> MealLine:
    """The receipt's walk-in line, locked, with at least ``count`` meals not yet refunded."""
    line = (
        MealLine.objects.select_for_update()
        .filter(sale=sale, diner__isnull=True, voided=False)
        .first()
    )
    if line is None:
        raise EconomyError("这张小票没有可退的散客餐", field="walk_ins")
    left = line.quantity - line.refunded_quantity
    if not 0 < count <= left:
        raise EconomyError(
            f"本单散客 {line.quantity} 份，已退 {line.refunded_quantity} 份，最多还能退 {left} 份",
            field="walk_ins",
        )
    return line


def live_lines(canteen: Canteen) -> Q:
    """Filter for meal lines of ``canteen`` that count (not refunded)."""
    return Q(sale__canteen=canteen, voided=False)
