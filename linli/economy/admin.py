"""Back-office views of the social enterprise's records, read-only.

Every write goes through the services (:mod:`linli.economy.company`, ``counter``,
``accounts`` …) and their pages, which keep the rules (stakes total 100 %, a year closes
once, the fund never goes negative); the admin only shows rows. Money columns are shown in
yuan (``8.00 元``) from their integer fen fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from linli.economy import models as m
from linli.eligibility.money import yuan


def _money(field: str, label: str) -> Callable[[Any], str]:
    def show(obj: Any) -> str:
        value = getattr(obj, field)
        return "" if value is None else yuan(int(value))

    show.short_description = label  # type: ignore[attr-defined]
    show.__name__ = f"{field}_yuan"
    return show


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Shows rows; adding, changing and deleting are for the services."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _register(model: type[models.Model], *columns: str, search: tuple[str, ...] = ()) -> None:
    """Register ``model`` read-only; ``*_fen`` columns are shown in yuan."""
    display: list[Any] = []
    for column in columns:
        if column.endswith("_fen"):
            label = str(getattr(model._meta.get_field(column), "verbose_name", column)).replace(
                "（分）", "（元）"
            )
            display.append(_money(column, label))
        else:
            display.append(column)
    attrs = {"list_display": display, "search_fields": list(search)}
    admin.site.register(model, type(f"{model.__name__}Admin", (ReadOnlyAdmin,), attrs))


_register(
    m.SocialEnterprise,
    "organization",
    "community",
    "founded_on",
    "registered_capital_fen",
    "welfare_rate_bp",
    search=("organization__name",),
)
_register(m.Shareholder, "enterprise", "name", "kind", "stake_bp", "contribution_fen")
_register(m.BoardMember, "enterprise", "role", "name", "term_start", "term_end")
_register(m.BusinessLine, "enterprise", "kind", "name", "active")
_register(m.Partner, "enterprise", "organization", "role", "since")
_register(m.DinerCard, "enterprise", "code", "balance_fen", "active")
_register(m.CardMove, "card", "kind", "amount_fen", "balance_after_fen", "at")
_register(m.Canteen, "enterprise", "name", "line", "scheme_code")
_register(m.Menu, "canteen", "date", "meal")
_register(m.Dish, "menu", "kind", "name", "portion")
_register(m.Sale, "number", "canteen", "sold_at", "payment", "total_fen", "refunded_fen")
_register(m.MealLine, "sale", "menu", "quantity", "price_fen", "tier", "voided")
_register(m.MealSubsidy, "line", "source", "amount_fen", "claim")
_register(m.SubsidyClaim, "number", "canteen", "source", "month", "total_fen", "paid_fen")
_register(m.Refund, "sale", "amount_fen")
_register(m.FoodSample, "dish", "taken_at", "taken_by", "keep_until", "discarded_at")
_register(m.Producer, "enterprise", "name", "kind", "share_bp", "active")
_register(m.Product, "enterprise", "code", "name", "price_fen", "stock", "active")
_register(m.StockMove, "product", "kind", "delta", "stock_after", "at")
_register(m.MarketEvent, "enterprise", "kind", "title", "starts_at")
_register(m.ProductSale, "number", "enterprise", "channel", "sold_at", "total_fen", "refunded_fen")
_register(m.ProductSaleLine, "sale", "product", "quantity", "returned", "unit_price_fen")
_register(m.ProducerPayout, "number", "producer", "amount_fen", "paid_at")
_register(m.LedgerEntry, "enterprise", "date", "line", "kind", "category", "amount_fen")
_register(m.YearClose, "enterprise", "year", "profit_fen", "rate_bp", "allocation_fen", "closed_at")
_register(m.WelfareFund, "enterprise", "name", "balance_fen")
_register(m.WelfareProject, "fund", "name", "budget_fen", "decided_by")
_register(m.FundMove, "fund", "date", "kind", "amount_fen", "balance_after_fen", "project")
