"""Domain errors of parking sharing and venue booking.

``str(err)`` is the Chinese message shown to the user; views and the API map
``http_status`` to the response code; ``field`` names the form field when known.
"""

from __future__ import annotations


class SharingError(Exception):
    """Bad input or a refused action (HTTP 400)."""

    http_status = 400

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(SharingError):
    """The actor may not do this (HTTP 403)."""

    http_status = 403


class IllegalTransition(SharingError):
    """The booking is not in a state that allows the action (HTTP 409)."""

    http_status = 409


class Clash(SharingError):
    """The time is already taken on this space or venue (HTTP 409)."""

    http_status = 409
