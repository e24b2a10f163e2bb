"""``/student?id=N`` called as a browser would: the class teacher reads and saves the
personal file, a stale form is refused in words, a teacher who does not teach the student,
a parent and the student are refused, and forged saves change nothing."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
import reflex as rx
from reflex.istate.data import ReflexURL
from sqlmodel import col, select

from ejournal.domain.models import (
    AcademicYear,
    AuditLog,
    Parent,
    Role,
    Staff,
    Student,
    Subject,
    TeachingAssignment,
)
from ejournal.state.student_file import StudentFileState
from tests.state.conftest import StateWorld, call, give_cookie
from tests.state.outcomes import toast_text
from tests.state.people import add_staff_account

SNILS = "112-233-445 95"


@pytest.fixture()
def filled(world: StateWorld) -> StateWorld:
    """The student has an address and a СНИЛС; the mother a phone."""
    with world.session() as s:
        student = s.get(Student, world.school.student_id)
        assert student is not None
        student.address = "г. Энск, ул. Ленина, 1"
        student.snils = SNILS
        s.add(student)
        parent = s.exec(select(Parent)).one()
        parent.phone = "+7 912 000-00-02"
        s.add(parent)
        s.commit()
    return world


def open_file(world: StateWorld, token: str, student_id: int | str) -> StudentFileState:
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    root.router = dataclasses.replace(
        root.router, url=ReflexURL(f"http://test/student?id={student_id}")
    )
    give_cookie(root, token)
    st = root.get_substate(StudentFileState.get_full_name().split("."))
    return st  # type: ignore[return-value]


def form(st: StudentFileState) -> dict[str, str]:
    """What the browser submits: every input's name and shown value."""
    values = {f.key: f.value for f in st.fields}
    for p in st.parents:
        values |= {p.relation_key: p.relation, p.phone_key: p.phone, p.email_key: p.email}
    return values


def field(st: StudentFileState, key: str) -> str:
    return next(f.value for f in st.fields if f.key == key)


def stored(world: StateWorld) -> Student:
    with world.session() as s:
        student = s.get(Student, world.school.student_id)
        assert student is not None
        return student


def audit_count(world: StateWorld) -> int:
    with world.session() as s:
        return len(
            s.exec(
                select(AuditLog.id).where(
                    col(AuditLog.action).in_(["student.update", "parent.update"])
                )
            ).all()
        )


def teach_the_class(world: StateWorld) -> None:
    """The teacher account gets a lesson load in 5 «А»."""
    with world.session() as s:
        user_id = world.school.accounts[Role.TEACHER].user_id
        staff = s.exec(select(Staff).where(Staff.user_id == user_id)).one()
        year = s.exec(select(AcademicYear)).first()
        assert year is not None
        subject = Subject(school_id=world.school.school_id, name="Математика")
        s.add(subject)
        s.flush()
        s.add(
            TeachingAssignment(
                year_id=year.id or 0,
                teacher_id=staff.id or 0,
                class_id=world.school.class_id,
                subject_id=subject.id or 0,
                hours_per_week=Decimal("5"),
            )
        )
        s.commit()


def test_the_class_teacher_opens_and_saves_the_file(filled: StateWorld):
    world = filled
    st = open_file(world, world.token(Role.CLASS_TEACHER), world.school.student_id)
    call(StudentFileState.load, st)
    assert st.load_error == ""
    assert (st.full_name, st.class_name, st.can_edit, st.documents) == (
        "Учеников Пётр Олегович",
        "5 «А»",
        True,
        True,
    )
    assert field(st, "snils") == SNILS
    assert st.back_href == "/class/students"
    [p] = st.parents
    assert (p.name, p.relation, p.phone) == (
        "Ученикова Ольга Викторовна",
        "мать",
        "+7 912 000-00-02",
    )

    result = call(
        StudentFileState.save,
        st,
        form(st) | {"address": "г. Энск, ул. Мира, 5", p.email_key: "olga@example.ru"},
    )
    assert "Личное дело сохранено" in toast_text(result)
    assert st.result == "Сохранено: Адрес; Ученикова Ольга Викторовна: электронная почта."
    assert stored(world).address == "г. Энск, ул. Мира, 5"
    assert field(st, "address") == "г. Энск, ул. Мира, 5"
    assert audit_count(world) == 2


def test_a_bad_phone_is_named_and_the_typing_stays(filled: StateWorld):
    world = filled
    st = open_file(world, world.token(Role.CLASS_TEACHER), world.school.student_id)
    call(StudentFileState.load, st)
    result = call(StudentFileState.save, st, form(st) | {"phone": "12", "address": "ул. Новая"})
    assert "не похож на номер" in toast_text(result)
    assert next(f.error for f in st.fields if f.key == "phone").startswith("Телефон: «12»")
    assert (field(st, "phone"), field(st, "address")) == ("12", "ул. Новая")
    assert stored(world).address == "г. Энск, ул. Ленина, 1"
    assert audit_count(world) == 0


def test_two_tabs_the_stale_save_is_refused(filled: StateWorld):
    """The class teacher and the secretary open the file; the secretary saves the address;
    the class teacher's save of the address is refused «Изменено другим пользователем», the
    stored value is shown with a note, her other typing kept."""
    world = filled
    with world.session() as s:
        add_staff_account(s, world.school, "test.secretary", Role.SECRETARY)
        s.commit()
    with world.session() as s:
        from ejournal.domain.people import auth

        result_ = auth.authenticate(s, login="test.secretary", password="Первый-пароль-7")
        s.commit()
    assert result_.token
    mine = open_file(world, world.token(Role.CLASS_TEACHER), world.school.student_id)
    theirs = open_file(world, result_.token, world.school.student_id)
    call(StudentFileState.load, mine)
    call(StudentFileState.load, theirs)
    call(StudentFileState.save, theirs, form(theirs) | {"address": "ул. Секретарская, 1"})
    assert stored(world).address == "ул. Секретарская, 1"

    result = call(
        StudentFileState.save,
        mine,
        form(mine) | {"address": "ул. Классная, 2", "personal_file_number": "А-1"},
    )
    assert "Изменено другим пользователем" in toast_text(result)
    assert field(mine, "address") == "ул. Секретарская, 1"
    assert next(f.error for f in mine.fields if f.key == "address").startswith("Изменено")
    assert field(mine, "personal_file_number") == "А-1"  # her typing kept, unsaved
    assert stored(world).personal_file_number == ""
    # Saving again now keeps the secretary's address and writes her number.
    call(StudentFileState.save, mine, form(mine))
    assert (stored(world).address, stored(world).personal_file_number) == (
        "ул. Секретарская, 1",
        "А-1",
    )


def test_a_teacher_of_the_class_reads_without_documents_and_cannot_save(filled: StateWorld):
    world = filled
    teach_the_class(world)
    st = open_file(world, world.token(Role.TEACHER), world.school.student_id)
    call(StudentFileState.load, st)
    assert st.load_error == "" and not st.can_edit and not st.documents
    assert field(st, "address") == "г. Энск, ул. Ленина, 1"
    assert "snils" not in {f.key for f in st.fields}
    assert st.back_href == "/teacher"
    # A forged save: the handler refuses (the teacher cannot manage students at all).
    result = call(StudentFileState.save, st, {"address": "взлом"})
    assert "Недостаточно прав" in toast_text(result)
    assert stored(world).address == "г. Энск, ул. Ленина, 1"


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PARENT, Role.STUDENT, Role.ADMIN])
def test_who_may_not_read_the_file_sees_nothing(filled: StateWorld, role: Role):
    """A teacher who does not teach the class, the student's own parent, the student, and
    the administrator (who manages accounts, not personal files): no data on the page."""
    world = filled
    st = open_file(world, world.token(role), world.school.student_id)
    result = call(StudentFileState.load, st)
    assert st.full_name == "" and st.fields == [] and st.parents == []
    assert "Недостаточно прав" in (st.load_error + toast_text(result))


def test_a_refused_load_forgets_the_student_opened_before(filled: StateWorld):
    """The class teacher opens her student, then a URL of a student of another class: the
    second is refused, the first one's data is gone, and a save has no student to write."""
    world = filled
    with world.session() as s:
        other = Student(
            school_id=world.school.school_id,
            last_name="Другой",
            first_name="Борис",
            gender="m",
            birth_date=stored(world).birth_date,
            class_id=world.school.other_class_id,
        )
        s.add(other)
        s.commit()
        other_id = other.id or 0
    token = world.token(Role.CLASS_TEACHER)
    st = open_file(world, token, world.school.student_id)
    call(StudentFileState.load, st)
    assert st.full_name
    st.router = dataclasses.replace(st.router, url=ReflexURL(f"http://test/student?id={other_id}"))
    call(StudentFileState.load, st)
    assert st.load_error == "Недостаточно прав для этого действия."
    assert (st.full_name, st.fields) == ("", [])
    result = call(StudentFileState.save, st, {"address": "взлом"})
    assert "Личное дело не открыто" in toast_text(result)
    with world.session() as s:
        assert s.get(Student, other_id).address == ""  # type: ignore[union-attr]
    assert audit_count(world) == 0


def test_a_missing_or_bad_id_is_said(filled: StateWorld):
    world = filled
    st = open_file(world, world.token(Role.CLASS_TEACHER), "abc")
    call(StudentFileState.load, st)
    assert st.load_error.startswith("Не указан учащийся")
    st = open_file(world, world.token(Role.CLASS_TEACHER), 999999)
    call(StudentFileState.load, st)
    assert st.load_error == "Учащийся не найден."
