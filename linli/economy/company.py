"""The company record: registering the enterprise, its shareholders, board, lines, partners.

Stakes are basis points (:data:`~linli.economy.models.FULL_STAKE_BP` = 100 %). Every
change of the shareholder list goes through :func:`set_shareholders`, which replaces the
whole list in one transaction and refuses a list that does not total exactly 100 %.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from linli.economy.errors import EconomyError
from linli.economy.models import (
    FULL_STAKE_BP,
    MIN_WELFARE_RATE_BP,
    BusinessLine,
    LineKind,
    Shareholder,
    ShareholderKind,
    SocialEnterprise,
    WelfareFund,
)
from linli.orgs.models import Organization, OrgKind
from linli.places.models import Area, AreaKind


@dataclasses.dataclass(frozen=True)
class StakeRow:
    """One shareholder as entered: ``stake_bp`` in basis points (4000 = 40 %)."""

    name: str
    kind: str
    stake_bp: int
    organization: Organization | None = None
    contribution_fen: int = 0


def percent(stake_bp: int) -> str:
    """``4000`` → ``"40%"``, ``1250`` → ``"12.5%"``."""
    return f"{stake_bp / 100:g}%"


def register(
    organization: Organization,
    *,
    community: Area,
    welfare_rate_bp: int = MIN_WELFARE_RATE_BP,
    lines: Sequence[tuple[str, str]] = (
        (LineKind.CANTEEN, "共享食堂"),
        (LineKind.MARKET, "特产集市"),
        (LineKind.SERVICES, "居民服务"),
    ),
    **fields: Any,
) -> SocialEnterprise:
    """Register ``organization`` (kind 社区社会企业) as a social enterprise of ``community``
    with its business lines and an empty welfare fund.

    Raises:
        EconomyError: the organisation is not a social enterprise, ``community`` is not a
            community, the rate is below 20 %, or it is registered already.
    """
    if organization.kind != OrgKind.SOCIAL_ENTERPRISE:
        raise EconomyError("只有“社区社会企业”类型的单位才能登记为社会企业", field="organization")
    if community.kind != AreaKind.COMMUNITY:
        raise EconomyError("所属区域必须是社区", field="community")
    check_welfare_rate(welfare_rate_bp)
    if SocialEnterprise.objects.filter(organization=organization).exists():
        raise EconomyError(f"“{organization.name}”已登记为社会企业", field="organization")
    with transaction.atomic():
        enterprise = SocialEnterprise.objects.create(
            organization=organization,
            community=community,
            welfare_rate_bp=welfare_rate_bp,
            **fields,
        )
        for kind, name in lines:
            BusinessLine.objects.create(enterprise=enterprise, kind=kind, name=name)
        WelfareFund.objects.create(enterprise=enterprise)
    return enterprise


def check_welfare_rate(rate_bp: int) -> None:
    """Raises :class:`EconomyError` unless 20 % ≤ ``rate_bp`` ≤ 100 % (社区报告：每年利润的
    20% 用于社区公益, a floor, so a higher rate may be configured)."""
    if not MIN_WELFARE_RATE_BP <= rate_bp <= FULL_STAKE_BP:
        raise EconomyError(
            f"公益提取比例须在 {percent(MIN_WELFARE_RATE_BP)} 到 100% 之间，"
            f"当前为 {percent(rate_bp)}",
            field="welfare_rate_bp",
        )


def set_welfare_rate(enterprise: SocialEnterprise, rate_bp: int) -> None:
    """Change the year-end allocation rate (applies to years not yet closed)."""
    check_welfare_rate(rate_bp)
    enterprise.welfare_rate_bp = rate_bp
    enterprise.save(update_fields=["welfare_rate_bp", "updated_at"])


def check_stakes(rows: Sequence[StakeRow]) -> None:
    """Raises :class:`EconomyError` (Chinese) unless the rows total exactly 100 %, each
    stake is between 0.01 % and 100 %, names are given and none repeats."""
    if not rows:
        raise EconomyError("至少需要一名股东", field="shareholders")
    names: set[str] = set()
    for row in rows:
        name = row.name.strip()
        if not name:
            raise EconomyError("股东名称不能为空", field="shareholders")
        if name in names:
            raise EconomyError(f"股东“{name}”重复", field="shareholders")
        names.add(name)
        if row.kind not in ShareholderKind.values:
            raise EconomyError(f"股东“{name}”的类型无效", field="shareholders")
        if not 1 <= row.stake_bp <= FULL_STAKE_BP:
            raise EconomyError(
                f"股东“{name}”的持股比例须在 0.01% 到 100% 之间", field="shareholders"
            )
        if row.contribution_fen < 0:
            raise EconomyError(f"股东“{name}”的出资额不能为负", field="shareholders")
    total = sum(row.stake_bp for row in rows)
    if total != FULL_STAKE_BP:
        raise EconomyError(
            f"股东持股比例合计须为 100%，当前合计 {percent(total)}", field="shareholders"
        )


def set_shareholders(enterprise: SocialEnterprise, rows: Sequence[StakeRow]) -> list[Shareholder]:
    """Replace the shareholder list with ``rows`` (all or nothing).

    Board members keep their seat; one representing a shareholder that is kept (same
    name) keeps the link, otherwise the link is cleared.

    Raises:
        EconomyError: see :func:`check_stakes`; nothing is changed.
    """
    check_stakes(rows)
    with transaction.atomic():
        SocialEnterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
        existing = {s.name: s for s in enterprise.shareholders.all()}
        kept: list[Shareholder] = []
        for row in rows:
            name = row.name.strip()
            holder = existing.pop(name, None) or Shareholder(enterprise=enterprise, name=name)
            holder.kind = row.kind
            holder.stake_bp = row.stake_bp
            holder.organization = row.organization
            holder.contribution_fen = row.contribution_fen
            holder.save()
            kept.append(holder)
        for gone in existing.values():
            gone.board_members.update(representing=None)
            gone.delete()
    return kept


def community_stake_bp(enterprise: SocialEnterprise) -> int:
    """The community's total stake in basis points (the report's 40 %)."""
    return sum(
        s.stake_bp for s in enterprise.shareholders.all() if s.kind == ShareholderKind.COMMUNITY
    )
