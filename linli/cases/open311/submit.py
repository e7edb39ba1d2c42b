"""Filing a case from an Open311 ``POST requests``."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from linli.cases.models import Case, CaseChannel
from linli.cases.open311.parse import Open311Error, RequestInput
from linli.cases.services import case_report


@transaction.atomic
def open311_request_submit(*, data: RequestInput, now: dt.datetime | None = None) -> Case:
    """File the case (channel Open311) from checked input, with its ``media`` photo; all or
    nothing (a bad photo is refused before anything is written).

    Open311-only details (``device_id``, ``account_id``, an external ``media_url``) are kept
    in ``case.attributes["_open311"]``; reporter name, phone and e-mail go to the case's
    reporter fields and are never shown by the public GET endpoints. The photo is stored by
    :mod:`linli.cases.photos` (JPEG/PNG/WebP ≤ 10 MB, public copy without EXIF).

    Raises:
        Open311Error: 400 for a ``media`` upload while no photo service is installed.
        CaseInputError: from :func:`case_report` (description, location outside every grid)
            or from :func:`linli.cases.photos.photo_check` (not an image, too big).
    """
    checked = None
    if data.media is not None:
        try:
            from linli.cases import photos
        except ImportError:  # photo storage not installed: say so rather than drop the file
            raise Open311Error(400, "暂不支持上传图片文件（media），请改用 media_url") from None
        checked = photos.photo_check(data.media)
    attributes = dict(data.attributes)
    extra = {"device_id": data.device_id, "account_id": data.account_id}
    extra["media_url"] = data.media_url
    if any(extra.values()):
        attributes["_open311"] = {k: v for k, v in extra.items() if v}
    case = case_report(
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
        now=now,
    )
    if checked is not None:
        photos.photo_store(
            case=case, photo=checked, uploaded_by=None, event=case.events.order_by("id").first()
        )
    return case
