"""notify(): what it writes, when it sends, what it refuses."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string

from linli.notify import services
from linli.notify.models import Delivery, DeliveryStatus, Notification
from linli.notify.services import Recipient
from linli.testing.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def robot(areas, robot_server):  # type: ignore[no-untyped-def]
    return services.group_robot_create(
        area=areas["community"],
        kind="wecom",
        name="社区群",
        webhook_url=f"{robot_server.base}/cgi-bin/webhook/send?key=k1",
    )


def test_inbox_rows_are_written_for_each_user(assigned, community_admin):
    resident = ResidentFactory.create()
    result = services.notify(
        recipients=[assigned, Recipient(user=community_admin), Recipient(phone="13912345678")],
        title="新事件待派遣",
        body="3号楼漏水",
        link="/cases/7/",
        kind="case.reported",
        subject=resident,
    )

    assert {n.user for n in result.notifications} == {assigned, community_admin}
    row = Notification.objects.get(user=assigned)
    assert (row.title, row.body, row.link, row.kind) == (
        "新事件待派遣",
        "3号楼漏水",
        "/cases/7/",
        "case.reported",
    )
    assert row.subject_id == resident.pk and row.subject_type.model == "resident"
    assert row.read_at is None
    assert result.deliveries == []  # in-app only by default


def test_rolled_back_transition_sends_nothing(
    areas, assigned, robot, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.notify(
            recipients=[assigned],
            title="派遣",
            kind="case.dispatched",
            channels=["inapp", "wecom"],
            area=areas["micro_grid"],
        )
        raise RuntimeError("the transition failed after notifying")

    assert callbacks == []
    assert robot_server.requests == []
    assert not Notification.objects.exists() and not Delivery.objects.exists()


def test_nothing_is_sent_before_commit(
    areas, robot, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify(title="t", kind="k", channels=["wecom"], area=areas["grid"])
        assert robot_server.requests == []
    assert len(callbacks) == 1

    callbacks[0]()
    assert len(robot_server.requests) == 1


def test_failing_channel_does_not_raise_into_the_caller(
    areas, assigned, robot, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    robot_server.script = [("status", 500)]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        result = services.notify(
            recipients=[assigned],
            title="派遣",
            kind="case.dispatched",
            channels=["inapp", "wecom"],
            area=areas["micro_grid"],
        )

    delivery = Delivery.objects.get(pk=result.deliveries[0].pk)
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_error == "HTTP 500"
    assert Notification.objects.filter(user=assigned).exists()


def test_broken_broker_does_not_raise_and_the_sweep_sends_later(
    areas, robot, robot_server, monkeypatch, sync_tasks, django_capture_on_commit_callbacks
):
    import django_q.tasks

    real_async_task = django_q.tasks.async_task

    def broker_down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("redis is down")

    monkeypatch.setattr(django_q.tasks, "async_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.notify(title="t", kind="k", channels=["wecom"], area=areas["grid"])
    assert robot_server.requests == []

    monkeypatch.setattr(django_q.tasks, "async_task", real_async_task)
    assert services.deliveries_sweep() == 1
    assert Delivery.objects.get(pk=result.deliveries[0].pk).status == DeliveryStatus.SENT


def test_robots_of_the_area_and_its_ancestors_hear_it_others_do_not(
    areas, other_areas, robot, robot_server
):
    make = services.group_robot_create
    street = make(
        area=areas["street"],
        kind="wecom",
        name="街道群",
        webhook_url=f"{robot_server.base}/cgi-bin/webhook/send?key=s",
    )
    make(
        area=other_areas["community"],
        kind="wecom",
        name="别处群",
        webhook_url=f"{robot_server.base}/cgi-bin/webhook/send?key=o",
    )
    off = make(
        area=areas["grid"],
        kind="wecom",
        name="停用群",
        webhook_url=f"{robot_server.base}/cgi-bin/webhook/send?key=x",
        active=False,
    )
    ding = make(
        area=areas["grid"],
        kind="dingtalk",
        name="钉钉群",
        webhook_url=f"{robot_server.base}/robot/send?access_token=d",
    )

    result = services.notify(title="t", kind="k", channels=["wecom"], area=areas["micro_grid"])

    assert [d.robot for d in result.deliveries] == [street, robot]
    assert off not in services.robots_for(areas["micro_grid"], "wecom")
    assert services.robots_for(areas["micro_grid"], "dingtalk") == [ding]


def test_area_without_robot_writes_no_delivery_and_does_not_fail(areas, caplog):
    result = services.notify(title="t", kind="k", channels=["dingtalk"], area=areas["grid"])

    assert result.deliveries == []
    assert "没有启用的钉钉群机器人" in caplog.text


def test_sms_goes_through_the_console_backend(
    sms_outbox, sync_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.notify(
            recipients=[Recipient(phone="+86 139-1234-5678", name="王大爷")],
            title="助浴服务已派单",
            body="护理员30分钟内上门",
            kind="order.dispatched",
            channels=["sms"],
        )

    assert sms_outbox == [{"phone": "13912345678", "text": "助浴服务已派单：护理员30分钟内上门"}]
    delivery = Delivery.objects.get(pk=result.deliveries[0].pk)
    assert delivery.status == DeliveryStatus.SENT and delivery.target == "139****5678"


def test_invalid_phone_is_recorded_as_a_failed_delivery(sms_outbox):
    result = services.notify(
        recipients=[Recipient(phone="12345", name="李四")],
        title="t",
        kind="k",
        channels=["sms"],
    )

    (delivery,) = result.deliveries
    assert delivery.status == DeliveryStatus.FAILED
    assert "不是有效的中国大陆电话号码" in delivery.last_error
    assert sms_outbox == []


def test_email_goes_through_djangos_mail_backend(sync_tasks, django_capture_on_commit_callbacks):
    user = UserFactory.create(email="wang@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            recipients=[user], title="周报", body="本周 3 件事件", kind="report", channels=["email"]
        )

    (message,) = mail.outbox
    assert (message.to, message.subject, message.body) == (
        ["wang@example.cn"],
        "周报",
        "本周 3 件事件",
    )


def test_user_without_email_gets_a_failed_email_delivery_but_still_the_inbox_row():
    user = UserFactory.create(email="")
    result = services.notify(recipients=[user], title="t", kind="k", channels=["inapp", "email"])

    assert result.notifications[0].user == user
    assert result.deliveries[0].status == DeliveryStatus.FAILED
    assert result.deliveries[0].last_error == "没有邮箱地址"


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"title": "  "}, "title", "通知标题不能为空"),
        ({"title": "长" * 201}, "title", "通知标题不能超过 200 个字"),
        ({"kind": ""}, "kind", "通知类型不能为空，且不超过 50 个字符"),
        ({"link": "javascript:alert(1)"}, "link", "链接必须是以 / 开头的站内路径或 http(s) 地址"),
        ({"link": "//evil.example/"}, "link", "链接必须是以 / 开头的站内路径或 http(s) 地址"),
        ({"channels": ["fax"]}, "channels", "未知的通知渠道：fax"),
        ({"channels": ["wecom"]}, "area", "发往群机器人的通知必须指定区域"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(assigned, kwargs, field, message):
    arguments = {"recipients": [assigned], "title": "标题", "kind": "case.reported", **kwargs}
    with pytest.raises(ValidationError) as error:
        services.notify(**arguments)

    assert error.value.message_dict == {field: [message]}
    assert not Notification.objects.exists() and not Delivery.objects.exists()


def test_retry_from_the_back_office_resends_a_dead_delivery(
    areas, robot, robot_server, sync_tasks, django_capture_on_commit_callbacks
):
    result = services.notify(title="t", kind="k", channels=["wecom"], area=areas["grid"])
    Delivery.objects.filter(pk=result.deliveries[0].pk).update(
        status=DeliveryStatus.DEAD, attempts=8
    )
    delivery = Delivery.objects.get(pk=result.deliveries[0].pk)

    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_retry(delivery=delivery)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    with pytest.raises(ValidationError, match="只有失败或重试用尽的投递可以重新发送"):
        services.delivery_retry(delivery=delivery)


def test_sweep_schedule_exists_after_migrate_and_ensure_is_idempotent():
    from django_q.models import Schedule

    assert Schedule.objects.filter(
        name=services.SWEEP_SCHEDULE, func=services.SWEEP_TASK, minutes=1
    ).exists()
    Schedule.objects.filter(name=services.SWEEP_SCHEDULE).update(func="wrong")
    services.ensure_schedules()
    services.ensure_schedules()
    assert list(Schedule.objects.filter(name=services.SWEEP_SCHEDULE).values_list("func")) == [
        (services.SWEEP_TASK,)
    ]
    assert callable(import_string(services.SWEEP_TASK))
    assert callable(import_string(services.SEND_TASK))
