"""Workers, certificates and shifts: validation, overlap, nothing half-written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from linli.orders.models import Shift, Skill, Worker, WorkerSkill, WorkerStatus
from linli.orders.services import shift_create, worker_create, worker_skill_set, worker_status_set
from linli.orders.tests.factories import DAY, provider, worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(areas):  # type: ignore[no-untyped-def]
    return provider(areas["community"])


def test_worker_phone_is_normalised(profile):
    person = worker_create(provider=profile, name="李师傅", phone="+86 139-1234-5678")
    assert person.phone == "13912345678"


@pytest.mark.parametrize("name,phone", [("李师傅", "12345"), ("  ", "13912345678")])
def test_worker_with_bad_phone_or_blank_name_is_rejected_and_not_saved(profile, name, phone):
    with pytest.raises(ValidationError):
        worker_create(provider=profile, name=name, phone=phone)
    assert not Worker.objects.exists()


def test_certified_skill_needs_certificate_number_and_expiry(profile):
    person = worker(profile, skills={}, shift=None)
    with pytest.raises(ValidationError) as caught:
        worker_skill_set(worker=person, skill=Skill.objects.get(code="bathing"))
    assert "证书编号" in str(caught.value) and "有效期" in str(caught.value)
    assert not WorkerSkill.objects.exists()


def test_renewed_certificate_replaces_the_old_expiry(profile):
    person = worker(profile, skills={"bathing": DAY}, shift=None)
    worker_skill_set(
        worker=person,
        skill=Skill.objects.get(code="bathing"),
        certificate_no="ZY-002",
        valid_until=DAY + dt.timedelta(days=365),
    )
    row = WorkerSkill.objects.get(worker=person)
    assert (row.certificate_no, row.valid_until) == ("ZY-002", DAY + dt.timedelta(days=365))


def test_overlapping_shift_is_rejected_with_chinese_error_and_nothing_saved(profile):
    person = worker(profile, shift=(8, 12))
    with pytest.raises(ValidationError, match="重叠"):
        shift_create(worker=person, date=DAY, start=dt.time(11), end=dt.time(13))
    assert Shift.objects.filter(worker=person).count() == 1


def test_back_to_back_shifts_do_not_overlap(profile):
    person = worker(profile, shift=(8, 12))
    shift_create(worker=person, date=DAY, start=dt.time(12), end=dt.time(18))
    assert Shift.objects.filter(worker=person).count() == 2


def test_weekly_shift_clashing_with_a_dated_shift_on_that_weekday_is_rejected(profile):
    person = worker(profile, shift=(8, 12))  # DAY is a Tuesday
    with pytest.raises(ValidationError, match="重叠"):
        shift_create(worker=person, weekday=DAY.weekday(), start=dt.time(9), end=dt.time(10))
    shift_create(worker=person, weekday=DAY.weekday() + 1, start=dt.time(9), end=dt.time(10))
    with pytest.raises(ValidationError, match="重叠"):
        shift_create(
            worker=person, date=DAY + dt.timedelta(days=1), start=dt.time(7), end=dt.time(9, 30)
        )
    assert Shift.objects.filter(worker=person).count() == 2


def test_another_workers_shift_does_not_clash(profile):
    worker(profile, shift=(8, 12))
    other = worker(profile, shift=None, name="王护工")
    shift_create(worker=other, date=DAY, start=dt.time(8), end=dt.time(12))


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"date": DAY, "start": dt.time(18), "end": dt.time(8)}, "结束时间"),
        ({"date": DAY, "start": dt.time(9), "end": dt.time(9)}, "结束时间"),
        ({"start": dt.time(8), "end": dt.time(9)}, "日期或每周"),
        ({"date": DAY, "weekday": 1, "start": dt.time(8), "end": dt.time(9)}, "日期或每周"),
    ],
)
def test_malformed_shift_is_rejected(profile, kwargs, message):
    person = worker(profile, shift=None)
    with pytest.raises(ValidationError, match=message):
        shift_create(worker=person, **kwargs)
    assert not Shift.objects.exists()


def test_unknown_status_is_rejected(profile):
    person = worker(profile, status=WorkerStatus.OFF)
    with pytest.raises(ValidationError, match="未知的状态"):
        worker_status_set(worker=person, status="sleeping")
    worker_status_set(worker=person, status=WorkerStatus.ON_BREAK)
    assert Worker.objects.get(pk=person.pk).status == WorkerStatus.ON_BREAK
