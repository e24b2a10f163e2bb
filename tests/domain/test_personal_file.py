"""The student's personal file, «общие сведения» [004 §5.28–5.32], in the tiny school:
Андреев Артём (5 «А») with his mother Андреева Анна; Волкова is his class teacher,
Смирнова and Кузнецов teach 5 «А», Лебедева is the class teacher of 1 «А»."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, col, select

from ejournal.domain.errors import NotFound, PermissionDenied
from ejournal.domain.models import AuditLog, Parent, Role, School, Student
from ejournal.domain.people.personal_file import (
    CHANGED,
    FileConflict,
    FileInvalid,
    clean_snils,
    parent_key,
    personal_file,
    save_personal_file,
)
from ejournal.domain.permissions import Actor
from tests.factories import TinySchool, add_staff, make_school, staff_actor

pytestmark = pytest.mark.db

SNILS = "112-233-445 95"  # a valid check number


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    t = make_school(session)
    s = t.students[1]
    s.address = "г. Энск, ул. Ленина, д. 1, кв. 2"
    s.snils = SNILS
    s.birth_certificate = "II-МЮ № 123456"
    s.phone = "+7 912 000-00-01"
    s.personal_file_number = "А-17"
    s.health_group = "основная"
    session.add(s)
    parent = session.exec(select(Parent).where(Parent.last_name == "Андреева")).one()
    parent.phone = "+7 912 000-00-02"
    session.add(parent)
    session.commit()
    return t


def andreev(tiny: TinySchool) -> int:
    return tiny.students[1].id or 0


def mother(session: Session) -> Parent:
    return session.exec(select(Parent).where(Parent.last_name == "Андреева")).one()


def role_actor(session: Session, tiny: TinySchool, login: str, role: Role) -> Actor:
    staff, user = add_staff(session, tiny.school, login, login.title(), "Тест")
    session.commit()
    return staff_actor(tiny.school, user, staff, role)


def audits(session: Session, action: str) -> list[AuditLog]:
    return list(
        session.exec(
            select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.id))
        ).all()
    )


def test_snils_is_checked_and_written_the_usual_way() -> None:
    assert clean_snils("11223344595") == SNILS
    assert clean_snils("") == ""
    with pytest.raises(Exception, match="контрольное число"):
        clean_snils("112-233-445 96")
    with pytest.raises(Exception, match="11 цифр"):
        clean_snils("12345")


def test_the_class_teacher_reads_everything(session: Session, tiny: TinySchool):
    f = personal_file(session, actor=tiny.actors["class_teacher"], student_id=andreev(tiny))
    assert (f.full_name, f.class_name, f.birth_date) == (
        "Андреев Артём Сергеевич",
        "5 «А»",
        "01.03.2015",
    )
    assert f.values["snils"] == SNILS and f.values["birth_certificate"] == "II-МЮ № 123456"
    assert f.values["address"].startswith("г. Энск") and f.documents and f.can_edit
    [p] = f.parents
    assert (p.full_name, p.phone) == ("Андреева Анна", "+7 912 000-00-02")


def test_a_teacher_of_the_class_sees_contacts_but_not_documents(session: Session, tiny: TinySchool):
    f = personal_file(session, actor=tiny.actors["maths"], student_id=andreev(tiny))
    assert f.values["address"].startswith("г. Энск")
    assert f.values["phone"] == "+7 912 000-00-01"
    assert "snils" not in f.values and "birth_certificate" not in f.values
    assert not f.documents and not f.can_edit
    assert f.parents[0].phone == "+7 912 000-00-02"


@pytest.mark.parametrize("who", ["deputy", "secretary"])
def test_the_administration_reads_everything(session: Session, tiny: TinySchool, who: str):
    actor = (
        tiny.actors["deputy"]
        if who == "deputy"
        else role_actor(session, tiny, "secretary", Role.SECRETARY)
    )
    f = personal_file(session, actor=actor, student_id=andreev(tiny))
    assert f.values["snils"] == SNILS
    assert f.can_edit is (who == "secretary")


@pytest.mark.parametrize("who", ["primary", "parent", "student"])
def test_who_neither_teaches_nor_manages_the_student_reads_nothing(
    session: Session, tiny: TinySchool, who: str
):
    """Another class's class teacher (who teaches 1 «А»), the student's own parent and the
    student: refused [004 §9.1.3]."""
    with pytest.raises(PermissionDenied):
        personal_file(session, actor=tiny.actors[who], student_id=andreev(tiny))


def test_a_teacher_with_no_lessons_in_the_class_reads_nothing(session: Session, tiny: TinySchool):
    outsider = role_actor(session, tiny, "outsider", Role.TEACHER)
    with pytest.raises(PermissionDenied):
        personal_file(session, actor=outsider, student_id=andreev(tiny))
    with pytest.raises(NotFound):
        personal_file(session, actor=tiny.actors["class_teacher"], student_id=999_999)


def test_a_student_of_another_school_is_refused(session: Session, tiny: TinySchool):
    other = School(name="Школа № 2", short_name="Школа № 2")
    session.add(other)
    session.commit()
    stranger = Student(
        school_id=other.id or 0,
        last_name="Чужой",
        first_name="Иван",
        gender="m",
        birth_date=tiny.students[0].birth_date,
        class_id=tiny.class5.id,  # even a forged class link does not help
    )
    session.add(stranger)
    session.commit()
    with pytest.raises(PermissionDenied):
        personal_file(session, actor=tiny.actors["class_teacher"], student_id=stranger.id or 0)


def test_the_class_teacher_edits_the_file_and_a_parents_contacts(
    session: Session, tiny: TinySchool
):
    """Address, file number, СНИЛС and the mother's e-mail and relation: saved, one audit row
    for the student (СНИЛС masked) and one for the parent, with before and after."""
    ct = tiny.actors["class_teacher"]
    f = personal_file(session, actor=ct, student_id=andreev(tiny))
    loaded = f.form_values()
    pid = f.parents[0].parent_id
    typed = loaded | {
        "address": "г. Энск, ул. Мира, д. 5",
        "personal_file_number": "Б-2",
        "snils": "11223344595",  # the same number, typed without dashes: no change
        "health_group": "Подготовительная",
        parent_key(pid, "email"): "Anna@Example.RU",
        parent_key(pid, "relation"): "мать",
    }
    saved = save_personal_file(
        session, actor=ct, student_id=andreev(tiny), changes=typed, loaded=loaded
    )
    assert saved.changed == (
        "Номер личного дела",
        "Адрес",
        "Группа здоровья (физкультура)",
        "Андреева Анна: электронная почта",
        "Андреева Анна: степень родства",
    )
    session.commit()
    student = session.get(Student, andreev(tiny))
    assert student is not None
    assert (student.address, student.personal_file_number, student.health_group) == (
        "г. Энск, ул. Мира, д. 5",
        "Б-2",
        "подготовительная",
    )
    assert mother(session).email == "anna@example.ru"
    [row] = audits(session, "student.update")
    assert (row.entity, row.entity_id) == ("student", andreev(tiny))
    assert json.loads(row.before)["address"].startswith("г. Энск, ул. Ленина")
    assert json.loads(row.after)["personal_file_number"] == "Б-2"
    [prow] = audits(session, "parent.update")
    assert json.loads(prow.after) == {
        "email": "anna@example.ru",
        "relation": "мать",
        "student_id": andreev(tiny),
    }
    assert json.loads(prow.before) == {"email": "", "relation": ""}


def test_documents_are_masked_in_the_audit(session: Session, tiny: TinySchool):
    ct = tiny.actors["class_teacher"]
    loaded = personal_file(session, actor=ct, student_id=andreev(tiny)).form_values()
    save_personal_file(
        session,
        actor=ct,
        student_id=andreev(tiny),
        changes=loaded | {"snils": "", "birth_certificate": "III-АБ № 654321"},
        loaded=loaded,
    )
    [row] = audits(session, "student.update")
    assert SNILS not in (row.before or "") and "654321" not in (row.after or "")
    assert json.loads(row.after)["birth_certificate"].endswith("321")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("phone", "12-34", "не похож на номер"),
        ("email", "anna@", "name@example.ru"),
        ("personal_file_number", "Ж" * 33, "длиннее 32 знаков"),
        ("health_group", "отличная", "выберите одну из"),
        ("snils", "112-233-445 00", "контрольное число"),
    ],
)
def test_bad_values_are_named_and_nothing_is_saved(
    session: Session, tiny: TinySchool, key: str, value: str, message: str
):
    ct = tiny.actors["class_teacher"]
    loaded = personal_file(session, actor=ct, student_id=andreev(tiny)).form_values()
    with pytest.raises(FileInvalid, match=message) as err:
        save_personal_file(
            session,
            actor=ct,
            student_id=andreev(tiny),
            changes=loaded | {key: value, "address": "новый адрес"},
            loaded=loaded,
        )
    assert list(err.value.errors) == [key]
    session.rollback()
    assert session.get(Student, andreev(tiny)).address.startswith("г. Энск")  # type: ignore[union-attr]
    assert audits(session, "student.update") == []


def test_a_parent_keeps_a_phone_or_an_email(session: Session, tiny: TinySchool):
    ct = tiny.actors["class_teacher"]
    f = personal_file(session, actor=ct, student_id=andreev(tiny))
    loaded = f.form_values()
    pid = f.parents[0].parent_id
    with pytest.raises(FileInvalid, match="укажите телефон или e-mail"):
        save_personal_file(
            session,
            actor=ct,
            student_id=andreev(tiny),
            changes=loaded | {parent_key(pid, "phone"): ""},
            loaded=loaded,
        )


def test_two_sessions_the_second_save_of_the_same_field_is_refused(
    session: Session, tiny: TinySchool
):
    """The class teacher and the secretary open the file; the secretary saves a new address;
    the class teacher's save of another address is refused «Изменено другим пользователем»,
    while her change of another field in the same save is not written either (all or
    nothing), and a later save of only the phone passes."""
    ct = tiny.actors["class_teacher"]
    sec = role_actor(session, tiny, "secretary", Role.SECRETARY)
    mine = personal_file(session, actor=ct, student_id=andreev(tiny)).form_values()
    theirs = personal_file(session, actor=sec, student_id=andreev(tiny)).form_values()
    save_personal_file(
        session,
        actor=sec,
        student_id=andreev(tiny),
        changes=theirs | {"address": "ул. Секретарская, 1"},
        loaded=theirs,
    )
    session.commit()
    with pytest.raises(FileConflict, match=CHANGED) as err:
        save_personal_file(
            session,
            actor=ct,
            student_id=andreev(tiny),
            changes=mine | {"address": "ул. Классная, 2", "phone": "89120000003"},
            loaded=mine,
        )
    assert err.value.keys == ("address",)
    assert "«Адрес» — сейчас «ул. Секретарская, 1»" in err.value.message
    session.rollback()
    student = session.get(Student, andreev(tiny))
    assert student is not None
    assert (student.address, student.phone) == ("ул. Секретарская, 1", "+7 912 000-00-01")
    # Her form was loaded before the secretary's save, but she changed only the phone now.
    save_personal_file(
        session,
        actor=ct,
        student_id=andreev(tiny),
        changes=mine | {"phone": "89120000003"},
        loaded=mine,
    )
    session.refresh(student)
    assert (student.address, student.phone) == ("ул. Секретарская, 1", "89120000003")


@pytest.mark.parametrize("who", ["maths", "primary", "parent", "student", "deputy"])
def test_who_may_not_manage_changes_nothing(session: Session, tiny: TinySchool, who: str):
    """A teacher of the class, another class's class teacher, the parent, the student, the
    deputy (reads, never edits): refused, nothing written."""
    loaded = personal_file(
        session, actor=tiny.actors["class_teacher"], student_id=andreev(tiny)
    ).form_values()
    pid = mother(session).id or 0
    with pytest.raises(PermissionDenied):
        save_personal_file(
            session,
            actor=tiny.actors[who],
            student_id=andreev(tiny),
            changes=loaded | {"address": "взлом", parent_key(pid, "phone"): "+7 000 000-00-00"},
            loaded=loaded,
        )
    session.rollback()
    assert session.get(Student, andreev(tiny)).address.startswith("г. Энск")  # type: ignore[union-attr]
    assert mother(session).phone == "+7 912 000-00-02"
    assert audits(session, "student.update") == audits(session, "parent.update") == []


def test_another_students_parent_cannot_be_edited_through_this_file(
    session: Session, tiny: TinySchool
):
    """A parent key naming a parent not linked to the student is refused by name."""
    ct = tiny.actors["class_teacher"]
    stranger = Parent(school_id=tiny.school.id or 0, last_name="Посторонний", first_name="П")
    session.add(stranger)
    session.commit()
    loaded = personal_file(session, actor=ct, student_id=andreev(tiny)).form_values()
    key = parent_key(stranger.id or 0, "phone")
    with pytest.raises(FileInvalid) as err:
        save_personal_file(
            session,
            actor=ct,
            student_id=andreev(tiny),
            changes={key: "+7 912 111-11-11"},
            loaded=loaded | {key: ""},
        )
    assert list(err.value.errors) == [key]
    session.rollback()
    assert session.get(Parent, stranger.id).phone == ""  # type: ignore[union-attr]
