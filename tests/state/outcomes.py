"""Reading what a handler answered: a redirect, a toast, or nothing."""

from __future__ import annotations

import json
import re
from typing import Any


def _specs(result: Any) -> list[Any]:
    if result is None:
        return []
    if isinstance(result, (list, tuple)):
        return [s for item in result for s in _specs(item)]
    return [result]


def redirect_target(result: Any) -> str | None:
    """The path a handler's answer redirects to, or None."""
    for spec in _specs(result):
        handler = getattr(spec, "handler", None)
        if handler is not None and handler.fn.__qualname__ == "_redirect":
            return str(dict((k._js_expr, v) for k, v in spec.args)["path"]._var_value)
    return None


def toast_text(result: Any) -> str:
    """The messages of the toasts in a handler's answer ("" when none)."""
    scripts = [str(s.args[0][1]) for s in _specs(result) if "__toast" in str(s.args[:1])]
    # The message is a JSON string literal inside the script (\\uXXXX escapes), maybe
    # followed by the toast's options.
    return " ".join(
        json.loads(f'"{m}"') for s in scripts for m in re.findall(r'\("((?:[^"\\]|\\.)*)"[,)]', s)
    )
