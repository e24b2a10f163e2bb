"""A new school sets itself up in the browser (issue 13), from `ejournal init-school` to a
teacher's first mark: the administrator enters the year, the calendar, the bells and a
class, imports the staff and the class list from XLSX files and hands out accounts (their
one-time passwords read from the printed slips); the deputy enters the curriculum, the
teacher's load and the timetable and names a substitute; the teacher imports a КТП, the
deputy approves it, and the teacher marks a student in the journal.

The school is created by the command line in the live server's database, beside the other
test schools; everything it holds is made here, through the pages.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlmodel import Session, col, func, select

from ejournal.domain.db import make_engine
from ejournal.domain.journal.context import is_holiday, period_of, term_periods
from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    Lesson,
    Mark,
    School,
    Staff,
    Student,
    TeachingAssignment,
    ThematicPlanItem,
)
from ejournal.domain.setup.ktp import school_weeks
from tests.browser.conftest import LiveServer, on_path, screenshot
from tests.test_cli import run

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NEW_PASSWORD = "Сад-Клён-2026-осень"
SCHOOL = "МБОУ «Новая школа № 12»"
STAFF = [
    ("Завучева", "Зинаида", "Петровна", "Заместитель директора по УВР", ""),
    ("Матвеева", "Мария", "Ильинична", "Учитель", "Математика"),
    ("Заменова", "Зоя", "Олеговна", "Учитель", "Математика"),
]
STUDENTS = [
    ("5 «А»", "Андреев", "Артём", "Сергеевич", "01.03.2015", "Андреева Анна Ивановна",
     "+7 900 111-22-33"),
    ("5-А", "Борисова", "Белла", "", "12.07.2015", "Борисов Борис Олегович", "+7 900 222-33-44"),
    ("5А", "Ёлкина", "Дарья", "Павловна", dt.datetime(2015, 2, 3), "Ёлкина Ольга Ивановна",
     "+7 900 333-44-55"),
]  # fmt: skip


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _school_year(today: dt.date) -> tuple[dt.date, dt.date]:
    start = today.year if today.month >= 9 else today.year - 1
    return dt.date(start, 9, 1), dt.date(start + 1, 5, 31)


def _engine(live: LiveServer) -> Any:
    return make_engine(live.db_url)


def _log_in(page: Any, login: str, password: str) -> None:
    page.goto("/login")
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill(password)
    page.locator('input[name="password"]').press("Enter")


def _first_login(page: Any, login: str, one_time: str, home: str) -> None:
    """Log in with a one-time password and set one's own, as a new user does."""
    _log_in(page, login, one_time)
    page.wait_for_url(on_path("/account/password"))
    page.locator('input[name="old_password"]').fill(one_time)
    page.locator('input[name="new_password"]').fill(NEW_PASSWORD)
    page.locator('input[name="repeat_password"]').fill(NEW_PASSWORD)
    page.get_by_role("button", name="Сменить пароль").click()
    page.wait_for_url(on_path(home))


def _log_out(page: Any) -> None:
    page.get_by_role("button", name="Выйти").click()
    page.wait_for_url("**/login**")


def _toast(page: Any, text: str) -> None:
    page.get_by_text(text, exact=False).first.wait_for()


def _slips(path: Path) -> dict[str, tuple[str, str]]:
    """Surname → (login, one-time password), read from the printed slips."""
    text = "\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages)
    found: dict[str, tuple[str, str]] = {}
    for surname, login, password in re.findall(
        r"\n(\S+) [^\n]*\n[^\n]*\nЛогин:\s+(\S+)\nПароль:\s+(\S+)", text
    ):
        found[surname] = (login, password)
    return found


def _school_day(live: LiveServer, school_id: int, days: list[dt.date]) -> dt.date | None:
    """The first of `days` that is a school day of grade 5 (in a term, not a holiday)."""
    engine = _engine(live)
    try:
        with Session(engine) as s:
            school = s.get(School, school_id)
            year = s.exec(select(AcademicYear).where(AcademicYear.school_id == school_id)).one()
            assert school is not None and year.id is not None
            terms = term_periods(s, year.id, 5)
            for day in days:
                if (
                    day.isoweekday() <= school.days_per_week
                    and period_of(terms, day) is not None
                    and not is_holiday(s, year.id, 5, day)
                ):
                    return day
    finally:
        engine.dispose()
    return None


def _upload(page: Any, area: str, name: str, data: bytes) -> None:
    """Drop a file into the upload area `area` (its hidden file input)."""
    page.locator(f"#{area} input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}]
    )


def _pick(page: Any, label: str, option: str) -> None:
    """Choose `option` in the combobox named `label`."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_a_new_school_from_init_to_the_first_mark(page: Any, live_server: LiveServer, tmp_path):
    today = dt.date.today()
    starts, ends = _school_year(today)
    if today.month in (6, 7, 8):
        pytest.skip("летние каникулы: в этот день не бывает уроков, первую отметку не поставить")

    # -- the operator: an empty school and its administrator
    made = run(live_server.db_url, "init-school", "--name", SCHOOL, "--short-name", "Школа № 12",
               "--timezone", "Europe/Moscow", "--admin-login", "setup.admin", tmp=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stderr
    school_id = int(re.search(r"идентификатор (\d+)", made.stdout).group(1))  # type: ignore[union-attr]
    admin_password = re.search(r"Одноразовый пароль: (\S+)", made.stdout).group(1)  # type: ignore[union-attr]
    engine = _engine(live_server)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(ClassGroup).where(ClassGroup.school_id == school_id)).one() == 0  # fmt: skip
    engine.dispose()

    # -- the administrator: the year, the calendar, the bells, the class
    _first_login(page, "setup.admin", admin_password, "/admin/users")
    page.goto("/setup/school")
    page.get_by_label("Первый день учебного года", exact=True).fill(starts.isoformat())
    page.get_by_label("Последний день учебного года", exact=True).fill(ends.isoformat())
    page.get_by_role("button", name="Создать учебный год").click()
    _toast(page, f"Учебный год {starts.year}/{ends.year} создан")
    page.get_by_role("button", name="Заполнить стандартно").click()
    _toast(page, "Добавлено периодов: 7")
    # A holiday far from today, so that today stays a school day.
    holiday = dt.date(ends.year, 1, 2) if today.month != 1 else dt.date(ends.year, 3, 24)
    page.get_by_label("Название каникул", exact=True).fill("Дополнительные каникулы")
    page.get_by_label("Первый день каникул", exact=True).fill(holiday.isoformat())
    page.get_by_label("Последний день каникул", exact=True).fill(
        (holiday + dt.timedelta(days=1)).isoformat()
    )
    page.get_by_role("button", name="Добавить каникулы").click()
    _toast(page, "Каникулы «Дополнительные каникулы» добавлены")
    expect(page.get_by_role("radio", name="5 дней (пн–пт)")).to_be_checked()
    for n in range(1, 7):
        start = dt.datetime(2000, 1, 1, 8, 30) + dt.timedelta(minutes=55 * (n - 1))
        page.get_by_label(f"Начало урока {n}", exact=True).fill(f"{start:%H:%M}")
        page.get_by_label(f"Конец урока {n}", exact=True).fill(
            f"{start + dt.timedelta(minutes=45):%H:%M}"
        )
    page.get_by_role("button", name="Сохранить звонки").click()
    _toast(page, "Расписание звонков сохранено: уроков 6.")
    page.get_by_label("Новый класс", exact=True).fill("5А")
    page.get_by_role("button", name="Добавить класс").click()
    _toast(page, "Класс 5 «А» добавлен.")
    screenshot(page, "setup-school")

    # -- the administrator: staff and class lists from the school's own spreadsheets
    page.goto("/setup/people")
    # Subjects are not in the school yet (the deputy enters them next): names and positions.
    staff_file = _xlsx([["Список сотрудников"], [], ["ФИО", "Должность"],
                        *[[f"{a} {b} {c}", pos] for a, b, c, pos, _ in STAFF]])  # fmt: skip
    _upload(page, "staff_upload", "сотрудники.xlsx", staff_file)
    page.get_by_text("Ошибок нет").first.wait_for()
    page.get_by_role("button", name="Записать список сотрудников").click()
    _toast(page, "записан")
    students_file = _xlsx([["Класс", "Фамилия", "Имя", "Отчество", "Дата рождения",
                            "Родитель 1 ФИО", "Родитель 1 телефон"], *[list(r) for r in STUDENTS]])  # fmt: skip
    _upload(page, "students_upload", "списки.xlsx", students_file)
    page.get_by_text("Ошибок нет").first.wait_for()
    page.get_by_role("button", name="Записать списки классов").click()
    _toast(page, "Списки записаны")
    with page.expect_download() as download:
        page.get_by_role("button", name="Выдать учётные записи сотрудникам").click()
    accounts = _slips(Path(download.value.path()))
    assert set(accounts) >= {"Завучева", "Матвеева", "Заменова"}, accounts
    screenshot(page, "setup-people")

    # -- the administrator makes Завучева the deputy
    page.goto("/admin/users")
    page.get_by_placeholder("Фамилия, имя или логин").fill("Завучева")
    page.get_by_role("button", name="Найти").click()
    page.get_by_role("link", name=re.compile("Завучева Зинаида")).first.click()
    grant = page.locator("form", has=page.get_by_role("button", name="Назначить роль"))
    grant.get_by_role("combobox", name="Роль").click()
    page.get_by_role("option", name="Заместитель директора по УВР").click()
    grant.get_by_role("button", name="Назначить роль").click()
    _toast(page, "Роль назначена.")
    _log_out(page)

    # -- the deputy: the curriculum and the load
    deputy_login, deputy_password = accounts["Завучева"]
    _first_login(page, deputy_login, deputy_password, "/dashboard")
    page.goto("/setup/curriculum")
    page.get_by_label("Название нового предмета", exact=True).fill("Математика")
    page.get_by_role("button", name="Добавить предмет").click()
    _toast(page, "Предмет «Математика» добавлен.")
    page.get_by_label("Математика, 5 класс, часов в неделю", exact=True).fill("5")
    page.get_by_role("button", name="Сохранить часы").click()
    _toast(page, "Часы сохранены (1).")
    for label, option in (("Класс", "5 «А»"), ("Предмет", "Математика"),
                          ("Учитель", "Матвеева М. И.")):  # fmt: skip
        _pick(page, label, option)
    page.get_by_role("button", name="Добавить нагрузку").click()
    _toast(page, "Нагрузка добавлена")
    screenshot(page, "setup-curriculum")

    # -- the deputy: the timetable on the day to mark, and a substitute for a later day
    # The day to mark: today when it is a school day, else the latest of the last six days.
    lesson_day = _school_day(
        live_server, school_id, [today - dt.timedelta(days=n) for n in range(7)]
    )
    if lesson_day is None:
        pytest.skip("на этой неделе нет учебных дней (каникулы): первую отметку не поставить")
    weekday = ["Понедельник", "Вторник", "Среда", "Четверг", "Пятница"][lesson_day.weekday()]
    page.goto("/setup/timetable")
    _timetable_lesson(page, weekday, starts)
    # A substitute on another school day of the same weekday (a week later or earlier).
    other = _school_day(live_server, school_id, [lesson_day + dt.timedelta(days=7 * n)
                                                 for n in (1, 2, -1, -2, 3, -3)])  # fmt: skip
    assert other is not None
    _substitute(page, other)
    screenshot(page, "setup-timetable")
    _log_out(page)

    # -- the teacher: the КТП, sent for approval
    teacher_login, teacher_password = accounts["Матвеева"]
    _first_login(page, teacher_login, teacher_password, "/teacher")
    engine = _engine(live_server)
    with Session(engine) as s:
        school = s.get(School, school_id)
        year = s.exec(select(AcademicYear).where(AcademicYear.school_id == school_id)).one()
        assert school is not None
        hours = 5 * school_weeks(s, school, year, 5)
    engine.dispose()
    ktp = _xlsx([["Календарно-тематическое планирование, математика, 5 класс"], [],
                 ["№", "Тема урока", "Кол-во часов"],
                 [1, "Натуральные числа и шкалы", 1],
                 [2, "Сложение и вычитание натуральных чисел", hours - 1]])  # fmt: skip
    page.goto("/ktp")
    page.get_by_role("button", name="Открыть КТП: 5 «А», Математика").click()
    _upload(page, "ktp_upload", "ктп.xlsx", ktp)
    page.get_by_text("Ошибок нет").first.wait_for()
    page.get_by_role("button", name="Записать").click()
    page.get_by_role("button", name="Отправить на согласование").click()
    page.get_by_text("на согласовании").first.wait_for()
    _log_out(page)

    # -- the deputy approves it
    _log_in(page, deputy_login, NEW_PASSWORD)
    page.wait_for_url(on_path("/dashboard"))
    page.goto("/ktp")
    page.get_by_role("button", name="Открыть КТП: 5 «А», Математика").click()
    page.get_by_role("button", name="Согласовать").click()
    _toast(page, "План согласован")
    _log_out(page)

    # -- the teacher marks the first student
    _log_in(page, teacher_login, NEW_PASSWORD)
    page.wait_for_url(on_path("/teacher"))
    engine = _engine(live_server)
    with Session(engine) as s:
        assignment = s.exec(
            select(TeachingAssignment).join(ClassGroup).where(ClassGroup.school_id == school_id)
        ).one()
        assert assignment.ktp_status == "approved"
        period = period_of(term_periods(s, assignment.year_id, 5), lesson_day)
        assert period is not None
    engine.dispose()
    if lesson_day == today:
        row = page.locator("#today-lessons tr", has_text="5 «А»").first
        row.get_by_role("button", name=re.compile("Начать урок")).click()
    else:
        page.goto(f"/journal?a={assignment.id}&p={period.id}")
        page.get_by_role("button", name="Добавить урок").click()
        page.locator('input[name="date"]').fill(lesson_day.isoformat())
        page.get_by_role("button", name="Добавить", exact=True).click()
    page.wait_for_url("**/journal?**")
    page.wait_for_function("() => window.ejGrid && window.ejGrid.ready()")
    cell = page.locator("#ej-body input.ej-cell:not([readonly])").first
    cell.click()
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    handle = cell.element_handle()
    page.wait_for_function(
        "el => el.getAttribute('data-v') === '5' && !el.hasAttribute('data-pending')",
        arg=handle,
        timeout=10_000,
    )
    screenshot(page, "setup-first-mark")

    engine = _engine(live_server)
    with Session(engine) as s:
        marks = s.exec(
            select(Mark, Lesson, Student)
            .join(Lesson, col(Lesson.id) == Mark.lesson_id)
            .join(Student, col(Student.id) == Mark.student_id)
            .where(Lesson.assignment_id == assignment.id)
        ).all()
        assert [(m.value, lesson.date, st.last_name) for m, lesson, st in marks] == [
            (5, lesson_day, "Андреев")
        ]
        plan = s.exec(
            select(func.count())
            .select_from(ThematicPlanItem)
            .where(ThematicPlanItem.assignment_id == assignment.id)
        ).one()
        assert plan == 2
        assert s.exec(select(func.count()).select_from(Staff).where(Staff.school_id == school_id)).one() >= 3  # fmt: skip
    engine.dispose()


def _timetable_lesson(page: Any, weekday: str, starts: dt.date) -> None:
    """Maths in 5 «А», 1st lesson on `weekday`, from the first day of the year."""
    page.get_by_role("button", name=f"{weekday}, 1-й урок: добавить урок").click()
    _pick(page, "Класс и предмет", "5 «А», Математика — Матвеева М. И.")
    page.get_by_label("Кабинет", exact=True).fill("21")
    page.get_by_label("Действует с", exact=True).fill(starts.isoformat())
    page.get_by_role("button", name="Добавить", exact=True).click()
    _toast(page, "Урок добавлен")


def _substitute(page: Any, day: dt.date) -> None:
    """Заменова takes Матвеева's lessons of `day`."""
    _pick(page, "Кого заменяют", "Матвеева М. И.")
    _pick(page, "Кто заменяет", "Заменова З. О.")
    page.get_by_label("Замена с", exact=True).fill(day.isoformat())
    page.get_by_label("Замена по", exact=True).fill(day.isoformat())
    page.get_by_role("button", name="Назначить замену").click()
    _toast(page, "Замена назначена")
