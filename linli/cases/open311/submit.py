"""Filing a case from an Open311 ``POST requests``."""

from __future__ import annotations

import datetime as dt

from linli.cases.models import Case, CaseChannel
from linli.cases.open311.parse import RequestInput
from linli.cases.services import case_report


def open311_request_submit(*, data: RequestInput, now: dt.datetime | None = None) -> Case:
    """File the case (channel Open311) from checked input, with its ``media`` photo.

    All or nothing: :func:`case_report` checks the photo (JPEG/PNG/WebP ≤ 10 MB, see
    :mod:`linli.cases.photos`) before writing, and publishes a copy without EXIF.
    Open311-only details (``device_id``, ``account_id``, an external ``media_url``) are kept
    in ``case.attributes["_open311"]``; reporter name, phone and e-mail go to the case's
    reporter fields and are never shown by the public GET endpoints.

    Raises:
        CaseInputError: from :func:`case_report` (description, location outside every
            grid, a photo that is not an image or too big).
    """
    attributes = dict(data.attributes)
    extra = {"device_id": data.device_id, "account_id": data.account_id}
    extra["media_url"] = data.media_url
    if any(extra.values()):
        attributes["_open311"] = {k: v for k, v in extra.items() if v}
    return case_report(
        category=data.category,
        description=data.description,
        channel=CaseChannel.OPEN311,
        reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone,
        reporter_email=data.reporter_email,
        point=data.point,
        building=data.building,
        household=data.household,
        address=data.address,
        attributes=attributes,
        photos=[data.media] if data.media is not None else None,
        now=now,
    )
