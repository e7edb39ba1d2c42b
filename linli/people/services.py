"""Writes to the population registry: residents, family links, PII reveals."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from linli.common import pii
from linli.common.identity import IdentityError, parse_id_number, parse_phone
from linli.common.models import PiiAccessLog
from linli.people.models import Resident
from linli.people.scoping import can_view_pii, scope
from linli.places.models import Area, Household


def resident_fields_from_id(id_number: str) -> dict[str, Any]:
    """Encrypted/hashed/masked identity fields plus derived sex and birth date.

    Raises:
        ValidationError: the number fails GB 11643 checks (message in Chinese).
    """
    try:
        parsed = parse_id_number(id_number)
    except IdentityError as exc:
        raise ValidationError({"id_number": str(exc)}) from None
    return {
        "id_number_encrypted": pii.encrypt(parsed.number),
        "id_number_hash": pii.lookup_hash(parsed.number),
        "id_number_masked": pii.mask_id_number(parsed.number),
        "sex": parsed.sex,
        "birth_date": parsed.birth_date,
    }


@transaction.atomic
def resident_create(
    *,
    name: str,
    id_number: str,
    area: Area,
    household: Household | None = None,
    phone: str = "",
    **fields: Any,
) -> Resident:
    """Register a resident; ``area`` should be the household's micro-grid when known.

    Raises:
        ValidationError: bad identity number or phone, or the number is already registered.
    """
    identity = resident_fields_from_id(id_number)
    if Resident.objects.filter(id_number_hash=identity["id_number_hash"]).exists():
        raise ValidationError({"id_number": "该身份证号已登记"})
    if phone:
        try:
            phone = parse_phone(phone)
        except IdentityError as exc:
            raise ValidationError({"phone": str(exc)}) from None
    resident = Resident(
        name=name.strip(), area=area, household=household, phone=phone, **identity, **fields
    )
    resident.full_clean(exclude=["id_number_hash"])
    resident.save()
    return resident


def resident_find_by_id_number(*, id_number: str) -> Resident | None:
    """Exact lookup through the keyed hash; no decryption. Invalid numbers find nobody."""
    try:
        number = parse_id_number(id_number).number
    except IdentityError:
        return None
    return Resident.objects.filter(id_number_hash=pii.lookup_hash(number)).first()


def pii_reveal(*, actor: User, resident: Resident, purpose: str = "") -> dict[str, str]:
    """The resident's full identity number and phone, logged in :class:`PiiAccessLog`.

    Returns:
        ``{"id_number": …, "phone": …}``.

    Raises:
        PermissionDenied: the actor lacks the PII permission or the resident is outside
            the actor's areas.
    """
    if not can_view_pii(actor):
        raise PermissionDenied("您没有查看完整个人信息的权限")
    if not scope(Resident.objects.filter(pk=resident.pk), actor).exists():
        raise PermissionDenied("该居民不在您的管辖范围内")
    PiiAccessLog.objects.create(
        user=actor,
        subject_type="resident",
        subject_id=resident.pk,
        subject_label=f"{resident.name}（{resident.id_number_masked}）",
        fields="身份证号,电话",
        purpose=purpose[:200],
    )
    return {"id_number": pii.decrypt(resident.id_number_encrypted), "phone": resident.phone}
