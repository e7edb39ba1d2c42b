"""Helpers shared by the resident back-office tests."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from stdnum.cn import ric

from linli.common.pii import mask_phone
from linli.people.models import Resident


def with_check_digit(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


CHANGELIST = "admin:people_resident_changelist"


def change_url(resident: Resident) -> str:
    return reverse("admin:people_resident_change", args=[resident.pk])


def resident_form(resident: Resident | None = None, **overrides: Any) -> dict[str, Any]:
    """POST data for the resident add/change form, with empty inlines."""
    data: dict[str, Any] = {
        "name": resident.name if resident else "王建国",
        "phone": mask_phone(resident.phone) if resident else "",
        "household": resident.household_id if resident and resident.household_id else "",
        "area": resident.area_id if resident else "",
        "relation_to_head": "",
        "residence_type": "registered",
        "employer": "",
        "note": "",
        "emergency_contacts-TOTAL_FORMS": "0",
        "emergency_contacts-INITIAL_FORMS": "0",
        "family_links-TOTAL_FORMS": "0",
        "family_links-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data
