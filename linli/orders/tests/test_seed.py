"""The seeded catalogue: eight service types, priced, and a seed that can run again."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from linli.orders.models import ServiceType, Skill

pytestmark = pytest.mark.django_db

CODES = {
    "meal_assist",
    "bath_assist",
    "consultation",
    "medicine_delivery",
    "housekeeping",
    "repair",
    "haircut",
    "knife_sharpening",
}


def test_eight_service_types_are_seeded_with_skills_and_prices():
    services = {s.code: s for s in ServiceType.objects.prefetch_related("skills")}
    assert set(services) >= CODES
    for service in services.values():
        assert service.default_duration_s > 0
        assert service.list_price_fen is not None or service.scheme is not None
        assert service.skills.exists()
    assert services["meal_assist"].scheme.code == "canteen_meal"
    assert services["bath_assist"].workers_max == 2
    assert [s.code for s in services["bath_assist"].skills.all()] == ["bathing"]
    assert Skill.objects.get(code="bathing").needs_certificate


def test_running_the_seed_again_adds_nothing_and_keeps_admin_changes():
    ServiceType.objects.filter(code="haircut").update(list_price_fen=2000)
    before = (ServiceType.objects.count(), Skill.objects.count())
    seed = importlib.import_module("linli.orders.migrations.0002_seed_catalog").seed
    seed(apps, None)
    assert (ServiceType.objects.count(), Skill.objects.count()) == before
    assert ServiceType.objects.get(code="haircut").list_price_fen == 2000
