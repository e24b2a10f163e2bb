"""`ejournal report`: the deputy's reports written to a file from the command line.

Run for real in a subprocess against a tiny school in its own database (see test_cli.py).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import Session, select

from ejournal.domain import migrate
from ejournal.domain.models import AcademicYear, Mark, Period, Role, RoleGrant, School
from tests import conftest
from tests.conftest import BACKENDS, dispose_database, new_database
from tests.factories import D, add_lesson, make_school
from tests.test_cli import assert_one_line_error, run

pytestmark = pytest.mark.db

ON = "2026-11-30"
CLI_REPORTS = ("fill", "fill_teachers", "checklist", "progress", "attendance", "participation",
               "objectivity", "ktp")  # fmt: skip


@dataclass
class Tiny:
    db: conftest.TestDatabase
    school_id: int
    class5: int
    russian: int
    maths: int
    music: int
    other_period: int  # a period of another school


def _mark(
    session: Session, lesson_id: int, student_id: int, value: int, author: int, wt: int | None
) -> None:
    session.add(
        Mark(
            lesson_id=lesson_id,
            student_id=student_id,
            value=value,
            author_id=author,
            work_type_id=wt,
        )
    )


def _build(session: Session, *, deputy: bool) -> dict[str, int]:
    """The tiny school with November counted by hand (5 students in 5 «А»):

    Russian: 3 lessons held (9, 10, 11 Nov; 12 Nov cancelled), 2 with a topic; marks: Глеб 5
    and 3, Артём 4 — 3 marks, 3 students without a mark, 1 with exactly one.
    Maths: 1 lesson held (9 Nov), Дарья 2 — 1 mark, 4 without, 1 with one.
    Russian marks are answers in class; the maths mark has no work type.
    An October Russian lesson with a mark lies outside the month.
    """
    tiny = make_school(session)
    gleb, artem, darya, vera = tiny.students
    russian_author = tiny.actors["russian"].user_id
    maths_author = tiny.actors["maths"].user_id
    r1 = add_lesson(session, tiny.russian_5a, D(2026, 11, 9), topic="Имя существительное")
    r2 = add_lesson(session, tiny.russian_5a, D(2026, 11, 10), topic="Род существительных")
    r3 = add_lesson(session, tiny.russian_5a, D(2026, 11, 11))
    add_lesson(session, tiny.russian_5a, D(2026, 11, 12), cancelled=True)
    m1 = add_lesson(session, tiny.maths_5a, D(2026, 11, 9), number=2)
    october = add_lesson(session, tiny.russian_5a, D(2026, 10, 20))
    answer = tiny.answer.id
    for lesson, student, value, author, wt in (
        (r1, gleb, 5, russian_author, answer),
        (r1, artem, 4, russian_author, answer),
        (r2, gleb, 3, russian_author, answer),
        (m1, darya, 2, maths_author, None),  # a lesson without a work type
        (october, vera, 4, russian_author, answer),
    ):
        _mark(session, lesson.id or 0, student.id or 0, value, author, wt)
    assert r3.id is not None
    if deputy:
        deputy_user = tiny.actors["deputy"].user_id
        session.add(
            RoleGrant(user_id=deputy_user, school_id=tiny.school.id or 0, role=Role.DEPUTY.value)
        )
    other = School(name="Другая школа", short_name="Другая")
    session.add(other)
    session.flush()
    year = AcademicYear(
        school_id=other.id or 0, name="2026/2027", starts_on=D(2026, 9, 1), ends_on=D(2027, 5, 31)
    )
    session.add(year)
    session.flush()
    period = Period(
        year_id=year.id or 0, kind="year", number=1, name="Год",
        starts_on=D(2026, 9, 1), ends_on=D(2027, 5, 31),
    )  # fmt: skip
    session.add(period)
    session.commit()
    return {
        "school_id": tiny.school.id or 0,
        "class5": tiny.class5.id or 0,
        "russian": tiny.russian.id or 0,
        "maths": tiny.maths.id or 0,
        "music": tiny.music.id or 0,
        "other_period": period.id or 0,
    }


def _tiny(request: pytest.FixtureRequest, tmp_path: Path, *, deputy: bool) -> Iterator[Tiny]:
    database = new_database(request.param, tmp_path)
    migrate.upgrade(database.engine)
    with Session(database.engine, expire_on_commit=False) as session:
        ids = _build(session, deputy=deputy)
    yield Tiny(database, **ids)
    dispose_database(database)


# Module-scoped: the command only reads, so the tests share one database per backend.
@pytest.fixture(scope="module", params=BACKENDS)
def tiny(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Tiny]:
    """The tiny school with its deputy (Орлов Пётр) granted the deputy role."""
    yield from _tiny(request, tmp_path_factory.mktemp("tiny"), deputy=True)


@pytest.fixture(scope="module", params=BACKENDS)
def tiny_without_deputy(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Tiny]:
    """The tiny school where nobody holds the deputy role."""
    yield from _tiny(request, tmp_path_factory.mktemp("tiny"), deputy=False)


def report(tiny: Tiny, tmp: Path, *args: str, fmt: str = "json", out: Path | None = None):  # type: ignore[no-untyped-def]
    out = out or tmp / f"report.{fmt}"
    result = run(
        tiny.db.url,
        "report", *args, "--school", str(tiny.school_id), "--format", fmt,
        "--out", str(out), "--on", ON,
        tmp=tmp,
    )  # fmt: skip
    return result, out


# --------------------------------------------------------------------------- errors


def test_an_unknown_school_is_one_line_and_no_file(tiny, tmp_path):
    """A school id that does not exist: one Russian line, exit 2, nothing written."""
    out = tmp_path / "fill.json"
    result = run(tiny.db.url, "report", "fill", "--school", "999", "--month", "2026-11",
                 "--format", "json", "--out", str(out), tmp=tmp_path)  # fmt: skip

    assert "школа с идентификатором 999 не найдена" in assert_one_line_error(result)
    assert not out.exists()


def test_a_bad_month_is_one_line(tiny, tmp_path):
    """«2026-13» is not a month: the line says how to write one."""
    result, out = report(tiny, tmp_path, "fill", "--month", "2026-13")

    assert "ГГГГ-ММ" in assert_one_line_error(result)
    assert not out.exists()


def test_a_period_of_another_school_is_not_found(tiny, tmp_path):
    """The period exists, but in another school: refused as not found."""
    result, out = report(tiny, tmp_path, "progress", "--period", str(tiny.other_period))

    assert "Период не найден" in assert_one_line_error(result)
    assert not out.exists()


def test_an_out_in_a_missing_folder_is_refused_before_any_work(tiny, tmp_path):
    """--out in a folder that does not exist: one line naming it, no file anywhere."""
    out = tmp_path / "нет-такой-папки" / "fill.json"

    result, _ = report(tiny, tmp_path, "fill", "--month", "2026-11", out=out)

    assert "нет-такой-папки" in assert_one_line_error(result)
    assert not out.parent.exists()


def test_an_out_that_is_a_folder_is_refused(tiny, tmp_path):
    """--out naming a folder: one line, the folder left as it was."""
    folder = tmp_path / "отчёты"
    folder.mkdir()

    result, _ = report(tiny, tmp_path, "fill", "--month", "2026-11", out=folder)

    assert "каталог" in assert_one_line_error(result)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["fill", "--month", "2026-11", "--period", "1"], id="month-and-period"),
        pytest.param(["fill"], id="neither-month-nor-period"),
        pytest.param(["gossip", "--month", "2026-11"], id="unknown-report"),
    ],
)
def test_wrong_report_arguments_are_one_russian_line(tiny, tmp_path, args):
    """Both or neither of --month/--period, or an unknown report: one Russian line, exit 2."""
    result, out = report(tiny, tmp_path, *args)

    line = assert_one_line_error(result)
    assert line.startswith("ejournal: неверные аргументы")
    assert not out.exists()


# --------------------------------------------------------------------------- reports


def _fill_rows(tiny: Tiny, tmp_path: Path) -> dict[tuple[int, int], dict[str, object]]:
    result, out = report(tiny, tmp_path, "fill", "--month", "2026-11")
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text(encoding="utf-8"))
    return {(r["class_id"], r["subject_id"]): r for r in rows if "subject_id" in r}


def test_fill_json_has_the_hand_counted_figures_per_class_and_subject(tiny, tmp_path):
    """November in 5 «А»: Russian 3 lessons, 3 marks, 3 unmarked and 1 with one mark, 2
    topics; maths 1 lesson, 1 mark, 4 unmarked, 1 with one mark."""
    rows = _fill_rows(tiny, tmp_path)

    russian = rows[(tiny.class5, tiny.russian)]
    assert (russian["lessons_held"], russian["marks"], russian["students"]) == (3, 3, 5)
    assert (russian["students_without_marks"], russian["students_with_one_mark"]) == (3, 1)
    assert russian["topics_recorded"] == 2
    maths = rows[(tiny.class5, tiny.maths)]
    assert (maths["lessons_held"], maths["marks"], maths["students"]) == (1, 1, 5)
    assert (maths["students_without_marks"], maths["students_with_one_mark"]) == (4, 1)


def test_fill_json_counts_sum_to_what_the_database_holds(tiny, tmp_path):
    """Over all rows: 4 lessons held and 4 marks in November (the cancelled lesson and the
    October mark are not counted)."""
    rows = _fill_rows(tiny, tmp_path).values()

    assert sum(r["lessons_held"] for r in rows) == 4  # type: ignore[misc]
    assert sum(r["marks"] or 0 for r in rows) == 4  # type: ignore[misc]  # None: no marks kept


def test_the_command_prints_what_it_wrote(tiny, tmp_path):
    """Success: exit 0 and one line naming the report, the month and the file."""
    result, out = report(tiny, tmp_path, "fill", "--month", "2026-11")

    assert result.returncode == 0, result.stderr
    assert "ноябрь 2026" in result.stdout
    assert str(out) in result.stdout
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("name", CLI_REPORTS)
def test_every_report_writes_a_json_list_for_a_period(tiny, tmp_path, name):
    """Each of the eight reports runs for the first quarter and writes a JSON list."""
    with Session(tiny.db.engine) as session:
        quarter = session.exec(
            select(Period).where(Period.name == "1 четверть", Period.starts_on == D(2026, 9, 1))
        ).first()
    assert quarter is not None

    result, out = report(tiny, tmp_path, name, "--period", str(quarter.id))

    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(out.read_text(encoding="utf-8")), list)


def test_pdf_is_signed_by_the_schools_deputy_and_dated_on_the_report_day(tiny, tmp_path):
    """The PDF names the deputy (Орлов П.) on the signature line and prints --on as its date."""
    result, out = report(tiny, tmp_path, "fill", "--month", "2026-11", fmt="pdf")

    assert result.returncode == 0, result.stderr
    text = " ".join(p.extract_text() for p in PdfReader(out).pages)
    assert "Заместитель директора по УВР ______________ / Орлов П. /" in text
    assert "Дата печати: 30.11.2026" in text
    assert "Русский язык" in text


def test_pdf_without_a_deputy_leaves_the_signer_blank(tiny_without_deputy, tmp_path):
    """Nobody holds the deputy role: the line is there with a blank for the name."""
    result, out = report(tiny_without_deputy, tmp_path, "fill", "--month", "2026-11", fmt="pdf")

    assert result.returncode == 0, result.stderr
    text = " ".join(p.extract_text() for p in PdfReader(out).pages)
    assert "Заместитель директора по УВР ______________ / ____" in text
    assert "Орлов" not in text


def test_xlsx_from_the_command_line_opens_in_openpyxl(tiny, tmp_path):
    """The XLSX file opens, its title names the school and month, and it has the definitions."""
    result, out = report(tiny, tmp_path, "fill", "--month", "2026-11", fmt="xlsx")

    assert result.returncode == 0, result.stderr
    book = load_workbook(io.BytesIO(out.read_bytes()))
    title = book.worksheets[0]["A1"].value
    assert "Школа № 1" in title and "ноябрь 2026" in title and "30.11.2026" in title
    assert book.sheetnames[1] == "Как считается"


def test_report_day_defaults_to_the_schools_today(tiny, tmp_path):
    """Without --on the command still runs (today at the school) and exits 0."""
    out = tmp_path / "fill.csv"
    result = run(tiny.db.url, "report", "fill", "--school", str(tiny.school_id),
                 "--month", "2026-11", "--format", "csv", "--out", str(out), tmp=tmp_path)  # fmt: skip

    assert result.returncode == 0, result.stderr
    header = out.read_bytes().decode("utf-8-sig").splitlines()[0]
    assert ";" in header


def test_the_command_offers_exactly_the_reports_the_domain_builds():
    """The parser's list of reports (kept apart so it need not import pandas) is the domain's."""
    from ejournal.cli import REPORT_NAMES as CLI_NAMES
    from ejournal.domain.control.reports import REPORT_NAMES

    assert sorted(CLI_NAMES) == sorted(REPORT_NAMES)
