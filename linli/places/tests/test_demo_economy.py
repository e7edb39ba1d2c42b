"""The demo's activities step (issue 6): real services, so the demo obeys every rule."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from linli.activities.models import Activity, Audience, RegistrationStatus
from linli.activities.services import venue_problem
from linli.engagement.models import MenuItem, Need, NeedStatus, Policy
from linli.orgs.models import Organization

pytestmark = pytest.mark.django_db


def test_the_demo_has_the_reports_activities() -> None:
    out = StringIO()
    call_command("demo", scale=0.01, seed=7, stdout=out)
    assert "活动与课程" in out.getvalue()
    training = Activity.objects.get(title="消防安全实操培训")
    assert training.registrations.filter(status=RegistrationStatus.CONFIRMED).count() == 60
    assert {r.organization.name for r in training.registrations.all()} == {
        "宁夏阅海健康体检中心有限公司"
    }
    camp = Activity.objects.get(title__startswith="七彩假期")
    assert camp.audience == Audience.EMPLOYEES_CHILDREN and camp.sessions.count() >= 10
    statuses = list(camp.registrations.values_list("status", flat=True))
    assert statuses.count(RegistrationStatus.CONFIRMED) == 30
    assert statuses.count(RegistrationStatus.WAITLISTED) == 2
    assert all(r.guardian_phone for r in camp.registrations.all())
    open_day = Activity.objects.get(kind="open_day")
    session = open_day.sessions.get()
    assert open_day.organiser is not None and open_day.venue.organization == open_day.organiser
    assert venue_problem(open_day.venue, session.starts_at, session.ends_at) is None
    # The plant's yard is closed during production hours: a weekday morning is refused.
    monday = session.starts_at.replace(hour=2)  # 10:00 Asia/Shanghai (UTC+8)
    monday -= dt.timedelta(days=5)
    assert "不在场地" in (venue_problem(open_day.venue, monday, monday.replace(hour=4)) or "")
    calligraphy = Activity.objects.get(title__contains="书法")
    reasons = set(calligraphy.registrations.values_list("price_reason", flat=True))
    assert reasons and reasons <= {"免费：符合社区减免条件", "每期 60 元"}
    fire = Need.objects.get(title="员工消防安全培训")
    assert fire.status == NeedStatus.PLANNED and fire.activity == training and fire.council
    assert Need.objects.filter(status=NeedStatus.DONE, rating=5).count() == 1
    assert Need.objects.get(status=NeedStatus.DECLINED).declined_reason
    assert MenuItem.objects.filter(provider__name="宁夏阅海健康体检中心有限公司").count() == 1
    # The policy library lists the matching demo enterprises with reasons.
    intern = Policy.objects.get(title="青年就业见习补贴")
    bases = Organization.objects.filter(internship_base=True)
    assert bases.count() >= 2
    assert set(intern.matches.values_list("organization", flat=True)) == set(
        bases.values_list("pk", flat=True)
    )
    assert all("见习基地" in m.reasons for m in intern.matches.all())
    voucher = Policy.objects.get(grant_mode="automatic")
    assert voucher.matches.exists()
    assert set(voucher.matches.values_list("status", flat=True)) == {"granted"}
    assert intern.notes.exists()
    health = Organization.objects.get(name="宁夏阅海健康体检中心有限公司")
    assert intern.matches.filter(organization=health, status="notified").exists()
    relief = Policy.objects.get(title="安置残疾人就业税收优惠")
    assert relief.area.kind == "street"
    assert relief.matches.filter(organization__industry__startswith="制造业（水泥").exists()
    phone_class = Activity.objects.get(title__contains="智能手机")
    assert phone_class.registrations.filter(resident__isnull=False).count() == 1
