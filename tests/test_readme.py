"""The README stays true to the code."""

from __future__ import annotations

from pathlib import Path

from ejournal.domain.text_rules import limits_markdown
from scripts.update_readme import README, render


def test_readme_permission_matrix_is_generated_from_the_code():
    """The matrix in the README equals the one permissions.matrix_markdown() renders."""
    text = README.read_text(encoding="utf-8")
    assert render(text) == text, "run: python scripts/update_readme.py"


def test_readme_gives_the_two_commands_and_ci_calls_the_test_one():
    """The README's two commands are make run and make test, and .ci/run calls make test."""
    text = README.read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


def test_readme_field_limits_are_generated_from_the_code():
    """The README holds the field-limits table exactly as text_rules.limits_markdown() renders it."""
    text = README.read_text(encoding="utf-8")
    assert f"<!-- field-limits:start -->\n{limits_markdown()}\n<!-- field-limits:end -->" in text
