"""Back office: staff open a resident's log-in account (consent links: FamilyLink admin).

Scoped like the registry: staff see accounts of residents under their areas; community
and street admins and grid staff may open and switch off accounts.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.http import HttpRequest

from linli.accounts import security, services
from linli.accounts.errors import AccountsError
from linli.accounts.models import ResidentAccount
from linli.common.admin_base import ADMIN_ROLES, EDIT, FULL, GRID_ROLES, ScopedAdmin, role_table

ACCOUNT_PERMISSIONS = role_table((ADMIN_ROLES, FULL), (GRID_ROLES, EDIT))


class ResidentAccountAddForm(forms.ModelForm):  # type: ignore[type-arg]
    phone = forms.CharField(
        label="手机号码", max_length=30, help_text="居民本人用于接收登录验证码的手机号"
    )

    class Meta:
        model = ResidentAccount
        fields = ["resident", "phone"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        resident, phone = cleaned.get("resident"), cleaned.get("phone")
        if resident is not None and phone:
            try:
                cleaned["phone"] = services.resident_account_check(resident=resident, phone=phone)
            except AccountsError as exc:
                raise forms.ValidationError(str(exc)) from None
        return cleaned


@admin.register(ResidentAccount)
class ResidentAccountAdmin(ScopedAdmin):
    area_field = "resident__area"
    role_permissions = ACCOUNT_PERMISSIONS
    list_display = ["resident", "phone_masked", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["resident__name", "resident__id_number_masked"]
    autocomplete_fields = ["resident"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        if obj is None:
            kwargs["form"] = ResidentAccountAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["resident", "phone"]
        return ["resident", "phone_masked", "active", "created_at", "created_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        return ["resident", "phone_masked", "created_at", "created_by"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        account = services.resident_account_create(
            resident=form.cleaned_data["resident"],
            phone=form.cleaned_data["phone"],
            actor=request.user,  # type: ignore[arg-type]
        )
        for field in ResidentAccount._meta.concrete_fields:
            setattr(obj, field.attname, getattr(account, field.attname))
        obj._state.adding = False


# --- staff users: a password set by someone else must be changed at the next log-in --------

admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Django's user admin; a password chosen here for someone else is an initial password
    (:func:`linli.accounts.security.password_set_by_admin`)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change and obj.has_usable_password():
            security.password_set_by_admin(user=obj, actor=request.user, request=request)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = User.objects.get(pk=id)
            if user.has_usable_password():
                security.password_set_by_admin(user=user, actor=request.user, request=request)
        return response
