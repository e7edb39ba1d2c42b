"""Receivers that write the security audit log (connected in ``AuditConfig.ready``).

* Log-in, failed log-in, log-out (``django.contrib.auth`` signals). A failed attempt
  keeps the typed user name (masked when it looks like a phone number), never the password.
* Every :class:`linli.common.models.PiiAccessLog` row created → PII_VIEW.
* Permission changes → PERMISSION: an ``Assignment`` created, changed (user, area, role or
  organisation) or deleted; a user's ``is_staff``/``is_superuser``/``is_active`` set or
  changed; group membership, a user's own permissions and a group's permissions
  (``m2m_changed``).

Exports are recorded by :class:`linli.audit.middleware.ExportAuditMiddleware`.

Model-signal events are written on commit (:func:`_on_commit`): a rolled-back change
leaves no event, and the chain's lock is never held while a business transaction waits for
its own row locks (no deadlock between the two). Who made a change is read from the request
that django-simple-history's ``HistoryRequestMiddleware`` already keeps for the thread; a
change outside a request (shell, command, task) has no actor.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.http import HttpRequest
from simple_history.models import HistoricalRecords

from linli.audit.models import AuditKind
from linli.audit.services import record
from linli.common.models import PiiAccessLog
from linli.common.pii import mask_phone
from linli.people.models import Assignment

User = get_user_model()
#: A typed log-in name that looks like a phone number (mainland mobile, optional +86).
_PHONE_LIKE = re.compile(r"^\+?(86)?1\d{10}$")
_USER_FLAGS = ("is_staff", "is_superuser", "is_active")
_FLAG_LABELS = {"is_staff": "后台登录", "is_superuser": "超级管理员", "is_active": "账号启用"}
_ASSIGNMENT_FIELDS = ("user_id", "area_id", "role", "organization_id")


def _current_request() -> HttpRequest | None:
    """The request being served on this thread (set by simple-history's middleware), or
    None outside a request. Read only for an event's actor and address."""
    return getattr(HistoricalRecords.context, "request", None)


def _on_commit(kind: str, summary: str, **kwargs: Any) -> None:
    """Record the event when the current transaction commits (at once in autocommit),
    with the current request's user and address unless ``actor``/``request`` is given."""
    kwargs.setdefault("request", _current_request())
    transaction.on_commit(partial(record, kind, summary, **kwargs))


def masked_login_name(name: str) -> str:
    """A typed log-in name for the log: a phone number masked (``139****5678``), anything
    else cut to 150 characters."""
    name = (name or "").strip()
    digits = name.replace(" ", "").replace("-", "")
    return mask_phone(digits) if _PHONE_LIKE.match(digits) else name[:150]


# --- log-in ------------------------------------------------------------------------------


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    _on_commit(AuditKind.LOGIN, "登录成功", actor=user, request=request)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    typed = str(credentials.get(User.USERNAME_FIELD) or credentials.get("phone") or "")
    target = User._default_manager.filter(**{User.USERNAME_FIELD: typed}).first() if typed else None
    _on_commit(
        AuditKind.LOGIN_FAILED,
        "登录失败",
        actor_label=masked_login_name(typed),
        request=request,
        obj=target,
        detail={"account_exists": target is not None},
    )


def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        _on_commit(AuditKind.LOGOUT, "退出登录", actor=user, request=request)


# --- unmasked personal data --------------------------------------------------------------


def on_pii_access(sender: Any, instance: PiiAccessLog, created: bool, **kwargs: Any) -> None:
    if created:
        _on_commit(
            AuditKind.PII_VIEW,
            f"查看{instance.subject_label}的{instance.fields}原文",
            actor=instance.user,
            object_type=instance.subject_type,
            object_id=instance.subject_id,
            detail={"fields": instance.fields, "purpose": instance.purpose, "log_id": instance.pk},
        )


# --- permissions -------------------------------------------------------------------------


def _assignment_state(assignment: Assignment) -> dict[str, Any]:
    return {name: getattr(assignment, name) for name in _ASSIGNMENT_FIELDS}


def remember_assignment(sender: Any, instance: Assignment, **kwargs: Any) -> None:
    """Before a save: the stored state, to tell a real change from a touch."""
    old = Assignment.objects.filter(pk=instance.pk).first() if instance.pk else None
    instance._audit_before = None if old is None else _assignment_state(old)  # type: ignore[attr-defined]


def on_assignment_saved(sender: Any, instance: Assignment, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_audit_before", None)
    after = _assignment_state(instance)
    if not created and before == after:
        return
    verb = "新增岗位" if created or before is None else "变更岗位"
    _on_commit(
        AuditKind.PERMISSION,
        f"{verb}：{instance.user.get_username()} · {instance.get_role_display()} · "
        f"{instance.area.name}",
        obj=instance,
        detail={"before": before, "after": after},
    )


def on_assignment_deleted(sender: Any, instance: Assignment, **kwargs: Any) -> None:
    _on_commit(
        AuditKind.PERMISSION,
        f"撤销岗位：{instance.user.get_username()} · {instance.get_role_display()}",
        obj=instance,
        detail={"before": _assignment_state(instance)},
    )


def remember_user_flags(
    sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any
) -> None:
    """Before a user save that may touch the flags: their stored values."""
    if update_fields is not None and not set(update_fields) & set(_USER_FLAGS):
        instance._audit_flags = None  # e.g. last_login on log-in: nothing to compare
        return
    old = None
    if instance.pk is not None:
        old = User._default_manager.filter(pk=instance.pk).values(*_USER_FLAGS).first()
    instance._audit_flags = old or dict.fromkeys(_USER_FLAGS, False)


def on_user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_audit_flags", None)
    if before is None:
        return
    changed = {f: getattr(instance, f) for f in _USER_FLAGS if getattr(instance, f) != before[f]}
    if created:  # a new account is active by default: only granted powers are news
        changed.pop("is_active", None)
    if not changed:
        return
    parts = "、".join(f"{_FLAG_LABELS[f]}{'开启' if v else '关闭'}" for f, v in changed.items())
    _on_commit(
        AuditKind.PERMISSION,
        f"{'新建账号' if created else '账号权限变更'}：{instance.get_username()}（{parts}）",
        obj=instance,
        detail={"changed": changed},
    )


_M2M_VERBS = {"post_add": "加入", "post_remove": "移除", "post_clear": "清空"}


def on_m2m_changed(
    sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: Any, **kwargs: Any
) -> None:
    """Group membership, a user's permissions, a group's permissions."""
    if action not in _M2M_VERBS:
        return
    relation = {
        User.groups.through: "用户组成员",
        User.user_permissions.through: "用户权限",
        Group.permissions.through: "用户组权限",
    }[sender]
    ids = sorted(pk_set or [])
    _on_commit(
        AuditKind.PERMISSION,
        f"{relation}{_M2M_VERBS[action]}：{instance}"[:300],
        obj=instance,
        detail={
            "relation": relation,
            "action": action,
            "model": model._meta.label_lower,
            "ids": ids,
        },
    )


def connect() -> None:
    """Connect every receiver (idempotent: each has a ``dispatch_uid``)."""
    user_logged_in.connect(on_logged_in, dispatch_uid="audit_login")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit_login_failed")
    user_logged_out.connect(on_logged_out, dispatch_uid="audit_logout")
    post_save.connect(on_pii_access, sender=PiiAccessLog, dispatch_uid="audit_pii")
    pre_save.connect(remember_assignment, sender=Assignment, dispatch_uid="audit_asg_pre")
    post_save.connect(on_assignment_saved, sender=Assignment, dispatch_uid="audit_asg_post")
    post_delete.connect(on_assignment_deleted, sender=Assignment, dispatch_uid="audit_asg_del")
    pre_save.connect(remember_user_flags, sender=User, dispatch_uid="audit_user_pre")
    post_save.connect(on_user_saved, sender=User, dispatch_uid="audit_user_post")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(on_m2m_changed, sender=through, dispatch_uid=f"audit_m2m_{through}")
