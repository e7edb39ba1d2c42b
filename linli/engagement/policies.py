"""Writes of the policy library: policies, matching (免申即享), match steps, the relay's notes.

* :func:`policy_save` checks a policy as a whole (text fields, dates, money, the
  condition's grammar *and* contradictions) and writes nothing on any error; then it
  runs :func:`policy_match`.
* :func:`policy_match` evaluates every organisation (or resident) under the policy's area
  with the eligibility engine and brings the policy's :class:`PolicyMatch` rows in line:
  new ones ``matched`` (``granted`` at once for an ``automatic`` policy, 免申即享), reasons
  refreshed, ``matched`` / ``notified`` ones that no longer qualify ``lapsed``; then it
  tells each newly matched organisation's enterprise contacts in-app, once per match.
* :func:`organization_changed` re-matches the current policies of one organisation; the
  signals of :mod:`linli.engagement.signals` call it after a commit that changed an
  organisation or a disabled employee.
* Steps of a match, each locking the row and checking its state
  (:class:`~linli.engagement.errors.IllegalTransition`, HTTP 409):
  :func:`policy_match_notify`, :func:`policy_match_applied`, :func:`policy_match_outcome`.

Errors are those of :mod:`linli.engagement.errors` (Chinese messages).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from linli.eligibility.facts import SubjectKind
from linli.eligibility.money import yuan
from linli.engagement import policy_selectors as sel
from linli.engagement.errors import EngagementError, IllegalTransition, NotAllowed
from linli.engagement.models import (
    GrantMode,
    MatchStatus,
    Policy,
    PolicyMatch,
    PolicyNote,
)
from linli.notify.services import notify
from linli.orgs.models import Organization
from linli.people.scoping import AnyUser
from linli.places.models import Area

#: Attachments of the relay's notes: suffix → magic bytes the file must start with.
#: (.docx / .xlsx are ZIP containers, Office Open XML, ECMA-376.)
ATTACHMENT_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_NOTE_CHARS = 5000
MAX_OUTCOME_NOTE = 200
#: Statuses a lapse may overwrite: before an application. An application already made
#: waits for its outcome; a registry change does not withdraw it.
LAPSABLE = (MatchStatus.MATCHED, MatchStatus.NOTIFIED)
NOTIFY_KIND = "policy.matched"
POLICY_FIELDS = (
    "title",
    "issuer",
    "document_number",
    "area",
    "subject_kind",
    "summary",
    "benefit",
    "benefit_fen",
    "benefit_unit",
    "condition",
    "grant_mode",
    "valid_from",
    "valid_to",
    "source_url",
)


class PolicyInvalid(EngagementError):
    """A policy with one or more problems; ``errors`` maps field name → Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()), field=next(iter(errors), ""))
        self.errors = errors


# --- the policy ---------------------------------------------------------------------------


def policy_check(fields: Mapping[str, Any]) -> dict[str, str]:
    """Problems of a complete set of policy fields (see :data:`POLICY_FIELDS`), by field.

    Rules: title, issuer and benefit are required; the area is a district, street or
    community; ``valid_to`` is not before ``valid_from``; ``benefit_fen`` is a whole
    number of fen ≥ 0 or empty; the condition follows the condition language for the
    subject kind and is not self-contradictory
    (:func:`linli.eligibility.conditions.contradiction`).
    """
    errors: dict[str, str] = {}
    for name, label in (("title", "政策名称"), ("issuer", "发布机关"), ("benefit", "享受内容")):
        if not str(fields.get(name) or "").strip():
            errors[name] = f"请填写{label}"
    area = fields.get("area")
    if not isinstance(area, Area):
        errors["area"] = "请选择适用区域"
    elif area.kind not in sel.POLICY_AREA_KINDS:
        errors["area"] = "政策的适用区域应为区、街道或社区"
    if fields.get("subject_kind") not in dict(SubjectKind.choices):
        errors["subject_kind"] = "适用对象应为“单位”或“居民”"
    if fields.get("grant_mode") not in GrantMode.values:
        errors["grant_mode"] = "兑现方式应为“免申即享”或“需申报”"
    valid_from, valid_to = fields.get("valid_from"), fields.get("valid_to")
    if not isinstance(valid_from, dt.date):
        errors["valid_from"] = "请填写生效日期"
    elif valid_to is not None and (not isinstance(valid_to, dt.date) or valid_to < valid_from):
        errors["valid_to"] = "失效日期不能早于生效日期"
    fen = fields.get("benefit_fen")
    if fen is not None and (not isinstance(fen, int) or isinstance(fen, bool) or fen < 0):
        errors["benefit_fen"] = "补贴金额应为不小于 0 的整数（分）"
    if "subject_kind" not in errors:
        try:
            sel.condition_check(fields.get("condition"), fields["subject_kind"])
        except EngagementError as err:
            errors["condition"] = str(err)
    return errors


@transaction.atomic
def policy_save(*, actor: AnyUser | None, policy: Policy | None = None, **fields: Any) -> Policy:
    """Create a policy (``policy`` ``None``) or update ``policy``, then match it.

    ``actor`` ``None`` is the system (demo builder, management commands): no permission
    check, no ``created_by``.

    ``fields`` are model fields of :data:`POLICY_FIELDS`; when updating, omitted ones keep
    their values. Money in fen (``benefit_fen`` 195000 = 1,950 元), dates local.

    Raises:
        NotAllowed: the actor may not edit policies for the (old or new) area.
        PolicyInvalid: every problem by field (:func:`policy_check`, model validation);
            nothing is written.
    """
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"policy_save: unknown fields {sorted(unknown)}")
    if policy is not None:
        policy = Policy.objects.select_for_update().get(pk=policy.pk)
        if actor is not None and not sel.may_edit_policy_in(actor, policy.area):
            raise NotAllowed("您不能修改这项政策（它适用的区域不在您的管辖范围内）")
        merged = {name: getattr(policy, name) for name in POLICY_FIELDS} | fields
    else:
        merged = {"subject_kind": SubjectKind.ORGANIZATION, "grant_mode": GrantMode.APPLY} | fields
    merged = _cleaned(merged)
    errors = policy_check(merged)
    area = merged.get("area")
    if actor is not None and isinstance(area, Area) and not sel.may_edit_policy_in(actor, area):
        raise NotAllowed("您只能为自己管辖的区域录入政策")
    if errors:
        raise PolicyInvalid(errors)
    target = policy or Policy(created_by=actor if isinstance(actor, User) else None)
    for name, value in merged.items():
        setattr(target, name, value)
    try:
        target.full_clean()
    except ValidationError as err:
        raise PolicyInvalid(
            {name: "；".join(messages) for name, messages in err.message_dict.items()}
        ) from None
    target.save()
    policy_match(policy=target, actor=actor)
    return target


def _cleaned(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(fields)
    for name in ("title", "issuer", "document_number", "summary", "benefit", "benefit_unit"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "").strip()
    cleaned["source_url"] = str(cleaned.get("source_url") or "").strip()
    return cleaned


def policy_is_current(policy: Policy, on: dt.date) -> bool:
    """Not expired on local date ``on`` (a policy not yet in force already matches, so
    enterprises can prepare)."""
    return policy.valid_to is None or policy.valid_to >= on


# --- matching -----------------------------------------------------------------------------


@dataclasses.dataclass
class MatchReport:
    """What one matching run did to one policy (counts of matches).

    ``considered`` subjects were evaluated, ``qualifying`` met the condition; ``created``
    new matches, ``revived`` lapsed ones that qualify again, ``lapsed`` ones that no longer
    qualify; ``granted`` of the new/revived were granted at once (免申即享); ``notified``
    matches whose contacts were told now. ``skipped`` says why nothing was done ("" if
    it ran).
    """

    policy_id: int
    considered: int = 0
    qualifying: int = 0
    created: int = 0
    revived: int = 0
    lapsed: int = 0
    granted: int = 0
    notified: int = 0
    skipped: str = ""

    def summary(self) -> str:
        """One Chinese sentence for a flash message."""
        if self.skipped:
            return self.skipped
        text = f"已比对 {self.considered} 个对象，{self.qualifying} 个符合条件"
        if self.created or self.revived:
            text += f"，新增 {self.created + self.revived} 个"
        if self.granted:
            text += f"（其中 {self.granted} 个免申即享、已自动兑现）"
        if self.lapsed:
            text += f"，{self.lapsed} 个已不再符合"
        if self.notified:
            text += f"，已通知 {self.notified} 个单位"
        return text + "。"


def policy_match(
    *, policy: Policy, actor: AnyUser | None = None, now: dt.datetime | None = None
) -> MatchReport:
    """Match ``policy`` against every subject under its area, as of ``now``.

    Locks the policy row, so two runs for one policy (a save and a signal) follow each
    other. Queries: the subjects' facts in one query (organisations, disabled employees
    counted by SQL), existing matches in one, bulk writes, the contacts in one, then one
    notification per newly matched organisation. An expired policy is not matched
    (``skipped``); its matches are left as they are.

    ``actor`` is recorded nowhere yet (kept for the audit the match rows do not have).
    """
    now = now or timezone.now()
    on = timezone.localdate(now)
    with transaction.atomic():
        policy = Policy.objects.select_for_update().select_related("area").get(pk=policy.pk)
        report = MatchReport(policy_id=policy.pk)
        if not policy_is_current(policy, on):
            report.skipped = f"政策已于 {policy.valid_to} 失效，未重新匹配。"
            return report
        subjects = list(sel.subjects_with_facts(policy.area, policy.subject_kind, on))
        found = sel.qualifying(policy.condition, policy.subject_kind, subjects)
        report.considered, report.qualifying = len(subjects), len(found)
        existing = {_key(m): m for m in policy.matches.all()}
        _apply(policy, existing, {s.key: (s, why) for s, why in found}, now, report)
    return report


def _key(match: PolicyMatch) -> tuple[str, int]:
    if match.organization_id is not None:
        return (SubjectKind.ORGANIZATION, match.organization_id)
    assert match.resident_id is not None
    return (SubjectKind.RESIDENT, match.resident_id)


def _apply(
    policy: Policy,
    existing: Mapping[tuple[str, int], PolicyMatch],
    found: Mapping[tuple[str, int], tuple[sel.Subject, str]],
    now: dt.datetime,
    report: MatchReport,
) -> None:
    """Bring the match rows of ``policy`` in line with ``found`` (the caller holds the
    policy lock); then notify the new ones."""
    automatic = policy.grant_mode == GrantMode.AUTOMATIC
    new: list[PolicyMatch] = []
    changed: list[PolicyMatch] = []
    fresh: list[PolicyMatch] = []
    for key, (subject, why) in found.items():
        match = existing.get(key)
        if match is None:
            match = PolicyMatch(policy=policy, reasons=why, matched_at=now)
            setattr(match, f"{subject.kind}_id", subject.id)
            _start(match, policy, now, automatic)
            new.append(match)
            report.created += 1
        elif match.status == MatchStatus.LAPSED:
            match.reasons, match.matched_at = why, now
            _start(match, policy, now, automatic)
            changed.append(match)
            report.revived += 1
        elif match.reasons != why:
            match.reasons = why
            changed.append(match)
            continue
        else:
            continue
        fresh.append(match)
        report.granted += match.status == MatchStatus.GRANTED
    for key, match in existing.items():
        if key not in found and match.status in LAPSABLE:
            match.status = MatchStatus.LAPSED
            changed.append(match)
            report.lapsed += 1
    PolicyMatch.objects.bulk_create(new)
    PolicyMatch.objects.bulk_update(
        changed,
        ["status", "reasons", "matched_at", "outcome_at", "granted_fen", "outcome_note"],
    )
    if new and any(m.pk is None for m in new):  # backends that do not return keys
        ids = {(m.organization_id, m.resident_id): m for m in policy.matches.all()}
        fresh = [ids.get((m.organization_id, m.resident_id), m) for m in fresh]
    report.notified = _notify_new(policy, [m for m in fresh if m.notified_at is None], now)


def _start(match: PolicyMatch, policy: Policy, now: dt.datetime, automatic: bool) -> None:
    """A new (or revived) match: granted at once for 免申即享, else matched / notified."""
    if automatic:
        match.status = MatchStatus.GRANTED
        match.outcome_at, match.granted_fen = now, policy.benefit_fen
        match.outcome_note = "免申即享，自动兑现"
    else:
        match.status = MatchStatus.NOTIFIED if match.notified_at else MatchStatus.MATCHED
        match.outcome_at, match.granted_fen, match.outcome_note = None, None, ""


def benefit_text(policy: Policy) -> str:
    """ "青年就业见习补贴（每人1950.00 元）" style text of what the policy gives.

    ``yuan()`` already ends in 元, so nothing is appended after it.
    """
    if policy.benefit_fen is None:
        return policy.benefit
    unit = f"每{policy.benefit_unit}" if policy.benefit_unit else ""
    return f"{policy.benefit}（{unit}{yuan(policy.benefit_fen)}）"


def _message(policy: Policy, match: PolicyMatch) -> tuple[str, str]:
    who = "您单位" if match.organization_id else "您"
    if match.status == MatchStatus.GRANTED:
        title = f"{who}符合《{policy.title}》，已自动兑现"
        body = f"{who}符合《{policy.title}》，免申即享，已自动兑现：{benefit_text(policy)}。"
    else:
        title = f"{who}符合《{policy.title}》"
        body = f"{who}符合《{policy.title}》，可享受{benefit_text(policy)}。"
    return title, f"{body}符合理由：{match.reasons}。"


def _recipients(matches: list[PolicyMatch]) -> dict[int, list[Any]]:
    """Users to tell, per match id: enterprise contacts, or a resident's own account."""
    from linli.accounts.models import ResidentAccount

    contacts = sel.enterprise_contacts(
        m.organization_id for m in matches if m.organization_id is not None
    )
    residents = [m.resident_id for m in matches if m.resident_id is not None]
    accounts: dict[int | None, User] = {}
    if residents:
        rows = ResidentAccount.objects.filter(
            resident_id__in=residents, active=True, user__is_active=True
        ).select_related("user")
        accounts = {row.resident_id: row.user for row in rows}
    found: dict[int, list[Any]] = {}
    for match in matches:
        if match.organization_id is not None:
            people = contacts.get(match.organization_id, [])
        else:
            user = accounts.get(match.resident_id)
            people = [user] if user else []
        if people:
            found[match.pk] = people
    return found


def _notify_new(policy: Policy, matches: list[PolicyMatch], now: dt.datetime) -> int:
    """Tell each of ``matches`` (not yet told) in-app; stamp ``notified_at``. Matches
    without anyone to tell stay untold, for staff to tell by phone."""
    if not matches:
        return 0
    recipients = _recipients(matches)
    told = []
    for match in matches:
        people = recipients.get(match.pk)
        if not people:
            continue
        title, body = _message(policy, match)
        link = f"/biz/policies/{match.pk}/" if match.organization_id else ""
        notify(
            recipients=people,
            title=title[:200],
            body=body,
            link=link,
            kind=NOTIFY_KIND,
            subject=match,
        )
        match.notified_at = now
        if match.status == MatchStatus.MATCHED:
            match.status = MatchStatus.NOTIFIED
        told.append(match)
    PolicyMatch.objects.bulk_update(told, ["notified_at", "status"])
    return len(told)


def organization_changed(
    organization: Organization | int, *, now: dt.datetime | None = None
) -> int:
    """Re-match every current organisation policy whose area covers ``organization``.

    Cheap: the organisation's facts in one query, the policies in one, one match row
    each. Returns the number of policies re-matched. A deleted organisation is ignored.
    """
    now = now or timezone.now()
    on = timezone.localdate(now)
    org_id = organization if isinstance(organization, int) else organization.pk
    with transaction.atomic():
        area_path = Organization.objects.filter(pk=org_id).values_list("area__path", flat=True)
        if not area_path:
            return 0
        policies = list(
            Policy.objects.select_for_update()
            .filter(
                subject_kind=SubjectKind.ORGANIZATION,
                area__path__in=sel.ancestor_paths(area_path[0]),
            )
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
            .order_by("pk")
        )
        if not policies:
            return 0
        subject = next(sel.organization_subjects(Organization.objects.filter(pk=org_id)))
        for policy in policies:
            _rematch_one(policy, subject, now)
    return len(policies)


def _rematch_one(policy: Policy, subject: sel.Subject, now: dt.datetime) -> None:
    """Re-match one subject for one locked policy."""
    found = sel.qualifying(policy.condition, policy.subject_kind, [subject])
    existing = {_key(m): m for m in policy.matches.filter(**{f"{subject.kind}_id": subject.id})}
    _apply(policy, existing, {s.key: (s, why) for s, why in found}, now, MatchReport(policy.pk))


def policies_rematch(*, now: dt.datetime | None = None) -> list[MatchReport]:
    """Re-match every current policy (the nightly run: validity dates pass, and bulk
    registry imports change facts without signals)."""
    now = now or timezone.now()
    on = timezone.localdate(now)
    current = Policy.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on)).order_by("pk")
    return [policy_match(policy=policy, now=now) for policy in current]


# --- steps of a match ---------------------------------------------------------------------


def _locked(match: PolicyMatch) -> PolicyMatch:
    return PolicyMatch.objects.select_for_update().select_related("policy").get(pk=match.pk)


def _staff_over(actor: AnyUser, match: PolicyMatch) -> None:
    if not sel.matches_for_staff(actor).filter(pk=match.pk).exists() or not sel.may_use_policies(
        actor
    ):
        raise NotAllowed("这条匹配记录不在您的管辖范围内")


@transaction.atomic
def policy_match_notify(
    *, match: PolicyMatch, actor: AnyUser, by_phone: bool = False, now: dt.datetime | None = None
) -> PolicyMatch:
    """Tell a match's organisation (in-app to its enterprise contacts), or record that
    staff told it by phone / in person (``by_phone``). Never twice.

    Raises:
        NotAllowed: the actor is not policy staff over the subject.
        IllegalTransition: already told, or the match lapsed / was rejected.
        EngagementError: nobody to tell in-app (no enterprise contact or resident account).
    """
    _staff_over(actor, match)
    match = _locked(match)
    now = now or timezone.now()
    if match.notified_at is not None:
        local = timezone.localtime(match.notified_at)
        raise IllegalTransition(f"已于 {local:%Y-%m-%d %H:%M} 告知，不再重复通知")
    if match.status in (MatchStatus.LAPSED, MatchStatus.REJECTED):
        raise IllegalTransition(f"该匹配当前为“{match.get_status_display()}”，无需告知")
    if by_phone:
        match.notified_at = now
        if match.status == MatchStatus.MATCHED:
            match.status = MatchStatus.NOTIFIED
        match.save(update_fields=["notified_at", "status", "updated_at"])
        return match
    if not _notify_new(match.policy, [match], now):
        raise EngagementError(
            "该单位（居民）没有可接收站内消息的账号，请电话告知后选择“已电话告知”"
        )
    return match


@transaction.atomic
def policy_match_applied(
    *, match: PolicyMatch, actor: AnyUser, now: dt.datetime | None = None
) -> PolicyMatch:
    """The organisation applied (我要申报): ``matched`` / ``notified`` → ``applied``.

    Who: an enterprise contact of the match's organisation, or policy staff over it
    (recording an application made at the window).

    Raises:
        NotAllowed: neither.
        IllegalTransition: 免申即享 (nothing to apply for), already applied, or the match
            is no longer open (lapsed, granted, rejected).
    """
    contact_orgs = {o.pk for o in sel.contact_organizations(actor)}
    if match.organization_id not in contact_orgs:
        _staff_over(actor, match)
    match = _locked(match)
    if match.policy.grant_mode == GrantMode.AUTOMATIC:
        raise IllegalTransition("该政策免申即享，符合条件即自动兑现，无需申报")
    if match.status == MatchStatus.APPLIED:
        raise IllegalTransition("已经申报过了，请等待审核结果")
    if match.status not in (MatchStatus.MATCHED, MatchStatus.NOTIFIED):
        raise IllegalTransition(f"该匹配当前为“{match.get_status_display()}”，不能再申报")
    match.status, match.applied_at = MatchStatus.APPLIED, now or timezone.now()
    match.save(update_fields=["status", "applied_at", "updated_at"])
    return match


@transaction.atomic
def policy_match_outcome(
    *,
    match: PolicyMatch,
    actor: AnyUser,
    outcome: str,
    amount_fen: int | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> PolicyMatch:
    """Record the outcome of an application: ``granted`` (with the amount in fen, default
    the policy's ``benefit_fen``) or ``rejected`` (a reason is required).

    Allowed from ``matched``, ``notified`` or ``applied`` (some grants come straight from
    the issuing office), by policy staff over the subject.

    Raises:
        NotAllowed: not policy staff over the subject.
        EngagementError: unknown outcome, negative amount, rejection without a reason,
            note too long.
        IllegalTransition: the match already has an outcome or lapsed.
    """
    _staff_over(actor, match)
    note = note.strip()
    if outcome not in (MatchStatus.GRANTED, MatchStatus.REJECTED):
        raise EngagementError("结果应为“已兑现”或“未通过”", field="outcome")
    if amount_fen is not None and amount_fen < 0:
        raise EngagementError("兑现金额不能为负", field="amount")
    if outcome == MatchStatus.REJECTED and not note:
        raise EngagementError("请填写未通过的原因", field="note")
    if len(note) > MAX_OUTCOME_NOTE:
        raise EngagementError(f"结果说明不能超过 {MAX_OUTCOME_NOTE} 个字", field="note")
    match = _locked(match)
    if match.status not in (MatchStatus.MATCHED, MatchStatus.NOTIFIED, MatchStatus.APPLIED):
        raise IllegalTransition(f"该匹配当前为“{match.get_status_display()}”，不能再登记结果")
    match.status, match.outcome_at, match.outcome_note = outcome, now or timezone.now(), note
    if outcome == MatchStatus.GRANTED:
        match.granted_fen = amount_fen if amount_fen is not None else match.policy.benefit_fen
    else:
        match.granted_fen = None
    match.save(update_fields=["status", "outcome_at", "outcome_note", "granted_fen", "updated_at"])
    return match


# --- the relay's notes --------------------------------------------------------------------


def attachment_check(attachment: UploadedFile) -> None:
    """PDF, Word (.docx), Excel (.xlsx), JPEG or PNG, at most 10 MB, content as named.

    Raises:
        EngagementError: ``field="attachment"``.
    """
    suffix = Path(attachment.name or "").suffix.lower()
    magic = ATTACHMENT_MAGIC.get(suffix)
    if magic is None:
        raise EngagementError(
            "附件只能是 PDF、Word（.docx）、Excel（.xlsx）、JPG 或 PNG 文件", field="attachment"
        )
    if (attachment.size or 0) > MAX_ATTACHMENT_BYTES:
        raise EngagementError("附件不能超过 10 MB", field="attachment")
    if not attachment.size:
        raise EngagementError("附件是空文件", field="attachment")
    attachment.seek(0)
    head = attachment.read(8)
    attachment.seek(0)
    if not head.startswith(magic):
        raise EngagementError(f"附件内容与扩展名“{suffix}”不符，请上传原始文件", field="attachment")


@transaction.atomic
def policy_note_add(
    *,
    policy: Policy,
    actor: AnyUser,
    text: str,
    attachment: UploadedFile | None = None,
) -> PolicyNote:
    """Add the relay's explanation (政策解读) to ``policy``, optionally with a file.

    Raises:
        NotAllowed: the policy does not apply to the actor's areas, or the actor is not
            policy staff.
        EngagementError: empty or over-long text, a bad attachment (:func:`attachment_check`).
    """
    if not sel.may_use_policies(actor) or sel.policy_for_staff(actor, policy.pk) is None:
        raise NotAllowed("您不能为这项政策添加解读")
    text = text.strip()
    if not text:
        raise EngagementError("请填写政策解读", field="text")
    if len(text) > MAX_NOTE_CHARS:
        raise EngagementError(f"政策解读不能超过 {MAX_NOTE_CHARS} 字", field="text")
    if attachment is not None:
        attachment_check(attachment)
    note = PolicyNote(policy=policy, author=actor if isinstance(actor, User) else None, text=text)
    if attachment is not None:
        note.attachment.save(Path(attachment.name or "附件").name, attachment, save=False)
    note.save()
    return note


# --- demo ---------------------------------------------------------------------------------

IT_INDUSTRIES = ["信息传输、软件和信息技术服务业", "科学研究和技术服务业"]


def demo_policy_fields(area: Area, valid_from: dt.date) -> list[dict[str, Any]]:
    """The three policies of the report's policy relay, as :func:`policy_save` fields.

    The disabled-employment tax relief asks for ≥ 1 disabled employee only: its other
    rule (≥ 25 % of the staff, 财税〔2016〕52 号 needs ≥ 25 % and ≥ 10 people) is a ratio
    of two facts, which the condition language cannot express; the relay's note says so.
    """
    return [
        {
            "title": "青年就业见习补贴",
            "issuer": "银川市人力资源和社会保障局",
            "document_number": "",
            "area": area,
            "subject_kind": SubjectKind.ORGANIZATION,
            "summary": "经认定的就业见习基地吸纳离校未就业高校毕业生等青年参加就业见习的，"
            "按见习人数给予见习补贴。",
            "benefit": "就业见习补贴",
            "benefit_fen": 195_000,
            "benefit_unit": "人",
            "condition": {
                "fact": "internship_base",
                "op": "==",
                "value": True,
                "label": "经认定的青年就业见习基地",
            },
            "grant_mode": GrantMode.APPLY,
            "valid_from": valid_from,
            "valid_to": None,
            "source_url": "",
        },
        {
            "title": "安置残疾人就业税收优惠",
            "issuer": "国家税务总局银川市税务局",
            "document_number": "财税〔2016〕52号",
            "area": area,
            "subject_kind": SubjectKind.ORGANIZATION,
            "summary": "安置残疾人就业的单位，按安置残疾人人数享受增值税即征即退等优惠；"
            "另须残疾职工占职工总数 25% 以上且不少于 10 人，由税务部门审核。",
            "benefit": "增值税即征即退、残疾人工资加计扣除",
            "benefit_fen": None,
            "benefit_unit": "",
            "condition": {
                "fact": "disabled_employees",
                "op": ">=",
                "value": 1,
                "label": "在册残疾职工 {disabled_employees} 人",
            },
            "grant_mode": GrantMode.APPLY,
            "valid_from": valid_from,
            "valid_to": None,
            "source_url": "",
        },
        {
            "title": "人才共有产权住房",
            "issuer": "银川市住房和城乡建设局",
            "document_number": "",
            "area": area,
            "subject_kind": SubjectKind.ORGANIZATION,
            "summary": "重点行业企业引进的人才，可申请共有产权住房，政府持有部分产权。",
            "benefit": "引进人才可申请共有产权住房",
            "benefit_fen": None,
            "benefit_unit": "",
            "condition": {
                "all": [
                    {"fact": "kind", "op": "==", "value": "enterprise", "label": "企业"},
                    {
                        "fact": "employee_count",
                        "op": ">=",
                        "value": 10,
                        "label": "从业人数 ≥ 10（现 {employee_count} 人）",
                    },
                    {"fact": "industry", "op": "in", "value": IT_INDUSTRIES},
                ]
            },
            "grant_mode": GrantMode.APPLY,
            "valid_from": valid_from,
            "valid_to": None,
            "source_url": "",
        },
    ]


def demo_policies(area: Area, actor: AnyUser | None = None) -> list[Policy]:
    """Create (or update, by title and area) the three demo policies for ``area`` and
    match them; ``actor`` ``None`` is the system (no permission check). Valid from
    1 January of this year, open-ended.

    Ready for the demo builder: ``demo_policies(office_community)``.
    """
    saved = []
    valid_from = timezone.localdate().replace(month=1, day=1)
    for fields in demo_policy_fields(area, valid_from):
        current = Policy.objects.filter(title=fields["title"], area=area).first()
        saved.append(policy_save(actor=actor, policy=current, **fields))
    return saved
