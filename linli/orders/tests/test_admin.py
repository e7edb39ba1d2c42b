"""Back office: scoped by the provider organisation's area; shift and certificate rules hold."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.orders.models import Shift, WorkerSkill
from linli.orders.tests.factories import DAY, provider, worker
from linli.people.models import Role
from linli.testing.factories import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def here(areas):  # type: ignore[no-untyped-def]
    return worker(provider(areas["community"]), name="本社区护工")


@pytest.fixture
def there(other_areas):  # type: ignore[no-untyped-def]
    return worker(provider(other_areas["community"]), name="别处护工")


@pytest.fixture
def admin_elsewhere(other_areas):  # type: ignore[no-untyped-def]
    return staff_user(other_areas["community"], Role.COMMUNITY_ADMIN)


def change_url(obj) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"admin:orders_{obj._meta.model_name}_change", args=[obj.pk])


def test_community_admin_sees_workers_providers_and_shifts_of_their_area_only(
    client, community_admin, here, there
):
    client.force_login(community_admin)
    listing = client.get(reverse("admin:orders_worker_changelist")).content.decode()
    assert "本社区护工" in listing and "别处护工" not in listing
    assert "139****5678" in listing and "13912345678" not in listing
    assert client.get(change_url(here)).status_code == 200
    for row in (there, there.provider, there.shifts.get()):
        assert client.get(change_url(row)).status_code == 404
    assert client.get(change_url(here.provider)).status_code == 200


def test_admin_of_another_community_cannot_open_this_worker(client, admin_elsewhere, here):
    client.force_login(admin_elsewhere)
    assert client.get(change_url(here)).status_code == 404
    assert client.get(change_url(here.shifts.get())).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client, here):
    response = client.get(change_url(here))
    assert response.status_code == 302 and "login" in response["Location"]


def test_micro_grid_worker_has_no_access_to_the_workforce(client, assigned, here):
    client.force_login(assigned)
    assert client.get(reverse("admin:orders_worker_changelist")).status_code == 403
    assert client.get(reverse("admin:orders_servicetype_changelist")).status_code == 403


def test_catalogue_is_shown_to_community_admin(client, community_admin):
    client.force_login(community_admin)
    page = client.get(reverse("admin:orders_servicetype_changelist")).content.decode()
    assert "助浴服务" in page and "knife_sharpening" in page


def test_overlapping_shift_added_in_admin_is_rejected_and_not_saved(client, community_admin, here):
    client.force_login(community_admin)
    response = client.post(
        reverse("admin:orders_shift_add"),
        {"worker": here.pk, "date": DAY.isoformat(), "start": "17:00", "end": "19:00"},
    )
    assert response.status_code == 200
    assert "与已有排班重叠" in response.content.decode()
    assert Shift.objects.filter(worker=here).count() == 1


def test_shift_for_a_worker_elsewhere_cannot_be_chosen(client, community_admin, there):
    client.force_login(community_admin)
    response = client.post(
        reverse("admin:orders_shift_add"),
        {"worker": there.pk, "date": DAY.isoformat(), "start": "19:00", "end": "20:00"},
    )
    assert response.status_code == 200
    assert Shift.objects.filter(worker=there).count() == 1


def test_certified_skill_without_expiry_is_rejected_in_admin(client, community_admin, here):
    client.force_login(community_admin)
    bathing = WorkerSkill.objects.get(worker=here)
    data = {
        "provider": here.provider.pk,
        "name": here.name,
        "phone": "139****5678",
        "travel_mode": here.travel_mode,
        "status": here.status,
        "active": "on",
        "worker_skills-TOTAL_FORMS": "1",
        "worker_skills-INITIAL_FORMS": "1",
        "worker_skills-MIN_NUM_FORMS": "0",
        "worker_skills-MAX_NUM_FORMS": "1000",
        "worker_skills-0-id": str(bathing.pk),
        "worker_skills-0-worker": str(here.pk),
        "worker_skills-0-skill": str(bathing.skill_id),
        "worker_skills-0-certificate_no": "ZY-001",
        "worker_skills-0-issuer": "",
        "worker_skills-0-valid_until": "",
    }
    response = client.post(change_url(here), data)
    assert response.status_code == 200
    assert "需要填写证书有效期" in response.content.decode()
    assert WorkerSkill.objects.get(pk=bathing.pk).valid_until == DAY
    data["worker_skills-0-valid_until"] = "2031-01-01"
    assert client.post(change_url(here), data).status_code == 302
    assert str(WorkerSkill.objects.get(pk=bathing.pk).valid_until) == "2031-01-01"
    assert here.__class__.objects.get(pk=here.pk).phone == "13912345678"


@pytest.mark.parametrize("model", ["skill", "servicetype", "providerprofile", "worker", "shift"])
def test_every_page_opens_for_a_community_admin(client, community_admin, here, model):
    client.force_login(community_admin)
    assert client.get(reverse(f"admin:orders_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:orders_{model}_add")).status_code == 200


def test_provider_service_areas_offer_only_areas_in_scope(client, community_admin, other_areas):
    client.force_login(community_admin)
    page = client.get(reverse("admin:orders_providerprofile_add")).content.decode()
    assert "测试社区" in page and "别处社区" not in page


def test_enterprise_cannot_be_registered_as_provider_in_admin(client, community_admin, areas):
    from linli.orders.models import ProviderProfile
    from linli.orgs.models import OrgKind
    from linli.testing.factories import OrganizationFactory

    shop = OrganizationFactory(area=areas["community"], kind=OrgKind.ENTERPRISE, name="某贸易公司")
    client.force_login(community_admin)
    response = client.post(
        reverse("admin:orders_providerprofile_add"),
        {"organization": shop.pk, "areas": [areas["community"].pk], "capacity_per_day": "20"},
    )
    assert response.status_code == 200
    assert "可以登记为服务商" in response.content.decode()
    assert not ProviderProfile.objects.exists()


def service_type_post(**overrides: str) -> dict[str, str]:
    data = {
        "code": "foot_care",
        "name": "足部护理",
        "variants": "[]",
        "workers_needed": "1",
        "workers_max": "1",
        "default_duration_s": "1800",
        "mode": "scheduled",
        "list_price_fen": "2500",
    }
    return {**data, **overrides, "active": "on"}


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"list_price_fen": ""}, "请填写标价或选择资格方案"),
        ({"workers_needed": "3", "workers_max": "3"}, "所需人数为 1 或 2"),
        ({"default_duration_s": "0"}, "默认时长必须大于 0 秒"),
        ({"variants": '{"code": "x"}'}, "服务形式应为列表"),
    ],
)
def test_admin_defined_service_type_with_bad_fields_is_rejected(
    client, community_admin, overrides, message
):
    from linli.orders.models import ServiceType

    client.force_login(community_admin)
    response = client.post(reverse("admin:orders_servicetype_add"), service_type_post(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ServiceType.objects.filter(code="foot_care").exists()


def test_admin_defined_service_type_is_saved_and_quoted(client, community_admin):
    from linli.orders.models import ServiceType
    from linli.orders.services import service_quote

    client.force_login(community_admin)
    response = client.post(reverse("admin:orders_servicetype_add"), service_type_post())
    assert response.status_code == 302
    foot_care = ServiceType.objects.get(code="foot_care")
    assert service_quote(service_type=foot_care, resident=None, on=DAY).price_fen == 2500


def test_provider_staff_manage_their_own_provider_only(client, areas, here):  # type: ignore[no-untyped-def]
    from linli.people.models import Assignment

    rival = worker(provider(areas["community"]), name="另一家护工")
    office = staff_user(areas["community"], Role.PROVIDER_STAFF, is_staff=True)
    Assignment.objects.filter(user=office).update(organization=here.provider.organization)
    client.force_login(office)
    listing = client.get(reverse("admin:orders_worker_changelist")).content.decode()
    assert "本社区护工" in listing and "另一家护工" not in listing
    for row in (rival, rival.provider, rival.shifts.get()):
        assert client.get(change_url(row)).status_code == 404
    assert client.get(change_url(here)).status_code == 200
