"""Actual population (实有人口): residents, care tags, family links, staff assignments."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from linli.common.identity import age_on
from linli.common.models import TimeStamped
from linli.orgs.models import Organization
from linli.places.models import Area, Household


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class ResidenceType(models.TextChoices):
    REGISTERED = "registered", "户籍"
    PERMANENT = "permanent", "常住"
    FLOATING = "floating", "流动"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    PARENT = "parent", "父母"
    GRANDCHILD = "grandchild", "孙子女"
    GRANDPARENT = "grandparent", "祖父母"
    SIBLING = "sibling", "兄弟姐妹"
    CHILD_IN_LAW = "child_in_law", "儿媳/女婿"
    TENANT = "tenant", "租户"
    OTHER = "other", "其他"


#: Care tags as (field name, Chinese label); also the tag vocabulary of the roster import.
CARE_TAGS: list[tuple[str, str]] = [
    ("living_alone", "独居"),
    ("empty_nest", "空巢"),
    ("disabled", "残疾"),
    ("dibao", "低保"),
    ("tekun", "特困"),
    ("left_behind_child", "留守儿童"),
    ("key_care", "重点关爱"),
]


class Resident(TimeStamped):
    """A person in the registry.

    The identity number is stored only encrypted (``id_number_encrypted``) with a keyed
    hash (``id_number_hash``, unique) for lookup, and a precomputed mask for display;
    ``birth_date`` and ``sex`` are derived from it (GB 11643-1999). ``phone`` is a mainland
    number in national form. ``area`` is the lowest known area (the household's
    micro-grid, else a community) and is what every selector scopes on. Write through
    :mod:`linli.people.services`, which keeps these consistent.
    """

    name = models.CharField("姓名", max_length=50)
    id_number_encrypted = models.TextField("身份证号（密文）", editable=False)
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField("身份证号", max_length=18, editable=False)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices, editable=False)
    birth_date = models.DateField("出生日期", editable=False, db_index=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="residents", verbose_name="所属区域"
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name="户",
    )
    relation_to_head = models.CharField(
        "与户主关系", max_length=15, choices=Relation.choices, blank=True
    )
    residence_type = models.CharField(
        "居住类型",
        max_length=12,
        choices=ResidenceType.choices,
        default=ResidenceType.REGISTERED,
    )
    living_alone = models.BooleanField("独居", default=False)
    empty_nest = models.BooleanField("空巢", default=False)
    disabled = models.BooleanField("残疾", default=False)
    disability_level = models.PositiveSmallIntegerField(
        "残疾等级", null=True, blank=True, choices=[(i, f"{i}级") for i in range(1, 5)]
    )
    dibao = models.BooleanField("低保", default=False)
    tekun = models.BooleanField("特困", default=False)
    left_behind_child = models.BooleanField("留守儿童", default=False)
    key_care = models.BooleanField("重点关爱", default=False)
    employer = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employees",
        verbose_name="工作单位",
    )
    note = models.TextField("备注", blank=True)
    history = HistoricalRecords(
        verbose_name="变更记录", excluded_fields=["id_number_encrypted", "updated_at"]
    )

    class Meta:
        verbose_name = "居民"
        verbose_name_plural = "居民"
        ordering = ["area__path", "household_id", "id"]
        permissions = [
            ("view_pii", "查看完整身份证号和电话"),
            ("view_sensitive", "查看残疾、低保、特困、未成年人等敏感信息"),
        ]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["phone"])]

    def __str__(self) -> str:
        return self.name

    def age(self, day: dt.date | None = None) -> int:
        """Whole years on ``day`` (default today, Asia/Shanghai)."""
        from django.utils import timezone

        return age_on(self.birth_date, day or timezone.localdate())

    @property
    def tag_labels(self) -> list[str]:
        labels = [label for name, label in CARE_TAGS if getattr(self, name)]
        if self.disabled and self.disability_level:
            labels[labels.index("残疾")] = f"残疾（{self.disability_level}级）"
        return labels


class EmergencyContact(models.Model):
    """Someone to call about a resident; not necessarily in the registry."""

    resident = models.ForeignKey(
        Resident,
        on_delete=models.CASCADE,
        related_name="emergency_contacts",
        verbose_name="居民",
    )
    name = models.CharField("姓名", max_length=50)
    relation = models.CharField("关系", max_length=20)
    phone = models.CharField("电话", max_length=20)

    class Meta:
        verbose_name = "紧急联系人"
        verbose_name_plural = "紧急联系人"

    def __str__(self) -> str:
        return f"{self.name}（{self.relation}）"


class FamilyLink(TimeStamped):
    """``relative`` may act for ``resident`` (e.g. a daughter booking for her mother).

    Acting on someone's behalf needs their recorded consent: ``consent_at`` set and not
    ``revoked_at``. Consent is given in person to staff, who record it.
    """

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="family_links", verbose_name="居民"
    )
    relative = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="acts_for", verbose_name="亲属"
    )
    relation = models.CharField("关系", max_length=20)
    may_act = models.BooleanField("可代为办理", default=False)
    consent_at = models.DateTimeField("同意时间", null=True, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="同意登记人",
    )
    revoked_at = models.DateTimeField("撤回时间", null=True, blank=True)

    class Meta:
        verbose_name = "亲属关联"
        verbose_name_plural = "亲属关联"
        constraints = [
            models.UniqueConstraint(fields=["resident", "relative"], name="family_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(resident=models.F("relative")), name="family_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.relative} → {self.resident}（{self.relation}）"

    @property
    def consent_active(self) -> bool:
        return self.may_act and self.consent_at is not None and self.revoked_at is None


class Role(models.TextChoices):
    STREET_ADMIN = "street_admin", "街道管理员"
    COMMUNITY_ADMIN = "community_admin", "社区管理员"
    GRID_LEADER = "grid_leader", "网格长"
    GRID_WORKER = "grid_worker", "网格员"
    MICRO_GRID_WORKER = "micro_grid_worker", "微网格员"
    DISPATCHER = "dispatcher", "调度员"
    PROPERTY_STAFF = "property_staff", "物业人员"
    PROVIDER_STAFF = "provider_staff", "服务商人员"
    POLICE = "police", "民警"
    EMERGENCY_TEAM = "emergency_team", "应急小组"
    ENTERPRISE_CONTACT = "enterprise_contact", "企业联络员"
    SOCIAL_ENTERPRISE_STAFF = "social_enterprise_staff", "社会企业人员"
    VOLUNTEER = "volunteer", "志愿者"


#: Roles that see full identity numbers/phones and sensitive tags in their areas.
PII_ROLES = {Role.STREET_ADMIN, Role.COMMUNITY_ADMIN, Role.GRID_LEADER}
SENSITIVE_ROLES = PII_ROLES | {
    Role.GRID_WORKER,
    Role.MICRO_GRID_WORKER,
    Role.DISPATCHER,
    Role.EMERGENCY_TEAM,
}


class Assignment(TimeStamped):
    """A staff user's role in an area; the user sees rows under that area only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name="用户",
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="assignments", verbose_name="区域"
    )
    role = models.CharField("角色", max_length=30, choices=Role.choices)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name="所属单位",
    )

    class Meta:
        verbose_name = "岗位分配"
        verbose_name_plural = "岗位分配"
        constraints = [
            models.UniqueConstraint(fields=["user", "area", "role"], name="assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area.name}"


class RosterImportStatus(models.TextChoices):
    PREVIEWED = "previewed", "待确认"
    QUEUED = "queued", "排队中"
    RUNNING = "running", "导入中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class RosterImport(TimeStamped):
    """One upload of a population ledger (台账) through the back-office page.

    The file is kept under ``MEDIA_ROOT/roster/``; ``report`` holds the preview and result
    (counts, first rows, rejected rows with reasons) as written by
    :mod:`linli.people.roster.services`; ``progress`` is 0–100 and ``stage`` says in
    Chinese what is happening, for the polling progress bar.
    """

    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="roster_imports", verbose_name="社区"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="上传人",
    )
    file = models.FileField("文件", upload_to="roster/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=200)
    create_missing = models.BooleanField("自动创建楼栋/户", default=False)
    status = models.CharField(
        "状态",
        max_length=12,
        choices=RosterImportStatus.choices,
        default=RosterImportStatus.PREVIEWED,
    )
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    stage = models.CharField("当前步骤", max_length=100, blank=True)
    rows = models.PositiveIntegerField("数据行数", default=0)
    imported = models.PositiveIntegerField("新增", default=0)
    updated = models.PositiveIntegerField("更新", default=0)
    rejected = models.PositiveIntegerField("退回", default=0)
    report = models.JSONField("预览与结果", default=dict, blank=True)
    error_file = models.FileField("错误报告", upload_to="roster/%Y/%m/", blank=True)

    class Meta:
        verbose_name = "台账导入"
        verbose_name_plural = "台账导入"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name}（{self.get_status_display()}）"
