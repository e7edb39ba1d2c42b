"""Only service-providing kinds of organisation can be registered as providers."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from linli.orders.models import ProviderProfile, ServiceType
from linli.orders.services import provider_profile_create
from linli.orgs.models import OrgKind
from linli.testing.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "kind",
    [OrgKind.SERVICE_PROVIDER, OrgKind.CLINIC, OrgKind.SOCIAL_ENTERPRISE, OrgKind.PROPERTY_COMPANY],
)
def test_provider_kinds_can_be_registered(areas, kind):
    org = OrganizationFactory(area=areas["community"], kind=kind)
    profile = provider_profile_create(
        organization=org,
        service_types=ServiceType.objects.filter(code="repair"),
        areas=[areas["community"]],
    )
    assert [s.code for s in profile.service_types.all()] == ["repair"]


@pytest.mark.parametrize("kind", [OrgKind.ENTERPRISE, OrgKind.PARTNER])
def test_other_organisations_are_refused_and_nothing_saved(areas, kind):
    org = OrganizationFactory(area=areas["community"], kind=kind)
    with pytest.raises(ValidationError, match="可以登记为服务商"):
        provider_profile_create(organization=org, areas=[areas["community"]])
    assert not ProviderProfile.objects.exists()


def test_an_organisation_is_registered_once(areas):
    org = OrganizationFactory(area=areas["community"], kind=OrgKind.CLINIC)
    provider_profile_create(organization=org)
    with pytest.raises(ValidationError):
        provider_profile_create(organization=org)
    assert ProviderProfile.objects.count() == 1
