"""Domain errors of the case module, mapped to HTTP by views and the API."""

from __future__ import annotations


class CaseError(Exception):
    """Base class; ``str(err)`` is a message in Chinese for the user."""

    http_status = 400


class IllegalTransition(CaseError):
    """The case is not in a state that allows the action (HTTP 409 Conflict)."""

    http_status = 409


class CaseInputError(CaseError):
    """Bad input for a case (HTTP 400); ``field`` names the offending field if known."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(CaseError):
    """The actor may not do this to this case (HTTP 403)."""

    http_status = 403
