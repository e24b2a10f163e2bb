"""Numbers as the school writes them, and numbers as the browser sends them: one home.

A decimal with a comma and two places («4,50»), as Russian records write averages; and a
browser-sent id or number read leniently (anything else is None, never an exception).
"""

from __future__ import annotations

import re
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


_DECIMAL_TEXT = re.compile(r"-?\d{1,6}(?:[.,]\d+)?")


def decimal_or_none(value: Any, *, places: int = 2) -> Decimal | None:
    """«4,5» or «4.5» (Russian or browser style) → Decimal('4.50'); None when it is not a
    plain number with at most `places` digits after the point (no exponents, NaN, ∞)."""
    text = str(value if value is not None else "").strip().replace("\u00a0", "")
    if not _DECIMAL_TEXT.fullmatch(text):
        return None
    number = Decimal(text.replace(",", "."))
    quantum = Decimal(1).scaleb(-places)
    if number != number.quantize(quantum):
        return None
    return number.quantize(quantum)
