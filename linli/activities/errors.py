"""Domain errors of activities; ``str(err)`` is the Chinese message shown to the user."""

from __future__ import annotations


class ActivityError(Exception):
    """Bad input or a refused action (HTTP 400); ``field`` names the form field if known."""

    http_status = 400

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class ActivityConflict(ActivityError):
    """The activity or registration is not in a state that allows this (HTTP 409)."""

    http_status = 409
