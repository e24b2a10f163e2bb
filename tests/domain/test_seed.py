"""The demo school generator: deterministic, realistic, and within the journal's rules."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ejournal.domain import audit
from ejournal.domain.grading import suggested_period_mark, weighted_average
from ejournal.domain.models import Mark
from ejournal.domain.seed import MAIN_LOGINS, credentials_banner, run_seed
from ejournal.domain.seed.names import feminine_surname
from ejournal.domain.seed.store import tables
from tests import conftest
from tests.conftest import BACKENDS, SEEDED_TODAY, dispose_database, new_database

pytestmark = pytest.mark.db
SEEDED_NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def rows(session: Session, sql: str, **params: object) -> list[tuple]:
    return [tuple(r) for r in session.execute(text(sql), params)]


def as_date(value: object) -> dt.date:
    """Raw SQL gives ISO strings for dates on SQLite and dates on PostgreSQL."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def scalar(session: Session, sql: str, **params: object) -> object:
    return session.execute(text(sql), params).scalar()


def _seed(tmp: Path, seed: int) -> conftest.TestDatabase:
    db = new_database("sqlite", tmp)
    from ejournal.domain import migrate

    migrate.upgrade(db.engine)
    with contextlib.redirect_stdout(io.StringIO()):
        run_seed(db.engine, size="small", seed=seed, today=SEEDED_TODAY, credentials_path=None)
    return db


def _dump(db: conftest.TestDatabase) -> dict[str, list[tuple]]:
    """Every table's rows in id order, without bcrypt hashes (their salts are random)."""
    dump: dict[str, list[tuple]] = {}
    with Session(db.engine) as session:
        for table in tables():
            if table.name == "audit_log":  # written at the real time of seeding
                continue
            columns = [c for c in table.columns if c.name != "password_hash"]
            query = select(*columns).order_by(table.c.id)
            dump[table.name] = [tuple(r) for r in session.execute(query)]
    return dump


# --------------------------------------------------------------------------- determinism


def test_the_same_seed_gives_identical_data(tmp_path):
    """Two small seeds with one seed into two fresh databases give the same rows."""
    first, second = _seed(tmp_path, 11), _seed(tmp_path, 11)
    try:
        a, b = _dump(first), _dump(second)
        assert a["mark"], "the seed wrote no marks"
        for name in a:
            assert a[name] == b[name], f"table {name} differs"
    finally:
        dispose_database(first)
        dispose_database(second)


def test_a_different_seed_gives_different_people(tmp_path):
    """Another seed gives other student names."""
    first, second = _seed(tmp_path, 11), _seed(tmp_path, 12)
    try:
        query = "SELECT last_name, first_name, middle_name FROM student ORDER BY id"
        with Session(first.engine) as s1, Session(second.engine) as s2:
            assert rows(s1, query) != rows(s2, query)
    finally:
        dispose_database(first)
        dispose_database(second)


# --------------------------------------------------------------------------- timetable

SLOTS = """
SELECT ts.weekday, ts.number, ts.room, ta.teacher_id, ta.class_id, ta.subgroup_id,
       ta.subject_id
FROM timetable_slot ts JOIN teaching_assignment ta ON ta.id = ts.assignment_id
"""


def test_no_teacher_is_double_booked(seeded_session):
    """A teacher has at most one lesson at any weekday and lesson number."""
    busy = Counter((r[3], r[0], r[1]) for r in rows(seeded_session, SLOTS))
    assert busy and max(busy.values()) == 1


def test_no_room_is_double_booked(seeded_session):
    """A room holds at most one lesson at any weekday and lesson number."""
    busy = Counter((r[2], r[0], r[1]) for r in rows(seeded_session, SLOTS))
    assert busy and max(busy.values()) == 1


def test_a_class_has_one_lesson_at_a_time_or_its_subgroups_in_parallel(seeded_session):
    """At one time a class has a single whole-class lesson, or its subgroups of one subject."""
    at: dict[tuple, list[tuple]] = defaultdict(list)
    for weekday, number, _, _, class_id, subgroup_id, subject_id in rows(seeded_session, SLOTS):
        at[(class_id, weekday, number)].append((subgroup_id, subject_id))
    for lessons in at.values():
        if len(lessons) > 1:
            assert all(sub is not None for sub, _ in lessons)
            assert len({subject for _, subject in lessons}) == 1
            assert len({sub for sub, _ in lessons}) == len(lessons)


def test_class_days_start_at_lesson_one_without_gaps(seeded_session):
    """Every class day runs from lesson 1 with no empty lesson in between."""
    numbers: dict[tuple, set[int]] = defaultdict(set)
    for weekday, number, _, _, class_id, _, _ in rows(seeded_session, SLOTS):
        numbers[(class_id, weekday)].add(number)
    assert len({class_id for class_id, _ in numbers}) == 3
    for day in numbers.values():
        assert day == set(range(1, max(day) + 1))


def test_a_subject_has_at_most_two_lessons_a_day(seeded_session):
    """No class has one subject more than twice a day."""
    count = Counter(
        (class_id, weekday, subject_id, subgroup_id)
        for weekday, _, _, _, class_id, subgroup_id, subject_id in rows(seeded_session, SLOTS)
    )
    assert max(count.values()) <= 2


def test_primary_teachers_teach_most_subjects_of_their_class(seeded_session):
    """The grade 1 class teacher teaches all its hours but English and PE."""
    total, own = rows(
        seeded_session,
        """SELECT SUM(ta.hours_per_week),
                  SUM(CASE WHEN ta.teacher_id = cg.class_teacher_id THEN ta.hours_per_week END)
           FROM teaching_assignment ta JOIN class_group cg ON cg.id = ta.class_id
           WHERE cg.grade = 1""",
    )[0]
    assert own >= total - 3 and own >= 18


# --------------------------------------------------------------------------- lessons


def test_lessons_skip_weekends_and_holidays(seeded_session):
    """No lesson falls on a Saturday, a Sunday or a holiday of its grade."""
    lessons = rows(
        seeded_session,
        """SELECT l.date, cg.grade FROM lesson l
           JOIN teaching_assignment ta ON ta.id = l.assignment_id
           JOIN class_group cg ON cg.id = ta.class_id""",
    )
    holidays = [
        (as_date(a), as_date(b), g1, g2)
        for a, b, g1, g2 in rows(
            seeded_session, "SELECT starts_on, ends_on, grade_from, grade_to FROM holiday"
        )
    ]
    lessons = [(as_date(day), grade) for day, grade in lessons]
    assert lessons
    for day, grade in lessons:
        assert day.isoweekday() <= 5
        assert not any(a <= day <= b and g1 <= grade <= g2 for a, b, g1, g2 in holidays)
    assert max(day for day, _ in lessons) == SEEDED_TODAY


def test_lesson_topics_follow_the_thematic_plan_in_order(seeded_session):
    """Within an assignment, lessons take КТП items in increasing number."""
    items = rows(
        seeded_session,
        """SELECT l.assignment_id, p.number FROM lesson l
           JOIN thematic_plan_item p ON p.id = l.plan_item_id
           ORDER BY l.assignment_id, l.date, l.number""",
    )
    by_assignment: dict[int, list[int]] = defaultdict(list)
    for assignment_id, number in items:
        by_assignment[assignment_id].append(number)
    assert by_assignment
    for numbers in by_assignment.values():
        assert numbers == sorted(numbers)


def test_grade_one_lessons_have_no_homework(seeded_session):
    """Grade 1 gets no homework; older grades do."""
    homework = dict(
        rows(
            seeded_session,
            """SELECT cg.grade = 1, SUM(CASE WHEN l.homework <> '' THEN 1 ELSE 0 END)
               FROM lesson l JOIN teaching_assignment ta ON ta.id = l.assignment_id
               JOIN class_group cg ON cg.id = ta.class_id GROUP BY cg.grade = 1""",
        )
    )
    assert homework[True] == 0
    assert homework[False] > 0


def test_no_homework_on_purpose_is_a_flag_not_text(seeded_session):
    """Grade 1 and «не задано» lessons carry the flag and no text; a forgotten homework has
    neither, so the checklist can tell it from «не задано»."""
    kinds = {
        kind: (int(n), int(flagged))
        for kind, n, flagged in rows(
            seeded_session,
            """SELECT CASE WHEN cg.grade = 1 THEN 'first' WHEN l.homework <> '' THEN 'text'
                           WHEN l.homework_none THEN 'none' ELSE 'forgotten' END,
                      COUNT(*), SUM(CASE WHEN l.homework_none THEN 1 ELSE 0 END)
               FROM lesson l JOIN teaching_assignment ta ON ta.id = l.assignment_id
               JOIN class_group cg ON cg.id = ta.class_id GROUP BY 1""",
        )
    }
    assert kinds["first"][0] > 0 and kinds["first"][0] == kinds["first"][1]
    assert kinds["text"][1] == 0
    assert kinds["none"][0] > 0 and kinds["forgotten"][0] > 0
    assert scalar(seeded_session, "SELECT COUNT(*) FROM lesson WHERE homework = 'не задано'") == 0


def test_attendance_is_taken_with_the_first_absence_and_mostly_after_the_lesson(
    seeded_session,
):
    """A lesson with an absence was taken at its first absence; only a few held lessons of
    the careless teachers, none with an absence, have no attendance taken."""
    with_absence = rows(
        seeded_session,
        """SELECT l.attendance_taken_at, MIN(a.created_at) FROM lesson l
           JOIN attendance a ON a.lesson_id = l.id GROUP BY l.id, l.attendance_taken_at""",
    )
    assert with_absence
    assert all(str(taken) == str(first) for taken, first in with_absence)
    total = scalar(seeded_session, "SELECT COUNT(*) FROM lesson WHERE NOT cancelled")
    missing = scalar(
        seeded_session,
        "SELECT COUNT(*) FROM lesson WHERE attendance_taken_at IS NULL AND NOT cancelled",
    )
    assert isinstance(total, int) and isinstance(missing, int)
    assert 0 < missing < total * 0.05
    teachers = scalar(
        seeded_session,
        """SELECT COUNT(DISTINCT ta.teacher_id) FROM lesson l
           JOIN teaching_assignment ta ON ta.id = l.assignment_id
           WHERE l.attendance_taken_at IS NULL AND NOT l.cancelled""",
    )
    assert teachers in (1, 2)


def test_an_ill_teachers_week_of_lessons_is_cancelled(seeded_session):
    """One teacher (not the demo teacher) was away for a week in October: those lessons are
    cancelled, with no topic, КТП line, attendance or marks; no lesson of today is."""
    cancelled = rows(
        seeded_session,
        """SELECT l.id, l.date, ta.teacher_id, l.topic, l.plan_item_id, l.attendance_taken_at
           FROM lesson l JOIN teaching_assignment ta ON ta.id = l.assignment_id
           WHERE l.cancelled""",
    )
    assert cancelled
    assert len({teacher for _, _, teacher, *_ in cancelled}) == 1
    days = {as_date(day) for _, day, *_ in cancelled}
    assert dt.date(2026, 10, 5) <= min(days) and max(days) <= dt.date(2026, 10, 9)
    assert all(
        topic == "" and plan is None and taken is None for *_, topic, plan, taken in cancelled
    )
    teacher = cancelled[0][2]
    demo = scalar(
        seeded_session,
        """SELECT st.id FROM staff st JOIN app_user u ON u.id = st.user_id
           WHERE u.login = 'teacher'""",
    )
    assert teacher != demo
    # Every lesson of that teacher that week is cancelled, and nothing was recorded there.
    held_that_week = scalar(
        seeded_session,
        """SELECT COUNT(*) FROM lesson l JOIN teaching_assignment ta ON ta.id = l.assignment_id
           WHERE ta.teacher_id = :t AND l.date BETWEEN :a AND :b AND NOT l.cancelled""",
        t=teacher,
        a=dt.date(2026, 10, 5),
        b=dt.date(2026, 10, 9),
    )
    assert held_that_week == 0
    recorded = scalar(
        seeded_session,
        """SELECT (SELECT COUNT(*) FROM mark m JOIN lesson l ON l.id = m.lesson_id
                   WHERE l.cancelled)
                + (SELECT COUNT(*) FROM attendance a JOIN lesson l ON l.id = a.lesson_id
                   WHERE l.cancelled)""",
    )
    assert recorded == 0


def test_one_planned_control_work_gave_way_to_revision(seeded_session):
    """A teacher used the lesson planned for the year's first control work for revision: the
    lesson has the revision topic, no work type and no КТП line, and that control line of the
    КТП is linked to no lesson."""
    revision = rows(
        seeded_session,
        """SELECT l.assignment_id, l.work_type_id, l.plan_item_id FROM lesson l
           WHERE l.topic = 'Повторение и обобщение изученного' AND NOT l.cancelled""",
    )
    assert revision
    assert all(wt is None and plan is None for _, wt, plan in revision)
    orphans = scalar(
        seeded_session,
        """SELECT COUNT(*) FROM thematic_plan_item p JOIN work_type wt ON wt.id = p.work_type_id
           WHERE wt.is_control AND p.planned_on <= :today
             AND NOT EXISTS (SELECT 1 FROM lesson l WHERE l.plan_item_id = p.id)
             AND p.assignment_id IN (SELECT l.assignment_id FROM lesson l
                                     WHERE l.topic = 'Повторение и обобщение изученного')""",
        today=SEEDED_TODAY,
    )
    assert isinstance(orphans, int) and orphans >= len(revision)


# --------------------------------------------------------------------------- marks

MARKS = """
SELECT m.student_id, m.lesson_id, m.slot, m.value, cg.grade, s.marked, s.allows_two_marks,
       wt.allows_two_marks, m.weight, wt.weight, m.author_id, st.user_id
FROM mark m JOIN lesson l ON l.id = m.lesson_id
JOIN teaching_assignment ta ON ta.id = l.assignment_id
JOIN class_group cg ON cg.id = ta.class_id
JOIN subject s ON s.id = ta.subject_id
JOIN staff st ON st.id = ta.teacher_id
LEFT JOIN work_type wt ON wt.id = m.work_type_id
"""


def test_no_marks_in_grade_one_or_unmarked_subjects(seeded_session):
    """Marks exist, but none in grade 1 and none in subjects taught without marks."""
    marks = rows(seeded_session, MARKS)
    assert marks
    assert all(grade >= 2 and marked for _, _, _, _, grade, marked, *_ in marks)


def test_a_second_mark_only_where_subject_and_work_type_allow_it(seeded_session):
    """Slot 2 appears only in two-mark subjects for two-mark work types, and it appears."""
    second = [r for r in rows(seeded_session, MARKS) if r[2] == 2]
    assert second
    for r in second:
        subject_allows, work_type_allows = r[6], r[7]
        assert subject_allows and work_type_allows


def test_marks_carry_the_work_type_weight_and_the_teacher_as_author(seeded_session):
    """Every mark's weight is its work type's weight and its author the lesson's teacher."""
    for r in rows(seeded_session, MARKS):
        assert r[8] == r[9]
        assert r[10] == r[11]


def test_a_mark_and_an_absence_never_share_a_cell(seeded_session):
    """No student has both a mark and «н» at one lesson."""
    clash = scalar(
        seeded_session,
        """SELECT COUNT(*) FROM mark m JOIN attendance a
           ON a.student_id = m.student_id AND a.lesson_id = m.lesson_id
           WHERE a.status IN ('absent', 'excused')""",
    )
    assert clash == 0


def test_control_lessons_have_a_mark_for_every_present_student(seeded_session):
    """At a control lesson every enrolled, present member of the class or group is marked."""
    lessons = rows(
        seeded_session,
        """SELECT l.id, l.date, ta.class_id, ta.subgroup_id, ta.teacher_id FROM lesson l
           JOIN work_type wt ON wt.id = l.work_type_id
           JOIN teaching_assignment ta ON ta.id = l.assignment_id
           JOIN staff st ON st.id = ta.teacher_id
           WHERE wt.is_control""",
    )
    assert lessons
    gaps: Counter[int] = Counter()  # lesson → students present there without a mark
    gap_teachers: set[int] = set()
    for lesson_id, day, class_id, subgroup_id, teacher_id in lessons:
        if subgroup_id is None:
            members = rows(
                seeded_session,
                """SELECT student_id FROM enrolment WHERE class_id = :c AND starts_on <= :d
                   AND (ends_on IS NULL OR ends_on >= :d)""",
                c=class_id,
                d=day,
            )
        else:
            members = rows(
                seeded_session,
                """SELECT sm.student_id FROM subgroup_member sm JOIN enrolment e
                   ON e.student_id = sm.student_id WHERE sm.subgroup_id = :g
                   AND e.starts_on <= :d AND (e.ends_on IS NULL OR e.ends_on >= :d)""",
                g=subgroup_id,
                d=day,
            )
        away = rows(
            seeded_session,
            "SELECT student_id FROM attendance WHERE lesson_id = :l AND status <> 'late'",
            l=lesson_id,
        )
        marked = rows(
            seeded_session, "SELECT student_id FROM mark WHERE lesson_id = :l", l=lesson_id
        )
        unmarked = len(set(members) - set(away) - set(marked))
        if unmarked:
            gaps[lesson_id] = unmarked
            gap_teachers.add(teacher_id)
    # The deliberate gaps (control-report findings): a teacher who never marked one student,
    # and two careless teachers who left one present student unmarked at every other control
    # work; at most two students a lesson, never most of the control works.
    assert 0 < len(gaps) <= len(lessons) // 2
    assert max(gaps.values()) <= 2
    assert len(gap_teachers) <= 2


def test_a_two_is_usually_followed_by_a_reassessment(seeded_session):
    """Most 2s are followed by another mark of the student within the next two lessons."""
    marks = rows(
        seeded_session,
        """SELECT l.assignment_id, m.student_id, l.date, l.number, m.value FROM mark m
           JOIN lesson l ON l.id = m.lesson_id WHERE m.slot = 1""",
    )
    lessons = rows(seeded_session, "SELECT assignment_id, date, number FROM lesson")
    order: dict[int, list[tuple]] = defaultdict(list)
    for assignment_id, day, number in lessons:
        order[assignment_id].append((day, number))
    position = {}
    for assignment_id, items in order.items():
        for i, key in enumerate(sorted(items)):
            position[(assignment_id, *key)] = i
    marked_at = {(a, s, position[(a, d, n)]) for a, s, d, n, _ in marks}
    last = {a: len(items) - 1 for a, items in order.items()}
    followed = total = 0
    for a, s, d, n, value in marks:
        i = position[(a, d, n)]
        if value != 2 or i + 2 > last[a]:
            continue
        total += 1
        followed += (a, s, i + 1) in marked_at or (a, s, i + 2) in marked_at
    assert total > 0
    assert followed / total >= 0.6


@pytest.mark.parametrize(
    ("value", "slot"), [(0, 1), (6, 1), (4, 3)], ids=["value-0", "value-6", "slot-3"]
)
def test_the_database_refuses_an_invalid_mark(seeded_session, value, slot):
    """A mark outside 1–5 or in a slot other than 1–2 is refused by the database."""
    student_id, lesson_id, author_id = rows(
        seeded_session, "SELECT student_id, lesson_id, author_id FROM mark LIMIT 1"
    )[0]
    with pytest.raises(IntegrityError):
        seeded_session.execute(
            insert(Mark.__table__).values(  # type: ignore[arg-type]
                student_id=student_id,
                lesson_id=lesson_id,
                slot=slot,
                value=value,
                weight=1,
                comment="",
                author_id=author_id,
                created_at=SEEDED_NOW,
                updated_at=SEEDED_NOW,
                version=1,
            )
        )


def test_the_database_refuses_a_second_mark_in_the_same_slot(seeded_session):
    """A duplicate student × lesson × slot is refused by the database."""
    student_id, lesson_id, slot, author_id = rows(
        seeded_session, "SELECT student_id, lesson_id, slot, author_id FROM mark LIMIT 1"
    )[0]
    with pytest.raises(IntegrityError):
        seeded_session.execute(
            insert(Mark.__table__).values(  # type: ignore[arg-type]
                student_id=student_id,
                lesson_id=lesson_id,
                slot=slot,
                value=4,
                weight=1,
                comment="",
                author_id=author_id,
                created_at=SEEDED_NOW,
                updated_at=SEEDED_NOW,
                version=1,
            )
        )


# --------------------------------------------------------------------------- attendance, periods


def test_absences_are_between_five_and_eight_percent(seeded_session):
    """Absences (with or without a valid reason) are 5–8% of the student-lessons held."""
    held = scalar(
        seeded_session,
        """SELECT COUNT(*) FROM lesson l JOIN teaching_assignment ta ON ta.id = l.assignment_id
           JOIN enrolment e ON e.class_id = ta.class_id AND e.starts_on <= l.date
                AND (e.ends_on IS NULL OR e.ends_on >= l.date)
           WHERE ta.subgroup_id IS NULL OR EXISTS (SELECT 1 FROM subgroup_member sm
                 WHERE sm.subgroup_id = ta.subgroup_id AND sm.student_id = e.student_id)""",
    )
    statuses = dict(rows(seeded_session, "SELECT status, COUNT(*) FROM attendance GROUP BY status"))
    absent = statuses.get("absent", 0) + statuses.get("excused", 0)
    assert 0.05 <= absent / held <= 0.08
    assert statuses.get("excused", 0) > 0
    assert statuses.get("late", 0) > 0


def test_excused_absences_carry_a_reason(seeded_session):
    """Every absence with a valid reason names it."""
    empty = scalar(
        seeded_session, "SELECT COUNT(*) FROM attendance WHERE status = 'excused' AND reason = ''"
    )
    assert empty == 0


def test_period_marks_exist_only_for_closed_periods(seeded_session):
    """Period marks are set for the first quarter (closed) and none for open periods."""
    by_period = dict(
        rows(
            seeded_session,
            """SELECT p.ends_on < :today, COUNT(pm.id) FROM period p
               LEFT JOIN period_mark pm ON pm.period_id = p.id GROUP BY p.ends_on < :today""",
            today=SEEDED_TODAY,
        )
    )
    assert by_period[True] > 0
    assert by_period[False] == 0


# --------------------------------------------------------------------------- people


def test_names_have_matching_gender_forms(seeded_session):
    """Women's patronymics end in -овна/-евна/-ична, men's in -вич/-ич; surnames agree."""
    people = rows(
        seeded_session,
        """SELECT last_name, middle_name, gender FROM student
           UNION ALL SELECT last_name, middle_name, gender FROM parent
           UNION ALL SELECT last_name, middle_name, gender FROM staff""",
    )
    assert people
    for last, middle, gender in people:
        if gender == "f":
            assert middle.endswith(("овна", "евна", "ична")), middle
            assert not last.endswith(("ов", "ев", "ёв", "ин", "ский")), last
        else:
            assert middle.endswith(("вич", "ич")) and not middle.endswith("ична"), middle
            assert not last.endswith(("ова", "ева", "ёва", "ина", "ская")), last


def test_feminine_surnames_follow_the_ending():
    """-ов → -ова, -ский → -ская, -ин → -ина, -ой → -ая; Ким and Шевчук stay."""
    assert feminine_surname("Иванов") == "Иванова"
    assert feminine_surname("Островский") == "Островская"
    assert feminine_surname("Никитин") == "Никитина"
    assert feminine_surname("Толстой") == "Толстая"
    assert feminine_surname("Ким") == "Ким"
    assert feminine_surname("Шевчук") == "Шевчук"


def _credentials(db: conftest.TestDatabase) -> dict[str, dict[str, str]]:
    assert db.credentials is not None
    with db.credentials.open(encoding="utf-8-sig", newline="") as handle:
        return {row["login"]: row for row in csv.DictReader(handle)}


def test_the_credentials_file_lists_every_user_and_the_demo_logins(seeded_db, seeded_session):
    """Every user is in the CSV (BOM, the five columns), with the fixed demo logins."""
    creds = _credentials(seeded_db)
    logins = {login for (login,) in rows(seeded_session, "SELECT login FROM app_user")}
    assert set(creds) == logins
    assert set(MAIN_LOGINS) <= logins
    assert seeded_db.credentials.read_bytes().startswith(b"\xef\xbb\xbfrole,login,password")


def test_the_demo_parent_has_two_children_in_different_classes(seeded_session):
    """The `parent` login is linked to two children of two classes."""
    classes = rows(
        seeded_session,
        """SELECT s.class_id FROM parent_link pl JOIN parent p ON p.id = pl.parent_id
           JOIN app_user u ON u.id = p.user_id JOIN student s ON s.id = pl.student_id
           WHERE u.login = 'parent'""",
    )
    assert len(classes) == 2 and classes[0] != classes[1]


def test_the_demo_student_is_in_grade_seven_or_above(seeded_session):
    """The `student` login belongs to a student of grade 7 or above."""
    grade = scalar(
        seeded_session,
        """SELECT cg.grade FROM student s JOIN app_user u ON u.id = s.user_id
           JOIN class_group cg ON cg.id = s.class_id WHERE u.login = 'student'""",
    )
    assert grade >= 7


def test_the_demo_teacher_teaches_on_the_seed_day(seeded_session):
    """The `teacher` login has lessons on `today` (a Monday)."""
    count = scalar(
        seeded_session,
        """SELECT COUNT(*) FROM lesson l JOIN teaching_assignment ta ON ta.id = l.assignment_id
           JOIN staff st ON st.id = ta.teacher_id JOIN app_user u ON u.id = st.user_id
           WHERE u.login = 'teacher' AND l.date = :today""",
        today=SEEDED_TODAY,
    )
    assert count > 0


def test_the_demo_class_teacher_leads_a_grade_five_class_and_teaches_it(seeded_session):
    """`classteacher` holds both roles for a grade 5 class whose lessons they teach."""
    grants = rows(
        seeded_session,
        """SELECT rg.role, cg.grade FROM role_grant rg JOIN app_user u ON u.id = rg.user_id
           LEFT JOIN class_group cg ON cg.id = rg.class_id WHERE u.login = 'classteacher'""",
    )
    assert sorted(grants, key=str) == sorted([("class_teacher", 5), ("teacher", None)], key=str)


def test_every_user_must_change_the_one_time_password(seeded_session):
    """All seeded accounts start with a one-time password."""
    assert (
        scalar(seeded_session, "SELECT COUNT(*) FROM app_user WHERE NOT must_change_password") == 0
    )


def test_some_families_log_in_weekly_and_some_never(seeded_session):
    """Login history exists for most parents, but a few have never logged in."""
    parents, active = rows(
        seeded_session,
        """SELECT COUNT(DISTINCT p.id), COUNT(DISTINCT le.user_id) FROM parent p
           LEFT JOIN login_event le ON le.user_id = p.user_id""",
    )[0]
    assert 0.5 * parents < active < parents


def test_the_audit_chain_of_the_seed_is_valid(seeded_session):
    """The seed writes an audit row per school and the chain verifies."""
    checked, broken = audit.verify_chain(seeded_session)
    assert checked >= 1
    assert broken is None


# --------------------------------------------------------------------------- the banner


def test_the_banner_shows_the_address_the_logins_and_the_file(seeded_db):
    """The banner names the URL, every main login with its password, and the CSV."""
    banner = credentials_banner(seeded_db.credentials, port=3123)
    creds = _credentials(seeded_db)
    assert "http://localhost:3123/" in banner
    assert str(seeded_db.credentials) in banner
    for login in MAIN_LOGINS:
        assert login in banner and creds[login]["password"] in banner


def test_the_banner_without_a_file_says_where_the_logins_will_be(tmp_path):
    """Before seeding the banner points to the CSV to come."""
    banner = credentials_banner(tmp_path / "demo-credentials.csv", port=3000)
    assert "http://localhost:3000/" in banner
    assert "demo-credentials.csv" in banner


@pytest.mark.parametrize("empty_db", BACKENDS, indirect=True)
def test_replace_empties_the_database_first(empty_db):
    """Seeding twice with replace=True leaves one school, not two."""
    from ejournal.domain import migrate

    migrate.upgrade(empty_db.engine)
    with contextlib.redirect_stdout(io.StringIO()):
        for seed in (1, 2):
            run_seed(empty_db.engine, size="small", seed=seed, today=SEEDED_TODAY,
                     credentials_path=None, replace=True)  # fmt: skip
    with Session(empty_db.engine) as session:
        assert scalar(session, "SELECT COUNT(*) FROM school") == 1


def test_seeded_period_marks_follow_the_journals_suggestion_unless_justified(seeded_session):
    """An unjustified seeded period mark is exactly what the journal suggests from the marks."""
    school = rows(seeded_session, "SELECT round_to_5, round_to_4, round_to_3 FROM school")[0]
    to5, to4, to3 = (Decimal(str(v)) for v in school)
    checked = 0
    for student_id, subject_id, starts_on, ends_on, value, justification in rows(
        seeded_session,
        """SELECT pm.student_id, pm.subject_id, p.starts_on, p.ends_on, pm.value, pm.justification
           FROM period_mark pm JOIN period p ON p.id = pm.period_id""",
    ):
        marks = [
            (v, Decimal(str(w)))
            for v, w, d in rows(
                seeded_session,
                """SELECT m.value, m.weight, l.date FROM mark m
                   JOIN lesson l ON l.id = m.lesson_id
                   JOIN teaching_assignment a ON a.id = l.assignment_id
                   WHERE m.student_id = :s AND a.subject_id = :subj""",
                s=student_id,
                subj=subject_id,
            )
            if as_date(starts_on) <= as_date(d) <= as_date(ends_on)
        ]
        suggested = suggested_period_mark(
            weighted_average(marks), round_to_5=to5, round_to_4=to4, round_to_3=to3
        )
        if justification:
            assert value != suggested
        else:
            assert value == suggested
        checked += 1
    assert checked > 0


def test_a_family_that_refused_consent_has_no_working_diary_account(seeded_session):
    """Refusals are per family: every parent of it refused, and the family's parent and
    student accounts are blocked (paper copies instead); everyone else consented."""
    rows_ = seeded_session.exec(
        text(
            "SELECT c.student_id, c.given, pu.is_active, su.is_active FROM consent c "
            "JOIN parent p ON p.id = c.parent_id JOIN app_user pu ON pu.id = p.user_id "
            "JOIN student s ON s.id = c.student_id JOIN app_user su ON su.id = s.user_id"
        )
    ).all()
    by_student: dict[int, set[bool]] = {}
    for student_id, given, parent_active, student_active in rows_:
        by_student.setdefault(student_id, set()).add(bool(given))
        if given:
            assert parent_active
        else:
            assert not parent_active and not student_active
    assert all(len(v) == 1 for v in by_student.values())  # never half a family
    refused = [s for s, v in by_student.items() if v == {False}]
    assert 0 < len(refused) < len(by_student) * 0.2
