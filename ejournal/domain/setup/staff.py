"""Import of the staff list from XLSX or CSV: one row per staff member.

Columns (matched by header name, Russian or English, any order): surname, name, patronymic
(or one «ФИО» column), position, subjects (comma-separated, matched to the school's subjects,
case and «ё»/«е» ignored), optional e-mail and phone. `preview_staff_import` is the dry run;
`import_staff` writes only a clean file, in the caller's one transaction: Staff rows only —
no user accounts are made here (they are issued later). The subjects are checked against the
school's list and kept in the audit record (the schema has no staff–subject link; teaching
assignments say who teaches what).

Staff already in the school are matched by surname + name + patronymic (case and «ё»/«е»
ignored): re-importing the same file changes nothing; a changed position, e-mail or phone
is updated (and reported); staff missing from the file are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, select

from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound, ValidationError
from ejournal.domain.models import School, Staff, Subject
from ejournal.domain.permissions import Actor, Permission, require_some
from ejournal.domain.setup.students import (
    HEADER_SEARCH_ROWS,
    Cell,
    FileProblem,
    Problem,
    _header_key,
    _split_name,
    clean,
    guess_gender,
    lock_school,
    name_key,
    read_table,
)

#: field → (Russian title for messages, normalised header names that mean it).
HEADER_ALIASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "full_name": ("ФИО", ("фио", "ф и о", "full name", "fullname")),
    "last_name": ("Фамилия", ("фамилия", "surname", "last name", "lastname", "family name")),
    "first_name": ("Имя", ("имя", "name", "first name", "firstname", "given name")),
    "middle_name": ("Отчество", ("отчество", "patronymic", "middle name", "middlename")),
    "position": ("Должность", ("должность", "position", "job title", "post")),
    "subjects": (
        "Предметы",
        ("предметы", "предмет", "subjects", "subject", "преподаваемые предметы"),
    ),
    "email": ("E-mail", ("e mail", "email", "mail", "эл почта", "электронная почта", "почта")),
    "phone": ("Телефон", ("телефон", "phone", "тел", "мобильный телефон")),
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Columns:
    """Where the header row is (1-based) and which column holds each field."""

    header_row: int
    fields: dict[str, int]
    titles: dict[str, str]

    def title(self, name: str, aliases: dict[str, tuple[str, tuple[str, ...]]]) -> str:
        return self.titles.get(name) or aliases[name][0]

    def values(self, row: Sequence[Cell]) -> dict[str, Cell]:
        return {n: (row[i] if i < len(row) else None) for n, i in self.fields.items()}


def find_columns(
    rows: list[list[Cell]],
    aliases: dict[str, tuple[str, tuple[str, ...]]],
    *,
    minimum: int = 2,
) -> Columns | None:
    """The first row (of the top HEADER_SEARCH_ROWS) naming at least `minimum` known fields."""
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        fields: dict[str, int] = {}
        titles: dict[str, str] = {}
        for index, cell in enumerate(row):
            key = _header_key(clean(cell).replace("№", " номер "))
            if not key:
                continue
            for name, (_title, names) in aliases.items():
                if key in names and name not in fields:
                    fields[name] = index
                    titles[name] = clean(cell)
                    break
        if len(fields) >= minimum:
            return Columns(number, fields, titles)
    return None


def split_list(value: Cell) -> list[str]:
    """«Русский язык, литература; музыка» → ["Русский язык", "литература", "музыка"]."""
    return [x for x in (clean(p) for p in re.split(r"[,;\n]", clean(value))) if x]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class StaffRow:
    row: int
    last_name: str
    first_name: str
    middle_name: str
    position: str
    subjects: tuple[str, ...]  # the school's subject names, as the school spells them
    email: str
    phone: str

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


@dataclass
class StaffImport:
    """What the file holds and what writing it would change (or changed)."""

    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # «Фамилия Имя Отчество, должность»
    updated: list[str] = field(default_factory=list)  # «…: должность «…» → «…»»
    unchanged: int = 0
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changes(self) -> int:
        return len(self.added) + len(self.updated)


def _staff_key(last: str, first: str, middle: str) -> str:
    return name_key(last, first, middle)


# --------------------------------------------------------------------------- parsing


def parse_staff(
    rows: list[list[Cell]], subjects: dict[str, str]
) -> tuple[list[StaffRow], list[Problem]]:
    """The staff of the table and every problem found (by row and column); `subjects` maps
    name_key(subject name) → the school's spelling."""
    columns = find_columns(rows, HEADER_ALIASES)
    if columns is None or not ({"last_name", "full_name"} & set(columns.fields)):
        return [], [
            Problem(
                0,
                "",
                "не найдена строка заголовков (нужны столбцы «Фамилия», «Имя», «Должность», "
                "«Предметы»)",
            )
        ]

    def title(name: str) -> str:
        return columns.title(name, HEADER_ALIASES)

    people: list[StaffRow] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[columns.header_row :], start=columns.header_row + 1):
        if not any(clean(c) for c in row):
            continue
        values = columns.values(row)
        row_problems: list[Problem] = []
        last, first = clean(values.get("last_name")), clean(values.get("first_name"))
        middle = clean(values.get("middle_name"))
        if "last_name" not in columns.fields:
            last, first, middle = _split_name(clean(values.get("full_name")))
        name_column = "last_name" if "last_name" in columns.fields else "full_name"
        if not last:
            row_problems.append(Problem(number, title(name_column), "не указана фамилия"))
        if not first:
            column = "first_name" if "first_name" in columns.fields else name_column
            row_problems.append(Problem(number, title(column), "не указано имя"))
        chosen: list[str] = []
        for raw in split_list(values.get("subjects")):
            known = subjects.get(name_key(raw))
            if known is None:
                row_problems.append(
                    Problem(number, title("subjects"), f"предмета «{raw}» нет в школе")
                )
            elif known not in chosen:
                chosen.append(known)
        email = clean(values.get("email")).lower()
        if email and not _EMAIL.match(email):
            row_problems.append(Problem(number, title("email"), f"e-mail «{email}» неверный"))
        if last and first:
            key = _staff_key(last, first, middle)
            if key in seen:
                row_problems.append(
                    Problem(
                        number, title(name_column), f"этот сотрудник уже есть в строке {seen[key]}"
                    )
                )
            else:
                seen[key] = number
        if not row_problems:
            people.append(
                StaffRow(
                    row=number,
                    last_name=last,
                    first_name=first,
                    middle_name=middle,
                    position=clean(values.get("position")),
                    subjects=tuple(chosen),
                    email=email,
                    phone=clean(values.get("phone")),
                )
            )
        problems.extend(row_problems)
    if not people and not problems:
        problems.append(Problem(columns.header_row, "", "под заголовком нет ни одного сотрудника"))
    return people, problems


# --------------------------------------------------------------------------- planning


@dataclass
class _Plan:
    report: StaffImport
    school: School
    people: list[StaffRow]
    existing: dict[str, Staff]


def _changes(found: Staff, s: StaffRow) -> list[str]:
    out = []
    for attr, word in (("position", "должность"), ("email", "e-mail"), ("phone", "телефон")):
        new = getattr(s, attr)
        old = getattr(found, attr)
        if new and new != old:
            out.append(f"{word} «{old}» → «{new}»")
    return out


def _plan(session: Session, actor: Actor, data: bytes, filename: str) -> _Plan:
    require_some(actor, Permission.IMPORT_LISTS)
    school = session.get(School, actor.school_id)
    if school is None:
        raise NotFound("Школа не найдена.")
    report = StaffImport()
    try:
        rows = read_table(data, filename)
    except FileProblem as exc:
        report.problems.append(Problem(0, "", str(exc)))
        return _Plan(report, school, [], {})
    subjects = {
        name_key(s.name): s.name
        for s in session.exec(select(Subject).where(Subject.school_id == school.id))
    }
    people, problems = parse_staff(rows, subjects)
    report.rows = len(people) + len({p.row for p in problems if p.row})
    report.problems.extend(problems)
    report.problems.sort(key=lambda p: (p.row, p.column))
    existing = {
        _staff_key(s.last_name, s.first_name, s.middle_name): s
        for s in session.exec(select(Staff).where(Staff.school_id == school.id))
    }
    plan = _Plan(report, school, people, existing)
    if report.ok:
        for s in people:
            found = existing.get(_staff_key(s.last_name, s.first_name, s.middle_name))
            if found is None:
                report.added.append(f"{s.full_name}, {s.position}" if s.position else s.full_name)
            elif changes := _changes(found, s):
                report.updated.append(f"{s.full_name}: {'; '.join(changes)}")
            else:
                report.unchanged += 1
    return plan


# --------------------------------------------------------------------------- services


@read_only
def preview_staff_import(
    session: Session, *, actor: Actor, data: bytes, filename: str
) -> StaffImport:
    """The dry run: every problem of the file and what writing it would change."""
    return _plan(session, actor, data, filename).report


def import_staff(session: Session, *, actor: Actor, data: bytes, filename: str) -> StaffImport:
    """Write a clean file (refused with ValidationError otherwise, nothing written)."""
    require_some(actor, Permission.IMPORT_LISTS)
    lock_school(session, actor.school_id)
    plan = _plan(session, actor, data, filename)
    report = plan.report
    if not report.ok:
        first = report.problems[0].text()
        raise ValidationError(
            f"В файле ошибок: {len(report.problems)} (первая — {first}). Ничего не записано."
        )
    if not report.changes:
        return report
    school_id = plan.school.id
    assert school_id is not None
    added: list[int] = []
    updated: list[int] = []
    subjects: dict[str, list[str]] = {}
    for s in plan.people:
        key = _staff_key(s.last_name, s.first_name, s.middle_name)
        found = plan.existing.get(key)
        if found is None:
            found = Staff(
                school_id=school_id,
                last_name=s.last_name,
                first_name=s.first_name,
                middle_name=s.middle_name,
                gender=guess_gender(s.first_name, s.middle_name),
                position=s.position,
                email=s.email,
                phone=s.phone,
            )
            session.add(found)
            session.flush()
            assert found.id is not None
            plan.existing[key] = found
            added.append(found.id)
        elif _changes(found, s):
            found.position = s.position or found.position
            found.email = s.email or found.email
            found.phone = s.phone or found.phone
            session.add(found)
            assert found.id is not None
            updated.append(found.id)
        if s.subjects and found.id is not None:
            subjects[str(found.id)] = list(s.subjects)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id or None,
        action=AuditAction.IMPORT_STAFF,
        entity=AuditEntity.SCHOOL,
        entity_id=school_id,
        after={
            "file": filename,
            "added": added,
            "updated": updated,
            "unchanged": report.unchanged,
            "subjects": subjects,
        },
        reason="импорт списка сотрудников",
    )
    report.written = True
    return report


def summary_lines(report: StaffImport) -> list[str]:
    """The import's result in Russian, for the command line and pages."""
    lines = [
        f"Сотрудников в файле: {report.rows}. Добавить: {len(report.added)}; изменить: "
        f"{len(report.updated)}; без изменений: {report.unchanged}."
    ]
    lines += [f"  добавить: {x}" for x in report.added]
    lines += [f"  изменить: {x}" for x in report.updated]
    return lines
