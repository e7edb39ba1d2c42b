"""Retention rules (linli/common/retention.py): each rule just inside and just outside its
limit, dry runs change nothing, a second run finds nothing, one audit event per run."""

from __future__ import annotations

import datetime as dt
import uuid
from io import StringIO
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from linli.accounts.models import OneTimeCode
from linli.audit.models import AuditEvent, AuditKind
from linli.common import retention
from linli.common.models import PiiAccessLog
from linli.devices import partitions
from linli.devices.models import DeadLetter, DeviceEvent, DeviceKind
from linli.people.models import EmergencyContact, FamilyLink, Resident
from linli.testing.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 4, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


def _otp(created_at: dt.datetime) -> OneTimeCode:
    return OneTimeCode.objects.create(
        phone_hash=uuid.uuid4().hex,
        client_ip="127.0.0.1",
        created_at=created_at,
        expires_at=created_at + dt.timedelta(minutes=5),
    )


def _pii_log(at: dt.datetime) -> PiiAccessLog:
    user = UserFactory()
    log = PiiAccessLog.objects.create(
        user=user, subject_type="resident", subject_id=1, subject_label="张*", fields="phone"
    )
    PiiAccessLog.objects.filter(pk=log.pk).update(at=at)
    return log


def _moved_out(updated_at: dt.datetime, **kwargs: Any) -> Resident:
    resident = ResidentFactory(household=None, area=kwargs.pop("area"), **kwargs)
    Resident.objects.filter(pk=resident.pk).update(updated_at=updated_at)
    return resident


def test_otp_codes_older_than_one_day_are_deleted(settings) -> None:  # type: ignore[no-untyped-def]
    settings.RETAIN_OTP_DAYS = 1
    old = _otp(NOW - dt.timedelta(days=1) - SECOND)
    kept = _otp(NOW - dt.timedelta(days=1) + SECOND)
    assert retention.otp_codes_delete(NOW) == 1
    assert list(OneTimeCode.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not OneTimeCode.objects.filter(pk=old.pk).exists()


@hsettings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offset=st.integers(min_value=-3600, max_value=3600))
def test_otp_edge_is_exactly_the_limit(offset: int) -> None:
    """A code is deleted iff it was sent strictly before now − 1 day."""
    code = _otp(NOW - dt.timedelta(days=1) + dt.timedelta(seconds=offset))
    deleted = retention.otp_codes_delete(NOW)
    assert deleted == (1 if offset < 0 else 0)
    assert OneTimeCode.objects.filter(pk=code.pk).exists() == (offset >= 0)
    OneTimeCode.objects.all().delete()


def test_pii_logs_kept_for_the_configured_days(settings) -> None:  # type: ignore[no-untyped-def]
    settings.RETAIN_PII_LOG_DAYS = 180
    old = _pii_log(NOW - dt.timedelta(days=180) - SECOND)
    kept = _pii_log(NOW - dt.timedelta(days=180) + SECOND)
    assert retention.pii_logs_delete(NOW) == 1
    assert set(PiiAccessLog.objects.values_list("pk", flat=True)) == {kept.pk}
    assert old.pk not in set(PiiAccessLog.objects.values_list("pk", flat=True))


def test_pii_log_floor_refuses_less_than_180_days() -> None:
    """Start-up stops on a limit below the legal floor (settings read in a fresh process)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "LINLI_RETAIN_PII_LOG_DAYS": "179"}
    done = subprocess.run(
        [sys.executable, "-c", "import linli.settings"], env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "LINLI_RETAIN_PII_LOG_DAYS must be at least 180" in done.stderr


def test_expired_sessions_are_deleted() -> None:
    Session.objects.create(session_key="old" * 8, session_data="x", expire_date=NOW - SECOND)
    Session.objects.create(session_key="new" * 8, session_data="x", expire_date=NOW + SECOND)
    assert retention.sessions_delete(NOW) == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new" * 8]


def test_dead_letters_older_than_limit_deleted(settings) -> None:  # type: ignore[no-untyped-def]
    settings.RETAIN_DEAD_LETTER_DAYS = 90

    def letter(at: dt.datetime) -> DeadLetter:
        return DeadLetter.objects.create(
            received_at=at, channel="mqtt", source="linli/x", payload="{}", code="bad", reason="坏"
        )

    letter(NOW - dt.timedelta(days=90) - SECOND)
    kept = letter(NOW - dt.timedelta(days=90) + SECOND)
    assert retention.dead_letters_delete(NOW) == 1
    assert list(DeadLetter.objects.values_list("pk", flat=True)) == [kept.pk]


def test_device_events_before_the_retention_month_go(areas, settings) -> None:  # type: ignore[no-untyped-def]
    from linli.devices.services import device_register
    from linli.testing.factories import BuildingFactory, HouseholdFactory

    settings.DEVICES_RETENTION_MONTHS = 2
    household = HouseholdFactory(building=BuildingFactory(micro_grid=areas["micro_grid"]))
    device = device_register(
        kind=DeviceKind.DOOR_SENSOR, household=household, vendor="acme", external_id="DS-RET"
    )
    cutoff = partitions.retention_cutoff(NOW)  # 2026-09-01 00:00Z
    partitions.forget()
    partitions.partitions_ensure([partitions.month_start(cutoff - SECOND), cutoff.date()])
    for event_id, ts in (("old", cutoff - SECOND), ("kept", cutoff)):
        DeviceEvent.objects.create(
            device=device, event_id=event_id, ts=ts, kind="door_open", received_at=ts
        )
    try:
        assert retention.device_events_delete(NOW, dry_run=True) == 1
        assert DeviceEvent.objects.count() == 2
        assert retention.device_events_delete(NOW) == 1
        assert list(DeviceEvent.objects.values_list("event_id", flat=True)) == ["kept"]
    finally:
        partitions.forget()


def test_case_contacts_cleared_after_closing(areas, settings) -> None:  # type: ignore[no-untyped-def]
    from linli.cases.models import CaseParticipant

    settings.RETAIN_CASE_CONTACT_DAYS = 365
    limit = NOW - dt.timedelta(days=365)
    old = make_case(areas["micro_grid"], None, closed_at=limit - SECOND, reporter_email="a@b.cn")
    CaseParticipant.objects.create(case=old, role="family", name="李四", phone="13900000001")
    recent = make_case(areas["micro_grid"], None, closed_at=limit + SECOND)
    open_case = make_case(areas["micro_grid"], None)
    assert retention.case_contacts_clear(NOW) == 1
    old.refresh_from_db()
    assert (old.reporter_name, old.reporter_phone, old.reporter_email) == ("", "", "")
    assert old.title == "王某某家门口占道"  # the case itself stays
    assert CaseParticipant.objects.get(case=old).phone == ""
    assert CaseParticipant.objects.get(case=old).name == "李四"
    for case in (recent, open_case):
        case.refresh_from_db()
        assert case.reporter_phone == "13900000000"


def test_moved_out_residents_anonymised_keeping_statistics(areas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RETAIN_MOVED_OUT_YEARS = 5
    cutoff = retention.moved_out_cutoff(NOW)
    gone = _moved_out(cutoff - SECOND, area=areas["micro_grid"], birth_date=dt.date(1950, 7, 3))
    recent = _moved_out(cutoff + SECOND, area=areas["micro_grid"])
    at_home = ResidentFactory()
    Resident.objects.filter(pk=at_home.pk).update(updated_at=cutoff - SECOND)
    relative = ResidentFactory()
    FamilyLink.objects.create(resident=gone, relative=relative, relation="女儿", may_act=True)
    EmergencyContact.objects.create(resident=gone, name="王五", relation="儿子", phone="139")
    assert retention.moved_out_anonymise(NOW) == 1
    gone.refresh_from_db()
    assert gone.name == retention.ANON_NAME
    assert (gone.phone, gone.id_number_masked, gone.id_number_encrypted) == ("", "", "")
    assert gone.birth_date == dt.date(1950, 1, 1)
    assert gone.area == areas["micro_grid"]
    assert not Resident.history.filter(id=gone.pk).exists()  # type: ignore[attr-defined]
    assert not FamilyLink.objects.filter(resident=gone).exists()
    assert not EmergencyContact.objects.filter(resident=gone).exists()
    recent.refresh_from_db()
    at_home.refresh_from_db()
    assert recent.name != retention.ANON_NAME and at_home.name != retention.ANON_NAME


def test_moved_out_resident_with_recent_login_is_kept(areas, settings) -> None:  # type: ignore[no-untyped-def]
    from linli.accounts.models import ResidentAccount

    cutoff = retention.moved_out_cutoff(NOW)
    person = _moved_out(cutoff - SECOND, area=areas["micro_grid"])
    user = UserFactory(is_staff=False, last_login=cutoff + SECOND)
    ResidentAccount.objects.create(
        user=user, resident=person, phone_hash="h" * 64, phone_masked="139****0000"
    )
    assert retention.moved_out_anonymise(NOW) == 0
    user.last_login = cutoff - SECOND
    user.save()
    assert retention.moved_out_anonymise(NOW) == 1
    account = ResidentAccount.objects.get(resident=person)
    assert not account.active and account.phone_masked == ""
    account.user.refresh_from_db()
    assert not account.user.is_active and not account.user.has_usable_password()


def make_case(area: Any, building: Any, **kwargs: Any) -> Any:
    from linli.cases.models import Case, CaseCategory, CaseChannel, CaseStatus

    category = CaseCategory.objects.get_or_create(
        code="RETAIN", defaults={"name": "占道经营", "kind": "event"}
    )[0]
    values: dict[str, Any] = {
        "number": f"640106-20260601-{uuid.uuid4().int % 10_000:04d}",
        "category": category,
        "status": CaseStatus.CLOSED if kwargs.get("closed_at") else CaseStatus.DISPATCHED,
        "channel": CaseChannel.GRID_PATROL,
        "title": "王某某家门口占道",
        "description": "描述",
        "area": area,
        "building": building,
        "reporter_name": "张三",
        "reporter_phone": "13900000000",
        **kwargs,
    }
    return Case.objects.create(**values)


def _world(areas: dict[str, Any]) -> None:
    _otp(NOW - dt.timedelta(days=3))
    _pii_log(NOW - dt.timedelta(days=400))
    Session.objects.create(session_key="old" * 8, session_data="x", expire_date=NOW - SECOND)
    _moved_out(NOW - dt.timedelta(days=365 * 6), area=areas["micro_grid"])


def test_dry_run_changes_nothing_and_records_nothing(areas) -> None:  # type: ignore[no-untyped-def]
    _world(areas)
    before = (
        OneTimeCode.objects.count(),
        PiiAccessLog.objects.count(),
        Session.objects.count(),
        list(Resident.objects.values_list("name", flat=True)),
    )
    results = retention.retention_run(now=NOW, dry_run=True)
    counts = {r.code: r.count for r in results}
    assert counts["otp_codes"] == counts["pii_logs"] == counts["sessions"] == 1
    assert counts["moved_out"] == 1
    after = (
        OneTimeCode.objects.count(),
        PiiAccessLog.objects.count(),
        Session.objects.count(),
        list(Resident.objects.values_list("name", flat=True)),
    )
    assert after == before
    assert not AuditEvent.objects.filter(kind=AuditKind.RETENTION).exists()


def test_run_is_idempotent_and_audited_once_per_run(areas) -> None:  # type: ignore[no-untyped-def]
    _world(areas)
    first = {r.code: r.count for r in retention.retention_run(now=NOW)}
    second = {r.code: r.count for r in retention.retention_run(now=NOW)}
    assert first["otp_codes"] == first["pii_logs"] == first["moved_out"] == 1
    assert set(second.values()) == {0}
    events = list(AuditEvent.objects.filter(kind=AuditKind.RETENTION).order_by("seq"))
    assert len(events) == 2
    assert events[0].detail["counts"]["moved_out"] == 1
    assert events[1].detail["counts"]["moved_out"] == 0


def test_command_prints_counts_per_rule_in_chinese(areas) -> None:  # type: ignore[no-untyped-def]
    _otp(timezone.now() - dt.timedelta(days=3))
    out = StringIO()
    call_command("retention", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "登录验证码记录：将处理 1 项" in text
    assert "已迁出居民：将处理 0 项" in text
    assert "试运行" in text
    assert OneTimeCode.objects.count() == 1
    out = StringIO()
    call_command("retention", stdout=out)
    assert "登录验证码记录：已处理 1 项" in out.getvalue()
    assert OneTimeCode.objects.count() == 0
    assert AuditEvent.objects.filter(kind=AuditKind.RETENTION).count() == 1


def test_daily_schedule_created_once() -> None:
    from django_q.models import Schedule

    retention.ensure_schedules()
    retention.ensure_schedules()
    schedule = Schedule.objects.get(name=retention.RETENTION_SCHEDULE)
    assert schedule.func == retention.RETENTION_TASK
    assert schedule.minutes == 24 * 60
    assert Schedule.objects.filter(name=retention.RETENTION_SCHEDULE).count() == 1
