"""Grading rules: pure functions over plain values (no database).

Averages use `Decimal` with an explicit rounding rule (ROUND_HALF_UP to hundredths), so
the same marks give the same average on every machine and in every report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ejournal.domain.errors import ValidationError

HUNDREDTH = Decimal("0.01")

#: Letters accepted for "absent": Cyrillic н and the Latin n typed with the wrong layout.
ABSENT_LETTERS = frozenset({"н", "Н", "n", "N"})

MSG_ONLY_MARKS = "Допустимы только отметки 1–5 и «н»"
MSG_ABSENT_AND_MARK = "«н» и отметка не могут стоять в одной клетке"
MSG_TWO_MARKS = (
    "Две отметки в клетке допустимы только для письменных работ по русскому языку и литературе"
)


def weighted_average(marks: Iterable[tuple[int, Decimal]]) -> Decimal | None:
    """Σ value·weight / Σ weight rounded half-up to 0.01; None when there are no marks."""
    total = Decimal(0)
    weights = Decimal(0)
    for value, weight in marks:
        total += Decimal(value) * weight
        weights += weight
    if weights == 0:
        return None
    return (total / weights).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Thresholds:
    """The school's rounding of a weighted average into a period mark (its settings)."""

    round_to_5: Decimal
    round_to_4: Decimal
    round_to_3: Decimal

    @classmethod
    def of(cls, school: Any) -> Thresholds:
        """The thresholds a school has set (`School.round_to_5/4/3`)."""
        return cls(
            Decimal(school.round_to_5), Decimal(school.round_to_4), Decimal(school.round_to_3)
        )

    def mark(self, avg: Decimal | None) -> int | None:
        """The period mark `avg` points to (see `suggested_period_mark`)."""
        return suggested_period_mark(
            avg, round_to_5=self.round_to_5, round_to_4=self.round_to_4, round_to_3=self.round_to_3
        )

    def threshold(self, target: int) -> Decimal:
        """The lowest average that gives `target` (0 for a 2)."""
        return {5: self.round_to_5, 4: self.round_to_4, 3: self.round_to_3}.get(target, Decimal(0))


def suggested_period_mark(
    avg: Decimal | None, *, round_to_5: Decimal, round_to_4: Decimal, round_to_3: Decimal
) -> int | None:
    """The period mark the average points to: at or above a threshold gives that mark, else 2.

    None when there is no average (no marks): the teacher decides, the rule cannot.
    """
    if avg is None:
        return None
    if avg >= round_to_5:
        return 5
    if avg >= round_to_4:
        return 4
    if avg >= round_to_3:
        return 3
    return 2


def may_leave_unattested(
    *, lessons_total: int, missed_without_reason: int, marks_count: int
) -> bool:
    """True when a student may be left unattested [004 §5.14].

    Only when more than 75% of the lessons were missed without a valid reason and the
    student has no marks at all.
    """
    if lessons_total <= 0 or marks_count > 0:
        return False
    # 4·missed > 3·total is "missed / total > 75%" without rounding.
    return 4 * missed_without_reason > 3 * lessons_total


@dataclass(frozen=True)
class CellValue:
    """What a typed cell means: up to two marks, or absent, or nothing (clear)."""

    marks: tuple[int, ...] = ()
    absent: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.marks and not self.absent

    def text(self) -> str:
        """The cell as the journal shows it: "5", "54", "н" or ""."""
        return "н" if self.absent else "".join(str(m) for m in self.marks)


def parse_cell(text: str, *, allow_two: bool) -> CellValue:
    """Read a cell as typed: "5", "54" (where allowed), "н", "" (clear) [004 §5.4, §5.5].

    Raises ValidationError with a Russian message for anything else.
    """
    raw = "".join(text.split())  # spaces typed between or around marks mean nothing
    if raw == "":
        return CellValue()
    has_absent = any(ch in ABSENT_LETTERS for ch in raw)
    digits = [ch for ch in raw if ch not in ABSENT_LETTERS]
    if any(ch not in "12345" for ch in digits):
        raise ValidationError(MSG_ONLY_MARKS)
    if has_absent:
        if digits:
            raise ValidationError(MSG_ABSENT_AND_MARK)
        if len(raw) > 1:
            raise ValidationError(MSG_ONLY_MARKS)
        return CellValue(absent=True)
    if len(digits) > 2:
        raise ValidationError(MSG_ONLY_MARKS)
    if len(digits) == 2 and not allow_two:
        raise ValidationError(MSG_TWO_MARKS)
    return CellValue(marks=tuple(int(d) for d in digits))
