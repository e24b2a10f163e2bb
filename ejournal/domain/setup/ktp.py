"""Import of a teacher's calendar-thematic plan (КТП) [002 §7.4–7.5] from XLSX or CSV, for
one teaching assignment: one row per plan item — number, topic, hours, planned date (or
school-week number) and work type (matched to the school's WorkType by name, abbreviation
or code: «Контрольная работа», «К.р.»).

Checks: numbers are positive and unique, hours are positive integers, dates lie inside the
school year, the work type is known. The plan's total hours is compared with the curriculum
(the assignment's hours per week × the year's school weeks for the class's grade): a
difference is a warning, not a refusal. `preview_ktp_import` is the dry run; `import_ktp`
replaces the assignment's plan in the caller's one transaction, item by item number (so
lessons keep their links to items whose number stays) — and refuses, listing them, when
lessons link to items the file would remove. A new plan written over one sent for review or
approved goes back to draft (`ktp_status`): it must be approved again (ktp_review.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel import Session, col, select

from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound, ValidationError
from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    Holiday,
    KtpStatus,
    Lesson,
    Period,
    School,
    Subject,
    TeachingAssignment,
    ThematicPlanItem,
    WorkType,
)
from ejournal.domain.permissions import Actor, Permission, Target, allowed, require
from ejournal.domain.setup.staff import find_columns
from ejournal.domain.setup.students import (
    Cell,
    FileProblem,
    Problem,
    clean,
    name_key,
    parse_date,
    read_table,
)

#: field → (Russian title for messages, normalised header names that mean it).
HEADER_ALIASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "number": (
        "№",
        ("номер", "номер п п", "п п", "номер урока", "урок", "number", "no", "n", "#"),
    ),
    "topic": ("Тема", ("тема", "тема урока", "темы уроков", "раздел тема", "topic", "title")),
    "hours": (
        "Часы",
        ("часы", "часов", "кол во часов", "количество часов", "число часов", "hours"),
    ),
    "date": (
        "Дата",
        ("дата", "планируемая дата", "дата по плану", "дата проведения", "date", "planned date"),
    ),
    "week": ("Неделя", ("неделя", "учебная неделя", "номер недели", "week")),
    "work_type": (
        "Вид работы",
        ("вид работы", "тип работы", "вид контроля", "форма контроля", "work type", "type"),
    ),
}
REQUIRED = ("number", "topic", "hours")

#: The assignment's review fields, as the audit shows them before and after a change.
REVIEW_FIELDS = ("ktp_status", "ktp_reviewed_by", "ktp_reviewed_at", "ktp_review_note")


@dataclass(frozen=True)
class KtpRow:
    row: int
    number: int
    topic: str
    hours: int
    planned_on: dt.date | None
    work_type_id: int | None


@dataclass
class KtpImport:
    """What the file holds and what writing it would change (or changed)."""

    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # hours against the curriculum
    total_hours: int = 0
    curriculum_hours: Decimal = Decimal(0)  # hours per week × school weeks
    school_weeks: int = 0
    added: list[int] = field(default_factory=list)  # item numbers
    changed: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    unchanged: int = 0
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changes(self) -> int:
        return len(self.added) + len(self.changed) + len(self.removed)


# --------------------------------------------------------------------------- calendar


def school_weeks(session: Session, school: School, year: AcademicYear, grade: int) -> int:
    """School weeks of the year for `grade`: the school days (days_per_week a week) of its
    study periods, holidays left out, divided by days_per_week, rounded to the nearest."""
    periods = session.exec(
        select(Period).where(
            Period.year_id == year.id,
            Period.kind != "year",
            col(Period.grade_from) <= grade,
            col(Period.grade_to) >= grade,
        )
    ).all()
    holidays = session.exec(
        select(Holiday).where(
            Holiday.year_id == year.id,
            col(Holiday.grade_from) <= grade,
            col(Holiday.grade_to) >= grade,
        )
    ).all()
    days: set[dt.date] = set()
    spans = [(p.starts_on, p.ends_on) for p in periods] or [(year.starts_on, year.ends_on)]
    for starts_on, ends_on in spans:
        day = starts_on
        while day <= ends_on:
            if day.weekday() < school.days_per_week and not any(
                h.starts_on <= day <= h.ends_on for h in holidays
            ):
                days.add(day)
            day += dt.timedelta(days=1)
    per_week = school.days_per_week
    return (len(days) + per_week // 2) // per_week


def week_start(year: AcademicYear, week: int) -> dt.date:
    """The first day of school week `week` (1: the week the year begins in)."""
    monday = year.starts_on - dt.timedelta(days=year.starts_on.weekday())
    return max(year.starts_on, monday + dt.timedelta(weeks=week - 1))


def curriculum_hours(session: Session, assignment: TeachingAssignment) -> tuple[Decimal, int]:
    """(hours the curriculum asks of the assignment in the year, the year's school weeks):
    hours per week × school weeks of the class's grade."""
    group = session.get(ClassGroup, assignment.class_id)
    year = session.get(AcademicYear, assignment.year_id)
    school = None if group is None else session.get(School, group.school_id)
    if group is None or year is None or school is None:
        raise NotFound("Школа, учебный год или класс не найдены.")
    weeks = school_weeks(session, school, year, group.grade)
    return assignment.hours_per_week * weeks, weeks


def lock_assignment(session: Session, assignment_id: int) -> TeachingAssignment:
    """The assignment re-read under a row lock (PostgreSQL; SQLite writers hold the database
    lock already), so a status checked now stays true until the transaction ends."""
    assignment = session.exec(
        select(TeachingAssignment)
        .where(TeachingAssignment.id == assignment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if assignment is None:
        raise NotFound("Нагрузка (предмет в классе) не найдена.")
    return assignment


def _positive_int(value: Cell) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value > 0 else None
    if isinstance(value, int):
        return value if value > 0 else None
    text = clean(value).rstrip(".")
    return int(text) if text.isdigit() and int(text) > 0 else None


def _hours_text(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else str(value.normalize())


# --------------------------------------------------------------------------- parsing


def parse_ktp(
    rows: list[list[Cell]],
    *,
    year: AcademicYear,
    work_types: dict[str, WorkType],
) -> tuple[list[KtpRow], list[Problem]]:
    """The plan items of the table and every problem found (by row and column);
    `work_types` maps name_key(name | abbreviation | code) → the school's work type."""
    columns = find_columns(rows, HEADER_ALIASES)
    if columns is None:
        return [], [
            Problem(0, "", "не найдена строка заголовков (нужны столбцы «№», «Тема», «Часы»)")
        ]
    missing = [
        Problem(columns.header_row, HEADER_ALIASES[n][0], "нет обязательного столбца")
        for n in REQUIRED
        if n not in columns.fields
    ]
    if missing:
        return [], missing

    def title(name: str) -> str:
        return columns.title(name, HEADER_ALIASES)

    items: list[KtpRow] = []
    problems: list[Problem] = []
    seen: dict[int, int] = {}
    for number, row in enumerate(rows[columns.header_row :], start=columns.header_row + 1):
        if not any(clean(c) for c in row):
            continue
        values = columns.values(row)
        row_problems: list[Problem] = []
        item_number = _positive_int(values.get("number"))
        if item_number is None:
            raw = clean(values.get("number"))
            message = f"номер «{raw}» — не целое положительное число" if raw else "не заполнено"
            row_problems.append(Problem(number, title("number"), message))
        elif item_number in seen:
            row_problems.append(
                Problem(
                    number,
                    title("number"),
                    f"номер {item_number} уже есть в строке {seen[item_number]}",
                )
            )
        else:
            seen[item_number] = number
        topic = clean(values.get("topic"))
        if not topic:
            row_problems.append(Problem(number, title("topic"), "не заполнено"))
        elif len(topic) > 500:
            row_problems.append(Problem(number, title("topic"), "тема длиннее 500 знаков"))
        hours = _positive_int(values.get("hours"))
        if hours is None:
            raw = clean(values.get("hours"))
            message = f"часы «{raw}» — не целое положительное число" if raw else "не заполнено"
            row_problems.append(Problem(number, title("hours"), message))
        planned: dt.date | None = None
        raw_date = values.get("date")
        if clean(raw_date):
            planned = parse_date(raw_date)
            if planned is None:
                row_problems.append(
                    Problem(
                        number,
                        title("date"),
                        f"дата «{clean(raw_date)}» не в формате ДД.ММ.ГГГГ или ГГГГ-ММ-ДД",
                    )
                )
            elif not year.starts_on <= planned <= year.ends_on:
                row_problems.append(
                    Problem(
                        number,
                        title("date"),
                        f"дата {planned:%d.%m.%Y} вне учебного года {year.name} "
                        f"({year.starts_on:%d.%m.%Y}–{year.ends_on:%d.%m.%Y})",
                    )
                )
                planned = None
        elif clean(values.get("week")):
            week = _positive_int(values.get("week"))
            last_week = (year.ends_on - week_start(year, 1)).days // 7 + 1
            if week is None or week > last_week:
                row_problems.append(
                    Problem(
                        number,
                        title("week"),
                        f"неделя «{clean(values.get('week'))}» — нужен номер от 1 до {last_week}",
                    )
                )
            else:
                planned = week_start(year, week)
        work_type_id: int | None = None
        raw_type = clean(values.get("work_type"))
        if raw_type:
            found = work_types.get(name_key(raw_type))
            if found is None:
                row_problems.append(
                    Problem(number, title("work_type"), f"вид работы «{raw_type}» не найден")
                )
            else:
                work_type_id = found.id
        if not row_problems and item_number is not None and hours is not None:
            items.append(KtpRow(number, item_number, topic, hours, planned, work_type_id))
        problems.extend(row_problems)
    if not items and not problems:
        problems.append(Problem(columns.header_row, "", "под заголовком нет ни одной темы"))
    return items, problems


# --------------------------------------------------------------------------- planning


@dataclass
class _Plan:
    report: KtpImport
    assignment: TeachingAssignment
    items: list[KtpRow]
    existing: dict[int, ThematicPlanItem]  # by number


def _authorise(session: Session, actor: Actor, assignment_id: int) -> TeachingAssignment:
    target = Target(assignment_id=assignment_id)
    if not allowed(session, actor, Permission.TIMETABLE_MANAGE, target):
        require(session, actor, Permission.LESSON_WRITE, target)
    assignment = session.get(TeachingAssignment, assignment_id)
    if assignment is None:
        raise NotFound("Нагрузка (предмет в классе) не найдена.")
    return assignment


def _same(item: ThematicPlanItem, row: KtpRow) -> bool:
    return (item.topic, item.hours, item.planned_on, item.work_type_id) == (
        row.topic,
        row.hours,
        row.planned_on,
        row.work_type_id,
    )


def _plan(session: Session, actor: Actor, assignment_id: int, data: bytes, filename: str) -> _Plan:
    assignment = _authorise(session, actor, assignment_id)
    school = session.get(School, actor.school_id)
    year = session.get(AcademicYear, assignment.year_id)
    group = session.get(ClassGroup, assignment.class_id)
    if school is None or year is None or group is None:
        raise NotFound("Школа, учебный год или класс не найдены.")
    report = KtpImport()
    existing = {
        item.number: item
        for item in session.exec(
            select(ThematicPlanItem).where(ThematicPlanItem.assignment_id == assignment_id)
        )
    }
    try:
        rows = read_table(data, filename)
    except FileProblem as exc:
        report.problems.append(Problem(0, "", str(exc)))
        return _Plan(report, assignment, [], existing)
    work_types: dict[str, WorkType] = {}
    for wt in session.exec(select(WorkType).where(WorkType.school_id == school.id)):
        for spelling in (wt.name, wt.abbreviation, wt.abbreviation.rstrip("."), wt.code):
            if spelling:
                work_types.setdefault(name_key(spelling), wt)
    items, problems = parse_ktp(rows, year=year, work_types=work_types)
    report.rows = len(items) + len({p.row for p in problems if p.row})
    report.problems.extend(problems)
    report.problems.sort(key=lambda p: (p.row, p.column))
    plan = _Plan(report, assignment, items, existing)
    if not report.ok:
        return plan
    report.total_hours = sum(i.hours for i in items)
    report.curriculum_hours, report.school_weeks = curriculum_hours(session, assignment)
    if Decimal(report.total_hours) != report.curriculum_hours:
        subject = session.get(Subject, assignment.subject_id)
        report.warnings.append(
            f"часов в плане {report.total_hours}, по учебному плану "
            f"{_hours_text(report.curriculum_hours)} "
            f"({_hours_text(assignment.hours_per_week)} ч в неделю × {report.school_weeks} "
            f"учебных недель{', ' + subject.name if subject else ''})"
        )
    in_file = {i.number for i in items}
    for row in items:
        item = existing.get(row.number)
        if item is None:
            report.added.append(row.number)
        elif _same(item, row):
            report.unchanged += 1
        else:
            report.changed.append(row.number)
    report.removed = sorted(n for n in existing if n not in in_file)
    gone = [existing[n].id for n in report.removed]
    if gone:
        linked = session.exec(
            select(Lesson)
            .where(col(Lesson.plan_item_id).in_(gone))
            .order_by(col(Lesson.date), col(Lesson.number))
        ).all()
        by_id = {item.id: item for item in existing.values()}
        for lesson in linked:
            item = by_id[lesson.plan_item_id]
            report.problems.append(
                Problem(
                    0,
                    "",
                    f"тема № {item.number} «{item.topic}» уже выбрана на уроке "
                    f"{lesson.date:%d.%m.%Y} ({lesson.number}-й урок), а в файле её нет",
                )
            )
    return plan


# --------------------------------------------------------------------------- services


@read_only
def preview_ktp_import(
    session: Session, *, actor: Actor, assignment_id: int, data: bytes, filename: str
) -> KtpImport:
    """The dry run: every problem of the file, the hours check and what would change."""
    return _plan(session, actor, assignment_id, data, filename).report


def import_ktp(
    session: Session, *, actor: Actor, assignment_id: int, data: bytes, filename: str
) -> KtpImport:
    """Replace the assignment's plan with a clean file (refused with ValidationError
    otherwise, nothing written)."""
    plan = _plan(session, actor, assignment_id, data, filename)
    report = plan.report
    if not report.ok:
        linked = [p.text() for p in report.problems if p.row == 0]
        if linked and len(linked) == len(report.problems):
            raise ValidationError(
                "КТП не заменён: на уроках уже выбраны темы, которых нет в файле — "
                + "; ".join(linked)
                + ". Оставьте эти темы в файле или смените тему уроков."
            )
        first = report.problems[0].text()
        raise ValidationError(
            f"В файле ошибок: {len(report.problems)} (первая — {first}). Ничего не записано."
        )
    if not report.changes:
        return report
    assignment_id_ = plan.assignment.id
    assert assignment_id_ is not None
    assignment = lock_assignment(session, assignment_id_)
    before = {
        n: {"topic": i.topic, "hours": i.hours, "planned_on": i.planned_on}
        for n, i in plan.existing.items()
        if n in report.removed or n in report.changed
    }
    for n in report.removed:
        session.delete(plan.existing[n])
    session.flush()
    for row in plan.items:
        item = plan.existing.get(row.number)
        if item is None:
            item = ThematicPlanItem(assignment_id=assignment_id_, number=row.number, topic="")
        elif _same(item, row):
            continue
        item.topic = row.topic
        item.hours = row.hours
        item.planned_on = row.planned_on
        item.work_type_id = row.work_type_id
        session.add(item)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id or None,
        action=AuditAction.IMPORT_KTP,
        entity=AuditEntity.SCHOOL,
        entity_id=actor.school_id,
        before={"assignment": assignment_id_, "items": before},
        after={
            "assignment": assignment_id_,
            "file": filename,
            "added": report.added,
            "changed": report.changed,
            "removed": report.removed,
            "total_hours": report.total_hours,
            "warnings": report.warnings,
        },
        reason="импорт КТП",
    )
    _back_to_draft(session, actor, assignment)
    report.written = True
    return report


def _back_to_draft(session: Session, actor: Actor, assignment: TeachingAssignment) -> None:
    """A new plan over one sent for review or approved must be approved again: until then
    the journal's pick-list offers none of it [002 §7.5]."""
    if assignment.ktp_status not in (KtpStatus.SUBMITTED, KtpStatus.APPROVED):
        return
    before = audit.snapshot(assignment, REVIEW_FIELDS)
    assignment.ktp_status = KtpStatus.DRAFT
    assignment.ktp_reviewed_by = None
    assignment.ktp_reviewed_at = None
    assignment.ktp_review_note = ""
    session.add(assignment)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id or None,
        action=AuditAction.KTP_REVIEW,
        entity=AuditEntity.ASSIGNMENT,
        entity_id=assignment.id,
        before=before,
        after=audit.snapshot(assignment, REVIEW_FIELDS),
        reason="загружен новый КТП: его снова нужно согласовать",
    )


def summary_lines(report: KtpImport) -> list[str]:
    """The import's result in Russian, for the command line and pages."""
    lines = [
        f"Тем в файле: {report.rows}, часов: {report.total_hours}. Добавить: "
        f"{len(report.added)}; изменить: {len(report.changed)}; удалить: "
        f"{len(report.removed)}; без изменений: {report.unchanged}."
    ]
    lines += [f"  Внимание: {w}" for w in report.warnings]
    return lines
