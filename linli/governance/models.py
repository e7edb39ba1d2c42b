"""Residents' deliberation (居民议事会) and votes (表决).

Topics (议题) are raised by residents, grid workers or staff, gather residents' support
(附议) and, once past the community's threshold, go on a deliberation meeting's agenda. A
meeting records who took part, the agenda, minutes and decisions (决议); each decision has
owners, a deadline and follow-up items (cases or tasks) whose progress is public.

Votes (表决) count one ballot per household or per adult resident — the electorate is
fixed when the vote is published (:class:`Elector`) — online or on paper, never twice for
the same elector across channels (unique :class:`Participation`). In a secret ballot the
:class:`Ballot` rows keep only the choice: who voted lives in ``Participation``, how in
``Ballot``, with nothing joining them (random keys, no times).

Write through :mod:`linli.governance.services` (topics and supports),
:mod:`linli.governance.meetings` (meetings, participants, decisions, follow-ups) and
:mod:`linli.governance.voting` (votes): each transition locks the row and writes an event.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from linli.activities.models import Venue
from linli.cases.models import Case
from linli.common.models import TimeStamped
from linli.engagement.models import Need
from linli.orgs.models import Organization
from linli.people.models import Resident
from linli.places.models import Area, Household

#: Supports a topic needs before it goes to a meeting, where the community set none.
DEFAULT_SUPPORT_THRESHOLD = 20


class GovernanceRules(models.Model):
    """A community's own deliberation rules (居民议事规则); one row per community."""

    community = models.OneToOneField(
        Area, on_delete=models.CASCADE, related_name="governance_rules", verbose_name="社区"
    )
    support_threshold = models.PositiveIntegerField(
        "上会所需附议人数",
        default=DEFAULT_SUPPORT_THRESHOLD,
        help_text="议题获得这么多位居民附议后，进入待上会",
    )

    class Meta:
        verbose_name = "议事规则"
        verbose_name_plural = "议事规则"

    def __str__(self) -> str:
        return f"{self.community.name} 议事规则"


class TopicStatus(models.TextChoices):
    OPEN = "open", "征集附议"
    QUALIFIED = "qualified", "待上会"
    SCHEDULED = "scheduled", "已列入议程"
    DECIDED = "decided", "已形成决议"
    DONE = "done", "已落实"
    DECLINED = "declined", "不予立项"


#: The topic's legal moves; :func:`linli.governance.services.topic_transition` enforces them.
TOPIC_TRANSITIONS: dict[str, set[str]] = {
    TopicStatus.OPEN: {TopicStatus.QUALIFIED, TopicStatus.SCHEDULED, TopicStatus.DECLINED},
    TopicStatus.QUALIFIED: {TopicStatus.SCHEDULED, TopicStatus.DECLINED},
    TopicStatus.SCHEDULED: {TopicStatus.DECIDED, TopicStatus.QUALIFIED, TopicStatus.DECLINED},
    TopicStatus.DECIDED: {TopicStatus.DONE},
    TopicStatus.DONE: set(),
    TopicStatus.DECLINED: set(),
}


class TopicCategory(models.TextChoices):
    PARKING = "parking", "停车"
    ENVIRONMENT = "environment", "环境卫生"
    FACILITIES = "facilities", "设施改造"
    SAFETY = "safety", "安全"
    ELDERLY = "elderly", "为老服务"
    PROPERTY = "property", "物业管理"
    NEIGHBOURS = "neighbours", "邻里关系"
    OTHER = "other", "其他"


class Topic(TimeStamped):
    """A deliberation topic (议题) in a community.

    ``raised_by`` is the account that raised it (a resident account, a grid worker or
    staff); ``raised_for`` the resident in whose name it was raised, if any. ``cases`` and
    ``needs`` are what lies behind it. ``support_threshold`` is copied from the community's
    :class:`GovernanceRules` when raised; ``support_count`` mirrors the
    :class:`TopicSupport` rows (kept by the locked service).
    """

    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="topics", verbose_name="所属社区"
    )
    number = models.CharField("编号", max_length=20, unique=True, editable=False)
    title = models.CharField("议题", max_length=100)
    category = models.CharField("类别", max_length=12, choices=TopicCategory.choices)
    description = models.TextField("情况说明", blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="topics_raised",
        verbose_name="提出人账号",
    )
    raised_for = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="topics_raised",
        verbose_name="提出居民",
    )
    cases = models.ManyToManyField(Case, blank=True, related_name="topics", verbose_name="相关事件")
    needs = models.ManyToManyField(Need, blank=True, related_name="topics", verbose_name="相关需求")
    status = models.CharField(
        "状态", max_length=12, choices=TopicStatus.choices, default=TopicStatus.OPEN
    )
    support_threshold = models.PositiveIntegerField("上会所需附议人数")
    support_count = models.PositiveIntegerField("附议人数", default=0)
    meeting = models.ForeignKey(
        "Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="topics",
        verbose_name="议事会",
    )
    decline_reason = models.CharField("不予立项理由", max_length=200, blank=True)
    history = HistoricalRecords(verbose_name="变更记录")

    class Meta:
        verbose_name = "议题"
        verbose_name_plural = "议题"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["area", "status"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class SupportChannel(models.TextChoices):
    ONLINE = "online", "网上附议"
    IN_PERSON = "in_person", "现场签名"


class TopicSupport(models.Model):
    """One resident's support (附议) for a topic; at most one per resident and topic."""

    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="supports", verbose_name="议题"
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="topic_supports", verbose_name="居民"
    )
    channel = models.CharField("方式", max_length=10, choices=SupportChannel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="录入人"
    )
    comment = models.CharField("意见", max_length=200, blank=True)
    created_at = models.DateTimeField("附议时间", auto_now_add=True)

    class Meta:
        verbose_name = "附议"
        verbose_name_plural = "附议"
        constraints = [
            models.UniqueConstraint(fields=["topic", "resident"], name="support_once"),
        ]

    def __str__(self) -> str:
        return f"{self.resident} 附议 {self.topic}"


class TopicEvent(models.Model):
    """An immutable step in a topic's life (who, when, from → to, note)."""

    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="events", verbose_name="议题"
    )
    at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="操作人",
    )
    from_status = models.CharField("原状态", max_length=12, blank=True)
    to_status = models.CharField("新状态", max_length=12)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "议题记录"
        verbose_name_plural = "议题记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.topic} → {self.to_status}"


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "已安排"
    HELD = "held", "已召开"
    CANCELLED = "cancelled", "已取消"


class Meeting(TimeStamped):
    """A residents' deliberation meeting (居民议事会).

    ``starts_at`` is timezone-aware; ``venue`` a community venue or ``place`` in words.
    The agenda is the topics scheduled to it (:attr:`Topic.meeting`) plus ``agenda`` text;
    ``minutes`` are written after it was held. Written through
    :mod:`linli.governance.meetings` (``meeting_create``, ``meeting_hold``, …).
    """

    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="deliberation_meetings", verbose_name="社区"
    )
    title = models.CharField("会议名称", max_length=100)
    starts_at = models.DateTimeField("召开时间")
    venue = models.ForeignKey(
        Venue, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="场地"
    )
    place = models.CharField("地点", max_length=100, blank=True)
    agenda = models.TextField("议程", blank=True)
    minutes = models.TextField("会议纪要", blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="召集人"
    )
    history = HistoricalRecords(verbose_name="变更记录")

    class Meta:
        verbose_name = "议事会"
        verbose_name_plural = "议事会"
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title


class ParticipantRole(models.TextChoices):
    RESIDENT_REP = "resident_rep", "居民代表"
    PROPERTY = "property", "物业公司"
    PARTY_MEMBER = "party_member", "党员代表"
    ENTERPRISE = "enterprise", "驻区单位"
    OWNERS_COMMITTEE = "owners_committee", "业委会"
    STAFF = "staff", "社区工作者"
    GRID_WORKER = "grid_worker", "网格员"
    EXPERT = "expert", "专业人士"
    OTHER = "other", "其他"


class MeetingParticipant(models.Model):
    """Someone invited to or present at a meeting: a resident, an organisation's person,
    or a name only. ``attended`` is set when the meeting is held."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="participants", verbose_name="议事会"
    )
    role = models.CharField("身份", max_length=20, choices=ParticipantRole.choices)
    name = models.CharField("姓名", max_length=50)
    resident = models.ForeignKey(
        Resident, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="居民"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="单位"
    )
    attended = models.BooleanField("出席", default=True)

    class Meta:
        verbose_name = "参会人"
        verbose_name_plural = "参会人"
        ordering = ["role", "id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class Decision(TimeStamped):
    """A decision (决议) of a meeting, usually on one of its topics.

    ``owners`` (staff accounts) and ``owner_orgs`` (e.g. the property company) carry it
    out by ``deadline`` (a local date); ``votes_for`` / ``votes_against`` /
    ``votes_abstain`` are the show of hands at the meeting, if taken. Public by default:
    the decision and its follow-ups appear on the community's public page. Written
    through :mod:`linli.governance.meetings` (``decision_record``, ``followup_add``,
    ``followup_update``).
    """

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="decisions", verbose_name="议事会"
    )
    topic = models.ForeignKey(
        Topic,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name="议题",
    )
    text = models.TextField("决议内容")
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="decisions_owned", verbose_name="责任人"
    )
    owner_orgs = models.ManyToManyField(
        Organization, blank=True, related_name="decisions_owned", verbose_name="责任单位"
    )
    deadline = models.DateField("完成期限")
    votes_for = models.PositiveIntegerField("赞成", null=True, blank=True)
    votes_against = models.PositiveIntegerField("反对", null=True, blank=True)
    votes_abstain = models.PositiveIntegerField("弃权", null=True, blank=True)
    public = models.BooleanField("公开", default=True)
    history = HistoricalRecords(verbose_name="变更记录", m2m_fields=[owners, owner_orgs])

    class Meta:
        verbose_name = "决议"
        verbose_name_plural = "决议"
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class FollowUpStatus(models.TextChoices):
    TODO = "todo", "未开始"
    DOING = "doing", "推进中"
    DONE = "done", "已完成"


class FollowUp(TimeStamped):
    """A follow-up item of a decision: a task, or a grid case (``case``) whose own
    lifecycle then reports progress. ``updates`` is its public progress log."""

    decision = models.ForeignKey(
        Decision, on_delete=models.CASCADE, related_name="follow_ups", verbose_name="决议"
    )
    title = models.CharField("事项", max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups_owned",
        verbose_name="责任人",
    )
    owner_org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, verbose_name="责任单位"
    )
    due = models.DateField("期限")
    case = models.ForeignKey(
        Case,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name="关联事件",
    )
    status = models.CharField(
        "进度", max_length=8, choices=FollowUpStatus.choices, default=FollowUpStatus.TODO
    )
    done_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "落实事项"
        verbose_name_plural = "落实事项"
        ordering = ["decision", "due", "id"]

    def __str__(self) -> str:
        return self.title


class FollowUpUpdate(models.Model):
    """A public progress note on a follow-up item (immutable)."""

    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.CASCADE, related_name="updates", verbose_name="落实事项"
    )
    at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="填报人"
    )
    status = models.CharField("进度", max_length=8, choices=FollowUpStatus.choices)
    note = models.CharField("进展", max_length=300)

    class Meta:
        verbose_name = "进展"
        verbose_name_plural = "进展"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.note


# ---------------------------------------------------------------- votes (表决)


class VoteScope(models.TextChoices):
    HOUSEHOLD = "household", "每户一票"
    ADULT = "adult", "每位成年居民一票"


class MajorityRule(models.TextChoices):
    """Share of ballots cast (abstentions included) the leading option needs.

    ``two_thirds`` / ``three_quarters`` follow the thresholds of the Civil Code art. 278
    (ordinary and major matters decided by owners); a residents' council sets its own.
    """

    SIMPLE = "simple", "过半数"
    TWO_THIRDS = "two_thirds", "三分之二以上"
    THREE_QUARTERS = "three_quarters", "四分之三以上"


class VoteStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    COUNTED = "counted", "已计票"
    CANCELLED = "cancelled", "已取消"


class Vote(TimeStamped):
    """A vote (表决) in a community.

    ``scope``: one ballot per household (cast by any adult member) or per adult resident
    (18 or over on the day the vote is published). ``quorum_percent``: turnout (electors
    who took part ÷ electorate) needed for the result to stand, 0–100. ``majority``: see
    :class:`MajorityRule`. Online and paper ballots are accepted from ``opens_at`` to
    ``closes_at`` (aware datetimes); ``secret`` keeps who voted apart from how.
    ``result`` is written once by the count: ``{"turnout", "electorate", "ballots",
    "options": [{"label", "count"}], "quorum_met", "passed", "winner"}``.
    """

    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="votes", verbose_name="社区"
    )
    title = models.CharField("表决事项", max_length=100)
    question = models.TextField("表决内容")
    topic = models.ForeignKey(
        Topic, on_delete=models.SET_NULL, null=True, blank=True, related_name="votes"
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="votes"
    )
    scope = models.CharField("计票单位", max_length=10, choices=VoteScope.choices)
    quorum_percent = models.PositiveSmallIntegerField("参与率要求（%）", default=50)
    majority = models.CharField(
        "通过规则", max_length=16, choices=MajorityRule.choices, default=MajorityRule.SIMPLE
    )
    secret = models.BooleanField("无记名投票", default=False)
    opens_at = models.DateTimeField("开始时间")
    closes_at = models.DateTimeField("截止时间")
    status = models.CharField(
        "状态", max_length=10, choices=VoteStatus.choices, default=VoteStatus.DRAFT
    )
    electorate = models.PositiveIntegerField("应参与（户/人）", default=0)
    result = models.JSONField("结果", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="发起人"
    )
    counted_at = models.DateTimeField("计票时间", null=True, blank=True)
    history = HistoricalRecords(verbose_name="变更记录", excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "表决"
        verbose_name_plural = "表决"
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="vote_window_order"
            ),
            models.CheckConstraint(
                condition=models.Q(quorum_percent__lte=100), name="vote_quorum_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class VoteOption(models.Model):
    """A choice on the ballot. ``abstain`` options count as cast but never win."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="options")
    label = models.CharField("选项", max_length=60)
    position = models.PositiveSmallIntegerField("顺序", default=0)
    abstain = models.BooleanField("弃权项", default=False)

    class Meta:
        verbose_name = "选项"
        verbose_name_plural = "选项"
        ordering = ["vote", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "label"], name="vote_option_label_once")
        ]

    def __str__(self) -> str:
        return self.label


class Elector(models.Model):
    """One entry of a vote's electorate, fixed when the vote is published: a household
    (``scope=household``) or an adult resident (``scope=adult``)."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="electors")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, null=True, blank=True)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, null=True, blank=True)

    class Meta:
        verbose_name = "选民"
        verbose_name_plural = "选民"
        constraints = [
            models.UniqueConstraint(fields=["vote", "household"], name="elector_household_once"),
            models.UniqueConstraint(fields=["vote", "resident"], name="elector_resident_once"),
            models.CheckConstraint(
                condition=models.Q(household__isnull=False, resident__isnull=True)
                | models.Q(household__isnull=True, resident__isnull=False),
                name="elector_household_or_resident",
            ),
        ]

    def __str__(self) -> str:
        return str(self.household or self.resident)


class BallotChannel(models.TextChoices):
    ONLINE = "online", "网上投票"
    PAPER = "paper", "纸质选票"


class Participation(models.Model):
    """That an elector took part (who voted), once per elector across channels — the
    unique constraint is the vote-once guarantee. ``cast_by`` is the resident who voted
    (for a household: the member who cast its ballot); ``recorded_by`` the staff member
    who entered a paper ballot."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="participations")
    elector = models.OneToOneField(
        Elector, on_delete=models.CASCADE, related_name="participation", verbose_name="选民"
    )
    channel = models.CharField("方式", max_length=8, choices=BallotChannel.choices)
    cast_by = models.ForeignKey(
        Resident, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="投票人"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="录入人",
    )
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "参与记录"
        verbose_name_plural = "参与记录"
        indexes = [models.Index(fields=["vote", "channel"])]

    def __str__(self) -> str:
        return f"{self.vote} 已参与（{self.get_channel_display()}）"


class Ballot(models.Model):
    """How one ballot was cast. Random primary key and no time, so in a secret ballot
    nothing joins it to its :class:`Participation`; in an open ballot ``participation``
    says whose it is."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    option = models.ForeignKey(VoteOption, on_delete=models.PROTECT, related_name="ballots")
    channel = models.CharField("方式", max_length=8, choices=BallotChannel.choices)
    participation = models.OneToOneField(
        Participation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ballot",
        verbose_name="记名选票",
    )

    class Meta:
        verbose_name = "选票"
        verbose_name_plural = "选票"

    def __str__(self) -> str:
        return f"{self.vote} 选票"


class VoteEvent(models.Model):
    """An immutable step in a vote's life: published, closed, counted, cancelled, or a
    paper-ballot batch entered."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    action = models.CharField("操作", max_length=20)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "表决记录"
        verbose_name_plural = "表决记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.vote} {self.action}"
