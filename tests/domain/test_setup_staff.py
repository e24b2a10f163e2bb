"""Import of the staff list (issue 13): real XLSX/CSV files, dry run, one-transaction write.

The tiny school has the subjects «Русский язык», «Математика», «Музыка» and staff Смирнова
Анна Петровна, Кузнецов Игорь Олегович and others (no positions)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pytest
from openpyxl import Workbook
from sqlmodel import Session, col, func, select

from ejournal.domain.errors import PermissionDenied, ValidationError
from ejournal.domain.models import AuditLog, Role, Staff
from ejournal.domain.permissions import Actor
from ejournal.domain.setup.staff import import_staff, preview_staff_import
from tests.factories import TinySchool, add_staff, make_school, staff_actor

pytestmark = pytest.mark.db

HEADER = ["Фамилия", "Имя", "Отчество", "Должность", "Предметы", "E-mail", "Телефон"]


def xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def secretary(session: Session, tiny: TinySchool) -> Actor:
    staff, user = add_staff(session, tiny.school, "secretary", "Секретарева", "Светлана")
    return staff_actor(tiny.school, user, staff, Role.SECRETARY)


def counts(session: Session) -> tuple[int, int]:
    return (
        session.exec(select(func.count()).select_from(Staff)).one(),
        session.exec(select(func.count()).select_from(AuditLog)).one(),
    )


GOOD = [
    ["Список сотрудников на 01.09.2026"],
    [],
    ["Должность", "Фамилия ", "Имя", "Отчество", "Предметы", "Телефон", "E-mail"],
    ["учитель", "Орлова", "Ольга", "Павловна", "русский язык, МАТЕМАТИКА", "+7 900 1", "o@x.ru"],
    ["учитель музыки", "Смирнова", "Анна", "Петровна", "Музыка", "", ""],
    ["психолог", "Ёжикова", "Елена", "", "", "", ""],
]


def test_staff_file_previews_then_writes_once_and_again_changes_nothing(
    session: Session,
) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    data = xlsx(GOOD)
    before = counts(session)
    report = preview_staff_import(session, actor=actor, data=data, filename="staff.xlsx")
    assert report.problems == []
    assert report.rows == 3
    assert report.added == ["Орлова Ольга Павловна, учитель", "Ёжикова Елена, психолог"]
    assert report.updated == ["Смирнова Анна Петровна: должность «» → «учитель музыки»"]
    assert counts(session) == before  # a dry run writes nothing

    report = import_staff(session, actor=actor, data=data, filename="staff.xlsx")
    assert report.written
    assert counts(session) == (before[0] + 2, before[1] + 1)
    orlova = session.exec(select(Staff).where(Staff.last_name == "Орлова")).one()
    assert (orlova.position, orlova.phone, orlova.email, orlova.user_id, orlova.gender) == (
        "учитель",
        "+7 900 1",
        "o@x.ru",
        None,
        "f",
    )
    smirnova = session.exec(select(Staff).where(Staff.last_name == "Смирнова")).one()
    assert smirnova.position == "учитель музыки"
    row = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
    assert row is not None and row.action == "import.staff"
    assert "Математика" in (row.after or "")

    # the same file again, «ё» written as «е» and a different case: nothing to change
    again = [list(r) for r in GOOD]
    again[5][1] = "ежикова"
    report = import_staff(session, actor=actor, data=xlsx(again), filename="staff.xlsx")
    assert (report.added, report.updated, report.unchanged, report.written) == ([], [], 3, False)
    assert counts(session) == (before[0] + 2, before[1] + 1)


def test_a_file_with_problems_lists_them_by_row_and_writes_nothing(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    data = xlsx(
        [
            HEADER,
            ["Орлова", "Ольга", "", "учитель", "Русский язык, Химия", "", ""],
            ["", "Пётр", "", "учитель", "", "", ""],
            ["Орлова", "Ольга", "", "учитель", "", "плохой", ""],
            ["Новиков", "Николай", "", "", "", "", ""],
        ]
    )
    before = counts(session)
    report = preview_staff_import(session, actor=actor, data=data, filename="s.xlsx")
    assert [p.text() for p in report.problems] == [
        "строка 2, столбец «Предметы»: предмета «Химия» нет в школе",
        "строка 3, столбец «Фамилия»: не указана фамилия",
        "строка 4, столбец «E-mail»: e-mail «плохой» неверный",
        "строка 4, столбец «Фамилия»: этот сотрудник уже есть в строке 2",
    ]
    with pytest.raises(ValidationError, match="ошибок: 4"):
        import_staff(session, actor=actor, data=data, filename="s.xlsx")
    assert counts(session) == before


def test_csv_with_one_fio_column(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    data = "ФИО;Должность;Предметы\nПетров Пётр Петрович;учитель;Музыка\n".encode("cp1251")
    report = import_staff(session, actor=actor, data=data, filename="s.csv")
    assert report.added == ["Петров Пётр Петрович, учитель"]
    petrov = session.exec(select(Staff).where(Staff.last_name == "Петров")).one()
    assert (petrov.first_name, petrov.middle_name, petrov.gender) == ("Пётр", "Петрович", "m")


@pytest.mark.parametrize("who", ["parent", "student", "russian", "deputy"])
def test_forged_calls_are_refused(session: Session, who: str) -> None:
    tiny = make_school(session)
    before = counts(session)
    with pytest.raises(PermissionDenied):
        import_staff(session, actor=tiny.actors[who], data=xlsx(GOOD), filename="s.xlsx")
    assert counts(session) == before
