"""Reports (linli.cockpit.reports*): figures on a hand-built June 2026, the monthly PDF
rendered to an image, the weekly grid report, the task's failure path, periods and bad
input, the pages' scoping and query counts.

Given (Asia/Shanghai): in the community 测试社区 (grid 测试第一网格), case A reported Mon
06-08 09:00 and walked to closed within 25 minutes, rated 5; case B reported the same
morning and left registered (its dispatch stage runs past its 2 working-hour limit);
two care alerts on 06-10: SOS acknowledged after 4 minutes, silence after 10 minutes and
still open. Another street's community has its own report run.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from linli.care.models import AlertStatus, CareAlert
from linli.cases import services
from linli.cases.models import CaseStatus
from linli.cases.tests.lifecycle import Actors, report, walk_to
from linli.cases.tests.lifecycle import fast_passwords as fast_passwords
from linli.cockpit import reports, tasks
from linli.cockpit.models import ReportKind, ReportRun, ReportStatus
from linli.cockpit.reports_monthly import monthly_document, monthly_figures
from linli.cockpit.reports_weekly import weekly_document, weekly_figures
from linli.common.documents import pdf_bytes, xlsx_bytes
from linli.people.models import Role
from linli.testing.factories import HouseholdFactory, area_chain, staff_user

TZ = ZoneInfo("Asia/Shanghai")
JUNE = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
WEEK = (dt.date(2026, 6, 8), dt.date(2026, 6, 14))
NOW = dt.datetime(2026, 7, 1, 9, 0, tzinfo=TZ)
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 6, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def june() -> dict:  # type: ignore[type-arg]
    areas = area_chain()
    a = Actors(areas)
    micro = areas["micro_grid"]
    case_a = walk_to(report(micro, now=at(8, 9)), CaseStatus.CLOSED, a, now=at(8, 9))
    services.case_rate(case=case_a, actor=a.grid_worker, satisfaction=5, now=at(8, 10))
    case_b = walk_to(report(micro, now=at(8, 9)), CaseStatus.REGISTERED, a, now=at(8, 9))
    household = HouseholdFactory.create(building__micro_grid=micro)
    CareAlert.objects.create(
        household=household,
        area=micro,
        kind="sos",
        raised_at=at(10, 8),
        acknowledged_at=at(10, 8, 4),
        status=AlertStatus.RESOLVED,
    )
    CareAlert.objects.create(
        household=household,
        area=micro,
        kind="silence",
        raised_at=at(10, 20),
        acknowledged_at=at(10, 20, 10),
        status=AlertStatus.ACKNOWLEDGED,
    )
    return {"areas": areas, "actors": a, "a": case_a, "b": case_b}


# --- figures --------------------------------------------------------------------------------


def test_monthly_figures_count_the_months_cases_and_alerts(june: dict) -> None:  # type: ignore[type-arg]
    community = june["areas"]["community"]
    f = monthly_figures(community, *JUNE, now=NOW)
    assert f.cases is not None
    assert (f.cases.received, f.cases.closed) == (2, 1)
    assert f.cases.received_by_category == {"噪音扰民": 2}
    assert f.cases.received_by_day[dt.date(2026, 6, 8)] == 2
    assert f.cases.kpis.satisfaction_mean == 5
    assert f.cases.kpis.overdue_now == 1  # case B still registered, far past its limit
    assert f.alerts is not None
    assert (f.alerts.raised, f.alerts.acknowledged, f.alerts.still_open) == (2, 2, 1)
    assert f.alerts.ack_p50_min == pytest.approx(7.0)  # between 4 and 10 minutes
    assert f.alerts.by_kind == {"紧急呼叫": 1, "长时间无活动": 1}


def test_a_module_without_data_says_so_instead_of_zeros(june: dict) -> None:  # type: ignore[type-arg]
    f = monthly_figures(june["areas"]["community"], *JUNE, now=NOW)
    assert f.orders is None and f.canteen is None and f.needs is None and f.activities is None
    notes = [s.note for s in monthly_document(f).sections]
    assert "本月无服务订单数据。" in notes and "本月无食堂就餐数据。" in notes


def test_an_empty_month_renders_with_every_module_saying_no_data() -> None:
    community = area_chain()["community"]
    f = monthly_figures(community, dt.date(2026, 5, 1), dt.date(2026, 5, 31), now=NOW)
    assert all(m is None for m in (f.cases, f.orders, f.alerts, f.activities, f.canteen, f.needs))
    document = monthly_document(f)
    text = PdfReader(io.BytesIO(pdf_bytes(document))).pages[0].extract_text()
    assert "本月无网格事件数据" in text and "本月无企业需求数据" in text
    assert load_workbook(io.BytesIO(xlsx_bytes(document))).sheetnames


def test_monthly_figures_leave_out_another_area() -> None:
    other = area_chain("640106002", "别处")["community"]
    areas = area_chain()
    walk_to(
        report(areas["micro_grid"], now=at(8, 9)), CaseStatus.CLOSED, Actors(areas), now=at(8, 9)
    )
    assert monthly_figures(other, *JUNE, now=NOW).cases is None


def test_monthly_figures_run_a_fixed_number_of_queries(
    june: dict,  # type: ignore[type-arg]
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    community = june["areas"]["community"]
    with django_assert_max_num_queries(30):
        monthly_figures(community, *JUNE, now=NOW)


def test_the_weekly_report_lists_each_grid_and_the_overdue_cases_without_personal_data(
    june: dict,  # type: ignore[type-arg]
) -> None:
    areas = june["areas"]
    f = weekly_figures(areas["community"], *WEEK, now=NOW)
    [grid] = f.grids
    assert grid.name == areas["grid"].name
    assert grid.received == 2 and grid.received_by_channel["grid_patrol"] == 2
    assert grid.kpis.closed == 1
    [overdue] = grid.overdue
    assert overdue.number == june["b"].number and overdue.days_overdue >= 20
    document = weekly_document(f)
    book = load_workbook(io.BytesIO(xlsx_bytes(document)))
    cells = [c for sheet in book for row in sheet.values for c in row if c is not None]
    assert june["b"].number in cells
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_bytes(document))).pages)
    assert "网格事件周报" in text and june["b"].number in text
    reporter_names = {june["actors"].grid_worker.username, june["actors"].dispatcher.username}
    assert not any(name in str(cells) for name in reporter_names)


def test_a_week_with_nothing_reported_says_so() -> None:
    community = area_chain()["community"]
    document = weekly_document(weekly_figures(community, *WEEK, now=NOW))
    notes = [s.note for s in document.sections]
    assert "本周无受理事件。" in notes and "截至生成时无超时未办事件。" in notes


# --- the monthly PDF rendered to an image ---------------------------------------------------


def test_the_monthly_pdf_renders_with_text_and_a_chart(june: dict) -> None:  # type: ignore[type-arg]
    import pypdfium2 as pdfium  # type: ignore[import-untyped]

    community = june["areas"]["community"]
    data = pdf_bytes(monthly_document(monthly_figures(community, *JUNE, now=NOW)))
    pdf = pdfium.PdfDocument(data)
    page = pdf[0]
    text = page.get_textpage().get_text_range()
    assert "月度工作报告" in text and "测试社区" in text
    assert "各类事件受理与结案" in text  # the chart's title, drawn on page 1
    rendered = page.render(scale=1.5).to_pil()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    rendered.save(SCREENSHOTS / "report_monthly_p1.png")
    image = rendered.convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:128])
    assert dark > 2000, "page 1 is (nearly) blank"
    # The bar chart's bars: mid-grey pixels (the blue and orange fills), which text and
    # table lines (black on white) do not make in any number.
    assert sum(histogram[60:200]) > 3000, "no chart fill on page 1"
    assert b"/FontFile2" in data  # the TrueType CJK font is embedded
    pdf.close()


def test_the_monthly_workbook_has_charts_over_its_data_cells(june: dict) -> None:  # type: ignore[type-arg]
    community = june["areas"]["community"]
    document = monthly_document(monthly_figures(community, *JUNE, now=NOW))
    book = load_workbook(io.BytesIO(xlsx_bytes(document)))
    sheet = book["事件分类"]
    assert len(sheet._charts) == 1
    values = [row for row in sheet.values if row and row[0] == "噪音扰民"]
    assert values[0][:3] == ("噪音扰民", 2, 1)


# --- runs and the task ----------------------------------------------------------------------


def test_a_request_is_generated_by_the_task_into_one_row(
    june: dict,  # type: ignore[type-arg]
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queued: list[int] = []
    monkeypatch.setattr(reports, "_enqueue", queued.append)
    community = june["areas"]["community"]
    user = staff_user(community, Role.COMMUNITY_ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        run = reports.report_request(
            kind=ReportKind.MONTHLY,
            area=community,
            period_start=JUNE[0],
            period_end=JUNE[1],
            user=user,
        )
    assert run.status == ReportStatus.QUEUED and queued == [run.pk]
    assert tasks.report_generate_task(run.pk) == f"{run.pk} done"
    run.refresh_from_db()
    assert run.pdf and run.xlsx and run.finished_at and not run.error
    with django_capture_on_commit_callbacks(execute=True):
        again = reports.report_request(
            kind=ReportKind.MONTHLY,
            area=community,
            period_start=JUNE[0],
            period_end=JUNE[1],
            user=user,
        )
    assert again.pk == run.pk and again.status == ReportStatus.QUEUED
    assert ReportRun.objects.count() == 1 and queued == [run.pk, run.pk]


def test_a_run_left_running_past_the_queue_timeout_is_queued_again(
    june: dict,  # type: ignore[type-arg]
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    """A task killed by the queue's timeout (or a dead worker) leaves its run ``running``;
    once that is older than the timeout plus a margin, asking again (a user or a schedule)
    queues it again instead of returning the dead run for ever."""
    from django.utils import timezone

    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 300}
    queued: list[int] = []
    monkeypatch.setattr(reports, "_enqueue", queued.append)
    community = june["areas"]["community"]
    run = ReportRun.objects.create(
        kind=ReportKind.MONTHLY,
        area=community,
        period_start=JUNE[0],
        period_end=JUNE[1],
        status=ReportStatus.RUNNING,
    )

    def ask() -> ReportRun:
        with django_capture_on_commit_callbacks(execute=True):
            return reports.report_request(
                kind=ReportKind.MONTHLY, area=community, period_start=JUNE[0], period_end=JUNE[1]
            )

    # Still within the timeout and the margin: being generated, not queued twice.
    recent = timezone.now() - dt.timedelta(seconds=300) - reports.STALE_MARGIN / 2
    ReportRun.objects.filter(pk=run.pk).update(updated_at=recent)
    assert ask().status == ReportStatus.RUNNING and queued == []
    # Past the timeout and the margin: stale, queued again into the same row.
    old = (
        timezone.now() - dt.timedelta(seconds=300) - reports.STALE_MARGIN - dt.timedelta(seconds=5)
    )
    ReportRun.objects.filter(pk=run.pk).update(updated_at=old)
    assert reports.is_stale(ReportRun.objects.get(pk=run.pk))
    again = ask()
    assert again.pk == run.pk and again.status == ReportStatus.QUEUED and queued == [run.pk]
    assert ReportRun.objects.get(pk=run.pk).status == ReportStatus.QUEUED
    # The schedules ask the same way, so a stale run of theirs is made again too.
    ReportRun.objects.filter(pk=run.pk).update(status=ReportStatus.RUNNING, updated_at=old)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.monthly_reports_task(today=dt.date(2026, 7, 1))
    assert ReportRun.objects.get(pk=run.pk).status == ReportStatus.QUEUED
    assert queued.count(run.pk) == 2
    # A longer queue timeout moves the bound.
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 3600}
    ReportRun.objects.filter(pk=run.pk).update(status=ReportStatus.RUNNING, updated_at=old)
    assert not reports.is_stale(ReportRun.objects.get(pk=run.pk))


def test_a_failing_report_is_marked_failed_with_the_error_and_no_files(
    june: dict,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    community = june["areas"]["community"]
    run = ReportRun.objects.create(
        kind=ReportKind.MONTHLY,
        area=community,
        period_start=JUNE[0],
        period_end=JUNE[1],
        pdf=b"old",
        xlsx=b"old",
    )

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("字体文件损坏")

    monkeypatch.setattr(reports, "xlsx_bytes", broken)
    run = reports.report_generate(run_id=run.pk, now=NOW)
    assert run.status == ReportStatus.FAILED
    assert "字体文件损坏" in run.error
    assert run.pdf is None and run.xlsx is None  # not the PDF without the workbook


def test_a_monthly_report_is_only_for_a_street_or_community(june: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(reports.ReportInputError, match="只能按街道、社区生成"):
        reports.report_request(
            kind=ReportKind.MONTHLY,
            area=june["areas"]["grid"],
            period_start=JUNE[0],
            period_end=JUNE[1],
        )


def test_a_report_outside_ones_areas_is_refused(june: dict) -> None:  # type: ignore[type-arg]
    stranger = staff_user(area_chain("640106002", "别处")["community"], Role.COMMUNITY_ADMIN)
    with pytest.raises(reports.ReportNotAllowed):
        reports.report_request(
            kind=ReportKind.MONTHLY,
            area=june["areas"]["community"],
            period_start=JUNE[0],
            period_end=JUNE[1],
            user=stranger,
        )


def test_the_schedules_queue_last_month_and_last_week(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reports, "_enqueue", lambda run_id: None)
    area_chain()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.monthly_reports_task(today=dt.date(2026, 7, 1)) == 2  # street, community
        assert tasks.weekly_reports_task(today=dt.date(2026, 6, 15)) == 1
    periods = set(ReportRun.objects.values_list("kind", "period_start", "period_end"))
    assert periods == {
        (ReportKind.MONTHLY, *JUNE),
        (ReportKind.WEEKLY_CASES, *WEEK),
    }
    first = tasks.ensure_schedules()
    assert [s.pk for s in tasks.ensure_schedules()] == [s.pk for s in first]  # type: ignore[attr-defined]
    monthly, weekly = first
    assert monthly.next_run.astimezone(TZ).day == 1  # type: ignore[attr-defined]
    assert weekly.next_run.astimezone(TZ).weekday() == 0  # type: ignore[attr-defined]


# --- periods --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02", (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
        ("2024年2月", (dt.date(2024, 2, 1), dt.date(2024, 2, 29))),
        ("2025/12", (dt.date(2025, 12, 1), dt.date(2025, 12, 31))),
    ],
)
def test_months_parse_to_their_first_and_last_day(text: str, expected: tuple) -> None:  # type: ignore[type-arg]
    assert reports.month_period(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-W24", WEEK), ("2026-06-11", WEEK), ("2026-06-14", WEEK), ("2026w24", WEEK)],
)
def test_weeks_run_monday_to_sunday(text: str, expected: tuple) -> None:  # type: ignore[type-arg]
    assert reports.week_period(text) == expected


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (ReportKind.MONTHLY, "2026-13", "月份应在 1–12 之间"),
        (ReportKind.MONTHLY, "六月", "月份格式不对"),
        (ReportKind.MONTHLY, "1999-12", "年份不能早于 2000 年"),
        (ReportKind.MONTHLY, "2099-01", "年份不能晚于"),
        (ReportKind.MONTHLY, "9999-12", "年份不能晚于"),  # was ValueError (year 10000) → 500
        (ReportKind.WEEKLY_CASES, "9999-W52", "年份不能晚于"),  # was OverflowError → 500
        (ReportKind.WEEKLY_CASES, "9999-12-31", "年份不能晚于"),  # was OverflowError → 500
        (ReportKind.WEEKLY_CASES, "0001-01-01", "年份不能早于 2000 年"),
        (ReportKind.WEEKLY_CASES, "1999-W10", "年份不能早于 2000 年"),
        (ReportKind.WEEKLY_CASES, "2000-01-01", "年份不能早于 2000 年"),  # its Monday: 1999
        (ReportKind.WEEKLY_CASES, "2026-W60", "周次格式不对"),
        (ReportKind.WEEKLY_CASES, "2026-06-31", "周次格式不对"),
        ("yearly", "2026", "请选择报告类型"),
    ],
)
def test_bad_periods_are_refused_in_chinese(kind: str, text: str, message: str) -> None:
    with pytest.raises(reports.ReportInputError, match=message):
        reports.period_for(kind, text)


def test_a_period_not_yet_begun_is_refused_and_next_years_bound_is_allowed() -> None:
    from django.utils import timezone

    today = timezone.localdate()
    nxt = today.year + 1
    with pytest.raises(reports.ReportInputError, match="尚未开始"):
        reports.period_for(ReportKind.MONTHLY, f"{nxt}-12")
    with pytest.raises(reports.ReportInputError, match="尚未开始"):
        reports.period_for(ReportKind.WEEKLY_CASES, f"{nxt}-12-31")
    assert reports.month_period(f"{nxt}-12")[1] == dt.date(nxt, 12, 31)
    with pytest.raises(reports.ReportInputError, match=f"年份不能晚于 {nxt} 年"):
        reports.month_period(f"{nxt + 1}-01")


def test_the_request_form_answers_an_absurd_year_as_a_form_error() -> None:
    from linli.cockpit.reports_forms import ReportRequestForm

    areas = area_chain()
    for kind, text in ((ReportKind.MONTHLY, "9999-12"), (ReportKind.WEEKLY_CASES, "9999-W52")):
        form = ReportRequestForm(
            {"kind": kind, "area": areas["community"].pk, "period": text},
            areas=[areas["community"]],
        )
        assert not form.is_valid()
        assert "年份不能晚于" in form.errors["period"][0]


# --- pages ----------------------------------------------------------------------------------


def _done_run(area, **kwargs) -> ReportRun:  # type: ignore[no-untyped-def]
    return ReportRun.objects.create(
        kind=ReportKind.MONTHLY,
        area=area,
        period_start=JUNE[0],
        period_end=JUNE[1],
        status=ReportStatus.DONE,
        pdf=b"%PDF-1.4 test",
        xlsx=b"PK test",
        **kwargs,
    )


def test_the_list_shows_my_areas_runs_and_downloads_them_with_chinese_names(client) -> None:  # type: ignore[no-untyped-def]
    community = area_chain()["community"]
    other = area_chain("640106002", "别处")["community"]
    mine, theirs = _done_run(community), _done_run(other)
    client.force_login(staff_user(community, Role.COMMUNITY_ADMIN))
    page = client.get(reverse("cockpit_reports:list")).content.decode()
    assert f'id="run-{mine.pk}"' in page and f'id="run-{theirs.pk}"' not in page
    response = client.get(reverse("cockpit_reports:pdf", args=[mine.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert "%E6%9C%88%E5%BA%A6" in response["Content-Disposition"]  # 月度
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    assert client.get(reverse("cockpit_reports:xlsx", args=[mine.pk])).status_code == 200
    assert client.get(reverse("cockpit_reports:pdf", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("cockpit_reports:xlsx", args=[theirs.pk])).status_code == 404


def test_a_run_without_files_is_not_downloadable(client) -> None:  # type: ignore[no-untyped-def]
    community = area_chain()["community"]
    run = ReportRun.objects.create(
        kind=ReportKind.MONTHLY,
        area=community,
        period_start=JUNE[0],
        period_end=JUNE[1],
        status=ReportStatus.FAILED,
        error="出错了",
    )
    client.force_login(staff_user(community, Role.COMMUNITY_ADMIN))
    assert client.get(reverse("cockpit_reports:pdf", args=[run.pk])).status_code == 404
    assert "出错了" in client.get(reverse("cockpit_reports:list")).content.decode()


def test_who_may_see_the_reports(client) -> None:  # type: ignore[no-untyped-def]
    community = area_chain()["community"]
    url = reverse("cockpit_reports:list")
    assert client.get(url).status_code == 302  # anonymous → login
    client.force_login(staff_user(community, Role.PROVIDER_STAFF))
    assert client.get(url).status_code == 403


def test_the_list_exports_to_excel(client) -> None:  # type: ignore[no-untyped-def]
    community = area_chain()["community"]
    _done_run(community)
    client.force_login(staff_user(community, Role.COMMUNITY_ADMIN))
    response = client.get(reverse("cockpit_reports:list") + "?format=xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.values)
    assert rows[4][:4] == ("社区月度工作报告", "测试社区", "2026年6月", "已生成")


def test_requesting_from_the_page_queues_and_bad_input_is_answered_in_chinese(
    client,  # type: ignore[no-untyped-def]
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queued: list[int] = []
    monkeypatch.setattr(reports, "_enqueue", queued.append)
    areas = area_chain()
    other = area_chain("640106002", "别处")["community"]
    client.force_login(staff_user(areas["community"], Role.COMMUNITY_ADMIN))
    url = reverse("cockpit_reports:list")
    bad = client.post(url, {"kind": "monthly", "area": areas["community"].pk, "period": "2026-13"})
    assert bad.status_code == 400 and "月份应在 1–12 之间" in bad.content.decode()
    grid = client.post(url, {"kind": "monthly", "area": areas["grid"].pk, "period": "2026-06"})
    assert grid.status_code == 400 and "只能按街道、社区生成" in grid.content.decode()
    elsewhere = client.post(url, {"kind": "monthly", "area": other.pk, "period": "2026-06"})
    assert elsewhere.status_code == 400 and "请选择您负责的区域" in elsewhere.content.decode()
    for kind, text in (("monthly", "9999-12"), ("weekly_cases", "9999-12-31")):
        far = client.post(url, {"kind": kind, "area": areas["community"].pk, "period": text})
        assert far.status_code == 400 and "年份不能晚于" in far.content.decode()
    assert not ReportRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(
            url, {"kind": "weekly_cases", "area": areas["grid"].pk, "period": "2026-06-10"}
        )
    assert ok.status_code == 302
    run = ReportRun.objects.get()
    assert (run.period_start, run.period_end) == WEEK and queued == [run.pk]


def test_the_list_runs_a_fixed_number_of_queries(
    client,  # type: ignore[no-untyped-def]
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    community = area_chain()["community"]
    user = staff_user(community, Role.COMMUNITY_ADMIN)
    for month in range(1, 6):
        ReportRun.objects.create(
            kind=ReportKind.MONTHLY,
            area=community,
            period_start=dt.date(2026, month, 1),
            period_end=dt.date(2026, month, 28),
            requested_by=user,
        )
    client.force_login(user)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("cockpit_reports:list")).status_code == 200


def test_enterprise_needs_count_raised_and_done_in_the_month() -> None:
    from linli.cockpit.reports_monthly import need_figures
    from linli.engagement.models import Need, NeedStatus
    from linli.testing.factories import OrganizationFactory

    areas = area_chain()
    org = OrganizationFactory.create(name="测试科技公司", kind="enterprise")

    def need(number: str, created: dt.datetime, **kwargs: object) -> None:
        row = Need.objects.create(
            number=number, area=areas["community"], organization=org, category="training",
            title="消防培训", **kwargs,
        )  # fmt: skip
        Need.objects.filter(pk=row.pk).update(created_at=created)

    need("N1", at(3, 10), status=NeedStatus.DONE, done_at=at(20, 10))  # raised and done
    need("N2", at(25, 10))  # raised, still open
    need("N3", dt.datetime(2026, 5, 20, tzinfo=TZ), status=NeedStatus.DONE, done_at=at(2, 9))
    need("N4", dt.datetime(2026, 5, 20, tzinfo=TZ))  # May, open
    f = need_figures(areas["street"], *JUNE)
    assert f is not None
    assert (f.opened, f.done, f.open_now) == (2, 2, 2)
    assert f.by_category == {"培训": (2, 2)}
    assert need_figures(areas["street"], dt.date(2026, 4, 1), dt.date(2026, 4, 30)) is None


def test_residents_needs_are_not_counted_as_enterprise_service() -> None:
    """「六、企业服务」 counts needs raised by organisations only, as the KPI panel does
    (:func:`linli.cockpit.kpis.needs_in`); a resident's need of the month is left out."""
    from linli.cockpit.reports_monthly import need_figures
    from linli.engagement.models import Need
    from linli.testing.factories import OrganizationFactory, ResidentFactory

    areas = area_chain()
    org = OrganizationFactory.create(name="测试科技公司", kind="enterprise")
    household = HouseholdFactory.create(building__micro_grid=areas["micro_grid"])
    resident = ResidentFactory.create(household=household)
    for number, raiser in (("N1", {"organization": org}), ("N2", {"resident": resident})):
        row = Need.objects.create(
            number=number, area=areas["community"], category="training", title="消防培训",
            **raiser,
        )  # fmt: skip
        Need.objects.filter(pk=row.pk).update(created_at=at(5, 10))
    f = need_figures(areas["street"], *JUNE)
    assert f is not None
    assert (f.opened, f.done, f.open_now) == (1, 0, 1)
    assert f.by_category == {"培训": (1, 0)}
    Need.objects.filter(number="N1").delete()
    assert need_figures(areas["street"], *JUNE) is None


@pytest.mark.parametrize(
    ("p90", "unfulfilled", "expected"),
    [
        (17.1, 0, "承诺 30 分钟：达标"),
        (17.1, 1, "P90 在承诺内，但有 1 单无人接单或超时未到，未达标"),
        (41.0, 0, "P90 超过 30 分钟，未达标"),
    ],
)
def test_the_arrival_verdict_says_why_it_failed(
    p90: float, unfulfilled: int, expected: str
) -> None:
    from linli.cockpit.reports_monthly import OrderFigures, _order_sections
    from linli.orders.views_staff import ArrivalStats

    stats = ArrivalStats(
        arrived=8, waiting=0, p50_min=12.1, p90_min=p90, on_time=0.9, unfulfilled=unfulfilled
    )
    (section,) = _order_sections(OrderFigures(placed=9, by_service={"助餐": (9, 8)}, arrival=stats))
    assert expected in section.note


def test_a_month_still_running_says_up_to_when() -> None:
    community = area_chain()["community"]
    during = dt.datetime(2026, 6, 30, 9, 30, tzinfo=TZ)
    running = monthly_document(monthly_figures(community, *JUNE, now=during))
    assert "（本月尚未结束，数据截至 06-30 09:30）" in running.lines[1]
    finished = monthly_document(monthly_figures(community, *JUNE, now=NOW))
    assert "尚未结束" not in finished.lines[1]
