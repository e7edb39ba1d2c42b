"""Back office: group robots per area, secret encrypted and never shown, retry."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.common.pii import decrypt
from linli.notify import services
from linli.notify.models import Delivery, DeliveryStatus, GroupRobot
from linli.people.models import Role
from linli.testing.factories import staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("linli.notify.tests.urls")]

DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=abc123"


def robot_form(area, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "area": str(area.pk),
        "kind": "dingtalk",
        "name": "社区钉钉群",
        "webhook_url": DINGTALK,
        "secret": "SECtopsecret",
        "keyword": "",
        "active": "on",
    }
    data.update(overrides)
    return data


def test_community_admin_adds_a_robot_with_encrypted_secret(client, areas, community_admin):
    client.force_login(community_admin)

    response = client.post(reverse("admin:notify_grouprobot_add"), robot_form(areas["community"]))

    assert response.status_code == 302
    robot = GroupRobot.objects.get()
    assert decrypt(robot.secret_encrypted) == "SECtopsecret"
    html = client.get(reverse("admin:notify_grouprobot_change", args=[robot.pk])).content.decode()
    assert "SECtopsecret" not in html and "abc123" in html


def test_leaving_the_secret_empty_keeps_it(client, areas, community_admin):
    client.force_login(community_admin)
    robot = services.group_robot_create(
        area=areas["community"], kind="dingtalk", name="群", webhook_url=DINGTALK, secret="SECold"
    )

    client.post(
        reverse("admin:notify_grouprobot_change", args=[robot.pk]),
        robot_form(areas["community"], name="群", secret=""),
    )

    assert decrypt(GroupRobot.objects.get(pk=robot.pk).secret_encrypted) == "SECold"


def test_bad_url_and_secret_give_chinese_errors(client, areas, community_admin):
    client.force_login(community_admin)

    html = client.post(
        reverse("admin:notify_grouprobot_add"),
        robot_form(areas["community"], webhook_url="https://example.com/x?y=1", secret="nope"),
    ).content.decode()

    assert "钉钉群机器人的 Webhook 地址必须以" in html
    assert "钉钉加签密钥应以 SEC 开头" in html
    assert not GroupRobot.objects.exists()


def test_robots_elsewhere_are_not_visible(client, areas, other_areas):
    robot = services.group_robot_create(
        area=areas["community"], kind="dingtalk", name="群", webhook_url=DINGTALK
    )
    admin = staff_user(other_areas["community"], Role.COMMUNITY_ADMIN)
    client.force_login(admin)

    url = reverse("admin:notify_grouprobot_change", args=[robot.pk])
    assert client.get(url).status_code == 404
    changelist = client.get(reverse("admin:notify_grouprobot_changelist"))
    assert list(changelist.context["cl"].result_list) == []


def test_retry_action_requeues_a_dead_delivery(
    client, areas, community_admin, sms_outbox, django_capture_on_commit_callbacks
):
    from linli.notify.services import Recipient

    result = services.notify(
        recipients=[Recipient(phone="13912345678")],
        title="t",
        kind="k",
        channels=["sms"],
        area=areas["micro_grid"],
    )
    Delivery.objects.update(status=DeliveryStatus.DEAD)
    client.force_login(community_admin)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(
            reverse("admin:notify_delivery_changelist"),
            {"action": "retry", "_selected_action": [str(result.deliveries[0].pk)]},
        )

    assert Delivery.objects.get().status == DeliveryStatus.PENDING
    assert len(callbacks) == 1


def test_clear_secret_removes_it(client, areas, community_admin):
    client.force_login(community_admin)
    robot = services.group_robot_create(
        area=areas["community"], kind="dingtalk", name="群", webhook_url=DINGTALK, secret="SECold"
    )

    client.post(
        reverse("admin:notify_grouprobot_change", args=[robot.pk]),
        robot_form(areas["community"], name="群", secret="", clear_secret="on"),
    )

    assert GroupRobot.objects.get(pk=robot.pk).secret_encrypted == ""


def test_deliveries_of_other_areas_are_not_listed(client, areas, other_areas, sms_outbox):
    from linli.notify.services import Recipient

    for area in (areas["micro_grid"], other_areas["micro_grid"]):
        services.notify(
            recipients=[Recipient(phone="13912345678")],
            title=f"{area.name}的消息",
            kind="k",
            channels=["sms"],
            area=area,
        )
    client.force_login(staff_user(areas["community"], Role.COMMUNITY_ADMIN))

    rows = client.get(reverse("admin:notify_delivery_changelist")).context["cl"].result_list

    assert [d.area for d in rows] == [areas["micro_grid"]]


def test_test_action_posts_to_the_chosen_robot_only(
    client, areas, community_admin, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    make = services.group_robot_create
    chosen = make(
        area=areas["grid"],
        kind="wecom",
        name="网格群",
        webhook_url=f"{robot_server.base}/cgi-bin/webhook/send?key=chosen",
    )
    make(
        area=areas["community"],
        kind="wecom",
        name="社区群",
        webhook_url=f"{robot_server.base}/cgi-bin/webhook/send?key=parent",
    )
    client.force_login(community_admin)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:notify_grouprobot_changelist"),
            {"action": "send_test", "_selected_action": [str(chosen.pk)]},
        )

    assert [r["query"]["key"] for r in robot_server.requests] == ["chosen"]
    assert "邻里测试消息" in robot_server.requests[0]["json"]["markdown"]["content"]


def test_delivery_page_masks_the_phone(client, areas, community_admin):
    from linli.notify.services import Recipient

    result = services.notify(
        recipients=[Recipient(phone="13912345678")],
        title="t",
        kind="k",
        channels=["sms"],
        area=areas["micro_grid"],
    )
    client.force_login(community_admin)

    url = reverse("admin:notify_delivery_change", args=[result.deliveries[0].pk])
    html = client.get(url).content.decode()

    assert "139****5678" in html and "13912345678" not in html
