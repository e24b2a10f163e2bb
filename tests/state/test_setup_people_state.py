"""«Учащиеся и сотрудники» handlers, called as a browser would: the administrator uploads the
class lists and the staff list (a dry run first, «Записать» writes the bytes kept on the
server), keeps people one by one, records movement and issues staff accounts with their
slips; a teacher or a parent forging the same calls changes nothing.

The state tests' tiny school has 5 «А» (Учеников Пётр, whose mother has an account) and
5 «Б», and one account per role.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
import reflex as rx
from openpyxl import Workbook
from sqlmodel import col, func, select

from ejournal.domain.models import AuditLog, Consent, Enrolment, Parent, Role, Staff, Student
from ejournal.state.setup_people import PeopleSetupState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import toast_text

S = PeopleSetupState
REFUSED = "Недостаточно прав"


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _file(data: bytes, name: str) -> rx.UploadFile:
    return rx.UploadFile(file=io.BytesIO(data), path=Path(name), size=len(data))


STUDENTS = _xlsx(
    [
        ["Список учащихся"],
        [],
        ["Класс", "Фамилия", "Имя", "Отчество", "Дата рождения", "Родитель 1 ФИО",
         "Родитель 1 телефон"],
        ["5 «А»", "Новикова", "Ольга", "Петровна", "12.07.2015", "Новиков Пётр Иванович",
         "+7 900 111-22-33"],
        ["5-Б", "Орлов", "Олег", "", dt.datetime(2015, 2, 3), "", ""],
    ]
)  # fmt: skip
BAD_STUDENTS = _xlsx(
    [
        ["Класс", "Фамилия", "Имя", "Дата рождения"],
        ["7В", "Петров", "Пётр", "01.01.2014"],
        ["5А", "Сидоров", "Сидор", "31.02.2015"],
    ]
)
STAFF = _xlsx(
    [
        ["Фамилия", "Имя", "Отчество", "Должность", "Телефон"],
        ["Павлова", "Полина", "Петровна", "учитель истории", "+7 900 000-00-01"],
        ["Ёжиков", "Егор", "", "учитель физкультуры", ""],
    ]
)


def _count(world: StateWorld, model: Any) -> int:
    with world.session() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def _everything(world: StateWorld) -> tuple[int, ...]:
    return tuple(_count(world, m) for m in (Student, Enrolment, Parent, Staff, AuditLog))


def _admin(world: StateWorld) -> PeopleSetupState:
    st = world.state(S, world.token(Role.ADMIN))
    call(S.load, st)
    return st


def test_the_administrator_sees_classes_students_and_staff(world: StateWorld) -> None:
    st = _admin(world)
    assert [c.label for c in st.classes] == ["5 «А»", "5 «Б»"]
    assert st.class_id == str(world.school.class_id)
    assert [s.name for s in st.students] == ["Учеников Пётр Олегович"]
    assert [p.name for p in st.students[0].parents] == ["Ученикова Ольга Викторовна"]
    assert "Админова Анна Петровна" in [s.name for s in st.staff]
    assert st.can_issue


def test_a_class_list_is_checked_then_written_from_the_server_s_copy(world: StateWorld) -> None:
    """The dry run shows what will change and writes nothing; «Записать» writes it once."""
    st = _admin(world)
    before = _everything(world)
    call(S.upload_students, st, [_file(STUDENTS, "spisok.xlsx")])
    assert st.students_ok and st.students_problems == []
    assert st.students_changes == 3  # two students and one parent
    assert any("добавить: Новикова Ольга Петровна, 5 «А»" in x for x in st.students_lines)
    assert any("добавить: Орлов Олег, 5 «Б»" in x for x in st.students_lines)
    assert _everything(world) == before

    result = call(S.write_students, st)
    assert "Списки записаны" in toast_text(result)
    assert _count(world, Student) == before[0] + 2
    assert [s.name for s in st.students] == ["Новикова Ольга Петровна", "Учеников Пётр Олегович"]
    assert not st.students_done  # the kept file is forgotten once written
    # «Записать» again without a new check: refused, nothing written twice.
    again = call(S.write_students, st)
    assert "Сначала выберите и проверьте файл" in toast_text(again)
    assert _count(world, Student) == before[0] + 2

    # The same file once more: the dry run finds nothing to change.
    call(S.upload_students, st, [_file(STUDENTS, "spisok.xlsx")])
    assert st.students_ok and st.students_changes == 0


def test_a_file_with_problems_is_listed_by_row_and_cannot_be_written(world: StateWorld) -> None:
    st = _admin(world)
    before = _everything(world)
    call(S.upload_students, st, [_file(BAD_STUDENTS, "bad.xlsx")])
    assert not st.students_ok
    assert st.students_problems == [
        "строка 2, столбец «Класс»: класса 7 «В» нет в текущем году",
        "строка 3, столбец «Дата рождения»: дата «31.02.2015» не в формате ДД.ММ.ГГГГ или "
        "ГГГГ-ММ-ДД",
    ]
    assert "Сначала выберите и проверьте файл" in toast_text(call(S.write_students, st))
    # A clean check followed by a bad one: the clean bytes are not written behind its back.
    call(S.upload_students, st, [_file(STUDENTS, "spisok.xlsx")])
    call(S.upload_students, st, [_file(BAD_STUDENTS, "bad.xlsx")])
    assert "Сначала выберите и проверьте файл" in toast_text(call(S.write_students, st))
    assert "XLSX или CSV" in toast_text(call(S.upload_students, st, [_file(b"x", "a.png")]))
    assert _everything(world) == before


def test_staff_are_imported_then_given_teacher_accounts_with_slips(world: StateWorld) -> None:
    st = _admin(world)
    call(S.upload_staff, st, [_file(STAFF, "kadry.xlsx")])
    assert st.staff_ok and st.staff_changes == 2
    call(S.write_staff, st)
    names = {s.name: s.login for s in st.staff}
    assert names["Павлова Полина Петровна"] == "" and names["Ёжиков Егор"] == ""

    result = call(S.issue_staff_accounts, st)
    assert "_download" in repr(result), result
    assert st.accounts_result[0].startswith("Выданы учётные записи: 2.")
    logins = {s.name: s.login for s in st.staff}
    assert logins["Павлова Полина Петровна"] == "pavlova.pp"
    assert logins["Ёжиков Егор"] == "ezhikov.e"
    assert not any("Пароль" in line or "пароль:" in line for line in st.accounts_result)
    # Nobody left without an account: said in words, nothing downloaded.
    again = call(S.issue_staff_accounts, st)
    assert "У всех сотрудников уже есть учётные записи" in toast_text(again)


def test_a_refused_student_form_keeps_what_was_typed(world: StateWorld) -> None:
    st = _admin(world)
    call(S.new_student, st)
    assert st.form == "student"
    form = {
        "last_name": "Новикова", "first_name": "Ольга", "middle_name": "", "gender": "f",
        "birth_date": "2015/07/12", "class_id": str(world.school.class_id),
    }  # fmt: skip
    before = _everything(world)
    result = call(S.save_form, st, form)
    assert "Дата рождения: введите дату в виде ДД.ММ.ГГГГ" in toast_text(result)
    assert st.form == "student" and st.form_values["birth_date"] == "2015/07/12"
    assert "ДД.ММ.ГГГГ" in st.form_error
    assert _everything(world) == before
    call(S.save_form, st, form | {"birth_date": "12.07.2015"})
    assert st.form == ""
    assert [s.name for s in st.students] == ["Новикова Ольга", "Учеников Пётр Олегович"]


def test_a_parent_and_a_movement_through_the_forms(world: StateWorld) -> None:
    st = _admin(world)
    sid = st.students[0].id
    call(S.new_parent, st, sid)
    refused = call(
        S.save_form, st,
        {"last_name": "Учеников", "first_name": "Олег", "middle_name": "", "phone": "",
         "email": "", "relation": "отец"},
    )  # fmt: skip
    assert "Укажите телефон или e-mail" in toast_text(refused)
    call(
        S.save_form, st,
        {"last_name": "Учеников", "first_name": "Олег", "middle_name": "",
         "phone": "+7 900 765-43-21", "email": "", "relation": "отец"},
    )  # fmt: skip
    assert [p.name for p in st.students[0].parents][-1] == "Учеников Олег"

    call(S.open_transfer, st, sid)
    day = "02.09.2026"  # in the tiny school's year, and past whenever the test runs
    result = call(
        S.save_form,
        st,
        {"class_id": str(world.school.other_class_id), "on": day, "order_number": "12-п"},
    )
    assert "Перевод записан" in toast_text(result), toast_text(result)
    assert st.students == []  # 5 «А» is empty now
    assert [(m.what, m.order_number) for m in st.moves] == [
        ("переведён(а) из 5 «А» в 5 «Б»", "12-п")
    ]


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PARENT, Role.CLASS_TEACHER])
def test_forged_calls_from_a_teacher_or_a_parent_change_nothing(
    world: StateWorld, role: Role
) -> None:
    st = world.state(S, world.token(role))
    before = _everything(world)
    calls: list[tuple[Any, tuple[Any, ...]]] = [
        (S.load, ()),
        (S.upload_students, ([_file(STUDENTS, "spisok.xlsx")],)),
        (S.write_students, ()),
        (S.upload_staff, ([_file(STAFF, "kadry.xlsx")],)),
        (S.write_staff, ()),
        (S.save_student, ({"last_name": "Взломов", "first_name": "Иван", "gender": "m",
                           "birth_date": "01.01.2015",
                           "class_id": str(world.school.class_id)},)),
        (S.save_form, ({"last_name": "Взломов", "first_name": "Иван"},)),
        (S.save_movement, ({"on": "01.10.2026", "order_number": "1"},)),
        (S.issue_staff_accounts, ()),
        (S.issue_class_accounts, ()),
        (S.pick_class, (str(world.school.class_id),)),
    ]  # fmt: skip
    for handler, args in calls:
        result = call(handler, st, *args)
        assert REFUSED in toast_text(result), (handler, toast_text(result))
    assert _everything(world) == before
    assert st.students == [] and st.staff == []
    assert not st.students_ok and not st.staff_ok
    with world.session() as s:
        assert s.exec(select(Student).where(col(Student.last_name) == "Взломов")).first() is None


def test_a_class_gets_accounts_once_and_a_refusing_family_is_listed(world: StateWorld) -> None:
    st = _admin(world)
    nothing = call(S.issue_class_accounts, st)
    assert "Новых учётных записей нет" in toast_text(nothing)
    call(S.upload_students, st, [_file(STUDENTS, "spisok.xlsx")])
    call(S.write_students, st)
    with world.session() as s:
        father = s.exec(select(Parent).where(col(Parent.last_name) == "Новиков")).one()
        olga = s.exec(select(Student).where(col(Student.last_name) == "Новикова")).one()
        s.add(Consent(parent_id=father.id or 0, student_id=olga.id or 0, given=False,
                      signed_on=dt.date(2026, 9, 1)))  # fmt: skip
        s.commit()
    result = call(S.issue_class_accounts, st)
    assert "_download" not in repr(result)  # the only new family refused: no slips
    assert st.accounts_skipped == ["Новикова Ольга Петровна, 5 «А» — нет согласия: бумажные копии"]
    call(S.pick_class, st, str(world.school.other_class_id))
    result = call(S.issue_class_accounts, st)
    assert "_download" in repr(result), result
    assert st.accounts_result[1].startswith("Орлов Олег — orlov.o")
    assert [s.account for s in st.students] == ["есть"]
