"""Shared pieces of the back office (Django admin): scoping, role permissions, PII masking.

Every registry admin derives from :class:`ScopedAdmin` (or :class:`ScopedHistoryAdmin` for
models with django-simple-history), which

* limits every list, detail page, autocomplete and foreign-key choice to rows under the
  user's areas (:func:`linli.people.scoping.scope`); a superuser sees everything; the URL
  of a row outside the user's areas answers 404, exactly like a row that does not exist;
* derives view/add/change/delete permissions from the user's roles
  (:func:`linli.people.scoping.roles`) through the admin's ``role_permissions`` table
  instead of hand-set Django model permissions (staff users hold none);
* shows phone numbers masked (``139****5678``) in lists, forms, read-only pages and
  history. An editable phone field shows the mask; leaving the mask untouched keeps the
  stored number, typing a full number replaces it (checked with ``parse_phone``).

The permission matrix (who may do what with which model) is written down in
:mod:`linli.people.admin`, where the tables live, and in ``docs/`` of the admin report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import unquote
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from linli.common.identity import IdentityError, parse_phone
from linli.common.pii import mask_phone
from linli.people.models import Role
from linli.people.scoping import roles, scope

#: Actions of the admin permission table.
VIEW = frozenset({"view"})
EDIT = frozenset({"view", "add", "change"})
FULL = EDIT | {"delete"}

ADMIN_ROLES = frozenset({Role.STREET_ADMIN, Role.COMMUNITY_ADMIN})
GRID_ROLES = frozenset({Role.GRID_LEADER, Role.GRID_WORKER, Role.MICRO_GRID_WORKER})

RolePermissions = Mapping[str, frozenset[str]]


def role_table(*rows: tuple[Iterable[str], frozenset[str]]) -> dict[str, frozenset[str]]:
    """``{role: actions}`` from ``(roles, actions)`` rows; later rows add to earlier ones."""
    table: dict[str, frozenset[str]] = {}
    for row_roles, actions in rows:
        for role in row_roles:
            table[str(role)] = table.get(str(role), frozenset()) | actions
    return table


def user_may(request: HttpRequest, table: RolePermissions, action: str) -> bool:
    """Whether the request's user may ``action`` (view/add/change/delete) per ``table``."""
    user = request.user
    if not user.is_active or not user.is_staff:
        return False
    if user.is_superuser:
        return True
    return any(action in table.get(role, frozenset()) for role in roles(user))


# --- PII masking in forms ---------------------------------------------------------------

MASK_KEEP_HINT = "显示为掩码；保持不变则不修改，输入完整号码则替换。"


class MaskedPhoneField(forms.CharField):
    """A phone field that accepts either a full number (checked) or an untouched mask."""

    def clean(self, value: Any) -> str:
        text: str = super().clean(value)
        if not text or "*" in text:
            return text  # the form compares a mask with the stored number
        try:
            return parse_phone(text)
        except IdentityError as exc:
            raise forms.ValidationError(str(exc)) from None


class PiiMaskedForm(forms.ModelForm):
    """ModelForm whose ``masked_phone_fields`` are shown masked unless ``reveal_pii``.

    A submitted value equal to the mask keeps the stored number; any other value with
    ``*`` is an error; a full number is validated by :func:`parse_phone`.
    """

    masked_phone_fields: Sequence[str] = ()
    reveal_pii: bool = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pii_originals: dict[str, str] = {}
        for name in self.masked_phone_fields:
            if name not in self.fields:
                continue
            old = self.fields[name]
            original = getattr(self.instance, name, "") or ""
            self._pii_originals[name] = original
            self.fields[name] = MaskedPhoneField(
                label=old.label,
                required=old.required,
                max_length=20,
                help_text="" if self.reveal_pii else MASK_KEEP_HINT,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
            if original and not self.reveal_pii:
                self.initial[name] = mask_phone(original)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        for name, original in self._pii_originals.items():
            value = cleaned.get(name)
            if not value or "*" not in value:
                continue
            if original and value == mask_phone(original):
                cleaned[name] = original
            else:
                self.add_error(name, "请输入完整的电话号码，或保持原掩码不变")
        return cleaned


def masked_display(field: str, label: str) -> Callable[[Any, Model], str]:
    """An admin display method showing ``obj.<field>`` as a phone mask."""

    @admin.display(description=label)
    def show(self: Any, obj: Model) -> str:
        return mask_phone(getattr(obj, field, "") or "") or "-"

    show.__name__ = f"{field}_masked"
    return show


class PiiDisplayMixin:
    """Swap raw phone fields for masked display methods on read-only pages.

    Subclasses set ``masked_phone_fields`` and define ``<field>_masked`` methods
    (see :func:`masked_display`).
    """

    masked_phone_fields: Sequence[str] = ()

    def page_is_editable(self, request: HttpRequest, obj: Any = None) -> bool:
        raise NotImplementedError

    def _swap(self, name: Any) -> Any:
        return f"{name}_masked" if name in self.masked_phone_fields else name

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        if self.page_is_editable(request, obj):
            return fieldsets
        return [
            (title, {**opts, "fields": [self._swap(f) for f in opts["fields"]]})
            for title, opts in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if not self.page_is_editable(request, obj):
            readonly += [f"{name}_masked" for name in self.masked_phone_fields]
        return readonly


# --- scoping ------------------------------------------------------------------------------


class ScopedFkMixin:
    """Foreign-key choices limited to what the related model's admin lets the user see."""

    admin_site: admin.AdminSite

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        try:
            related_admin = self.admin_site.get_model_admin(db_field.related_model)
        except NotRegistered:
            related_admin = None
        if isinstance(related_admin, ScopedAdmin) and "queryset" not in kwargs:
            kwargs["queryset"] = related_admin.scoped_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ScopedAdmin(PiiDisplayMixin, ScopedFkMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Base admin for rows that belong to an area.

    Attributes:
        area_field: lookup from the model to its ``Area`` (``""`` when the model is Area).
        role_permissions: ``{role: {"view", "add", "change", "delete"}}``.
    """

    area_field: str = "area"
    role_permissions: RolePermissions = {}

    def restrict(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Further limits beyond area scoping (e.g. minors hidden); default none."""
        return queryset

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """Plain scoped rows (no annotations), for foreign-key choices."""
        queryset = scope(
            self.model._default_manager.all(), request.user, area_field=self.area_field
        )
        return self.restrict(request, queryset)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = scope(super().get_queryset(request), request.user, area_field=self.area_field)
        return self.restrict(request, queryset)

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> HttpResponse:
        # Out-of-scope rows must be indistinguishable from missing ones: 404, no redirect.
        raise Http404("对象不存在或不在您的管辖范围内")

    def in_scope_or_404(self, request: HttpRequest, object_id: str) -> Any:
        """The row with ``object_id`` if the user may see it; else :class:`Http404`."""
        try:
            return self.get_queryset(request).get(pk=unquote(object_id))
        except (self.model.DoesNotExist, ValueError, TypeError):
            raise Http404("对象不存在或不在您的管辖范围内") from None

    def page_is_editable(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return self.has_add_permission(request)
        return self.has_change_permission(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, self.role_permissions, "view") or user_may(
            request, self.role_permissions, "change"
        )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return user_may(request, self.role_permissions, "add")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, self.role_permissions, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, self.role_permissions, "delete")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


class ScopedInline(PiiDisplayMixin, ScopedFkMixin, admin.TabularInline):  # type: ignore[type-arg]
    """Inline rows of a scoped parent: permissions follow the parent admin.

    Viewing the parent lets one view the rows; changing the parent lets one add, change
    and delete them (they are part of the parent's record).
    """

    extra = 0

    def _parent_admin(self) -> ScopedAdmin:
        parent = self.admin_site.get_model_admin(self.parent_model)
        assert isinstance(parent, ScopedAdmin)
        return parent

    def page_is_editable(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._parent_admin().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        parent = self._parent_admin()
        if obj is None:
            return parent.has_add_permission(request)
        return parent.has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)


# --- history ------------------------------------------------------------------------------


class MaskingHistoryHelper(HistoricalRecordContextHelper):
    """Formats history deltas with phones masked and hidden fields left out."""

    def __init__(
        self, model: Any, record: Any, *, masked: Sequence[str], hidden: Sequence[str]
    ) -> None:
        super().__init__(model, record)
        self.masked = set(masked)
        self.hidden = set(hidden)

    def context_for_delta_changes(self, delta: Any) -> list[dict[str, Any]]:
        shown = [c for c in delta.changes if c.field not in self.hidden]
        return super().context_for_delta_changes(dataclasses.replace(delta, changes=shown))

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        if change.field in self.masked:
            return mask_phone(str(value or ""))
        return super().prepare_delta_change_value(change, value)


class ScopedHistoryAdmin(ScopedAdmin, SimpleHistoryAdmin):  # type: ignore[misc]
    """:class:`ScopedAdmin` with django-simple-history pages that respect scope and masks.

    History is shown only for rows currently in the user's scope (deleted rows' history
    only to superusers), phones are masked for everyone (the full number is shown only
    by the logged reveal view), and ``history_hidden_fields`` never appear. Reverting from
    history is disabled: changes go through the normal form.
    """

    history_hidden_fields: Sequence[str] = ()

    def hidden_history_fields(self, request: HttpRequest) -> Sequence[str]:
        return self.history_hidden_fields

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not request.user.is_superuser:
            self.in_scope_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)  # type: ignore[no-any-return]

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not request.user.is_superuser:
            self.in_scope_or_404(request, object_id)
        if request.method != "GET":
            raise Http404("不支持从变更记录恢复")
        return super().history_form_view(request, object_id, version_id, extra_context)  # type: ignore[no-any-return]

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: Any
    ) -> HistoricalRecordContextHelper:
        return MaskingHistoryHelper(
            self.model,
            historical_record,
            masked=self.masked_phone_fields,
            hidden=self.hidden_history_fields(request),
        )


# --- list filters ---------------------------------------------------------------------------


class AreaListFilter(admin.SimpleListFilter):
    """Filter rows by an area of one kind, offering only areas inside the user's scope.

    Subclasses set ``kind`` (an ``AreaKind``), ``title``, ``parameter_name`` and
    ``area_field`` (lookup from the listed model to its Area). The value is the area code.
    """

    kind: str = ""
    area_field: str = "area"
    #: Without a chosen higher area, offer at most this many (else choose a higher one first).
    max_unnarrowed = 60

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        from linli.places.models import AREA_RULES, Area, AreaKind

        areas = scope(Area.objects.filter(kind=self.kind), request.user, area_field="")
        narrowed = False
        kinds = list(AREA_RULES)
        higher = kinds[kinds.index(AreaKind.COMMUNITY) : kinds.index(AreaKind(self.kind))]
        for kind in reversed(higher):  # the closest chosen ancestor narrows the choices
            code = request.GET.get(str(kind))
            if code:
                areas = areas.filter(path__contains=f"/{code}/")
                narrowed = True
                break
        if not narrowed and areas.count() > self.max_unnarrowed:
            return []
        return [(a.code, a.name) for a in areas.only("code", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        from linli.places.models import Area

        code = self.value()
        if not code:
            return queryset
        area = (
            scope(Area.objects.filter(kind=self.kind, code=code), request.user, area_field="")
            .only("path")
            .first()
        )
        if area is None:
            return queryset.none()
        lookup = f"{self.area_field}__path__startswith" if self.area_field else "path__startswith"
        return queryset.filter(**{lookup: area.path})


def area_filters(area_field: str) -> list[type[AreaListFilter]]:
    """Community, grid and micro-grid filters for a model whose Area is ``area_field``."""
    from linli.places.models import AreaKind

    made: list[type[AreaListFilter]] = []
    for kind in (AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.MICRO_GRID):
        attrs = {
            "kind": kind.value,
            "title": kind.label,
            "parameter_name": kind.value,
            "area_field": area_field,
        }
        made.append(type(f"{kind.value.title()}Filter", (AreaListFilter,), attrs))
    return made
