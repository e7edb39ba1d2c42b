"""Errors of resident log-in, with messages fit to show a resident (Chinese)."""

from __future__ import annotations


class AccountsError(Exception):
    """Bad input or a refused step; ``str(error)`` is the message for the resident."""


class RateLimited(AccountsError):
    """Too many code requests for this number or address; try again later."""


class CodeRejected(AccountsError):
    """The code is wrong, expired, used or void."""
