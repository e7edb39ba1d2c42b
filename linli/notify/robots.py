"""WeCom (企业微信) and DingTalk (钉钉) group robots: message bodies, signing, sending.

Formats (both robots: HTTPS POST of a JSON body, answer ``{"errcode": 0, "errmsg": "ok"}``):

* WeCom group robot, ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY``:
  ``{"msgtype": "markdown", "markdown": {"content": "…"}}``, content at most 4096 bytes of
  UTF-8. Errors seen in practice: 45009 (frequency limit, 20 messages a minute per
  robot) and -1 (system busy) are worth retrying; 93000 (invalid webhook URL / key),
  40008 (invalid message type), 44004 (empty content) are not.
* DingTalk custom robot, ``https://oapi.dingtalk.com/robot/send?access_token=TOKEN``:
  ``{"msgtype": "markdown", "markdown": {"title": "…", "text": "…"}}``. With the
  "加签" security option, ``&timestamp=MS&sign=SIGN`` is appended, where SIGN is
  urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))) over UTF-8
  and the timestamp (ms) must be within an hour of DingTalk's clock (DingTalk
  open-platform "自定义机器人安全设置"). Errors: 130101 (sending too fast, 20 a minute) and
  -1 are retried; 310000 (keyword missing, signature mismatch or IP not allowed),
  300001 (token does not exist) and others are not.

An unknown non-zero ``errcode`` is treated as permanent: it almost always means a
configuration problem that a retry cannot fix, and it is shown in the delivery's error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote_plus

from django.conf import settings

from linli.common.pii import decrypt
from linli.notify.channels import PermanentDeliveryError, RetryableDeliveryError
from linli.notify.models import Delivery, GroupRobot

WECOM_MAX_BYTES = 4096
WECOM_RETRYABLE = frozenset({-1, 45009})
DINGTALK_RETRYABLE = frozenset({-1, 130101})


def truncate_utf8(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` bytes of UTF-8, ending in "…" when cut."""
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode(errors="ignore") + "…"


def wecom_payload(*, title: str, body: str, url: str) -> dict[str, Any]:
    """The WeCom markdown message: bold title, body, a "查看详情" link when ``url``."""
    content = f"**{title}**\n{body}".rstrip()
    if url:
        content += f"\n[查看详情]({url})"
    return {"msgtype": "markdown", "markdown": {"content": truncate_utf8(content, WECOM_MAX_BYTES)}}


def dingtalk_payload(*, title: str, body: str, url: str, keyword: str = "") -> dict[str, Any]:
    """The DingTalk markdown message; ``keyword`` is appended when the text lacks it."""
    text = f"#### {title}\n\n{body}".rstrip()
    if url:
        text += f"\n\n[查看详情]({url})"
    if keyword and keyword not in text:
        text += f"\n\n{keyword}"
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's URL-encoded signature of ``timestamp_ms`` with ``secret`` (see module doc)."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` as JSON and return the decoded JSON answer.

    Timeout: ``settings.NOTIFY_HTTP_TIMEOUT`` seconds for connecting and for each read.

    Raises:
        RetryableDeliveryError: timeout, connection failure, HTTP 5xx or 429, an answer
            that is not JSON (typically a proxy's error page).
        PermanentDeliveryError: any other HTTP 4xx.
    """
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFY_HTTP_TIMEOUT) as response:
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise RetryableDeliveryError(f"HTTP {exc.code}") from None
        raise PermanentDeliveryError(f"HTTP {exc.code}") from None
    except TimeoutError:
        raise RetryableDeliveryError("请求超时") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise RetryableDeliveryError("请求超时") from None
        raise RetryableDeliveryError(f"连接失败：{reason}") from None
    try:
        answer = json.loads(raw)
    except ValueError:
        raise RetryableDeliveryError(f"应答不是 JSON：{raw[:100]!r}") from None
    if not isinstance(answer, dict):
        raise RetryableDeliveryError(f"应答不是 JSON 对象：{raw[:100]!r}")
    return answer


def _check_errcode(answer: dict[str, Any], retryable: frozenset[int], who: str) -> None:
    code = answer.get("errcode")
    if code == 0:
        return
    message = f"{who}返回 errcode={code}：{answer.get('errmsg', '')}"
    if code in retryable:
        raise RetryableDeliveryError(message)
    raise PermanentDeliveryError(message)


def _active_robot(delivery: Delivery) -> GroupRobot:
    robot = delivery.robot
    if robot is None:
        raise PermanentDeliveryError("群机器人已被删除")
    if not robot.active:
        raise PermanentDeliveryError(f"群机器人“{robot.name}”已停用")
    return robot


class WeComRobot:
    def send(self, delivery: Delivery) -> None:
        robot = _active_robot(delivery)
        answer = post_json(robot.webhook_url, delivery.payload)
        _check_errcode(answer, WECOM_RETRYABLE, "企业微信")


class DingTalkRobot:
    def send(self, delivery: Delivery) -> None:
        robot = _active_robot(delivery)
        url = robot.webhook_url
        if robot.secret_encrypted:
            try:
                secret = decrypt(robot.secret_encrypted)
            except ValueError as exc:
                raise PermanentDeliveryError(str(exc)) from None
            timestamp = int(time.time() * 1000)
            url += f"&timestamp={timestamp}&sign={dingtalk_sign(secret, timestamp)}"
        answer = post_json(url, delivery.payload)
        _check_errcode(answer, DINGTALK_RETRYABLE, "钉钉")
