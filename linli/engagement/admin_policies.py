"""Back office for the policy library: Policy with its notes inline, PolicyMatch read-only.

Imported by :mod:`linli.engagement.admin` (registration happens on import). Saving a
policy here goes through :func:`linli.engagement.policies.policy_save`, so the same checks
apply (grammar, contradictions, dates, money) and matching runs; a note's attachment is
checked like on the policy page. Matches only change through their steps on the policy
pages, so the admin shows them read-only.

Who: street and community admins edit policies of their areas; grid leaders and
dispatchers view them; rows are scoped to the user's areas like every registry admin.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest

from linli.common.admin_base import (
    ADMIN_ROLES,
    FULL,
    VIEW,
    ScopedAdmin,
    ScopedHistoryAdmin,
    role_table,
)
from linli.engagement import policies
from linli.engagement.errors import EngagementError
from linli.engagement.models import Policy, PolicyMatch, PolicyNote
from linli.people.models import Role

POLICY_PERMISSIONS = role_table((ADMIN_ROLES, FULL), ({Role.GRID_LEADER, Role.DISPATCHER}, VIEW))
MATCH_PERMISSIONS = role_table((ADMIN_ROLES | {Role.GRID_LEADER, Role.DISPATCHER}, VIEW))


class PolicyAdminForm(forms.ModelForm):
    """The model form plus :func:`~linli.engagement.policies.policy_check`."""

    source_url = forms.URLField(label="原文链接", required=False, assume_scheme="https")

    class Meta:
        model = Policy
        fields = [*policies.POLICY_FIELDS, "created_by"]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        fields = {
            name: data.get(name, getattr(self.instance, name, None))
            for name in policies.POLICY_FIELDS
        }
        for name, message in policies.policy_check(fields).items():
            self.add_error(name if name in self.fields else None, message)
        return data


class PolicyNoteForm(forms.ModelForm):
    class Meta:
        model = PolicyNote
        fields = ["text", "attachment"]

    def clean_attachment(self) -> Any:
        attachment = self.cleaned_data.get("attachment")
        if isinstance(attachment, UploadedFile):
            try:
                policies.attachment_check(attachment)
            except EngagementError as err:
                raise forms.ValidationError(str(err)) from None
        return attachment


class PolicyNoteInline(admin.StackedInline):  # type: ignore[type-arg]
    model = PolicyNote
    form = PolicyNoteForm
    extra = 0
    fields = ["text", "attachment", "author", "created_at"]
    readonly_fields = ["author", "created_at"]


@admin.register(Policy)
class PolicyAdmin(ScopedHistoryAdmin):
    form = PolicyAdminForm
    role_permissions = POLICY_PERMISSIONS
    inlines = [PolicyNoteInline]
    list_display = [
        "title",
        "issuer",
        "area",
        "subject_kind",
        "grant_mode",
        "valid_from",
        "valid_to",
    ]
    list_filter = ["subject_kind", "grant_mode"]
    list_select_related = ["area"]
    search_fields = ["title", "issuer", "document_number"]
    autocomplete_fields = ["area"]
    readonly_fields = ["created_by"]

    def save_model(self, request: HttpRequest, obj: Policy, form: Any, change: bool) -> None:
        fields = {name: getattr(obj, name) for name in policies.POLICY_FIELDS}
        saved = policies.policy_save(
            actor=request.user, policy=obj if change and obj.pk else None, **fields
        )
        obj.pk, obj.created_by = saved.pk, saved.created_by

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        notes = formset.save(commit=False)
        for note in notes:
            if note.author_id is None:
                note.author = request.user
            note.save()
        for note in formset.deleted_objects:
            note.delete()


@admin.register(PolicyMatch)
class PolicyMatchAdmin(ScopedAdmin):
    """Read-only: matches change only through their steps on the policy pages."""

    role_permissions = MATCH_PERMISSIONS
    area_field = "organization__area"
    list_display = [
        "policy",
        "organization",
        "resident",
        "status",
        "matched_at",
        "notified_at",
        "applied_at",
        "outcome_at",
    ]
    list_filter = ["status", "policy"]
    list_select_related = ["policy", "organization", "resident"]
    search_fields = ["policy__title", "organization__name"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
