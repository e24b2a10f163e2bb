"""`ejournal init-school`, `seed --if-empty` with EJOURNAL_DEMO=0 and `ejournal import
students`, run for real in a subprocess (see test_cli.py)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlmodel import Session, col, func, select

from ejournal.domain import migrate
from ejournal.domain.models import (
    AuditLog,
    Enrolment,
    Parent,
    ParentLink,
    Role,
    RoleGrant,
    School,
    Student,
    User,
    WorkType,
)
from tests import conftest
from tests.conftest import BACKENDS, dispose_database, new_database
from tests.factories import make_school
from tests.test_cli import assert_one_line_error, run

pytestmark = pytest.mark.db

HEADER = ["Класс", "Фамилия", "Имя", "Отчество", "Дата рождения",
          "Родитель 1 ФИО", "Родитель 1 телефон", "Родитель 1 e-mail"]  # fmt: skip


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[conftest.TestDatabase]:
    database = new_database(request.param, tmp_path)
    migrate.upgrade(database.engine)
    yield database
    dispose_database(database)


@pytest.fixture()
def tiny_id(db: conftest.TestDatabase) -> int:
    """The tiny school committed to `db`; its id."""
    with Session(db.engine, expire_on_commit=False) as session:
        tiny = make_school(session)
        session.commit()
        return tiny.school.id or 0


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def counts(db: conftest.TestDatabase) -> dict[str, int]:
    with Session(db.engine) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (Student, Enrolment, Parent, ParentLink, AuditLog, School)
        }


# --------------------------------------------------------------------------- init-school


def test_init_school_makes_an_empty_school_and_its_first_admin(db, tmp_path):
    result = run(
        db.url, "init-school", "--name", "МБОУ «Школа № 7»", "--short-name", "Школа № 7",
        "--timezone", "Asia/Yekaterinburg", "--admin-login", "Director",
        tmp=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Школа создана: «МБОУ «Школа № 7»»" in result.stdout
    assert "Одноразовый пароль: " in result.stdout
    with Session(db.engine) as session:
        school = session.exec(select(School)).one()
        assert (school.short_name, school.timezone) == ("Школа № 7", "Asia/Yekaterinburg")
        assert session.exec(select(func.count()).select_from(Student)).one() == 0
        user = session.exec(select(User).where(User.login == "director")).one()
        assert user.must_change_password
        grant = session.exec(select(RoleGrant).where(RoleGrant.user_id == user.id)).one()
        assert (grant.school_id, grant.role) == (school.id, Role.ADMIN.value)
        # The standard kinds of work, «Ответ на уроке» first (the journal's default).
        kinds = session.exec(
            select(WorkType).where(WorkType.school_id == school.id).order_by(WorkType.sort_order)
        ).all()
        assert kinds[0].code == "answer" and kinds[0].name == "Ответ на уроке"
        control = next(k for k in kinds if k.abbreviation == "К.р.")
        assert control.is_control and control.weight == 2


def test_init_school_refuses_a_bad_timezone_or_a_taken_login_and_makes_nothing(db, tmp_path):
    bad = run(db.url, "init-school", "--name", "Школа", "--short-name", "Ш",
              "--timezone", "Europe/Nowhere", tmp=tmp_path)  # fmt: skip
    assert "неизвестный часовой пояс «Europe/Nowhere»" in assert_one_line_error(bad)
    first = run(db.url, "init-school", "--name", "Школа", "--short-name", "Ш",
                "--admin-login", "admin", tmp=tmp_path)  # fmt: skip
    assert first.returncode == 0, first.stderr
    again = run(db.url, "init-school", "--name", "Вторая", "--short-name", "В",
                "--admin-login", "admin", tmp=tmp_path)  # fmt: skip
    assert "логином «admin» уже есть" in assert_one_line_error(again)
    assert counts(db)["School"] == 1


def test_seed_if_empty_with_demo_off_leaves_the_database_empty(db, tmp_path, monkeypatch):
    monkeypatch.setenv("EJOURNAL_DEMO", "0")
    result = run(db.url, "seed", "--if-empty", "--size", "small", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "EJOURNAL_DEMO=0: демо-школа не создаётся" in result.stdout
    assert counts(db)["School"] == 0


# --------------------------------------------------------------------------- import students


def test_import_refuses_a_file_with_problems_by_row_and_writes_nothing(db, tiny_id, tmp_path):
    path = write_xlsx(
        tmp_path / "список.xlsx",
        [
            ["Список учащихся"],
            HEADER,
            ["5А", "Новикова", "Ольга", "", "12.07.2015", "Новиков Пётр", "", ""],
            ["9Я", "Петров", "Пётр", "", "01.01.2014"],
            ["5А", "Сидоров", "Сидор", "", "2015.01.01"],
        ],
    )
    before = counts(db)
    result = run(db.url, "import", "students", str(path), "--school", str(tiny_id), tmp=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "Строка 3, столбец «Родитель 1 телефон»: родитель 1: нет ни телефона, ни e-mail",
        "Строка 4, столбец «Класс»: класса 9 «Я» нет в текущем году",
        "Строка 5, столбец «Дата рождения»: дата «2015.01.01» не в формате ДД.ММ.ГГГГ или "
        "ГГГГ-ММ-ДД",
        "Ошибок: 3. Ничего не записано: исправьте файл.",
    ]
    assert counts(db) == before


def test_import_dry_run_then_write_then_nothing_to_change(db, tiny_id, tmp_path):
    path = write_xlsx(
        tmp_path / "список.xlsx",
        [
            HEADER,
            ["5 А", "Новикова", "Ольга", "Петровна", dt.datetime(2015, 7, 12),
             "Новиков Пётр Иванович", "+79001112233", ""],
            ["5-А", "Елкина", "Дарья", "", "01.03.2015"],
        ],
    )  # fmt: skip
    before = counts(db)
    args = ("import", "students", str(path), "--school", str(tiny_id))
    dry = run(db.url, *args, "--dry-run", tmp=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0] == (
        "Учеников в файле: 2. Добавить: 1; перевести в другой класс: 0; без изменений: 1; "
        "новых родителей: 1; нет в файле: 5."
    )
    assert "  добавить: Новикова Ольга Петровна, 5 «А»" in dry.stdout
    assert "Пробный прогон: ничего не записано." in dry.stdout
    assert counts(db) == before

    done = run(db.url, *args, tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Записано. Учётные записи ученикам и родителям пока не создаются." in done.stdout
    after = counts(db)
    assert after == {**before, "Student": before["Student"] + 1,
                     "Enrolment": before["Enrolment"] + 1, "Parent": before["Parent"] + 1,
                     "ParentLink": before["ParentLink"] + 1,
                     "AuditLog": before["AuditLog"] + 1}  # fmt: skip
    with Session(db.engine) as session:
        row = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
        assert row is not None and row.action == "import.students"

    again = run(db.url, *args, tmp=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "Изменений нет: ничего не записано." in again.stdout
    assert counts(db) == after


def test_import_errors_are_one_line(db, tiny_id, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [HEADER])
    no_school = run(db.url, "import", "students", str(path), "--school", "999", tmp=tmp_path)
    assert "школа с идентификатором 999 не найдена" in assert_one_line_error(no_school)
    missing = run(db.url, "import", "students", str(tmp_path / "нет.xlsx"), "--school",
                  str(tiny_id), tmp=tmp_path)  # fmt: skip
    assert "файл не найден" in assert_one_line_error(missing)


# --------------------------------------------------------------------------- import staff, ktp


def staff_count(db: conftest.TestDatabase) -> tuple[int, int]:
    from ejournal.domain.models import Staff

    with Session(db.engine) as session:
        return (
            session.exec(select(func.count()).select_from(Staff)).one(),
            session.exec(select(func.count()).select_from(AuditLog)).one(),
        )


def test_import_staff_refuses_problems_then_dry_run_write_and_again(db, tiny_id, tmp_path):
    header = ["ФИО", "Должность", "Предметы", "E-mail"]
    bad = write_xlsx(
        tmp_path / "bad.xlsx",
        [header, ["Орлова Ольга Павловна", "учитель", "Химия", ""], ["", "завхоз", "", ""]],
    )
    before = staff_count(db)
    result = run(db.url, "import", "staff", str(bad), "--school", str(tiny_id), tmp=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "Строка 2, столбец «Предметы»: предмета «Химия» нет в школе",
        "Строка 3, столбец «ФИО»: не указана фамилия",
        "Строка 3, столбец «ФИО»: не указано имя",
        "Ошибок: 3. Ничего не записано: исправьте файл.",
    ]
    assert staff_count(db) == before

    good = write_xlsx(
        tmp_path / "staff.xlsx", [header, ["Орлова Ольга Павловна", "учитель", "музыка", ""]]
    )
    args = ("import", "staff", str(good), "--school", str(tiny_id))
    dry = run(db.url, *args, "--dry-run", tmp=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "Сотрудников в файле: 1. Добавить: 1; изменить: 0; без изменений: 0.",
        "  добавить: Орлова Ольга Павловна, учитель",
        "Пробный прогон: ничего не записано.",
    ]
    assert staff_count(db) == before
    done = run(db.url, *args, tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Записано. Учётные записи сотрудникам пока не создаются." in done.stdout
    assert staff_count(db) == (before[0] + 1, before[1] + 1)
    again = run(db.url, *args, tmp=tmp_path)
    assert "Изменений нет: ничего не записано." in again.stdout
    assert staff_count(db) == (before[0] + 1, before[1] + 1)


def _russian_5a_and_deputy(db: conftest.TestDatabase, tiny_id: int) -> int:
    """Grant the tiny school's deputy (Орлов) the deputy role; the id of Russian in 5 «А»."""
    from ejournal.domain.models import Staff, Subject, TeachingAssignment

    with Session(db.engine) as session:
        deputy = session.exec(select(Staff).where(Staff.last_name == "Орлов")).one()
        session.add(
            RoleGrant(user_id=deputy.user_id or 0, school_id=tiny_id, role=Role.DEPUTY.value)
        )
        session.commit()
        return (
            session.exec(
                select(TeachingAssignment.id)
                .join(Subject, col(Subject.id) == col(TeachingAssignment.subject_id))
                .where(Subject.name == "Русский язык")
                .order_by(col(TeachingAssignment.id))
            ).first()
            or 0
        )


def test_import_ktp_as_the_deputy_with_the_hours_warning(db, tiny_id, tmp_path):
    from ejournal.domain.models import ThematicPlanItem

    def items() -> int:
        with Session(db.engine) as session:
            return session.exec(select(func.count()).select_from(ThematicPlanItem)).one()

    path = write_xlsx(
        tmp_path / "ктп.xlsx",
        [["№", "Тема", "Часы", "Дата", "Вид работы"],
         [1, "Язык и общение", 2, "01.09.2026", ""],
         [2, "Контрольная работа", 1, "01.06.2027", "К.р."]],
    )  # fmt: skip
    no_deputy = run(db.url, "import", "ktp", str(path), "--school", str(tiny_id),
                    "--assignment", "1", tmp=tmp_path)  # fmt: skip
    assert "нет заместителя директора" in assert_one_line_error(no_deputy)
    assignment = _russian_5a_and_deputy(db, tiny_id)
    args = ("import", "ktp", str(path), "--school", str(tiny_id), "--assignment", str(assignment))
    bad = run(db.url, *args, tmp=tmp_path)
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [
        "Строка 3, столбец «Дата»: дата 01.06.2027 вне учебного года 2026/2027 "
        "(01.09.2026–31.05.2027)",
        "Ошибок: 1. Ничего не записано: исправьте файл.",
    ]
    assert items() == 0

    path = write_xlsx(
        tmp_path / "ктп.xlsx",
        [["№", "Тема", "Часы", "Дата", "Вид работы"],
         [1, "Язык и общение", 2, "01.09.2026", ""],
         [2, "Контрольная работа", 1, "31.05.2027", "К.р."]],
    )  # fmt: skip
    done = run(db.url, *args, tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Тем в файле: 2, часов: 3. Добавить: 2; изменить: 0; удалить: 0; без изменений: 0.",
        "  Внимание: часов в плане 3, по учебному плану 170 (5 ч в неделю × 34 учебных "
        "недель, Русский язык)",
        "Записано.",
    ]
    assert items() == 2
    again = run(db.url, *args, tmp=tmp_path)
    assert "Изменений нет: ничего не записано." in again.stdout
    assert items() == 2
