"""Student movement (движение учащихся): arrived, left, transferred between classes.

Each movement is a change of `Enrolment` (a stay in a class, with the orders that began and
ended it) and of the student's current class, audited as STUDENT_MOVE on the ENROLMENT:

- arrived (прибыл) from another school into a class from a date, by an order: a new student,
  or one who left earlier and comes back (matched by name and birth date);
- left (выбыл) on a date (the last day in the class), by an order, as `LeaveKind.LEFT`
  (left the school) or `LeaveKind.GRADUATED`;
- transferred (переведён) into another class of the school from a date: the old stay ends
  the day before (`LeaveKind.MOVED_OUT`), a new one (`EnrolmentKind.MOVED_IN`) begins.

A movement is dated within the current school year and not in the future (the journal shows
each student only for their dates, and a future date would move them too early); the order
number is required (the summary sheet prints it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import ValidationError
from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    Enrolment,
    EnrolmentKind,
    LeaveKind,
    Student,
)
from ejournal.domain.people.naming import full_name, group_name
from ejournal.domain.permissions import Actor, Permission, Target, require
from ejournal.domain.school.clock import school_today
from ejournal.domain.setup.people import (
    ENROLMENT_FIELDS,
    STUDENT_FIELDS,
    _begin_write,
    _gender,
    _names,
    _student,
    check_birth_date,
    class_of_year,
    current_year,
    parse_day,
    school_of,
    transfer,
)
from ejournal.domain.setup.students import name_key
from ejournal.domain.text_rules import normalise

#: The ways of leaving a user may choose (a transfer's MOVED_OUT is written by `transfer`).
LEAVE_KINDS = {
    LeaveKind.LEFT.value: "выбыл(а) из школы",
    LeaveKind.GRADUATED.value: "окончил(а) школу",
}
ORDER_LIMIT = 32


@dataclass(frozen=True)
class MovementRow:
    """One line of the movement list."""

    on: dt.date
    student: str
    kind: str  # "arrived", "left", "graduated", "moved"
    what: str  # «прибыл(а) в 5 «А»», «переведён(а) из 5 «А» в 5 «Б»»
    order_number: str


def _order(value: str) -> str:
    order = normalise(str(value or ""), multiline=False)
    if not order:
        raise ValidationError("Укажите номер приказа.")
    if len(order) > ORDER_LIMIT:
        raise ValidationError(f"Номер приказа длиннее {ORDER_LIMIT} знаков.")
    return order


def _date(
    session: Session, actor: Actor, value: str, today: dt.date | None, what: str
) -> tuple[dt.date, AcademicYear]:
    """The movement's date: within the current year and not after today."""
    day = parse_day(value, what=what)
    year = current_year(session, actor.school_id)
    today = today or school_today(school_of(session, actor))
    if not year.starts_on <= day <= year.ends_on:
        raise ValidationError(
            f"{what}: {day:%d.%m.%Y} вне текущего учебного года "
            f"({year.starts_on:%d.%m.%Y}–{year.ends_on:%d.%m.%Y})."
        )
    if day > today:
        raise ValidationError(
            f"{what}: {day:%d.%m.%Y} ещё не наступила. Движение записывается в тот день, когда "
            "оно произошло, или позже."
        )
    return day, year


def _open_stay(session: Session, student_id: int) -> Enrolment | None:
    return session.exec(
        select(Enrolment)
        .where(Enrolment.student_id == student_id, col(Enrolment.ends_on).is_(None))
        .order_by(col(Enrolment.starts_on).desc())
    ).first()


def _assumed_stay(session: Session, student: Student, year: AcademicYear) -> Enrolment | None:
    """A student on a class's roll with no stay recorded (older data) is taken as being in
    that class since the start of the year: the stay is written so the movement can end it."""
    if student.class_id is None or student.id is None:
        return None
    stay = Enrolment(
        student_id=student.id,
        class_id=student.class_id,
        kind=EnrolmentKind.START.value,
        starts_on=year.starts_on,
    )
    session.add(stay)
    session.flush()
    return stay


def _audit(session: Session, actor: Actor, stay: Enrolment, before: object, reason: str) -> None:
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.STUDENT_MOVE,
        entity=AuditEntity.ENROLMENT,
        entity_id=stay.id,
        before=before,
        after=audit.snapshot(stay, ENROLMENT_FIELDS),
        reason=reason,
    )


# --------------------------------------------------------------------------- services


def record_arrival(
    session: Session,
    *,
    actor: Actor,
    class_id: int,
    on: str,
    order_number: str,
    last_name: str,
    first_name: str,
    middle_name: str = "",
    gender: str = "",
    birth_date: str = "",
    today: dt.date | None = None,
) -> int:
    """A student arrives from another school into `class_id` from `on` by an order; one who
    left earlier (same name and birth date) comes back on their own record. The student's id."""
    _begin_write(session, actor, Target(class_id=class_id))
    group = class_of_year(session, actor, int(class_id))
    assert group.id is not None
    day, _year = _date(session, actor, on, today, "Дата прибытия")
    order = _order(order_number)
    last, first, middle = _names(last_name, first_name, middle_name)
    birth = parse_day(birth_date, what="Дата рождения")
    check_birth_date(birth, day)
    key = name_key(last, first, middle)
    found = None
    for other in session.exec(
        select(Student).where(Student.school_id == actor.school_id, Student.birth_date == birth)
    ).all():
        if name_key(other.last_name, other.first_name, other.middle_name) == key:
            found = other
    if found is not None:
        assert found.id is not None
        if _open_stay(session, found.id) is not None:
            where = session.get(ClassGroup, found.class_id or 0)
            raise ValidationError(
                f"{full_name(last, first, middle)} уже учится в школе"
                + (f" ({group_name(where)})" if where is not None else "")
                + ": для смены класса нужен перевод."
            )
        last_stay = session.exec(
            select(Enrolment)
            .where(Enrolment.student_id == found.id, col(Enrolment.ends_on).is_not(None))
            .order_by(col(Enrolment.ends_on).desc())
        ).first()
        last_day = last_stay.ends_on if last_stay is not None else None
        if last_day is not None and day <= last_day:
            raise ValidationError(
                f"Дата прибытия {day:%d.%m.%Y} не позже дня выбытия {last_day:%d.%m.%Y}."
            )
        student = found
        student.class_id = group.id
        student.is_active = True
        session.add(student)
    else:
        student = Student(
            school_id=actor.school_id,
            last_name=last,
            first_name=first,
            middle_name=middle,
            gender=_gender(gender),
            birth_date=birth,
            class_id=group.id,
        )
        session.add(student)
        session.flush()
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.STUDENT_UPDATE,
            entity=AuditEntity.STUDENT,
            entity_id=student.id,
            after=audit.snapshot(student, STUDENT_FIELDS),
            reason="прибыл(а) из другой школы",
        )
    assert student.id is not None
    stay = Enrolment(
        student_id=student.id,
        class_id=group.id,
        kind=EnrolmentKind.ARRIVED.value,
        starts_on=day,
        order_number=order,
    )
    session.add(stay)
    _audit(session, actor, stay, None, "прибыл(а)")
    return student.id


def record_leaving(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    on: str,
    order_number: str,
    kind: str = LeaveKind.LEFT.value,
    today: dt.date | None = None,
) -> None:
    """The student leaves the school: `on` is their last day in the class."""
    _begin_write(session, actor, Target(student_id=student_id))
    student = _student(session, actor, int(student_id))
    assert student.id is not None
    if kind not in LEAVE_KINDS:
        raise ValidationError("Выберите, как ученик выбывает: из школы или по окончании.")
    day, year = _date(session, actor, on, today, "Дата выбытия")
    order = _order(order_number)
    stay = _open_stay(session, student.id) or _assumed_stay(session, student, year)
    if stay is None:
        raise ValidationError("Этот ученик уже выбыл: он не числится ни в одном классе.")
    if day < stay.starts_on:
        raise ValidationError(
            f"Дата выбытия {day:%d.%m.%Y} раньше зачисления в класс ({stay.starts_on:%d.%m.%Y})."
        )
    before = audit.snapshot(stay, ENROLMENT_FIELDS)
    stay.ends_on = day
    stay.leave_kind = kind
    stay.leave_order_number = order
    session.add(stay)
    student.class_id = None
    student.is_active = False
    session.add(student)
    _audit(session, actor, stay, before, LEAVE_KINDS[kind])


def record_transfer(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    class_id: int,
    on: str,
    order_number: str,
    today: dt.date | None = None,
) -> None:
    """The student moves into `class_id` from `on`: the old stay ends the day before."""
    _begin_write(session, actor, Target(student_id=student_id))
    require(session, actor, Permission.IMPORT_LISTS, Target(class_id=class_id))
    student = _student(session, actor, int(student_id))
    assert student.id is not None
    group = class_of_year(session, actor, int(class_id))
    day, year = _date(session, actor, on, today, "Дата перевода")
    order = _order(order_number)
    stay = _open_stay(session, student.id) or _assumed_stay(session, student, year)
    if stay is None:
        raise ValidationError("Этот ученик выбыл: его можно только зачислить снова («Прибыл»).")
    if stay.class_id == group.id:
        raise ValidationError(f"Ученик уже в классе {group_name(group)}.")
    if day < stay.starts_on:
        raise ValidationError(
            f"Дата перевода {day:%d.%m.%Y} раньше зачисления в нынешний класс "
            f"({stay.starts_on:%d.%m.%Y})."
        )
    transfer(session, actor=actor, student=student, group=group, on=day, order_number=order)


@read_only
def movements(session: Session, *, actor: Actor) -> list[MovementRow]:
    """Who arrived, left or was transferred in the current year, the latest first."""
    require(session, actor, Permission.IMPORT_LISTS)
    year = session.exec(
        select(AcademicYear).where(
            AcademicYear.school_id == actor.school_id, col(AcademicYear.is_current).is_(True)
        )
    ).first()
    if year is None:
        return []
    classes = {
        g.id: g
        for g in session.exec(
            select(ClassGroup).where(
                ClassGroup.year_id == year.id, ClassGroup.school_id == actor.school_id
            )
        ).all()
    }
    if not classes:
        return []
    rows = session.exec(
        select(Enrolment, Student)
        .join(Student, col(Student.id) == col(Enrolment.student_id))
        .where(col(Enrolment.class_id).in_(list(classes)))
        .order_by(col(Enrolment.starts_on), col(Enrolment.id))
    ).all()
    ended: dict[tuple[int, dt.date], Enrolment] = {}
    for stay, _student_row in rows:
        if stay.ends_on is not None and stay.leave_kind == LeaveKind.MOVED_OUT.value:
            ended[(stay.student_id, stay.ends_on)] = stay
    out: list[MovementRow] = []
    for stay, student in rows:
        name = full_name(student.last_name, student.first_name, student.middle_name)
        here = group_name(classes[stay.class_id])
        if stay.kind == EnrolmentKind.ARRIVED.value:
            out.append(
                MovementRow(
                    stay.starts_on, name, "arrived", f"прибыл(а) в {here}", stay.order_number
                )
            )
        elif stay.kind == EnrolmentKind.MOVED_IN.value:
            old = ended.get((stay.student_id, stay.starts_on - dt.timedelta(days=1)))
            source = classes.get(old.class_id) if old is not None else None
            origin = f"из {group_name(source)} " if source is not None else ""
            out.append(
                MovementRow(
                    stay.starts_on,
                    name,
                    "moved",
                    f"переведён(а) {origin}в {here}",
                    stay.order_number,
                )
            )
        if stay.ends_on is not None and stay.leave_kind in LEAVE_KINDS:
            verb = "окончил(а) школу" if stay.leave_kind == LeaveKind.GRADUATED else "выбыл(а)"
            out.append(
                MovementRow(
                    stay.ends_on,
                    name,
                    str(stay.leave_kind),
                    f"{verb} из {here}",
                    stay.leave_order_number,
                )
            )
    out.sort(key=lambda r: (r.on, r.student), reverse=True)
    return out
