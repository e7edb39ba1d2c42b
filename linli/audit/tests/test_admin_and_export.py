"""Back office (read-only, scoped), downloads recorded by the middleware, the export command."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from linli.audit.middleware import download_name
from linli.audit.models import AuditEvent, AuditKind
from linli.audit.services import record
from linli.people.models import Role
from linli.testing.factories import UserFactory, staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
LIST = "/admin/audit/auditevent/"


@pytest.fixture
def superuser():  # type: ignore[no-untyped-def]
    return UserFactory(is_superuser=True)


def test_the_admin_export_is_a_workbook_and_is_itself_recorded(  # type: ignore[no-untyped-def]
    client, superuser, chain, django_capture_on_commit_callbacks
):
    events = chain(3)
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            LIST, {"action": "export_xlsx", "_selected_action": [e.pk for e in events]}
        )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert events[2].hash in values
    exported = AuditEvent.objects.get(kind=AuditKind.EXPORT)
    assert exported.actor == superuser
    assert exported.detail["rows"] == 3
    assert exported.detail["path"] == LIST
    assert exported.detail["filename"].endswith(".xlsx")


def test_a_list_page_download_is_recorded_with_masked_filters(  # type: ignore[no-untyped-def]
    client, superuser, django_capture_on_commit_callbacks
):
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/orders/", {"format": "xlsx", "q": "13912345678"})
    if response.status_code != 200 or "attachment" not in response.get("Content-Disposition", ""):
        pytest.fail(f"the orders list export moved: {response.status_code}")
    event = AuditEvent.objects.get(kind=AuditKind.EXPORT)
    assert event.detail["query"]["q"] == "139****5678"
    assert event.detail["rows"] == 0 and event.detail["bytes"] > 0


def test_an_inline_page_is_not_an_export(  # type: ignore[no-untyped-def]
    client, superuser, django_capture_on_commit_callbacks
):
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(LIST).status_code == 200
    assert not AuditEvent.objects.filter(kind=AuditKind.EXPORT).exists()


def test_download_name_reads_rfc_6266_names():  # type: ignore[no-untyped-def]
    assert download_name("attachment; filename*=utf-8''%E5%AE%A1%E8%AE%A1.xlsx") == "审计.xlsx"
    assert download_name('attachment; filename="topics-20261130.xlsx"') == "topics-20261130.xlsx"


def test_nobody_may_add_change_or_delete_even_a_superuser(client, superuser, chain):  # type: ignore[no-untyped-def]
    event = chain(1)[0]
    client.force_login(superuser)
    page = client.get(f"{LIST}{event.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content and b"deletelink" not in page.content
    assert client.post(f"{LIST}{event.pk}/change/", {"summary": "改"}).status_code == 403
    assert client.post(f"{LIST}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{LIST}add/").status_code == 403
    listing = client.get(LIST)
    assert b"delete_selected" not in listing.content
    assert AuditEvent.objects.get(pk=event.pk).summary == event.summary


def test_a_street_admin_sees_only_events_of_staff_in_the_street(  # type: ignore[no-untyped-def]
    client, areas, other_areas
):
    street_admin = staff_user(areas["street"], Role.STREET_ADMIN)
    mine = staff_user(areas["micro_grid"])
    theirs = staff_user(other_areas["micro_grid"])
    record(AuditKind.LOGIN, "本街道", actor=mine)
    record(AuditKind.LOGIN, "别的街道", actor=theirs)
    client.force_login(street_admin)
    listing = client.get(LIST)
    assert listing.status_code == 200
    assert "本街道" in listing.content.decode() and "别的街道" not in listing.content.decode()
    other = AuditEvent.objects.get(actor=theirs)
    assert client.get(f"{LIST}{other.pk}/change/").status_code == 404


def test_a_community_admin_has_no_audit_page(client, community_admin):  # type: ignore[no-untyped-def]
    client.force_login(community_admin)
    assert client.get(LIST).status_code == 403


def test_export_command_writes_csv_and_records_the_export(chain, tmp_path, capsys):  # type: ignore[no-untyped-def]
    chain(2)
    chain(1, days_ago=40)
    out = tmp_path / "audit.csv"
    call_command("audit", "export", "--since", "2000-01-01", "--format", "csv", "--output", out)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "序号" and len(rows) == 4
    assert "已导出 3 条" in capsys.readouterr().out
    event = AuditEvent.objects.get(kind=AuditKind.EXPORT)
    assert event.detail["rows"] == 3 and event.actor_label.startswith("命令行")


def test_export_command_filters_by_day_and_writes_xlsx(chain, tmp_path):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    chain(1, days_ago=40)
    chain(2)
    out = tmp_path / "audit.xlsx"
    today = timezone.localdate().isoformat()
    call_command("audit", "export", "--since", today, "--until", today, "--output", out)
    sheet = load_workbook(out).active
    seqs = [row[0] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]
    assert seqs == [2, 3]


def test_export_command_refuses_a_bad_date(db, tmp_path):  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("audit", "export", "--since", "30/11/2026", "--output", tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
