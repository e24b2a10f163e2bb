"""Import of class lists (issue 13): real XLSX/CSV files, dry run, one-transaction write.

The tiny school's 5 «А» holds Григорьев Глеб, Андреев Артём Сергеевич, Ёлкина Дарья,
Белова Вера, Жуков Захар; 1 «А» holds Иванова Ирина — all born 01.03.2015.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import pytest
from openpyxl import Workbook
from sqlmodel import Session, col, func, select

from ejournal.domain.errors import PermissionDenied, ValidationError
from ejournal.domain.models import (
    AuditLog,
    ClassGroup,
    Enrolment,
    Parent,
    ParentLink,
    Role,
    Student,
)
from ejournal.domain.permissions import Actor
from ejournal.domain.setup.students import (
    import_students,
    parse_class,
    parse_date,
    preview_students_import,
)
from tests.factories import D, TinySchool, add_staff, make_school, staff_actor

pytestmark = pytest.mark.db

TODAY = D(2026, 10, 20)
HEADER = ["Класс", "Фамилия", "Имя", "Отчество", "Дата рождения",
          "Родитель 1 ФИО", "Родитель 1 телефон", "Родитель 1 e-mail",
          "Родитель 2 ФИО", "Родитель 2 телефон", "Родитель 2 e-mail"]  # fmt: skip


def xlsx(rows: Sequence[Sequence[Any]], merges: Sequence[str] = ()) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    for merge in merges:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def secretary(session: Session, tiny: TinySchool) -> Actor:
    staff, user = add_staff(session, tiny.school, "secretary", "Секретарева", "Светлана")
    return staff_actor(tiny.school, user, staff, Role.SECRETARY)


def counts(session: Session) -> dict[str, int]:
    tables: dict[str, Any] = {
        "students": Student, "enrolments": Enrolment, "parents": Parent,
        "links": ParentLink, "audit": AuditLog,
    }  # fmt: skip
    return {
        name: session.exec(select(func.count()).select_from(model)).one()
        for name, model in tables.items()
    }


def school_file() -> bytes:
    """Made the way a school keeps it: two merged title rows, a blank row, the header with
    trailing spaces and columns in its own order, a blank row among the students, «Е» for
    «Ё», dates typed as text and kept by Excel."""
    return xlsx(
        [
            ["Список обучающихся МБОУ «Школа № 1»"],
            ["на 2026/2027 учебный год"],
            [],
            [
                "№",
                "Фамилия ",
                " Имя",
                "Отчество",
                "Класс ",
                "Дата рождения",
                "ФИО родителя 1",
                "Телефон родителя 1",
                "E-mail родителя 1",
                "ФИО родителя 2",
                "Телефон родителя 2",
            ],
            [1, "Елкина ", "Дарья", "", "5А", "01.03.2015"],
            [2, "Андреев", "Артём ", "Сергеевич", "5-А", dt.datetime(2015, 3, 1)],
            [],
            [
                3,
                "Новикова",
                "Ольга",
                "Петровна",
                "5 «А»",
                "2015-07-12",
                "Новиков Пётр Иванович",
                "+7 900 111-22-33",
                "",
                "",
                "",
            ],
            [
                4,
                "Орлов",
                "Олег",
                "Олегович ",
                "1 а",
                dt.datetime(2019, 2, 3),
                "Орлова Ольга Ивановна",
                "",
                "Orlova@Mail.ru",
                "Орлов Олег Петрович",
                "8 (900) 222-33-44",
            ],
        ],
        merges=["A1:K1", "A2:K2"],
    )


def test_classes_and_dates_as_schools_write_them() -> None:
    for text in ("5А", "5 А", "5-А", "5 «А»", '5 "а"', "5a", " 5А "):
        assert parse_class(text) == (5, "А"), text
    assert parse_class("11Б") == (11, "Б")
    assert parse_class("пятый") is None
    assert parse_class("12А") is None
    assert parse_date("01.03.2015") == D(2015, 3, 1)
    assert parse_date("2015-03-01") == D(2015, 3, 1)
    assert parse_date(dt.datetime(2015, 3, 1)) == D(2015, 3, 1)
    assert parse_date(42064) == D(2015, 3, 1)  # an Excel serial in an unformatted cell
    assert parse_date("31.02.2015") is None
    assert parse_date("1 марта") is None


def test_a_schools_spreadsheet_previews_then_writes_once(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    before = counts(session)

    preview = preview_students_import(
        session, actor=actor, data=school_file(), filename="список.xlsx", today=TODAY
    )
    assert preview.problems == []
    assert preview.rows == 4
    assert preview.added == ["Новикова Ольга Петровна, 5 «А»", "Орлов Олег Олегович, 1 «А»"]
    assert preview.unchanged == 2  # Ёлкина (written «Елкина ») and Андреев
    assert preview.moved == []
    assert preview.parents_added == 3
    assert preview.left_out == [
        "Белова Вера, 5 «А»", "Григорьев Глеб, 5 «А»", "Жуков Захар, 5 «А»",
        "Иванова Ирина, 1 «А»",
    ]  # fmt: skip
    assert counts(session) == before  # a dry run writes nothing

    result = import_students(
        session, actor=actor, data=school_file(), filename="список.xlsx", today=TODAY
    )
    assert result.written
    after = counts(session)
    assert after["students"] == before["students"] + 2
    assert after["enrolments"] == before["enrolments"] + 2
    assert after["parents"] == before["parents"] + 3
    assert after["links"] == before["links"] + 3
    assert after["audit"] == before["audit"] + 1

    olga = session.exec(select(Student).where(Student.last_name == "Новикова")).one()
    assert (olga.first_name, olga.middle_name, olga.birth_date) == (
        "Ольга",
        "Петровна",
        D(2015, 7, 12),
    )
    assert (olga.gender, olga.class_id, olga.user_id) == ("f", tiny.class5.id, None)
    stay = session.exec(select(Enrolment).where(Enrolment.student_id == olga.id)).one()
    assert (stay.class_id, stay.starts_on, stay.ends_on) == (tiny.class5.id, TODAY, None)
    oleg = session.exec(select(Student).where(Student.last_name == "Орлов")).one()
    assert (oleg.middle_name, oleg.gender, oleg.class_id) == ("Олегович", "m", tiny.class1.id)
    assert oleg.birth_date == D(2019, 2, 3)
    oleg_parents = session.exec(
        select(Parent)
        .join(ParentLink, col(ParentLink.parent_id) == col(Parent.id))
        .where(ParentLink.student_id == oleg.id)
        .order_by(col(Parent.id))
    ).all()
    assert [(p.last_name, p.first_name, p.middle_name, p.phone, p.email) for p in oleg_parents] == [
        ("Орлова", "Ольга", "Ивановна", "", "orlova@mail.ru"),
        ("Орлов", "Олег", "Петрович", "8 (900) 222-33-44", ""),
    ]
    row = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
    assert row is not None and row.action == "import.students"
    assert row.actor_id == actor.user_id

    # The same file again: nothing to change, nothing written (not even an audit row).
    again = import_students(
        session, actor=actor, data=school_file(), filename="список.xlsx", today=TODAY
    )
    assert (again.added, again.moved, again.unchanged, again.parents_added) == ([], [], 4, 0)
    assert not again.written
    assert counts(session) == after


def test_files_with_problems_are_refused_row_by_row_and_change_nothing(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    data = xlsx(
        [
            HEADER,
            ["5А", "Новикова", "Ольга", "", "12.07.2015", "Новиков Пётр", "", ""],
            ["7В", "Петров", "Пётр", "", "01.01.2014"],
            ["5А", "Сидоров", "Сидор", "", "31.02.2015"],
            ["5 А", "новикова ", "Ольга", "", dt.datetime(2015, 7, 12)],
            ["5А", "", "Иван", "", "01.01.2015"],
        ]
    )
    before = counts(session)
    preview = preview_students_import(
        session, actor=actor, data=data, filename="a.xlsx", today=TODAY
    )
    assert [p.text() for p in preview.problems] == [
        "строка 2, столбец «Родитель 1 телефон»: родитель 1: нет ни телефона, ни e-mail",
        "строка 3, столбец «Класс»: класса 7 «В» нет в текущем году",
        "строка 4, столбец «Дата рождения»: дата «31.02.2015» не в формате ДД.ММ.ГГГГ или "
        "ГГГГ-ММ-ДД",
        "строка 6, столбец «Фамилия»: не заполнено",
    ]
    assert preview.added == []  # nothing is planned while the file has problems
    with pytest.raises(ValidationError, match="Ничего не записано"):
        import_students(session, actor=actor, data=data, filename="a.xlsx", today=TODAY)
    assert counts(session) == before

    # The duplicate is reported once the first row is otherwise clean.
    dup = xlsx([HEADER, ["5А", "Новикова", "Ольга", "", "12.07.2015"],
                ["5 А", "новикова ", "Ольга", "", dt.datetime(2015, 7, 12)]])  # fmt: skip
    problems = preview_students_import(
        session, actor=actor, data=dup, filename="d.xlsx", today=TODAY
    ).problems
    assert [p.text() for p in problems] == [
        "строка 3, столбец «Фамилия»: этот ученик уже есть в строке 2"
    ]
    with pytest.raises(ValidationError):
        import_students(session, actor=actor, data=dup, filename="d.xlsx", today=TODAY)
    assert counts(session) == before


def test_a_missing_column_or_an_unreadable_file_is_refused(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    no_birth = xlsx([["Список"], ["Класс", "Фамилия", "Имя"], ["5А", "Новикова", "Ольга"]])
    problems = preview_students_import(
        session, actor=actor, data=no_birth, filename="x.xlsx", today=TODAY
    ).problems
    assert [p.text() for p in problems] == [
        "строка 2, столбец «Дата рождения»: нет обязательного столбца"
    ]
    junk = preview_students_import(
        session, actor=actor, data=b"PK\x03\x04 not a workbook", filename="x.xlsx", today=TODAY
    ).problems
    assert [p.text() for p in junk] == ["файл: файл не открывается как таблица Excel (.xlsx)"]
    xls = preview_students_import(
        session, actor=actor, data=b"\xd0\xcf", filename="x.xls", today=TODAY
    )
    assert "сохраните файл как .xlsx" in xls.problems[0].message


def test_csv_in_cp1251_with_semicolons_and_utf8_with_commas(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    text = (
        "Surname;Name;Patronymic;Date of birth;Class;Parent 1 name;Parent 1 phone\r\n"
        "Новикова;Ольга;Петровна;12.07.2015;5А;Новиков Пётр;+79001112233\r\n"
    )
    for data in (text.encode("cp1251"), text.replace(";", ",").encode("utf-8-sig")):
        preview = preview_students_import(
            session, actor=actor, data=data, filename="a.csv", today=TODAY
        )
        assert preview.problems == []
        assert (preview.added, preview.parents_added) == (["Новикова Ольга Петровна, 5 «А»"], 1)


def test_a_changed_file_shows_what_it_changes_then_moves(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    class5b = ClassGroup(
        school_id=tiny.school.id or 0, year_id=tiny.year.id or 0, grade=5, letter="Б"
    )
    session.add(class5b)
    session.flush()
    data = xlsx(
        [
            HEADER,
            ["5А", "Григорьев", "Глеб", "", "01.03.2015"],
            ["5Б", "Белова", "Вера", "", "01.03.2015"],
            ["5Б", "Новикова", "Ольга", "", "12.07.2015"],
        ]
    )
    preview = preview_students_import(
        session, actor=actor, data=data, filename="b.xlsx", today=TODAY
    )
    assert preview.added == ["Новикова Ольга, 5 «Б»"]
    assert preview.moved == ["Белова Вера: 5 «А» → 5 «Б»"]
    assert preview.unchanged == 1
    assert preview.left_out == [
        "Андреев Артём Сергеевич, 5 «А»", "Ёлкина Дарья, 5 «А»", "Жуков Захар, 5 «А»",
        "Иванова Ирина, 1 «А»",
    ]  # fmt: skip
    import_students(session, actor=actor, data=data, filename="b.xlsx", today=TODAY)
    vera = session.exec(select(Student).where(Student.last_name == "Белова")).one()
    assert vera.class_id == class5b.id
    stays = session.exec(
        select(Enrolment).where(Enrolment.student_id == vera.id).order_by(col(Enrolment.starts_on))
    ).all()
    assert [(s.class_id, s.starts_on, s.ends_on, s.kind, s.leave_kind) for s in stays] == [
        (tiny.class5.id, D(2026, 9, 1), D(2026, 10, 19), "start", "moved_out"),
        (class5b.id, TODAY, None, "moved_in", None),
    ]
    # Left out is only reported: Жуков is still in 5 «А».
    zhukov = session.exec(select(Student).where(Student.last_name == "Жуков")).one()
    assert (zhukov.class_id, zhukov.is_active) == (tiny.class5.id, True)


@pytest.mark.parametrize("who", ["russian", "class_teacher", "deputy", "parent", "student"])
def test_a_forged_call_from_others_is_refused(session: Session, who: str) -> None:
    tiny = make_school(session)
    before = counts(session)
    data = xlsx([HEADER, ["5А", "Новикова", "Ольга", "", "12.07.2015"]])
    actor = tiny.actors[who]
    with pytest.raises(PermissionDenied):
        preview_students_import(session, actor=actor, data=data, filename="f.xlsx", today=TODAY)
    with pytest.raises(PermissionDenied):
        import_students(session, actor=actor, data=data, filename="f.xlsx", today=TODAY)
    assert counts(session) == before


def test_an_admin_may_import_and_a_thousand_students_fit(session: Session) -> None:
    tiny = make_school(session)
    staff, user = add_staff(session, tiny.school, "admin", "Админова", "Анна")
    actor = staff_actor(tiny.school, user, staff, Role.ADMIN)
    rows: list[list[Any]] = [HEADER]
    for n in range(1000):
        rows.append(["5А" if n % 2 else "1А", f"Ученик{n:04d}", "Иван", "Иванович",
                     dt.datetime(2015, 1, 1) + dt.timedelta(days=n % 300),
                     f"Родитель{n:04d} Ольга", f"+7900{n:07d}", ""])  # fmt: skip
    data = xlsx(rows)
    result = import_students(session, actor=actor, data=data, filename="big.xlsx", today=TODAY)
    assert (len(result.added), result.parents_added) == (1000, 1000)
    in_1a = session.exec(
        select(func.count()).select_from(Student).where(Student.class_id == tiny.class1.id)
    ).one()
    assert in_1a == 500 + 1  # Иванова Ирина was there already
