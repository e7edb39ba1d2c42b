"""Staff session safeguards: idle time-out (not for residents, not kept alive by polling),
forced password change (not for demo accounts), initial passwords set in the back office."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from linli.accounts import security
from linli.accounts.middleware import RESIDENT_SESSION_KEY
from linli.accounts.models import StaffSecurity
from linli.accounts.staff_middleware import IDLE_NOTICE, LAST_ACTIVE_KEY
from linli.audit.models import AuditEvent, AuditKind
from linli.testing.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-linli-test"
NEW_PASSWORD = "Linli-2026-new!"


def idle_for(client: Client, minutes: int) -> None:
    session = client.session
    session[LAST_ACTIVE_KEY] = int(timezone.now().timestamp()) - minutes * 60
    session.save()


def logged_in_staff() -> tuple[Client, User]:
    user = UserFactory()
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client, user


# --- idle time-out -----------------------------------------------------------------------


def test_staff_are_logged_out_after_thirty_idle_minutes_with_a_notice() -> None:
    client, _ = logged_in_staff()
    idle_for(client, 29)
    assert client.get("/cases/mine/").status_code == 200
    idle_for(client, 31)
    response = client.get("/cases/mine/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/cases/mine/"
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert IDLE_NOTICE in page


def test_a_request_restarts_the_idle_clock() -> None:
    client, _ = logged_in_staff()
    idle_for(client, 20)
    assert client.get("/cases/mine/").status_code == 200
    assert timezone.now().timestamp() - client.session[LAST_ACTIVE_KEY] < 5


def test_polling_does_not_keep_a_staff_session_alive(settings) -> None:
    client, _ = logged_in_staff()
    idle_for(client, 20)
    client.get("/cockpit/layers/version")
    client.get("/cases/mine/", HTTP_X_LINLI_POLL="1")
    assert timezone.now().timestamp() - client.session[LAST_ACTIVE_KEY] >= 20 * 60
    idle_for(client, 31)
    response = client.get("/cockpit/kpis/panels/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_an_idle_post_is_answered_as_for_anyone_not_logged_in() -> None:
    client, _ = logged_in_staff()
    idle_for(client, 31)
    response = client.post("/api/auth/token/", {})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 400


def test_the_idle_limit_is_a_setting(settings) -> None:
    settings.STAFF_IDLE_MINUTES = 5
    client, _ = logged_in_staff()
    idle_for(client, 6)
    assert client.get("/cases/mine/").status_code == 302


def test_resident_sessions_never_time_out(family) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(family.account.user)
    session = client.session
    session[RESIDENT_SESSION_KEY] = True
    session.save()
    idle_for(client, 24 * 60)
    assert client.get("/me/").status_code == 200
    assert client.session["_auth_user_id"] == str(family.account.user.pk)


# --- forced password change --------------------------------------------------------------


def test_an_initial_password_must_be_changed_before_anything_else() -> None:
    user = UserFactory()
    StaffSecurity.objects.create(user=user, must_change_password=True)
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    response = client.get("/cases/mine/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/change/"
    assert client.post("/cases/mine/").status_code == 403
    page = client.get("/accounts/password/change/").content.decode()
    assert "初始密码" in page
    weak = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "abcdefgh12", "new_password2": "abcdefgh12"},
    )
    assert weak.status_code == 200 and "密码太简单" in weak.content.decode()
    assert client.get("/cases/mine/").status_code == 302
    done = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert client.get("/cases/mine/").status_code == 200  # still logged in, free to go
    row = StaffSecurity.objects.get(user=user)
    assert not row.must_change_password and row.password_changed_at is not None
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(kind=AuditKind.PASSWORD, actor=user).exists()


def test_demo_accounts_are_exempt() -> None:
    user = UserFactory()
    StaffSecurity.objects.create(user=user, must_change_password=True, demo=True)
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert client.get("/cases/mine/").status_code == 200


def test_mark_demo_flags_new_and_existing_rows() -> None:
    fresh, flagged = UserFactory(), UserFactory()
    StaffSecurity.objects.create(user=flagged, must_change_password=True)
    security.mark_demo([fresh, flagged])
    rows = StaffSecurity.objects.filter(user__in=[fresh, flagged])
    assert [(r.demo, r.must_change_password) for r in rows] == [(True, False)] * 2


def test_a_user_added_in_the_back_office_must_change_the_password(admin_client) -> None:
    response = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "new_grid_worker",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="new_grid_worker")
    assert StaffSecurity.objects.get(user=user).must_change_password
    assert AuditEvent.objects.filter(kind=AuditKind.PASSWORD, object_id=str(user.pk)).exists()


def test_a_password_reset_in_the_back_office_must_be_changed_too(admin_client) -> None:
    user = UserFactory()
    response = admin_client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert StaffSecurity.objects.get(user=user).must_change_password


def test_changing_ones_own_password_does_not_force_a_change() -> None:
    user = UserFactory()
    security.password_set_by_admin(user=user, actor=user)
    assert not StaffSecurity.objects.filter(user=user, must_change_password=True).exists()
