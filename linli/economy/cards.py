"""Residents' cards at the enterprise (居民卡): issue, top up, refund the balance, stop.

A card's QR code holds ``LINLI-CARD:<code>`` (:data:`linli.economy.counter.CARD_PREFIX`);
the counter finds the diner by it and may take payment from the prepaid balance
(``DinerCard.balance_fen``). Every change of a balance is a
:class:`~linli.economy.models.CardMove` written here or by the counter (payments,
refunds of meals), always on the locked card row.

Rules: one live card per resident per enterprise (partial unique index
``economy_one_live_card``); a card is issued only to a resident of the enterprise's
community; a top-up is 0.01 to 2 000 yuan (:data:`MAX_TOP_UP_FEN`, a counter limit for
cash handling); a card with money on it is stopped only after the balance is refunded.
"""

from __future__ import annotations

import secrets
from typing import Any

import segno
from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.economy.counter import CARD_PREFIX
from linli.economy.errors import Conflict, EconomyError
from linli.economy.models import CardMove, CardMoveKind, DinerCard, SocialEnterprise
from linli.eligibility.money import yuan
from linli.people.models import Resident

#: Card code characters: upper-case letters and digits without 0/O, 1/I/L, 2/Z, 5/S, 8/B.
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
#: Random characters after the ``LL`` prefix.
CODE_LENGTH = 12
#: The largest single top-up, fen (2 000 yuan).
MAX_TOP_UP_FEN = 200_000
#: Top-up methods at the counter (value → label).
TOP_UP_METHODS = {"cash": "现金", "qr": "扫码"}


def new_code() -> str:
    """``LL`` + 12 random characters of :data:`CODE_ALPHABET` (``secrets``)."""
    return "LL" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _check_resident(enterprise: SocialEnterprise, resident: Resident) -> None:
    if not resident.area.path.startswith(enterprise.community.path):
        raise EconomyError(f"{resident.name} 不是{enterprise.community.name}的居民，不能办卡")


def issue_card(enterprise: SocialEnterprise, resident: Resident, *, by: Any) -> DinerCard:
    """Issue a new card to ``resident``. A live card they already hold is stopped and its
    balance moved to the new card (a ``refund`` move −balance on the old card, a
    ``top_up`` move +balance on the new one, both referencing the other card). Atomic.

    Raises:
        EconomyError: the resident does not live in the enterprise's community.
        Conflict: another card was issued to them at the same moment.
    """
    _check_resident(enterprise, resident)
    now = timezone.now()
    try:
        with transaction.atomic():
            old = (
                DinerCard.objects.select_for_update()
                .filter(enterprise=enterprise, resident=resident, active=True)
                .first()
            )
            carried = 0
            if old is not None:
                carried = old.balance_fen
                old.active = False
                old.balance_fen = 0
                old.save(update_fields=["active", "balance_fen", "updated_at"])
            card = _create(enterprise, resident, carried)
            if old is not None and carried:
                CardMove.objects.create(
                    card=old,
                    kind=CardMoveKind.TRANSFER_OUT,
                    amount_fen=-carried,
                    balance_after_fen=0,
                    reference=f"转入新卡 {card.code}",
                    at=now,
                    by=by,
                )
                CardMove.objects.create(
                    card=card,
                    kind=CardMoveKind.TRANSFER_IN,
                    amount_fen=carried,
                    balance_after_fen=carried,
                    reference=f"旧卡转入 {old.code}",
                    at=now,
                    by=by,
                )
    except IntegrityError:
        raise Conflict(f"{resident.name} 刚刚已办了一张卡，请刷新后查看") from None
    return card


def _create(enterprise: SocialEnterprise, resident: Resident, balance: int) -> DinerCard:
    for _ in range(5):
        code = new_code()
        if DinerCard.objects.filter(code=code).exists():
            continue
        with transaction.atomic():
            return DinerCard.objects.create(
                enterprise=enterprise, resident=resident, code=code, balance_fen=balance
            )
    raise Conflict("卡号分配冲突，请重试")


def top_up(
    card: DinerCard, amount_fen: int, *, by: Any, method: str, reference: str = ""
) -> CardMove:
    """Add ``amount_fen`` (1 … :data:`MAX_TOP_UP_FEN`) to ``card``, paid by ``method``
    (``cash`` or ``qr``; a QR top-up needs the payment's ``reference``). Returns the move.

    Raises:
        EconomyError: bad amount or method, missing QR reference, a stopped card.
    """
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise EconomyError("充值金额须大于 0", field="amount")
    if amount_fen > MAX_TOP_UP_FEN:
        raise EconomyError(f"单次充值不能超过 {yuan(MAX_TOP_UP_FEN)}", field="amount")
    if method not in TOP_UP_METHODS:
        raise EconomyError("请选择充值方式：现金或扫码", field="method")
    reference = (reference or "").strip()[:40]
    if method == "qr" and len(reference) < 6:
        raise EconomyError("扫码充值请填写支付流水号（至少 6 位）", field="reference")
    with transaction.atomic():
        locked = DinerCard.objects.select_for_update().get(pk=card.pk)
        if not locked.active:
            raise EconomyError("这张居民卡已停用，不能充值")
        locked.balance_fen += amount_fen
        locked.save(update_fields=["balance_fen", "updated_at"])
        move = CardMove.objects.create(
            card=locked,
            kind=CardMoveKind.TOP_UP,
            amount_fen=amount_fen,
            balance_after_fen=locked.balance_fen,
            reference=reference or TOP_UP_METHODS[method],
            at=timezone.now(),
            by=by,
        )
    card.balance_fen = locked.balance_fen
    return move


def refund_balance(card: DinerCard, *, by: Any) -> CardMove:
    """Give the whole balance back to the resident in cash (a ``refund`` move −balance).

    Raises:
        EconomyError: the balance is already 0.
    """
    with transaction.atomic():
        locked = DinerCard.objects.select_for_update().get(pk=card.pk)
        if locked.balance_fen <= 0:
            raise EconomyError("这张卡没有余额可退")
        amount = locked.balance_fen
        locked.balance_fen = 0
        locked.save(update_fields=["balance_fen", "updated_at"])
        move = CardMove.objects.create(
            card=locked,
            kind=CardMoveKind.CASH_OUT,
            amount_fen=-amount,
            balance_after_fen=0,
            reference="退还余额（现金）",
            at=timezone.now(),
            by=by,
        )
    card.balance_fen = 0
    return move


def deactivate(card: DinerCard, *, by: Any) -> DinerCard:
    """Stop ``card`` (lost or given back). ``by`` is the acting user (not stored).

    Raises:
        EconomyError: money is still on the card (refund the balance first).
        Conflict: the card is already stopped.
    """
    with transaction.atomic():
        locked = DinerCard.objects.select_for_update().get(pk=card.pk)
        if not locked.active:
            raise Conflict("这张居民卡已经停用")
        if locked.balance_fen > 0:
            raise EconomyError(f"卡上还有 {yuan(locked.balance_fen)} 余额，请先退还余额再停用")
        locked.active = False
        locked.save(update_fields=["active", "updated_at"])
    card.active = False
    return card


def card_qr_svg(card: DinerCard) -> str:
    """The card's QR code (``LINLI-CARD:<code>``, error level M) as inline SVG sized by CSS
    through its viewBox (class ``qr``)."""
    code = segno.make(f"{CARD_PREFIX}{card.code}", error="m")
    svg: str = code.svg_inline(
        scale=1,
        border=2,
        light="#fff",
        dark="#000",
        omitsize=True,
        title=f"居民卡 {card.code}",
        svgclass="qr",
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)
