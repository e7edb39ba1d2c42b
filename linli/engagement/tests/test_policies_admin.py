"""Back office for policies: the same checks as the pages, matching on save, read-only matches."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from linli.engagement.admin_policies import PolicyAdmin, PolicyAdminForm, PolicyMatchAdmin
from linli.engagement.models import Policy, PolicyMatch
from linli.engagement.tests.test_policy_support import *  # noqa: F403
from linli.engagement.tests.test_policy_support import policy_fields

pytestmark = pytest.mark.django_db


def admin_data(fields):  # type: ignore[no-untyped-def]
    import json

    data = {k: v for k, v in fields.items() if v is not None}
    data["area"] = fields["area"].pk
    data["condition"] = json.dumps(fields["condition"], ensure_ascii=False)
    data["subject_kind"] = "organization"
    return data


def test_admin_form_refuses_a_contradictory_condition(areas):
    condition = {
        "all": [
            {"fact": "internship_base", "op": "==", "value": True},
            {"fact": "internship_base", "op": "==", "value": False},
        ]
    }
    form = PolicyAdminForm(data=admin_data(policy_fields(areas["community"], condition=condition)))
    assert not form.is_valid()
    assert "资格条件自相矛盾" in form.errors["condition"][0]


def test_admin_save_goes_through_the_service_and_matches(areas, orgs, policy_admin):
    form = PolicyAdminForm(data=admin_data(policy_fields(areas["community"])))
    assert form.is_valid(), form.errors
    request = RequestFactory().post("/admin/")
    request.user = policy_admin
    model_admin = PolicyAdmin(Policy, admin.site)
    obj = form.save(commit=False)
    model_admin.save_model(request, obj, form, change=False)
    saved = Policy.objects.get()
    assert obj.pk == saved.pk and saved.created_by == policy_admin
    assert [m.organization.name for m in saved.matches.all()] == ["云帆软件"]


def test_matches_are_read_only_in_the_admin(policy_admin):
    request = RequestFactory().get("/admin/")
    request.user = policy_admin
    model_admin = PolicyMatchAdmin(PolicyMatch, admin.site)
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_add_permission(request)
