"""Reading Open311 parameters: dates, GET filters, and the fields of a POSTed request.

Every function raises :class:`Open311Error` (HTTP status + Chinese description) on bad
input; the views turn it into the spec's error array.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import EmailValidator, URLValidator
from django.db.models import F, Value
from django.db.models.functions import Length
from django.http import QueryDict
from django.utils import timezone

from linli.cases.models import CaseCategory
from linli.cases.services import MAX_DESCRIPTION, clean_text
from linli.common.geo import GeoError, LatLng, parse_lat_lng
from linli.common.identity import IdentityError, normalize_text, parse_phone
from linli.places.models import Building, Household

#: GeoReport v2: a date range "may not span more than 90 days"; also the default window.
MAX_WINDOW = dt.timedelta(days=90)
#: Common extension ``page_size``: default and ceiling.
PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAX = 200
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_ADDRESS_ID = re.compile(r"^(?P<kind>[BbHh]?)(?P<pk>\d{1,12})$")


class Open311Error(Exception):
    """Bad Open311 input: ``status`` is 400, 403 or 404; ``str(err)`` is Chinese."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def parse_datetime(raw: str, *, name: str) -> dt.datetime:
    """ISO-8601 date or date-time with any offset (``Z``, ``+08:00``, ``-05:00``).

    A value without offset, or a bare date (midnight), is taken as Asia/Shanghai time.
    """
    text = raw.strip()
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(
            400, f"{name} 不是 ISO-8601 时间：{text[:40]}（例如 2026-07-07T09:30:00+08:00）"
        ) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _bool(raw: str, *, name: str) -> bool:
    text = raw.strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise Open311Error(400, f"{name} 只能是 true 或 false")


def _positive_int(raw: str, *, name: str, ceiling: int | None = None) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise Open311Error(400, f"{name} 必须是正整数") from None
    if value < 1:
        raise Open311Error(400, f"{name} 必须是正整数")
    if ceiling is not None and value > ceiling:
        raise Open311Error(400, f"{name} 不能超过 {ceiling}")
    return value


def _csv(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


@dataclass
class RequestQuery:
    """Filters of ``GET requests``; dates are aware datetimes or None (no bound)."""

    ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None
    page: int = 1
    page_size: int = PAGE_SIZE_DEFAULT
    extensions: bool = False


def _window(
    start: dt.datetime | None, end: dt.datetime | None, *, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """The requested-date window: at most 90 days; the last 90 days when neither is given."""
    if start and end:
        if end < start:
            raise Open311Error(400, "end_date 早于 start_date")
        if end - start > MAX_WINDOW:
            raise Open311Error(400, "start_date 与 end_date 相隔不能超过 90 天")
        return start, end
    if start:
        return start, start + MAX_WINDOW
    if end:
        return end - MAX_WINDOW, end
    return now - MAX_WINDOW, now


def parse_query(params: QueryDict, *, now: dt.datetime) -> RequestQuery:
    """Read ``GET requests`` parameters.

    ``service_request_id`` overrides the other filters (GeoReport v2). Without it, the
    requested-date window defaults to the last 90 days unless ``updated_after`` or
    ``updated_before`` is given (incremental sync by update time).
    """
    query = RequestQuery(
        ids=_csv(params.get("service_request_id")),
        service_codes=_csv(params.get("service_code")),
        statuses=_csv(params.get("status")),
        extensions=_bool(params.get("extensions", ""), name="extensions"),
    )
    for status in query.statuses:
        if status not in ("open", "closed"):
            raise Open311Error(400, f"status 只能是 open 或 closed（收到 {status[:20]}）")
    if params.get("page"):
        query.page = _positive_int(params.get("page", ""), name="page")
    if params.get("page_size"):
        query.page_size = _positive_int(
            params.get("page_size", ""), name="page_size", ceiling=PAGE_SIZE_MAX
        )
    dates = {
        name: parse_datetime(params.get(name, ""), name=name)
        for name in ("start_date", "end_date", "updated_after", "updated_before")
        if params.get(name)
    }
    query.updated_after = dates.get("updated_after")
    query.updated_before = dates.get("updated_before")
    if query.ids:
        return query
    start, end = dates.get("start_date"), dates.get("end_date")
    if start or end or not (query.updated_after or query.updated_before):
        query.start, query.end = _window(start, end, now=now)
    return query


# --- POST requests ---------------------------------------------------------------------


@dataclass
class RequestInput:
    """A checked ``POST requests``: everything :func:`linli.cases.services.case_report` needs."""

    category: CaseCategory
    description: str
    point: LatLng | None = None
    building: Building | None = None
    household: Household | None = None
    address: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    device_id: str = ""
    account_id: str = ""
    media_url: str = ""
    media: UploadedFile | None = None


def category_for(code: str, *, missing_status: int) -> CaseCategory:
    """The active, public category with ``code``.

    Raises:
        Open311Error: 400 without a code; ``missing_status`` (404 for a service definition,
            400 for a POST, as the spec lists) when no such public category exists.
    """
    code = (code or "").strip()
    if not code:
        raise Open311Error(400, "缺少 service_code")
    from linli.cases.open311.selectors import public_categories

    category = public_categories().filter(code=code).first()
    if category is None:
        if CaseCategory.objects.filter(code=code, active=True, open311_public=True).exists():
            raise Open311Error(
                missing_status, f"service_code {code[:20]} 是大类，请使用其下的具体类别"
            )
        raise Open311Error(missing_status, f"service_code 不存在：{code[:20]}")
    return category


def _short(params: QueryDict, name: str, *, max_length: int) -> str:
    value = (params.get(name) or "").strip()
    if len(value) > max_length:
        raise Open311Error(400, f"{name} 不能超过 {max_length} 个字符")
    return value


def _reporter(params: QueryDict) -> dict[str, Any]:
    first = _short(params, "first_name", max_length=25)
    last = _short(params, "last_name", max_length=25)
    # 姓在前 for Chinese names; "First Last" for Latin ones.
    name = f"{last}{first}" if not (first + last).isascii() else f"{first} {last}".strip()
    email = _short(params, "email", max_length=254)
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise Open311Error(400, f"email 格式不正确：{email[:40]}") from None
    phone = _short(params, "phone", max_length=30)
    if phone:
        try:
            phone = parse_phone(phone)
        except IdentityError as err:
            raise Open311Error(400, f"phone 不正确：{err}") from None
    return {"reporter_name": name, "reporter_phone": phone, "reporter_email": email}


def _media_url(params: QueryDict) -> str:
    url = _short(params, "media_url", max_length=500)
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise Open311Error(400, "media_url 不是有效的 http(s) 网址") from None
    return url


def building_by_address(address: str) -> Building | None:
    """The one building whose standard address is, or is contained in, ``address``.

    The most specific (longest) contained address wins; a tie or no match gives None.
    """
    text = normalize_text(address)
    if not text:
        return None
    exact = list(Building.objects.filter(address=text)[:2])
    if len(exact) == 1:
        return exact[0]
    if exact:
        return None
    contained = list(
        Building.objects.exclude(address="")
        .alias(given=Value(text))
        .filter(given__contains=F("address"))
        .annotate(address_length=Length("address"))
        .order_by("-address_length")[:2]
    )
    if not contained:
        return None
    if len(contained) == 2 and len(contained[1].address) == len(contained[0].address):
        return None
    return contained[0]


def _location(params: QueryDict) -> dict[str, Any]:
    """Point, building/household and address from ``lat``/``long``, ``address_id`` or
    ``address_string`` (matched against building addresses when alone)."""
    lat, lng = params.get("lat", "").strip(), params.get("long", "").strip()
    address = _short(params, "address_string", max_length=200)
    address_id = params.get("address_id", "").strip()
    result: dict[str, Any] = {"point": None, "building": None, "household": None}
    if lat or lng:
        if not (lat and lng):
            raise Open311Error(400, "lat 与 long 须同时提供")
        try:
            result["point"] = parse_lat_lng(lat, lng, crs=params.get("crs") or "wgs84")
        except GeoError as err:
            raise Open311Error(400, str(err)) from None
    if address_id:
        match = _ADDRESS_ID.match(address_id)
        if match is None:
            raise Open311Error(
                400, f"address_id 格式不正确：{address_id[:20]}（楼栋 B123，户 H456）"
            )
        pk = int(match["pk"])
        if match["kind"] in ("H", "h"):
            household = Household.objects.select_related("building").filter(pk=pk).first()
            if household is None:
                raise Open311Error(400, f"address_id 对应的户不存在：{address_id}")
            result["household"], result["building"] = household, household.building
        else:
            result["building"] = Building.objects.filter(pk=pk).first()
            if result["building"] is None:
                raise Open311Error(400, f"address_id 对应的楼栋不存在：{address_id}")
    if result["point"] is None and result["building"] is None:
        if not address:
            raise Open311Error(
                400, "请提供位置：lat 和 long、address_string 或 address_id 至少一项"
            )
        result["building"] = building_by_address(address)
        if result["building"] is None:
            raise Open311Error(
                400, f"无法根据地址确定位置：{address[:40]}（请同时提供 lat/long 或 address_id）"
            )
    building = result["building"]
    result["address"] = address or (building.address if building is not None else "")
    return result


def _attribute_values(params: QueryDict) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for key in params:
        match = _ATTRIBUTE_KEY.match(key)
        if match:
            given = [v for v in params.getlist(key) if v.strip()]
            values.setdefault(match[1], []).extend(given)
    return values


def _attribute_value(definition: dict[str, Any], given: list[str]) -> Any:
    code, datatype = str(definition["code"]), definition.get("datatype", "string")
    label = f"attribute[{code}]"
    keys = {str(v["key"]) for v in definition.get("values") or []}
    if datatype == "multivaluelist":
        unknown = [v for v in given if v not in keys]
        if unknown:
            raise Open311Error(400, f"{label} 的取值不在可选项中：{unknown[0][:20]}")
        return list(dict.fromkeys(given))
    if len(given) > 1:
        raise Open311Error(400, f"{label} 只能有一个值")
    raw = given[0]
    if datatype == "number":
        try:
            number = Decimal(raw.strip())
        except InvalidOperation:
            raise Open311Error(400, f"{label} 须为数字：{raw[:20]}") from None
        if not number.is_finite():
            raise Open311Error(400, f"{label} 须为有限数字")
        return int(number) if number == number.to_integral_value() else float(number)
    if datatype == "datetime":
        return timezone.localtime(parse_datetime(raw, name=label)).isoformat()
    if datatype == "singlevaluelist":
        if raw not in keys:
            raise Open311Error(400, f"{label} 的取值不在可选项中：{raw[:20]}")
        return raw
    max_length = MAX_DESCRIPTION if datatype == "text" else 200
    return clean_text(raw, field=label, label=label, max_length=max_length)


def parse_attributes(category: CaseCategory, params: QueryDict) -> dict[str, Any]:
    """Check ``attribute[CODE]`` (and ``attribute[CODE][]`` for lists) against the category.

    Raises:
        Open311Error: 400 for an unknown code, a value of the wrong datatype, a list key that
            is not offered, or a missing required attribute.
    """
    definitions = {str(d["code"]): d for d in category.open311_attributes}
    given = _attribute_values(params)
    for code in given:
        if code not in definitions or definitions[code].get("variable") is False:
            raise Open311Error(400, f"未知的附加问题 attribute[{code[:20]}]")
    attributes: dict[str, Any] = {}
    for code, definition in definitions.items():
        if given.get(code):
            attributes[code] = _attribute_value(definition, given[code])
        elif definition.get("required") and definition.get("variable", True):
            what = definition.get("description") or code
            raise Open311Error(400, f"缺少必填的附加问题 attribute[{code}]（{what}）")
    return attributes


def parse_request(params: QueryDict, files: Any) -> RequestInput:
    """Check a ``POST requests`` body (urlencoded or multipart).

    Raises:
        Open311Error: 400 for anything wrong (unknown service_code, no location, bad
            coordinates, bad attributes, over-long text); the description itself is
            checked by ``case_report`` (≤ 4,000 characters, tags stripped).
    """
    category = category_for(params.get("service_code", ""), missing_status=400)
    return RequestInput(
        category=category,
        description=params.get("description", ""),
        attributes=parse_attributes(category, params),
        device_id=_short(params, "device_id", max_length=100),
        account_id=_short(params, "account_id", max_length=100),
        media_url=_media_url(params),
        media=files.get("media") if files else None,
        **_location(params),
        **_reporter(params),
    )
