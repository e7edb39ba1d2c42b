"""The social enterprise's company record: shareholders, board, business lines, partners.

Stakes are basis points (1/100 of a per cent, ``4000`` = 40.00 %); the shareholders of an
enterprise always total exactly 10 000 — :func:`linli.economy.company.set_shareholders`
replaces the whole list in one transaction and refuses any other total.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from linli.common.models import TimeStamped
from linli.orgs.models import Organization
from linli.people.models import Resident
from linli.places.models import Area

#: 100 % in basis points.
FULL_STAKE_BP = 10_000
#: The floor of the year-end public-welfare allocation (社区报告：每年利润的 20% 用于社区公益).
MIN_WELFARE_RATE_BP = 2_000


class SocialEnterprise(TimeStamped):
    """A community social enterprise (社区社会企业) registered as an organisation.

    ``welfare_rate_bp`` is the share of each year's profit allocated to the community
    public-welfare fund, in basis points, never below :data:`MIN_WELFARE_RATE_BP`.
    """

    organization = models.OneToOneField(
        Organization,
        on_delete=models.PROTECT,
        related_name="social_enterprise",
        verbose_name="登记单位",
    )
    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="social_enterprises", verbose_name="所属社区"
    )
    founded_on = models.DateField("成立日期", null=True, blank=True)
    registered_capital_fen = models.PositiveBigIntegerField("注册资本（分）", default=0)
    welfare_rate_bp = models.PositiveIntegerField(
        "公益提取比例（基点）",
        default=MIN_WELFARE_RATE_BP,
        validators=[MinValueValidator(MIN_WELFARE_RATE_BP), MaxValueValidator(FULL_STAKE_BP)],
        help_text="2000 = 20%，不得低于 20%",
    )
    purpose = models.TextField("宗旨", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "社区社会企业"
        verbose_name_plural = "社区社会企业"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(welfare_rate_bp__gte=MIN_WELFARE_RATE_BP)
                & models.Q(welfare_rate_bp__lte=FULL_STAKE_BP),
                name="economy_welfare_rate_range",
            )
        ]

    def __str__(self) -> str:
        return self.organization.name


class ShareholderKind(models.TextChoices):
    COMMUNITY = "community", "社区（村/居委会、集体经济组织）"
    PARTNER = "partner", "合作单位"
    RESIDENT = "resident", "居民"
    OTHER = "other", "其他"


class Shareholder(TimeStamped):
    """One shareholder and its stake in basis points (``4000`` = 40 %)."""

    enterprise = models.ForeignKey(
        SocialEnterprise, on_delete=models.CASCADE, related_name="shareholders"
    )
    kind = models.CharField("股东类型", max_length=20, choices=ShareholderKind.choices)
    name = models.CharField("股东名称", max_length=100)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, verbose_name="对应单位"
    )
    stake_bp = models.PositiveIntegerField(
        "持股比例（基点）", validators=[MinValueValidator(1), MaxValueValidator(FULL_STAKE_BP)]
    )
    contribution_fen = models.PositiveBigIntegerField("出资额（分）", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "股东"
        verbose_name_plural = "股东"
        ordering = ["-stake_bp", "name"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "name"], name="economy_shareholder_once"),
            models.CheckConstraint(
                condition=models.Q(stake_bp__gte=1) & models.Q(stake_bp__lte=FULL_STAKE_BP),
                name="economy_stake_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.stake_bp / 100:g}%"


class BoardRole(models.TextChoices):
    CHAIR = "chair", "董事长"
    DIRECTOR = "director", "董事"
    SUPERVISOR = "supervisor", "监事"
    MANAGER = "manager", "总经理"
    FINANCE = "finance", "财务负责人"


class BoardMember(TimeStamped):
    """A board member or officer; ``term_end`` inclusive, empty while serving."""

    enterprise = models.ForeignKey(SocialEnterprise, on_delete=models.CASCADE, related_name="board")
    name = models.CharField("姓名", max_length=50)
    role = models.CharField("职务", max_length=20, choices=BoardRole.choices)
    representing = models.ForeignKey(
        Shareholder,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="board_members",
        verbose_name="委派股东",
    )
    term_start = models.DateField("任期开始")
    term_end = models.DateField("任期结束", null=True, blank=True)

    class Meta:
        verbose_name = "董事/监事/高管"
        verbose_name_plural = "董事/监事/高管"
        ordering = ["role", "name"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class LineKind(models.TextChoices):
    CANTEEN = "canteen", "共享食堂"
    MARKET = "market", "特产集市"
    SERVICES = "services", "居民服务"
    OTHER = "other", "其他"


class BusinessLine(TimeStamped):
    """A business line (业务板块); accounts are kept per line and month."""

    enterprise = models.ForeignKey(SocialEnterprise, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField("类型", max_length=20, choices=LineKind.choices)
    name = models.CharField("名称", max_length=50)
    active = models.BooleanField("经营中", default=True)

    class Meta:
        verbose_name = "业务板块"
        verbose_name_plural = "业务板块"
        ordering = ["enterprise", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "name"], name="economy_line_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class Partner(TimeStamped):
    """A partner organisation (合作单位) and what it contributes."""

    enterprise = models.ForeignKey(
        SocialEnterprise, on_delete=models.CASCADE, related_name="partners"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="单位"
    )
    role = models.CharField("合作内容", max_length=200)
    since = models.DateField("合作开始", null=True, blank=True)

    class Meta:
        verbose_name = "合作单位"
        verbose_name_plural = "合作单位"
        ordering = ["enterprise", "organization__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "organization"], name="economy_partner_once"
            )
        ]

    def __str__(self) -> str:
        return self.organization.name


class DinerCard(TimeStamped):
    """A resident's card at the enterprise (居民卡/饭卡): QR code and prepaid balance.

    ``code`` is what the card's QR code holds (a counter scanner types it followed by
    Enter); ``balance_fen`` never goes below 0 (check constraint) and changes only
    through :class:`CardMove` rows written by :mod:`linli.economy.cards`.
    """

    enterprise = models.ForeignKey(SocialEnterprise, on_delete=models.CASCADE, related_name="cards")
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="diner_cards", verbose_name="居民"
    )
    code = models.CharField("卡码", max_length=32, unique=True)
    balance_fen = models.BigIntegerField("余额（分）", default=0)
    active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = "居民卡"
        verbose_name_plural = "居民卡"
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "resident"],
                condition=models.Q(active=True),
                name="economy_one_live_card",
            ),
            models.CheckConstraint(
                condition=models.Q(balance_fen__gte=0), name="economy_card_balance_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident.name} {self.code[-4:]}"


class CardMoveKind(models.TextChoices):
    TOP_UP = "top_up", "充值"
    PAYMENT = "payment", "消费"
    REFUND = "refund", "退款"
    TRANSFER_OUT = "transfer_out", "转到新卡"
    TRANSFER_IN = "transfer_in", "由旧卡转入"
    CASH_OUT = "cash_out", "退还余额"


class CardMove(models.Model):
    """One change of a card's balance; ``amount_fen`` signed (top-ups and refunds > 0)."""

    card = models.ForeignKey(DinerCard, on_delete=models.PROTECT, related_name="moves")
    kind = models.CharField("类型", max_length=20, choices=CardMoveKind.choices)
    amount_fen = models.BigIntegerField("金额（分）")
    balance_after_fen = models.BigIntegerField("变动后余额（分）")
    reference = models.CharField("关联单号", max_length=40, blank=True)
    at = models.DateTimeField("时间")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = "居民卡流水"
        verbose_name_plural = "居民卡流水"
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"
