"""Actions on a case that do not change its state: notes, participants, witnessed actions.

Same conventions as :mod:`linli.cases.transitions` (row lock, state check, permission,
immutable event, notification after commit).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from linli.cases.errors import CaseInputError
from linli.cases.models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseParticipant,
    CaseStatus,
    ParticipantRole,
)
from linli.cases.notices import notice_on_commit
from linli.cases.text import Uploads
from linli.cases.transitions import (
    LIVE_STATUSES,
    locked_case,
    text_field,
    transition_check,
    transition_write,
)
from linli.common.identity import IdentityError, parse_phone
from linli.orgs.models import Organization
from linli.people.models import Resident

NOTABLE = [s for s in CaseStatus if s != CaseStatus.MERGED]


@transaction.atomic
def case_add_note(
    *, case: Case, actor: User, note: str, photos: Uploads = None, now: dt.datetime | None = None
) -> CaseEvent:
    """备注 with optional photos, in any state but merged (the target holds the timeline)."""
    case = locked_case(case)
    transition_check(case, action=CaseAction.NOTE, allowed=NOTABLE, actor=actor, key="note")
    note = text_field(note, field="note", label="备注", required=True)
    return transition_write(
        case,
        to_status=case.status,
        action=CaseAction.NOTE,
        actor=actor,
        now=now or timezone.now(),
        note=note,
        photos=photos,
    )


def _phone(value: str) -> str:
    if not value.strip():
        return ""
    try:
        return parse_phone(value)
    except IdentityError as exc:
        raise CaseInputError(str(exc), field="phone") from None


@transaction.atomic
def case_add_participant(
    *,
    case: Case,
    actor: User,
    role: str,
    user: User | None = None,
    organization: Organization | None = None,
    resident: Resident | None = None,
    name: str = "",
    phone: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> CaseParticipant:
    """增加参与方 (police, property company, family…) while the case is live.

    A participant is identified by an account (``user``: then they see and act on the case),
    an ``organization`` (its members by assignment see it), or a ``name`` (e.g. a relative
    without an account; ``resident`` links a registered one and supplies the name).

    Raises: CaseInputError for an unknown role, nobody identified, a bad phone, or the same
    account/organisation already in that role.
    """
    case = locked_case(case)
    transition_check(
        case, action=CaseAction.PARTICIPANT, allowed=LIVE_STATUSES, actor=actor, key="participant"
    )
    if role not in ParticipantRole.values:
        raise CaseInputError("参与方角色无效", field="role")
    name = text_field(name, field="name", label="姓名", required=False, max_length=100)
    if not name and resident is not None:
        name = resident.name
    if user is None and organization is None and not name:
        raise CaseInputError("请指定参与方的账号、单位或姓名", field="name")
    if (user or organization) and case.participants.filter(
        role=role, user=user, organization=organization
    ).exists():
        raise CaseInputError("该参与方已在此事件中", field="user")
    row = CaseParticipant.objects.create(
        case=case,
        role=role,
        user=user,
        organization=organization,
        resident=resident,
        name=name,
        phone=_phone(phone),
        added_by=actor,
    )
    who = (
        name
        or (user.get_full_name() or user.get_username() if user else "")
        or (organization.name if organization else "")
    )
    transition_write(
        case,
        to_status=case.status,
        action=CaseAction.PARTICIPANT,
        actor=actor,
        now=now or timezone.now(),
        note=text_field(note, field="note", label="说明", required=False)
        or f"{ParticipantRole(role).label}：{who}",
        data={
            "participant_id": row.pk,
            "role": role,
            "user_id": user.pk if user else None,
            "organization_id": organization.pk if organization else None,
            "name": who,
        },
    )
    if user is not None:
        notice_on_commit(case=case, action=CaseAction.PARTICIPANT, also=[user])
    return row


@transaction.atomic
def case_record_witnessed_action(
    *,
    case: Case,
    actor: User,
    action_text: str,
    witness: User | None = None,
    witness_name: str = "",
    photos: Uploads = None,
    now: dt.datetime | None = None,
) -> CaseEvent:
    """见证处置: an action done in a witness's presence, e.g. "破门进入，民警王某见证".

    ``witness`` is the witnessing account (its full name fills ``witness_name`` when that is
    empty) or just ``witness_name``. Allowed while the case is live.

    Raises: CaseInputError if the action text or both witness fields are empty.
    """
    case = locked_case(case)
    transition_check(
        case, action=CaseAction.WITNESSED, allowed=LIVE_STATUSES, actor=actor, key="witnessed"
    )
    action_text = text_field(action_text, field="action_text", label="处置内容", required=True)
    witness_name = text_field(
        witness_name, field="witness_name", label="见证人", required=False, max_length=100
    )
    if witness is not None and not witness_name:
        witness_name = witness.get_full_name() or witness.get_username()
    if not witness_name:
        raise CaseInputError("请指定见证人", field="witness_name")
    return transition_write(
        case,
        to_status=case.status,
        action=CaseAction.WITNESSED,
        actor=actor,
        now=now or timezone.now(),
        note=action_text,
        witness=witness,
        witness_name=witness_name,
        photos=photos,
    )
