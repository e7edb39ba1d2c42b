"""Test-wide set-up: the canonical actors (the throwaway var/ dir: linli/testing/pytest_env.py).

Every scoping test uses three actors: ``assigned`` (a micro-grid worker of the area under
test), ``elsewhere`` (the same role in another street) and an anonymous ``client``.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["linli.testing.browser"]


def pytest_configure(config):  # type: ignore[no-untyped-def]
    """Test users' passwords are hashed with MD5 first: Argon2 costs ~0.5 s a user and test
    passwords are never attacked. Production hashers stay after it (and are proven by
    linli/accounts/tests/test_passwords.py against the unmodified settings module)."""
    from django.conf import settings

    md5 = "django.contrib.auth.hashers.MD5PasswordHasher"
    settings.PASSWORD_HASHERS = [md5, *settings.PASSWORD_HASHERS]
    # Test databases are thrown away: their commits need not wait for the WAL to reach the
    # disk (a session setting of the test connections only; the server's own configuration
    # is untouched). Transactional and browser tests commit and TRUNCATE a lot.
    # A transactional test ends with a flush of every table, seed rows included; Django then
    # sends post_migrate, so the seed migrations' rows come back for the tests after it.
    from django.db.models.signals import post_migrate

    post_migrate.connect(_reseed_after_flush, dispatch_uid="linli.tests.reseed")
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        options = db.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()


def _reseed_after_flush(sender, app_config=None, **kwargs):  # type: ignore[no-untyped-def]
    """After a flush (or migrate): the seed migrations' rows again, once (not per app)."""
    if app_config is not None and app_config.label == "cockpit":
        from linli.testing.seeds import reseed

        reseed()


@pytest.fixture(autouse=True)
def _fresh_work_calendar():  # type: ignore[no-untyped-def]
    """A rolled-back calendar override must not leak into the next test's cache."""
    yield
    from linli.common import workcalendar

    workcalendar.forget()


@pytest.fixture
def areas(db):  # type: ignore[no-untyped-def]
    """The area chain under street 640106001 (``areas["micro_grid"]`` etc.)."""
    from linli.testing.factories import area_chain

    return area_chain()


@pytest.fixture
def other_areas(db):  # type: ignore[no-untyped-def]
    """A second, unrelated chain under street 640106002."""
    from linli.testing.factories import area_chain

    return area_chain("640106002", name="别处")


@pytest.fixture
def assigned(areas):  # type: ignore[no-untyped-def]
    from linli.testing.factories import staff_user

    return staff_user(areas["micro_grid"])


@pytest.fixture
def elsewhere(other_areas):  # type: ignore[no-untyped-def]
    from linli.testing.factories import staff_user

    return staff_user(other_areas["micro_grid"])


@pytest.fixture
def community_admin(areas):  # type: ignore[no-untyped-def]
    from linli.people.models import Role
    from linli.testing.factories import staff_user

    return staff_user(areas["community"], Role.COMMUNITY_ADMIN)
