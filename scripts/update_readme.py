"""Regenerate the generated parts of README.md (the permission matrix, the field limits)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from ejournal.domain.permissions import matrix_markdown
from ejournal.domain.text_rules import limits_markdown

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS: dict[str, Callable[[], str]] = {
    "permission-matrix": matrix_markdown,
    "field-limits": limits_markdown,
}


def render(text: str) -> str:
    for name, make in BLOCKS.items():
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        block = f"{start}\n{make()}\n{end}"
        text = re.sub(
            re.escape(start) + r".*?" + re.escape(end), lambda _m, b=block: b, text, flags=re.S
        )
    return text


if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in sys.argv:
        sys.exit(0 if new == text else 1)
    README.write_text(new, encoding="utf-8")
