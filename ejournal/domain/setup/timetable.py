"""The timetable builder (issue 13): the deputy's weekly timetable by class, teacher, room.

A `TimetableSlot` is one weekly lesson of a teaching assignment (weekday × lesson number,
room) valid from a date (and to a date). A change «from a date onward» never rewrites the
past: the old slot ends the day before (`valid_to`) and a new one starts on the date, so
the lessons already held keep their slot; a slot is deleted only if it had not started yet.

Clashes are refused in words naming the other lesson: one teacher twice at the same time,
one class twice (two different subgroups of a class may sit at the same time, the whole
class with anything of it may not), one room twice. Hours are compared with the teaching
load and the curriculum as warnings. Every write needs TIMETABLE_MANAGE, is audited
(TIMETABLE_UPDATE, entity TIMETABLE_SLOT) and holds the school's row until commit, so two
deputies filling the same cell at once run one after the other and the second is told.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound, PermissionDenied, ValidationError
from ejournal.domain.journal.context import current_year, require_open_year
from ejournal.domain.models import (
    AcademicYear,
    BellSlot,
    ClassGroup,
    CurriculumHours,
    School,
    Staff,
    Subgroup,
    Subject,
    TeachingAssignment,
    TimetableSlot,
)
from ejournal.domain.people.naming import class_name, person_short
from ejournal.domain.permissions import Actor, Permission, Target, require, require_some
from ejournal.domain.text_rules import normalise

WEEKDAYS = ("Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота")
WEEKDAYS_SHORT = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб")
KINDS = ("class", "teacher", "room")
ROOM_LIMIT = 32  # the column's width
MIN_NUMBER, MAX_NUMBER = 0, 10


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Cell:
    """One weekly lesson in the grid."""

    slot_id: int
    assignment_id: int
    weekday: int
    number: int
    subject: str
    teacher: str  # «Кузнецов И. О.»
    class_name: str  # «5 «А»» (with the subgroup: «5 «А», группа 1»)
    room: str
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass(frozen=True)
class TimetableView:
    kind: str
    object_id: str
    title: str  # «5 «А»», «Кузнецов И. О.», «Кабинет 21»
    on: dt.date
    weekdays: tuple[int, ...]
    numbers: tuple[int, ...]
    bells: dict[int, str]  # number → «08:30–09:15»
    cells: tuple[Cell, ...]
    warnings: tuple[str, ...]
    assignments: tuple[Choice, ...]  # what the add form offers for this object
    classes: tuple[Choice, ...]
    teachers: tuple[Choice, ...]
    rooms: tuple[Choice, ...]


@dataclass(frozen=True)
class Done:
    message: str
    slot_id: int | None = None


@dataclass(frozen=True)
class _Row:
    slot: TimetableSlot
    ta: TeachingAssignment
    group: ClassGroup
    subject: Subject
    subgroup: Subgroup | None
    teacher: Staff | None


# --------------------------------------------------------------------------- small rules


def clean_room(value: object) -> str:
    room = normalise(str(value or ""), multiline=False).strip()
    if len(room) > ROOM_LIMIT:
        raise ValidationError(f"Кабинет — не длиннее {ROOM_LIMIT} символов.")
    return room


def _int(value: object, what: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(f"{what}: нужно целое число.") from None


def _date(value: object, what: str = "Дата") -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(f"{what}: укажите дату.") from None


def _overlaps(a_from: dt.date, a_to: dt.date | None, b_from: dt.date, b_to: dt.date | None) -> bool:
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


def _group_label(group: ClassGroup, subgroup: Subgroup | None) -> str:
    name = class_name(group.grade, group.letter)
    return f"{name}, {subgroup.name}" if subgroup else name


def describe(row: _Row) -> str:
    """«Понедельник, 1-й урок: Математика, 5 «А», Кузнецов И. О., каб. 21»."""
    where = f", каб. {row.slot.room}" if row.slot.room else ""
    return (
        f"{WEEKDAYS[row.slot.weekday - 1]}, {row.slot.number}-й урок: {row.subject.name}, "
        f"{_group_label(row.group, row.subgroup)}, {person_short(row.teacher)}{where}"
    )


def clash(new: _Row, other: _Row) -> str:
    """Why two weekly lessons at the same weekday and number cannot both be held ('' if they
    can): one teacher, one class (different subgroups excepted), one room."""
    if new.ta.teacher_id == other.ta.teacher_id:
        return f"У учителя {person_short(new.teacher)} в это время уже урок — {describe(other)}."
    if new.ta.class_id == other.ta.class_id and (
        new.ta.subgroup_id is None
        or other.ta.subgroup_id is None
        or new.ta.subgroup_id == other.ta.subgroup_id
    ):
        return (
            f"У класса {_group_label(new.group, new.subgroup)} в это время уже урок — "
            f"{describe(other)}."
        )
    if new.slot.room and new.slot.room.casefold() == other.slot.room.casefold():
        return f"Кабинет {new.slot.room} в это время занят — {describe(other)}."
    return ""


# --------------------------------------------------------------------------- loading


def _rows(session: Session, school_id: int, *conditions: object) -> list[_Row]:
    query = (
        sa_select(TimetableSlot, TeachingAssignment, ClassGroup, Subject, Subgroup, Staff)
        .join(TeachingAssignment, col(TeachingAssignment.id) == TimetableSlot.assignment_id)
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .outerjoin(Subgroup, col(Subgroup.id) == TeachingAssignment.subgroup_id)
        .outerjoin(Staff, col(Staff.id) == TeachingAssignment.teacher_id)
        .where(col(ClassGroup.school_id) == school_id, *conditions)  # type: ignore[arg-type]
        .order_by(col(TimetableSlot.weekday), col(TimetableSlot.number), col(TimetableSlot.id))
    )
    return [_Row(*r) for r in session.execute(query).all()]


def _valid_on(on: dt.date) -> tuple[object, object]:
    return (
        col(TimetableSlot.valid_from) <= on,
        or_(col(TimetableSlot.valid_to).is_(None), col(TimetableSlot.valid_to) >= on),
    )


def _school(session: Session, actor: Actor, *, lock: bool) -> School:
    """The actor's school; `lock` holds its row until commit: every timetable write of a
    school runs after the one before it, so a clash check sees what the other just wrote."""
    query = select(School).where(School.id == actor.school_id)
    if lock:
        query = query.with_for_update()
    school = session.exec(query).first()
    if school is None:
        raise NotFound("Школа не найдена.")
    return school


def _year(session: Session, school_id: int) -> AcademicYear:
    year = current_year(session, school_id)
    if year is None:
        raise ValidationError("Нет учебного года: сначала заведите его в календаре.")
    return year


def _assignment_row(session: Session, actor: Actor, assignment_id: object) -> _Row:
    """The assignment as a row of a would-be slot, after the right on it."""
    aid = _int(assignment_id, "Нагрузка")
    require(session, actor, Permission.TIMETABLE_MANAGE, Target(assignment_id=aid))
    row = session.execute(
        sa_select(TeachingAssignment, ClassGroup, Subject, Subgroup, Staff)
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .outerjoin(Subgroup, col(Subgroup.id) == TeachingAssignment.subgroup_id)
        .outerjoin(Staff, col(Staff.id) == TeachingAssignment.teacher_id)
        .where(col(TeachingAssignment.id) == aid)
    ).first()
    if row is None:
        raise NotFound("Нагрузка (класс и предмет) не найдена.")
    ta, group, subject, subgroup, teacher = row
    if group.school_id != actor.school_id:
        raise PermissionDenied()
    slot = TimetableSlot(assignment_id=aid, weekday=1, number=1, valid_from=dt.date.min)
    return _Row(slot, ta, group, subject, subgroup, teacher)


def _slot_row(session: Session, actor: Actor, slot_id: object) -> _Row:
    sid = _int(slot_id, "Урок расписания")
    rows = _rows(session, actor.school_id, col(TimetableSlot.id) == sid)
    if not rows:
        raise NotFound("Урок расписания не найден: возможно, его уже убрали.")
    require(session, actor, Permission.TIMETABLE_MANAGE, Target(assignment_id=rows[0].ta.id))
    return rows[0]


def find_clash(session: Session, new: _Row, *, ignore: set[int] | None = None) -> str:
    """The first clash of the would-be slot `new` with the stored ones ('' if none)."""
    s = new.slot
    others = _rows(
        session,
        new.group.school_id,
        col(TimetableSlot.weekday) == s.weekday,
        col(TimetableSlot.number) == s.number,
    )
    for other in others:
        if other.slot.id in (ignore or set()):
            continue
        if not _overlaps(s.valid_from, s.valid_to, other.slot.valid_from, other.slot.valid_to):
            continue
        reason = clash(new, other)
        if reason:
            return reason
    return ""


def _check_place(school: School, year: AcademicYear, weekday: int, number: int) -> None:
    if not 1 <= weekday <= school.days_per_week:
        days = "шестидневная" if school.days_per_week == 6 else "пятидневная"
        raise ValidationError(
            f"В школе {days} неделя: день недели — от 1 до {school.days_per_week}."
        )
    if not MIN_NUMBER <= number <= MAX_NUMBER:
        raise ValidationError(f"Номер урока — от {MIN_NUMBER} до {MAX_NUMBER}.")


def _check_from(year: AcademicYear, valid_from: dt.date) -> None:
    if not year.starts_on <= valid_from <= year.ends_on:
        raise ValidationError(
            f"Дата «действует с» — в пределах учебного года {year.name} "
            f"({year.starts_on:%d.%m.%Y}–{year.ends_on:%d.%m.%Y})."
        )


def _slot_json(slot: TimetableSlot) -> dict[str, object]:
    return {
        "assignment_id": slot.assignment_id,
        "weekday": slot.weekday,
        "number": slot.number,
        "room": slot.room,
        "valid_from": slot.valid_from,
        "valid_to": slot.valid_to,
    }


def _audit(
    session: Session, actor: Actor, slot_id: int | None, before: object, after: object
) -> None:
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.TIMETABLE_UPDATE,
        entity=AuditEntity.TIMETABLE_SLOT,
        entity_id=slot_id,
        before=before,
        after=after,
    )


# --------------------------------------------------------------------------- writing


def add_slot(
    session: Session,
    *,
    actor: Actor | None,
    assignment_id: object,
    weekday: object,
    number: object,
    room: object = "",
    valid_from: object,
) -> Done:
    """Put a weekly lesson of the assignment at weekday × number from `valid_from` onward.

    Refused (nothing written) on a clash, a day beyond the school week, a date outside the
    current year."""
    actor = require_some(actor, Permission.TIMETABLE_MANAGE)
    school = _school(session, actor, lock=True)
    row = _assignment_row(session, actor, assignment_id)
    year = _year(session, school.id or 0)
    require_open_year(session, row.ta.year_id)
    if row.ta.year_id != year.id:
        raise ValidationError("Эта нагрузка не относится к текущему учебному году.")
    day, num = _int(weekday, "День недели"), _int(number, "Номер урока")
    _check_place(school, year, day, num)
    start = _date(valid_from, "Действует с")
    _check_from(year, start)
    slot = TimetableSlot(
        assignment_id=row.ta.id or 0,
        weekday=day,
        number=num,
        room=clean_room(room),
        valid_from=start,
    )
    new = _Row(slot, row.ta, row.group, row.subject, row.subgroup, row.teacher)
    reason = find_clash(session, new)
    if reason:
        raise ValidationError(reason)
    session.add(slot)
    session.flush()
    _audit(session, actor, slot.id, None, _slot_json(slot))
    return Done(f"Урок добавлен: {describe(new)}, с {start:%d.%m.%Y}.", slot.id)


def _end_from(session: Session, actor: Actor, row: _Row, on: dt.date) -> str:
    """End the slot before `on` (or delete it when it had not started by then)."""
    slot = row.slot
    before = _slot_json(slot)
    if slot.valid_to is not None and slot.valid_to < on:
        raise ValidationError(f"Этот урок и так идёт только до {slot.valid_to:%d.%m.%Y}.")
    if slot.valid_from >= on:
        session.delete(slot)
        session.flush()
        _audit(session, actor, slot.id, before, None)
        return "удалён"
    slot.valid_to = on - dt.timedelta(days=1)
    session.add(slot)
    session.flush()
    _audit(session, actor, slot.id, before, _slot_json(slot))
    return f"идёт до {slot.valid_to:%d.%m.%Y}"


def remove_slot(
    session: Session, *, actor: Actor | None, slot_id: object, from_date: object
) -> Done:
    """Take a weekly lesson out of the timetable from `from_date` onward; the lessons before
    the date keep their slot (it ends the day before)."""
    actor = require_some(actor, Permission.TIMETABLE_MANAGE)
    school = _school(session, actor, lock=True)
    row = _slot_row(session, actor, slot_id)
    year = _year(session, school.id or 0)
    require_open_year(session, row.ta.year_id)
    on = _date(from_date, "Убрать с даты")
    _check_from(year, on)
    what = describe(row)
    _end_from(session, actor, row, on)
    return Done(f"Урок убран с {on:%d.%m.%Y}: {what}.")


def move_slot(
    session: Session,
    *,
    actor: Actor | None,
    slot_id: object,
    from_date: object,
    weekday: object,
    number: object,
    room: object,
) -> Done:
    """Move a weekly lesson to another weekday × number (or room) from `from_date` onward;
    before the date it stays where it was."""
    actor = require_some(actor, Permission.TIMETABLE_MANAGE)
    school = _school(session, actor, lock=True)
    row = _slot_row(session, actor, slot_id)
    year = _year(session, school.id or 0)
    require_open_year(session, row.ta.year_id)
    on = _date(from_date, "Действует с")
    _check_from(year, on)
    day, num = _int(weekday, "День недели"), _int(number, "Номер урока")
    _check_place(school, year, day, num)
    slot = TimetableSlot(
        assignment_id=row.ta.id or 0, weekday=day, number=num, room=clean_room(room), valid_from=on
    )
    new = _Row(slot, row.ta, row.group, row.subject, row.subgroup, row.teacher)
    reason = find_clash(session, new, ignore={row.slot.id or 0})
    if reason:
        raise ValidationError(reason)
    _end_from(session, actor, row, on)
    session.add(slot)
    session.flush()
    _audit(session, actor, slot.id, None, _slot_json(slot))
    return Done(f"Урок перенесён с {on:%d.%m.%Y}: {describe(new)}.", slot.id)


# --------------------------------------------------------------------------- reading


def _hours(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def hours_warnings(
    session: Session,
    school_id: int,
    year_id: int,
    assignments: list[tuple[TeachingAssignment, ClassGroup, Subject, Subgroup | None]],
    on: dt.date,
) -> list[str]:
    """Weekly lessons in the timetable against the teaching load and the curriculum."""
    if not assignments:
        return []
    ids = [ta.id for ta, *_ in assignments]
    counts: dict[int, int] = defaultdict(int)
    for slot in session.exec(
        select(TimetableSlot).where(col(TimetableSlot.assignment_id).in_(ids), *_valid_on(on))  # type: ignore[arg-type]
    ):
        counts[slot.assignment_id] += 1
    plan = {
        (c.grade, c.subject_id): c.hours_per_week
        for c in session.exec(select(CurriculumHours).where(CurriculumHours.year_id == year_id))
    }
    out: list[str] = []
    for ta, group, subject, subgroup in assignments:
        n = counts[ta.id or 0]
        who = f"{_group_label(group, subgroup)}, {subject.name}"
        if Decimal(n) != ta.hours_per_week:
            out.append(
                f"{who}: в расписании {n} ч в неделю, по нагрузке {_hours(ta.hours_per_week)} ч."
            )
        cur = plan.get((group.grade, subject.id or 0))
        if cur is not None and Decimal(n) != cur and cur != ta.hours_per_week:
            out.append(f"{who}: в расписании {n} ч в неделю, по учебному плану {_hours(cur)} ч.")
    return out


def _choices(
    session: Session, school_id: int, year_id: int
) -> tuple[tuple[Choice, ...], tuple[Choice, ...], tuple[Choice, ...]]:
    groups = session.exec(
        select(ClassGroup)
        .where(ClassGroup.school_id == school_id, ClassGroup.year_id == year_id)
        .order_by(col(ClassGroup.grade), col(ClassGroup.letter))
    ).all()
    classes = tuple(Choice(str(g.id), class_name(g.grade, g.letter)) for g in groups)
    staff = session.exec(
        select(Staff)
        .where(Staff.school_id == school_id, Staff.is_active == True)  # noqa: E712
        .order_by(col(Staff.last_name), col(Staff.first_name))
    ).all()
    teachers = tuple(Choice(str(s.id), person_short(s)) for s in staff)
    rooms: set[str] = {g.room for g in groups if g.room}
    rooms |= {s.room for s in staff if s.room}
    rooms |= {
        r
        for r in session.exec(
            select(TimetableSlot.room)
            .join(TeachingAssignment, col(TeachingAssignment.id) == TimetableSlot.assignment_id)
            .where(TeachingAssignment.year_id == year_id, TimetableSlot.room != "")
        ).all()
    }
    return classes, teachers, tuple(Choice(r, r) for r in sorted(rooms, key=lambda r: (len(r), r)))


def _bells(session: Session, school_id: int) -> dict[int, str]:
    return {
        b.number: f"{b.starts_at:%H:%M}–{b.ends_at:%H:%M}"
        for b in session.exec(select(BellSlot).where(BellSlot.school_id == school_id))
    }


@read_only
def timetable_view(
    session: Session, *, actor: Actor | None, kind: str, object_id: object, on: object
) -> TimetableView:
    """The week grid of a class, a teacher or a room as it stands on date `on`, with the
    add form's assignments and the hours warnings."""
    actor = require_some(actor, Permission.TIMETABLE_MANAGE)
    require(session, actor, Permission.TIMETABLE_MANAGE)
    school = _school(session, actor, lock=False)
    year = _year(session, school.id or 0)
    day = _date(on)
    classes, teachers, rooms = _choices(session, school.id or 0, year.id or 0)
    if kind not in KINDS:
        raise ValidationError("Выберите: класс, учитель или кабинет.")
    ta_query = (
        sa_select(TeachingAssignment, ClassGroup, Subject, Subgroup, Staff)
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .outerjoin(Subgroup, col(Subgroup.id) == TeachingAssignment.subgroup_id)
        .outerjoin(Staff, col(Staff.id) == TeachingAssignment.teacher_id)
        .where(col(TeachingAssignment.year_id) == year.id, col(ClassGroup.school_id) == school.id)
        .order_by(
            col(ClassGroup.grade),
            col(ClassGroup.letter),
            col(Subject.sort_order),
            col(Subject.name),
        )
    )
    key = str(object_id or "").strip()
    if kind == "class":
        cid = _int(key, "Класс")
        title = next((c.label for c in classes if c.value == str(cid)), "")
        if not title:
            raise NotFound("Класс не найден.")
        cond: object = col(TeachingAssignment.class_id) == cid
        ta_query = ta_query.where(col(TeachingAssignment.class_id) == cid)
    elif kind == "teacher":
        tid = _int(key, "Учитель")
        title = next((c.label for c in teachers if c.value == str(tid)), "")
        if not title:
            raise NotFound("Учитель не найден.")
        cond = col(TeachingAssignment.teacher_id) == tid
        ta_query = ta_query.where(col(TeachingAssignment.teacher_id) == tid)
    else:
        if not key:
            raise ValidationError("Укажите кабинет.")
        title = f"Кабинет {key}"
        cond = col(TimetableSlot.room) == key
    rows = [
        r for r in _rows(session, school.id or 0, cond, *_valid_on(day)) if r.ta.year_id == year.id
    ]
    found = session.execute(ta_query).all()
    assignments = tuple(
        Choice(
            str(ta.id),
            f"{_group_label(g, sg)}, {s.name} — {person_short(t)}",
        )
        for ta, g, s, sg, t in found
    )
    warnings = (
        hours_warnings(
            session,
            school.id or 0,
            year.id or 0,
            [(ta, g, s, sg) for ta, g, s, sg, _ in found],
            day,
        )
        if kind != "room"
        else []
    )
    bells = _bells(session, school.id or 0)
    used = [r.slot.number for r in rows] + list(bells)
    low = min([1, *used])
    high = max([7, *used])
    cells = tuple(
        Cell(
            slot_id=r.slot.id or 0,
            assignment_id=r.ta.id or 0,
            weekday=r.slot.weekday,
            number=r.slot.number,
            subject=r.subject.name,
            teacher=person_short(r.teacher),
            class_name=_group_label(r.group, r.subgroup),
            room=r.slot.room,
            valid_from=r.slot.valid_from,
            valid_to=r.slot.valid_to,
        )
        for r in rows
    )
    return TimetableView(
        kind=kind,
        object_id=key,
        title=title,
        on=day,
        weekdays=tuple(range(1, school.days_per_week + 1)),
        numbers=tuple(range(low, high + 1)),
        bells=bells,
        cells=cells,
        warnings=tuple(warnings),
        assignments=assignments,
        classes=classes,
        teachers=teachers,
        rooms=rooms,
    )


# --------------------------------------------------------------------------- printing


@read_only
def timetable_pdf(
    session: Session, *, actor: Actor | None, kind: str, object_id: object, on: object
) -> tuple[str, bytes]:
    """A printable week (A4 landscape) of a class or a teacher: (file name, PDF bytes)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    from ejournal.domain.people.slips import register_fonts

    if kind not in ("class", "teacher"):
        raise ValidationError("Печатается расписание класса или учителя.")
    view = timetable_view(session, actor=actor, kind=kind, object_id=object_id, on=on)
    font, bold = register_fonts()
    cell_style = ParagraphStyle("cell", fontName=font, fontSize=9, leading=11)
    head_style = ParagraphStyle("head", fontName=bold, fontSize=9, leading=11)
    title_style = ParagraphStyle("title", fontName=bold, fontSize=14, leading=18)
    by_place: dict[tuple[int, int], list[Cell]] = defaultdict(list)
    for c in view.cells:
        by_place[(c.weekday, c.number)].append(c)
    data: list[list[object]] = [
        [Paragraph("Урок", head_style)]
        + [Paragraph(WEEKDAYS[d - 1], head_style) for d in view.weekdays]
    ]
    for n in view.numbers:
        line: list[object] = [
            Paragraph(
                f"{n}" + (f"<br/>{escape(view.bells[n])}" if n in view.bells else ""), head_style
            )
        ]
        for d in view.weekdays:
            parts = []
            for c in by_place.get((d, n), []):
                other = c.class_name if kind == "teacher" else c.teacher
                room = f", каб. {c.room}" if c.room else ""
                parts.append(
                    f'<font name="{bold}">{escape(c.subject)}</font><br/>'
                    f"{escape(other)}{escape(room)}"
                )
            line.append(Paragraph("<br/>".join(parts), cell_style))
        data.append(line)
    page_w, _ = landscape(A4)
    first = 80.0
    rest = (page_w - 60 - first) / max(1, len(view.weekdays))
    table = Table(data, colWidths=[first] + [rest] * len(view.weekdays), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=30,
        rightMargin=30,
        topMargin=30,
        bottomMargin=30,
        title=f"Расписание: {view.title}",
    )
    heading = Paragraph(escape(f"Расписание: {view.title} (на {view.on:%d.%m.%Y})"), title_style)
    doc.build([heading, table])
    safe = "".join(ch if ch.isalnum() else "_" for ch in view.title).strip("_")
    return f"raspisanie_{safe}.pdf", out.getvalue()
