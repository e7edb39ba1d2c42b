"""The scaled deployment (DESIGN.md "scaled", docs/deploy.md "Several machines"): two web
processes and two task clusters against one PostgreSQL and one Redis. A session opened on one
web process works on the other; every task runs exactly once across the two clusters.

Throwaway PostgreSQL and Redis (linli/testing/throwaway.py); PostgreSQL pass only (the
schema is cloned from pytest's migrated test database).
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import requests
from django.db import connection

from linli.testing.fault_tasks import MARKER_PREFIX, enqueue_on
from linli.testing.throwaway import (
    ThrowawayRedis,
    free_port,
    start_cluster,
    start_web,
    stop_all,
    throwaway_linli,
)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the scaled deployment runs in the PostgreSQL pass (schema cloned from its test DB)",
    ),
    pytest.mark.postgres,
    pytest.mark.django_db,  # only so that pytest-django creates the test database to clone
]

TASKS = 40


@pytest.fixture(scope="module")
def stack(django_db_setup: None) -> Iterator[dict[str, Any]]:
    """Throwaway PostgreSQL + Redis, web A and web B (gunicorn, 1 worker × 4 threads each)
    and clusters 1 and 2 (``LINLI_WORKERS=2`` each)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL pass only")
    with throwaway_linli(connection.settings_dict) as db, ThrowawayRedis() as broker:
        queue = f"scaled{broker.port}"
        env = {
            **os.environ,
            "DATABASE_URL": db["url"],
            "LINLI_REDIS_URL": broker.url,
            "LINLI_FAULT_REDIS_URL": broker.url,
            "LINLI_Q_NAME": queue,
            "LINLI_WORKERS": "2",
        }
        processes = []
        try:
            clusters = [start_cluster(env), start_cluster(env)]
            processes += clusters
            ports = [free_port(), free_port()]
            for port in ports:
                processes.append(start_web(env, port, workers=1))
            yield {
                **db,
                "redis": broker,
                "queue": queue,
                "webs": [f"http://127.0.0.1:{port}" for port in ports],
                "clusters": clusters,
            }
        finally:
            stop_all(processes)


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, page.text[:500]
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, "no CSRF token on the log-in page"
    return found.group(1)


def test_a_session_opened_on_one_web_process_works_on_the_other(stack: dict[str, Any]) -> None:
    web_a, web_b = stack["webs"]
    seed = stack["seed"]
    assert requests.get(f"{web_b}/", allow_redirects=False, timeout=30).status_code == 302

    browser = requests.Session()
    token = _csrf(browser, f"{web_a}/accounts/login/")
    login = browser.post(
        f"{web_a}/accounts/login/",
        data={
            "username": seed["username"],
            "password": seed["password"],
            "csrfmiddlewaretoken": token,
        },
        headers={"Referer": f"{web_a}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert login.status_code == 302, login.text[:1000]
    assert "/accounts/login/" not in login.headers["Location"]

    on_b = browser.get(f"{web_b}/", allow_redirects=False, timeout=30)
    assert on_b.status_code == 200, (on_b.status_code, on_b.headers.get("Location"))
    assert seed["username"] in on_b.text or "退出" in on_b.text
    # Log out on B: the session is gone on A too (it lives in the shared database).
    logout = browser.post(
        f"{web_b}/accounts/logout/",
        headers={"X-CSRFToken": browser.cookies["csrftoken"], "Referer": f"{web_b}/"},
        allow_redirects=False,
        timeout=30,
    )
    assert logout.status_code == 302
    assert browser.get(f"{web_a}/", allow_redirects=False, timeout=30).status_code == 302


def test_every_task_runs_exactly_once_across_two_clusters(stack: dict[str, Any]) -> None:
    """Given two clusters on one Redis queue, when 40 tasks are enqueued, then each runs once
    (one start, one finish, one marker row, one successful result) and both clusters work."""
    counters = redis.from_url(stack["redis"].url)
    queue = stack["queue"]
    # Both clusters have registered (their sentinel writes a stat every half second).
    assert _wait(lambda: len(counters.keys(f"django_q:{queue}:cluster:*")) >= 2, 60)
    keys = [uuid.uuid4().hex for _ in range(TASKS)]
    started = time.monotonic()
    enqueue_on(stack["redis"].url, queue, "write_marker_in_group", keys, 0.05)

    def finished() -> int:
        return sum(int(n or 0) for n in counters.mget([f"faults:done:{k}" for k in keys]))

    assert _wait(lambda: finished() >= TASKS, 60), finished()
    elapsed = time.monotonic() - started
    pg = stack["pg"]
    assert _wait(
        lambda: pg.psql("SELECT count(*) FROM django_q_task", "linli").strip() == str(TASKS), 20
    )
    print(
        f"\n[scaled] {TASKS} tasks on 2 clusters × 2 workers in {elapsed:.2f} s "
        f"({TASKS / elapsed:.1f} tasks/s, each sleeping 0.05 s)"
    )
    starts = counters.mget([f"faults:starts:{k}" for k in keys])
    done = counters.mget([f"faults:done:{k}" for k in keys])
    assert all(n == b"1" for n in starts) and all(n == b"1" for n in done)
    notes = pg.psql(
        f"SELECT note FROM common_calendaroverride WHERE note LIKE '{MARKER_PREFIX}%'", "linli"
    ).split()
    assert sorted(notes) == sorted(f"{MARKER_PREFIX}{k}" for k in keys)
    assert pg.psql("SELECT count(*) FROM django_q_task WHERE success", "linli").strip() == str(
        TASKS
    )
    groups = {int(g) for g in counters.smembers("faults:groups")}
    assert groups == {cluster.pid for cluster in stack["clusters"]}
    assert counters.llen(f"django_q:{queue}:q") == 0
