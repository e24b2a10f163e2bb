"""Before/after of an audit row computed from the model, instead of each service building
its own dicts: `snapshot` for a row created or removed, `changes` for a row edited.

Values come out JSON-safe and stable: dates and times as ISO text, decimals as text
(«4.50» stays «4.50»), enums as their value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any


def plain(value: Any) -> Any:
    """`value` as the audit row stores it (JSON-safe, compared as stored)."""
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def _read(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, Mapping) else getattr(obj, name)


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of a model row (or a mapping), JSON-safe: the `after` of a row
    created, the `before` of a row removed."""
    return {name: plain(_read(obj, name)) for name in fields}


def changes(
    before_obj: Any, after_values: Mapping[str, Any], fields: Iterable[str] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`(before, after)` of an edit: for each field (default: every key of `after_values`)
    whose new value differs from `before_obj`'s, the old and the new value, JSON-safe.

    Call it before assigning the new values. Both dicts are empty when nothing changes,
    so `if not after:` tells a service there is nothing to write or audit.
    """
    names = list(after_values) if fields is None else list(fields)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in names:
        old, new = _read(before_obj, name), after_values[name]
        # Equal as values (4.5 == 4.50) or as stored (a date and its ISO text): unchanged.
        if old == new or plain(old) == plain(new):
            continue
        before[name], after[name] = plain(old), plain(new)
    return before, after
