"""Grading rules: weighted average, suggested period mark, unattested rule, cell parsing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ejournal.domain.errors import ValidationError
from ejournal.domain.grading import (
    CellValue,
    may_leave_unattested,
    parse_cell,
    suggested_period_mark,
    weighted_average,
)

D = Decimal
THRESHOLDS = {"round_to_5": D("4.50"), "round_to_4": D("3.50"), "round_to_3": D("2.50")}

# --------------------------------------------------------------------------- weighted_average


def test_average_of_no_marks_is_none() -> None:
    """With no marks there is no average, not a zero."""
    assert weighted_average([]) is None


def test_average_weighs_each_mark() -> None:
    """A control work of weight 2 counts twice as much as an oral answer of weight 1."""
    assert weighted_average([(5, D("2")), (2, D("1"))]) == D("4.00")


def test_average_rounds_half_up_to_hundredths() -> None:
    """4 + 5 + 5 over three gives 4.666… which is shown as 4.67."""
    assert weighted_average([(4, D(1)), (5, D(1)), (5, D(1))]) == D("4.67")


def test_average_rounds_exact_half_up() -> None:
    """An average ending in exactly 5 thousandths rounds up, never to even."""
    # (3·1 + 4·0.6) / 1.6 = 3.375
    assert weighted_average([(3, D("1")), (4, D("0.6"))]) == D("3.38")


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=5),
            st.decimals(min_value=D("0.1"), max_value=D("5"), places=2),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_average_stays_between_lowest_and_highest_mark(marks: list[tuple[int, Decimal]]) -> None:
    """A weighted average never leaves the range of the marks it is made of."""
    avg = weighted_average(marks)
    assert avg is not None
    assert min(v for v, _ in marks) <= avg <= max(v for v, _ in marks)


# --------------------------------------------------------------------------- suggested mark


@pytest.mark.parametrize(
    ("avg", "expected"),
    [
        ("5.00", 5),
        ("4.50", 5),
        ("4.49", 4),
        ("3.50", 4),
        ("3.49", 3),
        ("2.50", 3),
        ("2.49", 2),
        ("1.00", 2),
    ],
)
def test_suggested_mark_follows_thresholds(avg: str, expected: int) -> None:
    """An average at or above a threshold suggests that mark; below the lowest, a 2."""
    assert suggested_period_mark(D(avg), **THRESHOLDS) == expected


def test_suggested_mark_uses_school_thresholds() -> None:
    """A stricter school (4.60 for a 5) suggests 4 for an average of 4.55."""
    strict = {**THRESHOLDS, "round_to_5": D("4.60")}
    assert suggested_period_mark(D("4.55"), **strict) == 4


def test_no_average_suggests_nothing() -> None:
    """Without marks no period mark is suggested."""
    assert suggested_period_mark(None, **THRESHOLDS) is None


# --------------------------------------------------------------------------- unattested


def test_unattested_allowed_when_over_75_percent_missed_and_no_marks() -> None:
    """31 of 40 lessons missed without a valid reason and no marks: may be unattested."""
    assert may_leave_unattested(lessons_total=40, missed_without_reason=31, marks_count=0)


def test_unattested_refused_at_exactly_75_percent() -> None:
    """Exactly 75% is not "more than 75%" [004 §5.14]."""
    assert not may_leave_unattested(lessons_total=40, missed_without_reason=30, marks_count=0)


def test_unattested_refused_when_there_is_a_mark() -> None:
    """A single mark means the student can be attested."""
    assert not may_leave_unattested(lessons_total=40, missed_without_reason=40, marks_count=1)


def test_unattested_refused_without_lessons() -> None:
    """With no lessons held there is nothing to miss."""
    assert not may_leave_unattested(lessons_total=0, missed_without_reason=0, marks_count=0)


# --------------------------------------------------------------------------- parse_cell


@pytest.mark.parametrize("text", ["1", "2", "3", "4", "5", " 5 "])
def test_single_mark_is_read(text: str) -> None:
    """A digit 1–5 is one mark."""
    assert parse_cell(text, allow_two=False) == CellValue(marks=(int(text.strip()),))


@pytest.mark.parametrize("text", ["н", "Н", "n", "N"])
def test_absent_letter_is_read(text: str) -> None:
    """Cyrillic н (either case) and a Latin n typed in the wrong layout mean absent."""
    assert parse_cell(text, allow_two=False) == CellValue(absent=True)


def test_empty_text_clears_the_cell() -> None:
    """An empty cell (Delete) means nothing: no mark, not absent."""
    assert parse_cell("", allow_two=False).is_empty


def test_two_marks_where_allowed() -> None:
    """ "54" is two marks, in order, where two marks are allowed."""
    assert parse_cell("54", allow_two=True) == CellValue(marks=(5, 4))


def test_two_marks_refused_where_not_allowed() -> None:
    """ "54" in a cell that allows one mark is refused with the rule's message."""
    with pytest.raises(ValidationError, match="Две отметки"):
        parse_cell("54", allow_two=False)


@pytest.mark.parametrize("text", ["н5", "5н", "Н4"])
def test_absent_and_mark_never_share_a_cell(text: str) -> None:
    """ "н" together with a mark is refused."""
    with pytest.raises(ValidationError, match="«н» и отметка"):
        parse_cell(text, allow_two=True)


@pytest.mark.parametrize("text", ["0", "6", "5+", "4-", ".", "x", "543", "нн", "5.", "б"])
def test_anything_else_is_refused(text: str) -> None:
    """Only 1–5 and н may be written: no dots, pluses, minuses or other letters [004 §5.4]."""
    with pytest.raises(ValidationError, match="Допустимы только отметки 1–5 и «н»"):
        parse_cell(text, allow_two=True)


def test_cell_text_round_trips() -> None:
    """A parsed cell prints back as the journal shows it."""
    for text in ["5", "54", "н", ""]:
        assert parse_cell(text, allow_two=True).text() == text
