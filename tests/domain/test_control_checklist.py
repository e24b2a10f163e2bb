"""The control checklist: each rule on a tiny school where the findings are counted by hand,
a clean variant with none, who may run it, and the seeded school where every rule bites."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import Session

from ejournal.domain.control.checklist import RULES, checklist_report, run_checklist
from ejournal.domain.control.table import Filters, Finding, Window, month_window
from ejournal.domain.errors import PermissionDenied
from ejournal.domain.models import Lesson, TeachingAssignment, WorkType
from tests.factories import (
    MSK,
    D,
    TinySchool,
    add_absence,
    add_lesson,
    add_mark,
    add_period_mark,
    make_school,
)

pytestmark = pytest.mark.db

#: The evening of Tuesday 20 October 2026: that day's entries are due (17:00 has passed).
EVENING = dt.datetime(2026, 10, 20, 20, 0, tzinfo=MSK)


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=MSK)


def lesson(
    session: Session,
    assignment: TeachingAssignment,
    day: dt.date,
    number: int = 1,
    *,
    topic: str = "Тема урока",
    homework: str = "§ 1, упр. 2",
    homework_none: bool = False,
    attendance: bool = True,
    work_type: WorkType | None = None,
    cancelled: bool = False,
    topic_at: dt.datetime | None = None,
) -> Lesson:
    """A lesson kept by the book unless told otherwise: topic by 15:00, homework, attendance."""
    row = add_lesson(session, assignment, day, number, work_type=work_type, cancelled=cancelled)
    row.topic = topic
    row.topic_set_at = (topic_at or at(day, 15)) if topic else None
    row.homework = homework
    row.homework_none = homework_none
    row.attendance_taken_at = at(day, 9) if attendance else None
    session.add(row)
    session.commit()
    return row


def october(session: Session, tiny: TinySchool, on: dt.date | None = None) -> Window:
    return month_window(session, tiny.school.id or 0, "2026-10", on=on or EVENING.date())


def check(
    session: Session,
    tiny: TinySchool,
    rule: str,
    *,
    now: dt.datetime = EVENING,
    who: str = "deputy",
    filters: Filters | None = None,
) -> list[Finding]:
    return run_checklist(
        session,
        actor=tiny.actors[who],
        window=october(session, tiny, now.date()),
        filters=filters or Filters(),
        rules=frozenset({rule}),
        now=now,
    )


def students_of(findings: list[Finding]) -> list[int | None]:
    return [f.student_id for f in findings]


# --------------------------------------------------------------------------- the rules' list


def test_every_rule_names_its_clause_and_how_it_is_checked() -> None:
    """Ten rules, each with a Russian title, a clause in brackets and a description."""
    assert [r.code for r in RULES] == [
        "mark_gap",
        "marks_late",
        "topic_homework",
        "attendance_taken",
        "control_complete",
        "two_followup",
        "oral_share",
        "period_marks",
        "ktp_hours",
        "ktp_control",
    ]
    for r in RULES:
        assert r.title and r.description
        assert r.clause.startswith("[") and "§" in r.clause


# --------------------------------------------------------------------------- 1 mark_gap


def _gap_school(session: Session, tiny: TinySchool, *, clean: bool) -> None:
    maths, s = tiny.maths_5a, tiny.students
    by = tiny.actors["maths"]
    oct1, oct8, oct15 = (lesson(session, maths, D(2026, 10, d)) for d in (1, 8, 15))
    # Marks on 1 and 15 October are exactly 14 days apart: allowed.
    add_mark(session, oct1, s[0], 4, author=by)
    add_mark(session, oct15, s[0], 5, author=by)
    # One mark on 8 October leaves 7 and 12 days without: allowed.
    add_mark(session, oct8, s[3], 4, author=by)
    if clean:
        for student in (s[1], s[2], tiny.newcomer):
            add_mark(session, oct8, student, 4, author=by)
    else:
        add_mark(session, oct1, s[1], 3, author=by)  # then nothing 2–20 October: 19 days
    # Grade 1 and a subject without marks never count.
    lesson(session, tiny.russian_1a, D(2026, 10, 5), homework="")
    lesson(session, tiny.music_5a, D(2026, 10, 6))


def test_mark_gap_finds_students_without_a_mark_for_two_weeks(
    session: Session, tiny: TinySchool
) -> None:
    """Three students of 5 «А» went 14 days or more without a maths mark; nobody else."""
    _gap_school(session, tiny, clean=False)
    found = check(session, tiny, "mark_gap")
    assert sorted(students_of(found)) == sorted(
        [tiny.students[1].id, tiny.students[2].id, tiny.newcomer.id]
    )
    by_student = {f.student_id: f for f in found}
    andreev = by_student[tiny.students[1].id]
    assert andreev.subject == "Математика" and andreev.class_name == "5 «А»"
    assert andreev.teacher == "Кузнецов И. О."
    assert "19 дней" in andreev.text and "02.10.2026" in andreev.text
    assert "20.10.2026" in andreev.text and "уроков за это время: 2" in andreev.text
    assert andreev.extra["student"] == "Андреев Артём"
    q1 = tiny.q1.id
    assert andreev.link == (f"/journal?a={tiny.maths_5a.id}&p={q1}&s={tiny.students[1].id}")
    assert "20 дней" in by_student[tiny.students[2].id].text


def test_mark_gap_is_silent_when_everyone_has_marks_often_enough(
    session: Session, tiny: TinySchool
) -> None:
    """A mark on 8 October for everyone keeps each stretch under 14 days."""
    _gap_school(session, tiny, clean=True)
    assert check(session, tiny, "mark_gap") == []


def test_mark_gap_counts_from_the_last_mark_before_the_window(
    session: Session, tiny: TinySchool
) -> None:
    """Marks on 26 September and 10 October are 14 days apart — allowed; a mark on
    20 September and the next on 10 October leave 19 days without one (only 9 of them in
    October), reported from 21 September."""
    maths, s, by = tiny.maths_5a, tiny.students, tiny.actors["maths"]
    sep20, sep25 = lesson(session, maths, D(2026, 9, 20)), lesson(session, maths, D(2026, 9, 26))
    oct5, oct10 = lesson(session, maths, D(2026, 10, 5)), lesson(session, maths, D(2026, 10, 10))
    oct20 = lesson(session, maths, D(2026, 10, 20))
    add_mark(session, sep25, s[0], 4, author=by)
    add_mark(session, sep20, s[1], 4, author=by)
    for student in (s[0], s[1]):
        add_mark(session, oct10, student, 5, author=by)
        add_mark(session, oct20, student, 5, author=by)
    found = [f for f in check(session, tiny, "mark_gap") if f.student_id in (s[0].id, s[1].id)]
    assert [f.student_id for f in found] == [s[1].id]
    assert "19 дней" in found[0].text and "с 21.09.2026 по 09.10.2026" in found[0].text
    assert oct5.id is not None  # a held lesson inside the stretch


def test_mark_gap_does_not_count_the_holidays(session: Session, tiny: TinySchool) -> None:
    """Marks on 20 October and 10 November are 21 calendar days apart, but 11 of them are
    the autumn holidays (25 October – 4 November): 9 school days, allowed; a student with
    marks on 12 October and 10 November waited 17 school days — reported as such."""
    maths, s, by = tiny.maths_5a, tiny.students, tiny.actors["maths"]
    oct12, oct20 = lesson(session, maths, D(2026, 10, 12)), lesson(session, maths, D(2026, 10, 20))
    lesson(session, maths, D(2026, 11, 6))  # held, nobody marked
    nov10 = lesson(session, maths, D(2026, 11, 10))
    add_mark(session, oct20, s[0], 4, author=by)
    add_mark(session, oct12, s[1], 4, author=by)
    for student in (s[0], s[1]):
        add_mark(session, nov10, student, 5, author=by)
    evening = dt.datetime(2026, 11, 10, 20, 0, tzinfo=MSK)
    window = month_window(session, tiny.school.id or 0, "2026-11", on=evening.date())
    found = [
        f
        for f in run_checklist(
            session,
            actor=tiny.actors["deputy"],
            window=window,
            rules=frozenset({"mark_gap"}),
            now=evening,
        )
        if f.student_id in (s[0].id, s[1].id)
    ]
    assert [f.student_id for f in found] == [s[1].id]
    assert "17 дней подряд (без каникул)" in found[0].text
    assert "с 13.10.2026 по 09.11.2026" in found[0].text


# --------------------------------------------------------------------------- 2 marks_late


def _late_school(session: Session, tiny: TinySchool, *, clean: bool) -> tuple[Lesson, Lesson]:
    sid = tiny.school.id or 0
    test = WorkType(school_id=sid, code="test", name="Тест", weight=Decimal("1.5"))
    test.deadline_lessons = 2
    essay = WorkType(school_id=sid, code="essay", name="Сочинение", weight=Decimal("1.5"))
    essay.deadline_days = 10
    session.add_all([test, essay])
    session.commit()
    maths, s, by = tiny.maths_5a, tiny.students, tiny.actors["maths"]
    essay_day = lesson(session, maths, D(2026, 10, 2), work_type=essay)
    class_work = lesson(session, maths, D(2026, 10, 5))
    test_day = lesson(session, maths, D(2026, 10, 6), work_type=test)
    lesson(session, maths, D(2026, 10, 7))
    lesson(session, maths, D(2026, 10, 9))  # the second lesson after the test
    last_test = lesson(session, maths, D(2026, 10, 19), work_type=test)
    lesson(session, maths, D(2026, 10, 20))
    # Class work is due by 17:00 on the day.
    add_mark(session, class_work, s[0], 5, author=by, created_at=at(D(2026, 10, 5), 16, 59))
    add_mark(
        session,
        class_work,
        s[1],
        4,
        author=by,
        created_at=at(D(2026, 10, 5), 16, 30) if clean else at(D(2026, 10, 5), 17, 30),
    )
    add_mark(
        session,
        class_work,
        s[2],
        3,
        author=by,
        created_at=at(D(2026, 10, 5), 12) if clean else at(D(2026, 10, 6), 9),
    )
    # A test is due by the end of the day of the second following lesson (9 October).
    add_mark(
        session, test_day, s[0], 4, author=by, work_type=test, created_at=at(D(2026, 10, 9), 23)
    )
    add_mark(
        session,
        test_day,
        s[1],
        4,
        author=by,
        work_type=test,
        created_at=at(D(2026, 10, 9), 22) if clean else at(D(2026, 10, 10), 0, 30),
    )
    # An essay has ten days: 12 October is still in time.
    add_mark(
        session, essay_day, s[0], 5, author=by, work_type=essay, created_at=at(D(2026, 10, 12), 20)
    )
    # The last test's deadline lesson is not in the journal yet: not judged.
    add_mark(
        session, last_test, s[0], 5, author=by, work_type=test, created_at=at(D(2026, 10, 20), 19)
    )
    return class_work, test_day


def test_marks_late_finds_one_finding_per_lesson_with_late_marks(
    session: Session, tiny: TinySchool
) -> None:
    """Two class-work marks after 17:00 and one test mark after its deadline: two lessons."""
    class_work, test_day = _late_school(session, tiny, clean=False)
    found = check(session, tiny, "marks_late")
    assert [f.lesson_id for f in found] == [class_work.id, test_day.id]
    first, second = found
    assert "позже срока: 2" in first.text and "06.10.2026 в 09:00" in first.text
    assert "05.10.2026 до 17:00" in first.text
    assert "позже срока: 1" in second.text and "09.10.2026" in second.text
    assert first.link == f"/journal?a={tiny.maths_5a.id}&p={tiny.q1.id}&l={class_work.id}"


def test_marks_late_is_silent_when_marks_meet_their_deadlines(
    session: Session, tiny: TinySchool
) -> None:
    """Marks within their work type's deadline give no finding."""
    _late_school(session, tiny, clean=True)
    assert check(session, tiny, "marks_late") == []


def test_marks_late_counts_to_the_second(session: Session, tiny: TinySchool) -> None:
    """A class-work mark entered at 17:00:00 sharp is in time, one at 17:00:01 is late; a
    topic written at 17:00:00 is in time too (instants compared as the database stores them)."""
    maths, s, by = tiny.maths_5a, tiny.students, tiny.actors["maths"]
    day = D(2026, 10, 5)
    x = lesson(session, maths, day, topic_at=at(day, 17))
    add_mark(session, x, s[0], 5, author=by, created_at=at(day, 17))
    add_mark(session, x, s[1], 4, author=by, created_at=at(day, 17) + dt.timedelta(seconds=1))
    found = check(session, tiny, "marks_late")
    assert [f.lesson_id for f in found] == [x.id]
    assert "позже срока: 1; последняя — 05.10.2026 в 17:00" in found[0].text
    assert check(session, tiny, "topic_homework") == []


# --------------------------------------------------------------------------- 3 topic_homework


def test_topic_homework_finds_missing_and_late_records(session: Session, tiny: TinySchool) -> None:
    """No topic, a topic written at 18:30, homework missing: three lessons; grade 1 needs
    no homework, «не задано» is enough, cancelled and not yet due lessons are skipped."""
    ru = tiny.russian_5a
    lesson(session, ru, D(2026, 10, 12))
    no_topic = lesson(session, ru, D(2026, 10, 13), topic="")
    late_topic = lesson(session, ru, D(2026, 10, 14), topic_at=at(D(2026, 10, 14), 18, 30))
    no_homework = lesson(session, ru, D(2026, 10, 15), homework="")
    lesson(session, ru, D(2026, 10, 16), homework="", homework_none=True)
    lesson(session, ru, D(2026, 10, 19), topic="", cancelled=True)
    lesson(session, tiny.russian_1a, D(2026, 10, 13), homework="")
    first_grade_no_topic = lesson(session, tiny.russian_1a, D(2026, 10, 14), topic="", homework="")
    today = lesson(session, ru, D(2026, 10, 20), topic="")
    found = check(session, tiny, "topic_homework", now=at(D(2026, 10, 20), 12))
    assert [f.lesson_id for f in found] == [
        first_grade_no_topic.id,
        no_topic.id,
        late_topic.id,
        no_homework.id,
    ]
    texts = {f.lesson_id: f.text for f in found}
    assert "не записана тема" in texts[no_topic.id]
    assert "14.10.2026 в 18:30" in texts[late_topic.id]
    assert "домашнее задание" in texts[no_homework.id]
    assert "домашнее" not in texts[first_grade_no_topic.id]
    # After 17:00 today's lesson without a topic is due as well.
    later = check(session, tiny, "topic_homework", now=EVENING)
    assert today.id in [f.lesson_id for f in later]


# --------------------------------------------------------------------------- 4 attendance_taken


def test_attendance_taken_finds_lessons_nobody_checked(session: Session, tiny: TinySchool) -> None:
    """Only the lesson with neither «все присутствуют» nor an absence row is found."""
    ru, by = tiny.russian_5a, tiny.actors["russian"]
    lesson(session, ru, D(2026, 10, 12))
    with_absence = lesson(session, ru, D(2026, 10, 13), attendance=False)
    add_absence(session, with_absence, tiny.students[0], author=by)
    unchecked = lesson(session, ru, D(2026, 10, 14), attendance=False)
    lesson(session, ru, D(2026, 10, 15), attendance=False, cancelled=True)
    found = check(session, tiny, "attendance_taken")
    assert [f.lesson_id for f in found] == [unchecked.id]
    assert found[0].text == "Урок 14.10.2026: посещаемость не отмечена."
    assert found[0].teacher == "Смирнова А. П."


# --------------------------------------------------------------------------- 5 control_complete


def _control_school(session: Session, tiny: TinySchool, *, clean: bool) -> Lesson:
    maths, s, by = tiny.maths_5a, tiny.students, tiny.actors["maths"]
    work = lesson(session, maths, D(2026, 10, 7), work_type=tiny.control)
    add_mark(session, work, s[0], 5, author=by, work_type=tiny.control)
    add_absence(session, work, s[1], author=by)  # «н»: needs no mark
    add_absence(session, work, s[2], author=by, status="late")  # late is present
    add_mark(session, work, tiny.newcomer, 4, author=by, work_type=tiny.control)
    if clean:
        add_mark(session, work, s[2], 3, author=by, work_type=tiny.control)
        add_mark(session, work, s[3], 4, author=by, work_type=tiny.control)
    return work


def test_control_complete_names_present_students_without_a_mark(
    session: Session, tiny: TinySchool
) -> None:
    """The late Ёлкина and the present Белова have no mark for the control work."""
    work = _control_school(session, tiny, clean=False)
    found = check(session, tiny, "control_complete")
    assert len(found) == 1 and found[0].lesson_id == work.id
    assert set(found[0].extra["students"]) == {tiny.students[2].id, tiny.students[3].id}
    assert "Белова Вера" in found[0].text and "Ёлкина Дарья" in found[0].text
    assert "Андреев" not in found[0].text


def test_control_complete_is_silent_when_every_present_student_is_marked(
    session: Session, tiny: TinySchool
) -> None:
    """Marks for all present students (the absent one excused by «н») give no finding."""
    _control_school(session, tiny, clean=True)
    assert check(session, tiny, "control_complete") == []


# --------------------------------------------------------------------------- 6 two_followup


def _twos_school(session: Session, tiny: TinySchool, *, clean: bool) -> Lesson:
    maths, s, by = tiny.maths_5a, tiny.students, tiny.actors["maths"]
    days = [lesson(session, maths, D(2026, 10, d)) for d in (1, 2, 5, 6, 7, 8)]
    add_mark(session, days[0], s[0], 2, author=by)
    add_mark(session, days[2], s[0], 4, author=by)  # asked again two lessons later
    add_mark(session, days[0], s[1], 2, author=by)
    add_absence(session, days[1], s[1], author=by)  # ill on 2 October: not counted
    if clean:
        add_mark(session, days[3], s[1], 3, author=by)
    add_mark(session, days[4], s[2], 1, author=by)  # one lesson since: not due yet
    add_mark(session, days[0], s[3], 3, author=by)
    return days[0]


def test_two_followup_finds_a_two_left_unquestioned(session: Session, tiny: TinySchool) -> None:
    """Андреев's «2» of 1 October: present 5 and 6 October without a mark."""
    first = _twos_school(session, tiny, clean=False)
    found = check(session, tiny, "two_followup")
    assert [(f.student_id, f.lesson_id) for f in found] == [(tiny.students[1].id, first.id)]
    assert "05.10, 06.10" in found[0].text and "«2» за 01.10.2026" in found[0].text
    assert found[0].link.endswith(f"&l={first.id}&s={tiny.students[1].id}")


def test_two_followup_is_silent_when_the_two_is_followed_up(
    session: Session, tiny: TinySchool
) -> None:
    """A mark within two attended lessons answers the «2»."""
    _twos_school(session, tiny, clean=True)
    assert check(session, tiny, "two_followup") == []


# --------------------------------------------------------------------------- 7 oral_share


def _oral_school(session: Session, tiny: TinySchool, *, clean: bool) -> None:
    maths, s, by = tiny.maths_5a, tiny.students, tiny.actors["maths"]
    # Five students are enrolled in October: one oral answer is 20 %.
    oct5 = lesson(session, maths, D(2026, 10, 5))
    add_mark(session, oct5, s[0], 5, author=by, work_type=tiny.answer)
    oct6 = lesson(session, maths, D(2026, 10, 6))
    control = lesson(session, maths, D(2026, 10, 7), work_type=tiny.control)
    for student in [*s, tiny.newcomer]:
        add_mark(session, control, student, 4, author=by, work_type=tiny.control)
    oct8 = lesson(session, maths, D(2026, 10, 8))
    add_mark(session, oct8, s[1], 4, author=by, work_type=tiny.dictation)
    if clean:
        add_mark(session, oct6, s[1], 4, author=by, work_type=tiny.answer)
        add_mark(session, oct8, s[2], 4, author=by)  # no work type: an answer in class


def test_oral_share_counts_lessons_with_too_few_answers(session: Session, tiny: TinySchool) -> None:
    """Of three ordinary maths lessons, two had no oral answer (the control one is left out)."""
    _oral_school(session, tiny, clean=False)
    found = check(session, tiny, "oral_share")
    assert len(found) == 1
    assert found[0].text.startswith("В 2 из 3 уроков опрошено меньше 20 % класса")
    assert found[0].assignment_id == tiny.maths_5a.id and found[0].lesson_id is None


def test_oral_share_is_silent_when_each_lesson_asks_a_fifth(
    session: Session, tiny: TinySchool
) -> None:
    """One oral answer of five students in each lesson is enough."""
    _oral_school(session, tiny, clean=True)
    assert check(session, tiny, "oral_share") == []


# --------------------------------------------------------------------------- 8 period_marks

#: Tuesday 27 October 2026, in the autumn holiday: the first quarter (to 24 October) is over.
AFTER_Q1 = dt.datetime(2026, 10, 27, 12, 0, tzinfo=MSK)


def _period_school(session: Session, tiny: TinySchool, *, clean: bool) -> None:
    maths, s, by = tiny.maths_5a, tiny.students, tiny.actors["maths"]
    q1, subject = tiny.q1, tiny.maths
    a, b = lesson(session, maths, D(2026, 10, 12)), lesson(session, maths, D(2026, 10, 13))
    on_time = at(D(2026, 10, 23), 14)
    for student, marks in [(s[0], (5, 5)), (s[1], (3, 4)), (s[2], (4,)), (tiny.newcomer, (4,))]:
        for x, value in zip((a, b), marks, strict=False):
            add_mark(session, x, student, value, author=by)
    add_period_mark(session, s[0], subject, q1, 5, author=by, created_at=on_time)
    # 3.5 suggests a 4: a 3 needs a reason.
    add_period_mark(
        session,
        s[1],
        subject,
        q1,
        3,
        author=by,
        created_at=on_time,
        justification="контрольные работы на 3" if clean else "",
    )
    add_period_mark(
        session, s[2], subject, q1, 5, author=by, created_at=on_time, justification="проект"
    )
    if clean:
        add_period_mark(session, s[3], subject, q1, None, author=by, created_at=on_time)
    late = at(D(2026, 10, 22), 10) if clean else at(D(2026, 10, 26), 10)
    add_period_mark(session, tiny.newcomer, subject, q1, 4, author=by, created_at=late)


def test_period_marks_finds_missing_late_and_unjustified_marks(
    session: Session, tiny: TinySchool
) -> None:
    """Андреев's 3 against a suggested 4 without a reason, Белова without a mark, Жуков's
    mark entered on 26 October, after the quarter."""
    _period_school(session, tiny, clean=False)
    found = check(
        session, tiny, "period_marks", now=AFTER_Q1, filters=Filters(subject_id=tiny.maths.id)
    )
    texts = {f.student_id: f.text for f in found}
    assert sorted(texts, key=str) == sorted(
        [tiny.students[1].id, tiny.students[3].id, tiny.newcomer.id], key=str
    )
    assert texts[tiny.students[1].id] == "1 четверть: «3» без обоснования (рассчитана 4)."
    assert texts[tiny.students[3].id] == "1 четверть: отметка не выставлена."
    assert "26.10.2026" in texts[tiny.newcomer.id]
    assert all(f.period_id == tiny.q1.id for f in found)


def test_period_marks_is_silent_when_marks_are_set_in_time_and_justified(
    session: Session, tiny: TinySchool
) -> None:
    """Marks by the last day, a departure with a reason and «не аттестован» give none."""
    _period_school(session, tiny, clean=True)
    found = check(
        session, tiny, "period_marks", now=AFTER_Q1, filters=Filters(subject_id=tiny.maths.id)
    )
    assert found == []


def test_period_marks_suggest_from_the_whole_term_not_just_the_window(
    session: Session, tiny: TinySchool
) -> None:
    """Checked for October, the quarter's suggested mark still counts September: 3 and 3 in
    September and a dictation 5 (weight 1.5) in October average 13.5 / 3.5 = 3.86, a «4».
    So Андреев's unexplained «4» is fine and Анисимова's unexplained «5» is not."""
    maths, s, by = tiny.maths_5a, tiny.students, tiny.actors["maths"]
    september = [lesson(session, maths, D(2026, 9, d)) for d in (14, 21)]
    october = lesson(session, maths, D(2026, 10, 12), work_type=tiny.dictation)
    on_time = at(D(2026, 10, 23), 14)
    for student, value in ((s[0], 5), (s[1], 4)):
        for x in september:
            add_mark(session, x, student, 3, author=by)
        add_mark(session, october, student, 5, author=by, work_type=tiny.dictation)
        add_period_mark(session, student, tiny.maths, tiny.q1, value, author=by, created_at=on_time)
    found = check(
        session, tiny, "period_marks", now=AFTER_Q1, filters=Filters(subject_id=tiny.maths.id)
    )
    texts = {f.student_id: f.text for f in found}
    assert texts[s[0].id] == "1 четверть: «5» без обоснования (рассчитана 4)."
    assert s[1].id not in texts


def test_period_marks_wait_for_the_period_to_end(session: Session, tiny: TinySchool) -> None:
    """On 20 October the first quarter is still open: nothing is due."""
    _period_school(session, tiny, clean=False)
    assert check(session, tiny, "period_marks") == []


# --------------------------------------------------------------------------- who may run it


@pytest.mark.parametrize("who", ["parent", "student"])
def test_families_are_refused(session: Session, tiny: TinySchool, who: str) -> None:
    """A parent or a student calling the service directly is refused."""
    with pytest.raises(PermissionDenied):
        run_checklist(session, actor=tiny.actors[who], window=october(session, tiny), now=EVENING)
    with pytest.raises(PermissionDenied):
        checklist_report(
            session, actor=tiny.actors[who], window=october(session, tiny), now=EVENING
        )


def _two_teachers_school(session: Session, tiny: TinySchool) -> None:
    lesson(session, tiny.russian_5a, D(2026, 10, 13), topic="")
    lesson(session, tiny.maths_5a, D(2026, 10, 14), topic="")
    lesson(session, tiny.russian_1a, D(2026, 10, 15), topic="")


def test_a_teacher_sees_only_findings_on_own_lessons(session: Session, tiny: TinySchool) -> None:
    """The maths teacher gets the maths lesson; the deputy gets all three."""
    _two_teachers_school(session, tiny)
    mine = check(session, tiny, "topic_homework", who="maths")
    assert [f.assignment_id for f in mine] == [tiny.maths_5a.id]
    everyone = check(session, tiny, "topic_homework")
    assert len(everyone) == 3


def test_a_class_teacher_sees_their_class(session: Session, tiny: TinySchool) -> None:
    """The class teacher of 5 «А» sees both 5 «А» lessons and not 1 «А»."""
    _two_teachers_school(session, tiny)
    found = check(session, tiny, "topic_homework", who="class_teacher")
    assert sorted(f.assignment_id or 0 for f in found) == sorted(
        [tiny.russian_5a.id or 0, tiny.maths_5a.id or 0]
    )


def test_filters_narrow_by_grade_and_teacher(session: Session, tiny: TinySchool) -> None:
    """Grade 1 keeps the 1 «А» lesson; a teacher filter keeps that teacher's."""
    _two_teachers_school(session, tiny)
    grade1 = check(session, tiny, "topic_homework", filters=Filters(grade=1))
    assert [f.assignment_id for f in grade1] == [tiny.russian_1a.id]
    russian = check(
        session, tiny, "topic_homework", filters=Filters(teacher_id=tiny.staff["russian"].id)
    )
    assert [f.assignment_id for f in russian] == [tiny.russian_5a.id]


def test_checklist_report_has_a_row_per_finding_with_ids(
    session: Session, tiny: TinySchool
) -> None:
    """The report lists each finding with its rule, clause, names and the ids behind them."""
    _gap_school(session, tiny, clean=False)
    report = checklist_report(
        session, actor=tiny.actors["deputy"], window=october(session, tiny), now=EVENING
    )
    assert report.name == "checklist"
    gaps = [r for r in report.rows if r["rule"] == "mark_gap"]
    assert len(gaps) == 3
    row = next(r for r in gaps if r["student_id"] == tiny.students[1].id)
    assert row["clause"] == "[000 §4.3.1]"
    assert row["student"] == "Андреев Артём" and row["class"] == "5 «А»"
    assert row["subject_id"] == tiny.maths.id and row["teacher_id"] == tiny.staff["maths"].id
    assert row["class_id"] == tiny.class5.id and row["period_id"] == tiny.q1.id
    assert {c.key for c in report.columns} >= {"rule_title", "clause", "text", "link"}


# --------------------------------------------------------------------------- the seeded school


def test_every_rule_finds_something_in_the_seeded_school(seeded_session: Session) -> None:
    """The seed's late teachers, missing topics, unanswered «2»s, forgotten control marks,
    the ill teacher's cancelled week and the control work given up for revision are all
    found — each by a few teachers, not by everyone."""
    from sqlmodel import select

    from ejournal.domain.control.table import period_window
    from ejournal.domain.models import Period, Role, RoleGrant
    from ejournal.domain.permissions import Actor

    grant = seeded_session.exec(select(RoleGrant).where(RoleGrant.role == "deputy")).first()
    assert grant is not None
    deputy = Actor(user_id=grant.user_id, school_id=grant.school_id, roles=frozenset({Role.DEPUTY}))
    q1 = seeded_session.exec(
        select(Period).where(Period.kind == "quarter", Period.number == 1)
    ).first()
    assert q1 is not None and q1.id is not None
    now = dt.datetime(2026, 11, 23, 15, 0, tzinfo=MSK)
    window = period_window(seeded_session, grant.school_id, q1.id, on=now.date())
    found = run_checklist(seeded_session, actor=deputy, window=window, now=now)
    teachers: dict[str, set[int | None]] = {r.code: set() for r in RULES}
    for f in found:
        teachers[f.rule].add(f.teacher_id)
    assert all(teachers.values()), [code for code, who in teachers.items() if not who]
    for code in ("control_complete", "ktp_hours", "ktp_control"):
        assert len(teachers[code]) <= 3, code
    assert all(f.link.startswith("/journal?a=") for f in found)
