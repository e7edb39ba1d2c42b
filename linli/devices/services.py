"""Writes of the device registry: gateways (with their signing keys) and devices."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from linli.common import pii
from linli.devices.models import Device, Gateway
from linli.people.models import Resident
from linli.places.models import Area, AreaKind, Building, Household

#: Bytes of randomness in a gateway key (URL-safe base64: 43 characters).
SECRET_BYTES = 32


@transaction.atomic
def gateway_create(*, area: Area, name: str, key_id: str) -> tuple[Gateway, str]:
    """A gateway of community ``area`` and its new HMAC key, returned in plain text ONCE.

    Only the encrypted key is stored (:func:`linli.common.pii.encrypt`).

    Raises:
        ValidationError: ``area`` is not a community, or ``key_id`` is taken or not a slug.
    """
    if area.kind != AreaKind.COMMUNITY:
        raise ValidationError({"area": "网关必须属于一个社区"})
    secret = secrets.token_urlsafe(SECRET_BYTES)
    gateway = Gateway(area=area, name=name, key_id=key_id, secret_encrypted=pii.encrypt(secret))
    gateway.full_clean()
    gateway.save()
    return gateway, secret


@transaction.atomic
def gateway_rotate_secret(*, gateway: Gateway) -> str:
    """Replace the gateway's key; returns the new key in plain text once."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    gateway.secret_encrypted = pii.encrypt(secret)
    gateway.save(update_fields=["secret_encrypted", "updated_at"])
    return secret


def gateway_secret(gateway: Gateway) -> bytes:
    """The gateway's key as bytes, for verifying a signature."""
    return pii.decrypt(gateway.secret_encrypted).encode()


@transaction.atomic
def device_register(
    *,
    kind: str,
    household: Household,
    vendor: str,
    external_id: str,
    model: str = "",
    resident: Resident | None = None,
    building: Building | None = None,
    gateway: Gateway | None = None,
) -> Device:
    """Register a device bound to ``household`` (optionally a resident, building, gateway).

    Raises:
        ValidationError: duplicate ``(vendor, external_id)``, a resident of another
            household, or a gateway of another community.
    """
    if resident is not None and resident.household_id not in (None, household.pk):
        raise ValidationError({"resident": "居民不属于该户"})
    if gateway is not None and not household.building.micro_grid.path.startswith(gateway.area.path):
        raise ValidationError({"gateway": "网关与该户不在同一社区"})
    device = Device(
        kind=kind,
        household=household,
        resident=resident,
        building=building or household.building,
        vendor=vendor,
        model=model,
        external_id=external_id,
        gateway=gateway,
    )
    device.full_clean()
    device.save()
    return device
