"""Sensitive groups are visible only to roles that need them (issue #10, Personal information).

PIPL art. 28 sensitive data — disability, dibao, tekun, left-behind minors — is shown only
to :func:`linli.people.scoping.can_view_sensitive` users (superusers, ``people.view_sensitive``,
:data:`linli.people.models.SENSITIVE_ROLES`). The police role may browse the registry
(:data:`linli.people.scoping.REGISTRY_ROLES`) but not those tags; roles outside the registry
(property, providers, enterprise contacts, social enterprises, volunteers) see no resident
list at all. Each test has a control: a grid worker of the same community sees what the
police officer must not, so a test cannot pass because the data is simply absent.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from openpyxl import load_workbook

from linli.cockpit.kpis import NO_RIGHT
from linli.people.models import Resident, Role
from linli.places.models import Area
from linli.testing.factories import ResidentFactory, staff_user

pytestmark = pytest.mark.django_db

SENSITIVE_LABELS = ("残疾", "低保", "特困", "留守儿童")
NOT_REGISTRY = (
    Role.PROPERTY_STAFF,
    Role.PROVIDER_STAFF,
    Role.ENTERPRISE_CONTACT,
    Role.SOCIAL_ENTERPRISE_STAFF,
    Role.VOLUNTEER,
)


@pytest.fixture
def people(areas: dict[str, Area]) -> dict[str, Any]:
    """One resident per sensitive group in the test micro-grid, and one without tags."""
    return {
        "disabled": ResidentFactory(name="甘春华", disabled=True),
        "dibao": ResidentFactory(name="甘秋实", dibao=True),
        "tekun": ResidentFactory(name="甘冬青", tekun=True),
        "minor": ResidentFactory(
            name="甘小满", left_behind_child=True, birth_date=dt.date(2016, 3, 4)
        ),
        "plain": ResidentFactory(name="甘夏至"),
    }


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def police(areas: dict[str, Area]) -> Client:
    return login(staff_user(areas["community"], Role.POLICE))


@pytest.fixture
def grid_worker(areas: dict[str, Area]) -> Client:
    return login(staff_user(areas["community"], Role.GRID_WORKER))


def _row_tags(client: Client, code: str) -> dict[str, list[str]]:
    response = client.get("/people/", {"area": code})
    assert response.status_code == 200
    return {r["resident"].name: list(r["tags"]) for r in response.context["rows"]}


def test_registry_list_shows_sensitive_tags_only_to_sensitive_roles(
    areas: dict[str, Area], people: dict[str, Resident], police: Client, grid_worker: Client
) -> None:
    """Given a resident of each group, when the police and a grid worker open /people/,
    then both see the residents but only the grid worker sees their sensitive tags."""
    code = areas["community"].code
    seen = _row_tags(police, code)
    assert {r.name for r in people.values()} <= set(seen)
    assert not [t for tags in seen.values() for t in tags if t.startswith(SENSITIVE_LABELS)]
    control = _row_tags(grid_worker, code)
    assert any(t.startswith("残疾") for t in control["甘春华"])
    assert "低保" in control["甘秋实"] and "留守儿童" in control["甘小满"]


@pytest.mark.parametrize("tag", ["disabled", "dibao", "tekun", "left_behind_child"])
def test_a_sensitive_tag_filter_is_refused_to_the_police(
    areas: dict[str, Area],
    people: dict[str, Resident],
    police: Client,
    grid_worker: Client,
    tag: str,
) -> None:
    """Given the police, when /people/?tag=<sensitive> is asked, then 403 and no name: who
    is disabled or on dibao is not revealed by filtering either."""
    query = {"area": areas["community"].code, "tag": tag}
    response = police.get("/people/", query)
    assert response.status_code == 403
    body = response.content.decode()
    assert not [r.name for r in people.values() if r.name in body]
    assert grid_worker.get("/people/", query).status_code == 200


def _xlsx_text(response: Any) -> str:
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(
        " ".join(str(c) for c in row if c is not None)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    )


def test_registry_export_carries_sensitive_tags_only_for_sensitive_roles(
    areas: dict[str, Area], people: dict[str, Resident], police: Client, grid_worker: Client
) -> None:
    """Given the list as .xlsx, then the police's workbook names the residents without a
    sensitive tag; the grid worker's carries them."""
    query = {"area": areas["community"].code, "format": "xlsx"}
    text = _xlsx_text(police.get("/people/", query))
    assert "甘春华" in text and "甘秋实" in text
    assert not [label for label in SENSITIVE_LABELS if label in text]
    control = _xlsx_text(grid_worker.get("/people/", query))
    assert "残疾" in control and "低保" in control


def test_api_hides_sensitive_tags_and_refuses_their_filter(
    areas: dict[str, Area], people: dict[str, Resident], police: Client, grid_worker: Client
) -> None:
    """Given /api/residents/, then the police get no sensitive tag in list or detail and a
    refusal for ``?tag=dibao``; the grid worker gets the tags."""
    code = areas["community"].code
    query: dict[str, Any] = {"area": code, "page_size": 100}
    listing = police.get("/api/residents/", query).json()
    tags = [t for row in listing["results"] for t in row["tags"]]
    assert tags == [] or not set(tags) & {"disabled", "dibao", "tekun", "left_behind_child"}
    detail = police.get(f"/api/residents/{people['disabled'].pk}/").json()
    assert "disabled" not in detail["tags"]
    assert police.get("/api/residents/", {"tag": "dibao"}).status_code in (400, 403)
    control = grid_worker.get(f"/api/residents/{people['disabled'].pk}/").json()
    assert "disabled" in control["tags"]


def test_area_tree_counts_hide_disabled_and_dibao(
    areas: dict[str, Area], people: dict[str, Resident], police: Client, grid_worker: Client
) -> None:
    """Given the area tree API, then the police's counts have no 残疾/低保 figures."""

    def counts(client: Client) -> list[dict[str, Any]]:
        response = client.get("/api/areas/tree/")
        assert response.status_code == 200
        found: list[dict[str, Any]] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if isinstance(node.get("counts"), dict):
                    found.append(node["counts"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(response.json())
        assert found
        return found

    assert not [c for c in counts(police) if "disabled" in c or "dibao" in c]
    assert any(c.get("disabled") for c in counts(grid_worker))


def _figures(client: Client, code: str, label: str) -> list[dict[str, Any]]:
    response = client.get("/cockpit/kpis/panels.json", {"area": code})
    assert response.status_code == 200
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("label") == label:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(response.content))
    assert found, f"no figure {label}"
    return found


def test_cockpit_kpis_read_no_right_for_sensitive_counts(
    areas: dict[str, Area], people: dict[str, Resident], police: Client, grid_worker: Client
) -> None:
    """Given the cockpit's 人口 panel, then 残疾/低保 read 无权查看 for the police and
    give the count to the grid worker."""
    code = areas["community"].code
    for label in ("残疾", "低保"):
        assert all(
            NO_RIGHT in json.dumps(f, ensure_ascii=False) for f in _figures(police, code, label)
        )
        control = _figures(grid_worker, code, label)
        assert not any(NO_RIGHT in json.dumps(f, ensure_ascii=False) for f in control)


def test_admin_person_page_hides_sensitive_fields(
    areas: dict[str, Area], people: dict[str, Resident]
) -> None:
    """Given the admin's resident page, then the police see no sensitive field; a
    superuser sees them (control)."""
    url = f"/admin/people/resident/{people['disabled'].pk}/change/"
    officer = login(staff_user(areas["community"], Role.POLICE))
    response = officer.get(url)
    assert response.status_code in (200, 302, 403, 404)
    if response.status_code == 200:
        fields = set(response.context["adminform"].form.fields)
        assert not fields & {"disabled", "disability_level", "dibao", "tekun", "left_behind_child"}
        assert "残疾" not in response.content.decode()
    root = login(User.objects.create_superuser("sensitive-root", password="x"))
    assert "disabled" in root.get(url).context["adminform"].form.fields


@pytest.mark.parametrize("role", NOT_REGISTRY)
def test_roles_outside_the_registry_see_no_resident(
    areas: dict[str, Area], people: dict[str, Resident], role: str
) -> None:
    """Given a role whose work does not need the registry, then the list, its export and
    the API answer without any resident's name."""
    client = login(staff_user(areas["community"], role))
    code = areas["community"].code
    for path, query in (
        ("/people/", {"area": code}),
        ("/people/", {"area": code, "format": "xlsx"}),
        ("/api/residents/", {"area": code}),
        ("/api/residents/", {"tag": "disabled"}),
    ):
        response = client.get(path, query)
        assert response.status_code in (302, 403, 404), (role, path, response.status_code)
        body = response.content.decode("utf-8", "replace")
        assert not [r.name for r in people.values() if r.name in body]
