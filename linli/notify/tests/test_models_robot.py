"""Group robots: webhook URLs checked per kind with Chinese messages, secret encrypted."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from linli.common.pii import decrypt
from linli.notify import services
from linli.notify.models import GroupRobot

pytestmark = pytest.mark.django_db

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx"
DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=abc123"


def create(areas, **kwargs):  # type: ignore[no-untyped-def]
    arguments = {"area": areas["community"], "kind": "wecom", "name": "群", "webhook_url": WECOM}
    return services.group_robot_create(**{**arguments, **kwargs})


@pytest.mark.parametrize(
    ("kind", "url", "message"),
    [
        (
            "wecom",
            "https://evil.example.com/cgi-bin/webhook/send?key=1",
            "企业微信群机器人的 Webhook 地址必须以 "
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key= 开头",
        ),
        (
            "wecom",
            "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1",
            "企业微信群机器人的 Webhook 地址必须以 "
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key= 开头",
        ),
        (
            "wecom",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?x=1",
            "Webhook 地址缺少 key 参数",
        ),
        (
            "dingtalk",
            WECOM,
            "钉钉群机器人的 Webhook 地址必须以 "
            "https://oapi.dingtalk.com/robot/send?access_token= 开头",
        ),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send", "Webhook 地址缺少 access_token 参数"),
        ("wecom", "不是网址", "请输入合法的URL。"),
    ],
)
def test_invalid_webhook_url_is_rejected_in_chinese(areas, kind, url, message):
    with pytest.raises(ValidationError) as error:
        create(areas, kind=kind, webhook_url=url)

    assert error.value.message_dict["webhook_url"] == [message]
    assert not GroupRobot.objects.exists()


def test_dingtalk_secret_is_stored_encrypted(areas):
    robot = create(areas, kind="dingtalk", webhook_url=DINGTALK, secret=" SECabc123 ")

    stored = GroupRobot.objects.get(pk=robot.pk).secret_encrypted
    assert "SECabc123" not in stored
    assert decrypt(stored) == "SECabc123"


@pytest.mark.parametrize(
    ("kind", "url", "secret", "message"),
    [
        ("wecom", WECOM, "SECabc", "企业微信群机器人没有加签密钥，请留空"),
        ("dingtalk", DINGTALK, "abc", "钉钉加签密钥应以 SEC 开头，请从机器人安全设置中复制"),
    ],
)
def test_bad_secret_is_rejected(areas, kind, url, secret, message):
    with pytest.raises(ValidationError) as error:
        create(areas, kind=kind, webhook_url=url, secret=secret)

    assert error.value.message_dict == {"secret": [message]}


def test_keyword_only_for_dingtalk(areas):
    with pytest.raises(ValidationError) as error:
        create(areas, keyword="通知")

    assert error.value.message_dict == {"keyword": ["只有钉钉机器人需要自定义关键词"]}


def test_empty_name_is_rejected(areas):
    with pytest.raises(ValidationError) as error:
        create(areas, name="  ")

    assert "name" in error.value.message_dict


def test_list_shows_the_key_masked(areas):
    robot = create(areas)

    assert robot.masked_url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a****"
