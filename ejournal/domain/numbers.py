"""Numbers as the school writes them, and numbers as the browser sends them: one home.

A decimal with a comma and two places («4,50»), as Russian records write averages; and a
browser-sent id or number read leniently (anything else is None, never an exception).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def decimal_text(value: Decimal | float | None, *, empty: str = "—") -> str:
    """4.5 → «4,50»; None → `empty` («—» by default)."""
    return empty if value is None else f"{value:.2f}".replace(".", ",")


def int_or_none(value: Any) -> int | None:
    """A browser-sent id or number as an int, or None when it is not one."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
