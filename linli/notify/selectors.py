"""Reads of the notification module, always limited to the acting user's own rows."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import QuerySet

from linli.notify.models import Notification


def inbox_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Notification]:
    """The user's notifications, newest first (none for an anonymous visitor)."""
    if not isinstance(user, User):
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user: AbstractBaseUser | AnonymousUser) -> int:
    """How many of the user's notifications are unread (0 for an anonymous visitor)."""
    return inbox_for(user).filter(read_at__isnull=True).count()
