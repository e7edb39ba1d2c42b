"""Building economy: enterprise needs (问需清单), the service menu (点菜单), building
councils (楼事会) and the policy library with matching (免申即享).

Write through :mod:`linli.engagement.services` (needs, menu, councils) and
:mod:`linli.engagement.policies` (policies, matching); read through
:mod:`linli.engagement.selectors`, which scope on ``area`` like every registry selector.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from linli.common.models import TimeStamped
from linli.eligibility.conditions import ALWAYS
from linli.eligibility.facts import SubjectKind
from linli.orgs.models import Organization
from linli.people.models import Resident
from linli.places.models import Area, Building


def _always() -> dict[str, list[object]]:
    return dict(ALWAYS)


class NeedCategory(models.TextChoices):
    TRAINING = "training", "培训"
    CHILDCARE = "childcare", "子女托管"
    POLICY = "policy", "政策咨询"
    LEGAL = "legal", "法律服务"
    RECRUITMENT = "recruitment", "招聘用工"
    HEALTH = "health", "健康服务"
    VENUE = "venue", "场地"
    ENVIRONMENT = "environment", "环境与设施"
    OTHER = "other", "其他"


class Urgency(models.TextChoices):
    LOW = "low", "不急"
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"


class NeedStatus(models.TextChoices):
    RAISED = "raised", "已提出"
    ACCEPTED = "accepted", "已受理"
    PLANNED = "planned", "已安排"
    IN_PROGRESS = "in_progress", "办理中"
    DONE = "done", "已办结"
    DECLINED = "declined", "未能受理"


#: Allowed moves of a need; ``done`` and ``declined`` are final.
NEED_TRANSITIONS: dict[str, set[str]] = {
    NeedStatus.RAISED: {NeedStatus.ACCEPTED, NeedStatus.DECLINED},
    NeedStatus.ACCEPTED: {NeedStatus.PLANNED, NeedStatus.DECLINED},
    NeedStatus.PLANNED: {NeedStatus.IN_PROGRESS, NeedStatus.DONE, NeedStatus.DECLINED},
    NeedStatus.IN_PROGRESS: {NeedStatus.DONE, NeedStatus.DECLINED},
    NeedStatus.DONE: set(),
    NeedStatus.DECLINED: set(),
}


class MenuItem(TimeStamped):
    """One service on a community's menu (点菜单) for enterprises.

    ``provider`` ``None`` means the community itself delivers it; otherwise a partner
    organisation (e.g. the health-check centre offering free check-ups to other
    enterprises' employees). ``capacity`` is people per delivery; ``lead_days`` the
    working notice the provider needs, in calendar days.
    """

    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="menu_items", verbose_name="所属社区"
    )
    name = models.CharField("服务名称", max_length=100)
    category = models.CharField("类别", max_length=20, choices=NeedCategory.choices)
    description = models.TextField("服务内容", blank=True)
    provider = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="menu_items",
        verbose_name="提供单位",
        help_text="留空：由社区提供",
    )
    deliverer = models.CharField("承办人/团队", max_length=100, blank=True)
    capacity = models.PositiveIntegerField("每次可服务人数")
    lead_days = models.PositiveSmallIntegerField("需提前天数", default=7)
    fee_fen = models.PositiveIntegerField("费用（分）", default=0, help_text="0 为免费")
    active = models.BooleanField("上架", default=True)
    history = HistoricalRecords(verbose_name="变更记录")

    class Meta:
        verbose_name = "服务菜单项"
        verbose_name_plural = "服务菜单（点菜单）"
        ordering = ["area__path", "category", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="menu_capacity_pos")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def provider_name(self) -> str:
        return self.provider.name if self.provider is not None else "社区"


class CouncilMeeting(TimeStamped):
    """A building affairs council meeting (楼事会) for one building or a cluster.

    ``buildings`` is the cluster (one or more buildings of the community); attendees are
    the enterprise contacts present (:class:`CouncilAttendance`); needs raised there link
    back through :attr:`Need.council`.
    """

    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="council_meetings", verbose_name="所属社区"
    )
    title = models.CharField("会议名称", max_length=100)
    buildings = models.ManyToManyField(
        Building, related_name="council_meetings", blank=True, verbose_name="楼栋（楼宇群）"
    )
    held_at = models.DateTimeField("召开时间")
    venue = models.CharField("地点", max_length=100, blank=True)
    agenda = models.TextField("议程", blank=True)
    minutes = models.TextField("会议纪要", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="记录人",
    )
    history = HistoricalRecords(verbose_name="变更记录")

    class Meta:
        verbose_name = "楼事会"
        verbose_name_plural = "楼事会"
        ordering = ["-held_at"]

    def __str__(self) -> str:
        return f"{self.title}（{self.held_at:%Y-%m-%d}）"


class CouncilAttendance(models.Model):
    """An organisation at a council meeting, with the person who came."""

    meeting = models.ForeignKey(
        CouncilMeeting, on_delete=models.CASCADE, related_name="attendance", verbose_name="会议"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="单位"
    )
    person_name = models.CharField("参会人", max_length=50, blank=True)
    present = models.BooleanField("出席", default=True)

    class Meta:
        verbose_name = "参会单位"
        verbose_name_plural = "参会单位"
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "organization"], name="council_attendance_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} @ {self.meeting}"


class Need(TimeStamped):
    """A need raised by an enterprise (or a resident) on the needs list (问需清单).

    Exactly one of ``organization`` / ``resident`` raises it. ``headcount`` is how many
    people it concerns (60 employees for a fire-safety training). How it is answered:
    ``menu_item`` (from the menu), ``partner`` (an organisation offering a resource) and/or
    ``activity`` (a new activity planned for it). State moves only through
    :func:`linli.engagement.services.need_transition`, each move a :class:`NeedEvent`.
    """

    number = models.CharField("编号", max_length=20, unique=True)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="needs", verbose_name="所属区域"
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name="提出单位",
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name="提出居民",
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="登记人",
    )
    council = models.ForeignKey(
        CouncilMeeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name="楼事会",
    )
    category = models.CharField("类别", max_length=20, choices=NeedCategory.choices)
    title = models.CharField("需求", max_length=100)
    description = models.TextField("详细说明", blank=True)
    urgency = models.CharField(
        "紧急程度", max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    headcount = models.PositiveIntegerField("涉及人数", default=1)
    status = models.CharField(
        "状态", max_length=12, choices=NeedStatus.choices, default=NeedStatus.RAISED
    )
    menu_item = models.ForeignKey(
        MenuItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name="菜单服务",
    )
    partner = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="needs_answered",
        verbose_name="共建单位",
    )
    activity = models.ForeignKey(
        "activities.Activity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name="对应活动",
    )
    plan_note = models.TextField("安排说明", blank=True)
    declined_reason = models.CharField("未能受理原因", max_length=200, blank=True)
    rating = models.PositiveSmallIntegerField("满意度", null=True, blank=True)
    rating_comment = models.CharField("评价", max_length=300, blank=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    planned_at = models.DateTimeField("安排时间", null=True, blank=True)
    done_at = models.DateTimeField("办结时间", null=True, blank=True)
    history = HistoricalRecords(verbose_name="变更记录")

    class Meta:
        verbose_name = "企业需求"
        verbose_name_plural = "问需清单"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["area", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organization__isnull=False, resident__isnull=True)
                | models.Q(organization__isnull=True, resident__isnull=False),
                name="need_one_raiser",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="need_rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def raiser_name(self) -> str:
        return str(self.organization or self.resident)


class NeedEvent(models.Model):
    """One step of a need's history (immutable)."""

    need = models.ForeignKey(
        Need, on_delete=models.CASCADE, related_name="events", verbose_name="需求"
    )
    at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="操作人",
    )
    from_status = models.CharField("原状态", max_length=12, blank=True)
    to_status = models.CharField("新状态", max_length=12)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "需求办理记录"
        verbose_name_plural = "需求办理记录"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.need.number} {self.from_status}→{self.to_status}"


class GrantMode(models.TextChoices):
    AUTOMATIC = "automatic", "免申即享"
    APPLY = "apply", "需申报"


class Policy(TimeStamped):
    """A policy in the library (政策库) with who qualifies, in the eligibility language.

    ``condition`` is a condition tree of :mod:`linli.eligibility.conditions` over the
    facts of ``subject_kind`` (organisation facts such as ``internship_base`` or
    ``disabled_employees``; or resident facts); it is checked for grammar and for
    contradictions when saved (:func:`linli.engagement.policies.policy_save`).
    ``benefit_fen`` per ``benefit_unit`` (e.g. 195,000 fen per intern) is optional: some
    benefits are not money. ``valid_to`` inclusive. ``area`` is where it applies (a
    street or community); matching considers subjects under it.
    """

    title = models.CharField("政策名称", max_length=200)
    issuer = models.CharField("发布机关", max_length=100)
    document_number = models.CharField("文号", max_length=60, blank=True)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="policies", verbose_name="适用区域"
    )
    subject_kind = models.CharField(
        "适用对象",
        max_length=20,
        choices=SubjectKind.choices,
        default=SubjectKind.ORGANIZATION,
    )
    summary = models.TextField("政策要点", blank=True)
    benefit = models.CharField("享受内容", max_length=200)
    benefit_fen = models.PositiveIntegerField("补贴金额（分）", null=True, blank=True)
    benefit_unit = models.CharField("计量单位", max_length=30, blank=True)
    condition = models.JSONField("资格条件", default=_always)
    grant_mode = models.CharField(
        "兑现方式", max_length=10, choices=GrantMode.choices, default=GrantMode.APPLY
    )
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("失效日期", null=True, blank=True)
    source_url = models.URLField("原文链接", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="录入人",
    )
    history = HistoricalRecords(verbose_name="变更记录")

    class Meta:
        verbose_name = "政策"
        verbose_name_plural = "政策库"
        ordering = ["-valid_from", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="policy_valid_range",
            )
        ]

    def __str__(self) -> str:
        return self.title


class PolicyNote(TimeStamped):
    """The policy relay's explanation of a policy (政策接力: staff explain it in plain words)."""

    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="notes", verbose_name="政策"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="解读人",
    )
    text = models.TextField("政策解读")
    attachment = models.FileField("附件", upload_to="policy_notes/%Y/%m/", blank=True)

    class Meta:
        verbose_name = "政策解读"
        verbose_name_plural = "政策解读"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.policy}：{self.text[:20]}"


class MatchStatus(models.TextChoices):
    MATCHED = "matched", "符合条件"
    NOTIFIED = "notified", "已告知"
    APPLIED = "applied", "已申报"
    GRANTED = "granted", "已兑现"
    REJECTED = "rejected", "未通过"
    LAPSED = "lapsed", "已不符合"


class PolicyMatch(TimeStamped):
    """One subject that qualifies (or qualified) for a policy, and what happened since.

    Exactly one of ``organization`` / ``resident``. ``reasons`` is the engine's Chinese
    explanation of why the condition held when last matched. A ``automatic`` policy's
    match is recorded as ``granted`` at once (免申即享). ``lapsed`` when a later matching
    finds the subject no longer qualifies before any outcome.
    """

    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="matches", verbose_name="政策"
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="policy_matches",
        verbose_name="单位",
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="policy_matches",
        verbose_name="居民",
    )
    status = models.CharField(
        "状态", max_length=10, choices=MatchStatus.choices, default=MatchStatus.MATCHED
    )
    reasons = models.TextField("符合理由")
    matched_at = models.DateTimeField("匹配时间")
    notified_at = models.DateTimeField("告知时间", null=True, blank=True)
    applied_at = models.DateTimeField("申报时间", null=True, blank=True)
    outcome_at = models.DateTimeField("结果时间", null=True, blank=True)
    granted_fen = models.PositiveIntegerField("兑现金额（分）", null=True, blank=True)
    outcome_note = models.CharField("结果说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "政策匹配"
        verbose_name_plural = "政策匹配"
        ordering = ["policy", "-matched_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organization__isnull=False, resident__isnull=True)
                | models.Q(organization__isnull=True, resident__isnull=False),
                name="policy_match_one_subject",
            ),
            models.UniqueConstraint(
                fields=["policy", "organization"],
                condition=models.Q(organization__isnull=False),
                name="policy_match_org_unique",
            ),
            models.UniqueConstraint(
                fields=["policy", "resident"],
                condition=models.Q(resident__isnull=False),
                name="policy_match_resident_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} → {self.organization or self.resident}"
