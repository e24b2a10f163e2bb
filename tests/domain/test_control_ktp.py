"""The КТП against the journal: the report's plan/fact/projection per class × subject and
the checklist's rules «ktp_hours» and «ktp_control», counted by hand on a tiny school."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from ejournal.domain.control.checklist import run_checklist
from ejournal.domain.control.ktp import ktp_report
from ejournal.domain.control.table import Window, month_window
from ejournal.domain.errors import PermissionDenied
from ejournal.domain.models import Lesson, ThematicPlanItem, TimetableSlot
from tests.factories import MSK, D, TinySchool, add_absence, add_lesson, add_mark, make_school

pytestmark = pytest.mark.db

#: The evening of Tuesday 20 October 2026.
EVENING = dt.datetime(2026, 10, 20, 20, 0, tzinfo=MSK)


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


def october(session: Session, tiny: TinySchool) -> Window:
    return month_window(session, tiny.school.id or 0, "2026-10", on=EVENING.date())


def held(session: Session, tiny: TinySchool, day: dt.date, item: ThematicPlanItem) -> Lesson:
    row = add_lesson(session, tiny.maths_5a, day, topic=item.topic)
    row.plan_item_id = item.id
    row.work_type_id = item.work_type_id
    session.add(row)
    session.commit()
    return row


def maths_plan(session: Session, tiny: TinySchool) -> list[ThematicPlanItem]:
    """Maths 5 «А»: Wednesdays until 31 October; three plan lines on 7, 14 and 21 October,
    the first and the second control works."""
    session.add(
        TimetableSlot(
            assignment_id=tiny.maths_5a.id or 0,
            weekday=3,
            number=2,
            valid_from=D(2026, 9, 1),
            valid_to=D(2026, 10, 31),
        )
    )
    items = [
        ThematicPlanItem(
            assignment_id=tiny.maths_5a.id or 0,
            number=n,
            topic=topic,
            hours=1,
            planned_on=day,
            work_type_id=tiny.control.id if control else None,
        )
        for n, (topic, day, control) in enumerate(
            [
                ("Контрольная работа № 1", D(2026, 10, 7), True),
                ("Контрольная работа № 2", D(2026, 10, 14), True),
                ("Дроби", D(2026, 10, 21), False),
            ],
            start=1,
        )
    ]
    session.add_all(items)
    session.commit()
    return items


def test_ktp_report_counts_plan_fact_and_projection(session: Session, tiny: TinySchool) -> None:
    """By 20 October: 2 hours planned, 1 held (7 October), 3 in the plan; the timetable has
    one more Wednesday in term (21 October; 28 October is in the holiday): projected 2.
    Of two control works planned, one was held, and it lacks a present student's mark."""
    items = maths_plan(session, tiny)
    work = held(session, tiny, D(2026, 10, 7), items[0])
    by = tiny.actors["maths"]
    for student in tiny.students[:3]:
        add_mark(session, work, student, 4, author=by, work_type=tiny.control)
    add_absence(session, work, tiny.students[3], author=by)
    report = ktp_report(
        session, actor=tiny.actors["deputy"], window=october(session, tiny), now=EVENING
    )
    assert report.name == "ktp"
    row = next(r for r in report.rows if r["subject_id"] == tiny.maths.id)
    assert {k: row[k] for k in row if k not in ("teacher", "period_id")} == {
        "class": "5 «А»",
        "subject": "Математика",
        "planned_to_date": 2,
        "held_to_date": 1,
        "difference": -1,
        "planned_total": 3,
        "projected": 2,
        "control_planned": 2,
        "control_held": 1,
        "control_marked": 0,  # Жуков (the newcomer) was there and has no mark
        "assignment_id": tiny.maths_5a.id,
        "class_id": tiny.class5.id,
        "subject_id": tiny.maths.id,
        "teacher_id": tiny.staff["maths"].id,
    }
    assert row["teacher"] == "Кузнецов И. О."
    # Every assignment of the school has a row, even without a plan.
    assert len(report.rows) == 4


def test_ktp_report_counts_russian_timetable_to_the_year_end(
    session: Session, tiny: TinySchool
) -> None:
    """Russian 5 «А» has five lessons a week and no plan: the projection counts the
    timetable's lessons in term after 20 October (21–23 October, then the other quarters)."""
    report = ktp_report(
        session, actor=tiny.actors["deputy"], window=october(session, tiny), now=EVENING
    )
    row = next(r for r in report.rows if r["assignment_id"] == tiny.russian_5a.id)
    # Weekdays in term after 20 October: 21–23.10: 3; 5.11–28.12: 2 + 7 weeks + 1 = 38;
    # 12.01–20.03: 4 + 9 weeks = 49 (20.03 is a Saturday); 30.03–31.05: 4 + 8 weeks + 1 = 45.
    assert row["projected"] == 3 + 38 + 49 + 45
    assert row["planned_total"] == 0 and row["held_to_date"] == 0


def test_ktp_hours_finds_an_assignment_behind_its_plan(session: Session, tiny: TinySchool) -> None:
    """One lesson held against two planned, and 2 projected against 3 planned: one finding."""
    items = maths_plan(session, tiny)
    held(session, tiny, D(2026, 10, 7), items[0])
    found = run_checklist(
        session,
        actor=tiny.actors["deputy"],
        window=october(session, tiny),
        rules=frozenset({"ktp_hours"}),
        now=EVENING,
    )
    assert len(found) == 1
    assert found[0].assignment_id == tiny.maths_5a.id
    assert "отставание 1" in found[0].text
    assert "прогноз на конец года 2 ур. при 3 по КТП" in found[0].text


def test_ktp_hours_is_silent_when_the_plan_is_kept(session: Session, tiny: TinySchool) -> None:
    """Both planned lessons held and one Wednesday left for the third line: nothing."""
    items = maths_plan(session, tiny)
    held(session, tiny, D(2026, 10, 7), items[0])
    held(session, tiny, D(2026, 10, 14), items[1])
    found = run_checklist(
        session,
        actor=tiny.actors["deputy"],
        window=october(session, tiny),
        rules=frozenset({"ktp_hours"}),
        now=EVENING,
    )
    assert found == []


def test_ktp_control_finds_unheld_and_unmarked_control_works(
    session: Session, tiny: TinySchool
) -> None:
    """Control work 1 was held with Белова unmarked; control work 2 was never held."""
    items = maths_plan(session, tiny)
    work = held(session, tiny, D(2026, 10, 7), items[0])
    by = tiny.actors["maths"]
    for student in [*tiny.students[:3], tiny.newcomer]:
        add_mark(session, work, student, 4, author=by, work_type=tiny.control)
    found = run_checklist(
        session,
        actor=tiny.actors["deputy"],
        window=october(session, tiny),
        rules=frozenset({"ktp_control"}),
        now=EVENING,
    )
    assert len(found) == 2
    unmarked, missing = found
    assert unmarked.lesson_id == work.id and unmarked.extra["students"] == [tiny.students[3].id]
    assert "Белова Вера" in unmarked.text
    assert missing.lesson_id is None and missing.day == D(2026, 10, 14)
    assert "«Контрольная работа № 2»" in missing.text and "не проведена" in missing.text


def test_ktp_control_is_silent_when_control_works_are_held_and_marked(
    session: Session, tiny: TinySchool
) -> None:
    """Both control works held, every present student marked (the absent one excused)."""
    items = maths_plan(session, tiny)
    by = tiny.actors["maths"]
    for day, item in [(D(2026, 10, 7), items[0]), (D(2026, 10, 14), items[1])]:
        work = held(session, tiny, day, item)
        for student in [*tiny.students[:3], tiny.newcomer]:
            add_mark(session, work, student, 4, author=by, work_type=tiny.control)
        add_absence(session, work, tiny.students[3], author=by)
    found = run_checklist(
        session,
        actor=tiny.actors["deputy"],
        window=october(session, tiny),
        rules=frozenset({"ktp_control"}),
        now=EVENING,
    )
    assert found == []


@pytest.mark.parametrize("who", ["parent", "student"])
def test_families_are_refused_the_ktp_report(session: Session, tiny: TinySchool, who: str) -> None:
    """A parent or a student calling the report directly is refused."""
    with pytest.raises(PermissionDenied):
        ktp_report(session, actor=tiny.actors[who], window=october(session, tiny), now=EVENING)


def test_a_teacher_gets_only_own_ktp_rows(session: Session, tiny: TinySchool) -> None:
    """The maths teacher's report has the maths row only."""
    report = ktp_report(
        session, actor=tiny.actors["maths"], window=october(session, tiny), now=EVENING
    )
    assert [r["assignment_id"] for r in report.rows] == [tiny.maths_5a.id]
