"""Domain errors of the engagement module (needs, menu, councils, policies).

``str(err)`` is the Chinese message shown to the user; views map ``http_status`` to the
response code. The policies code imports these names too: keep them stable.
"""

from __future__ import annotations


class EngagementError(Exception):
    """Bad input or a refused action (HTTP 400); ``field`` names the form field if known."""

    http_status = 400

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class IllegalTransition(EngagementError):
    """The row is not in a state that allows the action (HTTP 409 Conflict)."""

    http_status = 409


class NotAllowed(EngagementError):
    """The actor may not do this to this row (HTTP 403)."""

    http_status = 403
