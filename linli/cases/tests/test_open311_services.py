"""Open311 discovery, services and service definitions, in JSON and XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from linli.cases.tests.open311_support import (
    URLS,
    Site,
    assert_valid,
    json_as_text,
    make_site,
    xml_items,
)

BASE = "/open311/v2"
pytestmark = pytest.mark.urls(URLS)


@pytest.fixture
def site(db: None) -> Site:
    return make_site()


def test_discovery_lists_the_v2_endpoint_in_both_formats(client: Client) -> None:
    data = client.get(f"{BASE}/discovery.json").json()
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    tree = ET.fromstring(client.get(f"{BASE}/discovery.xml").content)
    assert tree.tag == "discovery"
    formats = [f.text for f in tree.findall("endpoints/endpoint/formats/format")]
    assert formats == endpoint["formats"]


def test_services_lists_public_categories_with_group_and_metadata(
    client: Client, site: Site
) -> None:
    response = client.get(f"{BASE}/services.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services = response.json()
    assert_valid(services, "services.json")
    by_code = {s["service_code"]: s for s in services}
    assert "T105" in by_code
    assert "T901" not in by_code  # 独居老人异常 is not public
    assert by_code["T105"]["metadata"] is True
    assert by_code["T105"]["group"] == "市容环境"
    assert by_code["T105"]["type"] == "realtime"
    assert "市容环境" in by_code["T105"]["keywords"].split(",")


def test_only_leaf_categories_are_services(client: Client, site: Site) -> None:
    """A top class with subcategories is their ``group``, not a service; a top class
    without any (a community category) or whose subcategories are all hidden is one."""
    from linli.cases.models import CaseCategory, CategoryKind

    CaseCategory.objects.create(code="T3", name="漏水", kind=CategoryKind.COMMUNITY)
    lonely = CaseCategory.objects.create(code="T4", name="其他", kind=CategoryKind.EVENT)
    CaseCategory.objects.create(
        code="T401", name="隐藏子类", kind=CategoryKind.EVENT, parent=lonely, open311_public=False
    )

    codes = {s["service_code"] for s in client.get(f"{BASE}/services.json").json()}
    definition = client.get(f"{BASE}/services/T1.json")

    assert {"T105", "T3", "T4"} <= codes
    assert not {"T1", "T401"} & codes
    assert "SJ01" not in codes and "SJ0101" in codes  # seeded GB/T 30428 class and item
    assert "SQ04" in codes  # seeded community category (no subcategories)
    assert definition.status_code == 404
    assert "大类" in definition.json()[0]["description"]


def test_services_xml_carries_the_same_content(client: Client, site: Site) -> None:
    services = client.get(f"{BASE}/services.json").json()
    response = client.get(f"{BASE}/services.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    items = xml_items(response.content, "services", "service")
    assert items == [json_as_text(s) for s in services]


def test_service_definition_gives_every_datatype_in_order(client: Client, site: Site) -> None:
    definition = client.get(f"{BASE}/services/T105.json").json()
    assert_valid(definition, "service-definition.json")
    attributes = definition["attributes"]
    assert [a["datatype"] for a in attributes] == [
        "string",
        "number",
        "datetime",
        "text",
        "singlevaluelist",
        "multivaluelist",
        "string",
    ]
    assert [a["order"] for a in attributes] == [1, 2, 3, 4, 5, 6, 7]
    assert attributes[4]["values"] == [
        {"key": "debris", "name": "建筑垃圾"},
        {"key": "furniture", "name": "废旧家具"},
    ]
    assert attributes[0]["required"] is True and attributes[6]["variable"] is False


def test_service_definition_xml_matches_json(client: Client, site: Site) -> None:
    definition = client.get(f"{BASE}/services/T105.json").json()
    tree = ET.fromstring(client.get(f"{BASE}/services/T105.xml").content)
    assert tree.tag == "service_definition"
    assert tree.findtext("service_code") == "T105"
    xml_attributes = xml_items(ET.tostring(tree.find("attributes")), "attributes", "attribute")  # type: ignore[arg-type]
    assert xml_attributes == [json_as_text(a) for a in definition["attributes"]]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_or_hidden_service_code_is_404_error_array(
    client: Client, site: Site, fmt: str
) -> None:
    for code in ("7777", "T901"):
        response = client.get(f"{BASE}/services/{code}.{fmt}")
        assert response.status_code == 404
        if fmt == "json":
            assert response.json() == [{"code": 404, "description": f"service_code 不存在：{code}"}]
        else:
            tree = ET.fromstring(response.content)
            assert tree.tag == "errors"
            assert tree.findtext("error/code") == "404"


@pytest.mark.parametrize("path", ["discovery", "services", "services/T105", "requests"])
def test_wrong_jurisdiction_is_404(client: Client, site: Site, path: str) -> None:
    response = client.get(f"{BASE}/{path}.json", {"jurisdiction_id": "beijing.gov.cn"})
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404
    ours = client.get(f"{BASE}/{path}.json", {"jurisdiction_id": "jinfeng.yinchuan.gov.cn"})
    assert ours.status_code == 200


def test_other_formats_are_not_served(client: Client, site: Site) -> None:
    assert client.get(f"{BASE}/services.html").status_code == 404
