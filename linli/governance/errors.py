"""Domain errors of deliberation and voting.

``str(err)`` is the Chinese message shown to the user; views map ``http_status`` to the
response code; ``field`` names the form field when known.
"""

from __future__ import annotations


class GovernanceError(Exception):
    """Bad input or a refused action (HTTP 400)."""

    http_status = 400

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(GovernanceError):
    """The actor may not do this (HTTP 403)."""

    http_status = 403


class IllegalTransition(GovernanceError):
    """The topic, meeting or vote is not in a state that allows the action (HTTP 409)."""

    http_status = 409


class AlreadyVoted(GovernanceError):
    """This household or person has voted already, online or on paper (HTTP 409)."""

    http_status = 409
