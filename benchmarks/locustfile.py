"""Locust scenario of ``linli bench load`` (issue 10, "Proof"): a street's working day.

Run by ``benchmarks/load.py`` (``locust -f benchmarks/locustfile.py --headless …``) against
gunicorn; what to call comes from the JSON file named by the environment variable
``LINLI_LOAD_TARGETS`` (written by ``load.py`` from the built demo; keys below). No Django
import here: the locust process is a plain HTTP client.

Five kinds of simulated user, weighted as a street's traffic (Open311 readers and devices
are machines; staff and residents are people who pause between pages):

- :class:`Staff` (street administrator, session cookie): the registry list ``/people/``, the
  case board ``/cases/board/?status=open``, a person's page ``/care/residents/<id>/`` (an
  elder under watch), home ``/``.
- :class:`GridWorker` (micro-grid worker, REST token): ``GET /api/cases/`` and
  ``POST /api/cases/`` (a case in their micro-grid).
- :class:`Resident` (pre-made resident session, as after the phone-code log-in): the service
  list, a service's order page, and an order placed — for a slot tomorrow, or "now" for an
  on-demand service — (302 = placed; a 400 that re-shows the form with the reason, e.g. no
  worker on shift now, is a refusal by a service rule, an answer, not an error;
  ``load.py`` counts the orders placed).
- :class:`Open311Reader`: ``services.json``, ``requests.json`` (a page of the last 90 days),
  one request by id.
- :class:`Gateway`: a signed batch of 1–5 device events to ``POST /api/devices/events``
  (HMAC-SHA256, docs/devices.md section 4); 200 or 207 (some rejected) are answers, any
  other status an error.

Every answer is checked for its expected status (otherwise it is a failure in locust's
statistics, which ``load.py`` reports as ``errors``).

Targets JSON: ``staff_cookies`` (list of Cookie headers, each with ``csrftoken``),
``people`` (resident ids), ``worker_tokens``, ``worker_cases`` (``{"category",
"building"}`` bodies), ``resident_cookies``, ``services`` (service codes), ``open311_numbers``,
``gateways`` (``{"key_id", "secret", "devices": [[external_id, kind, vendor], …]}``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import time
import uuid
from typing import Any

from locust import HttpUser, between, constant_pacing, task
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

_TARGETS: dict[str, Any] | None = None
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
NAME = re.compile(r'name="([^"]+)"')
VALUE = re.compile(r'value="([^"]*)"')
VARIANT = re.compile(r'name="variant"[^>]*value="([^"]+)"|<option value="([^"]+)"')
#: The event kinds a device kind may send (as linli.devices.models.EVENT_KINDS_BY_DEVICE).
EVENTS_BY_DEVICE = {
    "door_access": ("door_open",),
    "door_sensor": ("door_open", "door_close"),
    "water_meter": ("water",),
    "power_meter": ("power",),
    "sos_button": ("sos",),
    "smoke_detector": ("smoke",),
    "motion": ("motion",),
}
CST = dt.timezone(dt.timedelta(hours=8))
#: Idle seconds after which a pooled connection is not trusted for a POST (gunicorn keeps
#: idle keep-alive connections 2 s).
IDLE_S = 1.5


def targets() -> dict[str, Any]:
    """The targets file (read once per process)."""
    global _TARGETS
    if _TARGETS is None:
        with open(os.environ["LINLI_LOAD_TARGETS"], encoding="utf-8") as handle:
            _TARGETS = json.load(handle)
    return _TARGETS


def _csrf(cookie: str) -> str:
    match = re.search(r"csrftoken=([^;]+)", cookie)
    return match.group(1) if match else ""


def _expect(response: Any, *statuses: int) -> None:
    if response.status_code in statuses:
        response.success()
    elif response.status_code == 0:  # no answer: say why (reset, refused, timeout…)
        response.failure(f"无应答：{type(response.error).__name__}: {response.error}"[:300])
    else:
        response.failure(f"HTTP {response.status_code}（期望 {statuses}）")


class _Client(HttpUser):
    """A user whose idempotent requests are retried once when a keep-alive connection the
    server has just closed (gunicorn's 2 s keep-alive) fails before any answer — as
    browsers and HTTP libraries do; a POST is never retried."""

    abstract = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        retry = Retry(
            total=1, connect=1, read=1, status=0, allowed_methods={"GET"}, raise_on_status=False
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.client.mount("http://", adapter)
        self.client.mount("https://", adapter)
        self.last_request = 0.0

    def fresh_if_idle(self) -> None:
        """Before a POST: unless this user posted within :data:`IDLE_S`, drop the pooled
        connections (one idle past gunicorn's keep-alive may be closing under the request,
        and a POST is not retried), so the POST goes on a fresh connection."""
        now = time.monotonic()
        if now - self.last_request > IDLE_S:
            self.client.close()
        self.last_request = now


class Staff(_Client):
    """The street administrator at the operations centre."""

    weight = 3
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.cookie = random.choice(targets()["staff_cookies"])

    def _get(self, path: str, name: str) -> None:
        with self.client.get(
            path, headers={"Cookie": self.cookie}, name=name, catch_response=True,
            allow_redirects=False,
        ) as response:  # fmt: skip
            _expect(response, 200)

    @task(3)
    def registry(self) -> None:
        self._get("/people/", "staff /people/")

    @task(3)
    def board(self) -> None:
        self._get("/cases/board/?status=open", "staff /cases/board/")

    @task(2)
    def person(self) -> None:
        person = random.choice(targets()["people"])
        self._get(f"/care/residents/{person}/", "staff /care/residents/<id>/")

    @task(1)
    def home(self) -> None:
        self._get("/", "staff /")


class GridWorker(_Client):
    """A micro-grid worker's app: their case list, and a case reported now and then."""

    weight = 3
    wait_time = between(1, 3)

    def on_start(self) -> None:
        index = random.randrange(len(targets()["worker_tokens"]))
        self.headers = {"Authorization": f"Token {targets()['worker_tokens'][index]}"}
        self.body = targets()["worker_cases"][index]

    @task(4)
    def cases(self) -> None:
        with self.client.get(
            "/api/cases/?limit=20", headers=self.headers, name="worker GET /api/cases/",
            catch_response=True,
        ) as response:  # fmt: skip
            _expect(response, 200)

    @task(1)
    def report(self) -> None:
        body = {**self.body, "description": f"压力测试：楼道堆放杂物（{uuid.uuid4().hex[:8]}）"}
        self.fresh_if_idle()
        with self.client.post(
            "/api/cases/", json=body, headers=self.headers, name="worker POST /api/cases/",
            catch_response=True,
        ) as response:  # fmt: skip
            _expect(response, 201)


class Resident(_Client):
    """A resident (or their child) ordering a home service on the phone."""

    weight = 2
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.cookie = random.choice(targets()["resident_cookies"])

    @task(2)
    def services(self) -> None:
        with self.client.get(
            "/me/services/", headers={"Cookie": self.cookie}, name="resident /me/services/",
            catch_response=True, allow_redirects=False,
        ) as response:  # fmt: skip
            _expect(response, 200)

    @task(1)
    def order(self) -> None:
        code = random.choice(targets()["services"])
        path = f"/me/services/{code}/"
        headers = {"Cookie": self.cookie}
        with self.client.get(
            path, headers=headers, name="resident /me/services/<code>/", catch_response=True,
            allow_redirects=False,
        ) as page:  # fmt: skip
            _expect(page, 200)
            if page.status_code != 200:
                return
            form = _hidden_fields(page.text)
        variant = VARIANT.search(page.text)
        tomorrow = (dt.datetime.now(CST) + dt.timedelta(days=1)).date()
        # A scheduled service is booked for tomorrow; an on-demand one asks for "now".
        slot = 'name="when" value="slot"' in page.text
        form.update(
            {
                "token": uuid.uuid4().hex,
                "when": "slot" if slot else "now",
                "slot_date": tomorrow.isoformat(),
                "slot_time": f"{random.choice((9, 10, 14, 15)):02d}:{random.choice((0, 30)):02d}",
                "note": "压力测试",
            }
        )
        if variant is not None:
            form["variant"] = variant.group(1) or variant.group(2)
        headers["X-CSRFToken"] = _csrf(self.cookie)
        headers["Referer"] = (self.host or "").rstrip("/") + path
        with self.client.post(
            path, data=form, headers=headers, name="resident POST order", catch_response=True,
            allow_redirects=False,
        ) as response:  # fmt: skip
            if response.status_code == 302:
                response.success()
            elif response.status_code == 400 and 'class="order-errors"' in response.text:
                response.success()  # refused by a service rule, shown on the form: an answer
            else:
                response.failure(f"HTTP {response.status_code}")


def _hidden_fields(html: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for tag in HIDDEN.findall(html):
        name, value = NAME.search(tag), VALUE.search(tag)
        if name is not None:
            fields[name.group(1)] = value.group(1) if value is not None else ""
    return fields


class Open311Reader(_Client):
    """A city platform polling the public Open311 endpoints."""

    weight = 1
    wait_time = constant_pacing(2)

    @task(1)
    def services(self) -> None:
        with self.client.get(
            "/open311/v2/services.json", name="open311 services", catch_response=True
        ) as response:
            _expect(response, 200)

    @task(2)
    def requests(self) -> None:
        with self.client.get(
            "/open311/v2/requests.json?page_size=50", name="open311 requests", catch_response=True
        ) as response:
            _expect(response, 200)

    @task(1)
    def one(self) -> None:
        number = random.choice(targets()["open311_numbers"])
        with self.client.get(
            f"/open311/v2/requests/{number}.json", name="open311 request", catch_response=True
        ) as response:
            _expect(response, 200)


class Gateway(_Client):
    """A community's device gateway posting its signed batches."""

    weight = 1
    wait_time = constant_pacing(1)

    def on_start(self) -> None:
        self.gateway = random.choice(targets()["gateways"])

    @task
    def batch(self) -> None:
        now = dt.datetime.now(CST)
        events = []
        for _ in range(random.randint(1, 5)):
            external_id, kind, vendor = random.choice(self.gateway["devices"])
            event = random.choice(EVENTS_BY_DEVICE[kind])
            item: dict[str, Any] = {
                "event": uuid.uuid4().hex,
                "device": external_id,
                "ts": (now - dt.timedelta(seconds=random.randint(0, 120))).isoformat(),
                "kind": event,
                "vendor": vendor,
            }
            if event in ("water", "power"):
                item["value"] = round(random.uniform(0, 5), 3)
            events.append(item)
        body = json.dumps(events).encode()
        stamp = str(int(time.time()))
        signature = hmac.new(
            self.gateway["secret"].encode(), stamp.encode() + b"\n" + body, hashlib.sha256
        ).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-Linli-Gateway": self.gateway["key_id"],
            "X-Linli-Timestamp": stamp,
            "X-Linli-Signature": signature,
        }
        self.fresh_if_idle()
        with self.client.post(
            "/api/devices/events", data=body, headers=headers, name="gateway POST events",
            catch_response=True,
        ) as response:  # fmt: skip
            _expect(response, 200, 207)
