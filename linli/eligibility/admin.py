"""Back office for eligibility schemes: tiers inline, subsidies per tier, and 试算.

Price lists are city-wide, not per area: street admins maintain them; community admins,
grid staff and dispatchers read them and may run a trial quote for residents in their
own areas (scope is checked by :func:`linli.eligibility.services.quote_for_resident`).
Whole tier sets are checked by :func:`linli.eligibility.services.tiers_check` before the
admin's transaction writes anything.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from linli.common.admin_base import ADMIN_ROLES, FULL, GRID_ROLES, VIEW, role_table, user_may
from linli.eligibility.conditions import describe
from linli.eligibility.engine import EligibilityError, SubsidySpec, TierSpec
from linli.eligibility.forms import ConditionField, TrialForm, clean_condition
from linli.eligibility.models import Scheme, Subsidy, Tier
from linli.eligibility.money import yuan
from linli.eligibility.services import quote_for_resident, tiers_check
from linli.people.models import Role

ELIGIBILITY_PERMISSIONS = role_table(
    (ADMIN_ROLES | GRID_ROLES | {Role.DISPATCHER}, VIEW), ({Role.STREET_ADMIN}, FULL)
)


class RolePermissionMixin:
    """View/add/change/delete from :data:`ELIGIBILITY_PERMISSIONS` (staff hold no model perms)."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, ELIGIBILITY_PERMISSIONS, "view")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_may(request, ELIGIBILITY_PERMISSIONS, "view")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return user_may(request, ELIGIBILITY_PERMISSIONS, "add")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, ELIGIBILITY_PERMISSIONS, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, ELIGIBILITY_PERMISSIONS, "delete")


def _spec(data: dict[str, Any], subsidies: tuple[SubsidySpec, ...] = ()) -> TierSpec:
    return TierSpec(
        priority=data["priority"],
        name=data.get("name", ""),
        condition=data["condition"],
        price_fen=data.get("price_fen"),
        reason=data.get("reason", ""),
        valid_from=data["valid_from"],
        valid_to=data.get("valid_to"),
        subsidies=subsidies,
    )


def _saved_subsidies(tier: Tier | None) -> tuple[SubsidySpec, ...]:
    if tier is None or tier.pk is None:
        return ()
    return tuple(SubsidySpec(s.source, s.amount_fen, s.condition) for s in tier.subsidies.all())


def _saved_spec(tier: Tier) -> TierSpec:
    return _spec(vars(tier), _saved_subsidies(tier))


class TierForm(forms.ModelForm):
    condition = ConditionField(label="条件", initial={"all": []})

    class Meta:
        model = Tier
        fields = ["priority", "name", "condition", "price_fen", "reason", "valid_from", "valid_to"]

    def _subject_kind(self) -> str:
        scheme = self.cleaned_data.get("scheme") or getattr(self.instance, "scheme", None)
        return getattr(scheme, "subject_kind", "resident")

    def clean_condition(self) -> Any:
        return clean_condition(self.cleaned_data["condition"], self._subject_kind())


class TierFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    """Checks the whole tier set of the scheme being saved (overlaps, templates)."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        specs = [
            _spec(form.cleaned_data, _saved_subsidies(form.instance))
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            tiers_check(subject_kind=self.instance.subject_kind, tiers=specs)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None


class TierInline(admin.StackedInline):  # type: ignore[type-arg]
    model = Tier
    form = TierForm
    formset = TierFormSet
    extra = 0
    show_change_link = True
    fields = [
        ("priority", "name"),
        "condition",
        ("price_fen", "reason"),
        ("valid_from", "valid_to"),
    ]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, ELIGIBILITY_PERMISSIONS, "view")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, ELIGIBILITY_PERMISSIONS, "change")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, ELIGIBILITY_PERMISSIONS, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, ELIGIBILITY_PERMISSIONS, "change")


@admin.register(Scheme)
class SchemeAdmin(RolePermissionMixin, SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["code", "name", "subject_kind", "list_price", "active", "trial_link"]
    list_filter = ["subject_kind", "active"]
    search_fields = ["code", "name"]
    inlines = [TierInline]

    @admin.display(description="标价")
    def list_price(self, obj: Scheme) -> str:
        return yuan(obj.list_price_fen) if obj.list_price_fen is not None else "-"

    @admin.display(description="试算")
    def trial_link(self, obj: Scheme) -> str:
        if obj.subject_kind != "resident":
            return "-"
        url = reverse("admin:eligibility_scheme_trial", args=[obj.pk])
        return format_html('<a href="{}">试算</a>', url)

    def get_urls(self) -> list[URLPattern]:
        trial = path(
            "<int:object_id>/trial/",
            self.admin_site.admin_view(self.trial_view),
            name="eligibility_scheme_trial",
        )
        return [trial, *super().get_urls()]

    def trial_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """试算: pick a resident and a date, see the price, the tier and every rule's reason."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        scheme = Scheme.objects.filter(pk=object_id).first()
        if scheme is None:
            raise Http404("方案不存在")
        form = TrialForm(request.POST or None)
        result, error = None, ""
        if request.method == "POST" and form.is_valid():
            try:
                result = quote_for_resident(
                    actor=request.user,
                    resident=form.cleaned_data["resident"],
                    scheme_code=scheme.code,
                    on=form.cleaned_data["on"],
                )
            except PermissionDenied as exc:
                error = str(exc) or "该居民不在您的管辖范围内"
            except EligibilityError as exc:
                error = str(exc)
        context = {
            **self.admin_site.each_context(request),
            "title": f"试算：{scheme.name}",
            "opts": self.model._meta,
            "scheme": scheme,
            "form": form,
            "quote": result,
            "error": error,
            "yuan": yuan,
        }
        return render(request, "admin/eligibility/trial.html", context)


class SubsidyForm(forms.ModelForm):
    condition = ConditionField(label="条件", initial={"all": []})

    class Meta:
        model = Subsidy
        fields = ["order", "source", "amount_fen", "condition"]

    def clean_condition(self) -> Any:
        tier = getattr(self.instance, "tier", None)
        kind = tier.scheme.subject_kind if tier is not None and tier.scheme_id else "resident"
        return clean_condition(self.cleaned_data["condition"], kind)


class SubsidyInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Subsidy
    form = SubsidyForm
    extra = 0

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, ELIGIBILITY_PERMISSIONS, "view")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, ELIGIBILITY_PERMISSIONS, "change")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, ELIGIBILITY_PERMISSIONS, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_may(request, ELIGIBILITY_PERMISSIONS, "change")


class SingleTierForm(TierForm):
    """A tier edited on its own page: checked together with its scheme's other tiers."""

    class Meta(TierForm.Meta):
        fields = ["scheme", *TierForm.Meta.fields]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        scheme = cleaned.get("scheme")
        if scheme is None or self.errors:
            return cleaned
        others = [_saved_spec(t) for t in scheme.tiers.exclude(pk=self.instance.pk)]
        try:
            tiers_check(
                subject_kind=scheme.subject_kind,
                tiers=[*others, _spec(cleaned, _saved_subsidies(self.instance))],
            )
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
        return cleaned


@admin.register(Tier)
class TierAdmin(RolePermissionMixin, SimpleHistoryAdmin):  # type: ignore[misc]
    form = SingleTierForm
    list_display = [
        "scheme",
        "priority",
        "name",
        "price",
        "condition_text",
        "valid_from",
        "valid_to",
    ]
    list_filter = ["scheme"]
    list_select_related = ["scheme"]
    inlines = [SubsidyInline]

    @admin.display(description="价格")
    def price(self, obj: Tier) -> str:
        return yuan(obj.price_fen) if obj.price_fen is not None else "标价减补贴"

    @admin.display(description="条件")
    def condition_text(self, obj: Tier) -> str:
        try:
            return describe(obj.condition, obj.scheme.subject_kind)
        except (KeyError, TypeError):
            return "（条件无效）"
