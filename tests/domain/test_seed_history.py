"""The demo seed's previous school year: closed periods, period marks, and students whose
abilities carry over, so that forecasts have history to learn from [004 §2.7].

The `small` school (seed 7, today 23.11.2026) has 1 «А», 5 «А» and 10 «А» this year, so
last year (2025/2026) it had 4 «А» and 9 «А»: the same students, one grade lower.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import statistics
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from ejournal.domain.diary.calendar import child_periods
from ejournal.domain.exchange import export_school
from ejournal.domain.journal.read import list_pages
from ejournal.domain.people.auth import load_actor
from ejournal.domain.permissions import Actor
from ejournal.domain.seed import run_seed
from ejournal.domain.seed.history import HistoryBuilder
from ejournal.domain.seed.store import tables
from tests import conftest
from tests.conftest import SEEDED_TODAY, dispose_database, new_database

pytestmark = pytest.mark.db

THIS_YEAR_STARTS = dt.date(2026, 9, 1)
LAST_YEAR_STARTS = dt.date(2025, 9, 1)


def rows(session: Session, sql: str, **params: object) -> list[tuple]:
    return [tuple(r) for r in session.execute(text(sql), params)]


def as_date(value: object) -> dt.date:
    """Raw SQL gives ISO strings for dates on SQLite and dates on PostgreSQL."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _years(session: Session) -> tuple[int, int]:
    """(this year's id, last year's id)."""
    by_flag = {
        bool(cur): yid for yid, cur in rows(session, "SELECT id, is_current FROM academic_year")
    }
    return by_flag[True], by_flag[False]


# --------------------------------------------------------------------------- the calendar


def test_last_year_is_a_second_academic_year_that_is_not_current(seeded_session):
    """Two years: 2026/2027 current, 2025/2026 not, with its own periods and holidays."""
    years = {
        name: (as_date(a), as_date(b), bool(cur))
        for name, a, b, cur in rows(
            seeded_session, "SELECT name, starts_on, ends_on, is_current FROM academic_year"
        )
    }
    assert set(years) == {"2025/2026", "2026/2027"}
    assert years["2026/2027"][2] and not years["2025/2026"][2]
    starts, ends, _ = years["2025/2026"]
    assert starts == LAST_YEAR_STARTS and dt.date(2026, 5, 18) <= ends <= dt.date(2026, 5, 31)
    _, last = _years(seeded_session)
    periods = rows(
        seeded_session,
        "SELECT kind, number, ends_on FROM period WHERE year_id = :y ORDER BY starts_on, kind",
        y=last,
    )
    kinds = sorted((kind, number) for kind, number, _ in periods)
    assert kinds == [("half_year", 1), ("half_year", 2), ("quarter", 1), ("quarter", 2),
                     ("quarter", 3), ("quarter", 4), ("year", 1)]  # fmt: skip
    # Every period of last year closed before this year began.
    assert all(as_date(end) < THIS_YEAR_STARTS for *_, end in periods)
    holidays = rows(seeded_session, "SELECT name FROM holiday WHERE year_id = :y", y=last)
    assert ("Осенние каникулы",) in holidays and ("Зимние каникулы",) in holidays


def test_last_years_classes_are_this_years_one_grade_lower(seeded_session):
    """4 «А» became 5 «А» and 9 «А» became 10 «А» with the same students; this year's 1st
    grade and this year's arrivals were not there last year."""
    now, last = _years(seeded_session)
    moves = rows(
        seeded_session,
        """SELECT before.grade, before.letter, cg.grade, cg.letter, COUNT(*)
           FROM enrolment e JOIN class_group before ON before.id = e.class_id
           JOIN student s ON s.id = e.student_id
           JOIN enrolment e2 ON e2.student_id = s.id
           JOIN class_group cg ON cg.id = e2.class_id AND cg.year_id = :now
           WHERE before.year_id = :last
           GROUP BY before.grade, before.letter, cg.grade, cg.letter""",
        now=now,
        last=last,
    )
    assert sorted((g1, l1, g2, l2) for g1, l1, g2, l2, _ in moves) == [
        (4, "А", 5, "А"),
        (9, "А", 10, "А"),
    ]
    # Everyone of 5 «А» and 10 «А» who started the year here was there last year.
    started = dict(
        rows(
            seeded_session,
            """SELECT cg.grade, COUNT(*) FROM enrolment e JOIN class_group cg ON cg.id = e.class_id
               WHERE cg.year_id = :now AND e.kind = 'start' GROUP BY cg.grade""",
            now=now,
        )
    )
    moved = {g2: n for _, _, g2, _, n in moves}
    assert moved == {5: started[5], 10: started[10]}
    newcomers = rows(
        seeded_session,
        """SELECT COUNT(*) FROM enrolment e JOIN enrolment before ON before.student_id = e.student_id
           JOIN class_group cg ON cg.id = before.class_id
           WHERE e.kind = 'arrived' AND cg.year_id = :last""",
        last=last,
    )
    assert newcomers == [(0,)]


# --------------------------------------------------------------------------- marks


def test_every_closed_period_of_last_year_has_period_marks_for_nearly_every_student(
    seeded_session,
):
    """Each quarter and the year: ≥ 90% of last year's students of those grades have period
    marks, and every student has a year mark in each marked subject that had marks."""
    _, last = _years(seeded_session)
    students_by_grade = defaultdict(set)
    for student_id, grade in rows(
        seeded_session,
        """SELECT e.student_id, cg.grade FROM enrolment e
           JOIN class_group cg ON cg.id = e.class_id WHERE cg.year_id = :y""",
        y=last,
    ):
        students_by_grade[grade].add(student_id)
    assert sorted(students_by_grade) == [4, 9]
    checked = []
    for period_id, kind, g1, g2 in rows(
        seeded_session,
        "SELECT id, kind, grade_from, grade_to FROM period WHERE year_id = :y",
        y=last,
    ):
        expected = set().union(*(s for g, s in students_by_grade.items() if g1 <= g <= g2))
        if not expected:
            continue  # half-years: grades 10–11, none last year in the small school
        marked = {s for (s,) in rows(
            seeded_session, "SELECT DISTINCT student_id FROM period_mark WHERE period_id = :p",
            p=period_id)}  # fmt: skip
        assert marked <= expected
        assert len(marked) >= 0.9 * len(expected), kind
        checked.append(kind)
    assert sorted(checked) == ["quarter"] * 4 + ["year"]
    missing = rows(
        seeded_session,
        """SELECT COUNT(*) FROM (
             SELECT DISTINCT m.student_id, ta.subject_id FROM mark m
             JOIN lesson l ON l.id = m.lesson_id
             JOIN teaching_assignment ta ON ta.id = l.assignment_id WHERE ta.year_id = :y) had
           WHERE NOT EXISTS (SELECT 1 FROM period_mark pm JOIN period p ON p.id = pm.period_id
                 WHERE p.year_id = :y AND p.kind = 'year' AND pm.student_id = had.student_id
                 AND pm.subject_id = had.subject_id)""",
        y=last,
    )
    assert missing == [(0,)]


def test_last_years_lessons_run_the_whole_year_with_marks_and_absences(seeded_session):
    """Last year's lessons go from 1 September to the end of May, every teacher in one
    place at a time; they carry marks (none in grade 1) and some absences."""
    _, last = _years(seeded_session)
    lessons = rows(
        seeded_session,
        """SELECT l.date, l.number, ta.teacher_id FROM lesson l
           JOIN teaching_assignment ta ON ta.id = l.assignment_id WHERE ta.year_id = :y""",
        y=last,
    )
    days = sorted(as_date(d) for d, _, _ in lessons)
    assert days[0] == LAST_YEAR_STARTS and days[-1].month == 5
    at = [(as_date(d), n, t) for d, n, t in lessons]
    assert len(set(at)) == len(at)  # no teacher gives two lessons at once
    counts = rows(
        seeded_session,
        """SELECT (SELECT COUNT(*) FROM mark m JOIN lesson l ON l.id = m.lesson_id
                   JOIN teaching_assignment ta ON ta.id = l.assignment_id WHERE ta.year_id = :y),
                  (SELECT COUNT(*) FROM attendance a JOIN lesson l ON l.id = a.lesson_id
                   JOIN teaching_assignment ta ON ta.id = l.assignment_id WHERE ta.year_id = :y)""",
        y=last,
    )[0]
    marks, absences = counts
    assert marks > 20 * len(lessons) / 10 and absences > 0


def _standing(values: dict[tuple[int, str], float]) -> dict[int, float]:
    """Each student's mean distance from the mean of each subject: how good a student is
    beside the others, with the subjects' own difficulty taken out."""
    by_subject: dict[str, list[float]] = defaultdict(list)
    for (_, subject), value in values.items():
        by_subject[subject].append(value)
    mean = {subject: statistics.fmean(v) for subject, v in by_subject.items()}
    per_student: dict[int, list[float]] = defaultdict(list)
    for (student, subject), value in values.items():
        per_student[student].append(value - mean[subject])
    return {student: statistics.fmean(v) for student, v in per_student.items()}


def test_last_years_marks_predict_this_years_for_the_same_student(seeded_session):
    """Abilities persist: a student's standing by last year's year marks and by this
    year's marks go together (correlation ≥ 0.6 over the students of both years), and the
    better half of last year averages higher this year than the other half."""
    now, last = _years(seeded_session)
    year_marks = {
        (student, subject_name): float(value)
        for student, subject_name, value in rows(
            seeded_session,
            """SELECT pm.student_id, s.name, pm.value FROM period_mark pm
               JOIN period p ON p.id = pm.period_id JOIN subject s ON s.id = pm.subject_id
               WHERE p.year_id = :y AND p.kind = 'year'""",
            y=last,
        )
    }
    this_year: dict[tuple[int, str], list[int]] = defaultdict(list)
    for student, subject_name, value in rows(
        seeded_session,
        """SELECT m.student_id, s.name, m.value FROM mark m JOIN lesson l ON l.id = m.lesson_id
           JOIN teaching_assignment ta ON ta.id = l.assignment_id
           JOIN subject s ON s.id = ta.subject_id WHERE ta.year_id = :y""",
        y=now,
    ):
        this_year[(student, subject_name)].append(value)
    before = _standing(year_marks)
    after = _standing({k: statistics.fmean(v) for k, v in this_year.items()})
    both = sorted(set(before) & set(after), key=lambda s: before[s])
    assert len(both) >= 20
    assert statistics.correlation([before[s] for s in both], [after[s] for s in both]) >= 0.6
    half = len(both) // 2
    weaker, stronger = both[:half], both[-half:]
    assert (
        statistics.fmean(after[s] for s in stronger)
        > statistics.fmean(after[s] for s in weaker) + 0.3
    )


def test_every_student_of_last_year_has_a_summary_sheet_decision(seeded_session):
    """One decision per student of last year, after its end: grade 9 graduated; others
    promoted, conditionally when a year mark was «2»."""
    _, last = _years(seeded_session)
    decisions = rows(
        seeded_session,
        """SELECT yo.decided_on, yo.decision, cg.grade,
                  (SELECT COUNT(*) FROM period_mark pm JOIN period p ON p.id = pm.period_id
                   WHERE pm.student_id = yo.student_id AND p.year_id = :y AND p.kind = 'year'
                   AND pm.value = 2)
           FROM year_outcome yo JOIN enrolment e ON e.student_id = yo.student_id
           JOIN class_group cg ON cg.id = e.class_id AND cg.year_id = yo.year_id
           WHERE yo.year_id = :y""",
        y=last,
    )
    enrolled = rows(
        seeded_session,
        """SELECT COUNT(*) FROM enrolment e JOIN class_group cg ON cg.id = e.class_id
           WHERE cg.year_id = :y""",
        y=last,
    )[0][0]
    assert len(decisions) == enrolled > 0
    for decided_on, decision, grade, twos in decisions:
        assert dt.date(2026, 5, 18) <= as_date(decided_on) < THIS_YEAR_STARTS
        if grade == 9:
            assert decision == "graduated"
        else:
            assert decision == ("promoted_conditionally" if twos else "promoted")
    assert rows(
        seeded_session, "SELECT COUNT(*) FROM year_outcome WHERE year_id <> :y", y=last
    ) == [(0,)]


# --------------------------------------------------------------------------- nothing shifts


def _seed_small(
    tmp: Path, *, history: bool, monkeypatch: pytest.MonkeyPatch
) -> conftest.TestDatabase:
    from ejournal.domain import migrate

    db = new_database("sqlite", tmp)
    migrate.upgrade(db.engine)
    with monkeypatch.context() as patch:
        if not history:
            patch.setattr(HistoryBuilder, "build", lambda self: None)
        with contextlib.redirect_stdout(io.StringIO()):
            run_seed(db.engine, size="small", seed=5, today=SEEDED_TODAY, credentials_path=None)
    return db


def _dump(db: conftest.TestDatabase) -> dict[str, set[tuple]]:
    dump: dict[str, set[tuple]] = {}
    with Session(db.engine) as session:
        for table in tables():
            if table.name == "audit_log":  # written at the real time of seeding
                continue
            columns = [c for c in table.columns if c.name != "password_hash"]
            dump[table.name] = {tuple(r) for r in session.execute(select(*columns))}
    return dump


def test_adding_last_year_leaves_this_years_rows_exactly_as_they_were(tmp_path, monkeypatch):
    """Seeding with and without last year: every row of the seed without it (ids and all)
    is in the seed with it, which adds last year's lessons, marks and period marks."""
    plain = _seed_small(tmp_path, history=False, monkeypatch=monkeypatch)
    full = _seed_small(tmp_path, history=True, monkeypatch=monkeypatch)
    try:
        before, after = _dump(plain), _dump(full)
        for name, got in before.items():
            assert got <= after[name], f"table {name} changed"
        for name in ("academic_year", "lesson", "mark", "period_mark", "year_outcome"):
            assert len(after[name]) > len(before[name]), name
    finally:
        dispose_database(plain)
        dispose_database(full)


# --------------------------------------------------------------------------- pages and exports


def _actor(session: Session, login: str) -> Actor:
    """The demo login's actor, as after it changed its one-time password."""
    user_id = rows(session, "SELECT id FROM app_user WHERE login = :l", l=login)[0][0]
    return dataclasses.replace(load_actor(session, user_id), must_change_password=False)


def test_the_journal_picker_and_the_diary_show_only_this_year(seeded_session):
    """The deputy's journal picker lists this year's assignments × terms only, and the
    demo student's diary offers this year's periods only."""
    now, _ = _years(seeded_session)
    deputy = _actor(seeded_session, "deputy")
    pages = list_pages(seeded_session, actor=deputy)
    this_year = {a for (a,) in rows(
        seeded_session, "SELECT id FROM teaching_assignment WHERE year_id = :y", y=now)}  # fmt: skip
    assert pages and {p.assignment_id for p in pages} == this_year
    assert all(p.starts_on >= THIS_YEAR_STARTS for p in pages)
    student = _actor(seeded_session, "student")
    assert student.student_id is not None
    periods = child_periods(
        seeded_session, actor=student, student_id=student.student_id, today=SEEDED_TODAY
    )
    assert periods and all(p.starts_on >= THIS_YEAR_STARTS for p in periods)


def test_the_exchange_export_carries_last_year_too(seeded_session, tmp_path):
    """The standard export holds both years: two academic years, last year's classes,
    lessons and period marks."""
    export_school(seeded_session, out_dir=tmp_path / "out")

    def read(name: str) -> list[dict[str, str]]:
        with (tmp_path / "out" / name).open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    assert sorted(r["name"] for r in read("academic_years.csv")) == ["2025/2026", "2026/2027"]
    lessons = read("lessons.csv")
    assert any(r["date"] < "2026-06-01" for r in lessons)
    assert any(r["date"] >= "2026-09-01" for r in lessons)
    last_year_marks = rows(
        seeded_session,
        """SELECT COUNT(*) FROM period_mark pm JOIN period p ON p.id = pm.period_id
           JOIN academic_year y ON y.id = p.year_id WHERE NOT y.is_current""",
    )[0][0]
    exported = [r for r in read("period_marks.csv") if r["year"] == "2025/2026"]
    assert len(exported) == last_year_marks > 0
