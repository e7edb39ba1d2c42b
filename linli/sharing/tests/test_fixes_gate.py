"""Fixes of the gate API: a wrong method gets 405 with a JSON error and an ``Allow``
header (not an empty HTML page), and nothing is written."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from linli.sharing.models import GateEvent
from linli.sharing.tests.test_gate_api import key  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "name", "allow", "error"),
    [
        ("delete", "parking_gate:check", "GET", "请用 GET 查询"),
        ("get", "parking_gate:pass", "POST", "请用 POST 上报"),
        ("post", "parking_gate:check", "GET", "请用 GET 查询"),
        ("post", "parking_gate:ping", "GET", "请用 GET 查询"),
        ("put", "parking_gate:pass", "POST", "请用 POST 上报"),
    ],
)
def test_a_wrong_method_gets_a_json_405(
    client: Client,
    key: str,  # noqa: F811
    method: str,
    name: str,
    allow: str,
    error: str,
) -> None:
    body = json.dumps({"lot": "p1", "plate": "宁A12345", "direction": "in"})
    headers = {"X-Gate-Key": key}
    if method == "get":
        response = client.get(reverse(name), headers=headers)
    else:
        response = getattr(client, method)(
            reverse(name), body, content_type="application/json", headers=headers
        )
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == allow
    assert response.json() == {"error": error}
    assert not GateEvent.objects.exists()
