"""Back office for votes (read-mostly: ballots are never edited).

A vote's texts and options can be edited in admin only while it is a draft; its
electorate, participations, events and result are read-only, and ballots are not
registered at all (a secret ballot must stay unlinked, and nobody may change a vote
after it was cast). Writes that matter go through :mod:`linli.governance.voting`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from linli.governance.models import Participation, Vote, VoteEvent, VoteOption, VoteStatus

READ_ONLY_AFTER_DRAFT = (
    "area",
    "title",
    "question",
    "topic",
    "meeting",
    "scope",
    "quorum_percent",
    "majority",
    "secret",
    "opens_at",
    "closes_at",
)


def _draft(obj: Vote | None) -> bool:
    return obj is None or obj.status == VoteStatus.DRAFT


class VoteOptionInline(admin.TabularInline):
    model = VoteOption
    extra = 0
    fields = ("position", "label", "abstain")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _draft(obj) and super().has_delete_permission(request, obj)


class VoteEventInline(admin.TabularInline):
    model = VoteEvent
    extra = 0
    fields = ("at", "actor", "action", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ("title", "area", "scope", "status", "opens_at", "closes_at", "electorate")
    list_filter = ("status", "scope", "secret")
    search_fields = ("title",)
    inlines = [VoteOptionInline, VoteEventInline]
    date_hierarchy = "opens_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fixed = ("status", "electorate", "result", "created_by", "counted_at")
        return fixed if _draft(obj) else fixed + READ_ONLY_AFTER_DRAFT

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # votes start on the staff page, which checks the manager and the rules

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _draft(obj) and obj is not None and super().has_delete_permission(request, obj)


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = ("vote", "elector", "channel", "cast_by", "recorded_by", "at")
    list_filter = ("channel",)
    list_select_related = ("vote", "elector__household", "elector__resident", "cast_by")
    search_fields = ("vote__title",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
