"""The demo's activities step (issue 6), co-governance step (issue 7) and social enterprise
(issue 8): real services, so the demo obeys every rule."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from linli.activities.models import Activity, Audience, RegistrationStatus
from linli.activities.services import venue_problem
from linli.economy.models import (
    FundMove,
    MealLine,
    MealSubsidy,
    ProductSale,
    SocialEnterprise,
    YearClose,
)
from linli.engagement.models import MenuItem, Need, NeedStatus, Policy
from linli.governance.models import Topic, TopicStatus, Vote, VoteStatus
from linli.orgs.models import Organization
from linli.sharing.models import (
    Booking,
    BookingStatus,
    ParkingLot,
    VenueBooking,
    VenueBookingRule,
)
from linli.sharing.services import booking_problem

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
    _the_demo_has_the_parking_story()
    _the_demo_has_the_social_enterprise()


def _the_demo_has_the_parking_story() -> None:
    """Issue 7's demo (built by the same ``linli demo``): the parking topic decided at a
    meeting, the counted price vote, the smart lot with bookings, bookable venues."""
    topic = Topic.objects.get(category="parking")
    assert topic.status == TopicStatus.DECIDED
    assert topic.support_count >= topic.support_threshold == 30
    decision = topic.decisions.get()
    assert decision.follow_ups.filter(status="done").count() == 3
    price = Vote.objects.get(title="错峰共享停车收费标准")
    assert price.status == VoteStatus.COUNTED and price.result["passed"] is True
    assert price.participations.count() == price.ballots.count() == price.result["ballots"]
    night = Vote.objects.get(secret=True)
    assert night.status == VoteStatus.PUBLISHED and night.electorate > 0
    lot = ParkingLot.objects.get(code="jfy-smart")
    assert lot.spaces.count() == 120
    statuses = set(Booking.objects.values_list("status", flat=True))
    assert {BookingStatus.BOOKED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW} <= statuses
    for booking in Booking.objects.filter(status=BookingStatus.BOOKED)[:20]:
        assert booking_problem(
            booking.space, booking.starts_at, booking.ends_at, now=booking.created_at
        ) in (None, "开始时间已过，请选择现在以后的时间")
    assert VenueBooking.objects.filter(status="approved").exists()
    assert VenueBookingRule.objects.count() == 3


def _the_demo_has_the_social_enterprise() -> None:
    """Issue 8's demo: 40 % + 4 × 15 %, a month of canteen sales across both tiers with
    subsidies, last year closed with its 20 % allocation, market sales on every channel."""
    enterprise = SocialEnterprise.objects.get(organization__name="银川丰登社区服务有限公司")
    stakes = sorted(enterprise.shareholders.values_list("stake_bp", flat=True))
    assert stakes == [1500, 1500, 1500, 1500, 4000]
    assert set(MealLine.objects.values_list("tier", flat=True)) == {"优惠价", "标准价", ""}
    assert MealSubsidy.objects.filter(line__voided=False).exists()
    closed = YearClose.objects.get(enterprise=enterprise)
    assert closed.allocation_fen == -(-closed.profit_fen * 2000 // 10000) > 0
    assert set(ProductSale.objects.values_list("channel", flat=True)) == {
        "counter",
        "doorstep",
        "livestream",
    }
    assert FundMove.objects.filter(kind="spending").count() == 2
