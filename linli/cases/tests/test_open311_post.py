"""Open311 ``POST requests``: keys, locations, attributes, text, media — good and bad."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import encode_multipart
from PIL import Image

from linli.cases.models import Case, CaseChannel, CasePhoto, Open311Key
from linli.cases.tests.open311_support import (
    INSIDE,
    OUTSIDE,
    URLS,
    Site,
    assert_valid,
    good_post,
    make_site,
)

URL = "/open311/v2/requests.json"
pytestmark = pytest.mark.urls(URLS)


@pytest.fixture
def site(db: None) -> Site:
    return make_site()


def post(client: Client, body: dict[str, Any], url: str = URL) -> Any:
    """urlencoded, as most Open311 clients send it."""
    from urllib.parse import urlencode

    return client.post(url, urlencode(body, doseq=True), "application/x-www-form-urlencoded")


def error_of(response: Any, status: int) -> str:
    assert response.status_code == status, response.content
    errors = response.json()
    assert len(errors) == 1 and errors[0]["code"] == status
    return str(errors[0]["description"])


def png(size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_post_and_get_notices_give_the_due_time_the_same_human_way(
    client: Client, site: Site
) -> None:
    from django.utils import timezone

    created = post(client, good_post(site)).json()[0]
    case = Case.objects.get()
    listed = client.get(f"/open311/v2/requests/{case.number}.json").json()[0]

    due = f"{timezone.localtime(case.due_at):%Y-%m-%d %H:%M}"  # e.g. 2026-11-30 10:30
    assert created["service_notice"] == f"已受理，编号 {case.number}；立案时限 {due}"
    assert listed["service_notice"].endswith(f"办理时限 {due}")
    assert "T" not in created["service_notice"].split("时限 ")[1]  # no ISO "T…+08:00"


def test_posting_to_a_top_class_with_subcategories_is_refused(client: Client, site: Site) -> None:
    description = error_of(post(client, good_post(site, service_code=site.top.code)), 400)

    assert "大类" in description
    assert not Case.objects.exists()


# --- api_key ---------------------------------------------------------------------------


def test_a_good_request_files_an_open311_case_and_answers_its_number(
    client: Client, site: Site
) -> None:
    response = post(client, good_post(site, account_id="acc-7", email="a@example.cn"))
    assert response.status_code == 201
    [row] = response.json()
    case = Case.objects.get()
    assert row["service_request_id"] == case.number
    assert row["account_id"] == "acc-7"
    assert case.number in row["service_notice"]
    assert case.channel == CaseChannel.OPEN311
    assert case.area == site.areas["micro_grid"]
    assert case.attributes["where"] == "1单元楼道" and case.attributes["kind"] == "debris"
    assert case.reporter_email == "a@example.cn"
    site.key.refresh_from_db()
    assert site.key.last_used_at is not None


@pytest.mark.parametrize("key", [None, "", "not-a-key"])
def test_missing_or_unknown_api_key_is_403(client: Client, site: Site, key: str | None) -> None:
    error_of(post(client, good_post(site, api_key=key)), 403)
    assert not Case.objects.exists()


def test_a_revoked_key_is_refused(client: Client, site: Site) -> None:
    Open311Key.objects.filter(pk=site.key.pk).update(active=False)
    error_of(post(client, good_post(site)), 403)


def test_post_needs_no_csrf_token(site: Site) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, good_post(site)).status_code == 201


def test_xml_response_is_a_service_requests_document(client: Client, site: Site) -> None:
    response = post(client, good_post(site), url="/open311/v2/requests.xml")
    assert response.status_code == 201
    tree = ET.fromstring(response.content)
    assert tree.tag == "service_requests"
    assert tree.findtext("request/service_request_id") == Case.objects.get().number
    forbidden = post(client, good_post(site, api_key="x"), url="/open311/v2/requests.xml")
    assert forbidden.status_code == 403
    assert ET.fromstring(forbidden.content).findtext("error/code") == "403"


# --- service code and location -------------------------------------------------------------


@pytest.mark.parametrize("code", ["", "7777", "T901"])
def test_unknown_missing_or_hidden_service_code_is_400(
    client: Client, site: Site, code: str
) -> None:
    assert "service_code" in error_of(post(client, good_post(site, service_code=code)), 400)
    assert not Case.objects.exists()


def test_gcj02_coordinates_are_converted_to_wgs84(client: Client, site: Site) -> None:
    from linli.common.geo import LatLng, wgs84_to_gcj02

    mars = wgs84_to_gcj02(LatLng(*INSIDE))
    body = good_post(site, lat=str(mars.lat), long=str(mars.lng), crs="gcj02")
    assert post(client, body).status_code == 201
    case = Case.objects.get()
    assert abs(float(case.lat) - INSIDE[0]) < 1e-5 and abs(float(case.lng) - INSIDE[1]) < 1e-5


@pytest.mark.parametrize("form", ["B{b}", "{b}", "H{h}"])
def test_address_id_locates_by_building_or_household(client: Client, site: Site, form: str) -> None:
    address_id = form.format(b=site.building.pk, h=site.household.pk)
    body = good_post(site, lat=None, long=None, address_id=address_id)
    assert post(client, body).status_code == 201
    case = Case.objects.get()
    assert case.building == site.building
    assert case.household == (site.household if form.startswith("H") else None)
    assert case.address == site.building.address


def test_address_string_alone_is_matched_to_a_building(client: Client, site: Site) -> None:
    body = good_post(site, lat=None, long=None, address_string="宁夏银川市金凤区测试路1号3号楼")
    assert post(client, body).status_code == 201
    assert Case.objects.get().building == site.building


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"lat": None, "long": None}, "请提供位置"),
        ({"lat": None, "long": None, "address_string": "北京市某路"}, "无法根据地址确定位置"),
        ({"lat": None, "long": None, "address_id": "B999999"}, "楼栋不存在"),
        ({"lat": None, "long": None, "address_id": "H999999"}, "户不存在"),
        ({"lat": None, "long": None, "address_id": "room-3"}, "address_id 格式不正确"),
        ({"lat": "91", "long": "106.2"}, "坐标超出范围"),
        ({"lat": "abc", "long": "106.2"}, "坐标不是数字"),
        ({"long": None}, "lat 与 long 须同时提供"),
        ({"lat": str(OUTSIDE[0]), "long": str(OUTSIDE[1])}, "不在本平台管辖的网格内"),
        ({"crs": "bd09"}, "不支持的坐标系"),
    ],
)
def test_missing_or_bad_location_is_400_and_writes_nothing(
    client: Client, site: Site, extra: dict[str, Any], words: str
) -> None:
    assert words in error_of(post(client, good_post(site, **extra)), 400)
    assert not Case.objects.exists()


# --- attributes ------------------------------------------------------------------------------


def test_every_datatype_is_stored_in_its_own_shape(client: Client, site: Site) -> None:
    body = good_post(
        site,
        **{
            "attribute[volume]": "2.5",
            "attribute[seen_at]": "2026-07-07T01:30:00Z",
            "attribute[details]": "很多" * 300,
            "attribute[hazards][]": ["fire", "smell", "fire"],
        },
    )
    assert post(client, body).status_code == 201
    attributes = Case.objects.get().attributes
    assert attributes["volume"] == 2.5
    assert attributes["seen_at"] == "2026-07-07T09:30:00+08:00"
    assert len(attributes["details"]) == 600
    assert attributes["hazards"] == ["fire", "smell"]


def test_repeated_attribute_without_brackets_also_fills_a_multivaluelist(
    client: Client, site: Site
) -> None:
    assert post(client, good_post(site, **{"attribute[hazards]": ["smell"]})).status_code == 201
    assert Case.objects.get().attributes["hazards"] == ["smell"]


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"attribute[volume]": "两方"}, "attribute[volume] 须为数字"),
        ({"attribute[volume]": "NaN"}, "须为有限数字"),
        ({"attribute[seen_at]": "昨天下午"}, "不是 ISO-8601 时间"),
        ({"attribute[kind]": "gold"}, "attribute[kind] 的取值不在可选项中"),
        ({"attribute[hazards][]": ["fire", "flood"]}, "attribute[hazards] 的取值不在可选项中"),
        ({"attribute[kind]": None}, "缺少必填的附加问题 attribute[kind]"),
        ({"attribute[where]": "  "}, "缺少必填的附加问题 attribute[where]"),
        ({"attribute[colour]": "red"}, "未知的附加问题 attribute[colour]"),
        ({"attribute[note]": "x"}, "未知的附加问题 attribute[note]"),
        ({"attribute[where]": "长" * 201}, "不能超过 200 个字符"),
        ({"attribute[kind]": ["debris", "furniture"]}, "只能有一个值"),
    ],
)
def test_bad_attribute_values_are_400(
    client: Client, site: Site, extra: dict[str, Any], words: str
) -> None:
    assert words in error_of(post(client, good_post(site, **extra)), 400)
    assert not Case.objects.exists()


# --- text and contact fields -----------------------------------------------------------------


def test_description_over_4000_characters_is_400(client: Client, site: Site) -> None:
    assert "4000" in error_of(post(client, good_post(site, description="堆" * 4001)), 400)
    assert not Case.objects.exists()
    assert post(client, good_post(site, description="堆" * 4000)).status_code == 201


def test_script_in_description_is_never_returned_as_markup(client: Client, site: Site) -> None:
    body = good_post(site, description='楼道堆物<script>alert("x")</script><b>快来</b> & 谢谢')
    number = post(client, body).json()[0]["service_request_id"]
    as_json = client.get(f"/open311/v2/requests/{number}.json")
    as_xml = client.get(f"/open311/v2/requests/{number}.xml")
    for response in (as_json, as_xml):
        assert b"<script" not in response.content and b"<b>" not in response.content
    description = as_json.json()[0]["description"]
    assert "<" not in description and "& 谢谢" in description
    assert ET.fromstring(as_xml.content).findtext("request/description") == description
    assert b"\\u0026" in as_json.content  # & escaped in JSON too


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"email": "not-an-email"}, "email 格式不正确"),
        ({"phone": "12345"}, "phone 不正确"),
        ({"media_url": "javascript:alert(1)"}, "media_url 不是有效"),
        ({"first_name": "名" * 26}, "first_name 不能超过"),
        ({"device_id": "d" * 101}, "device_id 不能超过"),
    ],
)
def test_bad_contact_fields_are_400(
    client: Client, site: Site, extra: dict[str, Any], words: str
) -> None:
    assert words in error_of(post(client, good_post(site, **extra)), 400)


def test_names_and_phone_go_to_the_reporter_fields(client: Client, site: Site) -> None:
    body = good_post(site, first_name="小明", last_name="王", phone="+86 139-1234-5678")
    assert post(client, body).status_code == 201
    case = Case.objects.get()
    assert (case.reporter_name, case.reporter_phone) == ("王小明", "13912345678")


# --- media -----------------------------------------------------------------------------------


def multipart(client: Client, body: dict[str, Any]) -> Any:
    boundary = "BoUnDaRy"
    return client.post(
        URL, encode_multipart(boundary, body), f"multipart/form-data; boundary={boundary}"
    )


def test_multipart_with_an_image_stores_a_public_photo(client: Client, site: Site) -> None:
    media = SimpleUploadedFile("p.png", png(), content_type="image/png")
    response = multipart(client, {**good_post(site), "media": media})
    assert response.status_code == 201, response.content
    photo = CasePhoto.objects.get()
    number = response.json()[0]["service_request_id"]
    [shown] = client.get(f"/open311/v2/requests/{number}.json").json()
    assert shown["media_url"] == f"http://testserver{photo.public_image.url}"
    assert_valid([shown], "requests.json")


def test_a_non_image_upload_is_400_and_files_nothing(client: Client, site: Site) -> None:
    media = SimpleUploadedFile("p.png", b"%PDF-1.4 not an image", content_type="image/png")
    response = multipart(client, {**good_post(site), "media": media})
    assert "图片" in error_of(response, 400)
    assert not Case.objects.exists() and not CasePhoto.objects.exists()


def test_an_external_media_url_is_shown_back(client: Client, site: Site) -> None:
    url = "https://img.example.cn/p/1.jpg"
    number = post(client, good_post(site, media_url=url)).json()[0]["service_request_id"]
    assert client.get(f"/open311/v2/requests/{number}.json").json()[0]["media_url"] == url


def test_token_maps_to_the_request_id(client: Client, site: Site) -> None:
    number = post(client, good_post(site)).json()[0]["service_request_id"]
    assert client.get(f"/open311/v2/tokens/{number}.json").json() == [
        {"service_request_id": number, "token": number}
    ]
    error_of(client.get("/open311/v2/tokens/640106-20000101-9999.json"), 404)


def test_an_upload_over_10_mb_is_400(client: Client, site: Site) -> None:
    media = SimpleUploadedFile("big.png", png() + b"\0" * (10 * 1024 * 1024), "image/png")
    assert "10 MB" in error_of(multipart(client, {**good_post(site), "media": media}), 400)
    assert not Case.objects.exists()
