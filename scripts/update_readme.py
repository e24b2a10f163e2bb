"""Regenerate the generated parts of README.md (the permission matrix) from the code."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ejournal.domain.permissions import matrix_markdown

README = Path(__file__).resolve().parent.parent / "README.md"
START = "<!-- permission-matrix:start -->"
END = "<!-- permission-matrix:end -->"


def render(text: str) -> str:
    block = f"{START}\n{matrix_markdown()}\n{END}"
    return re.sub(re.escape(START) + r".*?" + re.escape(END), block, text, flags=re.S)


if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in sys.argv:
        sys.exit(0 if new == text else 1)
    README.write_text(new, encoding="utf-8")
