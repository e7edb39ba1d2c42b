"""Surviving faults: a database outage answers 503 with Retry-After, and a Redis task queue
that re-delivers the task of a worker killed mid-task (issue #10 "Faults", docs/deploy.md).

1. :class:`DatabaseUnavailableMiddleware` turns ``django.db.OperationalError`` and
   ``InterfaceError`` (server restarted, connection cut, fail-over in progress, SQLite
   "database is locked") into **HTTP 503** with ``Retry-After`` and the Chinese message
   「服务暂时不可用，请稍后重试」 — JSON for the API, a small HTML page otherwise — instead of
   a 500. Nothing is half-written: every write service runs in ``transaction.atomic`` and
   PostgreSQL rolls back a transaction whose connection is cut. With
   ``CONN_HEALTH_CHECKS=True`` (settings) the next request reconnects.
2. :class:`LeasedRedis` is the django-q2 broker used when ``LINLI_REDIS_URL`` is set.
   django-q2's own Redis broker removes a task from the list when a worker takes it
   (``BLPOP``), so a worker killed mid-task loses it. This one leases it instead (the
   ORM broker's behaviour): the task stays recorded until the cluster acknowledges its
   result; a lease older than ``Q_CLUSTER["retry"]`` seconds (``LINLI_Q_RETRY``, default
   360) is put back at the head of the queue and runs again.

Checked by linli/common/tests/test_faults.py (PostgreSQL restarted under load, worker
killed mid-task) and test_scaled.py (two web processes, two workers).
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django_q.brokers import Broker
from django_q.conf import Conf

log = logging.getLogger(__name__)

#: Shown to the user (and in the JSON ``detail``) while the database is unreachable.
UNAVAILABLE_MESSAGE = "服务暂时不可用，请稍后重试"
#: ``Retry-After`` in seconds: a PostgreSQL restart takes about 1 s, a fail-over longer.
RETRY_AFTER_SECONDS = 5
#: Paths answered in JSON rather than HTML.
JSON_PREFIXES = ("/api/", "/open311/")
_FLAG = "_linli_database_unavailable"

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>服务暂时不可用 · 邻里</title></head>
<body style="font-family: sans-serif; font-size: 20px; max-width: 36em; margin: 3em auto;">
<h1>服务暂时不可用，请稍后重试</h1>
<p>系统正在恢复，通常几秒钟即可。请稍候片刻再刷新本页；如刚才是提交表单，请先查看是否已提交成功，再决定是否重新提交。</p>
<p>如长时间无法使用，请联系社区工作人员。</p>
</body></html>
"""


def is_database_outage(exc: BaseException | None) -> bool:
    """True for the database errors a retry can cure: the connection is gone or refused
    (``OperationalError``, ``InterfaceError``), including PostgreSQL's "terminating
    connection due to administrator command" and SQLite's "database is locked"."""
    return isinstance(exc, OperationalError | InterfaceError)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 answer: JSON ``{"detail": "服务暂时不可用，请稍后重试", "code": ...}`` under
    :data:`JSON_PREFIXES` or when the client accepts only JSON, otherwise a small HTML page
    that needs neither templates nor the database. Always ``Retry-After`` and ``no-store``."""
    accept = request.META.get("HTTP_ACCEPT", "")
    wants_json = request.path.startswith(JSON_PREFIXES) or (
        "application/json" in accept and "text/html" not in accept
    )
    if wants_json:
        body = {"detail": UNAVAILABLE_MESSAGE, "code": "service_unavailable"}
        response = HttpResponse(
            json.dumps(body, ensure_ascii=False),
            status=503,
            content_type="application/json; charset=utf-8",
        )
    else:
        response = HttpResponse(_PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _mark_outage(sender: object, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """``got_request_exception`` receiver: an outage raised outside a view (in a middleware,
    while saving the session) is remembered on the request, so the middleware can replace
    the 500 Django made of it."""
    if request is not None and is_database_outage(sys.exc_info()[1]):
        setattr(request, _FLAG, True)


got_request_exception.connect(_mark_outage, dispatch_uid="linli.common.faults.outage")


class DatabaseUnavailableMiddleware:
    """Answer 503 + ``Retry-After`` instead of 500 while the database is unreachable.

    Place it right after ``SecurityMiddleware`` (settings ``MIDDLEWARE``) so it wraps every
    middleware that may query the database. Errors raised by a view (or while rendering its
    template response) arrive in :meth:`process_exception`; errors raised in inner
    middleware are turned into a 500 by Django first and are replaced in :meth:`__call__`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _FLAG, False):
            return unavailable_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_outage(exception):
            return None
        log.warning(
            "database unavailable, answered 503: %s %s: %s",
            request.method,
            request.path,
            exception,
        )
        return unavailable_response(request)


# --------------------------------------------------------------------------- task queue

# KEYS: queue list, lease deadlines (zset ack → unix time), leased payloads (hash ack → task)
# ARGV: new ack id, lease seconds. Expired leases go back to the head of the queue first.
_DEQUEUE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', t, 'LIMIT', 0, 100)
for i = #expired, 1, -1 do
  local payload = redis.call('HGET', KEYS[3], expired[i])
  if payload then redis.call('LPUSH', KEYS[1], payload) end
  redis.call('ZREM', KEYS[2], expired[i])
  redis.call('HDEL', KEYS[3], expired[i])
end
local task = redis.call('LPOP', KEYS[1])
if not task then return false end
redis.call('ZADD', KEYS[2], t + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], task)
return task
"""


class LeasedRedis(Broker):
    """django-q2 broker on Redis with delivery receipts (``Q_CLUSTER["broker_class"]``).

    Keys (``<name>`` is ``LINLI_Q_NAME``): ``django_q:<name>:q`` the queue (the same list
    django-q2's Redis broker uses), ``…:leases`` a sorted set of ack id → lease deadline
    (Redis server time, seconds), ``…:leased`` a hash of ack id → task. Dequeue,
    re-delivery and lease are one Lua script, so two clusters never take the same task.

    A task runs **at least once**: if a cluster dies (SIGKILL, power loss) before its
    result is saved and acknowledged, the task runs again after ``Q_CLUSTER["retry"]``
    seconds; tasks must therefore be idempotent or guarded (docs/tasks.md). A task that
    outlives its lease also runs twice, which is why django-q2 insists ``retry`` >
    ``timeout``.
    """

    def __init__(self, list_key: str | None = None) -> None:
        super().__init__(list_key=f"django_q:{list_key or Conf.CLUSTER_NAME}:q")
        self._prepare()

    def _prepare(self) -> None:
        self.leases_key = f"{self.list_key}:leases"
        self.leased_key = f"{self.list_key}:leased"
        self._dequeue = self.connection.register_script(_DEQUEUE)

    def __setstate__(self, state: Any) -> None:  # the cluster pickles brokers to processes
        super().__setstate__(state)
        self._prepare()

    def enqueue(self, task: str) -> Any:
        return self.connection.rpush(self.list_key, task)

    def dequeue(self) -> list[tuple[str, Any]] | None:
        """One task as ``[(ack_id, payload)]``, or ``None`` after a short pause (``poll``)."""
        ack_id = uuid.uuid4().hex
        task = self._dequeue(
            keys=[self.list_key, self.leases_key, self.leased_key],
            args=[ack_id, int(Conf.RETRY)],
        )
        if task:
            return [(ack_id, task)]
        time.sleep(Conf.POLL)
        return None

    def acknowledge(self, task_id: str) -> None:
        pipe = self.connection.pipeline()
        pipe.zrem(self.leases_key, task_id)
        pipe.hdel(self.leased_key, task_id)
        pipe.execute()

    def fail(self, task_id: str) -> None:
        """A task that cannot be unpacked: dropped (django-q2 logs it)."""
        self.acknowledge(task_id)

    def delete(self, task_id: str) -> None:
        self.acknowledge(task_id)

    def queue_size(self) -> int:
        return int(self.connection.llen(self.list_key))

    def lock_size(self) -> int:
        return int(self.connection.zcard(self.leases_key))

    def delete_queue(self) -> Any:
        return self.connection.delete(self.list_key, self.leases_key, self.leased_key)

    def purge_queue(self) -> Any:
        return self.connection.ltrim(self.list_key, 1, 0)

    def ping(self) -> bool:
        return bool(self.connection.ping())

    def info(self) -> str:
        cached: str | None = getattr(self, "_info", None)
        if not cached:
            cached = f"Redis {self.connection.info('server')['redis_version']} (leased)"
            setattr(self, "_info", cached)  # noqa: B010 -- typed by django-q2 as unknown
        return cached

    def set_stat(self, key: str, value: str, timeout: int) -> None:
        self.connection.set(key, value, timeout)

    def get_stat(self, key: str) -> Any:
        return self.connection.get(key)

    def get_stats(self, pattern: str) -> list[Any] | None:
        keys = self.connection.keys(pattern=pattern)
        return self.connection.mget(keys) if keys else None

    @staticmethod
    def get_connection(list_key: str | None = None) -> Any:
        import redis

        if isinstance(Conf.REDIS, str):
            return redis.from_url(Conf.REDIS)
        return redis.StrictRedis(**(Conf.REDIS or {}))
