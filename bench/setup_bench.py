"""Benchmark: importing a school's class lists (target: 1,000 students, dry run and write,
≤ 10 s each) — issue 13.

An empty school with 33 classes (1–11, «А»–«В») gets a 1,000-row XLSX written by openpyxl
(each student with two parents), first as a dry run, then written; then the same file again
(a re-import that changes nothing). On SQLite and, when EJOURNAL_TEST_DATABASE_URL names a
PostgreSQL server, on PostgreSQL. Prints seconds; asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import time
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Engine

from bench.seed_bench import _postgresql, _sqlite
from ejournal.domain import migrate
from ejournal.domain.db import session_scope
from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    Role,
    RoleGrant,
    School,
    Staff,
    User,
)
from ejournal.domain.permissions import Actor
from ejournal.domain.setup.students import import_students, preview_students_import

STUDENTS = 1000
TODAY = dt.date(2026, 8, 25)
LETTERS = ("А", "Б", "В")
SURNAMES = ("Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов",
            "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев")  # fmt: skip
NAMES = ("Александр", "Максим", "Артём", "Михаил", "Иван", "Даниил", "Дмитрий", "Кирилл",
         "Андрей", "Егор", "Никита", "Матвей", "Тимофей", "Роман", "Лев", "Марк")  # fmt: skip
HEADER = ["Класс", "Фамилия", "Имя", "Отчество", "Дата рождения",
          "Родитель 1 ФИО", "Родитель 1 телефон", "Родитель 1 e-mail",
          "Родитель 2 ФИО", "Родитель 2 телефон", "Родитель 2 e-mail"]  # fmt: skip


def _school(engine: Engine) -> Actor:
    """An empty school with its year and classes, and a secretary to import."""
    migrate.upgrade(engine)
    with session_scope(engine, write=True) as s:
        school = School(name="Школа для замера", short_name="Школа")
        s.add(school)
        s.flush()
        assert school.id is not None
        year = AcademicYear(
            school_id=school.id,
            name="2026/2027",
            starts_on=dt.date(2026, 9, 1),
            ends_on=dt.date(2027, 5, 31),
            is_current=True,
        )
        s.add(year)
        s.flush()
        assert year.id is not None
        for grade in range(1, 12):
            for letter in LETTERS:
                s.add(ClassGroup(school_id=school.id, year_id=year.id, grade=grade, letter=letter))
        user = User(login="secretary.bench", password_hash="!", must_change_password=False)  # noqa: S106 (no login)
        s.add(user)
        s.flush()
        assert user.id is not None
        staff = Staff(
            school_id=school.id, user_id=user.id, last_name="Секретарева", first_name="Анна"
        )
        s.add(staff)
        s.add(RoleGrant(user_id=user.id, school_id=school.id, role=Role.SECRETARY))
        s.flush()
        return Actor(
            user_id=user.id,
            school_id=school.id,
            roles=frozenset({Role.SECRETARY}),
            staff_id=staff.id,
            active_role=Role.SECRETARY,
        )


def school_file(n: int = STUDENTS) -> bytes:
    """`n` students over the 33 classes, two parents each, as a school's XLSX."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Список обучающихся на 2026/2027 учебный год"])
    sheet.append([])
    sheet.append(HEADER)
    for i in range(n):
        grade, letter = 1 + i % 11, LETTERS[(i // 11) % 3]
        last = SURNAMES[i % len(SURNAMES)]
        first = NAMES[(i // len(SURNAMES)) % len(NAMES)]
        middle = NAMES[(i * 7) % len(NAMES)] + "ович"
        born = dt.date(2019 - grade, 1 + i % 12, 1 + i % 28)
        sheet.append(
            [
                f"{grade}{letter}",
                f"{last}{'' if i < 224 else i}",
                first,
                middle,
                born.strftime("%d.%m.%Y"),
                f"{last}а Мария Ивановна",
                f"+7 900 {i:03d}-{i % 100:02d}-{(i * 3) % 100:02d}",
                f"mama{i}@example.ru",
                f"{last} Пётр Сергеевич",
                f"+7 901 {i:03d}-{i % 100:02d}-{(i * 7) % 100:02d}",
                "",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _measure(engine: Engine, data: bytes, backend: str) -> None:
    actor = _school(engine)
    kwargs: dict[str, Any] = {
        "actor": actor,
        "data": data,
        "filename": "список.xlsx",
        "today": TODAY,
    }
    start = time.perf_counter()
    with session_scope(engine, read_only=True) as s:
        dry = preview_students_import(s, **kwargs)
    t_dry = time.perf_counter() - start
    start = time.perf_counter()
    with session_scope(engine, write=True) as s:
        written = import_students(s, **kwargs)
    t_write = time.perf_counter() - start
    start = time.perf_counter()
    with session_scope(engine, write=True) as s:
        again = import_students(s, **kwargs)
    t_again = time.perf_counter() - start
    print(
        f"  {backend:<10} пробный прогон {t_dry:5.1f} с, запись {t_write:5.1f} с, "
        f"повторный импорт {t_again:5.1f} с  (ошибок {len(dry.problems)}; "
        f"добавлено {len(written.added)}; при повторе добавлено {len(again.added)})",
        flush=True,
    )


def run() -> None:
    data = school_file()
    print(f"  импорт {STUDENTS} учащихся из XLSX ({len(data) // 1024} КБ), цель ≤ 10 с", flush=True)
    with _sqlite() as engine:
        _measure(engine, data, "SQLite")
    pg = os.environ.get("EJOURNAL_TEST_DATABASE_URL", "")
    if pg:
        with _postgresql(pg) as engine:
            _measure(engine, data, "PostgreSQL")


if __name__ == "__main__":
    run()
