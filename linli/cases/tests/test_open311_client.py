"""A third-party Open311 client (``georeport`` from PyPI) against a live Linli, JSON and XML.

``georeport`` only reads (services, service definitions, requests); the POST is sent with
``requests``, as such a client would, to the same live server.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from georeport import GeoReport

from linli.cases.tests.open311_support import good_post, make_site

# The real URL map (linli.urls), so this also checks where Open311 is mounted.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_services_and_requests(live_server: Any, fmt: str) -> None:
    site = make_site()
    root = f"{live_server.url}/open311/v2"
    created = requests.post(f"{root}/requests.json", data=good_post(site), timeout=10)
    assert created.status_code == 201, created.text
    number = created.json()[0]["service_request_id"]

    client = GeoReport(root, jurisdiction="jinfeng.yinchuan.gov.cn", output_format=fmt)
    services = client.get_service_list()
    services = [services] if isinstance(services, dict) else services  # xmltodict: lone item
    codes = [s["service_code"] for s in services]
    assert "T105" in codes and "T901" not in codes
    definition = client.get_service_definition("T105")
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    assert [a["code"] for a in attributes][:2] == ["where", "volume"]
    listed = client.get_service_requests(service_code="T105", status="open")
    one = listed if isinstance(listed, dict) else listed[0]  # xmltodict: a lone item is a dict
    assert one["service_request_id"] == number
    assert client.get_service_request(number)["status"] == "open"


def test_georeport_client_sees_a_wrong_jurisdiction_as_an_http_error(live_server: Any) -> None:
    make_site()
    client = GeoReport(f"{live_server.url}/open311/v2", jurisdiction="elsewhere.gov.cn")
    with pytest.raises(requests.HTTPError) as raised:
        client.get_service_list()
    assert raised.value.response.status_code == 404
