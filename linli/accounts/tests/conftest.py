"""A daughter with an account, her mother (consent given) and an aunt (consent revoked)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.utils import timezone

from linli.accounts.models import ResidentAccount
from linli.accounts.services import resident_account_create
from linli.notify.channels import ConsoleSmsBackend
from linli.people.models import FamilyLink, Resident
from linli.testing.factories import ResidentFactory, make_id_number

DAUGHTER_PHONE = "13912345678"


@dataclasses.dataclass
class Family:
    daughter: Resident
    mother: Resident
    aunt: Resident
    stranger: Resident
    account: ResidentAccount


@pytest.fixture
def sms_outbox() -> Iterator[list[dict[str, str]]]:
    ConsoleSmsBackend.outbox.clear()
    yield ConsoleSmsBackend.outbox
    ConsoleSmsBackend.outbox.clear()


def code_in(message: dict[str, str]) -> str:
    found = re.search(r"\d{6}", message["text"])
    assert found, message
    return found.group(0)


@pytest.fixture
def family(db) -> Family:  # type: ignore[no-untyped-def]
    daughter = ResidentFactory(
        name="王丽", id_number=make_id_number(dt.date(1975, 3, 8)), phone=DAUGHTER_PHONE
    )
    mother = ResidentFactory(name="李秀英", id_number=make_id_number(dt.date(1946, 1, 2)))
    aunt = ResidentFactory(name="李秀兰", id_number=make_id_number(dt.date(1950, 6, 1)))
    stranger = ResidentFactory(name="赵强", id_number=make_id_number(dt.date(1960, 9, 9)))
    now = timezone.now()
    FamilyLink.objects.create(
        resident=mother, relative=daughter, relation="女儿", may_act=True, consent_at=now
    )
    FamilyLink.objects.create(
        resident=aunt,
        relative=daughter,
        relation="外甥女",
        may_act=True,
        consent_at=now - dt.timedelta(days=30),
        revoked_at=now - dt.timedelta(days=1),
    )
    account = resident_account_create(resident=daughter, phone=DAUGHTER_PHONE, actor=None)
    return Family(daughter, mother, aunt, stranger, account)
