"""The back-office page: upload → preview → confirm → progress → result, and export."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest  # django-axes needs a request to authenticate
from django.urls import reverse
from django_q.models import OrmQ
from python_calamine import CalamineWorkbook

from linli.common.models import PiiAccessLog
from linli.people.models import Resident, RosterImport
from linli.people.roster import services, uploads
from linli.people.roster.samples import DEFAULT_HEADERS, ledger_xlsx
from linli.people.roster.tasks import roster_upload_run_task
from linli.places.models import Building
from linli.testing.factories import make_id_number

PASSWORD = "pw-linli-test"


def row(name: str, number: str, **cells: object) -> list[object]:
    address = {"楼栋": "3号楼", "单元": "1单元", "房号": "101"}
    values: dict[str, object] = {"姓名": name, "身份证号码": number, **address, **cells}
    return [values.get(header) for header in DEFAULT_HEADERS]


GOOD = [row("张建国", make_id_number(dt.date(1950, 3, 5), 11), 与户主关系="户主"),
        row("李秀英", make_id_number(dt.date(1952, 8, 1), 12), 特殊人群="低保户")]  # fmt: skip
BAD = row("王五", make_id_number(dt.date(1960, 1, 1), 13), 性别="女")


def upload(client, community, rows=GOOD, name="台账.xlsx", create_missing=True, data=None):  # type: ignore[no-untyped-def]
    content = data if data is not None else ledger_xlsx(rows)
    form = {"community": community.pk, "file": SimpleUploadedFile(name, content)}
    if create_missing:
        form["create_missing"] = "on"
    return client.post(reverse("roster:upload"), form)


@pytest.fixture
def staff(client, areas):  # type: ignore[no-untyped-def]
    """A grid worker assigned to the whole community (keeps the ledger, no PII right)."""
    from linli.testing.factories import staff_user

    user = staff_user(areas["community"], "grid_worker")
    client.login(request=HttpRequest(), username=user.username, password=PASSWORD)
    return client


def test_micro_grid_worker_cannot_import_a_whole_community_ledger(client, assigned) -> None:
    """A ledger covers the community; a micro-grid worker would write outside their grid."""
    client.login(request=HttpRequest(), username=assigned.username, password=PASSWORD)
    assert client.get(reverse("roster:upload")).status_code == 403


def test_anonymous_visitor_is_sent_to_login(client, areas) -> None:
    response = client.get(reverse("roster:upload"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_selector_lists_only_communities_in_scope(staff, areas, other_areas) -> None:
    page = staff.get(reverse("roster:upload")).content.decode()
    assert "测试社区" in page and "别处社区" not in page


def test_user_without_assignment_gets_403(client, areas) -> None:
    from linli.testing.factories import UserFactory

    user = UserFactory()
    client.login(request=HttpRequest(), username=user.username, password=PASSWORD)
    assert client.get(reverse("roster:upload")).status_code == 403


@pytest.mark.parametrize(
    ("role", "is_staff"), [("volunteer", True), ("police", True), ("micro_grid_worker", False)]
)
def test_volunteers_police_and_non_staff_cannot_import(client, areas, role, is_staff) -> None:
    from linli.testing.factories import staff_user

    user = staff_user(areas["community"], role, is_staff=is_staff)
    client.login(request=HttpRequest(), username=user.username, password=PASSWORD)
    assert client.get(reverse("roster:upload")).status_code == 403
    assert upload(client, areas["community"]).status_code == 403
    assert not RosterImport.objects.exists()


def test_superuser_may_import_anywhere(client, areas, other_areas) -> None:
    from linli.testing.factories import UserFactory

    admin = UserFactory(is_superuser=True)
    client.login(request=HttpRequest(), username=admin.username, password=PASSWORD)
    page = client.get(reverse("roster:upload")).content.decode()
    assert "测试社区" in page and "别处社区" in page


def test_upload_shows_preview_with_counts_and_rejections_and_writes_nothing(staff, areas) -> None:
    response = upload(staff, areas["community"], rows=[*GOOD, BAD])
    job = RosterImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "roster:detail", args=[job.pk]
    )
    page = staff.get(response["Location"]).content.decode()
    assert "确认导入（新增 2，更新 0）" in page
    assert "性别与身份证号不符" in page and "张建国" in page
    assert (job.imported, job.rejected, job.status) == (2, 1, "previewed")
    assert not Resident.objects.exists() and not Building.objects.exists()


def test_confirm_imports_small_file_inline_and_shows_result_with_error_report(staff, areas) -> None:
    upload(staff, areas["community"], rows=[*GOOD, BAD])
    job = RosterImport.objects.get()
    response = staff.post(reverse("roster:confirm", args=[job.pk]), follow=True)
    page = response.content.decode()
    assert "导入完成" in page and "下载错误报告" in page
    assert Resident.objects.count() == 2
    assert Resident.objects.get(name="张建国").history.first().history_user == job.created_by
    report = staff.get(reverse("roster:errors", args=[job.pk]))
    assert report.status_code == 200
    rows = CalamineWorkbook.from_filelike(_bytes(report)).get_sheet_by_index(0).to_python()
    assert rows[3][1] == "王五" and "性别与身份证号不符" in rows[3][-1]


def _bytes(response):  # type: ignore[no-untyped-def]
    import io

    return io.BytesIO(b"".join(response.streaming_content))


def test_confirming_twice_imports_once(staff, areas) -> None:
    upload(staff, areas["community"])
    job = RosterImport.objects.get()
    staff.post(reverse("roster:confirm", args=[job.pk]))
    page = staff.post(reverse("roster:confirm", args=[job.pk]), follow=True).content.decode()
    assert "该文件已经确认导入过了" in page
    assert Resident.objects.count() == 2


def test_big_file_is_queued_and_polled_until_the_worker_finishes(staff, areas, monkeypatch) -> None:
    monkeypatch.setattr(uploads, "INLINE_MAX_ROWS", 1)
    upload(staff, areas["community"])
    job = RosterImport.objects.get()
    staff.post(reverse("roster:confirm", args=[job.pk]))
    page = staff.get(reverse("roster:detail", args=[job.pk])).content.decode()
    assert "正在导入" in page and 'hx-trigger="every 1s"' in page
    assert OrmQ.objects.count() == 1 and not Resident.objects.exists()
    poll = staff.get(reverse("roster:progress", args=[job.pk]))
    assert "HX-Refresh" not in poll
    roster_upload_run_task(job.pk, job.created_by_id)  # what the worker does
    poll = staff.get(reverse("roster:progress", args=[job.pk]))
    assert poll["HX-Refresh"] == "true" and "100%" in poll.content.decode()
    assert Resident.objects.count() == 2


def test_user_elsewhere_cannot_see_or_confirm_anothers_upload(
    client, staff, areas, other_areas
) -> None:
    from linli.testing.factories import staff_user

    elsewhere = staff_user(other_areas["community"], "grid_worker")
    upload(staff, areas["community"])
    job = RosterImport.objects.get()
    staff.logout()
    client.login(request=HttpRequest(), username=elsewhere.username, password=PASSWORD)
    assert client.get(reverse("roster:detail", args=[job.pk])).status_code == 404
    assert client.post(reverse("roster:confirm", args=[job.pk])).status_code == 404
    assert client.get(reverse("roster:errors", args=[job.pk])).status_code == 404
    assert upload(client, areas["community"]).status_code == 400
    assert not Resident.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("台账.pdf", b"%PDF-1.4", "只支持 .xlsx、.xls 或 .csv 文件"),
        ("台账.xlsx", b"PK\x03\x04garbage", "文件已损坏"),
        ("台账.csv", "序号,电话\n1,139\n".encode(), "没有找到表头"),
    ],
)
def test_bad_uploads_get_a_chinese_message_and_nothing_is_stored(
    staff, areas, name, data, message
) -> None:
    response = upload(staff, areas["community"], name=name, data=data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not RosterImport.objects.exists()


def test_too_big_upload_is_refused(staff, areas, monkeypatch) -> None:
    from linli.people.roster import forms

    monkeypatch.setattr(forms, "MAX_UPLOAD_BYTES", 100)
    response = upload(staff, areas["community"])
    assert response.status_code == 400 and "文件超过 10 MB" in response.content.decode()


def test_export_download_needs_pii_right_and_is_logged(
    client, staff, areas, community_admin
) -> None:
    upload(staff, areas["community"])
    staff.post(reverse("roster:confirm", args=[RosterImport.objects.get().pk]))
    url = reverse("roster:export") + f"?community={areas['community'].pk}"
    assert staff.get(url).status_code == 403  # a micro-grid worker sees masked numbers only
    staff.logout()
    client.login(request=HttpRequest(), username=community_admin.username, password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    import io

    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(response.content))
        .get_sheet_by_index(0)
        .to_python()
    )
    assert {r[0] for r in rows[3:]} == {"张建国", "李秀英"}
    log = PiiAccessLog.objects.get()
    assert (log.user, log.purpose) == (community_admin, "台账导出")


def test_export_of_another_community_or_nonsense_is_404(
    client, areas, other_areas, community_admin
) -> None:
    client.login(request=HttpRequest(), username=community_admin.username, password=PASSWORD)
    url = reverse("roster:export") + f"?community={other_areas['community'].pk}"
    assert client.get(url).status_code == 404
    assert client.get(reverse("roster:export") + "?community=abc").status_code == 404


def test_preview_masks_identity_numbers_and_phones(staff, areas) -> None:
    upload(staff, areas["community"], rows=[row("张建国", GOOD[0][2], 联系电话="13912345678")])
    page = staff.get(
        reverse("roster:detail", args=[RosterImport.objects.get().pk])
    ).content.decode()
    assert GOOD[0][2] not in page and "13912345678" not in page
    assert "139****5678" in page


def test_colleague_without_pii_right_cannot_open_anothers_upload(
    client, staff, areas, community_admin
) -> None:
    from linli.testing.factories import staff_user

    upload(staff, areas["community"])
    job = RosterImport.objects.get()
    colleague = staff_user(areas["micro_grid"])
    staff.logout()
    client.login(request=HttpRequest(), username=colleague.username, password=PASSWORD)
    assert client.get(reverse("roster:detail", args=[job.pk])).status_code == 404
    client.logout()
    client.login(request=HttpRequest(), username=community_admin.username, password=PASSWORD)
    assert client.get(reverse("roster:detail", args=[job.pk])).status_code == 200


def test_import_that_fails_midway_is_reported_and_writes_nothing(staff, areas, monkeypatch) -> None:
    """A crash after residents were inserted rolls the whole import back."""
    upload(staff, areas["community"])
    job = RosterImport.objects.get()

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        assert Resident.objects.count() == 2  # the residents were already written…
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_apply_heads", crash)
    page = staff.post(reverse("roster:confirm", args=[job.pk]), follow=True).content.decode()
    assert "导入失败" in page and "没有写入任何数据" in page
    assert not Resident.objects.exists() and not Building.objects.exists()  # …and rolled back
