"""Back office for residents (实有人口) and staff assignments, scoped and PII-safe.

Permission matrix of the back office (roles from :class:`linli.people.models.Role`;
V = view, A = add, C = change, D = delete; every right only inside the user's areas;
a superuser may do everything except edit the PII access log, which nobody may):

* street_admin, community_admin: Area VAC; Building, Household, Facility, Resident,
  Organization, Assignment VACD; PiiAccessLog V.
* grid_leader, grid_worker, micro_grid_worker: Resident, Household VAC (no delete);
  Area, Building, Facility, Organization V.
* dispatcher, emergency_team, police: Resident, Household, Area, Building, Facility,
  Organization V.
* property_staff: Area, Building, Household, Facility, Organization V (no residents).
* provider_staff, social_enterprise_staff: Facility, Organization V.
* enterprise_contact: Organization V.
* volunteer: nothing (no back-office access).
* Emergency contacts and family links are part of the resident's page: viewed with it,
  added/changed/deleted by whoever may change the resident.

Areas are deleted only by a superuser. A community admin may not grant the street-admin
role. PII: identity numbers and phones are masked on every admin page for everyone; a user
who may see PII (:func:`linli.people.scoping.can_view_pii`: street/community admins, grid
leaders) gets a "查看完整信息" button on a resident's page that asks for a purpose, calls
:func:`linli.people.services.pii_reveal` (which writes a PiiAccessLog row) and shows the
identity number, phone and emergency-contact phones. Users without
:func:`linli.people.scoping.can_view_sensitive` (police, property, provider, enterprise
and volunteer roles) never see the disability, dibao, tekun and left-behind-child fields,
filters, tags or history lines, nor any resident under 18.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone

from linli.common.admin_base import (
    ADMIN_ROLES,
    EDIT,
    FULL,
    GRID_ROLES,
    VIEW,
    PiiMaskedForm,
    ScopedAdmin,
    ScopedHistoryAdmin,
    ScopedInline,
    area_filters,
    masked_display,
    role_table,
)
from linli.common.identity import IdentityError, normalize_text, parse_id_number
from linli.people.models import (
    CARE_TAGS,
    Assignment,
    EmergencyContact,
    FamilyLink,
    Resident,
    Role,
)
from linli.people.scoping import can_view_pii, can_view_sensitive, roles, scope
from linli.people.services import pii_reveal, resident_fields_from_id, resident_find_by_id_number
from linli.places.models import Area, Building

RESIDENT_PERMISSIONS = role_table(
    (ADMIN_ROLES, FULL),
    (GRID_ROLES, EDIT),
    ({Role.DISPATCHER, Role.EMERGENCY_TEAM, Role.POLICE}, VIEW),
)
ASSIGNMENT_PERMISSIONS = role_table((ADMIN_ROLES, FULL))

#: Fields of PIPL art. 28 sensitive data, hidden from roles without ``can_view_sensitive``.
SENSITIVE_FIELDS = ["disabled", "disability_level", "dibao", "tekun", "left_behind_child"]
SENSITIVE_TAGS = {"disabled", "dibao", "tekun", "left_behind_child"}
ADULT_AGE = 18

#: (value, label, lowest age, highest age or None); ages in whole years on today's date.
AGE_BANDS: list[tuple[str, str, int, int | None]] = [
    ("0-13", "0–13 岁（儿童）", 0, 13),
    ("14-17", "14–17 岁", 14, 17),
    ("18-59", "18–59 岁", 18, 59),
    ("60-69", "60–69 岁", 60, 69),
    ("70-79", "70–79 岁", 70, 79),
    ("80+", "80 岁及以上", 80, None),
]


def born_on_or_before(age: int, today: dt.date) -> dt.date:
    """Latest birth date of someone at least ``age`` years old on ``today``.

    Follows :func:`linli.common.identity.age_on`: a 29 February birthday counts on 1 March
    in common years, so the cut-off on 29 February falls back to 28 February.
    """
    try:
        return today.replace(year=today.year - age)
    except ValueError:
        return today.replace(year=today.year - age, day=28)


def sees_sensitive(request: HttpRequest) -> bool:
    return can_view_sensitive(request.user)


# --- filters -------------------------------------------------------------------------------


class CareTagFilter(admin.SimpleListFilter):
    title = "关爱标签"
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        sensitive = sees_sensitive(request)
        return [(n, label) for n, label in CARE_TAGS if sensitive or n not in SENSITIVE_TAGS]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        allowed = {value for value, _ in self.lookup_choices}
        if self.value() is None:
            return queryset
        if self.value() not in allowed:
            return queryset.none()
        return queryset.filter(**{str(self.value()): True})


class AgeBandFilter(admin.SimpleListFilter):
    title = "年龄段"
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        sensitive = sees_sensitive(request)
        return [(v, label) for v, label, low, _ in AGE_BANDS if sensitive or low >= ADULT_AGE]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() is None:
            return queryset
        band = {v: (low, high) for v, _, low, high in AGE_BANDS}.get(str(self.value()))
        if band is None:
            return queryset.none()
        low, high = band
        today = timezone.localdate()  # Asia/Shanghai (settings.TIME_ZONE)
        queryset = queryset.filter(birth_date__lte=born_on_or_before(low, today))
        if high is not None:
            queryset = queryset.filter(birth_date__gt=born_on_or_before(high + 1, today))
        return queryset


class BuildingFilter(admin.SimpleListFilter):
    """Buildings of the chosen micro-grid or grid; without one, only when few are in scope."""

    title = "楼栋"
    parameter_name = "building"
    max_unfiltered = 60

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        buildings = scope(Building.objects.all(), request.user, area_field="micro_grid")
        code = request.GET.get("micro_grid") or request.GET.get("grid")
        if code:
            area = scope(Area.objects.filter(code=code), request.user, area_field="").first()
            if area is None:
                return []
            buildings = buildings.filter(micro_grid__path__startswith=area.path)
        elif buildings.count() > self.max_unfiltered:
            return []
        rows = buildings.select_related("micro_grid").only("name", "micro_grid__name")
        return [(str(b.pk), f"{b.micro_grid.name} {b.name}") for b in rows]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        if not str(value).isdigit():
            return queryset.none()
        return queryset.filter(household__building_id=int(value))


# --- forms ---------------------------------------------------------------------------------


class ResidentAdminForm(PiiMaskedForm):
    """Resident form with a write-only identity number.

    The number is never shown; typing one (required when adding) sets the encrypted
    number, hash, mask, sex and birth date through
    :func:`linli.people.services.resident_fields_from_id`. Choosing a household sets the
    area to the household's micro-grid.
    """

    masked_phone_fields = ("phone",)
    id_number = forms.CharField(
        label="更换身份证号",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="只写：已登记的号码不会显示。填写完整号码（18 位，或 15 位旧号）则替换。",
    )

    class Meta:
        model = Resident
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.id_warnings: list[str] = []
        if "area" in self.fields:
            self.fields["area"].required = False
            self.fields["area"].help_text = "选择户后自动取该户所在微网格"
        if "id_number" in self.fields and self.instance.pk is None:
            self.fields["id_number"].required = True
            self.fields["id_number"].label = "身份证号"
            self.fields["id_number"].help_text = "18 位，或 15 位旧号（自动升位）"
            self.fields["id_number"].error_messages["required"] = "请填写身份证号"

    def clean_id_number(self) -> str:
        raw = self.cleaned_data.get("id_number") or ""
        if not raw:
            return ""
        try:
            parsed = parse_id_number(raw)
        except IdentityError as exc:
            raise ValidationError(str(exc)) from None
        identity = resident_fields_from_id(parsed.number)
        others = Resident.objects.exclude(pk=self.instance.pk) if self.instance.pk else None
        if (
            (others if others is not None else Resident.objects)
            .filter(id_number_hash=identity["id_number_hash"])
            .exists()
        ):
            raise ValidationError("该身份证号已登记")
        for name, value in identity.items():
            setattr(self.instance, name, value)
        self.id_warnings = list(parsed.warnings)
        return str(identity["id_number_masked"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        household = cleaned.get("household")
        if household is not None:
            cleaned["area"] = household.building.micro_grid
        elif "area" in self.fields and not cleaned.get("area") and not self.has_error("area"):
            self.add_error("area", "请选择户或所属区域")
        level = cleaned.get("disability_level")
        if "disability_level" in self.fields and level and not cleaned.get("disabled"):
            self.add_error("disability_level", "未标记残疾时不能填写残疾等级")
        return cleaned


class RevealForm(forms.Form):
    purpose = forms.CharField(
        label="查看用途",
        max_length=150,
        help_text="例如：办理高龄津贴、核对入户登记。每次查看都会记录。",
        error_messages={"required": "请填写查看用途"},
    )


class EmergencyContactForm(PiiMaskedForm):
    masked_phone_fields = ("phone",)

    class Meta:
        model = EmergencyContact
        fields = "__all__"


# --- inlines -------------------------------------------------------------------------------


class EmergencyContactInline(ScopedInline):
    model = EmergencyContact
    form = EmergencyContactForm
    masked_phone_fields = ("phone",)
    fields = ["name", "relation", "phone"]

    phone_masked = masked_display("phone", "电话")


class FamilyLinkInline(ScopedInline):
    model = FamilyLink
    fk_name = "resident"
    fields = ["relative", "relation", "may_act", "consent_at", "revoked_at", "consent_recorded_by"]
    readonly_fields = ["consent_recorded_by"]
    autocomplete_fields = ["relative"]


# --- resident ------------------------------------------------------------------------------


@admin.register(Resident)
class ResidentAdmin(ScopedHistoryAdmin):
    form = ResidentAdminForm
    role_permissions = RESIDENT_PERMISSIONS
    masked_phone_fields = ("phone",)
    inlines = [EmergencyContactInline, FamilyLinkInline]
    list_display = [
        "name",
        "sex",
        "age",
        "id_number_masked",
        "phone_masked",
        "area_name",
        "household",
        "residence_type",
        "tags",
    ]
    list_select_related = ["area", "household__building"]
    search_fields = ["name", "phone", "id_number_masked"]
    search_help_text = "按姓名、电话、身份证号（完整 18 位精确查找，或掩码片段）搜索"
    autocomplete_fields = ["area", "household", "employer"]
    readonly_fields = ["id_number_masked", "sex", "birth_date"]
    list_per_page = 50

    phone_masked = masked_display("phone", "联系电话")

    @admin.display(description="所属区域", ordering="area__path")
    def area_name(self, obj: Resident) -> str:
        return obj.area.name

    @admin.display(description="年龄", ordering="-birth_date")
    def age(self, obj: Resident) -> int:
        return obj.age()

    @admin.display(description="关爱标签")
    def tags(self, obj: Resident) -> str:
        return "、".join(obj.tag_labels)

    @admin.display(description="关爱标签")
    def public_tags(self, obj: Resident) -> str:
        return "、".join(
            label for n, label in CARE_TAGS if n not in SENSITIVE_TAGS and getattr(obj, n)
        )

    # scope, sensitivity ------------------------------------------------------------------

    def restrict(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if sees_sensitive(request):
            return queryset
        adult = born_on_or_before(ADULT_AGE, timezone.localdate())
        return queryset.filter(birth_date__lte=adult)

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = list(super().get_list_display(request))
        if not sees_sensitive(request):
            shown = ["public_tags" if name == "tags" else name for name in shown]
        return shown

    def get_list_filter(self, request: HttpRequest) -> Any:
        return [
            *area_filters("area"),
            BuildingFilter,
            CareTagFilter,
            AgeBandFilter,
            "sex",
            "residence_type",
        ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        editable = self.page_is_editable(request, obj)
        identity = ["name", "id_number_masked", "sex", "birth_date", "phone"]
        if editable:
            identity.insert(1, "id_number")
        if obj is None:
            identity = [f for f in identity if f not in ("id_number_masked", "sex", "birth_date")]
        tags = [name for name, _ in CARE_TAGS]
        tags.insert(tags.index("disabled") + 1, "disability_level")
        if not sees_sensitive(request):
            tags = [f for f in tags if f not in SENSITIVE_FIELDS]
        fieldsets = [
            ("基本信息", {"fields": identity}),
            (
                "居住与工作",
                {"fields": ["household", "area", "relation_to_head", "residence_type", "employer"]},
            ),
            ("关爱标签", {"fields": tags}),
            ("备注", {"fields": ["note"]}),
        ]
        if editable:
            return fieldsets
        swap = {"phone": "phone_masked"}
        return [
            (title, {"fields": [swap.get(f, f) for f in opts["fields"]]})
            for title, opts in fieldsets
        ]

    def hidden_history_fields(self, request: HttpRequest) -> list[str]:
        hidden = ["id_number_hash"]
        if not sees_sensitive(request):
            hidden += SENSITIVE_FIELDS
        return hidden

    # search by full identity number -----------------------------------------------------

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = normalize_text(search_term).replace(" ", "").upper()
        if len(term) in (15, 18) and term[:15].isdigit():
            found = resident_find_by_id_number(id_number=term)
            if found is not None:
                return queryset.filter(pk=found.pk), False
        return super().get_search_results(request, queryset, search_term)  # type: ignore[no-any-return]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        for warning in getattr(form, "id_warnings", []):
            self.message_user(request, warning, messages.WARNING)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for link in instances:
            if isinstance(link, FamilyLink) and link.consent_at and not link.consent_recorded_by_id:
                link.consent_recorded_by = request.user  # type: ignore[assignment]
        for row in formset.deleted_objects:
            row.delete()
        for row in instances:
            row.save()
        formset.save_m2m()

    # PII reveal -------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        reveal = path(
            "<path:object_id>/pii/",
            self.admin_site.admin_view(self.pii_reveal_view),
            name="people_resident_pii_reveal",
        )
        return [reveal, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = {"show_pii_reveal": can_view_pii(request.user), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    def pii_reveal_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Ask for a purpose, then show the full identity number and phones (logged).

        403 with a Chinese message for users who may not see PII; 404 outside their areas.
        """
        if not can_view_pii(request.user):
            return self._pii_forbidden(request, "您没有查看完整个人信息的权限，请联系社区管理员。")
        resident = self.in_scope_or_404(request, object_id)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": resident,
            "title": f"查看完整信息：{resident.name}",
        }
        form = RevealForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                context["revealed"] = pii_reveal(
                    actor=request.user,  # type: ignore[arg-type]
                    resident=resident,
                    purpose=f"后台查看：{form.cleaned_data['purpose']}",
                )
            except PermissionDenied as exc:
                return self._pii_forbidden(request, str(exc))
            context["contacts"] = list(resident.emergency_contacts.all())
        context["form"] = form
        response = TemplateResponse(request, "admin/people/resident/pii_reveal.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def _pii_forbidden(self, request: HttpRequest, message: str) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "无权查看",
            "message": message,
        }
        return TemplateResponse(
            request, "admin/people/resident/pii_forbidden.html", context, status=403
        )


# --- assignments ---------------------------------------------------------------------------


class AssignmentAdminForm(forms.ModelForm):
    """``may_grant_street_admin`` is set per request: only street admins and superusers."""

    may_grant_street_admin = False

    class Meta:
        model = Assignment
        fields = ["user", "area", "role", "organization"]

    def clean_role(self) -> str:
        role = str(self.cleaned_data.get("role") or "")
        if role == Role.STREET_ADMIN and not self.may_grant_street_admin:
            raise ValidationError("只有街道管理员可以分配街道管理员岗位")
        return role


@admin.register(Assignment)
class AssignmentAdmin(ScopedAdmin):
    form = AssignmentAdminForm
    role_permissions = ASSIGNMENT_PERMISSIONS
    list_display = ["user", "role", "area", "organization", "created_at"]
    list_filter = ["role", *area_filters("area")]
    list_select_related = ["user", "area", "organization"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "area__name"]
    autocomplete_fields = ["area", "organization"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change, **kwargs)
        grant = request.user.is_superuser or Role.STREET_ADMIN in roles(request.user)
        return type(form.__name__, (form,), {"may_grant_street_admin": grant})

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = User.objects.filter(is_active=True, is_superuser=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
