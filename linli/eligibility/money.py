"""Fen (分) as text; money is never a float in Linli."""

from __future__ import annotations


def yuan(fen: int) -> str:
    """``800`` → ``"8.00 元"``; ``-50`` → ``"-0.50 元"``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d} 元"
