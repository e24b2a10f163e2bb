"""Import of class lists from XLSX or CSV: one row per student, up to two parents.

The file is read into plain rows (`read_table`), the header row is found below any title
rows, columns are matched by header name (`HEADER_ALIASES`, Russian or English, any order),
and every row is checked. `preview_students_import` reports every problem by row and column
and what the import would change; `import_students` writes only a clean file, in the
caller's one transaction: students, their Enrolment from the import day, Parent rows and
ParentLink. No user accounts are made here (they are issued later, with the slips).

Students already in the school are matched by surname + name + patronymic + birth date
(case and «ё»/«е» ignored): re-importing the same file changes nothing; a student found in
another class is moved; a student of a current class missing from the file is only
reported («нет в файле»), never removed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound, ValidationError
from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    Enrolment,
    EnrolmentKind,
    LeaveKind,
    Parent,
    ParentLink,
    School,
    Student,
)
from ejournal.domain.permissions import Actor, Permission, require_some
from ejournal.domain.school.clock import school_today

Cell = str | int | float | dt.date | dt.datetime | None

#: Where the header row may be: title rows and blank rows above it are skipped.
HEADER_SEARCH_ROWS = 30

#: field → (Russian title for messages, normalised header names that mean it).
HEADER_ALIASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "class": ("Класс", ("класс", "class", "class name", "grade", "кл")),
    "last_name": ("Фамилия", ("фамилия", "surname", "last name", "lastname", "family name")),
    "first_name": ("Имя", ("имя", "name", "first name", "firstname", "given name")),
    "middle_name": ("Отчество", ("отчество", "patronymic", "middle name", "middlename")),
    "birth_date": (
        "Дата рождения",
        ("дата рождения", "birth date", "date of birth", "birthdate", "birthday", "др", "д р"),
    ),
    "gender": ("Пол", ("пол", "gender", "sex")),
}
REQUIRED = ("class", "last_name", "first_name", "birth_date")
PARENT_FIELDS = ("name", "phone", "email")
PARENT_TITLES = {"name": "ФИО", "phone": "телефон", "email": "e-mail"}

_LATIN_TO_CYRILLIC = str.maketrans("ABCEHKMOPTXabcehkmoptx", "АВСЕНКМОРТХавсенкмортх")
_QUOTES = "«»\"'“”„`"
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Problem:
    """One problem of the file: `row` as the spreadsheet numbers it (0: the whole file)."""

    row: int
    column: str
    message: str

    def text(self) -> str:
        where = f"строка {self.row}" if self.row else "файл"
        if self.column:
            where += f", столбец «{self.column}»"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ParentRow:
    last_name: str
    first_name: str
    middle_name: str
    phone: str
    email: str


@dataclass(frozen=True)
class StudentRow:
    row: int
    grade: int
    letter: str
    last_name: str
    first_name: str
    middle_name: str
    birth_date: dt.date
    gender: str
    parents: tuple[ParentRow, ...]

    @property
    def class_label(self) -> str:
        return f"{self.grade} «{self.letter}»" if self.letter else str(self.grade)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


@dataclass
class StudentsImport:
    """What the file holds and what writing it would change (or changed)."""

    rows: int = 0  # students read from the file
    problems: list[Problem] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # «Фамилия Имя Отчество, 5 «А»»
    moved: list[str] = field(default_factory=list)  # «…: 5 «А» → 5 «Б»»
    unchanged: int = 0
    left_out: list[str] = field(default_factory=list)  # in a current class, not in the file
    parents_added: int = 0
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changes(self) -> int:
        return len(self.added) + len(self.moved) + self.parents_added


# --------------------------------------------------------------------------- normalising


def clean(value: Cell) -> str:
    """A cell as text: trimmed, inner runs of spaces made one."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).replace("\xa0", " ").split())


def name_key(*parts: str) -> str:
    """Names compared as people read them: case, extra spaces and «ё»/«е» ignored."""
    return " ".join(" ".join(parts).casefold().replace("ё", "е").split())


def _header_key(value: Cell) -> str:
    text = clean(value).casefold().replace("ё", "е")
    text = re.sub(r"[^\w@]+", " ", text)
    return " ".join(text.split())


def parse_class(value: Cell) -> tuple[int, str] | None:
    """«5А», «5 А», «5-А», «5 «А»», «5a» → (5, "А"); None when it is not a class."""
    text = clean(value).translate(_LATIN_TO_CYRILLIC)
    for ch in _QUOTES + "-–—. ":
        text = text.replace(ch, "")
    text = text.upper().replace("Ё", "Е")
    match = re.fullmatch(r"(\d{1,2})([А-Я]{0,2})", text)
    if match is None:
        return None
    grade = int(match.group(1))
    if not 1 <= grade <= 11:
        return None
    return grade, match.group(2)


def parse_date(value: Cell) -> dt.date | None:
    """A date typed as text (ДД.ММ.ГГГГ, ГГГГ-ММ-ДД, ДД/ММ/ГГГГ) or kept by Excel."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 80000:  # an Excel serial day number in an unformatted cell
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        return None
    text = clean(value)
    text = text.split(" ")[0] if re.fullmatch(r"\S+ 0?0:00(:00)?", text) else text
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def guess_gender(first_name: str, middle_name: str) -> str:
    """ "m" or "f" from the patronymic (or, without one, the first name's ending)."""
    middle = middle_name.casefold()
    if middle.endswith(("вна", "чна", "кызы", "гызы")):
        return "f"
    if middle.endswith(("ич", "оглы", "улы", "уулу")):
        return "m"
    return "f" if first_name.casefold().endswith(("а", "я")) else "m"


def _split_name(text: str) -> tuple[str, str, str]:
    parts = text.split(" ")
    return parts[0], (parts[1] if len(parts) > 1 else ""), " ".join(parts[2:])


# --------------------------------------------------------------------------- reading


class FileProblem(Exception):
    """The file cannot be read at all (message in Russian)."""


def read_table(data: bytes, filename: str) -> list[list[Cell]]:
    """The rows of the file's first sheet (XLSX) or of a CSV (utf-8, utf-8-sig or cp1251;
    «;» or «,»), each a list of cells. Raises FileProblem when the file cannot be read."""
    name = filename.casefold()
    if name.endswith(".xls"):
        raise FileProblem("формат .xls не поддерживается: сохраните файл как .xlsx или CSV")
    if name.endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        return _read_xlsx(data)
    return _read_csv(data)


def _read_xlsx(data: bytes) -> list[list[Cell]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FileProblem("файл не открывается как таблица Excel (.xlsx)") from exc
    try:
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _read_csv(data: bytes) -> list[list[Cell]]:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1251 decodes almost any bytes
        raise FileProblem("кодировка файла не распознана: сохраните его в UTF-8")
    head = text.splitlines()[:HEADER_SEARCH_ROWS]
    delimiter = ";" if sum(x.count(";") for x in head) >= sum(x.count(",") for x in head) else ","
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


@dataclass
class _Columns:
    header_row: int  # 1-based
    fields: dict[str, int]  # field → column index
    titles: dict[str, str]  # field → the header as written in the file
    parents: dict[tuple[int, str], int]  # (1|2, name|phone|email) → column index


def _parent_field(key: str) -> tuple[int, str] | None:
    if not any(
        w in key for w in ("родител", "parent", "законн", "мать", "отец", "mother", "father")
    ):
        return None
    number = 2 if re.search(r"\b2\b|второ|отец|father", key) else 1
    if re.search(r"телефон|phone|\bтел\b|\bмоб", key):
        return number, "phone"
    if any(w in key for w in ("mail", "почт", "email")):
        return number, "email"
    return number, "name"


def _match_header(row: Sequence[Cell]) -> _Columns | None:
    fields: dict[str, int] = {}
    titles: dict[str, str] = {}
    parents: dict[tuple[int, str], int] = {}
    for index, cell in enumerate(row):
        key = _header_key(cell)
        if not key:
            continue
        parent = _parent_field(key)
        if parent is not None:
            parents.setdefault(parent, index)
            titles[f"parent{parent[0]}_{parent[1]}"] = clean(cell)
            continue
        for name, (_title, aliases) in HEADER_ALIASES.items():
            if key in aliases and name not in fields:
                fields[name] = index
                titles[name] = clean(cell)
                break
    if "last_name" not in fields or len(fields) + len(parents) < 3:
        return None
    return _Columns(0, fields, titles, parents)


def _find_header(rows: list[list[Cell]]) -> _Columns | None:
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        found = _match_header(row)
        if found is not None:
            found.header_row = number
            return found
    return None


def parse_students(
    rows: list[list[Cell]], *, today: dt.date
) -> tuple[list[StudentRow], list[Problem]]:
    """The students of the table and every problem found (by row and column)."""
    columns = _find_header(rows)
    if columns is None:
        return [], [
            Problem(
                0,
                "",
                "не найдена строка заголовков (нужны столбцы «Класс», «Фамилия», «Имя», "
                "«Дата рождения»)",
            )
        ]
    problems: list[Problem] = []
    for name in REQUIRED:
        if name not in columns.fields:
            problems.append(
                Problem(columns.header_row, HEADER_ALIASES[name][0], "нет обязательного столбца")
            )
    if problems:
        return [], problems

    def title(name: str) -> str:
        return columns.titles.get(name) or HEADER_ALIASES[name][0]

    def cell(row: Sequence[Cell], index: int | None) -> Cell:
        return row[index] if index is not None and index < len(row) else None

    students: list[StudentRow] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[columns.header_row :], start=columns.header_row + 1):
        if not any(clean(c) for c in row):
            continue
        values = {name: cell(row, i) for name, i in columns.fields.items()}
        row_problems: list[Problem] = []
        last, first = clean(values.get("last_name")), clean(values.get("first_name"))
        middle = clean(values.get("middle_name"))
        for name, text in (("last_name", last), ("first_name", first)):
            if not text:
                row_problems.append(Problem(number, title(name), "не заполнено"))
        klass = parse_class(values.get("class"))
        if klass is None:
            raw = clean(values.get("class"))
            message = f"класс «{raw}» не распознан (пишите «5А»)" if raw else "не заполнено"
            row_problems.append(Problem(number, title("class"), message))
        raw_birth = values.get("birth_date")
        birth = parse_date(raw_birth)
        if birth is None:
            raw = clean(raw_birth)
            message = (
                f"дата «{raw}» не в формате ДД.ММ.ГГГГ или ГГГГ-ММ-ДД" if raw else "не заполнено"
            )
            row_problems.append(Problem(number, title("birth_date"), message))
        elif not today.year - 25 <= birth.year <= today.year - 3:
            row_problems.append(
                Problem(
                    number,
                    title("birth_date"),
                    f"дата {birth:%d.%m.%Y} не похожа на дату рождения ученика",
                )
            )
        gender = ""
        raw_gender = clean(values.get("gender")).casefold()
        if raw_gender:
            if raw_gender[0] in "мm":
                gender = "m"
            elif raw_gender[0] in "жfд":
                gender = "f"
            else:
                row_problems.append(
                    Problem(number, title("gender"), f"пол «{raw_gender}» не распознан (м или ж)")
                )
        parents: list[ParentRow] = []
        for n in (1, 2):
            got = {f: clean(cell(row, columns.parents.get((n, f)))) for f in PARENT_FIELDS}
            if not any(got.values()):
                continue
            where = f"Родитель {n}"
            if not got["name"]:
                column = columns.titles.get(f"parent{n}_name", f"{where}: ФИО")
                row_problems.append(Problem(number, column, f"{where.lower()}: не указано ФИО"))
            if not got["phone"] and not got["email"]:
                column = columns.titles.get(f"parent{n}_phone", f"{where}: телефон")
                row_problems.append(
                    Problem(number, column, f"{where.lower()}: нет ни телефона, ни e-mail")
                )
            if got["email"] and not _EMAIL.match(got["email"]):
                column = columns.titles.get(f"parent{n}_email", f"{where}: e-mail")
                row_problems.append(Problem(number, column, f"e-mail «{got['email']}» неверный"))
            p_last, p_first, p_middle = _split_name(got["name"])
            parents.append(ParentRow(p_last, p_first, p_middle, got["phone"], got["email"].lower()))
        if not row_problems and klass is not None and birth is not None:
            key = name_key(last, first, middle) + f"|{birth.isoformat()}"
            if key in seen:
                row_problems.append(
                    Problem(
                        number, title("last_name"), f"этот ученик уже есть в строке {seen[key]}"
                    )
                )
            else:
                seen[key] = number
                students.append(
                    StudentRow(
                        row=number,
                        grade=klass[0],
                        letter=klass[1],
                        last_name=last,
                        first_name=first,
                        middle_name=middle,
                        birth_date=birth,
                        gender=gender or guess_gender(first, middle),
                        parents=tuple(parents),
                    )
                )
        problems.extend(row_problems)
    if not students and not problems:
        problems.append(Problem(columns.header_row, "", "под заголовком нет ни одного ученика"))
    return students, problems


# --------------------------------------------------------------------------- planning


def _student_key(s: Student | StudentRow) -> str:
    return name_key(s.last_name, s.first_name, s.middle_name) + f"|{s.birth_date.isoformat()}"


def _parent_key(last: str, first: str, middle: str, phone: str, email: str) -> str:
    contact = re.sub(r"\D", "", phone)[-10:] or email.casefold()
    return name_key(last, first, middle) + f"|{contact}"


def _label(group: ClassGroup) -> str:
    return f"{group.grade} «{group.letter}»" if group.letter else str(group.grade)


@dataclass
class _Plan:
    report: StudentsImport
    school: School
    today: dt.date
    students: list[StudentRow]
    classes: dict[tuple[int, str], ClassGroup]
    existing: dict[str, Student]
    parents: dict[str, Parent]
    links: set[tuple[int, int]]  # (parent id, student id)


def _plan(
    session: Session, actor: Actor, data: bytes, filename: str, today: dt.date | None
) -> _Plan:
    require_some(actor, Permission.IMPORT_LISTS)
    school = session.get(School, actor.school_id)
    if school is None:
        raise NotFound("Школа не найдена.")
    today = today or school_today(school)
    report = StudentsImport()
    try:
        rows = read_table(data, filename)
    except FileProblem as exc:
        report.problems.append(Problem(0, "", str(exc)))
        return _Plan(report, school, today, [], {}, {}, {}, set())
    students, problems = parse_students(rows, today=today)
    report.rows = len(students) + len({p.row for p in problems if p.row})
    report.problems.extend(problems)
    year = session.exec(
        select(AcademicYear).where(
            AcademicYear.school_id == school.id, col(AcademicYear.is_current).is_(True)
        )
    ).first()
    classes: dict[tuple[int, str], ClassGroup] = {}
    if year is not None:
        for group in session.exec(select(ClassGroup).where(ClassGroup.year_id == year.id)):
            letter = group.letter.upper().replace("Ё", "Е").translate(_LATIN_TO_CYRILLIC)
            classes[(group.grade, letter)] = group
    class_title = HEADER_ALIASES["class"][0]
    for s in students:
        if (s.grade, s.letter) not in classes:
            why = "" if year is not None else " (в школе нет текущего учебного года)"
            report.problems.append(
                Problem(s.row, class_title, f"класса {s.class_label} нет в текущем году{why}")
            )
    report.problems.sort(key=lambda p: (p.row, p.column))
    existing = {
        _student_key(st): st
        for st in session.exec(select(Student).where(Student.school_id == school.id))
    }
    parents = {
        _parent_key(p.last_name, p.first_name, p.middle_name, p.phone, p.email): p
        for p in session.exec(select(Parent).where(Parent.school_id == school.id))
    }
    # Parents are also matched by name + e-mail when the phone differs in writing.
    for p in list(parents.values()):
        if p.email:
            parents.setdefault(
                _parent_key(p.last_name, p.first_name, p.middle_name, "", p.email), p
            )
    links = {
        (link.parent_id, link.student_id)
        for link in session.exec(
            select(ParentLink)
            .join(Student, col(Student.id) == col(ParentLink.student_id))
            .where(Student.school_id == school.id)
        )
    }
    plan = _Plan(report, school, today, students, classes, existing, parents, links)
    if report.ok:
        _diff(plan)
    return plan


def _find_parent(plan: _Plan, p: ParentRow) -> Parent | None:
    for key in (
        _parent_key(p.last_name, p.first_name, p.middle_name, p.phone, ""),
        _parent_key(p.last_name, p.first_name, p.middle_name, "", p.email),
    ):
        if key.split("|")[1] and key in plan.parents:
            return plan.parents[key]
    return None


def _diff(plan: _Plan) -> None:
    report = plan.report
    by_id = {g.id: g for g in plan.classes.values()}
    in_file: set[int] = set()
    new_parents: set[str] = set()
    for s in plan.students:
        target = plan.classes[(s.grade, s.letter)]
        found = plan.existing.get(_student_key(s))
        if found is None:
            report.added.append(f"{s.full_name}, {_label(target)}")
        else:
            assert found.id is not None
            in_file.add(found.id)
            if found.class_id == target.id:
                report.unchanged += 1
            else:
                old = by_id.get(found.class_id)
                was = _label(old) if old is not None else "выбыл"
                report.moved.append(f"{s.full_name}: {was} → {_label(target)}")
        for p in s.parents:
            parent = _find_parent(plan, p)
            if parent is None:
                key = _parent_key(p.last_name, p.first_name, p.middle_name, p.phone, p.email)
                if key not in new_parents:
                    new_parents.add(key)
                    report.parents_added += 1
    current = set(by_id)
    for st in sorted(
        plan.existing.values(), key=lambda x: name_key(x.last_name, x.first_name, x.middle_name)
    ):
        if st.id not in in_file and st.is_active and st.class_id in current:
            group = by_id[st.class_id]
            name = " ".join(x for x in (st.last_name, st.first_name, st.middle_name) if x)
            report.left_out.append(f"{name}, {_label(group)}")


# --------------------------------------------------------------------------- services


@read_only
def preview_students_import(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    filename: str,
    today: dt.date | None = None,
) -> StudentsImport:
    """The dry run: every problem of the file and what writing it would change."""
    return _plan(session, actor, data, filename, today).report


def import_students(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    filename: str,
    today: dt.date | None = None,
) -> StudentsImport:
    """Write a clean file (refused with ValidationError otherwise, nothing written)."""
    require_some(actor, Permission.IMPORT_LISTS)
    lock_school(session, actor.school_id)
    plan = _plan(session, actor, data, filename, today)
    report = plan.report
    if not report.ok:
        first = report.problems[0].text()
        raise ValidationError(
            f"В файле ошибок: {len(report.problems)} (первая — {first}). Ничего не записано."
        )
    if not report.changes:
        return report
    today = plan.today
    school_id = plan.school.id
    assert school_id is not None
    added_ids: list[int] = []
    moved_ids: list[int] = []
    new_links: list[ParentLink] = []
    for s in plan.students:
        target = plan.classes[(s.grade, s.letter)]
        assert target.id is not None
        student = plan.existing.get(_student_key(s))
        if student is None:
            student = Student(
                school_id=school_id,
                last_name=s.last_name,
                first_name=s.first_name,
                middle_name=s.middle_name,
                gender=s.gender,
                birth_date=s.birth_date,
                class_id=target.id,
            )
            session.add(student)
            session.flush()
            assert student.id is not None
            plan.existing[_student_key(s)] = student
            added_ids.append(student.id)
            session.add(
                Enrolment(
                    student_id=student.id,
                    class_id=target.id,
                    kind=EnrolmentKind.START.value,
                    starts_on=today,
                )
            )
        elif student.class_id != target.id:
            assert student.id is not None
            _move(session, student, target.id, today)
            moved_ids.append(student.id)
        assert student.id is not None
        for p in s.parents:
            parent = _find_parent(plan, p)
            if parent is None:
                parent = Parent(
                    school_id=school_id,
                    last_name=p.last_name,
                    first_name=p.first_name,
                    middle_name=p.middle_name,
                    gender=guess_gender(p.first_name, p.middle_name),
                    phone=p.phone,
                    email=p.email,
                )
                session.add(parent)
                session.flush()
                for key in (
                    _parent_key(p.last_name, p.first_name, p.middle_name, p.phone, ""),
                    _parent_key(p.last_name, p.first_name, p.middle_name, "", p.email),
                ):
                    if key.split("|")[1]:
                        plan.parents.setdefault(key, parent)
            assert parent.id is not None
            if (parent.id, student.id) not in plan.links:
                plan.links.add((parent.id, student.id))
                link = ParentLink(parent_id=parent.id, student_id=student.id)
                session.add(link)
                new_links.append(link)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id or None,
        action=AuditAction.IMPORT_STUDENTS,
        entity=AuditEntity.SCHOOL,
        entity_id=school_id,
        after={
            "file": filename,
            "on": today,
            "added": added_ids,
            "moved": moved_ids,
            "unchanged": report.unchanged,
            "parents_added": report.parents_added,
            "parent_links": [link.id for link in new_links],
            "left_out": len(report.left_out),
        },
        reason="импорт списков учащихся",
    )
    report.written = True
    return report


def lock_school(session: Session, school_id: int) -> None:
    """Hold the school's row until commit: two imports (or movements) of one school run one
    after the other, the second planning from what the first wrote (PostgreSQL; SQLite's
    writers are serialised by BEGIN IMMEDIATE already)."""
    session.exec(select(School.id).where(School.id == school_id).with_for_update()).first()


def _move(
    session: Session, student: Student, class_id: int, today: dt.date, order_number: str = ""
) -> Enrolment:
    """End the open stay (the day before) and begin one in `class_id` from `today`; the
    stay the student is in from `today` is returned."""
    assert student.id is not None
    open_stays = session.exec(
        select(Enrolment).where(
            Enrolment.student_id == student.id, col(Enrolment.ends_on).is_(None)
        )
    ).all()
    kind = EnrolmentKind.MOVED_IN if student.class_id is not None else EnrolmentKind.ARRIVED
    for stay in open_stays:
        if stay.starts_on >= today:  # begun today (or later): corrected, not a move
            stay.class_id = class_id
            if order_number:
                stay.order_number = order_number
            session.add(stay)
            student.class_id = class_id
            student.is_active = True
            session.add(student)
            return stay
        stay.ends_on = today - dt.timedelta(days=1)
        stay.leave_kind = LeaveKind.MOVED_OUT.value
        stay.leave_order_number = order_number
        session.add(stay)
    new_stay = Enrolment(
        student_id=student.id,
        class_id=class_id,
        kind=kind.value,
        starts_on=today,
        order_number=order_number,
    )
    session.add(new_stay)
    student.class_id = class_id
    student.is_active = True
    session.add(student)
    return new_stay


def summary_lines(report: StudentsImport) -> list[str]:
    """The import's result in Russian, for the command line and pages."""
    lines = [
        f"Учеников в файле: {report.rows}. Добавить: {len(report.added)}; перевести в другой "
        f"класс: {len(report.moved)}; без изменений: {report.unchanged}; новых родителей: "
        f"{report.parents_added}; нет в файле: {len(report.left_out)}."
    ]
    lines += [f"  добавить: {x}" for x in report.added[:50]]
    if len(report.added) > 50:
        lines.append(f"  … и ещё {len(report.added) - 50}")
    lines += [f"  перевести: {x}" for x in report.moved]
    lines += [f"  нет в файле (не удаляется): {x}" for x in report.left_out]
    return lines
