"""``linli open311-key``: create prints the key once, list shows prefixes, revoke stops it."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from linli.cases.models import Open311Key
from linli.cases.tests.open311_support import URLS, Site, good_post, make_site

pytestmark = pytest.mark.urls(URLS)


@pytest.fixture
def site(db: None) -> Site:
    return make_site()


def run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("open311_key", *args, stdout=out, stderr=err)
    return out.getvalue()


def post_with(client: Client, site: Site, key: str) -> int:
    body = urlencode(good_post(site, api_key=key))
    response = client.post("/open311/v2/requests.json", body, "application/x-www-form-urlencoded")
    return response.status_code


def test_create_prints_a_key_that_is_stored_only_as_a_hash(client: Client, site: Site) -> None:
    key = run("create", "12345 热线对接").strip()
    row = Open311Key.objects.get(name="12345 热线对接")
    assert len(key) >= 40 and key.startswith(row.key_prefix)
    assert key not in row.key_hash
    assert post_with(client, site, key) == 201


def test_list_shows_prefix_name_and_state_never_the_key(site: Site) -> None:
    key = run("create", "网格通").strip()
    listing = run("list")
    assert key[:8] in listing and "网格通" in listing and "启用" in listing
    assert key not in listing


def test_revoke_stops_the_key_and_dry_run_does_not(client: Client, site: Site) -> None:
    key = run("create", "临时").strip()
    assert "将停用" in run("revoke", key[:8], "--dry-run")
    assert post_with(client, site, key) == 201
    assert "已停用" in run("revoke", key[:8])
    assert post_with(client, site, key) == 403
    assert "已停用" in run("list")


@pytest.mark.parametrize("args", [("revoke", "ab"), ("revoke", "zzzzzzzz"), ("create", " ")])
def test_bad_arguments_are_clear_errors(site: Site, args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError):
        run(*args)


def test_keys_never_start_with_a_dash_so_their_prefix_works_as_an_argument(db: None) -> None:
    """1 key in 64 would otherwise start with "-", which the revoke command reads as an option."""
    from linli.cases.open311.keys import open311_key_create

    keys = [open311_key_create(name=f"k{n}")[1] for n in range(400)]

    assert not [key for key in keys if key.startswith("-")]
