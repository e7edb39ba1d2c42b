"""Back office for organisations (实有单位), with change history.

The contact phone is masked in the list and in history for everyone; in the form it is
shown in full only to users who may see PII (it is a work contact, not a resident's
number), masked otherwise. The permission matrix is in :mod:`linli.people.admin`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from linli.common.admin_base import (
    ADMIN_ROLES,
    FULL,
    GRID_ROLES,
    VIEW,
    PiiMaskedForm,
    ScopedHistoryAdmin,
    area_filters,
    masked_display,
    role_table,
)
from linli.common.identity import IdentityError, parse_uscc
from linli.orgs.models import Organization
from linli.people.models import Role
from linli.people.scoping import can_view_pii

ORGANIZATION_PERMISSIONS = role_table(
    (ADMIN_ROLES, FULL),
    (GRID_ROLES, VIEW),
    (
        {
            Role.DISPATCHER,
            Role.EMERGENCY_TEAM,
            Role.POLICE,
            Role.PROPERTY_STAFF,
            Role.PROVIDER_STAFF,
            Role.ENTERPRISE_CONTACT,
            Role.SOCIAL_ENTERPRISE_STAFF,
        },
        VIEW,
    ),
)


class OrganizationAdminForm(PiiMaskedForm):
    masked_phone_fields = ("contact_phone",)

    class Meta:
        model = Organization
        fields = "__all__"

    def clean_uscc(self) -> str | None:
        raw = self.cleaned_data.get("uscc")
        if not raw:
            return None  # unique + null: blank codes must be NULL, not ""
        try:
            return parse_uscc(raw)
        except IdentityError as exc:
            raise ValidationError(str(exc)) from None


@admin.register(Organization)
class OrganizationAdmin(ScopedHistoryAdmin):
    form = OrganizationAdminForm
    role_permissions = ORGANIZATION_PERMISSIONS
    masked_phone_fields = ("contact_phone",)
    list_display = [
        "name",
        "kind",
        "industry",
        "area",
        "uscc",
        "contact_name",
        "contact_phone_masked",
        "employee_count",
    ]
    list_filter = ["kind", "industry", *area_filters("area")]
    list_select_related = ["area"]
    search_fields = ["name", "uscc", "contact_name"]
    autocomplete_fields = ["area", "building"]

    contact_phone_masked = masked_display("contact_phone", "联系电话")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"reveal_pii": can_view_pii(request.user)})
