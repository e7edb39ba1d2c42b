"""Domain errors of the social enterprise (company record, canteen, market, accounts).

``str(err)`` is the Chinese message shown to the user; views map ``http_status`` to the
response code; ``field`` names the form field when known.
"""

from __future__ import annotations


class EconomyError(Exception):
    """Bad input or a refused action (HTTP 400)."""

    http_status = 400

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(EconomyError):
    """The actor may not do this (HTTP 403)."""

    http_status = 403


class Conflict(EconomyError):
    """The record is not in a state that allows the action (HTTP 409): a year already
    closed, a meal already sold to this diner, a claim already made."""

    http_status = 409
