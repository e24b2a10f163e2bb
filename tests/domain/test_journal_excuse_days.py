"""The class teacher excuses a student's absences over several days with one reason."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, col, select

from ejournal.domain.errors import ConflictError, PermissionDenied, ValidationError
from ejournal.domain.journal import (
    absences_between,
    class_students,
    excuse_absence,
    excuse_absences,
    set_cell,
)
from ejournal.domain.models import Attendance, AuditLog, Lesson
from tests.factories import NOW, D, TinySchool, add_lesson, make_school

pytestmark = pytest.mark.db

FROM, TO = D(2026, 10, 13), D(2026, 10, 14)


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


def _absent(
    session: Session, tiny: TinySchool, lesson: Lesson, index: int = 0, text: str = "н"
) -> None:
    who = "maths" if lesson.assignment_id == tiny.maths_5a.id else "russian"
    set_cell(
        session,
        actor=tiny.actors[who],
        lesson_id=lesson.id or 0,
        student_id=tiny.students[index].id or 0,
        text=text,
        expected_version=None,
        now=NOW,
        reason="ввод за прошлые уроки",
    )


@pytest.fixture()
def sick(session: Session, tiny: TinySchool) -> dict[str, Lesson]:
    """Григорьев (students[0]) ill on 13 and 14 October: Russian 1st and maths 2nd on the
    13th, Russian 1st on the 14th. Also absent on the 15th (outside the range); Андреев absent
    on the 13th; a cancelled lesson on the 14th."""
    lessons = {
        "ru13": add_lesson(session, tiny.russian_5a, D(2026, 10, 13), 1),
        "ma13": add_lesson(session, tiny.maths_5a, D(2026, 10, 13), 2),
        "ru14": add_lesson(session, tiny.russian_5a, D(2026, 10, 14), 1),
        "ru15": add_lesson(session, tiny.russian_5a, D(2026, 10, 15), 1),
    }
    for key in ("ru13", "ma13", "ru14", "ru15"):
        _absent(session, tiny, lessons[key])
    _absent(session, tiny, lessons["ru13"], index=1)
    cancelled = add_lesson(session, tiny.maths_5a, D(2026, 10, 14), 3)
    session.add(
        Attendance(
            student_id=tiny.students[0].id or 0,
            lesson_id=cancelled.id or 0,
            status="absent",
            author_id=tiny.actors["maths"].user_id,
        )
    )
    cancelled.cancelled = True
    session.add(cancelled)
    session.commit()
    return lessons


def _preview(session: Session, tiny: TinySchool, who: str = "class_teacher") -> Any:
    return absences_between(
        session,
        actor=tiny.actors[who],
        student_id=tiny.students[0].id or 0,
        date_from=FROM,
        date_to=TO,
    )


def _excuse(session: Session, tiny: TinySchool, items: Any, **kw: Any) -> Any:
    return excuse_absences(
        session,
        actor=tiny.actors[kw.pop("who", "class_teacher")],
        student_id=tiny.students[0].id or 0,
        date_from=kw.pop("date_from", FROM),
        date_to=TO,
        reason=kw.pop("reason", "справка № 15 из поликлиники"),
        expected={a.attendance_id: a.version for a in items},
    )


def _statuses(session: Session, tiny: TinySchool) -> list[tuple[str, str, str]]:
    rows = session.exec(
        select(Attendance, Lesson)
        .join(Lesson, col(Lesson.id) == Attendance.lesson_id)
        .where(Attendance.student_id == tiny.students[0].id)
        .order_by(col(Lesson.date), col(Lesson.number))
    ).all()
    return [(f"{lesson.date:%d}/{lesson.number}", a.status, a.reason) for a, lesson in rows]


def test_the_preview_covers_the_students_absences_of_those_days(
    session: Session, tiny: TinySchool, sick: dict[str, Lesson]
) -> None:
    """Three absences, oldest first with date, lesson and subject; not the 15th, not
    Андреев's, not the cancelled lesson."""
    items = _preview(session, tiny)
    assert [(i.date, i.number, i.subject_name) for i in items] == [
        (D(2026, 10, 13), 1, tiny.russian.name),
        (D(2026, 10, 13), 2, tiny.maths.name),
        (D(2026, 10, 14), 1, tiny.russian.name),
    ]


def test_excusing_the_days_excuses_each_absence_with_the_reason_audited(
    session: Session, tiny: TinySchool, sick: dict[str, Lesson]
) -> None:
    """All three become excused with the one reason, one audit row each; the 15th stays."""
    cells = _excuse(session, tiny, _preview(session, tiny))
    assert [c.excused for c in cells] == [True, True, True]
    reason = "справка № 15 из поликлиники"
    assert _statuses(session, tiny) == [
        ("13/1", "excused", reason),
        ("13/2", "excused", reason),
        ("14/1", "excused", reason),
        ("14/3", "absent", ""),
        ("15/1", "absent", ""),
    ]
    audited = session.exec(
        select(AuditLog).where(AuditLog.action == "journal.attendance.excuse")
    ).all()
    assert [(a.entity_id, a.reason) for a in audited] == [
        (sick["ru13"].id, reason),
        (sick["ma13"].id, reason),
        (sick["ru14"].id, reason),
    ]


def test_an_absence_added_after_the_preview_stops_the_excuse(
    session: Session, tiny: TinySchool, sick: dict[str, Lesson]
) -> None:
    """A new «н» on the 14th after the preview: refused with the fresh list, nothing excused."""
    items = _preview(session, tiny)
    extra = add_lesson(session, tiny.maths_5a, D(2026, 10, 14), 4)
    _absent(session, tiny, extra)
    with pytest.raises(ConflictError) as caught:
        _excuse(session, tiny, items)
    assert len(caught.value.current) == 4
    assert all(status == "absent" for _, status, _ in _statuses(session, tiny))


def test_an_absence_excused_meanwhile_stops_the_excuse(
    session: Session, tiny: TinySchool, sick: dict[str, Lesson]
) -> None:
    """One absence excused one by one after the preview: the range excuse is refused."""
    items = _preview(session, tiny)
    excuse_absence(
        session,
        actor=tiny.actors["class_teacher"],
        attendance_id=items[0].attendance_id,
        reason="заявление родителей",
        expected_version=items[0].version,
    )
    with pytest.raises(ConflictError):
        _excuse(session, tiny, items)
    assert [s for _, s, _ in _statuses(session, tiny)].count("excused") == 1


@pytest.mark.parametrize("who", ["russian", "maths", "primary", "deputy", "parent"])
def test_only_the_class_teacher_excuses_days(
    session: Session, tiny: TinySchool, sick: dict[str, Lesson], who: str
) -> None:
    """Subject teachers, another class's teacher, the deputy and parents are refused."""
    items = _preview(session, tiny)
    with pytest.raises(PermissionDenied):
        _preview(session, tiny, who)
    with pytest.raises(PermissionDenied):
        _excuse(session, tiny, items, who=who)
    assert all(status == "absent" for _, status, _ in _statuses(session, tiny))


@pytest.mark.parametrize(
    ("kw", "message"),
    [({"reason": "  "}, "причину"), ({"date_from": D(2026, 10, 15)}, "раньше")],
)
def test_a_missing_reason_or_a_reversed_range_is_refused(
    session: Session, tiny: TinySchool, sick: dict[str, Lesson], kw: dict[str, Any], message: str
) -> None:
    """No reason, or «с» after «по»: refused, nothing excused."""
    with pytest.raises(ValidationError, match=message):
        _excuse(session, tiny, _preview(session, tiny), **kw)
    assert all(status == "absent" for _, status, _ in _statuses(session, tiny))


def test_the_class_list_is_alphabetical_and_own_class_only(
    session: Session, tiny: TinySchool
) -> None:
    """5 «А»'s five students by name; 1 «А» is not the class teacher's and is refused."""
    names = [
        s.name.split()[0]
        for s in class_students(
            session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0
        )
    ]
    assert names == ["Андреев", "Белова", "Григорьев", "Ёлкина", "Жуков"]
    with pytest.raises(PermissionDenied):
        class_students(session, actor=tiny.actors["class_teacher"], class_id=tiny.class1.id or 0)
