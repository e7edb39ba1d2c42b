"""Staff open a resident's account in the back office, scoped to their areas."""

from __future__ import annotations

import pytest

from linli.accounts.models import ResidentAccount
from linli.people.models import Role
from linli.testing.factories import staff_user

pytestmark = pytest.mark.django_db
ADD = "/admin/accounts/residentaccount/add/"


def test_community_admin_opens_an_account_for_the_mother(client, family, community_admin) -> None:
    client.force_login(community_admin)
    response = client.post(ADD, {"resident": family.mother.pk, "phone": "137 0000 2222"})
    assert response.status_code == 302, response.content.decode()[:2000]
    account = ResidentAccount.objects.get(resident=family.mother)
    assert account.phone_masked == "137****2222" and account.created_by == community_admin
    assert not account.user.is_staff and not account.user.has_usable_password()
    listing = client.get("/admin/accounts/residentaccount/").content.decode()
    assert "137****2222" in listing and "13700002222" not in listing
    change = client.get(f"/admin/accounts/residentaccount/{account.pk}/change/")
    assert change.status_code == 200 and "137****2222" in change.content.decode()


@pytest.mark.parametrize(
    ("phone", "message"), [("0951-5012345", "固定电话"), ("13912345678", "已用于另一个")]
)
def test_bad_numbers_are_refused_and_nothing_is_written(
    client, family, community_admin, phone, message
) -> None:
    client.force_login(community_admin)
    response = client.post(ADD, {"resident": family.mother.pk, "phone": phone})
    assert response.status_code == 200 and message in response.content.decode()
    assert not ResidentAccount.objects.filter(resident=family.mother).exists()


def test_staff_elsewhere_do_not_see_the_account(client, family, other_areas) -> None:
    client.force_login(staff_user(other_areas["community"], Role.COMMUNITY_ADMIN))
    response = client.get(f"/admin/accounts/residentaccount/{family.account.pk}/change/")
    assert response.status_code in (302, 404)
    listing = client.get("/admin/accounts/residentaccount/").content.decode()
    assert family.account.phone_masked not in listing
