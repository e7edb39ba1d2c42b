"""Every write of activities: create and publish, sessions, registration with a waitlist,
cancellation with automatic promotion, check-in and feedback.

Rules (docs/activities.md):

* a session lies inside one of its venue's weekly windows (local time, same day) and
  does not overlap another live activity's session at the same venue;
* a person registers once per activity (``person_key``; a partial unique constraint
  backs the check); past ``capacity`` a registration goes on the waitlist, past
  ``waitlist_limit`` it is refused;
* registration locks the activity row first (``SELECT … FOR UPDATE`` on PostgreSQL, an
  ``IMMEDIATE`` transaction on SQLite), so concurrent last-seat registrations never
  overbook; cancelling a confirmed place promotes the oldest waitlisted registration in
  the same transaction and tells them after commit;
* audience and age band are checked on the first session's date (whole years,
  :func:`linli.common.identity.age_on`).

Errors are :class:`~linli.activities.errors.ActivityError` with a Chinese message;
nothing is written when one is raised.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from linli.accounts.errors import AccountsError
from linli.accounts.services import parse_mobile
from linli.activities.errors import ActivityConflict, ActivityError
from linli.activities.models import (
    LIVE_STATUSES,
    Activity,
    ActivityStatus,
    Attendance,
    Audience,
    Registration,
    RegistrationStatus,
    Session,
    Venue,
)
from linli.common.identity import age_on
from linli.common.models import CalendarOverride
from linli.common.windows import window_problem
from linli.common.workcalendar import is_workday, package_covers
from linli.eligibility.engine import EligibilityError, quote
from linli.eligibility.money import yuan
from linli.notify.models import Channel
from linli.notify.services import Recipient, notify
from linli.orgs.models import Organization
from linli.people.models import FamilyLink, Resident
from linli.places.models import Area

#: A session as (local or aware start, end, title).
SessionSpec = tuple[dt.datetime, dt.datetime, str]

#: Check-in opens this long before a session starts and stays open until it ends.
CHECKIN_EARLY = dt.timedelta(minutes=30)
#: Someone under this age is a child: registered by a guardian.
ADULT_AGE = 18


# --- venues and sessions -------------------------------------------------------------------


def _local(moment: dt.datetime) -> dt.datetime:
    if timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return timezone.localtime(moment)


def venue_problem(venue: Venue, starts_at: dt.datetime, ends_at: dt.datetime) -> str | None:
    """Why ``venue`` cannot host ``starts_at``–``ends_at``, or ``None`` if it can.

    The span must lie on one local day inside one of the venue's windows for that
    weekday (a venue without windows is always open). Does not look at other bookings.
    """
    if not venue.active and _local(ends_at) > _local(starts_at):
        return f"场地“{venue.name}”已停用"
    problem = window_problem(venue.windows.all(), starts_at, ends_at, name=f"场地“{venue.name}”")
    if problem == "不能跨天，请分成两段":
        return "一个场次不能跨天"
    return problem


def _clash(
    venue: Venue, starts_at: dt.datetime, ends_at: dt.datetime, exclude: int | None
) -> Session | None:
    sessions = Session.objects.filter(
        activity__venue=venue,
        activity__status__in=[ActivityStatus.PUBLISHED, ActivityStatus.CLOSED],
        cancelled=False,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).select_related("activity")
    if exclude is not None:
        sessions = sessions.exclude(activity_id=exclude)
    return sessions.first()


def session_clash(
    venue: Venue, starts_at: dt.datetime, ends_at: dt.datetime, exclude: int | None = None
) -> Session | None:
    """A live activity's session at ``venue`` overlapping ``starts_at``–``ends_at``
    (published or closed activities, sessions not cancelled), or ``None``; ``exclude`` an
    activity id to ignore. Used by venue bookings (:mod:`linli.sharing.venues`)."""
    return _clash(venue, starts_at, ends_at, exclude)


def _booking_clash(venue: Venue, starts_at: dt.datetime, ends_at: dt.datetime) -> Any:
    from linli.sharing.models import LIVE_VENUE_BOOKING, VenueBooking  # sharing imports us

    return (
        VenueBooking.objects.filter(
            venue=venue,
            status__in=LIVE_VENUE_BOOKING,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .order_by("starts_at")
        .first()
    )


def _check_sessions(
    venue: Venue, sessions: Sequence[SessionSpec], exclude: int | None
) -> list[SessionSpec]:
    """Callers hold a transaction: the venue row is locked here, as venue bookings lock
    it, so a session and a booking cannot both take the same time."""
    if not sessions:
        raise ActivityError("至少需要一个场次", field="sessions")
    ordered = sorted(
        ((_local(s), _local(e), t.strip()) for s, e, t in sessions), key=lambda x: x[0]
    )
    Venue.objects.select_for_update().filter(pk=venue.pk).first()
    now = timezone.now()
    for index, (start, end, _title) in enumerate(ordered):
        if start < now:
            raise ActivityError(f"第 {index + 1} 个场次的时间已过", field="sessions")
        problem = venue_problem(venue, start, end)
        if problem:
            raise ActivityError(f"第 {index + 1} 个场次：{problem}", field="sessions")
        if index and start < ordered[index - 1][1]:
            raise ActivityError(f"第 {index + 1} 个场次与上一个场次时间重叠", field="sessions")
        clash = _clash(venue, start, end, exclude)
        if clash is not None:
            raise ActivityError(
                f"第 {index + 1} 个场次：场地在该时段已被“{clash.activity.title}”"
                f"（{_local(clash.starts_at):%m月%d日 %H:%M}）占用",
                field="sessions",
            )
        booking = _booking_clash(venue, start, end)
        if booking is not None:
            raise ActivityError(
                f"第 {index + 1} 个场次：场地在该时段已被预约用于“{booking.purpose}”"
                f"（{_local(booking.starts_at):%m月%d日 %H:%M}–"
                f"{_local(booking.ends_at):%H:%M}）",
                field="sessions",
            )
    return ordered


def timetable(
    *,
    first_day: dt.date,
    last_day: dt.date,
    weekdays: Iterable[int],
    start: dt.time,
    end: dt.time,
    skip_holidays: bool = True,
    title: str = "",
) -> list[SessionSpec]:
    """Sessions on ``weekdays`` (0 = Monday) from ``first_day`` to ``last_day`` inclusive.

    With ``skip_holidays`` a Monday–Friday that is a public holiday (chinesecalendar plus
    the administrators' overrides, :func:`linli.common.workcalendar.is_workday`) is left
    out. Times are local (Asia/Shanghai).

    Raises:
        ActivityError: ``last_day`` before ``first_day``, ``end`` not after ``start``, no
            weekday, a span over 366 days, or no day left.
    """
    days = set(weekdays)
    if last_day < first_day:
        raise ActivityError("结束日期不能早于开始日期", field="last_day")
    if (last_day - first_day).days > 366:
        raise ActivityError("课表最长一年", field="last_day")
    if end <= start:
        raise ActivityError("每次课的结束时间必须晚于开始时间", field="end")
    if not days or not days <= set(range(7)):
        raise ActivityError("请选择上课的星期", field="weekdays")
    out: list[SessionSpec] = []
    day = first_day
    while day <= last_day:
        holiday = skip_holidays and day.weekday() < 5 and not is_workday(day)
        if day.weekday() in days and not holiday:
            out.append(
                (
                    timezone.make_aware(dt.datetime.combine(day, start)),
                    timezone.make_aware(dt.datetime.combine(day, end)),
                    title,
                )
            )
        day += dt.timedelta(days=1)
    if not out:
        raise ActivityError("所选日期范围内没有上课日", field="weekdays")
    return out


def holiday_gap_years(first_day: dt.date, last_day: dt.date) -> list[int]:
    """Years from ``first_day`` to ``last_day`` whose public holidays the system does not
    know: the installed ``chinesecalendar`` does not cover them
    (:func:`linli.common.workcalendar.package_covers`) and no administrator override
    (:class:`~linli.common.models.CalendarOverride`) lies in them. A timetable skipping
    holidays only skips weekends in such a year."""
    return [
        year
        for year in range(first_day.year, last_day.year + 1)
        if not package_covers(year)
        and not CalendarOverride.objects.filter(date__year=year).exists()
    ]


def holiday_gap_warning(year: int) -> str:
    """The warning shown when a timetable runs into ``year`` of :func:`holiday_gap_years`."""
    return (
        f"{year} 年的法定节假日尚未录入系统（后台 → 工作日历调整），课表只排除了周末；"
        "请核对元旦等节假日"
    )


# --- activities ------------------------------------------------------------------------------


def capacity_problem(venue: Venue, capacity: int) -> str | None:
    """Why ``capacity`` places do not fit ``venue`` (more than its ``capacity`` people at
    once), or ``None``; checked on the form's preview and again on save."""
    if capacity > venue.capacity:
        return f"名额 {capacity} 超过场地“{venue.name}”可容纳的 {venue.capacity} 人"
    return None


def _check_options(
    *,
    venue: Venue,
    capacity: int,
    audience: str,
    min_age: int | None,
    max_age: int | None,
    invited_orgs: Sequence[Organization],
    fee_scheme: Any,
) -> None:
    if capacity < 1:
        raise ActivityError("名额至少为 1", field="capacity")
    problem = capacity_problem(venue, capacity)
    if problem:
        raise ActivityError(problem, field="capacity")
    if audience not in Audience.values:
        raise ActivityError("参加对象不正确", field="audience")
    if min_age is not None and max_age is not None and max_age < min_age:
        raise ActivityError("年龄范围不正确：最大年龄小于最小年龄", field="max_age")
    if audience == Audience.INVITED and not invited_orgs:
        raise ActivityError("“指定单位职工”需要至少选择一个受邀单位", field="invited_orgs")
    if audience == Audience.EMPLOYEES_CHILDREN and max_age is None:
        raise ActivityError("职工子女活动需要填写年龄范围", field="max_age")
    if fee_scheme is not None and fee_scheme.subject_kind != "resident":
        raise ActivityError("按资格定价方案必须适用于居民", field="fee_scheme")


@transaction.atomic
def activity_create(
    *,
    actor: Any,
    area: Area,
    venue: Venue,
    title: str,
    kind: str,
    capacity: int,
    sessions: Sequence[SessionSpec],
    summary: str = "",
    organiser: Organization | None = None,
    organiser_kind: str = "community",
    audience: str = Audience.PUBLIC,
    invited_orgs: Sequence[Organization] = (),
    min_age: int | None = None,
    max_age: int | None = None,
    fee_fen: int = 0,
    fee_scheme: Any = None,
    waitlist_limit: int = 50,
    registration_opens: dt.datetime | None = None,
    registration_closes: dt.datetime | None = None,
    contact: str = "",
    publish: bool = False,
) -> Activity:
    """Create an activity with its sessions (draft, or published with ``publish``).

    Raises:
        ActivityError: empty title, bad capacity or age band, a session starting in the
            past, a session outside the venue's windows, overlapping sessions, the venue
            taken, a venue of another community.
    """
    title = title.strip()
    if not title:
        raise ActivityError("请填写活动名称", field="title")
    if not venue.area.path.startswith(area.path) and not area.path.startswith(venue.area.path):
        raise ActivityError("场地不在本社区", field="venue")
    _check_options(
        venue=venue,
        capacity=capacity,
        audience=audience,
        min_age=min_age,
        max_age=max_age,
        invited_orgs=invited_orgs,
        fee_scheme=fee_scheme,
    )
    ordered = _check_sessions(venue, sessions, None)
    if fee_fen < 0:
        raise ActivityError("费用不能为负数", field="fee_fen")
    activity = Activity.objects.create(
        area=area,
        venue=venue,
        title=title,
        kind=kind,
        summary=summary,
        organiser=organiser,
        organiser_kind=organiser_kind,
        capacity=capacity,
        waitlist_limit=waitlist_limit,
        audience=audience,
        min_age=min_age,
        max_age=max_age,
        fee_fen=fee_fen,
        fee_scheme=fee_scheme,
        registration_opens=registration_opens,
        registration_closes=registration_closes,
        contact=contact,
        status=ActivityStatus.PUBLISHED if publish else ActivityStatus.DRAFT,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if invited_orgs:
        activity.invited_orgs.set(invited_orgs)
    Session.objects.bulk_create(
        Session(activity=activity, starts_at=start, ends_at=end, title=name)
        for start, end, name in ordered
    )
    return activity


def _locked(activity: Activity) -> Activity:
    return Activity.objects.select_for_update().select_related("venue", "area").get(pk=activity.pk)


@transaction.atomic
def activity_publish(*, activity: Activity, actor: Any) -> Activity:
    """Open registration. Re-checks the venue (another activity may have taken it).

    Raises:
        ActivityConflict: not a draft.
        ActivityError: a session no longer fits the venue, or has started meanwhile.
    """
    activity = _locked(activity)
    if activity.status != ActivityStatus.DRAFT:
        raise ActivityConflict(f"活动当前为“{activity.get_status_display()}”，不能发布")
    specs = [(s.starts_at, s.ends_at, s.title) for s in activity.sessions.filter(cancelled=False)]
    _check_sessions(activity.venue, specs, activity.pk)
    activity.status = ActivityStatus.PUBLISHED
    activity.save(update_fields=["status", "updated_at"])
    return activity


@transaction.atomic
def activity_set_capacity(*, activity: Activity, actor: Any, capacity: int) -> list[Registration]:
    """Change the number of places; more places promote from the waitlist at once.

    Returns the promoted registrations.

    Raises:
        ActivityError: fewer places than confirmed registrations, or more than the venue holds.
    """
    activity = _locked(activity)
    confirmed = activity.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    if capacity < max(confirmed, 1):
        raise ActivityError(
            f"已有 {confirmed} 人报名，名额不能少于 {max(confirmed, 1)}", field="capacity"
        )
    if capacity > activity.venue.capacity:
        raise ActivityError(f"场地最多容纳 {activity.venue.capacity} 人", field="capacity")
    activity.capacity = capacity
    activity.save(update_fields=["capacity", "updated_at"])
    return _promote(activity)


@transaction.atomic
def activity_cancel(*, activity: Activity, actor: Any, reason: str) -> Activity:
    """Cancel an activity: every live registration is cancelled and told why.

    Raises:
        ActivityError: no reason.
        ActivityConflict: already cancelled or finished.
    """
    reason = reason.strip()
    if not reason:
        raise ActivityError("请填写取消原因", field="reason")
    activity = _locked(activity)
    if activity.status in (ActivityStatus.CANCELLED, ActivityStatus.FINISHED):
        raise ActivityConflict(f"活动已{activity.get_status_display()}")
    activity.status = ActivityStatus.CANCELLED
    activity.save(update_fields=["status", "updated_at"])
    now = timezone.now()
    live = list(activity.registrations.filter(status__in=LIVE_STATUSES))
    Registration.objects.filter(pk__in=[r.pk for r in live]).update(
        status=RegistrationStatus.CANCELLED, cancelled_at=now, cancel_reason=f"活动取消：{reason}"
    )
    for registration in live:
        _tell(
            registration,
            title=f"活动“{activity.title}”已取消",
            body=f"原因：{reason}",
            kind="activity.cancelled",
        )
    return activity


# --- who may come ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Participant:
    """Someone to register: a registry ``resident``, or a guest by name and phone.

    A child is registered by a guardian: ``guardian`` (a resident) or ``guardian_name`` +
    ``guardian_phone``; a guest child needs ``birth_date``. ``organization`` is the
    participant's employer, or for a child the parent's employer (audiences
    ``employees`` / ``employees_children``).
    """

    resident: Resident | None = None
    name: str = ""
    phone: str = ""
    birth_date: dt.date | None = None
    organization: Organization | None = None
    guardian: Resident | None = None
    guardian_name: str = ""
    guardian_phone: str = ""

    @property
    def display_name(self) -> str:
        return self.resident.name if self.resident is not None else self.name.strip()

    @property
    def born(self) -> dt.date | None:
        return self.resident.birth_date if self.resident is not None else self.birth_date

    @property
    def employer(self) -> Organization | None:
        if self.organization is not None:
            return self.organization
        if self.guardian is not None and self.guardian.employer_id:
            return self.guardian.employer
        if self.resident is not None and self.resident.employer_id:
            return self.resident.employer
        return None


def guardian_may_register(guardian: Resident, child: Resident, on: dt.date | None = None) -> bool:
    """Whether ``guardian`` may register ``child``: a minor of the same household, or any
    resident who consented to ``guardian`` acting for them (a FamilyLink)."""
    on = on or timezone.localdate()
    if guardian.pk == child.pk:
        return True
    same_home = guardian.household_id is not None and guardian.household_id == child.household_id
    if same_home and age_on(child.birth_date, on) < ADULT_AGE:
        return True
    return FamilyLink.objects.filter(
        resident=child,
        relative=guardian,
        may_act=True,
        consent_at__isnull=False,
        revoked_at__isnull=True,
    ).exists()


def _clean_participant(p: Participant) -> Participant:
    """Normalise phones and names; raises ActivityError on a bad one."""

    def phone(raw: str, field: str) -> str:
        if not raw.strip():
            return ""
        try:
            return parse_mobile(raw)
        except AccountsError as exc:
            raise ActivityError(str(exc), field=field) from None

    if p.resident is None:
        if not p.name.strip():
            raise ActivityError("请填写参加人姓名", field="name")
        if len(p.name.strip()) > 50:
            raise ActivityError("姓名过长", field="name")
    cleaned = dataclasses.replace(
        p,
        name=p.display_name,
        phone=phone(p.phone, "phone"),
        guardian_phone=phone(p.guardian_phone, "guardian_phone"),
        guardian_name=p.guardian.name if p.guardian is not None else p.guardian_name.strip(),
    )
    if cleaned.resident is None and not cleaned.phone and not cleaned.guardian_phone:
        raise ActivityError("请填写联系电话（未登记居民需凭手机号报名）", field="phone")
    return cleaned


def person_key(p: Participant) -> str:
    """The key that makes one person register once per activity (see :class:`Registration`)."""
    if p.resident is not None:
        return f"r:{p.resident.pk}"
    if p.phone:
        return f"p:{p.phone}"
    born = p.birth_date.isoformat() if p.birth_date else ""
    return f"c:{p.guardian_phone}:{p.name}:{born}"


def first_day(activity: Activity) -> dt.date:
    """The local date of the first live session (today when there is none)."""
    first = activity.sessions.filter(cancelled=False).order_by("starts_at").first()
    return timezone.localdate(first.starts_at) if first else timezone.localdate()


def age_band_words(min_age: int | None, max_age: int | None) -> str:
    """An age band in words: "6–12 岁", "60 岁及以上", "12 岁及以下" ("" when open)."""
    if min_age is not None and max_age is not None:
        return f"{min_age}–{max_age} 岁"
    if min_age is not None:
        return f"{min_age} 岁及以上"
    if max_age is not None:
        return f"{max_age} 岁及以下"
    return ""


def audience_problem(activity: Activity, p: Participant, on: dt.date) -> str | None:
    """Why ``p`` may not join ``activity`` (ages on ``on``), or ``None``."""
    born = p.born
    if born is not None and born > timezone.localdate():
        return "出生日期不正确（晚于今天）"
    if activity.min_age is not None or activity.max_age is not None:
        band = age_band_words(activity.min_age, activity.max_age)
        if born is None:
            return f"本活动限 {band}，请填写出生日期"
        age = age_on(born, on)
        if (activity.min_age is not None and age < activity.min_age) or (
            activity.max_age is not None and age > activity.max_age
        ):
            return f"{p.display_name} 在活动开始时 {age} 岁，不在本活动的年龄范围（{band}）内"
    if (
        born is not None
        and age_on(born, on) < ADULT_AGE
        and p.guardian is None
        and not p.guardian_phone
    ):
        return "未成年人需由家长代为报名"
    audience = activity.audience
    if audience == Audience.RESIDENTS:
        if p.resident is None or not p.resident.area.path.startswith(activity.area.path):
            return "本活动仅限本社区登记居民参加"
    elif audience in (Audience.EMPLOYEES, Audience.EMPLOYEES_CHILDREN):
        employer = p.employer
        children = audience == Audience.EMPLOYEES_CHILDREN
        whose, who = ("家长", "辖区企业职工子女") if children else ("", "辖区企业职工")
        if employer is None:
            return f"本活动仅限{who}参加，请填写{whose}工作单位"
        if not employer.area.path.startswith(activity.area.path):
            return f"“{employer.name}”不在本社区辖区，本活动仅限{who}参加"
        if audience == Audience.EMPLOYEES_CHILDREN and p.guardian is None and not p.guardian_phone:
            return "职工子女需由家长报名"
    elif audience == Audience.INVITED:
        employer = p.employer
        if employer is None or not activity.invited_orgs.filter(pk=employer.pk).exists():
            return "本活动仅限受邀单位职工参加"
    return None


def registration_price(activity: Activity, p: Participant, on: dt.date) -> tuple[int, str]:
    """What ``p`` pays for ``activity`` (fen) and why, with ages on ``on``.

    A ``fee_scheme`` quotes a registry resident by the eligibility engine and a guest at the
    scheme's list price; otherwise everyone pays ``fee_fen``.

    Raises:
        ActivityError: the scheme cannot quote (inactive, no list price for a guest).
    """
    if activity.fee_scheme is None:
        return activity.fee_fen, (
            "免费" if activity.fee_fen == 0 else f"统一收费 {yuan(activity.fee_fen)}"
        )
    try:
        result = quote(scheme_code=activity.fee_scheme.code, subject=p.resident, on=on)
    except EligibilityError as exc:
        raise ActivityError(str(exc)) from None
    return result.price_fen, result.reason[:200]


# --- registration ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RegistrationResult:
    registration: Registration
    waitlisted: bool
    position: int  # 1-based waitlist position; 0 when confirmed


@transaction.atomic
def registration_create(
    *, activity: Activity, participant: Participant, actor: Any = None
) -> RegistrationResult:
    """Register ``participant``: a place if one is left, else the waitlist.

    ``actor`` is the user doing it (a resident account, an enterprise contact, staff).

    Raises:
        ActivityConflict: registration not open (draft, closed, cancelled, before opening,
            after closing, after the last session started).
        ActivityError: the person is already registered, outside the audience or age band,
            a bad phone, or both places and waitlist are full.
    """
    p = _clean_participant(participant)
    activity = _locked(activity)
    now = timezone.now()
    if activity.status != ActivityStatus.PUBLISHED:
        raise ActivityConflict(f"活动“{activity.title}”{activity.get_status_display()}，不能报名")
    if activity.registration_opens and now < activity.registration_opens:
        raise ActivityConflict(
            f"报名将于 {_local(activity.registration_opens):%m月%d日 %H:%M} 开始"
        )
    if activity.registration_closes and now > activity.registration_closes:
        raise ActivityConflict("报名已截止")
    last = activity.sessions.filter(cancelled=False).order_by("-starts_at").first()
    if last is not None and last.starts_at <= now:
        raise ActivityConflict("活动已开始，不能再报名")
    key = person_key(p)
    existing = activity.registrations.filter(person_key=key, status__in=LIVE_STATUSES).first()
    if existing is not None:
        already = "已报名" if existing.status == RegistrationStatus.CONFIRMED else "已在候补名单中"
        raise ActivityError(f"{p.display_name} {already}，不能重复报名", field="name")
    on = first_day(activity)
    problem = audience_problem(activity, p, on)
    if problem:
        raise ActivityError(problem, field="audience")
    confirmed = activity.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    waiting = activity.registrations.filter(status=RegistrationStatus.WAITLISTED).count()
    if confirmed < activity.capacity:
        status = RegistrationStatus.CONFIRMED
    elif waiting < activity.waitlist_limit:
        status = RegistrationStatus.WAITLISTED
    else:
        raise ActivityError(f"名额已满，候补也已满（{activity.waitlist_limit} 人）")
    price_fen, reason = registration_price(activity, p, on)
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                activity=activity,
                resident=p.resident,
                name=p.display_name,
                phone=p.phone,
                birth_date=p.birth_date if p.resident is None else None,
                organization=p.employer,
                guardian=p.guardian,
                guardian_name=p.guardian_name,
                guardian_phone=p.guardian_phone,
                person_key=key,
                status=status,
                price_fen=price_fen,
                price_reason=reason,
                registered_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        raise ActivityError(f"{p.display_name} 已报名，不能重复报名", field="name") from None
    waitlisted = status == RegistrationStatus.WAITLISTED
    return RegistrationResult(registration, waitlisted, waiting + 1 if waitlisted else 0)


@dataclasses.dataclass(frozen=True)
class BulkOutcome:
    """One participant of :func:`registrations_bulk_create`: ``result`` or ``error``."""

    participant: Participant
    result: RegistrationResult | None
    error: str = ""


def registrations_bulk_create(
    *, activity: Activity, participants: Sequence[Participant], actor: Any = None
) -> list[BulkOutcome]:
    """Register many people (an enterprise contact's 60 employees), each through
    :func:`registration_create` in its own transaction, in order: past capacity they go on
    the waitlist; one refused person (a duplicate, full waitlist) does not undo the others.

    Returns one :class:`BulkOutcome` per participant, in order. Raises nothing for a
    refused person (the error is in the outcome).
    """
    outcomes: list[BulkOutcome] = []
    for participant in participants:
        try:
            result = registration_create(activity=activity, participant=participant, actor=actor)
        except ActivityError as exc:
            outcomes.append(BulkOutcome(participant, None, str(exc)))
        else:
            outcomes.append(BulkOutcome(participant, result))
    return outcomes


def waitlist_position(registration: Registration) -> int:
    """1-based position on the waitlist (0 when not waitlisted)."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return 0
    ahead = Registration.objects.filter(
        activity_id=registration.activity_id, status=RegistrationStatus.WAITLISTED
    ).filter(
        Q(created_at__lt=registration.created_at)
        | Q(created_at=registration.created_at, pk__lt=registration.pk)
    )
    return ahead.count() + 1


def _promote(activity: Activity) -> list[Registration]:
    """Fill free places from the waitlist, oldest first (caller holds the activity lock)."""
    confirmed = activity.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    free = activity.capacity - confirmed
    if free <= 0:
        return []
    promoted = list(
        activity.registrations.filter(status=RegistrationStatus.WAITLISTED).order_by(
            "created_at", "pk"
        )[:free]
    )
    now = timezone.now()
    for registration in promoted:
        registration.status = RegistrationStatus.CONFIRMED
        registration.promoted_at = now
        registration.save(update_fields=["status", "promoted_at", "updated_at"])
        start = activity.sessions.filter(cancelled=False).order_by("starts_at").first()
        when = f"，{_local(start.starts_at):%m月%d日 %H:%M} 开始" if start else ""
        _tell(
            registration,
            title=f"候补成功：{activity.title}",
            body=f"{registration.name} 已由候补转为正式报名{when}。请凭签到码入场。",
            kind="activity.promoted",
        )
    return promoted


@transaction.atomic
def registration_cancel(
    *, registration: Registration, actor: Any = None, reason: str = ""
) -> list[Registration]:
    """Cancel a registration; a freed place goes to the oldest waitlisted registration.

    Returns the promoted registrations (empty when none).

    Raises:
        ActivityConflict: already cancelled, or the activity has ended or been cancelled.
    """
    activity = _locked(registration.activity)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == RegistrationStatus.CANCELLED:
        raise ActivityConflict("该报名已取消")
    if activity.status in (ActivityStatus.CANCELLED, ActivityStatus.FINISHED):
        raise ActivityConflict(f"活动已{activity.get_status_display()}")
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.cancel_reason = reason.strip()[:200]
    registration.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    return _promote(activity)


def _recipients(registration: Registration) -> list[Recipient]:
    phone = registration.phone or registration.guardian_phone
    if not phone and registration.resident_id:
        phone = registration.resident.phone if registration.resident else ""
    if not phone and registration.guardian_id and registration.guardian:
        phone = registration.guardian.phone
    people = [Recipient(user=registration.registered_by, phone=phone, name=registration.name)]
    return people


def _tell(registration: Registration, *, title: str, body: str, kind: str) -> None:
    """In-app to whoever registered, SMS to the participant's (or guardian's) phone.

    Sent after commit."""
    recipients = _recipients(registration)
    channels = [Channel.INAPP] + ([Channel.SMS] if recipients[0].phone else [])

    def send() -> None:
        notify(
            recipients=recipients,
            title=title,
            body=body,
            link=f"/activities/{registration.activity_id}/",
            kind=kind,
            subject=registration,
            channels=channels,
        )

    transaction.on_commit(send)


# --- check-in and feedback ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CheckIn:
    attendance: Attendance
    already: bool  # True: this registration had already checked in at this session


def current_session(activity: Activity, now: dt.datetime | None = None) -> Session | None:
    """The session open for check-in at ``now``: from 30 min before its start to its end."""
    now = now or timezone.now()
    return (
        activity.sessions.filter(
            cancelled=False, starts_at__lte=now + CHECKIN_EARLY, ends_at__gte=now
        )
        .order_by("starts_at")
        .first()
    )


def _check_window(session: Session, method: str, now: dt.datetime) -> None:
    """Check-in opens ``CHECKIN_EARLY`` before the start for every method; a QR scan closes
    at the end, while staff may still record attendance by hand (``manual``) afterwards,
    from a paper list.

    Raises:
        ActivityError: too early, or a QR scan after the session ended.
    """
    opens = session.starts_at - CHECKIN_EARLY
    if now < opens:
        raise ActivityError(
            f"该场次还未开始签到（{timezone.localtime(opens):%m月%d日 %H:%M} 起可签到）"
        )
    if method != "manual" and now > session.ends_at:
        raise ActivityError("该场次已结束，不能再扫码签到；如需补录请在签到表中人工登记")


@transaction.atomic
def checkin(
    *,
    token: Any,
    actor: Any = None,
    method: str = "qr",
    session: Session | None = None,
    now: dt.datetime | None = None,
) -> CheckIn:
    """Check a registration in at ``session`` (default: the session open now).

    Time window (every method): not before ``CHECKIN_EARLY`` ahead of the start; a QR scan
    (``method="qr"``) only until the session ends, by hand (``"manual"``) also afterwards.
    Idempotent: a second scan answers ``already=True`` with the first time.

    Raises:
        ActivityError: unknown code, a waitlisted or cancelled registration, no session open
            for check-in now, a session of another activity, outside the time window.
    """
    now = now or timezone.now()
    registration = (
        Registration.objects.select_related("activity").filter(token=token).first()
        if _is_uuid(token)
        else None
    )
    if registration is None:
        raise ActivityError("签到码无效")
    if registration.status != RegistrationStatus.CONFIRMED:
        raise ActivityError(
            f"{registration.name} 的报名状态为“{registration.get_status_display()}”，不能签到"
        )
    if session is None:
        session = current_session(registration.activity, now)
        if session is None:
            raise ActivityError("现在没有可以签到的场次（开始前 30 分钟至结束时可签到）")
    elif session.activity_id != registration.activity_id:
        raise ActivityError("签到码不属于本活动")
    elif session.cancelled:
        raise ActivityError("该场次已取消")
    _check_window(session, method, now)
    existing = Attendance.objects.filter(registration=registration, session=session).first()
    if existing is not None:
        return CheckIn(existing, True)
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(
                registration=registration,
                session=session,
                checked_in_at=now,
                method=method,
                checked_in_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:  # a second scan at the same instant
        return CheckIn(Attendance.objects.get(registration=registration, session=session), True)
    return CheckIn(attendance, False)


@transaction.atomic
def attendance_undo(*, attendance: Attendance, actor: Any = None) -> None:
    """Take back a check-in entered by mistake (staff at the attendance grid).

    Raises:
        ActivityConflict: the activity was cancelled.
    """
    attendance = Attendance.objects.select_related("registration__activity").get(pk=attendance.pk)
    if attendance.registration.activity.status == ActivityStatus.CANCELLED:
        raise ActivityConflict("活动已取消，签到记录不能再修改")
    attendance.delete()


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@transaction.atomic
def registration_feedback(
    *, registration: Registration, rating: int, comment: str = ""
) -> Registration:
    """Rate an activity 1–5 once the first session has begun; may be changed later.

    Raises:
        ActivityError: rating outside 1–5, comment over 500 characters.
        ActivityConflict: not a confirmed registration, or before the activity began.
    """
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ActivityError("评分应为 1 到 5 星", field="rating")
    comment = comment.strip()
    if len(comment) > 500:
        raise ActivityError("反馈最多 500 字", field="feedback")
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise ActivityConflict("只有已报名的人可以评价")
    first = registration.activity.sessions.filter(cancelled=False).order_by("starts_at").first()
    if first is None or first.starts_at > timezone.now():
        raise ActivityConflict("活动开始后才能评价")
    registration.rating, registration.feedback = rating, comment
    registration.save(update_fields=["rating", "feedback", "updated_at"])
    return registration


# --- the hourly sweep ---------------------------------------------------------------------


#: Confirmed participants hear about a session this long before it starts.
REMIND_BEFORE = dt.timedelta(hours=24)


@dataclasses.dataclass(frozen=True)
class SweepReport:
    closed: int
    finished: int
    reminded: int


def activities_sweep(*, now: dt.datetime | None = None) -> SweepReport:
    """Hourly upkeep: close registration past ``registration_closes``; finish activities
    whose last live session has ended; remind confirmed participants of each session
    starting within :data:`REMIND_BEFORE` (once per session: ``Session.reminded_at``).

    Each activity is handled in its own transaction under its row lock; returns counts.
    """
    now = now or timezone.now()
    closed = finished = reminded = 0
    due = Activity.objects.filter(
        status=ActivityStatus.PUBLISHED, registration_closes__lt=now
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            activity = Activity.objects.select_for_update().get(pk=pk)
            if activity.status == ActivityStatus.PUBLISHED:
                activity.status = ActivityStatus.CLOSED
                activity.save(update_fields=["status", "updated_at"])
                closed += 1
    sessions = Session.objects.filter(activity=OuterRef("pk"), cancelled=False)
    over = Activity.objects.filter(
        Exists(sessions),
        ~Exists(sessions.filter(ends_at__gt=now)),
        status__in=[ActivityStatus.PUBLISHED, ActivityStatus.CLOSED],
    )
    for activity in over:
        with transaction.atomic():
            locked = _locked(activity)
            if locked.status in (ActivityStatus.PUBLISHED, ActivityStatus.CLOSED):
                locked.status = ActivityStatus.FINISHED
                locked.save(update_fields=["status", "updated_at"])
                finished += 1
    upcoming = Session.objects.filter(
        activity__status__in=[ActivityStatus.PUBLISHED, ActivityStatus.CLOSED],
        cancelled=False,
        reminded_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + REMIND_BEFORE,
    ).select_related("activity", "activity__venue")
    for session in upcoming:
        with transaction.atomic():
            row = Session.objects.select_for_update().get(pk=session.pk)
            if row.reminded_at is not None:
                continue
            row.reminded_at = now
            row.save(update_fields=["reminded_at"])
            start = _local(session.starts_at)
            for registration in session.activity.registrations.filter(
                status=RegistrationStatus.CONFIRMED
            ).select_related("resident", "guardian", "registered_by"):
                _tell(
                    registration,
                    title=f"活动提醒：{session.activity.title}",
                    body=(
                        f"{registration.name}：{start:%m月%d日 %H:%M} 在"
                        f"{session.activity.venue.name}，请带好签到码。"
                    ),
                    kind="activity.reminder",
                )
                reminded += 1
    return SweepReport(closed, finished, reminded)
