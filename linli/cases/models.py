"""Grid cases (网格事件): the closed loop of GB/T 30428 digital urban management.

上报 reported → 立案 registered → 派遣 dispatched → 处置 in_progress → 反馈 handled →
核查 verified → 结案 closed, plus rejected (不予立案), returned (退回), suspended (挂账),
merged (合并) and reopening (closed → dispatched). Every change of a case goes through one
service in :mod:`linli.cases.services` that locks the row, checks the state and appends an
immutable :class:`CaseEvent`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from linli.common.models import TimeStamped
from linli.orgs.models import Organization
from linli.people.models import Resident, Role
from linli.places.models import Area, Building, Household

HOUR = 3600
#: A working day of the default office hours (08:30–12:00, 14:00–17:30) in seconds.
WORKING_DAY = 7 * HOUR


class CategoryKind(models.TextChoices):
    EVENT = "event", "事件"
    COMPONENT = "component", "部件"
    COMMUNITY = "community", "社区事项"


class Priority(models.IntegerChoices):
    URGENT = 1, "紧急"
    HIGH = 2, "重要"
    NORMAL = 3, "一般"


class CaseCategory(TimeStamped):
    """A node of the case-category tree with its time limits and default handler.

    Codes follow GB/T 30428.2 style: two digits per level (``01`` 市容环境, ``0101`` …).
    Stage limits are seconds of working time when ``working_time`` is true (a working day is
    :data:`WORKING_DAY` seconds), else of clock time. ``open311_attributes`` is a list of
    Open311 GeoReport v2 attribute definitions: ``{"code", "datatype" (string | number |
    datetime | text | singlevaluelist | multivaluelist), "required", "description",
    "order", "datatype_description", "values": [{"key", "name"}]}``.
    """

    code = models.CharField("代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=60)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上级类别",
    )
    kind = models.CharField("大类", max_length=12, choices=CategoryKind.choices)
    description = models.CharField("说明", max_length=200, blank=True)
    priority = models.PositiveSmallIntegerField(
        "优先级", choices=Priority.choices, default=Priority.NORMAL
    )
    working_time = models.BooleanField("按工作时间计时", default=True)
    register_limit = models.PositiveIntegerField("立案时限（秒）", default=WORKING_DAY // 7 * 2)
    dispatch_limit = models.PositiveIntegerField("派遣时限（秒）", default=WORKING_DAY // 7 * 2)
    handle_limit = models.PositiveIntegerField("处置时限（秒）", default=3 * WORKING_DAY)
    verify_limit = models.PositiveIntegerField("核查时限（秒）", default=WORKING_DAY)
    default_role = models.CharField("默认处置角色", max_length=30, choices=Role.choices, blank=True)
    default_org = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="默认处置单位",
    )
    open311_attributes = models.JSONField("Open311 附加问题", default=list, blank=True)
    open311_public = models.BooleanField("在 Open311 公开", default=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "事件类别"
        verbose_name_plural = "事件类别"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def limit_for(self, stage: str) -> int:
        """Seconds allowed for ``stage`` (register, dispatch, handle, verify)."""
        return int(getattr(self, f"{stage}_limit"))


class CaseStatus(models.TextChoices):
    REPORTED = "reported", "已上报"
    REGISTERED = "registered", "已立案"
    DISPATCHED = "dispatched", "已派遣"
    IN_PROGRESS = "in_progress", "处置中"
    HANDLED = "handled", "已处置待核查"
    VERIFIED = "verified", "已核查"
    CLOSED = "closed", "已结案"
    REJECTED = "rejected", "不予立案"
    RETURNED = "returned", "已退回"
    SUSPENDED = "suspended", "挂账"
    MERGED = "merged", "已合并"


#: Status → the SLA stage whose clock runs in it (None: no clock).
STAGE_OF_STATUS: dict[str, str | None] = {
    CaseStatus.REPORTED: "register",
    CaseStatus.REGISTERED: "dispatch",
    CaseStatus.RETURNED: "dispatch",
    CaseStatus.DISPATCHED: "handle",
    CaseStatus.IN_PROGRESS: "handle",
    CaseStatus.HANDLED: "verify",
    CaseStatus.VERIFIED: None,
    CaseStatus.CLOSED: None,
    CaseStatus.REJECTED: None,
    CaseStatus.SUSPENDED: None,
    CaseStatus.MERGED: None,
}
OPEN_STATUSES = [s for s, stage in STAGE_OF_STATUS.items() if stage] + [CaseStatus.VERIFIED]
FINAL_STATUSES = [CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.MERGED]


class CaseChannel(models.TextChoices):
    GRID_PATROL = "grid_patrol", "网格巡查"
    RESIDENT = "resident", "居民上报"
    HOTLINE = "hotline", "12345 热线"
    DEVICE_ALERT = "device_alert", "设备告警"
    ENTERPRISE = "enterprise", "企业诉求"
    OPEN311 = "open311", "Open311"


class Case(TimeStamped):
    """A reported problem and where it stands in the closed loop.

    ``number`` is human-readable: ``<6-digit district code>-<YYYYMMDD>-<4-digit sequence>``
    (Asia/Shanghai date of reporting). ``lat``/``lng`` are WGS-84 degrees (GCJ-02 input is
    converted on the way in). ``area`` is the micro-grid (or the lowest area) that contains
    the location or building, and is what selectors scope on. ``stage_started_at`` and
    ``due_at`` belong to the current stage (``STAGE_OF_STATUS``); ``paused_at`` stops its clock
    while the handler awaits the resident, with ``paused_seconds`` accumulated.
    """

    number = models.CharField("编号", max_length=24, unique=True)
    category = models.ForeignKey(CaseCategory, on_delete=models.PROTECT, verbose_name="类别")
    status = models.CharField(
        "状态",
        max_length=12,
        choices=CaseStatus.choices,
        default=CaseStatus.REPORTED,
        db_index=True,
    )
    priority = models.PositiveSmallIntegerField(
        "优先级", choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField("来源渠道", max_length=15, choices=CaseChannel.choices)
    title = models.CharField("标题", max_length=100)
    description = models.TextField("描述", max_length=4000)
    attributes = models.JSONField("附加信息", default=dict, blank=True)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="cases", verbose_name="所属区域"
    )
    building = models.ForeignKey(
        Building, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="楼栋"
    )
    household = models.ForeignKey(
        Household, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="户"
    )
    subject_resident = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name="涉及居民",
    )
    lat = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_cases",
        verbose_name="上报人（账号）",
    )
    reporter_name = models.CharField("上报人", max_length=50, blank=True)
    reporter_phone = models.CharField("上报人电话", max_length=20, blank=True)
    reporter_email = models.EmailField("上报人邮箱", blank=True)
    handler_org = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handled_cases",
        verbose_name="处置单位",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handled_cases",
        verbose_name="处置人",
    )
    stage_started_at = models.DateTimeField("本阶段开始", null=True, blank=True)
    due_at = models.DateTimeField("本阶段时限", null=True, blank=True, db_index=True)
    paused_at = models.DateTimeField("暂停计时于", null=True, blank=True)
    paused_seconds = models.PositiveIntegerField("本阶段暂停秒数", default=0)
    escalation_level = models.PositiveSmallIntegerField("督办级别", default=0)
    suspend_review_on = models.DateField("挂账复核日期", null=True, blank=True)
    status_before_suspend = models.CharField(max_length=12, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_cases",
        verbose_name="合并到",
    )
    reopen_count = models.PositiveSmallIntegerField("重新打开次数", default=0)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    closing_org = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="结案处置单位",
    )
    closing_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="结案处置人",
    )
    satisfaction = models.PositiveSmallIntegerField(
        "满意度", null=True, blank=True, choices=[(i, f"{i} 分") for i in range(1, 6)]
    )
    satisfaction_note = models.CharField("评价", max_length=500, blank=True)

    class Meta:
        verbose_name = "网格事件"
        verbose_name_plural = "网格事件"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["area", "status"]),
            models.Index(fields=["category", "status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def stage(self) -> str | None:
        return STAGE_OF_STATUS[self.status]


class CaseAction(models.TextChoices):
    REPORT = "report", "上报"
    REGISTER = "register", "立案"
    REJECT = "reject", "不予立案"
    DISPATCH = "dispatch", "派遣"
    ACCEPT = "accept", "接单处置"
    RETURN = "return", "退回"
    HANDLE = "handle", "处置反馈"
    VERIFY = "verify", "核查通过"
    VERIFY_FAIL = "verify_fail", "核查不通过"
    CLOSE = "close", "结案"
    SUSPEND = "suspend", "挂账"
    RESUME = "resume", "恢复办理"
    MERGE = "merge", "合并"
    REOPEN = "reopen", "重新打开"
    PAUSE = "pause", "暂停计时"
    UNPAUSE = "unpause", "恢复计时"
    NOTE = "note", "备注"
    PARTICIPANT = "participant", "增加参与方"
    WITNESSED = "witnessed", "见证处置"
    ESCALATE = "escalate", "超时督办"
    RATE = "rate", "评价"


class CaseEvent(models.Model):
    """One immutable line of a case's timeline: who did what, when, from → to.

    ``witness`` / ``witness_name`` record who witnessed a witnessed action (e.g. a police
    officer present when a door is forced). ``data`` holds action details (dispatch target,
    escalation level, merged case number, rating).
    """

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="events", verbose_name="事件"
    )
    action = models.CharField("动作", max_length=12, choices=CaseAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    actor_label = models.CharField("操作人", max_length=100, blank=True)
    at = models.DateTimeField("时间", db_index=True)
    from_status = models.CharField("原状态", max_length=12, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=12, choices=CaseStatus.choices, blank=True)
    note = models.TextField("说明", max_length=4000, blank=True)
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="见证人（账号）",
    )
    witness_name = models.CharField("见证人", max_length=100, blank=True)
    data = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        verbose_name = "事件记录"
        verbose_name_plural = "事件记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_action_display()}"

    def save(self, *args: object, **kwargs: object) -> None:
        # The timeline is evidence: rows are appended, never rewritten.
        if self.pk is not None:
            raise ValidationError("事件记录不可修改")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class CasePhoto(models.Model):
    """A photo attached to a case (JPEG/PNG/WebP ≤ 10 MB, see services).

    ``image`` is the original as uploaded (staff only); ``public_image`` is a re-encoded copy
    without EXIF (so no GPS position or device data leaks to public views).
    """

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="photos", verbose_name="事件"
    )
    event = models.ForeignKey(
        CaseEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="photos",
        verbose_name="所属记录",
    )
    image = models.ImageField("原图", upload_to="cases/%Y/%m/")
    public_image = models.ImageField("公开图（已去除位置信息）", upload_to="cases/public/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="上传人",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "事件照片"
        verbose_name_plural = "事件照片"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.case.number} 照片"


class ParticipantRole(models.TextChoices):
    HANDLER = "handler", "处置人"
    PROPERTY_COMPANY = "property_company", "物业公司"
    POLICE = "police", "民警"
    EMERGENCY_TEAM = "emergency_team", "应急小组"
    FAMILY = "family", "家属"
    CAREGIVER = "caregiver", "护理员"
    GRID_WORKER = "grid_worker", "网格员"
    DOCTOR = "doctor", "医护人员"
    OTHER = "other", "其他"


class CaseParticipant(TimeStamped):
    """Someone taking part in a case, who sees it and may act on it.

    At least one of ``user`` (acts in Linli), ``organization`` or ``name`` (e.g. a family
    member without an account) identifies the participant.
    """

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="participants", verbose_name="事件"
    )
    role = models.CharField("角色", max_length=20, choices=ParticipantRole.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="case_participations",
        verbose_name="账号",
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, verbose_name="单位"
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="居民"
    )
    name = models.CharField("姓名/名称", max_length=100, blank=True)
    phone = models.CharField("电话", max_length=20, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="添加人",
    )

    class Meta:
        verbose_name = "参与方"
        verbose_name_plural = "参与方"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False)
                | models.Q(organization__isnull=False)
                | ~models.Q(name=""),
                name="participant_identified",
            )
        ]

    def __str__(self) -> str:
        who = self.name or (self.user and self.user.get_full_name()) or self.organization
        return f"{self.get_role_display()}：{who}"


class CaseNumberSequence(models.Model):
    """The last sequence number used per district and day (row-locked when numbering)."""

    prefix = models.CharField(max_length=15, unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "事件编号序列"
        verbose_name_plural = "事件编号序列"

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last}"


class Open311Key(TimeStamped):
    """An Open311 API key; only its keyed hash is stored (the key is shown once)."""

    name = models.CharField("名称", max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField("前缀", max_length=8, editable=False)
    active = models.BooleanField("启用", default=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        verbose_name = "Open311 接口密钥"
        verbose_name_plural = "Open311 接口密钥"

    def __str__(self) -> str:
        return f"{self.name}（{self.key_prefix}…）"
