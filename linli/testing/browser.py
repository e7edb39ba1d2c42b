"""pytest plugin: Playwright on Debian's Chromium, axe-core checks, log-in helper.

Loaded for the whole suite from the root ``conftest.py``. Browser tests are marked
``@pytest.mark.browser``, use pytest-django's ``live_server`` and create their data inside
the test with ``@pytest.mark.django_db(transaction=True)``::

    @pytest.mark.browser
    @pytest.mark.django_db(transaction=True)
    def test_x(live_server, page, login, axe_check):
        login(page, live_server.url, user)           # through the real log-in form
        page.goto(live_server.url + "/")
        assert axe_check(page) == []                 # no serious/critical violations

Playwright cannot download browsers here: Chromium comes from Debian (``make browser-deps``)
and axe-core from npm (``node_modules/axe-core``). The plugin also serves static files
without WhiteNoise's manifest in every test (``collectstatic`` is not run for tests), so
templates using ``{% static %}`` render and ``live_server`` finds the files.

Every browser context (the ``page`` fixture's and those tests open with
``browser.new_context``) is watched for Content-Security-Policy violations: a "Refused to …"
console error fails the test (see docs/security.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]
#: axe-core impacts that fail a test; "minor" and "moderate" are left to review.
AXE_FAILING_IMPACTS = frozenset({"serious", "critical"})
TEST_PASSWORD = "pw-linli-test"  # set by linli.testing.factories.UserFactory


@pytest.fixture(autouse=True, scope="session")
def _static_root_exists() -> None:
    """WhiteNoise warns on every request when ``STATIC_ROOT`` is missing; tests never fill it."""
    from pathlib import Path

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _static_without_manifest(settings: Any) -> None:
    """Serve static files from the finders: tests do not run ``collectstatic``."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


#: CSP violations reported by the pages of the running test (filled by :func:`_watch_csp`).
_csp_violations: list[str] = []


def _watch_csp(context: Any) -> Any:
    """Record the CSP violations Chromium reports on ``context``'s console; returns it."""

    def on_console(message: Any) -> None:
        text = message.text
        if message.type == "error" and (
            "Content Security Policy" in text or text.startswith("Refused to")
        ):
            _csp_violations.append(text[:300])

    context.on("console", on_console)
    return context


class _CspWatchingBrowser:
    """The Playwright browser, whose new contexts and pages are watched by :func:`_watch_csp`."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_context(self, *args: Any, **kwargs: Any) -> Any:
        return _watch_csp(self._browser.new_context(*args, **kwargs))

    def new_page(self, *args: Any, **kwargs: Any) -> Any:
        page = self._browser.new_page(*args, **kwargs)
        _watch_csp(page.context)
        return page

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture(autouse=True)
def _no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a browser test whose pages broke the Content-Security-Policy."""
    if "browser" not in request.fixturenames:
        yield
        return
    _csp_violations.clear()
    yield
    if _csp_violations:
        found = list(dict.fromkeys(_csp_violations))
        _csp_violations.clear()
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(found), pytrace=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the session (fails, never skips, if missing).

    Playwright's sync API keeps an asyncio loop running in this thread, which makes
    Django refuse ORM calls from tests ("cannot call this from an async context"); the
    calls really are synchronous, so the check is switched off while the browser lives.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield _CspWatchingBrowser(chromium)
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page per test, Chinese locale, desktop size."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def _axe_source() -> str:
    path = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    return path.read_text(encoding="utf-8")


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core violations of impact serious or critical on the current page."""
    # Evaluated through the DevTools protocol: an added <script> tag would be inline, which
    # the page's CSP (rightly) refuses.
    page.evaluate(_axe_source())
    result = page.evaluate("async () => await axe.run(document)")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in AXE_FAILING_IMPACTS
    ]


@pytest.fixture
def axe_check() -> Callable[[Any], list[dict[str, Any]]]:
    """``axe_check(page)`` → serious/critical violations (``[]`` when the page passes)."""
    return run_axe


def log_in(page: Any, base_url: str, user: Any, password: str = TEST_PASSWORD) -> None:
    """Log ``user`` in through the real log-in form and wait for the redirect."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    if "/accounts/login/" in page.url:
        raise AssertionError(f"log-in as {user.username} failed: still on {page.url}")


@pytest.fixture
def login() -> Callable[..., None]:
    """``login(page, live_server.url, user)``: log in through the form."""
    return log_in


@pytest.fixture
def failed_responses(page: Any) -> list[str]:
    """Requests of the page that failed or answered 4xx/5xx (``["404 http://…"]``).

    Attached when the fixture is requested, so request it before navigating.
    """
    failures: list[str] = []

    def on_response(response: Any) -> None:
        if response.status >= 400:
            failures.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    page.on("requestfailed", lambda request: failures.append(f"failed {request.url}"))
    return failures


def resident_session(page: Any, base_url: str, user: Any) -> None:
    """Log a resident account in by putting a session cookie in ``page``'s context.

    The session is made as the one-time-code log-in makes it (``force_login`` plus the
    ``linli_resident`` flag), without going through the SMS form.
    """
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.session
    session["linli_resident"] = True
    session.save()
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base_url}
    page.context.add_cookies([cookie])


def set_elder(page: Any, base_url: str, on: bool) -> None:
    """Switch elder mode by its cookie (as ``/report/elder/`` sets it) and reload the page."""
    from linli.cases.views_public import ELDER_COOKIE

    page.context.add_cookies([{"name": ELDER_COOKIE, "value": "1" if on else "0", "url": base_url}])
    page.reload()
