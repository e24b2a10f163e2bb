"""How people and classes are named on screen and on paper: the one home of that rule.

Full names as records keep them («Иванова Мария Петровна»), short names with spaced
initials as Russian typography writes them («Иванова М. П.»), classes as «5 «А»».
"""

from __future__ import annotations

from typing import Protocol


class Named(Protocol):
    """Anything with a person's name parts (Staff, Parent, Student)."""

    last_name: str
    first_name: str
    middle_name: str


class Grouped(Protocol):
    """Anything with a class's grade and letter (ClassGroup)."""

    grade: int
    letter: str


def full_name(last: str, first: str, middle: str = "") -> str:
    """«Иванова Мария Петровна» (missing parts left out)."""
    return " ".join(p for p in (last, first, middle) if p)


def short_name(last: str, first: str, middle: str = "") -> str:
    """«Иванова М. П.»: the surname and spaced initials."""
    initials = " ".join(f"{p[0]}." for p in (first, middle) if p)
    return f"{last} {initials}".strip()


def person_full(person: Named | None) -> str:
    """A person's full name ('' for nobody)."""
    return (
        "" if person is None else full_name(person.last_name, person.first_name, person.middle_name)
    )


def person_short(person: Named | None) -> str:
    """A person's short name, «Иванова М. П.» ('' for nobody)."""
    if person is None:
        return ""
    return short_name(person.last_name, person.first_name, person.middle_name)


def class_name(grade: int, letter: str) -> str:
    """«5 «А»»."""
    return f"{grade} «{letter}»"


def group_name(group: Grouped) -> str:
    """A class group's name, «5 «А»»."""
    return class_name(group.grade, group.letter)
