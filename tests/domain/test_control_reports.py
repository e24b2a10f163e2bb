"""The school's reports, counted by hand on the tiny school.

October 2026 in 5 «А» Russian (`_october`): five students on the roll on 31 October (the
newcomer arrived on 1 October), four lessons held (5–8 October) and one cancelled (9
October); five marks, one of them entered late; three topics (one on time), homework on
two lessons (one «не задано»), attendance on three. September has one lesson with two
marks for four students. Period marks for the first quarter are added where a test needs them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import Session

from ejournal.domain.control import reports
from ejournal.domain.control.table import Filters, Window, month_window, period_window
from ejournal.domain.errors import DomainError, PermissionDenied
from ejournal.domain.models import (
    Attendance,
    ClassGroup,
    Lesson,
    LoginEvent,
    Mark,
    PeriodMark,
    Student,
    TeachingAssignment,
    WorkType,
)
from tests.factories import MSK, D, TinySchool, add_lesson, add_student, make_school

pytestmark = pytest.mark.db

OCT_31 = D(2026, 10, 31)
NOV_10 = D(2026, 11, 10)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=MSK)


def _mark(
    session: Session,
    tiny: TinySchool,
    lesson: Lesson,
    student: Student,
    value: int,
    *,
    at: dt.datetime | None = None,
    work_type: WorkType | None = None,
) -> Mark:
    weight = work_type.weight if work_type is not None else Decimal("1.00")
    mark = Mark(
        student_id=student.id or 0,
        lesson_id=lesson.id or 0,
        value=value,
        weight=weight,
        work_type_id=work_type.id if work_type is not None else None,
        author_id=tiny.actors["russian"].user_id,
        created_at=at or _at(lesson.date, 12),
    )
    session.add(mark)
    session.commit()
    return mark


def _absence(
    session: Session, tiny: TinySchool, lesson: Lesson, student: Student, status: str
) -> None:
    session.add(
        Attendance(
            student_id=student.id or 0,
            lesson_id=lesson.id or 0,
            status=status,
            author_id=tiny.actors["russian"].user_id,
        )
    )
    session.commit()


def _period_mark(
    session: Session,
    tiny: TinySchool,
    student: Student,
    subject_id: int,
    value: int,
    justification: str = "",
) -> None:
    session.add(
        PeriodMark(
            student_id=student.id or 0,
            subject_id=subject_id,
            period_id=tiny.q1.id or 0,
            value=value,
            justification=justification,
            author_id=tiny.actors["russian"].user_id,
        )
    )
    session.commit()


def _october(session: Session) -> tuple[TinySchool, list[Lesson]]:
    """The scenario of the module docstring; returns the tiny school and lessons L1–L4."""
    tiny = make_school(session)
    s0, s1, s2, s3 = tiny.students
    newcomer = tiny.newcomer
    page = tiny.russian_5a
    september = add_lesson(session, page, D(2026, 9, 10))
    _mark(session, tiny, september, s0, 5)
    _mark(session, tiny, september, s1, 4)
    lessons = [add_lesson(session, page, D(2026, 10, day)) for day in (5, 6, 7, 8)]
    add_lesson(session, page, D(2026, 10, 9), cancelled=True)
    l1, l2, l3, l4 = lessons
    l1.topic, l1.topic_set_at, l1.homework = "Имя существительное", _at(l1.date, 12), "упр. 5"
    l1.attendance_taken_at = _at(l1.date, 9)
    l2.topic, l2.topic_set_at, l2.homework_none = "Глагол", _at(l2.date, 18, 30), True
    l3.topic = "Прилагательное"  # no time recorded: never counted as on time
    l4.work_type_id = tiny.control.id
    for lesson in lessons:
        session.add(lesson)
    session.commit()
    _mark(session, tiny, l1, s0, 5)
    _mark(session, tiny, l2, s0, 4)
    _mark(session, tiny, l3, s0, 3, at=_at(D(2026, 10, 8), 19))  # entered late
    _mark(session, tiny, l1, s1, 4)
    _mark(session, tiny, l4, s2, 2, work_type=tiny.control)
    _absence(session, tiny, l1, s0, "late")
    _absence(session, tiny, l2, s3, "absent")
    _absence(session, tiny, l3, s3, "absent")
    _absence(session, tiny, l3, newcomer, "excused")
    return tiny, lessons


def _october_window(session: Session, tiny: TinySchool) -> Window:
    return month_window(session, tiny.school.id or 0, "2026-10", on=OCT_31)


def _q1_window(session: Session, tiny: TinySchool, on: dt.date = NOV_10) -> Window:
    return period_window(session, tiny.school.id or 0, tiny.q1.id or 0, on=on)


def _row(report_rows: list[dict], **match: object) -> dict:
    found = [r for r in report_rows if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, report_rows)
    return found[0]


# --------------------------------------------------------------------------- fill


def test_fill_counts_a_month_of_one_page_by_hand(session: Session) -> None:
    """October's Russian page: 5 marks on 5 students × 4 held lessons, two students without a
    mark and two with exactly one, four marks on time, topics, homework and attendance."""
    tiny, _ = _october(session)
    report = reports.fill_report(
        session, actor=tiny.actors["deputy"], window=_october_window(session, tiny)
    )
    row = _row(report.rows, assignment_id=tiny.russian_5a.id)
    assert row["class_id"] == tiny.class5.id
    assert row["subject_id"] == tiny.russian.id
    assert row["teacher_id"] == tiny.staff["russian"].id
    assert (row["lessons_held"], row["students"], row["marks"]) == (4, 5, 5)
    assert row["possible_marks"] == 20
    assert row["fill_rate"] == pytest.approx(5 / 20)
    assert (row["students_without_marks"], row["students_with_one_mark"]) == (2, 2)
    assert row["without_marks_share"] == pytest.approx(2 / 5)
    assert (row["marks_on_time"], row["on_time_share"]) == (4, pytest.approx(4 / 5))
    assert (row["topics_recorded"], row["topics_on_time"]) == (3, 1)
    assert row["homework_recorded"] == 2
    assert row["attendance_recorded"] == 3
    assert row["attendance_share"] == pytest.approx(3 / 4)


def test_fill_leaves_shares_empty_where_marks_are_not_given(session: Session) -> None:
    """Music (taught without marks) and a page with no lessons have no fill rate, but a row."""
    tiny, _ = _october(session)
    add_lesson(session, tiny.music_5a, D(2026, 10, 6), topic="Песня")
    rows = reports.fill_report(
        session, actor=tiny.actors["deputy"], window=_october_window(session, tiny)
    ).rows
    music = _row(rows, assignment_id=tiny.music_5a.id)
    assert (music["lessons_held"], music["topics_recorded"], music["possible_marks"]) == (1, 1, 0)
    assert music["fill_rate"] is None and music["marks"] is None
    maths = _row(rows, assignment_id=tiny.maths_5a.id)
    assert (maths["lessons_held"], maths["fill_rate"], maths["topics_share"]) == (0, None, None)


def test_fill_over_a_period_window(session: Session) -> None:
    """The first quarter adds September's lesson and two marks: 7 marks on 5 × 5 cells."""
    tiny, _ = _october(session)
    row = _row(
        reports.fill_report(
            session, actor=tiny.actors["deputy"], window=_q1_window(session, tiny)
        ).rows,
        assignment_id=tiny.russian_5a.id,
    )
    assert (row["lessons_held"], row["students"], row["marks"]) == (5, 5, 7)
    assert row["fill_rate"] == pytest.approx(7 / 25)
    assert row["students_without_marks"] == 2  # Ёлкина has the «2», Белова and Жуков none


def test_a_work_due_within_a_lesson_is_on_time_until_the_next_lessons_day(
    session: Session,
) -> None:
    """A control work due by the next lesson: entered on the next lesson's day counts as on
    time, the day after that as late."""
    tiny = make_school(session)
    tiny.control.deadline_lessons = 1
    session.add(tiny.control)
    session.commit()
    work = add_lesson(session, tiny.russian_5a, D(2026, 10, 5), work_type=tiny.control)
    add_lesson(session, tiny.russian_5a, D(2026, 10, 7))
    s0, s1 = tiny.students[:2]
    _mark(session, tiny, work, s0, 4, at=_at(D(2026, 10, 7), 16), work_type=tiny.control)
    _mark(session, tiny, work, s1, 5, at=_at(D(2026, 10, 8), 10), work_type=tiny.control)
    row = _row(
        reports.fill_report(
            session, actor=tiny.actors["deputy"], window=_october_window(session, tiny)
        ).rows,
        assignment_id=tiny.russian_5a.id,
    )
    assert (row["marks"], row["marks_on_time"]) == (2, 1)


def test_the_fill_report_and_the_checklist_agree_on_a_late_evening_entry(
    session: Session,
) -> None:
    """A control work due by the next lesson, entered at 20:00 on that lesson's day: on time
    for the fill report (by the end of the day) exactly as for the checklist's «marks_late»."""
    from ejournal.domain.control.checklist import run_checklist

    tiny = make_school(session)
    tiny.control.deadline_lessons = 1
    session.add(tiny.control)
    session.commit()
    work = add_lesson(session, tiny.russian_5a, D(2026, 10, 5), work_type=tiny.control)
    add_lesson(session, tiny.russian_5a, D(2026, 10, 7))
    _mark(
        session, tiny, work, tiny.students[0], 4, at=_at(D(2026, 10, 7), 20), work_type=tiny.control
    )
    window = _october_window(session, tiny)
    row = _row(
        reports.fill_report(session, actor=tiny.actors["deputy"], window=window).rows,
        assignment_id=tiny.russian_5a.id,
    )
    late = run_checklist(
        session, actor=tiny.actors["deputy"], window=window, rules=frozenset({"marks_late"})
    )
    assert (row["marks"], row["marks_on_time"]) == (1, 1)
    assert late == []


def test_fill_by_teacher_says_who_takes_part(session: Session) -> None:
    """Smirnova entered marks; Kuznetsov held a maths lesson without any: 1 of 2 take part."""
    tiny, _ = _october(session)
    add_lesson(session, tiny.maths_5a, D(2026, 10, 6))
    report = reports.build_report(
        session,
        "fill_teachers",
        actor=tiny.actors["deputy"],
        window=_october_window(session, tiny),
    )
    smirnova = _row(report.rows, teacher_id=tiny.staff["russian"].id)
    assert (smirnova["takes_part"], smirnova["marks"], smirnova["lessons_held"]) == ("да", 5, 4)
    assert _row(report.rows, teacher_id=tiny.staff["maths"].id)["takes_part"] == "нет"
    # Volkova teaches only music (no marks): not counted either way.
    assert _row(report.rows, teacher_id=tiny.staff["class_teacher"].id)["takes_part"] == ""
    assert "1 из 2" in report.notes[0]


def test_filters_narrow_the_rows(session: Session) -> None:
    """Russian only: both Russian pages; Russian in 5 «А»: one; grade 1: the 1 «А» page."""
    tiny, _ = _october(session)
    window = _october_window(session, tiny)
    deputy = tiny.actors["deputy"]

    def ids(filters: Filters) -> set[int]:
        rows = reports.fill_report(session, actor=deputy, window=window, filters=filters).rows
        return {r["assignment_id"] for r in rows}

    assert ids(Filters()) == {
        tiny.russian_5a.id,
        tiny.maths_5a.id,
        tiny.music_5a.id,
        tiny.russian_1a.id,
    }
    assert ids(Filters(subject_id=tiny.russian.id)) == {tiny.russian_5a.id, tiny.russian_1a.id}
    assert ids(Filters(subject_id=tiny.russian.id, class_id=tiny.class5.id)) == {tiny.russian_5a.id}
    assert ids(Filters(grade=1)) == {tiny.russian_1a.id}
    assert ids(Filters(teacher_id=tiny.staff["maths"].id)) == {tiny.maths_5a.id}


def test_a_class_teacher_sees_only_their_class(session: Session) -> None:
    """Volkova (5 «А») gets 5 «А»'s three pages; Lebedeva (1 «А») only 1 «А»'s."""
    tiny, _ = _october(session)
    window = _october_window(session, tiny)
    five = reports.fill_report(session, actor=tiny.actors["class_teacher"], window=window)
    assert {r["class_id"] for r in five.rows} == {tiny.class5.id}
    assert len(five.rows) == 3
    one = reports.attendance_report(session, actor=tiny.actors["primary"], window=window)
    assert {r["class_id"] for r in one.rows} == {tiny.class1.id}


@pytest.mark.parametrize("who", ["parent", "student"])
@pytest.mark.parametrize(
    "name", ["fill", "participation", "progress", "attendance", "objectivity", "headline"]
)
def test_families_are_refused(session: Session, who: str, name: str) -> None:
    """A forged call from a parent or a student is refused."""
    tiny = make_school(session)
    window = _october_window(session, tiny)
    with pytest.raises(PermissionDenied):
        if name == "headline":
            reports.headline(session, actor=tiny.actors[who], window=window)
        else:
            reports.build_report(session, name, actor=tiny.actors[who], window=window)


def test_an_unknown_report_is_refused_with_the_names(session: Session) -> None:
    """An unknown name is a Russian error listing the reports."""
    tiny = make_school(session)
    with pytest.raises(DomainError) as error:
        reports.build_report(
            session, "fil", actor=tiny.actors["deputy"], window=_october_window(session, tiny)
        )
    assert "Нет отчёта «fil»" in error.value.message
    assert "fill" in error.value.message and "objectivity" in error.value.message


def test_fill_chart_data_gives_the_heat_map_cell_and_teacher_bar(session: Session) -> None:
    """One cell for 5 «А» × Русский язык at 5/20 and one bar for Smirnova."""
    tiny, _ = _october(session)
    frame = reports.fill_chart_data(
        session, actor=tiny.actors["deputy"], window=_october_window(session, tiny)
    )
    cells = frame[frame["level"] == "cell"]
    assert list(cells["class_name"]) == ["5 «А»"]
    assert list(cells["subject"]) == ["Русский язык"]
    assert cells["fill_rate"].iloc[0] == pytest.approx(0.25)
    bars = frame[frame["level"] == "teacher"]
    assert list(bars["teacher"]) == ["Смирнова А. П."]


# --------------------------------------------------------------------------- headline


def test_headline_compares_with_the_previous_month(session: Session) -> None:
    """October against September: fill 5/20 vs 2/4, on time 4/5 vs 2/2, attendance 17/20 vs
    4/4; успеваемость by the first quarter (ended 24 October) is 2 of 5, none in September."""
    tiny, _ = _october(session)
    _q1_marks(session, tiny)
    tiles = {
        t.key: t
        for t in reports.headline(
            session, actor=tiny.actors["deputy"], window=_october_window(session, tiny)
        )
    }
    assert [*tiles] == ["fill", "on_time", "progress", "quality", "attendance"]
    assert (tiles["fill"].value, tiles["fill"].previous) == (pytest.approx(0.25), 0.5)
    assert tiles["fill"].counts == "5 из 20"
    assert (tiles["on_time"].value, tiles["on_time"].previous) == (pytest.approx(0.8), 1.0)
    assert tiles["attendance"].value == pytest.approx(17 / 20)
    assert tiles["attendance"].previous == 1.0
    assert (tiles["progress"].value, tiles["progress"].previous) == (pytest.approx(0.4), None)
    assert tiles["quality"].value == pytest.approx(0.2)
    assert all(t.definition for t in tiles.values())


# --------------------------------------------------------------------------- progress


def _q1_marks(session: Session, tiny: TinySchool) -> None:
    """Q1 marks of 5 «А»: Григорьев 5/4, Андреев 3/4, Ёлкина 2/5, Белова Russian only, the
    newcomer none."""
    s0, s1, s2, s3 = tiny.students
    russian, maths = tiny.russian.id or 0, tiny.maths.id or 0
    _period_mark(session, tiny, s0, russian, 5, "учтены контрольные работы")
    _period_mark(session, tiny, s0, maths, 4)
    _period_mark(session, tiny, s1, russian, 3)
    _period_mark(session, tiny, s1, maths, 4)
    _period_mark(session, tiny, s2, russian, 2)
    _period_mark(session, tiny, s2, maths, 5)
    _period_mark(session, tiny, s3, russian, 4)


def test_progress_and_quality_of_a_class_for_a_quarter(session: Session) -> None:
    """Five students: three with all marks, two with none below 3, one on 4s and 5s."""
    tiny, _ = _october(session)
    _q1_marks(session, tiny)
    report = reports.progress_report(
        session, actor=tiny.actors["deputy"], window=_q1_window(session, tiny)
    )
    row = _row(report.rows, level="class", class_id=tiny.class5.id, period_id=tiny.q1.id)
    assert (row["students"], row["students_with_all_marks"]) == (5, 3)
    assert (row["progress_students"], row["quality_students"]) == (2, 1)
    assert (row["progress"], row["quality"]) == (pytest.approx(0.4), pytest.approx(0.2))
    # 1 «А» has no marks at all: it has no progress row.
    assert not [r for r in report.rows if r.get("class_id") == tiny.class1.id]
    russian = _row(report.rows, level="subject", assignment_id=tiny.russian_5a.id)
    assert (russian["students"], russian["progress_students"], russian["quality_students"]) == (
        5,
        3,
        2,
    )


def test_progress_draws_the_trend_over_the_years_periods(session: Session) -> None:
    """In the second quarter's window the class has a row for Q1 and one for Q2 (no marks yet)."""
    tiny, _ = _october(session)
    _q1_marks(session, tiny)
    q2 = period_window(session, tiny.school.id or 0, tiny.quarters[1].id or 0, on=D(2026, 11, 20))
    rows = reports.progress_report(session, actor=tiny.actors["deputy"], window=q2).rows
    trend = [r for r in rows if r["level"] == "class"]
    assert [r["period"] for r in trend] == ["1 четверть", "2 четверть"]
    assert [r["progress_students"] for r in trend] == [2, 0]


# --------------------------------------------------------------------------- attendance


def test_attendance_of_a_class_and_its_students_over_the_limit(session: Session) -> None:
    """20 lesson places, 3 absences (2 unexcused), 1 late; Белова missed 2 of 4 (over 30 %),
    Жуков 1 of 4 (not)."""
    tiny, _ = _october(session)
    rows = reports.attendance_report(
        session, actor=tiny.actors["deputy"], window=_october_window(session, tiny)
    ).rows
    five = _row(rows, level="class", class_id=tiny.class5.id)
    assert (five["students"], five["lessons_possible"]) == (5, 20)
    assert (five["absences"], five["unexcused"], five["late"]) == (3, 2, 1)
    assert five["attended_share"] == pytest.approx(17 / 20)
    assert five["students_over_limit"] == 1
    over = [r for r in rows if r["level"] == "student"]
    assert [(r["student_id"], r["absences"], r["lessons_possible"]) for r in over] == [
        (tiny.students[3].id, 2, 4)
    ]


# --------------------------------------------------------------------------- participation


def test_participation_counts_who_opened_the_diary_in_the_window(session: Session) -> None:
    """The parent logged in in October, the student only in September; Smirnova logged in on
    12 October."""
    tiny, _ = _october(session)
    for actor, day in [("parent", D(2026, 10, 10)), ("student", D(2026, 9, 20))]:
        session.add(
            LoginEvent(
                user_id=tiny.actors[actor].user_id, login=actor, kind="success", at=_at(day, 19)
            )
        )
    session.add(
        LoginEvent(
            user_id=tiny.actors["russian"].user_id,
            login="smirnova",
            kind="success",
            at=_at(D(2026, 10, 12), 8),
        )
    )
    session.commit()
    rows = reports.participation_report(
        session, actor=tiny.actors["deputy"], window=_october_window(session, tiny)
    ).rows
    five = _row(rows, level="class", class_id=tiny.class5.id)
    assert (five["students"], five["students_with_account"], five["students_active"]) == (5, 1, 0)
    assert (five["parents"], five["parents_active"], five["parents_share"]) == (1, 1, 1.0)
    smirnova = _row(rows, level="teacher", teacher_id=tiny.staff["russian"].id)
    assert smirnova["last_seen"] == _at(D(2026, 10, 12), 8)
    assert (smirnova["logins"], smirnova["active"]) == (1, "да")
    kuznetsov = _row(rows, level="teacher", teacher_id=tiny.staff["maths"].id)
    assert (kuznetsov["last_seen"], kuznetsov["active"]) == (None, "нет")


# --------------------------------------------------------------------------- objectivity


def test_objectivity_compares_period_marks_with_the_suggested_ones(session: Session) -> None:
    """Q1 Russian in 5 «А»: Григорьев 4.25 → 4 but got 5 (justified), Андреев 4 → 3, Ёлкина
    2 → 2, Белова has no current marks; colleagues in 5 «Б» gave only 3s."""
    tiny, _ = _october(session)
    _q1_marks(session, tiny)
    class5b = ClassGroup(
        school_id=tiny.school.id or 0, year_id=tiny.year.id or 0, grade=5, letter="Б"
    )
    session.add(class5b)
    session.flush()
    page_b = TeachingAssignment(
        year_id=tiny.year.id or 0,
        teacher_id=tiny.staff["maths"].id or 0,
        class_id=class5b.id or 0,
        subject_id=tiny.russian.id or 0,
        hours_per_week=Decimal("5"),
    )
    session.add(page_b)
    session.commit()
    pupil = add_student(session, class5b, "Зайцев", "Зиновий")
    lesson_b = add_lesson(session, page_b, D(2026, 10, 5))
    _mark(session, tiny, lesson_b, pupil, 3)
    _mark(session, tiny, add_lesson(session, page_b, D(2026, 10, 6)), pupil, 3)

    report = reports.objectivity_report(
        session, actor=tiny.actors["deputy"], window=_q1_window(session, tiny)
    )
    row = _row(report.rows, assignment_id=tiny.russian_5a.id)
    assert row["period_id"] == tiny.q1.id
    assert row["period_marks"] == 4
    assert (row["equal"], row["raised"], row["lowered"]) == (1, 1, 1)
    assert (row["without_suggestion"], row["departures_justified"]) == (1, 1)
    # Current marks 5,4 (September) and 5,4,3,4,2 (October): two 5s of seven.
    assert row["current_marks"] == 7
    assert row["share_5"] == pytest.approx(2 / 7)
    assert row["share_2"] == pytest.approx(1 / 7)
    assert row["average"] == pytest.approx(3.86)
    assert row["control_average"] == pytest.approx(2.0)
    assert row["peers_share_3"] == pytest.approx(1.0)
    assert row["peers_average"] == pytest.approx(3.0)
    other = _row(report.rows, assignment_id=page_b.id)
    assert other["peers_share_5"] == pytest.approx(2 / 7)  # 5 «А» is 5 «Б»'s colleague
