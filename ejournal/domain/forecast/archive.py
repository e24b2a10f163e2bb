"""A school's own archive from outside the database: `ejournal forecast evaluate`.

`MARKS.csv` — `student,subject,period,date,mark,weight` (mark 1–5, date ISO, weight > 0);
`OUTCOMES.csv` — `student,subject,period,period_mark` (2–5). The rows become the same
`Case`s the app builds from its database, and the same feature and model code runs on them:
for each period in turn (leave one period out) the model is trained on the others and
predicts from the marks of the first `known_share` of that period's dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ejournal.domain.errors import ValidationError
from ejournal.domain.forecast.backtest import (
    AVERAGE,
    LAST_PERIOD,
    MODEL,
    Metrics,
    Outcome,
    metrics,
    predict_cases,
)
from ejournal.domain.forecast.features import Case, MarkPoint, PeriodOutcome, Rounding
from ejournal.domain.forecast.model import feature_rows, fit_model

MARK_COLUMNS = ("student", "subject", "period", "date", "mark", "weight")
OUTCOME_COLUMNS = ("student", "subject", "period", "period_mark")

#: The JSON keys of `evaluate_archive`'s methods.
JSON_KEYS = {MODEL: "model", AVERAGE: "average_baseline", LAST_PERIOD: "last_period_baseline"}


@dataclass(frozen=True)
class MarkRow:
    student: str
    subject: str
    period: str
    day: dt.date
    value: int
    weight: float


@dataclass(frozen=True)
class OutcomeRow:
    student: str
    subject: str
    period: str
    value: int


def _rows(text: str, columns: Sequence[str], name: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV text with the named columns (Russian errors)."""
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise ValidationError(f"{name}: файл пуст — нужна строка заголовка: {','.join(columns)}.")
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValidationError(
            f"{name}: нет столбцов {', '.join(missing)} (нужны: {','.join(columns)})."
        )
    reader.fieldnames = header
    out: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        if not any((v or "").strip() for k, v in row.items() if isinstance(v, str)):
            continue
        out.append((reader.line_num, {c: (row.get(c) or "").strip() for c in columns}))
    if not out:
        raise ValidationError(f"{name}: в файле нет ни одной строки данных.")
    return out


def _text_field(row: dict[str, str], column: str, name: str, line: int) -> str:
    value = row[column]
    if not value:
        raise ValidationError(f"{name}, строка {line}: пустое поле «{column}».")
    return value


def _int_in(value: str, low: int, high: int, what: str, name: str, line: int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise ValidationError(
            f"{name}, строка {line}: {what} должна быть целым числом от {low} до {high}, "
            f"а не «{value}»."
        )
    return number


def parse_marks(text: str, name: str = "MARKS.csv") -> list[MarkRow]:
    """The current marks of an archive; ValidationError (with the line) on a bad row."""
    out: list[MarkRow] = []
    for line, row in _rows(text, MARK_COLUMNS, name):
        student = _text_field(row, "student", name, line)
        subject = _text_field(row, "subject", name, line)
        period = _text_field(row, "period", name, line)
        try:
            day = dt.date.fromisoformat(row["date"])
        except ValueError:
            raise ValidationError(
                f"{name}, строка {line}: дата должна быть в виде ГГГГ-ММ-ДД, а не «{row['date']}»."
            ) from None
        value = _int_in(row["mark"], 1, 5, "отметка", name, line)
        raw_weight = row["weight"] or "1"
        try:
            weight = float(raw_weight.replace(",", "."))
        except ValueError:
            weight = math.nan
        if not math.isfinite(weight) or weight <= 0:
            raise ValidationError(
                f"{name}, строка {line}: вес должен быть положительным числом, а не «{raw_weight}»."
            )
        out.append(MarkRow(student, subject, period, day, value, weight))
    return out


def parse_outcomes(text: str, name: str = "OUTCOMES.csv") -> list[OutcomeRow]:
    """The period marks of an archive; ValidationError (with the line) on a bad row."""
    out: list[OutcomeRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, row in _rows(text, OUTCOME_COLUMNS, name):
        key = (
            _text_field(row, "student", name, line),
            _text_field(row, "subject", name, line),
            _text_field(row, "period", name, line),
        )
        value = _int_in(row["period_mark"], 2, 5, "итоговая отметка", name, line)
        if key in seen:
            raise ValidationError(
                f"{name}, строка {line}: итоговая отметка этого ученика по этому предмету за этот "
                f"период уже есть в строке {seen[key]}."
            )
        seen[key] = line
        out.append(OutcomeRow(*key, value))
    return out


def archive_cases(marks: Iterable[MarkRow], outcomes: Iterable[OutcomeRow]) -> list[Case]:
    """The archive as cases: a period's days run from its first to its last mark's date
    (any subject); its periods are ordered by those days; the group compared is the subject's
    students of the period."""
    marks = list(marks)
    outcomes = list(outcomes)
    days: dict[str, list[dt.date]] = defaultdict(list)
    for m in marks:
        days[m.period].append(m.day)
    span = {p: (min(d), max(d)) for p, d in days.items()}
    by_case: dict[tuple[str, str, str], list[MarkPoint]] = defaultdict(list)
    for m in marks:
        by_case[(m.student, m.subject, m.period)].append(MarkPoint(m.day, m.value, m.weight))
    result = {(o.student, o.subject, o.period): o.value for o in outcomes}
    history: dict[str, list[PeriodOutcome]] = defaultdict(list)
    for o in outcomes:
        if o.period in span:
            history[o.student].append(
                PeriodOutcome(o.period, o.subject, span[o.period][1], o.value)
            )
    cases: list[Case] = []
    for key in sorted(set(by_case) | set(result)):
        student, subject, period = key
        if period not in span:
            continue  # a period mark of a period without a single mark: nothing to learn from
        first, last = span[period]
        cases.append(
            Case(
                student=student,
                subject=subject,
                period=period,
                group=(subject, period),
                starts_on=first,
                ends_on=last,
                marks=tuple(sorted(by_case.get(key, []), key=lambda m: m.day)),
                history=tuple(history[student]),
                outcome=result.get(key),
            )
        )
    return cases


def share_cutoffs(cases: Sequence[Case], known_share: float) -> dict[Hashable, dt.date]:
    """period → the last day of the first `known_share` of the period's mark dates."""
    days: dict[Hashable, set[dt.date]] = defaultdict(set)
    for c in cases:
        days[c.period].update(m.day for m in c.marks)
    out: dict[Hashable, dt.date] = {}
    for period, ds in days.items():
        ordered = sorted(ds)
        k = max(1, math.ceil(known_share * len(ordered) - 1e-9))
        out[period] = ordered[min(k, len(ordered)) - 1]
    for c in cases:
        out.setdefault(c.period, c.starts_on)
    return out


def evaluate_cases(
    cases: Sequence[Case], *, known_share: float, rounding: Rounding | None = None
) -> dict[str, Metrics]:
    """Leave one period out; method → metrics over every predicted period mark."""
    if not 0 < known_share <= 1:
        raise ValidationError(
            "Доля известных дат (--known-share) должна быть больше 0 и не больше 1."
        )
    rounding = rounding or Rounding()
    cutoffs = share_cutoffs(cases, known_share)
    by_period: dict[Hashable, list[Case]] = defaultdict(list)
    for c in cases:
        by_period[c.period].append(c)
    outcomes: list[Outcome] = []
    for period, group in by_period.items():
        test = [c for c in group if c.outcome is not None]
        if not test:
            continue
        hidden = frozenset({period})
        train_cases = [c for c in cases if c.period != period and c.outcome is not None]
        x = feature_rows(train_cases, cutoffs, rounding, hidden=hidden)
        model = fit_model(x, [int(c.outcome or 0) for c in train_cases])
        predictions = predict_cases(
            model, test, cutoffs, rounding, hidden=hidden, group_cases=group
        )
        for method, pairs in predictions.items():
            for c, (p, mark) in zip(test, pairs, strict=True):
                outcomes.append(
                    Outcome(c.student, c.subject, c.period, 0, method, p, mark, int(c.outcome or 0))
                )
    return {
        m: metrics([o for o in outcomes if o.method == m]) for m in (MODEL, AVERAGE, LAST_PERIOD)
    }


def _number(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def evaluate_archive(
    marks_text: str, outcomes_text: str, *, known_share: float = 0.5
) -> dict[str, Any]:
    """The JSON document of `ejournal forecast evaluate` for two CSV texts."""
    marks = parse_marks(marks_text)
    outcomes = parse_outcomes(outcomes_text)
    cases = archive_cases(marks, outcomes)
    if not any(c.outcome is not None for c in cases):
        raise ValidationError(
            "Ни одна итоговая отметка из OUTCOMES.csv не относится к периоду с отметками из "
            "MARKS.csv: проверьте названия периодов."
        )
    periods = {c.period for c in cases if c.outcome is not None}
    result = evaluate_cases(cases, known_share=known_share)
    doc: dict[str, Any] = {"known_share": known_share, "periods": len(periods)}
    for method, key in JSON_KEYS.items():
        m = result[method]
        doc[key] = {
            "n": m.n,
            "exact": _number(m.exact),
            "mae": _number(m.mae),
            "recall_2": _number(m.recall_2),
            "brier": _number(m.brier),
        }
    return doc


def read_text(path: Path) -> str:
    """A CSV file as text (UTF-8, with or without BOM; cp1251 as spreadsheets save it)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")


__all__ = [
    "MARK_COLUMNS",
    "OUTCOME_COLUMNS",
    "MarkRow",
    "OutcomeRow",
    "archive_cases",
    "evaluate_archive",
    "evaluate_cases",
    "parse_marks",
    "parse_outcomes",
    "read_text",
    "share_cutoffs",
]
