"""Substitutions (issue 13): the deputy names a substitute teacher for one lesson or for all
of a teacher's lessons over a range of days.

The lessons come from the timetable (and lessons already opened in the journal): days off,
holidays and dates outside the quarters are skipped. A missing Lesson row is created the
way the journal opens one (audited LESSON_CREATE), then `substitute_teacher_id` is set
(audited SUBSTITUTE_SET, entity LESSON). The existing permission rule (OWN_TEACHING) then
lets the substitute see that lesson on «Мои уроки» and write it, and only it. A substitute
who has a lesson of their own (or another substitution) at that time is refused by name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound, PermissionDenied, ValidationError
from ejournal.domain.journal.context import (
    is_holiday,
    period_of,
    require_open_year,
    term_periods,
)
from ejournal.domain.models import (
    ClassGroup,
    Lesson,
    School,
    Staff,
    Subgroup,
    Subject,
    TeachingAssignment,
    TimetableSlot,
)
from ejournal.domain.people.naming import class_name, person_short
from ejournal.domain.permissions import Actor, Permission, Target, require, require_some

MAX_DAYS = 62  # a range longer than two months is a change of teacher, not a substitution


@dataclass(frozen=True)
class SubstitutionItem:
    lesson_id: int
    date: dt.date
    number: int
    class_name: str
    subject: str
    teacher: str
    substitute: str


@dataclass(frozen=True)
class Done:
    message: str
    count: int = 0


@dataclass(frozen=True)
class _Planned:
    ta: TeachingAssignment
    group: ClassGroup
    subject: Subject
    subgroup: Subgroup | None
    date: dt.date
    number: int
    room: str
    lesson: Lesson | None


def _date(value: object, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(f"{what}: укажите дату.") from None


def _int(value: object, what: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(f"{what}: выберите из списка.") from None


def _label(p: _Planned) -> str:
    group = class_name(p.group.grade, p.group.letter)
    if p.subgroup:
        group = f"{group}, {p.subgroup.name}"
    return f"{p.date:%d.%m.%Y}, {p.number}-й урок: {p.subject.name}, {group}"


def _school(session: Session, actor: Actor) -> School:
    """The actor's school row, held until commit: substitutions of a school are set one
    after another, so two deputies cannot book one substitute twice at the same time."""
    school = session.exec(
        select(School).where(School.id == actor.school_id).with_for_update()
    ).first()
    if school is None:
        raise NotFound("Школа не найдена.")
    return school


def _staff(session: Session, actor: Actor, staff_id: object, what: str) -> Staff:
    sid = _int(staff_id, what)
    staff = session.get(Staff, sid)
    if staff is None or staff.school_id != actor.school_id:
        raise NotFound(f"{what}: сотрудник не найден.")
    if not staff.is_active:
        raise ValidationError(
            f"{person_short(staff)} не работает в школе (учётная запись отключена)."
        )
    return staff


def _school_day(session: Session, school: School, p: _Planned) -> bool:
    """A day lessons are held for the class: within the week, a quarter, not a holiday."""
    if p.date.isoweekday() > school.days_per_week:
        return False
    if period_of(term_periods(session, p.ta.year_id, p.group.grade), p.date) is None:
        return False
    return not is_holiday(session, p.ta.year_id, p.group.grade, p.date)


def _planned(
    session: Session, school_id: int, teacher_id: int, start: dt.date, end: dt.date
) -> list[_Planned]:
    """The teacher's lessons in [start, end]: the journal's lessons and the timetable's
    slots not yet opened, in date and number order."""
    base = (
        sa_select(TeachingAssignment, ClassGroup, Subject, Subgroup)
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .outerjoin(Subgroup, col(Subgroup.id) == TeachingAssignment.subgroup_id)
        .where(
            col(TeachingAssignment.teacher_id) == teacher_id,
            col(ClassGroup.school_id) == school_id,
        )
    )
    found = {ta.id: (ta, g, s, sg) for ta, g, s, sg in session.execute(base).all()}
    if not found:
        return []
    out: dict[tuple[int, dt.date, int], _Planned] = {}
    lessons = session.exec(
        select(Lesson).where(
            col(Lesson.assignment_id).in_(list(found)),
            Lesson.date >= start,
            Lesson.date <= end,
        )
    ).all()
    for lesson in lessons:
        ta, g, s, sg = found[lesson.assignment_id]
        out[(lesson.assignment_id, lesson.date, lesson.number)] = _Planned(
            ta, g, s, sg, lesson.date, lesson.number, lesson.room, lesson
        )
    slots = session.exec(
        select(TimetableSlot).where(
            col(TimetableSlot.assignment_id).in_(list(found)),
            TimetableSlot.valid_from <= end,
            or_(col(TimetableSlot.valid_to).is_(None), col(TimetableSlot.valid_to) >= start),
        )
    ).all()
    day = start
    while day <= end:
        for slot in slots:
            if slot.weekday != day.isoweekday() or slot.valid_from > day:
                continue
            if slot.valid_to is not None and slot.valid_to < day:
                continue
            key = (slot.assignment_id, day, slot.number)
            if key not in out:
                ta, g, s, sg = found[slot.assignment_id]
                out[key] = _Planned(ta, g, s, sg, day, slot.number, slot.room, None)
        day += dt.timedelta(days=1)
    return sorted(out.values(), key=lambda p: (p.date, p.number, p.group.grade, p.subject.name))


def _busy(session: Session, school_id: int, substitute: Staff, p: _Planned) -> str:
    """Why the substitute cannot take lesson `p` ('' when free then)."""
    sid = substitute.id or 0
    own = _planned(session, school_id, sid, p.date, p.date)
    for o in own:
        if o.number == p.number and not (o.lesson and o.lesson.cancelled):
            if o.lesson is not None and o.lesson.substitute_teacher_id not in (None, sid):
                continue  # their own lesson is itself given to someone else
            return f"У {person_short(substitute)} в это время свой урок — {_label(o)}."
    other = session.execute(
        sa_select(Lesson, TeachingAssignment, ClassGroup, Subject, Subgroup)
        .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .outerjoin(Subgroup, col(Subgroup.id) == TeachingAssignment.subgroup_id)
        .where(
            col(Lesson.substitute_teacher_id) == sid,
            col(Lesson.date) == p.date,
            col(Lesson.number) == p.number,
            col(Lesson.assignment_id) != p.ta.id,
        )
    ).first()
    if other is not None:
        lesson, ta, g, s, sg = other
        o = _Planned(ta, g, s, sg, lesson.date, lesson.number, lesson.room, lesson)
        return f"{person_short(substitute)} в это время уже заменяет — {_label(o)}."
    return ""


def _lesson_json(lesson: Lesson) -> dict[str, object]:
    return {
        "assignment_id": lesson.assignment_id,
        "date": lesson.date,
        "number": lesson.number,
        "room": lesson.room,
        "substitute_teacher_id": lesson.substitute_teacher_id,
    }


def _apply(session: Session, actor: Actor, p: _Planned, substitute: Staff) -> None:
    lesson = p.lesson
    if lesson is None:
        lesson = Lesson(assignment_id=p.ta.id or 0, date=p.date, number=p.number, room=p.room)
        session.add(lesson)
        session.flush()
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.LESSON_CREATE,
            entity=AuditEntity.LESSON,
            entity_id=lesson.id,
            after={**_lesson_json(lesson), "extra": False},
        )
    before = _lesson_json(lesson)
    lesson.substitute_teacher_id = substitute.id
    session.add(lesson)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.SUBSTITUTE_SET,
        entity=AuditEntity.LESSON,
        entity_id=lesson.id,
        before=before,
        after=_lesson_json(lesson),
    )


def _assign(
    session: Session, actor: Actor, school: School, planned: list[_Planned], substitute: Staff
) -> int:
    for p in planned:
        if p.ta.teacher_id == substitute.id:
            raise ValidationError("Учитель не может заменять сам себя: выберите другого.")
        reason = _busy(session, school.id or 0, substitute, p)
        if reason:
            raise ValidationError(reason)
    for year_id in {p.ta.year_id for p in planned}:
        require_open_year(session, year_id)
    for p in planned:
        _apply(session, actor, p, substitute)
    return len(planned)


def set_substitute_lesson(
    session: Session,
    *,
    actor: Actor | None,
    assignment_id: object,
    on: object,
    number: object,
    substitute_id: object,
) -> Done:
    """Name a substitute for one lesson of the assignment (date × lesson number)."""
    actor = require_some(actor, Permission.TIMETABLE_MANAGE)
    school = _school(session, actor)
    aid = _int(assignment_id, "Урок")
    require(session, actor, Permission.TIMETABLE_MANAGE, Target(assignment_id=aid))
    ta = session.get(TeachingAssignment, aid)
    if ta is None:
        raise NotFound("Нагрузка (класс и предмет) не найдена.")
    day, num = _date(on, "Дата"), _int(number, "Номер урока")
    substitute = _staff(session, actor, substitute_id, "Замещающий учитель")
    planned = [
        p
        for p in _planned(session, actor.school_id, ta.teacher_id, day, day)
        if p.ta.id == aid and p.number == num
    ]
    if not planned or not _school_day(session, school, planned[0]):
        raise ValidationError(f"{day:%d.%m.%Y} {num}-го урока этого класса по расписанию нет.")
    _assign(session, actor, school, planned, substitute)
    return Done(f"Замена назначена: {_label(planned[0])} — {person_short(substitute)}.", 1)


def set_substitute_range(
    session: Session,
    *,
    actor: Actor | None,
    teacher_id: object,
    date_from: object,
    date_to: object,
    substitute_id: object,
    number: object = None,
) -> Done:
    """Name a substitute for every lesson of a teacher from `date_from` to `date_to`
    (days off and holidays skipped); with `number`, only the lessons of that number (one
    day and a number: one lesson). All or nothing: one clash refuses the whole range."""
    actor = require_some(actor, Permission.TIMETABLE_MANAGE)
    require(session, actor, Permission.TIMETABLE_MANAGE)
    school = _school(session, actor)
    teacher = _staff(session, actor, teacher_id, "Учитель")
    substitute = _staff(session, actor, substitute_id, "Замещающий учитель")
    if teacher.id == substitute.id:
        raise ValidationError("Учитель не может заменять сам себя: выберите другого.")
    start, end = _date(date_from, "Дата с"), _date(date_to, "Дата по")
    if end < start:
        raise ValidationError("Дата «по» раньше даты «с».")
    if (end - start).days >= MAX_DAYS:
        raise ValidationError(f"Замену назначают не больше чем на {MAX_DAYS} дня подряд.")
    only = None if number in (None, "", "all") else _int(number, "Номер урока")
    planned = [
        p
        for p in _planned(session, actor.school_id, teacher.id or 0, start, end)
        if _school_day(session, school, p)
        and not (p.lesson and p.lesson.cancelled)
        and (only is None or p.number == only)
    ]
    for p in planned:
        require(session, actor, Permission.TIMETABLE_MANAGE, Target(assignment_id=p.ta.id))
    if not planned:
        which = "уроков" if only is None else f"{only}-го урока"
        days = f"{start:%d.%m.%Y}" if start == end else f"с {start:%d.%m.%Y} по {end:%d.%m.%Y}"
        raise ValidationError(f"У {person_short(teacher)} нет {which} {days} по расписанию.")
    n = _assign(session, actor, school, planned, substitute)
    return Done(
        f"Замена назначена: {n} ур. {person_short(teacher)} с {start:%d.%m.%Y} по "
        f"{end:%d.%m.%Y} ведёт {person_short(substitute)}.",
        n,
    )


def remove_substitute(session: Session, *, actor: Actor | None, lesson_id: object) -> Done:
    """Cancel the substitution of a lesson: it goes back to its own teacher."""
    actor = require_some(actor, Permission.TIMETABLE_MANAGE)
    _school(session, actor)
    lid = _int(lesson_id, "Урок")
    require(session, actor, Permission.TIMETABLE_MANAGE, Target(lesson_id=lid))
    lesson = session.get(Lesson, lid)
    if lesson is None:
        raise NotFound("Урок не найден.")
    if lesson.substitute_teacher_id is None:
        raise ValidationError("У этого урока нет замены: возможно, её уже отменили.")
    ta = session.get(TeachingAssignment, lesson.assignment_id)
    group = session.get(ClassGroup, ta.class_id) if ta else None
    if group is None or group.school_id != actor.school_id:
        raise PermissionDenied()
    if ta is not None:
        require_open_year(session, ta.year_id)
    before = _lesson_json(lesson)
    lesson.substitute_teacher_id = None
    session.add(lesson)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.SUBSTITUTE_SET,
        entity=AuditEntity.LESSON,
        entity_id=lesson.id,
        before=before,
        after=_lesson_json(lesson),
    )
    return Done(f"Замена {lesson.date:%d.%m.%Y}, {lesson.number}-й урок отменена.", 1)


@read_only
def list_substitutions(
    session: Session, *, actor: Actor | None, date_from: object, date_to: object
) -> list[SubstitutionItem]:
    """The school's substituted lessons from `date_from` to `date_to`, by date and number."""
    actor = require_some(actor, Permission.TIMETABLE_MANAGE)
    require(session, actor, Permission.TIMETABLE_MANAGE)
    start, end = _date(date_from, "Дата с"), _date(date_to, "Дата по")
    sub = Staff.__table__.alias("substitute")  # type: ignore[attr-defined]
    rows = session.execute(
        sa_select(Lesson, ClassGroup, Subject, Subgroup, Staff, sub.c.id)
        .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .outerjoin(Subgroup, col(Subgroup.id) == TeachingAssignment.subgroup_id)
        .outerjoin(Staff, col(Staff.id) == TeachingAssignment.teacher_id)
        .join(sub, sub.c.id == Lesson.substitute_teacher_id)
        .where(
            col(ClassGroup.school_id) == actor.school_id,
            col(Lesson.date) >= start,
            col(Lesson.date) <= end,
        )
        .order_by(col(Lesson.date), col(Lesson.number), col(ClassGroup.grade))
    ).all()
    subs = {
        s.id: s
        for s in session.exec(select(Staff).where(col(Staff.id).in_({r[5] for r in rows}))).all()
    }
    out = []
    for lesson, g, s, sg, teacher, sub_id in rows:
        group = class_name(g.grade, g.letter) + (f", {sg.name}" if sg else "")
        out.append(
            SubstitutionItem(
                lesson_id=lesson.id or 0,
                date=lesson.date,
                number=lesson.number,
                class_name=group,
                subject=s.name,
                teacher=person_short(teacher),
                substitute=person_short(subs.get(sub_id)),
            )
        )
    return out
