"""WeCom and DingTalk robots against a real local HTTP server: formats, signing, errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli.notify import services
from linli.notify.models import Delivery, DeliveryStatus
from linli.notify.tests.conftest import expected_sign

pytestmark = pytest.mark.django_db

SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"


@pytest.fixture
def wecom(areas, robot_server):  # type: ignore[no-untyped-def]
    return services.group_robot_create(
        area=areas["community"],
        kind="wecom",
        name="测试社区网格群",
        webhook_url=f"{robot_server.base}/cgi-bin/webhook/send?key=wk-123",
    )


@pytest.fixture
def dingtalk(areas, robot_server):  # type: ignore[no-untyped-def]
    return services.group_robot_create(
        area=areas["community"],
        kind="dingtalk",
        name="测试社区钉钉群",
        webhook_url=f"{robot_server.base}/robot/send?access_token=dt-456",
        secret=SECRET,
    )


def send(areas, channel, capture, **kwargs):  # type: ignore[no-untyped-def]
    """notify() a case in the micro-grid through ``channel`` and run the on-commit sending."""
    with capture(execute=True):
        result = services.notify(
            title=kwargs.pop("title", "独居老人王某某两天未开门"),
            body=kwargs.pop("body", "请网格员上门查看"),
            link=kwargs.pop("link", "/cases/12/"),
            kind="case.reported",
            channels=[channel],
            area=areas["micro_grid"],
            **kwargs,
        )
    return Delivery.objects.get(pk=result.deliveries[0].pk)


def make_due(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_wecom_posts_markdown_to_the_webhook_of_the_areas_community(
    areas, wecom, robot_server, sync_tasks, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_SITE_URL = "https://linli.example.gov.cn"
    delivery = send(areas, "wecom", django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    (request,) = robot_server.requests
    assert request["path"] == "/cgi-bin/webhook/send"
    assert request["query"] == {"key": "wk-123"}
    assert request["content_type"].startswith("application/json")
    assert request["json"] == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**独居老人王某某两天未开门**\n请网格员上门查看\n"
            "[查看详情](https://linli.example.gov.cn/cases/12/)"
        },
    }


def test_wecom_content_is_cut_to_4096_bytes(
    areas, wecom, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    send(areas, "wecom", django_capture_on_commit_callbacks, body="很长" * 2000)

    content = robot_server.requests[0]["json"]["markdown"]["content"]
    assert len(content.encode()) <= 4096 and content.endswith("…")


def test_dingtalk_request_is_signed_so_the_server_accepts_it(
    areas, dingtalk, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    robot_server.dingtalk_secret = SECRET
    delivery = send(areas, "dingtalk", django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.SENT
    (request,) = robot_server.requests
    query = request["query"]
    assert query["access_token"] == "dt-456"
    assert query["sign"] == expected_sign(SECRET, query["timestamp"])
    assert abs(int(query["timestamp"]) - timezone.now().timestamp() * 1000) < 60_000
    assert request["json"] == {
        "msgtype": "markdown",
        "markdown": {
            "title": "独居老人王某某两天未开门",
            "text": "#### 独居老人王某某两天未开门\n\n请网格员上门查看",
        },
    }


def test_dingtalk_wrong_secret_fails_without_retry(
    areas, dingtalk, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    robot_server.dingtalk_secret = "SEC-the-other-secret-set-in-dingtalk"
    delivery = send(areas, "dingtalk", django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.FAILED
    assert "310000" in delivery.last_error
    make_due(delivery)
    assert services.deliveries_sweep() == 0
    assert len(robot_server.requests) == 1


def test_dingtalk_keyword_is_added_when_the_message_lacks_it(
    areas, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    services.group_robot_create(
        area=areas["grid"],
        kind="dingtalk",
        name="关键词群",
        webhook_url=f"{robot_server.base}/robot/send?access_token=kw",
        keyword="邻里通知",
    )
    send(areas, "dingtalk", django_capture_on_commit_callbacks)

    text = robot_server.requests[0]["json"]["markdown"]["text"]
    assert text.endswith("邻里通知")
    assert "sign" not in robot_server.requests[0]["query"]


def test_rate_limited_message_is_retried_after_backoff_then_sent(
    areas, wecom, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    robot_server.script = [{"errcode": 45009, "errmsg": "api freq out of limit"}]
    before = timezone.now()
    delivery = send(areas, "wecom", django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert "45009" in delivery.last_error
    wait = delivery.next_attempt_at - before
    assert dt.timedelta(seconds=29) < wait < dt.timedelta(seconds=32)
    assert services.deliveries_sweep() == 0  # not due yet: nothing is resent early
    assert len(robot_server.requests) == 1

    make_due(delivery)
    assert services.deliveries_sweep() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert delivery.last_error == "" and len(robot_server.requests) == 2


def test_invalid_wecom_key_fails_without_retry(
    areas, wecom, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    robot_server.script = [{"errcode": 93000, "errmsg": "invalid webhook url"}]
    delivery = send(areas, "wecom", django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.FAILED
    assert "93000" in delivery.last_error


def test_dingtalk_rate_limit_is_retryable(
    areas, dingtalk, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    robot_server.script = [{"errcode": 130101, "errmsg": "send too fast"}]
    delivery = send(areas, "dingtalk", django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.PENDING and "130101" in delivery.last_error


def test_http_500_is_retried(
    areas, wecom, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    robot_server.script = [("status", 500)]
    delivery = send(areas, "wecom", django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.PENDING and delivery.last_error == "HTTP 500"
    make_due(delivery)
    services.deliveries_sweep()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_http_404_is_permanent(
    areas, wecom, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    robot_server.script = [("status", 404)]
    delivery = send(areas, "wecom", django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error == "HTTP 404"


def test_connection_refused_is_retried(
    areas, wecom, robot_server, free_port, sync_tasks, django_capture_on_commit_callbacks
):
    dead_url = wecom.webhook_url.replace(robot_server.base, f"http://127.0.0.1:{free_port}")
    type(wecom).objects.filter(pk=wecom.pk).update(webhook_url=dead_url)
    delivery = send(areas, "wecom", django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error.startswith("连接失败")


def test_timeout_is_retried(
    areas, wecom, robot_server, settings, sync_tasks, django_capture_on_commit_callbacks
):
    settings.NOTIFY_HTTP_TIMEOUT = 0.3
    robot_server.script = [("sleep", 1.5)]
    delivery = send(areas, "wecom", django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.PENDING and delivery.last_error == "请求超时"


def test_answer_that_is_not_json_is_retried(
    areas, wecom, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    robot_server.script = [("raw", b"<html>proxy error</html>")]
    delivery = send(areas, "wecom", django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error.startswith("应答不是 JSON")


def test_retries_stop_as_dead_after_max_attempts(
    areas, wecom, robot_server, settings, sync_tasks, django_capture_on_commit_callbacks
):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    robot_server.script = [("status", 503)] * 3
    delivery = send(areas, "wecom", django_capture_on_commit_callbacks)
    delays = [delivery.next_attempt_at - timezone.now()]
    for _ in range(2):
        make_due(delivery)
        services.deliveries_sweep()
        delivery.refresh_from_db()
        if delivery.status == DeliveryStatus.PENDING:
            delays.append(delivery.next_attempt_at - timezone.now())

    assert delivery.status == DeliveryStatus.DEAD and delivery.attempts == 3
    assert len(robot_server.requests) == 3
    assert [round(d.total_seconds() / 30) for d in delays] == [1, 2]  # 30 s, then 60 s


def test_deactivated_robot_is_not_posted_to(
    areas, wecom, robot_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        result = services.notify(
            title="t", kind="case.reported", channels=["wecom"], area=areas["grid"]
        )
    type(wecom).objects.filter(pk=wecom.pk).update(active=False)

    delivery = services.delivery_attempt(delivery_id=result.deliveries[0].pk)

    assert delivery is not None and delivery.status == DeliveryStatus.FAILED
    assert "已停用" in delivery.last_error and robot_server.requests == []


def test_retry_delay_doubles_from_30_seconds_up_to_the_cap():
    assert [services.retry_delay(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert services.retry_delay(12) == 3600
