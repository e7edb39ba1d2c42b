"""API fuzzing: ``linli bench fuzz`` (issue 10, "Proof").

Every operation of the REST API (the OpenAPI schema drf-spectacular serves at
``/api/schema/``) and of the Open311 GeoReport v2 endpoints (described by hand in
``linli/cases/open311/openapi.yaml``: they are plain Django views) is called in-process
through the WSGI application with requests that schemathesis generates from the schema,
valid (``positive``) and invalid (``negative``) ones. The REST calls carry the token of a
street administrator of a small built street (:func:`build_scene`), so every scoped query runs;
path parameters and some body fields are, in about half the examples, replaced by values
that exist (an area code, a building, a resident, a case number, the Open311 key…), so
the generated bodies also reach the code behind a found object.

Each response goes through the checks :data:`CHECKS`: ``not_a_server_error`` (any 5xx is a
bug, counted in ``server_errors``), ``response_schema_conformance`` and
``content_type_conformance`` (a documented status whose body or type does not match the
schema: counted in ``failures``; a path that no URL pattern matches — e.g. a case number
outside its documented pattern — is answered by Django's own 404 page and gets only the
5xx check). Failures are collected, not raised, so one run lists all
of them; examples are drawn with ``derandomize=True`` (the same requests every run) unless
``--seed`` picks another draw, and are not shrunk.

Used by ``linli/common/tests/test_fuzz_api.py`` (a few examples per operation, CI) and by
``linli bench fuzz`` (:data:`MAX_EXAMPLES` per operation, in a THROWAWAY database created as
Django's test runner does it: ``test_<name>`` on PostgreSQL when ``DATABASE_URL`` points
there, else an in-memory SQLite one). ``--scenario FILE.json`` may set
``{"max_examples": 200}``; ``--seed N`` changes the drawn requests.

Figures: ``operations``, ``requests``, ``server_errors``, ``failures`` (counts), then
``server_error_list`` / ``failure_list`` (``"; "``-joined, ``"none"`` when empty),
``max_examples`` and ``database``.
"""

from __future__ import annotations

import json
import random
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import OutputWrapper
from django.db import connection

MAX_EXAMPLES = 150
#: The OpenAPI document of the Open311 endpoints, relative to ``settings.BASE_DIR``.
OPEN311_SPEC = Path("linli") / "cases" / "open311" / "openapi.yaml"
SCHEMA_URL = "/api/schema/"


@dataclass
class Scene:
    """What :func:`build_scene` built: the REST token and real values by parameter name.

    ``values["path"]`` maps an operation's path template (``/api/cases/{number}/``) to
    ``{parameter: [real values]}``; ``values["body"]`` maps a body field name to real
    values (used for every operation whose body has that field).
    """

    token: str
    api_key: str
    path_values: dict[str, dict[str, list[str]]]
    body_values: dict[str, list[Any]]


@dataclass
class Stats:
    """A fuzz run's tallies; the lists hold one line per distinct problem."""

    operations: int = 0
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: The first example of each problem line: what schemathesis said (with a curl line).
    details: dict[str, str] = field(default_factory=dict)

    def add(self, bucket: list[str], line: str, detail: str) -> None:
        if line not in bucket:
            bucket.append(line)
            self.details[line] = detail


def build_scene() -> Scene:
    """A small built street (call inside a test database): the Open311 site of the tests
    (located micro-grid, building, household, categories with every attribute datatype, an
    Open311 key), residents, an organisation, a facility, cases in several states, and a
    street administrator (``Role.STREET_ADMIN`` on the street) with a REST token.
    """
    from rest_framework.authtoken.models import Token

    from linli.cases.models import CaseStatus
    from linli.cases.tests.lifecycle import Actors, ensure_categories, report, walk_to
    from linli.cases.tests.open311_support import make_site
    from linli.people.models import Role
    from linli.places.models import Facility, FacilityKind
    from linli.testing.factories import (
        BuildingFactory,
        HouseholdFactory,
        OrganizationFactory,
        ResidentFactory,
        staff_user,
    )

    ensure_categories()
    site = make_site()
    areas = site.areas
    admin = staff_user(areas["street"], Role.STREET_ADMIN)
    token = Token.objects.get_or_create(user=admin)[0].key
    other = BuildingFactory.create(
        micro_grid=areas["micro_grid"], lat="38.470500", lng="106.230500"
    )
    households = [site.household, HouseholdFactory.create(building=other)]
    residents = [
        ResidentFactory.create(household=households[i % 2], living_alone=i == 0) for i in range(4)
    ]
    org = OrganizationFactory.create(name="金凤测试物业", kind="property_company")
    facility = Facility.objects.create(
        name="测试睦邻中心",
        kind=next(iter(FacilityKind)).value,
        area=areas["community"],
        lat="38.470000",
        lng="106.230000",
    )
    actors = Actors(areas)
    micro = areas["micro_grid"]
    statuses = (
        CaseStatus.REPORTED,
        CaseStatus.REGISTERED,
        CaseStatus.DISPATCHED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.HANDLED,
        CaseStatus.CLOSED,
    )
    cases = [walk_to(report(micro, building=site.building), s, actors) for s in statuses]
    numbers = [c.number for c in cases]
    ids = {
        "/api/areas/{code}/": {"code": [a.code for a in areas.values()]},
        "/api/buildings/{id}/": {"id": [str(site.building.pk), str(other.pk)]},
        "/api/households/{id}/": {"id": [str(h.pk) for h in households]},
        "/api/residents/{id}/": {"id": [str(r.pk) for r in residents]},
        "/api/organizations/{id}/": {"id": [str(org.pk)]},
        "/api/facilities/{id}/": {"id": [str(facility.pk)]},
        "/open311/v2/services/{service_code}.json": {
            "service_code": [site.category.code, site.top.code, site.hidden.code]
        },
        "/open311/v2/requests/{service_request_id}.json": {"service_request_id": numbers},
        "/open311/v2/tokens/{token}.json": {"token": numbers},
    }
    body: dict[str, list[Any]] = {
        "api_key": [site.api_key],
        "service_code": [site.category.code, site.top.code],
        "category": [site.category.code, "SQ05"],
        "building": [site.building.pk, other.pk],
        "household": [h.pk for h in households],
        "lat": ["38.4700"],
        "long": ["106.2300"],
        "handler": [actors.handler.pk],
        "handler_org": [org.pk],
        "into": numbers[:2],
        "attribute[kind]": ["debris"],
        "attribute[where]": ["1单元楼道"],
    }
    return Scene(token=token, api_key=site.api_key, path_values=ids, body_values=body)


def case_paths(scene: Scene, template: str) -> dict[str, list[str]]:
    """Real values for the path parameters of ``template`` (``{number}`` → case numbers)."""
    if template in scene.path_values:
        return scene.path_values[template]
    if template.startswith("/api/cases/{number}/"):
        numbers = scene.path_values["/open311/v2/requests/{service_request_id}.json"]
        return {"number": numbers["service_request_id"]}
    return {}


def schemas(app: Any) -> list[tuple[str, Any]]:
    """``[("api", …), ("open311", …)]``: the schemathesis schemas, bound to ``app`` (WSGI)."""
    import schemathesis

    api = schemathesis.openapi.from_wsgi(SCHEMA_URL, app)
    open311 = schemathesis.openapi.from_path(str(Path(settings.BASE_DIR) / OPEN311_SPEC))
    open311.app = app
    return [("api", api), ("open311", open311)]


def _routed(url: str) -> bool:
    """Whether ``url``'s path matches one of the project's URL patterns."""
    from django.urls import Resolver404, resolve

    try:
        resolve(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
    except Resolver404:
        return False
    return True


def _problem_lines(operation: str, error: BaseException, curl: str) -> list[tuple[bool, str, str]]:
    """``(is_server_error, line, detail)`` for each failure in a schemathesis check error."""
    from schemathesis.core.failures import Failure, ServerError

    found = list(error.exceptions) if isinstance(error, BaseExceptionGroup) else [error]
    lines = []
    for item in found:
        detail = f"{item}\n{curl}"
        if isinstance(item, ServerError):
            lines.append((True, f"{operation} → {item.status_code}", detail))
        elif isinstance(item, Failure):
            lines.append((False, f"{operation}: {item.title}", detail))
        else:
            line = f"{operation}: {type(item).__name__}: {str(item)[:200]}"
            lines.append((True, line, detail))
    return lines


def fuzz(
    scene: Scene,
    app: Any,
    *,
    max_examples: int,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> Stats:
    """Fuzz every operation of :func:`schemas` with up to ``max_examples`` examples each
    (positive and negative generation mixed); returns the tallies (never raises on a
    finding). ``seed`` 0 draws with ``derandomize`` (the same requests every run); another
    seed draws other examples, repeatably for that seed.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    stats = Stats()
    started = time.perf_counter()
    # As Django's test client does: the calls run in this thread on this connection, which a
    # test holds inside a transaction; closing "old" connections after each call would close
    # it (its autocommit differs from the settings') and fail every later call.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        _fuzz_schemas(scene, app, stats, max_examples=max_examples, seed=seed, log=log)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    stats.seconds = time.perf_counter() - started
    return stats


def _fuzz_schemas(
    scene: Scene,
    app: Any,
    stats: Stats,
    *,
    max_examples: int,
    seed: int,
    log: Callable[[str], None] | None,
) -> None:
    for kind, schema in schemas(app):
        headers = {"Authorization": f"Token {scene.token}"} if kind == "api" else {}
        for result in schema.get_all_operations():
            operation = result.ok()
            stats.operations += 1
            before = stats.requests
            _fuzz_operation(
                operation,
                Target(kind=kind, headers=headers, scene=scene),
                stats,
                max_examples=max_examples,
                seed=seed,
            )
            if log is not None:
                log(f"{operation.label}: {stats.requests - before} 次请求")


@dataclass(frozen=True)
class Target:
    """Where one schema's requests go: ``kind`` ``"api"`` (with the token) or ``"open311"``."""

    kind: str
    headers: dict[str, str]
    scene: Scene


def _realistic(case: Any, target: Target, real: random.Random) -> None:
    """Put real path parameters and known body fields into ``case`` (in place)."""
    scene = target.scene
    for name, values in case_paths(scene, case.operation.path).items():
        case.path_parameters = {**(case.path_parameters or {}), name: real.choice(values)}
    if not isinstance(case.body, dict):
        return
    for name in list(case.body):
        if name in scene.body_values:
            case.body[name] = real.choice(scene.body_values[name])
    if target.kind == "open311":
        for name in ("api_key", "service_code", "lat", "long"):
            case.body.setdefault(name, real.choice(scene.body_values[name]))


def _fuzz_operation(
    operation: Any, target: Target, stats: Stats, *, max_examples: int, seed: int
) -> None:
    """Up to ``max_examples`` generated calls of ``operation``, tallied into ``stats``."""
    import hypothesis
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
    )

    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @hypothesis.settings(
        max_examples=max_examples,
        derandomize=seed == 0,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
        print_blob=False,
    )
    @hypothesis.seed(seed)
    @hypothesis.given(case=strategy, real=st.none() | st.randoms(use_true_random=False))
    def example(case: Any, real: random.Random | None) -> None:
        if real is not None:
            _realistic(case, target, real)
        stats.requests += 1
        try:
            response = case.call(headers=target.headers)
            # A path no URL pattern matches never reached the operation: Django's own 404
            # page answers it, so only the 5xx check applies.
            applied = checks if _routed(response.request.url) else checks[:1]
            case.validate_response(response, checks=applied, headers=target.headers)
        except (Exception, BaseExceptionGroup) as error:  # every finding is tallied
            curl = case.as_curl_command(headers=target.headers)
            for server, line, detail in _problem_lines(operation.label, error, curl):
                stats.add(stats.server_errors if server else stats.failures, line, detail)

    example()


def figures(stats: Stats, *, max_examples: int) -> dict[str, Any]:
    """The flat figures of a run (see the module docstring)."""
    return {
        "operations": stats.operations,
        "requests": stats.requests,
        "server_errors": len(stats.server_errors),
        "failures": len(stats.failures),
        "server_error_list": "; ".join(stats.server_errors) or "none",
        "failure_list": "; ".join(stats.failures) or "none",
        "seconds": round(stats.seconds, 1),
        "max_examples": max_examples,
        "database": connection.vendor,
    }


def _options(scenario: str | None) -> int:
    if scenario is None:
        return MAX_EXAMPLES
    data = json.loads(Path(scenario).read_text(encoding="utf-8"))
    value = data.get("max_examples", MAX_EXAMPLES)
    if not isinstance(value, int) or value < 1:
        raise ValueError("场景文件中 max_examples 必须是正整数")
    return value


def run(
    *, stdout: OutputWrapper, scenario: str | None = None, seed: int | None = None
) -> dict[str, Any]:
    """Seed a throwaway database, fuzz every operation in-process; always clean up."""
    from django.test.utils import setup_test_environment, teardown_test_environment

    from linli.wsgi import application

    max_examples = _options(scenario)
    setup_test_environment()  # the test client's host, in-memory mail, fast checks
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        scene = build_scene()
        stdout.write(f"已生成测试街道；每个接口 {max_examples} 个样例……")
        stats = fuzz(
            scene, application, max_examples=max_examples, seed=seed or 0, log=stdout.write
        )
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    return figures(stats, max_examples=max_examples)
