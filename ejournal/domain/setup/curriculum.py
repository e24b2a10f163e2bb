"""The curriculum and the teaching load (учебный план и нагрузка) of the current year.

Subjects of the school (added, renamed, marked «без отметок», removed only while nothing
uses them); weekly hours per grade and subject (`CurriculumHours`, 0.5 to 40 in steps of
0.5, with the «делится на подгруппы» flag); teaching assignments: a teacher × a class (or one
of its subgroups for that subject) × a subject × weekly hours, the hours defaulting to the
curriculum's. Nothing here refuses a plan for being incomplete: `get_curriculum` lists the
warnings a deputy acts on — a teacher past the school's weekly limit, a class whose hours
for a subject differ from the curriculum (per subgroup when the subject is split), a
curriculum subject nobody teaches in some class. Every change is audited
(CURRICULUM_UPDATE on SUBJECT / CURRICULUM, ASSIGNMENT_UPDATE on ASSIGNMENT) and needs
TIMETABLE_MANAGE on the actor's school.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound, ValidationError
from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    CurriculumHours,
    DiaryRemark,
    Lesson,
    PeriodMark,
    School,
    Staff,
    Subgroup,
    Subject,
    TeachingAssignment,
    ThematicPlanItem,
    TimetableSlot,
)
from ejournal.domain.people.naming import class_name, person_short
from ejournal.domain.permissions import Actor, Permission, Target, require

MIN_HOURS = Decimal("0.5")
MAX_HOURS = Decimal("40")
HOURS_STEP = Decimal("0.5")
NAME_MAX = 100
SHORT_NAME_MAX = 32

SUBJECT_FIELDS = ("name", "short_name", "marked")
CURRICULUM_FIELDS = ("year_id", "grade", "subject_id", "hours_per_week", "split_into_subgroups")
ASSIGNMENT_FIELDS = (
    "year_id",
    "teacher_id",
    "class_id",
    "subgroup_id",
    "subject_id",
    "hours_per_week",
)

MSG_DUPLICATE = (
    "Такая нагрузка уже есть: {what}. Измените учителя или часы в строке таблицы, "
    "а не добавляйте вторую."
)


# --------------------------------------------------------------------------- small rules


def hours_text(hours: Decimal | None) -> str:
    """Weekly hours as a deputy writes them: 5 → «5», 2.5 → «2,5»."""
    if hours is None:
        return ""
    value = Decimal(hours)
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.normalize():f}".replace(".", ",")


def parse_hours(text: Any, *, what: str = "Часы в неделю") -> Decimal | None:
    """Typed weekly hours («5», «2,5», «2.5») as a Decimal; None for empty or 0 (no hours).

    Raises ValidationError unless the value is 0.5 to 40 in steps of 0.5."""
    raw = str(text if text is not None else "").strip().replace("\u00a0", "").replace(",", ".")
    if raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise ValidationError(
            f"«{what}»: введите число от 0,5 до 40, введено «{str(text).strip()}»."
        )
    if value == 0:
        return None
    if not (MIN_HOURS <= value <= MAX_HOURS) or value % HOURS_STEP != 0:
        raise ValidationError(
            f"«{what}»: от 0,5 до 40 часов в неделю с шагом 0,5, введено «{str(text).strip()}»."
        )
    return value.quantize(Decimal("0.1"))


def _clean_name(text: Any, *, what: str, limit: int, required: bool = True) -> str:
    name = " ".join(str(text if text is not None else "").split())
    if required and not name:
        raise ValidationError(f"Введите {what}.")
    if len(name) > limit:
        raise ValidationError(f"{what.capitalize()}: не длиннее {limit} знаков.")
    return name


def _key(name: str) -> str:
    return name.casefold().replace("ё", "е")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class SubjectRow:
    id: int
    name: str
    short_name: str
    marked: bool
    used: bool  # in the curriculum, a load, a subgroup or marks: cannot be removed


@dataclass(frozen=True)
class HoursCell:
    """One cell of the grid: a subject's weekly hours in a grade (None: none)."""

    subject_id: int
    grade: int
    hours: Decimal | None
    split: bool


@dataclass(frozen=True)
class ClassOption:
    id: int
    label: str
    grade: int


@dataclass(frozen=True)
class SubgroupOption:
    id: int
    class_id: int
    subject_id: int | None
    name: str


@dataclass(frozen=True)
class TeacherOption:
    id: int
    name: str


@dataclass(frozen=True)
class AssignmentRow:
    id: int
    class_id: int
    class_label: str
    grade: int
    subgroup_id: int | None
    subgroup_name: str
    subject_id: int
    subject_name: str
    teacher_id: int
    teacher_name: str
    hours: Decimal
    curriculum_hours: Decimal | None  # the grade's hours for the subject
    lessons: int  # lessons in the journal: the row cannot be removed while any exist


@dataclass(frozen=True)
class TeacherLoad:
    teacher_id: int
    name: str
    hours: Decimal
    over: bool  # past the school's weekly limit
    assignments: int


@dataclass(frozen=True)
class PlanWarning:
    """Something for the deputy to look at; not a refusal. `kind`: load, hours, teacher."""

    kind: str
    text: str
    class_id: int | None = None
    subject_id: int | None = None
    teacher_id: int | None = None


@dataclass(frozen=True)
class CurriculumView:
    year_id: int | None
    year_name: str
    max_weekly_load: Decimal
    subjects: tuple[SubjectRow, ...] = ()
    grades: tuple[int, ...] = ()  # grades of the year's classes
    cells: tuple[HoursCell, ...] = ()
    classes: tuple[ClassOption, ...] = ()
    subgroups: tuple[SubgroupOption, ...] = ()
    teachers: tuple[TeacherOption, ...] = ()
    assignments: tuple[AssignmentRow, ...] = ()
    loads: tuple[TeacherLoad, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()


@dataclass(frozen=True)
class AssignmentSaved:
    """An assignment added or changed, and the warnings that now concern it."""

    assignment_id: int
    hours: Decimal
    warnings: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- lookups


def _allow(session: Session, actor: Actor | None, target: Target | None = None) -> Actor:
    return require(session, actor, Permission.TIMETABLE_MANAGE, target or Target())


def _school(session: Session, actor: Actor) -> School:
    school = session.get(School, actor.school_id)
    if school is None:
        raise NotFound("Школа не найдена.")
    return school


def _current_year(session: Session, school_id: int) -> AcademicYear | None:
    return session.exec(
        select(AcademicYear).where(
            AcademicYear.school_id == school_id, col(AcademicYear.is_current).is_(True)
        )
    ).first()


def _require_year(session: Session, school_id: int) -> AcademicYear:
    year = _current_year(session, school_id)
    if year is None:
        raise ValidationError(
            "Не задан текущий учебный год: сначала создайте его в разделе «Учебный год и классы»."
        )
    return year


def _subject(session: Session, actor: Actor, subject_id: Any, *, lock: bool = False) -> Subject:
    q = select(Subject).where(Subject.id == _int(subject_id), Subject.school_id == actor.school_id)
    if lock:
        q = q.with_for_update()
    subject = session.exec(q).first()
    if subject is None:
        raise NotFound("Предмет не найден: обновите страницу.")
    return subject


def _int(value: Any) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return -1


def _grade(value: Any) -> int:
    grade = _int(value)
    if not 1 <= grade <= 11:
        raise ValidationError("Параллель — число от 1 до 11.")
    return grade


def _teacher(session: Session, actor: Actor, teacher_id: Any) -> Staff:
    staff = session.get(Staff, _int(teacher_id))
    if staff is None or staff.school_id != actor.school_id:
        raise ValidationError("Выберите учителя из списка.")
    if not staff.is_active:
        raise ValidationError(
            f"{person_short(staff)} не работает в школе: выберите другого учителя."
        )
    return staff


def _class(session: Session, actor: Actor, year: AcademicYear, class_id: Any) -> ClassGroup:
    cid = _int(class_id)
    _allow(session, actor, Target(class_id=cid) if cid > 0 else None)
    # The class row is locked so two deputies adding its loads at once queue (PostgreSQL;
    # SQLite writers already hold the one write lock).
    group = session.exec(select(ClassGroup).where(ClassGroup.id == cid).with_for_update()).first()
    if group is None or group.school_id != actor.school_id or group.year_id != year.id:
        raise ValidationError("Выберите класс текущего учебного года.")
    return group


def _curriculum_row(
    session: Session, year_id: int, grade: int, subject_id: int, *, lock: bool = False
) -> CurriculumHours | None:
    q = select(CurriculumHours).where(
        CurriculumHours.year_id == year_id,
        CurriculumHours.grade == grade,
        CurriculumHours.subject_id == subject_id,
    )
    if lock:
        q = q.with_for_update()
    return session.exec(q).first()


def _assignment(session: Session, actor: Actor, assignment_id: Any) -> TeachingAssignment:
    aid = _int(assignment_id)
    _allow(session, actor, Target(assignment_id=aid) if aid > 0 else None)
    row = session.exec(
        select(TeachingAssignment).where(TeachingAssignment.id == aid).with_for_update()
    ).first()
    group = session.get(ClassGroup, row.class_id) if row is not None else None
    if row is None or group is None or group.school_id != actor.school_id:
        raise NotFound("Эта нагрузка уже удалена: обновите страницу.")
    year = _current_year(session, actor.school_id)
    if year is None or row.year_id != year.id:
        raise ValidationError("Нагрузка прошлых учебных лет не меняется: она хранится в архиве.")
    return row


def _what(group: ClassGroup, subject: Subject, subgroup: Subgroup | None) -> str:
    unit = class_name(group.grade, group.letter)
    if subgroup is not None:
        unit += f", {subgroup.name}"
    return f"{unit}, {subject.name}"


# --------------------------------------------------------------------------- subjects


def add_subject(
    session: Session, *, actor: Actor | None, name: Any, short_name: Any = "", marked: bool = True
) -> int:
    """Add a subject to the school; the name must be new (case and «ё»/«е» ignored)."""
    actor = _allow(session, actor)
    clean = _clean_name(name, what="название предмета", limit=NAME_MAX)
    short = _clean_name(short_name, what="краткое название", limit=SHORT_NAME_MAX, required=False)
    _refuse_same_name(session, actor, clean, None)
    last = session.exec(
        select(func.max(Subject.sort_order)).where(Subject.school_id == actor.school_id)
    ).one()
    subject = Subject(
        school_id=actor.school_id,
        name=clean,
        short_name=short,
        marked=bool(marked),
        sort_order=(last or 0) + 1,
    )
    session.add(subject)
    _flush_unique(session, f"Предмет «{clean}» уже есть в списке.")
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.CURRICULUM_UPDATE,
        entity=AuditEntity.SUBJECT,
        entity_id=subject.id,
        after=audit.snapshot(subject, SUBJECT_FIELDS),
    )
    return subject.id or 0


def _refuse_same_name(session: Session, actor: Actor, name: str, own_id: int | None) -> None:
    names = session.exec(
        select(Subject.id, Subject.name).where(Subject.school_id == actor.school_id)
    ).all()
    for sid, other in names:
        if sid != own_id and _key(other) == _key(name):
            raise ValidationError(f"Предмет «{other}» уже есть в списке.")


def _flush_unique(session: Session, message: str) -> None:
    """Flush in a savepoint; a unique constraint hit becomes `message` (nothing written)."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise ValidationError(message) from exc


def update_subject(
    session: Session,
    *,
    actor: Actor | None,
    subject_id: Any,
    name: Any = None,
    short_name: Any = None,
    marked: bool | None = None,
) -> bool:
    """Rename a subject or set «без отметок» (`marked=False`); fields left None stay.
    Returns whether anything changed."""
    actor = _allow(session, actor)
    subject = _subject(session, actor, subject_id, lock=True)
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = _clean_name(name, what="название предмета", limit=NAME_MAX)
        _refuse_same_name(session, actor, values["name"], subject.id)
    if short_name is not None:
        values["short_name"] = _clean_name(
            short_name, what="краткое название", limit=SHORT_NAME_MAX, required=False
        )
    if marked is not None:
        values["marked"] = bool(marked)
    before, after = audit.changes(subject, values)
    if not after:
        return False
    for key in after:
        setattr(subject, key, values[key])
    session.add(subject)
    _flush_unique(session, f"Предмет «{subject.name}» уже есть в списке.")
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.CURRICULUM_UPDATE,
        entity=AuditEntity.SUBJECT,
        entity_id=subject.id,
        before=before,
        after=after,
    )
    return True


def _subject_uses(session: Session, subject_id: int) -> list[str]:
    """Where a subject is used, in Russian («в учебном плане», …); empty: unused."""
    checks: list[tuple[Any, str]] = [
        (
            select(CurriculumHours.id).where(CurriculumHours.subject_id == subject_id),
            "в учебном плане",
        ),
        (
            select(TeachingAssignment.id).where(TeachingAssignment.subject_id == subject_id),
            "в нагрузке учителей",
        ),
        (select(Subgroup.id).where(Subgroup.subject_id == subject_id), "в подгруппах"),
        (select(PeriodMark.id).where(PeriodMark.subject_id == subject_id), "в отметках за период"),
        (select(DiaryRemark.id).where(DiaryRemark.subject_id == subject_id), "в замечаниях"),
    ]
    return [where for q, where in checks if session.exec(q.limit(1)).first() is not None]


def _used_subjects(session: Session, subject_ids: list[int]) -> set[int]:
    """Which of the subjects something uses (one query per table that names subjects)."""
    if not subject_ids:
        return set()
    used: set[int] = set()
    for column in (
        CurriculumHours.subject_id,
        TeachingAssignment.subject_id,
        Subgroup.subject_id,
        PeriodMark.subject_id,
        DiaryRemark.subject_id,
    ):
        found = session.exec(select(column).where(col(column).in_(subject_ids)).distinct()).all()
        used.update(v for v in found if v is not None)
    return used


def remove_subject(session: Session, *, actor: Actor | None, subject_id: Any) -> str:
    """Remove a subject nothing uses; otherwise say where it is used. Returns its name."""
    actor = _allow(session, actor)
    subject = _subject(session, actor, subject_id, lock=True)
    uses = _subject_uses(session, subject.id or 0)
    if uses:
        raise ValidationError(
            f"Предмет «{subject.name}» нельзя удалить: он используется {', '.join(uses)}. "
            "Сначала уберите его оттуда."
        )
    before = audit.snapshot(subject, SUBJECT_FIELDS)
    session.delete(subject)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.CURRICULUM_UPDATE,
        entity=AuditEntity.SUBJECT,
        entity_id=subject.id,
        before=before,
    )
    return subject.name


# --------------------------------------------------------------------------- curriculum hours


def set_curriculum_hours(
    session: Session, *, actor: Actor | None, grade: Any, subject_id: Any, hours: Any
) -> Decimal | None:
    """Set a subject's weekly hours in a grade of the current year; empty or 0 removes
    them. Returns the hours now stored (None: none). Refuses anything but 0.5–40 by 0.5."""
    actor = _allow(session, actor)
    g = _grade(grade)
    subject = _subject(session, actor, subject_id, lock=True)
    value = parse_hours(hours, what=f"{subject.name}, {g} класс")
    year = _require_year(session, actor.school_id)
    _apply_hours(session, actor, year, g, subject, value)
    return value


class HoursInvalid(ValidationError):
    """Some cells of the grid are not allowed; `errors` maps (subject_id, grade) to why."""

    def __init__(self, errors: Mapping[tuple[int, int], str]) -> None:
        super().__init__("Часы не сохранены. " + " ".join(errors.values()))
        self.errors = dict(errors)


def save_hours(
    session: Session, *, actor: Actor | None, cells: Mapping[tuple[int, int], Any]
) -> int:
    """Save several cells of the grid at once, all or nothing: (subject_id, grade) → typed
    hours (empty or 0 removes). Any bad cell raises `HoursInvalid` naming each one and
    nothing is saved. Returns how many cells changed."""
    actor = _allow(session, actor)
    year = _require_year(session, actor.school_id)
    subjects = {
        s.id or 0: s
        for s in session.exec(
            select(Subject).where(Subject.school_id == actor.school_id).with_for_update()
        ).all()
    }
    errors: dict[tuple[int, int], str] = {}
    planned: list[tuple[int, Subject, Decimal | None]] = []
    for (subject_id, grade), typed in cells.items():
        subject = subjects.get(subject_id)
        if subject is None:
            errors[(subject_id, grade)] = "Предмет не найден: обновите страницу."
            continue
        if not 1 <= grade <= 11:
            errors[(subject_id, grade)] = "Параллель — число от 1 до 11."
            continue
        try:
            planned.append(
                (grade, subject, parse_hours(typed, what=f"{subject.name}, {grade} класс"))
            )
        except ValidationError as e:
            errors[(subject_id, grade)] = e.message
    if errors:
        raise HoursInvalid(errors)
    return sum(_apply_hours(session, actor, year, g, subj, v) for g, subj, v in planned)


def _apply_hours(
    session: Session,
    actor: Actor,
    year: AcademicYear,
    g: int,
    subject: Subject,
    value: Decimal | None,
) -> bool:
    """Store one cell (None removes it), audited; whether anything changed."""
    row = _curriculum_row(session, year.id or 0, g, subject.id or 0, lock=True)
    if row is None and value is None:
        return False
    if row is None:
        assert value is not None
        row = CurriculumHours(
            year_id=year.id or 0, grade=g, subject_id=subject.id or 0, hours_per_week=value
        )
        session.add(row)
        _flush_unique(
            session, "Часы этой клетки только что сохранил другой пользователь: обновите страницу."
        )
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.CURRICULUM_UPDATE,
            entity=AuditEntity.CURRICULUM,
            entity_id=row.id,
            after=audit.snapshot(row, CURRICULUM_FIELDS),
        )
        return True
    if value is None:
        before = audit.snapshot(row, CURRICULUM_FIELDS)
        session.delete(row)
        session.flush()
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.CURRICULUM_UPDATE,
            entity=AuditEntity.CURRICULUM,
            entity_id=row.id,
            before=before,
        )
        return True
    before, after = audit.changes(row, {"hours_per_week": value})
    if not after:
        return False
    row.hours_per_week = value
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.CURRICULUM_UPDATE,
        entity=AuditEntity.CURRICULUM,
        entity_id=row.id,
        before=before,
        after=after,
    )
    return True


def set_split(
    session: Session, *, actor: Actor | None, grade: Any, subject_id: Any, split: bool
) -> bool:
    """Set «делится на подгруппы» for a subject in a grade that has hours. Returns whether
    anything changed."""
    actor = _allow(session, actor)
    g = _grade(grade)
    subject = _subject(session, actor, subject_id)
    year = _require_year(session, actor.school_id)
    row = _curriculum_row(session, year.id or 0, g, subject.id or 0, lock=True)
    if row is None:
        raise ValidationError(
            f"Сначала укажите часы предмета «{subject.name}» для {g} классов, "
            "затем отметьте деление на подгруппы."
        )
    before, after = audit.changes(row, {"split_into_subgroups": bool(split)})
    if not after:
        return False
    row.split_into_subgroups = bool(split)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.CURRICULUM_UPDATE,
        entity=AuditEntity.CURRICULUM,
        entity_id=row.id,
        before=before,
        after=after,
    )
    return True


# --------------------------------------------------------------------------- assignments


def add_assignment(
    session: Session,
    *,
    actor: Actor | None,
    class_id: Any,
    subject_id: Any,
    teacher_id: Any,
    subgroup_id: Any = None,
    hours: Any = "",
) -> AssignmentSaved:
    """A teacher takes a subject in a class (or one of its subgroups for the subject).
    Empty hours take the curriculum's for the class's grade. The same class (subgroup) and
    subject twice is refused. Returns the warnings that now concern the teacher and class."""
    cid = _int(class_id)
    actor = _allow(session, actor, Target(class_id=cid) if cid > 0 else None)
    year = _require_year(session, actor.school_id)
    group = _class(session, actor, year, class_id)
    # Locked so a subject being removed meanwhile is not assigned (PostgreSQL).
    subject = _subject(session, actor, subject_id, lock=True)
    teacher = _teacher(session, actor, teacher_id)
    subgroup: Subgroup | None = None
    if subgroup_id not in (None, "", 0, "0"):
        subgroup = session.get(Subgroup, _int(subgroup_id))
        if subgroup is None or subgroup.class_id != group.id:
            raise ValidationError("Выберите подгруппу этого класса.")
        if subgroup.subject_id is not None and subgroup.subject_id != subject.id:
            raise ValidationError(
                f"Подгруппа «{subgroup.name}» создана для другого предмета: выберите подгруппу "
                f"по предмету «{subject.name}»."
            )
    value = parse_hours(hours, what="Часы в неделю")
    if value is None:
        plan = _curriculum_row(session, year.id or 0, group.grade, subject.id or 0)
        if plan is None:
            raise ValidationError(
                f"Укажите часы в неделю: в учебном плане {group.grade} классов нет часов "
                f"по предмету «{subject.name}»."
            )
        value = Decimal(plan.hours_per_week)
    what = _what(group, subject, subgroup)
    same = session.exec(
        select(TeachingAssignment.id).where(
            TeachingAssignment.year_id == year.id,
            TeachingAssignment.class_id == group.id,
            TeachingAssignment.subject_id == subject.id,
            (
                col(TeachingAssignment.subgroup_id).is_(None)
                if subgroup is None
                else TeachingAssignment.subgroup_id == subgroup.id
            ),
        )
    ).first()
    if same is not None:
        raise ValidationError(MSG_DUPLICATE.format(what=what))
    row = TeachingAssignment(
        year_id=year.id or 0,
        teacher_id=teacher.id or 0,
        class_id=group.id or 0,
        subgroup_id=subgroup.id if subgroup else None,
        subject_id=subject.id or 0,
        hours_per_week=value,
    )
    session.add(row)
    _flush_unique(session, MSG_DUPLICATE.format(what=what))
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.ASSIGNMENT_UPDATE,
        entity=AuditEntity.ASSIGNMENT,
        entity_id=row.id,
        after=audit.snapshot(row, ASSIGNMENT_FIELDS),
    )
    return AssignmentSaved(row.id or 0, value, _concerning(session, actor, row))


def update_assignment(
    session: Session,
    *,
    actor: Actor | None,
    assignment_id: Any,
    teacher_id: Any = None,
    hours: Any = None,
) -> AssignmentSaved:
    """Change an assignment's teacher or weekly hours (None leaves it; empty hours are
    refused here — remove the row instead). Lessons already held stay with the assignment."""
    actor = _allow(session, actor)
    row = _assignment(session, actor, assignment_id)
    values: dict[str, Any] = {}
    if teacher_id is not None:
        values["teacher_id"] = _teacher(session, actor, teacher_id).id
    if hours is not None:
        value = parse_hours(hours, what="Часы в неделю")
        if value is None:
            raise ValidationError(
                "Часы в неделю: от 0,5 до 40. Чтобы снять нагрузку, удалите строку."
            )
        values["hours_per_week"] = value
    before, after = audit.changes(row, values)
    if after:
        for key in after:
            setattr(row, key, values[key])
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.ASSIGNMENT_UPDATE,
            entity=AuditEntity.ASSIGNMENT,
            entity_id=row.id,
            before=before,
            after=after,
        )
    return AssignmentSaved(
        row.id or 0, Decimal(row.hours_per_week), _concerning(session, actor, row)
    )


def remove_assignment(session: Session, *, actor: Actor | None, assignment_id: Any) -> str:
    """Remove an assignment with no lessons, timetable or КТП; otherwise say what holds it.
    Returns what was removed («5 «А», Математика»)."""
    actor = _allow(session, actor)
    row = _assignment(session, actor, assignment_id)
    aid = row.id or 0
    lessons = session.exec(
        select(func.count()).select_from(Lesson).where(Lesson.assignment_id == aid)
    ).one()
    if lessons:
        raise ValidationError(
            f"Нагрузку нельзя удалить: по ней в журнале уже {lessons} "
            f"{_plural(lessons, 'урок', 'урока', 'уроков')}. Смените учителя вместо удаления."
        )
    slots = session.exec(
        select(func.count()).select_from(TimetableSlot).where(TimetableSlot.assignment_id == aid)
    ).one()
    if slots:
        raise ValidationError(
            f"Нагрузку нельзя удалить: она стоит в расписании ({slots} "
            f"{_plural(slots, 'урок', 'урока', 'уроков')} в неделю). Сначала уберите её из расписания."
        )
    items = session.exec(
        select(func.count())
        .select_from(ThematicPlanItem)
        .where(ThematicPlanItem.assignment_id == aid)
    ).one()
    if items:
        raise ValidationError(
            "Нагрузку нельзя удалить: к ней загружено КТП. Смените учителя вместо удаления."
        )
    group = session.get(ClassGroup, row.class_id)
    subject = session.get(Subject, row.subject_id)
    subgroup = session.get(Subgroup, row.subgroup_id) if row.subgroup_id else None
    what = _what(group, subject, subgroup) if group and subject else ""
    before = audit.snapshot(row, ASSIGNMENT_FIELDS)
    session.delete(row)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.ASSIGNMENT_UPDATE,
        entity=AuditEntity.ASSIGNMENT,
        entity_id=aid,
        before=before,
    )
    return what


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


# --------------------------------------------------------------------------- the view


@dataclass
class _Data:
    school: School
    year: AcademicYear | None
    subjects: list[Subject]
    classes: list[ClassGroup]
    subgroups: list[Subgroup]
    staff: dict[int, Staff]
    plan: dict[tuple[int, int], CurriculumHours]  # (grade, subject_id) → row
    assignments: list[TeachingAssignment]


def _data(session: Session, actor: Actor) -> _Data:
    school = _school(session, actor)
    year = _current_year(session, actor.school_id)
    subjects = list(
        session.exec(
            select(Subject)
            .where(Subject.school_id == actor.school_id)
            .order_by(col(Subject.sort_order), col(Subject.name), col(Subject.id))
        ).all()
    )
    staff = {
        s.id or 0: s
        for s in session.exec(select(Staff).where(Staff.school_id == actor.school_id)).all()
    }
    if year is None:
        return _Data(school, None, subjects, [], [], staff, {}, [])
    classes = list(
        session.exec(
            select(ClassGroup)
            .where(ClassGroup.school_id == actor.school_id, ClassGroup.year_id == year.id)
            .order_by(col(ClassGroup.grade), col(ClassGroup.letter))
        ).all()
    )
    class_ids = [c.id for c in classes]
    subgroups = (
        list(
            session.exec(
                select(Subgroup)
                .where(col(Subgroup.class_id).in_(class_ids))
                .order_by(col(Subgroup.class_id), col(Subgroup.name), col(Subgroup.id))
            ).all()
        )
        if class_ids
        else []
    )
    plan = {
        (r.grade, r.subject_id): r
        for r in session.exec(
            select(CurriculumHours).where(CurriculumHours.year_id == year.id)
        ).all()
    }
    assignments = (
        list(
            session.exec(
                select(TeachingAssignment).where(
                    TeachingAssignment.year_id == year.id,
                    col(TeachingAssignment.class_id).in_(class_ids),
                )
            ).all()
        )
        if class_ids
        else []
    )
    return _Data(school, year, subjects, classes, subgroups, staff, plan, assignments)


def _loads(d: _Data) -> list[TeacherLoad]:
    limit = Decimal(d.school.max_weekly_load)
    total: dict[int, Decimal] = defaultdict(Decimal)
    count: dict[int, int] = defaultdict(int)
    for a in d.assignments:
        total[a.teacher_id] += Decimal(a.hours_per_week)
        count[a.teacher_id] += 1
    rows = [
        TeacherLoad(
            teacher_id=tid,
            name=person_short(d.staff.get(tid)),
            hours=hours,
            over=hours > limit,
            assignments=count[tid],
        )
        for tid, hours in total.items()
    ]
    return sorted(rows, key=lambda r: (_key(r.name), r.teacher_id))


def load_warning(name: str, hours: Decimal, limit: Decimal) -> str:
    """«Кузнецов И. О.: нагрузка 38 ч в неделю — больше предела 36 ч»."""
    return f"{name}: нагрузка {hours_text(hours)} ч в неделю — больше предела {hours_text(limit)} ч"


def _warnings(d: _Data, loads: list[TeacherLoad]) -> list[PlanWarning]:
    limit = Decimal(d.school.max_weekly_load)
    found = [
        PlanWarning("load", load_warning(t.name, t.hours, limit), teacher_id=t.teacher_id)
        for t in loads
        if t.over
    ]
    subjects = {s.id or 0: s for s in d.subjects}
    order = {s.id or 0: n for n, s in enumerate(d.subjects)}
    by_unit: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
    for a in d.assignments:
        by_unit[(a.class_id, a.subject_id, a.subgroup_id)] += Decimal(a.hours_per_week)
    groups_of: dict[tuple[int, int | None], list[Subgroup]] = defaultdict(list)
    for sg in d.subgroups:
        groups_of[(sg.class_id, sg.subject_id)].append(sg)
    for group in d.classes:
        cid = group.id or 0
        taught = {sid for (c, sid, _) in by_unit if c == cid}
        planned = {sid for (grade, sid) in d.plan if grade == group.grade}
        for sid in sorted(taught | planned, key=lambda s: order.get(s, 0)):
            subject = subjects.get(sid)
            if subject is None:
                continue
            found.extend(_class_subject_warnings(d, group, subject, by_unit, groups_of))
    return found


def _class_subject_warnings(
    d: _Data,
    group: ClassGroup,
    subject: Subject,
    by_unit: dict[tuple[int, int, int | None], Decimal],
    groups_of: dict[tuple[int, int | None], list[Subgroup]],
) -> list[PlanWarning]:
    """One class × subject against the curriculum: per subgroup when the subject is split
    and the class has its subgroups (a whole-class lesson counts for every group)."""
    cid, sid = group.id or 0, subject.id or 0
    plan = d.plan.get((group.grade, sid))
    planned = Decimal(plan.hours_per_week) if plan else None
    split = bool(plan and plan.split_into_subgroups)
    whole = by_unit.get((cid, sid, None), Decimal(0))
    own_groups = groups_of.get((cid, sid), [])
    units: list[tuple[Subgroup | None, Decimal]]
    if split and own_groups:
        units = [(sg, whole + by_unit.get((cid, sid, sg.id), Decimal(0))) for sg in own_groups]
    else:
        units = [(None, whole)]
    out: list[PlanWarning] = []
    for sg, assigned in units:
        what = _what(group, subject, sg)
        if planned is None:
            if assigned:
                out.append(
                    PlanWarning(
                        "hours",
                        f"{what}: назначено {hours_text(assigned)} ч в неделю, а в учебном "
                        f"плане {group.grade} классов этого предмета нет",
                        cid,
                        sid,
                    )
                )
        elif not assigned:
            out.append(
                PlanWarning(
                    "teacher",
                    f"{what}: нет учителя (по учебному плану {hours_text(planned)} ч в неделю)",
                    cid,
                    sid,
                )
            )
        elif assigned != planned:
            out.append(
                PlanWarning(
                    "hours",
                    f"{what}: назначено {hours_text(assigned)} ч в неделю, по учебному плану "
                    f"{hours_text(planned)} ч",
                    cid,
                    sid,
                )
            )
    if not split:
        for sg in groups_of.get((cid, sid), []) + groups_of.get((cid, None), []):
            if by_unit.get((cid, sid, sg.id)):
                out.append(
                    PlanWarning(
                        "hours",
                        f"{_what(group, subject, sg)}: нагрузка назначена подгруппе, а в учебном "
                        "плане предмет не делится на подгруппы",
                        cid,
                        sid,
                    )
                )
    return out


@read_only
def get_curriculum(session: Session, *, actor: Actor | None) -> CurriculumView:
    """The current year's subjects, hours grid, assignments, teachers' loads and warnings."""
    actor = _allow(session, actor)
    d = _data(session, actor)
    limit = Decimal(d.school.max_weekly_load)
    used = _used_subjects(session, [s.id or 0 for s in d.subjects])
    subject_rows = tuple(
        SubjectRow(s.id or 0, s.name, s.short_name, s.marked, (s.id or 0) in used)
        for s in d.subjects
    )
    if d.year is None:
        return CurriculumView(None, "", limit, subject_rows)
    grades = tuple(sorted({c.grade for c in d.classes}))
    cells = tuple(
        HoursCell(
            s.id or 0,
            g,
            Decimal(d.plan[(g, s.id or 0)].hours_per_week) if (g, s.id or 0) in d.plan else None,
            bool(d.plan[(g, s.id or 0)].split_into_subgroups)
            if (g, s.id or 0) in d.plan
            else False,
        )
        for s in d.subjects
        for g in grades
    )
    classes = {c.id or 0: c for c in d.classes}
    subjects = {s.id or 0: s for s in d.subjects}
    subgroup_names = {sg.id or 0: sg.name for sg in d.subgroups}
    lesson_counts: dict[int, int] = {}
    ids = [a.id for a in d.assignments]
    if ids:
        lesson_counts = {
            aid: n
            for aid, n in session.exec(
                select(Lesson.assignment_id, func.count())
                .where(col(Lesson.assignment_id).in_(ids))
                .group_by(col(Lesson.assignment_id))
            ).all()
        }
    order = {s.id or 0: n for n, s in enumerate(d.subjects)}
    rows = []
    for a in d.assignments:
        group = classes[a.class_id]
        plan = d.plan.get((group.grade, a.subject_id))
        rows.append(
            AssignmentRow(
                id=a.id or 0,
                class_id=a.class_id,
                class_label=class_name(group.grade, group.letter),
                grade=group.grade,
                subgroup_id=a.subgroup_id,
                subgroup_name=subgroup_names.get(a.subgroup_id or 0, ""),
                subject_id=a.subject_id,
                subject_name=subjects[a.subject_id].name if a.subject_id in subjects else "",
                teacher_id=a.teacher_id,
                teacher_name=person_short(d.staff.get(a.teacher_id)),
                hours=Decimal(a.hours_per_week),
                curriculum_hours=Decimal(plan.hours_per_week) if plan else None,
                lessons=lesson_counts.get(a.id or 0, 0),
            )
        )
    rows.sort(
        key=lambda r: (r.grade, r.class_label, order.get(r.subject_id, 0), r.subgroup_name, r.id)
    )
    loads = _loads(d)
    teachers = sorted(
        (TeacherOption(s.id or 0, person_short(s)) for s in d.staff.values() if s.is_active),
        key=lambda t: (_key(t.name), t.id),
    )
    return CurriculumView(
        year_id=d.year.id,
        year_name=d.year.name,
        max_weekly_load=limit,
        subjects=subject_rows,
        grades=grades,
        cells=cells,
        classes=tuple(
            ClassOption(c.id or 0, class_name(c.grade, c.letter), c.grade) for c in d.classes
        ),
        subgroups=tuple(
            SubgroupOption(sg.id or 0, sg.class_id, sg.subject_id, sg.name) for sg in d.subgroups
        ),
        teachers=tuple(teachers),
        assignments=tuple(rows),
        loads=tuple(loads),
        warnings=tuple(_warnings(d, loads)),
    )


def _concerning(session: Session, actor: Actor, row: TeachingAssignment) -> tuple[str, ...]:
    """The warnings about `row`'s teacher and its class × subject, after a change."""
    session.flush()
    d = _data(session, actor)
    loads = _loads(d)
    return tuple(
        w.text
        for w in _warnings(d, loads)
        if w.teacher_id == row.teacher_id
        or (w.class_id == row.class_id and w.subject_id == row.subject_id)
    )
