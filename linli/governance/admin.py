"""Back office for deliberation; votes are registered in :mod:`linli.governance.admin_votes`.

Permission matrix (V view, A add, C change, D delete; rows scoped by their community,
:func:`linli.people.scoping.scope`; a superuser may do everything):

* GovernanceRules (议事规则, the support threshold): street/community admins VAC; grid
  leaders V.
* Topic (议题, supports and events inline): managers and grid workers V — read-only for
  everyone: raising, supports and every move go through :mod:`linli.governance.services`
  on the staff pages (``/governance/``), which keep the count, the state machine and the
  events.
* Meeting (议事会, participants and decisions inline): managers VAC (status and minutes
  read-only: holding and cancelling go through :mod:`linli.governance.meetings`, as do
  decisions and follow-ups on the staff meeting page); grid workers V.
* Decision (决议, follow-ups inline): managers VAC (follow-up progress read-only: reported
  on the meeting page, which writes the public progress log); grid workers V.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from linli.common.admin_base import (
    ADMIN_ROLES,
    EDIT,
    VIEW,
    ScopedAdmin,
    ScopedHistoryAdmin,
    ScopedInline,
    area_filters,
    role_table,
)
from linli.governance import admin_votes  # noqa: F401
from linli.governance.models import (
    Decision,
    FollowUp,
    GovernanceRules,
    Meeting,
    MeetingParticipant,
    Topic,
    TopicEvent,
    TopicSupport,
)
from linli.people.models import Role
from linli.places.models import AreaKind

WORKERS = {Role.GRID_WORKER, Role.MICRO_GRID_WORKER}
RULES_PERMISSIONS = role_table((ADMIN_ROLES, EDIT), ({Role.GRID_LEADER}, VIEW))
TOPIC_PERMISSIONS = role_table((ADMIN_ROLES | {Role.GRID_LEADER} | WORKERS, VIEW))
MEETING_PERMISSIONS = role_table((ADMIN_ROLES | {Role.GRID_LEADER}, EDIT), (WORKERS, VIEW))


class ReadOnlyInline(ScopedInline):
    """Rows written by services only (events, supports): shown, never edited here."""

    can_delete = False
    max_num = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CommunityFkMixin:
    """The community choice offers communities only (deliberation is per community)."""

    community_fields = ("area", "community")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        if db_field.name in self.community_fields and field is not None:
            field.queryset = field.queryset.filter(kind=AreaKind.COMMUNITY)
        return field


@admin.register(GovernanceRules)
class GovernanceRulesAdmin(CommunityFkMixin, ScopedAdmin):
    area_field = "community"
    role_permissions = RULES_PERMISSIONS
    list_display = ["community", "support_threshold"]
    list_select_related = ["community"]


class TopicSupportInline(ReadOnlyInline):
    model = TopicSupport
    fields = ("resident", "channel", "recorded_by", "comment", "created_at")
    readonly_fields = ("resident", "channel", "recorded_by", "comment", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[TopicSupport]:
        return super().get_queryset(request).select_related("resident", "recorded_by")


class TopicEventInline(ReadOnlyInline):
    model = TopicEvent
    fields = ("at", "from_status", "to_status", "actor", "note")
    readonly_fields = ("at", "from_status", "to_status", "actor", "note")

    def get_queryset(self, request: HttpRequest) -> QuerySet[TopicEvent]:
        return super().get_queryset(request).select_related("actor")


@admin.register(Topic)
class TopicAdmin(ScopedHistoryAdmin):
    """Topics of the user's communities: list, filters, search by number; read-only."""

    area_field = "area"
    role_permissions = TOPIC_PERMISSIONS
    inlines = [TopicSupportInline, TopicEventInline]
    list_display = ["number", "title", "area", "category", "status", "support_count", "created_at"]
    list_filter = ["status", "category", *area_filters("area")]
    list_select_related = ["area"]
    search_fields = ["number", "title"]
    search_help_text = "按编号（YS-年份-序号）或议题搜索"
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in Topic._meta.concrete_fields if f.name != "id"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ParticipantInline(ScopedInline):
    model = MeetingParticipant
    fields = ["role", "name", "resident", "organization", "attended"]
    raw_id_fields = ["resident"]


class DecisionInline(ScopedInline):
    model = Decision
    fields = ["topic", "text", "deadline", "public"]
    readonly_fields = ["topic"]
    show_change_link = True
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a decision moves its topic: recorded on the meeting page


@admin.register(Meeting)
class MeetingAdmin(CommunityFkMixin, ScopedHistoryAdmin):
    area_field = "area"
    role_permissions = MEETING_PERMISSIONS
    inlines = [ParticipantInline, DecisionInline]
    list_display = ["title", "starts_at", "area", "status"]
    list_filter = ["status", *area_filters("area")]
    list_select_related = ["area"]
    search_fields = ["title", "agenda", "minutes"]
    date_hierarchy = "starts_at"
    readonly_fields = ["status", "minutes", "created_by"]

    def save_model(self, request: HttpRequest, obj: Meeting, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FollowUpInline(ScopedInline):
    model = FollowUp
    fields = ["title", "owner", "owner_org", "due", "case", "status", "done_at"]
    readonly_fields = ["status", "done_at"]
    raw_id_fields = ["case"]
    extra = 0


@admin.register(Decision)
class DecisionAdmin(ScopedHistoryAdmin):
    area_field = "meeting__area"
    role_permissions = MEETING_PERMISSIONS
    inlines = [FollowUpInline]
    list_display = ["__str__", "meeting", "topic", "deadline", "public"]
    list_filter = ["public", *area_filters("meeting__area")]
    list_select_related = ["meeting", "topic"]
    search_fields = ["text", "meeting__title", "topic__number"]
    readonly_fields = ["meeting", "topic"]
    filter_horizontal = ["owners", "owner_orgs"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
