"""An enterprise contact registers their own employees for activities they do not organise
(a need met by the community): the register-one and bulk pages open when the audience
admits their organisation, with the employer fixed to it; every other organiser page
stays 404, and the public page's main action leads there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from linli.activities.models import Activity, Audience, RegistrationStatus
from linli.activities.tests.conftest import one_session
from linli.orgs.models import Organization

pytestmark = pytest.mark.django_db

MakeActivity = Callable[..., Activity]
BASE = "/activities/manage/"


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def text(response: Any) -> str:
    return str(response.content.decode())


@pytest.mark.parametrize(
    "audience", [Audience.PUBLIC, Audience.EMPLOYEES, Audience.EMPLOYEES_CHILDREN]
)
def test_a_contact_opens_register_and_bulk_when_the_audience_admits_their_employees(
    make_activity: MakeActivity, plant_contact: User, audience: str
) -> None:
    ages = {"min_age": 6, "max_age": 12} if audience == Audience.EMPLOYEES_CHILDREN else {}
    activity = make_activity(audience=audience, **ages)
    client = client_for(plant_contact)
    for suffix in ("register/", "bulk/"):
        assert client.get(f"{BASE}{activity.pk}/{suffix}").status_code == 200, suffix
    for suffix in ("", "attendance/", "door/", "export.xlsx"):
        assert client.get(f"{BASE}{activity.pk}/{suffix}").status_code == 404, suffix


def test_invited_admits_only_the_invited_organisations_contact(
    make_activity: MakeActivity, plant: Organization, plant_contact: User, other_contact: User
) -> None:
    activity = make_activity(audience=Audience.INVITED, invited_orgs=[plant])
    assert client_for(plant_contact).get(f"{BASE}{activity.pk}/bulk/").status_code == 200
    assert client_for(other_contact).get(f"{BASE}{activity.pk}/bulk/").status_code == 404


def test_residents_only_drafts_and_anonymous_are_kept_out(
    make_activity: MakeActivity, plant_contact: User
) -> None:
    residents_only = make_activity(title="居民活动", audience=Audience.RESIDENTS)
    draft = make_activity(title="草稿", publish=False, sessions=one_session(8))
    client = client_for(plant_contact)
    assert client.get(f"{BASE}{residents_only.pk}/bulk/").status_code == 404
    assert client.get(f"{BASE}{draft.pk}/register/").status_code == 404
    anonymous = Client().get(f"{BASE}{draft.pk}/bulk/")
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_the_employer_is_fixed_to_the_contacts_organisation(
    make_activity: MakeActivity, plant: Organization, other_org: Organization, plant_contact: User
) -> None:
    activity = make_activity(audience=Audience.EMPLOYEES)
    client = client_for(plant_contact)
    url = f"{BASE}{activity.pk}/bulk/"
    form = text(client.get(url))
    assert f'value="{plant.pk}" selected' in form and other_org.name not in form
    assert "查找登记居民" not in text(client.get(f"{BASE}{activity.pk}/register/"))
    lines = "王强 13700006001\n李梅 13700006002"
    foreign = client.post(url, {"text": lines, "organization": other_org.pk, "action": "confirm"})
    assert foreign.status_code == 400 and "该单位不可选" in text(foreign)
    assert not activity.registrations.exists()
    done = client.post(url, {"text": lines, "organization": plant.pk, "action": "confirm"})
    assert "成功报名 <strong>2</strong> 人" in text(done)
    registered = activity.registrations.filter(status=RegistrationStatus.CONFIRMED)
    assert set(registered.values_list("organization", flat=True)) == {plant.pk}


def test_register_one_registers_an_employee_of_the_contacts_organisation(
    make_activity: MakeActivity, plant: Organization, plant_contact: User
) -> None:
    activity = make_activity(audience=Audience.EMPLOYEES)
    url = f"{BASE}{activity.pk}/register/"
    data = {"name": "王强", "phone": "13700006003", "organization": plant.pk}
    assert client_for(plant_contact).post(url, data).status_code == 302
    assert activity.registrations.get().organization == plant


def test_the_public_page_offers_the_contact_to_register_employees(
    make_activity: MakeActivity, plant_contact: User, other_contact: User, plant: Organization
) -> None:
    activity = make_activity(audience=Audience.INVITED, invited_orgs=[plant])
    detail = f"/activities/{activity.pk}/"
    page = text(client_for(plant_contact).get(detail))
    assert "为本单位职工报名" in page and f"{BASE}{activity.pk}/bulk/" in page
    for outsider in (client_for(other_contact), Client()):
        other = text(outsider.get(detail))
        assert "为本单位职工报名" not in other and 'id="register"' in other
