"""API fuzzing in CI (issue 10): schemathesis against the REST API and Open311, no 5xx.

The engine is ``benchmarks/fuzz.py`` (``linli bench fuzz`` runs it longer): every
operation of ``/api/schema/`` (as a street administrator's token) and of
``linli/cases/open311/openapi.yaml`` gets :data:`EXAMPLES` generated requests, valid and
invalid, derandomized (the same requests every run), in-process through the WSGI app.
Budget: under 90 s on SQLite on the CI machine.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from linli.cases.tests.lifecycle import fast_passwords  # noqa: F401

pytestmark = [pytest.mark.usefixtures("fast_passwords"), pytest.mark.django_db]
EXAMPLES = 10


def _engine() -> Any:
    name = "linli_bench_fuzz_for_tests"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(settings.BASE_DIR) / "benchmarks" / "fuzz.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_no_server_errors_and_responses_match_the_schemas() -> None:
    from linli.wsgi import application

    engine = _engine()
    scene = engine.build_scene()
    stats = engine.fuzz(scene, application, max_examples=EXAMPLES)
    # Every REST operation and the six Open311 ones were exercised, each more than once.
    assert stats.operations >= 40
    assert stats.requests >= stats.operations * 2
    assert stats.server_errors == [], stats.server_errors
    assert stats.failures == [], stats.failures


def test_the_open311_document_lists_every_open311_route() -> None:
    """The hand-written OpenAPI document covers each Open311 URL pattern (JSON form)."""
    import yaml

    from linli.cases.open311 import urls

    document = yaml.safe_load((Path(settings.BASE_DIR) / _engine().OPEN311_SPEC).read_text())
    paths = set(document["paths"])
    for pattern in urls.urlpatterns:
        route = str(pattern.pattern).removeprefix("^").split("(?P<fmt>")[0]  # type: ignore[union-attr]
        stem = route.split("/")[0].removesuffix(r"\.")
        assert any(p.startswith(f"/open311/v2/{stem}") for p in paths), route
