"""Forms of the canteen counter pages and the receipt in progress (本单) kept in the session.

The receipt being built is a :class:`Draft` stored in ``request.session`` per canteen: the
menu, the diners added (with the price shown when they were added) and the walk-ins, plus
a one-time ``token``. The pay form carries the token; a sale consumes it, so a second
submit of the same receipt (double tap, reload, back button) never sells twice — it finds
the sale the token made (:meth:`Draft.sale_for`) and shows that receipt again.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django import forms

from linli.economy.counter import DinerMatch
from linli.economy.models import IdentifiedBy, MealLine, PaymentMethod
from linli.eligibility.engine import Quote
from linli.eligibility.money import yuan

SESSION_KEY = "linli_counter"
#: How many sold tokens a session remembers (a double submit comes within seconds).
DONE_TOKENS = 20


@dataclass
class DraftLine:
    """One registered diner on the receipt, as shown to the cashier (money in fen)."""

    pk: int
    by: str
    name: str
    masked_id: str
    age: int
    sex: str
    building: str
    price_fen: int
    tier: str
    reason: str
    subsidy_fen: int
    card: int | None = None

    @property
    def price_text(self) -> str:
        return yuan(self.price_fen)

    @property
    def subsidy_text(self) -> str:
        return yuan(self.subsidy_fen)


@dataclass
class Draft:
    """The receipt in progress at one canteen (see the module docstring)."""

    menu: int | None = None
    lines: list[DraftLine] = field(default_factory=list)
    walk_ins: int = 0
    walk_in_fen: int = 0
    #: The cashier switched the meal by hand; otherwise an empty receipt follows the
    #: clock (dinner from the end of lunch on).
    chosen: bool = False
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @classmethod
    def load(cls, session: Any, canteen_pk: int) -> Draft:
        raw = session.get(SESSION_KEY, {}).get(str(canteen_pk))
        if not raw:
            return cls()
        lines = [DraftLine(**line) for line in raw.get("lines", [])]
        return cls(**{**raw, "lines": lines})

    def save(self, session: Any, canteen_pk: int) -> None:
        store = dict(session.get(SESSION_KEY, {}))
        store[str(canteen_pk)] = asdict(self)
        session[SESSION_KEY] = store

    @property
    def total_fen(self) -> int:
        return sum(line.price_fen for line in self.lines) + self.walk_ins * self.walk_in_fen

    @property
    def total_text(self) -> str:
        return yuan(self.total_fen)

    @property
    def walk_in_text(self) -> str:
        return yuan(self.walk_in_fen)

    @property
    def walk_ins_total_text(self) -> str:
        """The walk-ins' subtotal (份数 × 标价) in yuan."""
        return yuan(self.walk_ins * self.walk_in_fen)

    @property
    def empty(self) -> bool:
        return not self.lines and not self.walk_ins

    @property
    def identified_by(self) -> str:
        return self.lines[0].by if self.lines else IdentifiedBy.WALK_IN

    def has(self, resident_pk: int) -> bool:
        return any(line.pk == resident_pk for line in self.lines)

    def add(self, match: DinerMatch, quote: Quote) -> None:
        resident = match.resident
        self.lines.append(
            DraftLine(
                pk=resident.pk,
                by=match.identified_by,
                name=resident.name,
                masked_id=match.masked_id,
                age=match.age,
                sex=resident.get_sex_display(),
                building=match.building,
                price_fen=quote.price_fen,
                tier=quote.tier or "标价",
                reason=quote.reason,
                subsidy_fen=quote.subsidy_fen,
                card=match.card.pk if match.card is not None else None,
            )
        )

    def remove(self, resident_pk: int) -> None:
        self.lines = [line for line in self.lines if line.pk != resident_pk]

    def clear(self) -> None:
        """Start the next receipt: no lines, a new token, the same meal."""
        self.lines, self.walk_ins, self.token = [], 0, secrets.token_urlsafe(16)


def remember_sale(session: Any, token: str, sale_pk: int) -> None:
    """Record that ``token`` made sale ``sale_pk`` (the last :data:`DONE_TOKENS` kept)."""
    done = list(session.get(SESSION_KEY + "_done", []))[-(DONE_TOKENS - 1) :]
    done.append([token, sale_pk])
    session[SESSION_KEY + "_done"] = done


def sale_for_token(session: Any, token: str) -> int | None:
    """The pk of the sale an earlier submit of ``token`` made, if any."""
    for done, sale_pk in session.get(SESSION_KEY + "_done", []):
        if done == token:
            return int(sale_pk)
    return None


class FindForm(forms.Form):
    """What the cashier typed or the scanner sent (card code, phone or part of a name)."""

    q = forms.CharField(label="扫居民卡 / 输入手机号或姓名", max_length=100, required=False)


class PickForm(forms.Form):
    """A candidate tapped after checking their identity (核对身份)."""

    resident = forms.IntegerField(min_value=1)
    how = forms.ChoiceField(
        choices=[(c, c) for c in (IdentifiedBy.CARD, IdentifiedBy.PHONE, IdentifiedBy.NAME)]
    )


class RemoveForm(forms.Form):
    """Take a diner off the receipt (``resident``) or one walk-in (``walk_in``)."""

    resident = forms.IntegerField(min_value=1, required=False)
    walk_in = forms.BooleanField(required=False)


class PayForm(forms.Form):
    """Pay the receipt: the token of the receipt form, the method, the QR reference or card."""

    token = forms.CharField(max_length=64)
    payment = forms.ChoiceField(
        choices=[(c, c) for c in (PaymentMethod.CASH, PaymentMethod.QR, PaymentMethod.CARD)],
        error_messages={"invalid_choice": "请选择付款方式：现金、扫码或居民卡"},
    )
    payment_ref = forms.CharField(label="支付流水号", max_length=64, required=False)
    card = forms.IntegerField(min_value=1, required=False)


class RefundForm(forms.Form):
    """Refund meals of a receipt (they are voided), a number of its walk-in meals
    (``walk_ins`` × the walk-in price, a partial amount that voids nothing) or a partial
    amount in yuan; reason required. ``amount_fen`` in :attr:`cleaned_data` is ``None``
    when refunding meals at their price."""

    lines = forms.ModelMultipleChoiceField(
        label="退哪几份餐",
        queryset=MealLine.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    amount = forms.DecimalField(
        label="部分退款金额（元）",
        min_value=Decimal("0.01"),
        max_digits=8,
        decimal_places=2,
        required=False,
    )
    walk_ins = forms.IntegerField(
        label="退散客几份",
        min_value=1,
        required=False,
        error_messages={"min_value": "散客份数至少 1 份", "invalid": "散客份数请填整数"},
    )
    reason = forms.CharField(
        label="退款原因",
        max_length=200,
        error_messages={"required": "请填写退款原因"},
    )

    def __init__(self, *args: Any, sale: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lines"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = sale.meals.filter(voided=False).select_related("diner")
        field.label_from_instance = _line_label  # type: ignore[method-assign,assignment]
        #: The receipt's walk-in line still standing (several walk-ins may be refunded one
        #: by one as a partial amount), or ``None``.
        self.walk_in_line: MealLine | None = (
            sale.meals.filter(diner__isnull=True, voided=False).order_by("pk").first()
        )
        if self.walk_in_line is not None:
            walk_ins = self.fields["walk_ins"]
            assert isinstance(walk_ins, forms.IntegerField)
            left = self.walk_in_line.quantity - self.walk_in_line.refunded_quantity
            walk_ins.max_value = left
            walk_ins.widget.attrs.update(min=1, max=left)
            walk_ins.help_text = (
                f"本单散客 {self.walk_in_line.quantity} 份（已退 "
                f"{self.walk_in_line.refunded_quantity} 份），每份 "
                f"{yuan(self.walk_in_line.price_fen)}；按份数 × 每份价格退款"
            )

    def clean_walk_ins(self) -> int | None:
        count: int | None = self.cleaned_data.get("walk_ins")
        if count is None:
            return None
        line = self.walk_in_line
        if line is None:
            raise forms.ValidationError("这张小票没有可退的散客餐")
        left = line.quantity - line.refunded_quantity
        if count > left:
            raise forms.ValidationError(f"本单散客 {line.quantity} 份，最多还能退 {left} 份")
        return count

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amount = data.get("amount")
        walk_ins = data.get("walk_ins")
        if self.errors:
            data["amount_fen"] = None
            return data
        if walk_ins and (data.get("lines") or amount is not None):
            raise forms.ValidationError("退散客份数时，请不要同时勾选餐或填写金额")
        if not data.get("lines") and amount is None and not walk_ins:
            raise forms.ValidationError("请勾选要退的餐、填写散客份数，或填写部分退款金额")
        if walk_ins and self.walk_in_line is not None:
            data["amount_fen"] = None  # the service prices the walk-ins it refunds
        else:
            data["amount_fen"] = None if amount is None else int(amount * 100)
        return data


def _line_label(line: MealLine) -> str:
    if line.diner is not None:
        return f"{line.diner.name}　{yuan(line.amount_fen)}（{line.tier or '标价'}）"
    return f"散客 × {line.quantity}（全部）　{yuan(line.amount_fen)}（标价）"
