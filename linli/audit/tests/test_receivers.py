"""Each receiver writes exactly one event of the right kind and actor."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from simple_history.models import HistoricalRecords

from linli.audit.models import AuditEvent, AuditKind
from linli.common.models import PiiAccessLog
from linli.people.models import Assignment, Role
from linli.testing.factories import UserFactory, staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def only_event() -> AuditEvent:
    events = list(AuditEvent.objects.all())
    assert len(events) == 1, [str(e) for e in events]
    return events[0]


@pytest.fixture
def acting_as():  # type: ignore[no-untyped-def]
    """Pretend a request by ``user`` is being served (as simple-history's middleware does)."""

    def act(user):  # type: ignore[no-untyped-def]
        request = RequestFactory().post("/admin/", REMOTE_ADDR="10.1.2.3")
        request.user = user
        HistoricalRecords.context.request = request

    yield act
    if hasattr(HistoricalRecords.context, "request"):
        del HistoricalRecords.context.request


def test_a_log_in_is_recorded_with_the_user_and_address(  # type: ignore[no-untyped-def]
    client, django_capture_on_commit_callbacks
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/login/", {"username": user.username, "password": "pw-linli-test"})
    event = only_event()
    assert (event.kind, event.actor, event.ip) == (AuditKind.LOGIN, user, "127.0.0.1")


def test_a_failed_log_in_keeps_a_masked_phone_and_no_password(  # type: ignore[no-untyped-def]
    client, django_capture_on_commit_callbacks
):
    UserFactory(username="13912345678")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/login/", {"username": "13912345678", "password": "wrong-secret"})
    event = only_event()
    assert (event.kind, event.actor, event.actor_label) == (
        AuditKind.LOGIN_FAILED,
        None,
        "139****5678",
    )
    assert event.detail == {"account_exists": True}
    assert "13912345678" not in str(event.__dict__) and "wrong-secret" not in str(event.__dict__)


def test_a_log_out_is_recorded(client, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    user = UserFactory()
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/logout/")
    assert (only_event().kind, only_event().actor) == (AuditKind.LOGOUT, user)


def test_an_unmasked_view_is_recorded(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    viewer = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        PiiAccessLog.objects.create(
            user=viewer,
            subject_type="resident",
            subject_id=7,
            subject_label="张*",
            fields="身份证号",
        )
    event = only_event()
    assert (event.kind, event.actor, event.object_type, event.object_id) == (
        AuditKind.PII_VIEW,
        viewer,
        "resident",
        "7",
    )


def test_an_assignment_change_is_recorded_with_who_made_it(  # type: ignore[no-untyped-def]
    areas, acting_as, django_capture_on_commit_callbacks
):
    worker = staff_user(areas["micro_grid"])
    admin = UserFactory(is_superuser=True)
    assignment = Assignment.objects.get(user=worker)
    acting_as(admin)
    with django_capture_on_commit_callbacks(execute=True):
        assignment.save()  # touched, not changed: nothing to record
        assignment.role = Role.GRID_LEADER
        assignment.save()
    event = only_event()
    assert (event.kind, event.actor, event.ip) == (AuditKind.PERMISSION, admin, "10.1.2.3")
    assert event.detail["before"]["role"] == Role.MICRO_GRID_WORKER
    assert event.detail["after"]["role"] == Role.GRID_LEADER


def test_an_assignment_created_and_deleted_is_recorded(  # type: ignore[no-untyped-def]
    areas, django_capture_on_commit_callbacks
):
    worker = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assignment = Assignment.objects.create(user=worker, area=areas["grid"], role=Role.POLICE)
        assignment.delete()
    kinds = list(AuditEvent.objects.order_by("seq").values_list("kind", "summary"))
    assert [k for k, _ in kinds] == [AuditKind.PERMISSION, AuditKind.PERMISSION]
    assert kinds[0][1].startswith("新增岗位") and kinds[1][1].startswith("撤销岗位")


def test_making_a_superuser_is_recorded_once(  # type: ignore[no-untyped-def]
    acting_as, django_capture_on_commit_callbacks
):
    user = UserFactory()
    admin = UserFactory(is_superuser=True)
    acting_as(admin)
    with django_capture_on_commit_callbacks(execute=True):
        user.is_superuser = True
        user.save()
        user.save(update_fields=["last_login"])  # a log-in's save compares nothing
    event = only_event()
    assert (event.kind, event.actor, event.object_id) == (AuditKind.PERMISSION, admin, str(user.pk))
    assert event.detail == {"changed": {"is_superuser": True}}


def test_group_membership_and_permissions_are_recorded(  # type: ignore[no-untyped-def]
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    group = Group.objects.create(name="审核组")
    permission = Permission.objects.get(codename="view_pii")
    with django_capture_on_commit_callbacks(execute=True):
        user.groups.add(group)
        group.permissions.add(permission)
        user.user_permissions.remove(permission)  # not held: Django still sends the signal
    relations = list(AuditEvent.objects.order_by("seq").values_list("detail__relation", flat=True))
    assert relations == ["用户组成员", "用户组权限", "用户权限"]


def test_a_rolled_back_change_leaves_no_event(areas, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    from django.db import transaction

    user = UserFactory()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        user.is_superuser = True
        user.save()
        raise RuntimeError
    assert not AuditEvent.objects.exists()
