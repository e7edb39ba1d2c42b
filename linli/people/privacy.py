"""Personal-information rights and consents (PIPL arts. 14, 28–29, 44–46; docs/privacy.md).

* Device-monitoring consent: :func:`consent_record`, :func:`consent_withdraw`, and the gaps
  :func:`households_without_consent` / :func:`family_links_without_consent` listed by
  ``linli privacy check``.
* Subject access: :func:`subject_access_document` is everything Linli holds about one
  resident, one sheet per category, identity number and phone masked, other people's data
  left out and — for secret ballots — only *that* the person voted, never *how*.
  :func:`subject_access_record` and :func:`correction_record` write the ``DATA_REQUEST``
  audit events (PIPL art. 50: requests answered and recorded).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from linli.audit.models import AuditEvent, AuditKind
from linli.audit.services import record
from linli.common.documents import Cell, Document, Section
from linli.common.exports import amount, local_time
from linli.common.pii import mask_phone
from linli.devices.models import Device, DeviceKind, MonitoringConsent
from linli.people.models import FamilyLink, Resident
from linli.places.models import Household

#: How a staff-handled request reached the community (recorded with the export).
REQUEST_CHANNELS: list[tuple[str, str]] = [
    ("counter", "到社区居委会现场申请"),
    ("written", "书面申请"),
    ("phone", "电话申请"),
    ("proxy", "家属/监护人代为申请"),
]
SELF_SERVICE_CHANNEL = "本人在“我的账号”页面下载"

# --------------------------------------------------------------------------- consents


def consent_record(
    *,
    actor: Any,
    household: Household,
    given_by: Resident | None,
    given_by_relation: str,
    kinds: Sequence[str],
    given_at: dt.datetime,
    evidence: str = "",
    now: dt.datetime | None = None,
) -> MonitoringConsent:
    """Record a household's consent to device monitoring, as given to ``actor`` in person.

    ``kinds`` are :class:`DeviceKind` values (empty: every kind); ``given_at`` is timezone-
    aware and not in the future; ``given_by`` (if any) belongs to ``household``. The caller
    checked that ``actor`` may act on ``household``'s area.

    Raises:
        ValidationError: Chinese messages for a future date, unknown kinds, a blank
            relation, or a consenting person from another household (nothing written).
    """
    moment = now or timezone.now()
    errors: list[str] = []
    relation = given_by_relation.strip()
    if not relation:
        errors.append("请填写同意人身份（如本人、监护人、子女）。")
    unknown = sorted(set(kinds) - set(DeviceKind.values))
    if unknown:
        errors.append(f"不认识的设备类型：{'、'.join(unknown)}。")
    if timezone.is_naive(given_at):
        errors.append("同意时间缺少时区。")
    elif given_at > moment:
        errors.append("同意时间不能晚于现在。")
    if given_by is not None and given_by.household_id != household.pk:
        errors.append("同意人不是这一户的成员。")
    if errors:
        raise ValidationError(errors)
    consent = MonitoringConsent(
        household=household,
        given_by=given_by,
        given_by_relation=relation,
        kinds=sorted(set(kinds)),
        given_at=given_at,
        evidence=evidence.strip(),
        recorded_by=actor,
    )
    consent.full_clean()
    consent.save()
    return consent


def consent_withdraw(
    *, actor: Any, consent: MonitoringConsent, at: dt.datetime | None = None
) -> MonitoringConsent:
    """Mark ``consent`` withdrawn at ``at`` (default now).

    Raises:
        ValidationError: the consent was already withdrawn.
    """
    with transaction.atomic():
        locked = MonitoringConsent.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_at is not None:
            raise ValidationError("这份同意已经撤回。")
        locked.withdrawn_at = at or timezone.now()
        locked.save(update_fields=["withdrawn_at"])
    return locked


def kinds_covered(consents: Iterable[MonitoringConsent]) -> set[str] | None:
    """Device kinds covered by the active ``consents``; ``None`` means every kind."""
    covered: set[str] = set()
    for consent in consents:
        if not consent.active:
            continue
        if not consent.kinds:
            return None
        covered.update(consent.kinds)
    return covered


def household_devices_status(household: Household) -> dict[str, Any]:
    """The active devices of ``household``, its consents (newest first) and which active
    device kinds no active consent covers (``uncovered``: Chinese labels)."""
    devices = list(Device.objects.filter(household=household, active=True).order_by("kind"))
    consents = list(
        MonitoringConsent.objects.filter(household=household).select_related(
            "given_by", "recorded_by"
        )
    )
    covered = kinds_covered(consents)
    uncovered = (
        []
        if covered is None
        else sorted({d.get_kind_display() for d in devices if d.kind not in covered})
    )
    return {"devices": devices, "consents": consents, "uncovered": uncovered}


def households_without_consent(
    households: QuerySet[Household] | None = None,
) -> list[tuple[Household, list[str]]]:
    """Households with active devices whose kinds are not all covered by an active consent,
    each with the uncovered kinds' Chinese labels; ordered by household id."""
    base = households if households is not None else Household.objects.all()
    with_devices = base.filter(devices__active=True).distinct().order_by("pk")
    consents: dict[int, list[MonitoringConsent]] = {}
    for consent in MonitoringConsent.objects.filter(
        household__in=with_devices, withdrawn_at__isnull=True
    ):
        consents.setdefault(consent.household_id, []).append(consent)
    kinds: dict[int, set[str]] = {}
    for household_id, kind in Device.objects.filter(
        household__in=with_devices, active=True
    ).values_list("household_id", "kind"):
        kinds.setdefault(household_id, set()).add(kind)
    gaps = []
    for household in with_devices.select_related("building"):
        covered = kinds_covered(consents.get(household.pk, []))
        missing = set() if covered is None else kinds.get(household.pk, set()) - covered
        if missing:
            gaps.append((household, sorted(DeviceKind(k).label for k in missing)))
    return gaps


def family_links_without_consent() -> QuerySet[FamilyLink]:
    """Links that let a relative act (``may_act``) without a recorded, unrevoked consent."""
    return (
        FamilyLink.objects.filter(may_act=True)
        .filter(Q(consent_at__isnull=True) | Q(revoked_at__isnull=False))
        .select_related("resident", "relative")
        .order_by("pk")
    )


# ----------------------------------------------------------------------- subject access


def _when(moment: dt.datetime | None) -> str:
    return local_time(moment) if moment else ""


def _section(title: str, header: Sequence[str], rows: list[list[Cell]], note: str = "") -> Section:
    return Section(
        title=title, header=header, rows=rows, note=note or ("（无记录）" if not rows else "")
    )


def _registry(resident: Resident) -> Section:
    rows: list[list[Cell]] = [
        ["姓名", resident.name],
        ["性别", resident.get_sex_display()],
        ["出生日期", f"{resident.birth_date:%Y-%m-%d}"],
        ["身份证号", resident.id_number_masked],
        ["联系电话", mask_phone(resident.phone) if resident.phone else ""],
        ["所属区域", resident.area.name],
        ["与户主关系", resident.get_relation_to_head_display()],
        ["居住类型", resident.get_residence_type_display()],
        ["关爱标签", "、".join(resident.tag_labels)],
        ["工作单位", str(resident.employer or "")],
        ["备注", resident.note],
        ["登记时间", _when(resident.created_at)],
        ["最后更新", _when(resident.updated_at)],
    ]
    for contact in resident.emergency_contacts.all():
        rows.append(
            [f"紧急联系人（{contact.relation}）", f"{contact.name} {mask_phone(contact.phone)}"]
        )
    note = "身份证号和电话部分隐藏；如需核对原文，请本人带身份证到社区居委会。"
    return _section("登记信息", ["项目", "内容"], rows, note)


def _household(resident: Resident) -> Section:
    household = resident.household
    rows: list[list[Cell]] = []
    if household is not None:
        rows.append(
            [
                str(household),
                resident.get_relation_to_head_display(),
                "是" if household.head_id == resident.pk else "否",
                household.members.count(),
            ]
        )
    return _section("户籍与住址", ["住址", "与户主关系", "本人是户主", "同户人数"], rows)


def _family(resident: Resident) -> Section:
    rows: list[list[Cell]] = []
    links = FamilyLink.objects.filter(Q(resident=resident) | Q(relative=resident)).select_related(
        "resident", "relative"
    )
    for link in links.order_by("pk"):
        mine = link.resident_id == resident.pk
        rows.append(
            [
                "可代我办理" if mine else "我可代为办理",
                link.relative.name if mine else link.resident.name,
                link.relation,
                "是" if link.may_act else "否",
                _when(link.consent_at),
                _when(link.revoked_at),
            ]
        )
    header = ["方向", "对方", "关系", "可代为办理", "同意时间", "撤回时间"]
    return _section("亲属关联", header, rows)


def _cases(resident: Resident) -> Section:
    from linli.cases.models import Case

    account = getattr(resident, "account", None)
    mine = Q(subject_resident=resident)
    if account is not None:
        mine |= Q(reporter_id=account.user_id)
    rows: list[list[Cell]] = []
    for case in Case.objects.filter(mine).select_related("category").order_by("created_at"):
        role = (
            "上报人" if account is not None and case.reporter_id == account.user_id else "涉及本人"
        )
        rows.append(
            [
                case.number,
                case.title,
                str(case.category),
                case.get_status_display(),
                role,
                _when(case.created_at),
                _when(case.closed_at),
            ]
        )
    header = ["编号", "标题", "类别", "状态", "与本人关系", "上报时间", "结案时间"]
    return _section("事件（上报或涉及本人）", header, rows)


def _orders(resident: Resident) -> Section:
    from linli.orders.models import Order

    rows: list[list[Cell]] = [
        [
            o.number,
            str(o.service_type),
            o.get_status_display(),
            _when(o.slot_start),
            amount(o.price_fen),
            amount(o.subsidy_fen),
            _when(o.placed_at),
        ]
        for o in Order.objects.filter(resident=resident)
        .select_related("service_type")
        .order_by("pk")
    ]
    header = ["订单号", "服务", "状态", "预约时间", "价格（元）", "补贴（元）", "下单时间"]
    return _section("服务订单", header, rows)


def _alerts(resident: Resident) -> Section:
    from linli.care.models import CareAlert

    rows: list[list[Cell]] = [
        [
            a.get_kind_display(),
            a.get_status_display(),
            _when(a.raised_at),
            _when(a.resolved_at),
            a.get_outcome_display(),
            a.outcome_note,
        ]
        for a in CareAlert.objects.filter(resident=resident).order_by("raised_at")
    ]
    header = ["类型", "状态", "发出时间", "处理完毕", "结果", "处理说明"]
    return _section("关怀告警", header, rows)


def _activities(resident: Resident) -> Section:
    from linli.activities.models import Registration

    rows: list[list[Cell]] = [
        [str(r.activity), r.get_status_display(), amount(r.price_fen), _when(r.created_at)]
        for r in Registration.objects.filter(resident=resident)
        .select_related("activity")
        .order_by("pk")
    ]
    return _section("活动报名", ["活动", "状态", "费用（元）", "报名时间"], rows)


def _meals(resident: Resident) -> Section:
    from linli.economy.models import MealLine

    lines = MealLine.objects.filter(diner=resident).select_related("sale__canteen").order_by("pk")
    rows: list[list[Cell]] = [
        [
            _when(line.sale.sold_at),
            str(line.sale.canteen),
            line.quantity,
            amount(line.price_fen),
            "已作废" if line.voided else "",
        ]
        for line in lines
    ]
    return _section("社区食堂用餐", ["时间", "食堂", "份数", "实付单价（元）", "备注"], rows)


def _votes(resident: Resident) -> Section:
    from linli.governance.models import Ballot, Participation

    parts = (
        Participation.objects.filter(Q(cast_by=resident) | Q(elector__resident=resident))
        .select_related("vote")
        .order_by("at")
    )
    rows: list[list[Cell]] = []
    for part in parts:
        if part.vote.secret:
            choice = "无记名投票：只记录是否投票，不记录投了什么"
        else:
            ballot = Ballot.objects.filter(participation=part).select_related("option").first()
            choice = str(ballot.option) if ballot else ""
        rows.append([part.vote.title, "已投票", part.get_channel_display(), _when(part.at), choice])
    return _section("参加表决", ["表决事项", "是否投票", "方式", "时间", "选择"], rows)


def _parking(resident: Resident) -> Section:
    from linli.sharing.models import Booking, ParkingSpace, Vehicle

    rows: list[list[Cell]] = []
    for vehicle in Vehicle.objects.filter(owner=resident).order_by("pk"):
        rows.append(["登记车辆", vehicle.plate, "新能源" if vehicle.new_energy else "", ""])
    for space in ParkingSpace.objects.filter(owner=resident).select_related("lot").order_by("pk"):
        rows.append(["本人车位", f"{space.lot} {space.number}", "", ""])
    for booking in Booking.objects.filter(booker=resident).select_related("space").order_by("pk"):
        rows.append(
            [
                "停车预约",
                booking.plate,
                booking.get_status_display(),
                f"{_when(booking.starts_at)} 至 {_when(booking.ends_at)}",
            ]
        )
    return _section("停车", ["类别", "车牌/车位", "状态", "时间"], rows)


def _consents(resident: Resident) -> Section:
    rows: list[list[Cell]] = []
    if resident.household_id is not None:
        for device in Device.objects.filter(household_id=resident.household_id).order_by("kind"):
            rows.append(
                ["家中设备", device.get_kind_display(), "在用" if device.active else "停用", "", ""]
            )
        for consent in MonitoringConsent.objects.filter(household_id=resident.household_id):
            kinds = "、".join(DeviceKind(k).label for k in consent.kinds) or "全部设备"
            rows.append(
                [
                    "设备监测同意",
                    kinds,
                    consent.given_by_relation,
                    _when(consent.given_at),
                    f"已撤回 {_when(consent.withdrawn_at)}" if consent.withdrawn_at else "有效",
                ]
            )
    for link in FamilyLink.objects.filter(resident=resident, may_act=True).select_related(
        "relative"
    ):
        state = "已撤回" if link.revoked_at else ("有效" if link.consent_at else "未登记同意")
        rows.append(
            ["授权家属代办", link.relative.name, link.relation, _when(link.consent_at), state]
        )
    return _section("同意记录", ["类别", "内容", "同意人身份/关系", "时间", "状态"], rows)


#: The sheets of a subject-access export, in order.
SECTIONS = [
    _registry,
    _household,
    _family,
    _cases,
    _orders,
    _alerts,
    _activities,
    _meals,
    _votes,
    _parking,
    _consents,
]


def subject_access_document(resident: Resident, *, channel: str) -> Document:
    """Everything held about ``resident`` as a :class:`Document`, one sheet per category.

    ``channel`` (Chinese) says how the request came in and is printed under the title.
    """
    lines = [
        f"本人：{resident.name}（身份证号 {resident.id_number_masked}）",
        f"申请方式：{channel}",
        "依据《个人信息保护法》第四十四、四十五条，您有权查阅、复制您的个人信息；"
        "发现信息有误，可到社区居委会申请更正（第四十六条）。",
    ]
    return Document(
        title="我的个人信息", lines=lines, sections=[section(resident) for section in SECTIONS]
    )


def subject_access_record(
    *, actor: Any, resident: Resident, channel: str, request: HttpRequest | None = None
) -> AuditEvent:
    """Record one answered access request (``DATA_REQUEST``) about ``resident``."""
    return record(
        AuditKind.DATA_REQUEST,
        f"个人信息查阅：导出 {resident.id_number_masked} 的个人信息",
        actor=actor,
        request=request,
        obj=resident,
        detail={"request": "access", "channel": channel},
    )


def correction_record(
    *,
    actor: Any,
    resident: Resident,
    asked: str,
    changed: str,
    channel: str,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record a correction request (PIPL art. 46): what was asked and what was changed.

    The change itself is made where the data lives (the registry, an order…); this keeps
    the request and the answer. Texts are cut to 500 characters and long digit runs masked
    (:func:`mask_numbers`), since audit details hold no unmasked personal data.

    Raises:
        ValidationError: ``asked`` is blank.
    """
    if not asked.strip():
        raise ValidationError("请填写居民要求更正的内容。")
    return record(
        AuditKind.DATA_REQUEST,
        f"个人信息更正：{resident.id_number_masked}",
        actor=actor,
        request=request,
        obj=resident,
        detail={
            "request": "correction",
            "channel": channel,
            "asked": mask_numbers(asked.strip())[:500],
            "changed": mask_numbers(changed.strip())[:500] or "未更改",
        },
    )


_LONG_NUMBER = re.compile(r"\d{7,}[\dXx]?")


def mask_numbers(text: str) -> str:
    """``text`` with every run of 7 or more digits masked like a phone or identity number
    (first 3 and last 2 kept), so an audit detail never holds one in full."""
    return _LONG_NUMBER.sub(lambda m: m[0][:3] + "*" * (len(m[0]) - 5) + m[0][-2:], text)


def data_requests_of(resident: Resident) -> QuerySet[AuditEvent]:
    """``DATA_REQUEST`` audit events about ``resident``, newest first."""
    return AuditEvent.objects.filter(
        kind=AuditKind.DATA_REQUEST, object_type="people.resident", object_id=str(resident.pk)
    ).order_by("-seq")
