"""Writing the journal: cells, pasted blocks, lesson columns, period marks, excuses, remarks.

Every service checks its permission and writes its audit rows in the caller's transaction
(`db.run_transaction` commits it); any refusal or failure raises, and the caller rolls the
whole call back, so nothing is half-saved.
Optimistic concurrency: the caller passes the version it saw; a different stored
version raises ConflictError carrying the current state, and nothing is overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import bindparam, delete, insert, update
from sqlmodel import Session, col, select

from ejournal.domain import audit, permissions
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.errors import (
    ConflictError,
    DomainError,
    NotFound,
    ValidationError,
)
from ejournal.domain.grading import (
    CellValue,
    Thresholds,
    may_leave_unattested,
    parse_cell,
    weighted_average,
)
from ejournal.domain.journal.context import (
    TERM_KINDS,
    AssignmentInfo,
    Intervals,
    LessonInfo,
    class_seals,
    default_work_type,
    enrolled_on,
    enrolment_intervals,
    is_holiday,
    load_assignment,
    load_cells,
    load_lessons,
    needs_reason,
    no_marks_reason,
    period_of,
    require_open_year,
    seal_of_period,
    seal_on,
    sealed_reason,
    term_periods,
    year_period,
)
from ejournal.domain.journal.data import (
    AttendanceItem,
    CellError,
    CellResult,
    CellState,
    LessonColumn,
    MarkItem,
    PasteResult,
    PeriodMarkResult,
    RemarkResult,
)
from ejournal.domain.journal.read import (
    ABSENT_STATUSES,
    lesson_column,
)
from ejournal.domain.models import (
    AcademicYear,
    Attendance,
    AttendanceStatus,
    ClassGroup,
    DiaryRemark,
    KtpStatus,
    Lesson,
    Mark,
    Period,
    PeriodKind,
    PeriodMark,
    PeriodSeal,
    RemarkKind,
    Student,
    ThematicPlanItem,
    TimetableSlot,
    WorkType,
    utcnow,
)
from ejournal.domain.permissions import Actor, Permission, Target
from ejournal.domain.school.clock import school_today
from ejournal.domain.text_rules import TextField, clean_text

MSG_CANCELLED = "Урок отменён: в его клетки ничего не записывается."
MSG_OUTSIDE_PERIOD = "Дата урока вне учебных четвертей (полугодий): клетка недоступна."
MSG_FUTURE = "Урок ещё не прошёл: отметки и пропуски ставятся в день урока или позже."
MSG_NOT_ENROLLED = "Учащийся не числится в классе (подгруппе) в день урока."
MSG_CONFLICT = (
    "Клетку уже изменил другой пользователь: сейчас в ней «{text}». Проверьте и введите снова."
)


def _reason_needed(days: int) -> str:
    return f"Урок был более {days} дн. назад: укажите причину исправления."


def _lesson_guard(session: Session, li: LessonInfo) -> PeriodSeal | None:
    """Refuse a write into a closed year; the seal of the lesson's term, if it is sealed.

    Called after the lesson rows are locked; the class row is share-locked (see `seal_on`).
    """
    info = li.info
    assert info.group.id is not None
    require_open_year(session, info.assignment.year_id)
    return seal_on(session, info.group.id, li.lesson.date, lock=True)


def _block_seals(
    session: Session, lessons: Mapping[int, LessonInfo]
) -> dict[int, PeriodSeal | None]:
    """`_lesson_guard` for a block of lessons: one lock and one read per year and class."""
    for year_id in sorted({li.info.assignment.year_id for li in lessons.values()}):
        require_open_year(session, year_id)
    by_class: dict[int, list[tuple[Period, PeriodSeal]]] = {}
    for class_id in sorted({li.info.group.id or 0 for li in lessons.values()}):
        by_class[class_id] = class_seals(session, class_id, lock=True)
    out: dict[int, PeriodSeal | None] = {}
    for lid, li in lessons.items():
        on = li.lesson.date
        out[lid] = next(
            (
                seal
                for p, seal in by_class[li.info.group.id or 0]
                if p.kind in TERM_KINDS and p.starts_on <= on <= p.ends_on
            ),
            None,
        )
    return out


def _require_reason(
    info: AssignmentInfo, lesson_date: dt.date, today: dt.date, seal: PeriodSeal | None, reason: str
) -> None:
    """A change of an old lesson (edit lock) or of a closed period needs a reason."""
    if reason:
        return
    if seal is not None:
        raise ValidationError(sealed_reason(seal.sealed_at))
    if needs_reason(info.school, lesson_date, today):
        raise ValidationError(_reason_needed(info.school.edit_lock_days))


def _cell_json(cell: CellState) -> dict[str, Any]:
    return {
        "student_id": cell.student_id,
        "lesson_id": cell.lesson_id,
        "text": cell.text,
        "marks": [m.value for m in cell.marks],
        "attendance": cell.attendance.status if cell.attendance else None,
        "reason": cell.attendance.reason if cell.attendance else "",
    }


def _new_cell_json(
    student_id: int, lesson_id: int, value: CellValue, current: CellState
) -> dict[str, Any]:
    status = None
    if value.absent:
        status = current.attendance.status if current.excused and current.attendance else "absent"
    elif current.attendance is not None and current.attendance.status == "late":
        status = "late"
    return {
        "student_id": student_id,
        "lesson_id": lesson_id,
        "text": value.text(),
        "marks": list(value.marks),
        "attendance": status,
        "reason": current.attendance.reason if status == "excused" and current.attendance else "",
    }


# --------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class _CellPlan:
    lesson: LessonInfo
    student_id: int
    current: CellState
    value: CellValue


@dataclass
class _Block:
    """Everything needed to judge a block of cells, loaded in a few queries."""

    lessons: dict[int, LessonInfo]
    intervals: dict[int, dict[int, Intervals]]  # assignment_id → student → intervals
    cells: dict[tuple[int, int], CellState]
    today: dt.date
    terms: dict[tuple[int, int], list[Period]]  # (year_id, grade) → periods
    seals: dict[int, PeriodSeal | None]  # lesson_id → the seal of its term, if closed


def _load_block(
    session: Session,
    *,
    actor: Actor,
    lesson_ids: Sequence[int],
    student_ids: Sequence[int],
    now: dt.datetime | None,
    whole_period: bool = False,
) -> _Block:
    """`whole_period`: load the students' cells of the lesson's whole term (one lesson only),
    so the figures after a write are worked out without reading the cells again."""
    lessons = load_lessons(session, set(lesson_ids), for_update=True)
    for lid in lesson_ids:
        if lid not in lessons:
            raise NotFound("Урок не найден.")
    for lid in sorted(set(lesson_ids)):
        permissions.require(session, actor, Permission.MARK_WRITE, Target(lesson_id=lid))
    seals = _block_seals(session, lessons)
    intervals: dict[int, dict[int, Intervals]] = {}
    terms: dict[tuple[int, int], list[Period]] = {}
    by_assignment: dict[int, list[dt.date]] = {}
    for li in lessons.values():
        by_assignment.setdefault(li.lesson.assignment_id, []).append(li.lesson.date)
        key = (li.info.assignment.year_id, li.info.grade)
        if key not in terms:
            terms[key] = term_periods(session, *key)
    for assignment_id, dates in by_assignment.items():
        info = next(li.info for li in lessons.values() if li.lesson.assignment_id == assignment_id)
        assert info.group.id is not None
        intervals[assignment_id] = enrolment_intervals(
            session,
            class_id=info.group.id,
            subgroup_id=info.assignment.subgroup_id,
            starts_on=min(dates),
            ends_on=max(dates),
            student_ids=set(student_ids),
        )
    first = next(iter(lessons.values()))
    period = None
    if whole_period and len(lessons) == 1:
        key = (first.info.assignment.year_id, first.info.grade)
        period = period_of(terms[key], first.lesson.date)
    if period is not None:
        cells = load_cells(
            session,
            assignment_id=first.lesson.assignment_id,
            starts_on=period.starts_on,
            ends_on=period.ends_on,
            student_ids=set(student_ids),
        )
    else:
        cells = load_cells(session, lesson_ids=set(lesson_ids), student_ids=set(student_ids))
    return _Block(lessons, intervals, cells, school_today(first.info.school, now), terms, seals)


def _plan_cell(
    block: _Block,
    *,
    lesson_id: int,
    student_id: int,
    text: str,
    expected_version: int | None,
    reason: str,
) -> _CellPlan | None:
    """Judge one cell; None when the text leaves it as it is. Raises DomainError when refused."""
    li = block.lessons[lesson_id]
    lesson, info = li.lesson, li.info
    if lesson.cancelled:
        raise ValidationError(MSG_CANCELLED)
    if period_of(block.terms[(info.assignment.year_id, info.grade)], lesson.date) is None:
        raise ValidationError(MSG_OUTSIDE_PERIOD)
    if lesson.date > block.today:
        raise ValidationError(MSG_FUTURE)
    spans = block.intervals[lesson.assignment_id].get(student_id)
    if not enrolled_on(spans, lesson.date):
        raise ValidationError(MSG_NOT_ENROLLED)
    allow_two = info.subject.allows_two_marks and bool(
        li.work_type and li.work_type.allows_two_marks
    )
    value = parse_cell(text, allow_two=allow_two)
    if value.marks and not info.marks_allowed:
        raise ValidationError(no_marks_reason(info.grade, info.subject))
    current = block.cells.get((student_id, lesson_id)) or CellState(student_id, lesson_id)
    if value.text() == current.text:
        return None
    if (expected_version or 0) != current.version:
        raise ConflictError(MSG_CONFLICT.format(text=current.text or "пусто"), current=current)
    _require_reason(info, lesson.date, block.today, block.seals.get(lesson_id), reason)
    return _CellPlan(li, student_id, current, value)


def _next_version(audit_id: int, old: int) -> int:
    """A changed record's version: its audit row's id, and always above the old version.

    Imported or seeded rows carry versions that no audit row gave them; without the floor
    the first audit ids of a fresh database could repeat such a version, and a client
    holding it would not see the change as a conflict.
    """
    return max(audit_id, old + 1)


def _apply(
    session: Session, *, actor: Actor, plans: Sequence[_CellPlan], reason: str
) -> dict[tuple[int, int], CellState]:
    """Write planned cells and return them as now stored, keyed (student_id, lesson_id).

    One audit row per cell (written together); the audit id becomes the cell's version.
    The stored state is worked out from the plan (the block's cells were read under the
    lesson lock), so nothing is read back; each kind of row change is one statement.
    """
    if not plans:
        return {}
    now = utcnow()
    afters = [
        _new_cell_json(p.student_id, p.lesson.lesson.id or 0, p.value, p.current) for p in plans
    ]
    # The first attendance mark in a column records that attendance was taken [004 §5.3].
    taking: dict[int, Lesson] = {}
    for p, after in zip(plans, afters, strict=True):
        lesson = p.lesson.lesson
        if after["attendance"] is not None and lesson.attendance_taken_at is None:
            taking[lesson.id or 0] = lesson
    audit_ids = audit.record_many(
        session,
        actor_id=actor.user_id,
        entries=[
            *(
                audit.Entry(
                    action=AuditAction.CELL_SET,
                    entity=AuditEntity.JOURNAL_CELL,
                    entity_id=p.lesson.lesson.id,
                    before=_cell_json(p.current),
                    after=after,
                    reason=reason,
                )
                for p, after in zip(plans, afters, strict=True)
            ),
            *(_attendance_taken_entry(lesson, now, reason) for lesson in taking.values()),
        ],
    )
    versions = audit_ids[: len(plans)]
    for lesson in taking.values():
        lesson.attendance_taken_at = now
        session.add(lesson)
    user_id = actor.user_id
    fallback: list[WorkType | None] = []  # read once, only when a new mark needs it
    mark_updates: list[dict[str, Any]] = []
    mark_inserts: list[dict[str, Any]] = []
    mark_deletes: list[dict[str, Any]] = []
    att_updates: list[dict[str, Any]] = []
    att_inserts: list[dict[str, Any]] = []
    att_deletes: list[dict[str, Any]] = []
    new_cells: dict[tuple[int, int], CellState] = {}
    new_att: list[tuple[tuple[int, int], str, int]] = []  # cells whose attendance row is new
    for plan, audit_id in zip(plans, versions, strict=True):
        version = _next_version(audit_id, plan.current.version)
        lesson_id = plan.lesson.lesson.id
        assert lesson_id is not None
        sid = plan.student_id
        key = (sid, lesson_id)
        current = plan.current
        by_slot = {m.slot: m for m in current.marks}
        marks: list[MarkItem] = []
        for slot in (1, 2):
            old = by_slot.get(slot)
            if slot <= len(plan.value.marks):
                value = plan.value.marks[slot - 1]
                where = {"b_student": sid, "b_lesson": lesson_id, "b_slot": slot}
                if old is not None:
                    mark_updates.append({**where, "value": value, "version": version})
                    marks.append(replace(old, value=value, version=version))
                    continue
                wt = plan.lesson.work_type
                if wt is None:
                    if not fallback:
                        school_id = plan.lesson.info.school.id or 0
                        fallback.append(default_work_type(session, school_id))
                    wt = fallback[0]
                weight = Decimal(wt.weight) if wt else Decimal("1.00")
                row = Mark(
                    student_id=sid,
                    lesson_id=lesson_id,
                    slot=slot,
                    value=value,
                    work_type_id=wt.id if wt else None,
                    weight=weight,
                    author_id=user_id,
                    created_at=now,
                    updated_at=now,
                    version=version,
                )
                mark_inserts.append(row.model_dump(exclude={"id"}))
                label = (wt.abbreviation or wt.name or "") if wt else ""
                marks.append(MarkItem(value, slot, row.work_type_id, label, weight, version))
            elif old is not None:
                mark_deletes.append({"b_student": sid, "b_lesson": lesson_id, "b_slot": slot})
        status = _new_cell_json(sid, lesson_id, plan.value, current)["attendance"]
        att: AttendanceItem | None = None
        if status is None:
            if current.attendance is not None:
                att_deletes.append({"b_id": current.attendance.id})
        elif current.attendance is not None:
            att_updates.append(
                {"b_id": current.attendance.id, "status": status, "version": version}
            )
            att = replace(current.attendance, status=status, version=version)
        else:
            row_att = Attendance(
                student_id=sid,
                lesson_id=lesson_id,
                status=status,
                author_id=user_id,
                created_at=now,
                updated_at=now,
                version=version,
            )
            att_inserts.append(row_att.model_dump(exclude={"id"}))
            new_att.append((key, status, version))
        new_cells[key] = CellState(sid, lesson_id, tuple(marks), att, version)

    mark_t = Mark.__table__  # type: ignore[attr-defined]
    att_t = Attendance.__table__  # type: ignore[attr-defined]
    mark_cell = (
        (mark_t.c.student_id == bindparam("b_student"))
        & (mark_t.c.lesson_id == bindparam("b_lesson"))
        & (mark_t.c.slot == bindparam("b_slot"))
    )
    if mark_deletes:
        session.execute(delete(mark_t).where(mark_cell), mark_deletes)
    if mark_updates:
        session.execute(
            update(mark_t).where(mark_cell).values(updated_at=now, author_id=user_id),
            mark_updates,
        )
    if mark_inserts:
        session.execute(insert(mark_t), mark_inserts)
    if att_deletes:
        session.execute(delete(att_t).where(att_t.c.id == bindparam("b_id")), att_deletes)
    if att_updates:
        session.execute(
            update(att_t).where(att_t.c.id == bindparam("b_id")).values(updated_at=now),
            att_updates,
        )
    if att_inserts:
        ids = session.execute(
            insert(att_t).returning(att_t.c.id, sort_by_parameter_order=True), att_inserts
        ).scalars()
        for (key, status, version), att_id in zip(new_att, ids, strict=True):
            cell = new_cells[key]
            new_cells[key] = replace(cell, attendance=AttendanceItem(att_id, status, "", version))
    if taking:
        session.flush()
    # A cell left with no mark and no attendance has no rows: it reads back empty, version 0.
    return {
        key: cell if cell.marks or cell.attendance else CellState(*key)
        for key, cell in new_cells.items()
    }


def _attendance_taken_entry(lesson: Lesson, at: dt.datetime, reason: str) -> audit.Entry:
    """The audit row of a lesson whose attendance is recorded as taken at `at`."""
    before = _lesson_json(lesson)
    return audit.Entry(
        action=AuditAction.LESSON_UPDATE,
        entity=AuditEntity.LESSON,
        entity_id=lesson.id,
        before=before,
        after={**before, "attendance_taken_at": at},
        reason=reason,
    )


def _student_figures(
    li: LessonInfo, student_id: int, cells: Mapping[tuple[int, int], CellState]
) -> tuple[int, int, Decimal | None, int | None]:
    """(marks, absences, weighted average, suggested mark) of one student over `cells`,
    which hold that student's cells of the lesson's page and term."""
    own = [c for (sid, _), c in cells.items() if sid == student_id]
    marks = [(m.value, m.weight) for c in own for m in c.marks]
    absences = sum(1 for c in own if c.attendance and c.attendance.status in ABSENT_STATUSES)
    avg = weighted_average(marks)
    suggested = Thresholds.of(li.info.school).mark(avg)
    return len(marks), absences, avg, suggested


def set_cell(
    session: Session,
    *,
    actor: Actor,
    lesson_id: int,
    student_id: int,
    text: str,
    expected_version: int | None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> CellResult:
    """Write one cell as typed: "5", "54", "н" or "" (clear).

    `expected_version` is the cell version the client saw (None or 0: it saw an empty
    cell). If the stored version differs, ConflictError carries the current cell and
    nothing is written. Lessons older than the school's edit-lock days need `reason`,
    which goes into the audit row. Returns the saved cell and the student's figures.
    """
    reason = clean_text(reason, field=TextField.CORRECTION_REASON)
    block = _load_block(
        session,
        actor=actor,
        lesson_ids=[lesson_id],
        student_ids=[student_id],
        now=now,
        whole_period=True,
    )
    plan = _plan_cell(
        block,
        lesson_id=lesson_id,
        student_id=student_id,
        text=text,
        expected_version=expected_version,
        reason=reason,
    )
    key = (student_id, lesson_id)
    cells = dict(block.cells)
    if plan is not None:
        cells.update(_apply(session, actor=actor, plans=[plan], reason=reason))
    cell = cells.get(key) or CellState(student_id, lesson_id)
    # The block holds this student's cells of the whole term (a lesson outside every
    # term is refused above), so the figures need no further read.
    figures = _student_figures(block.lessons[lesson_id], student_id, cells)
    return CellResult(cell, plan is not None, *figures)


def paste_block(
    session: Session,
    *,
    actor: Actor,
    lesson_ids: Sequence[int],
    student_ids: Sequence[int],
    rows: Sequence[Sequence[str]],
    expected_versions: Mapping[tuple[int, int], int] | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> PasteResult:
    """Fill a block of cells (rows follow `student_ids`, columns `lesson_ids`) all or nothing.

    Every cell is judged by the rules of `set_cell`. If any cell is refused, NOTHING is
    saved and the result lists every bad cell with its message (conflicts carry the
    current cell). `expected_versions` maps (student_id, lesson_id) to the version the
    client saw; a cell missing from it is expected to be empty. Empty texts clear cells.
    """
    if len(set(lesson_ids)) != len(lesson_ids) or len(set(student_ids)) != len(student_ids):
        raise ValidationError("В выделении повторяются уроки или учащиеся.")
    if len(rows) != len(student_ids) or any(len(r) != len(lesson_ids) for r in rows):
        raise ValidationError("Размер вставляемого блока не совпадает с выделенными клетками.")
    reason = clean_text(reason, field=TextField.CORRECTION_REASON)
    versions = expected_versions or {}
    block = _load_block(
        session, actor=actor, lesson_ids=lesson_ids, student_ids=student_ids, now=now
    )
    plans: list[_CellPlan] = []
    errors: list[CellError] = []
    for sid, row in zip(student_ids, rows, strict=True):
        for lid, text in zip(lesson_ids, row, strict=True):
            try:
                plan = _plan_cell(
                    block,
                    lesson_id=lid,
                    student_id=sid,
                    text=text,
                    expected_version=versions.get((sid, lid), 0),
                    reason=reason,
                )
            except ConflictError as exc:
                errors.append(CellError(sid, lid, exc.message, exc.current))
            except DomainError as exc:
                errors.append(CellError(sid, lid, exc.message))
            else:
                if plan is not None:
                    plans.append(plan)
    if errors:  # refused before anything was written: nothing to undo
        return PasteResult(saved=False, errors=tuple(errors))
    cells = {**block.cells, **_apply(session, actor=actor, plans=plans, reason=reason)}
    return PasteResult(
        saved=True,
        cells=tuple(
            cells.get((sid, lid)) or CellState(sid, lid)
            for sid in student_ids
            for lid in lesson_ids
        ),
    )


# --------------------------------------------------------------------------- lesson column


def _links(text: str) -> str:
    """One http(s) URL a line; blank lines dropped."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        parsed = urlparse(line)
        if (
            parsed.scheme not in ("http", "https")
            or not parsed.netloc
            or any(ch.isspace() for ch in line)
        ):
            shown = line if len(line) <= 80 else line[:79] + "…"
            raise ValidationError(
                f"Ссылка «{shown}» должна быть адресом, начинающимся с http:// или https://."
            )
    return "\n".join(lines)


def _lesson_json(lesson: Lesson) -> dict[str, Any]:
    return {
        "assignment_id": lesson.assignment_id,
        "date": lesson.date,
        "number": lesson.number,
        "topic": lesson.topic,
        "plan_item_id": lesson.plan_item_id,
        "homework": lesson.homework,
        "homework_links": lesson.homework_links,
        "work_type_id": lesson.work_type_id,
        "homework_none": lesson.homework_none,
        "homework_due_on": lesson.homework_due_on,
        "attendance_taken_at": lesson.attendance_taken_at,
    }


def set_lesson_details(
    session: Session,
    *,
    actor: Actor,
    lesson_id: int,
    expected_version: int,
    topic: str | None = None,
    plan_item_id: int | None = None,
    homework: str | None = None,
    homework_links: str | None = None,
    work_type_id: int | None = None,
    homework_none: bool | None = None,
    homework_due_on: dt.date | None = None,
    homework_due_next: bool = False,
    reason: str = "",
    now: dt.datetime | None = None,
) -> LessonColumn:
    """Change a lesson column's topic (typed, or from a КТП line), homework, links, work type.

    Arguments left None stay as they are. A changed work type re-weighs the column's marks.
    `homework_none=True` records «не задано» and clears the homework and its links; homework
    text saved without it clears «не задано» (the two never stand together).
    `homework_due_on` is the day the homework is due (not before the lesson, not after the
    school year); `homework_due_next=True` gives it back to the default, the next lesson of
    the subject; «не задано» has no due day.
    Grade 1 gets no homework. Refused with ConflictError when the lesson changed since
    `expected_version`. Texts are cleaned and checked against their limits (text_rules)
    before anything is read or written.
    """
    if topic is not None:
        topic = clean_text(topic, field=TextField.LESSON_TOPIC)
    if homework is not None:
        homework = clean_text(homework, field=TextField.HOMEWORK)
    if homework_links is not None:
        homework_links = clean_text(homework_links, field=TextField.HOMEWORK_LINKS)
    if homework_none and (homework or homework_links):
        raise ValidationError(
            "Либо впишите домашнее задание, либо отметьте «Не задано», но не то и другое."
        )
    reason = clean_text(reason, field=TextField.CORRECTION_REASON)
    lessons = load_lessons(session, [lesson_id], for_update=True)
    if lesson_id not in lessons:
        raise NotFound("Урок не найден.")
    permissions.require(session, actor, Permission.LESSON_WRITE, Target(lesson_id=lesson_id))
    li = lessons[lesson_id]
    lesson, info = li.lesson, li.info
    seal = _lesson_guard(session, li)
    sealed_at = seal.sealed_at if seal else None
    today = school_today(info.school, now)
    if lesson.version != expected_version:
        raise ConflictError(
            "Урок уже изменил другой пользователь: проверьте тему и задание.",
            current=lesson_column(
                lesson,
                li.work_type,
                writable=True,
                school=info.school,
                today=today,
                sealed_at=sealed_at,
            ),
        )
    before = _lesson_json(lesson)
    wt = li.work_type
    if plan_item_id is not None:
        item = session.get(ThematicPlanItem, plan_item_id)
        if item is None or item.assignment_id != lesson.assignment_id:
            raise ValidationError("Эта строка КТП не относится к этому классу и предмету.")
        if item.id != lesson.plan_item_id and info.assignment.ktp_status != KtpStatus.APPROVED:
            raise ValidationError("КТП ещё не согласован: тему из него выбрать нельзя.")
        lesson.plan_item_id = item.id
        if topic is None:
            topic = clean_text(item.topic, field=TextField.LESSON_TOPIC)
    if topic is not None:
        if plan_item_id is None and lesson.plan_item_id is not None:
            item = session.get(ThematicPlanItem, lesson.plan_item_id)
            if item is None or item.topic != topic:
                lesson.plan_item_id = None  # typed by hand: no longer the КТП line
        lesson.topic = topic
    if homework is not None or homework_links is not None:
        new_homework = homework if homework is not None else lesson.homework
        new_links = _links(homework_links if homework_links is not None else lesson.homework_links)
        if info.grade == 1 and (new_homework or new_links):
            raise ValidationError("В 1 классе домашние задания не задаются.")
        lesson.homework, lesson.homework_links = new_homework, new_links
        if new_homework or new_links:
            lesson.homework_none = False
    if homework_none is not None:
        lesson.homework_none = homework_none
        if homework_none:
            lesson.homework, lesson.homework_links = "", ""
    if homework_due_next or lesson.homework_none:
        lesson.homework_due_on = None
    elif homework_due_on is not None and homework_due_on != lesson.homework_due_on:
        if homework_due_on < lesson.date:
            raise ValidationError(
                "Срок домашнего задания не может быть раньше урока, на котором его задали."
            )
        year = session.get(AcademicYear, info.group.year_id)
        if year is not None and homework_due_on > year.ends_on:
            raise ValidationError("Срок домашнего задания — не позже конца учебного года.")
        lesson.homework_due_on = homework_due_on
    if work_type_id is not None and work_type_id != lesson.work_type_id:
        wt = session.get(WorkType, work_type_id)
        if wt is None or wt.school_id != info.school.id:
            raise ValidationError("Такого вида работы нет.")
        two = session.exec(
            select(Mark.id).where(Mark.lesson_id == lesson_id, Mark.slot == 2)
        ).first()
        if two is not None and not wt.allows_two_marks:
            raise ValidationError(
                "В колонке есть клетки с двумя отметками: этот вид работы их не допускает."
            )
        lesson.work_type_id = wt.id
    after = _lesson_json(lesson)
    if after == before:
        session.rollback()  # nothing to save: the caller's commit must not write the lesson
        return lesson_column(
            lesson,
            li.work_type,
            writable=True,
            school=info.school,
            today=today,
            sealed_at=sealed_at,
        )
    _require_reason(info, lesson.date, today, seal, reason)
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.LESSON_UPDATE,
        entity=AuditEntity.LESSON,
        entity_id=lesson_id,
        before=before,
        after=after,
        reason=reason,
    )
    stamp = utcnow()
    if before["topic"] != after["topic"] or before["plan_item_id"] != after["plan_item_id"]:
        lesson.topic_set_at = stamp
    if (
        before["homework"],
        before["homework_links"],
        before["homework_none"],
        before["homework_due_on"],
    ) != (
        after["homework"],
        after["homework_links"],
        after["homework_none"],
        after["homework_due_on"],
    ):
        lesson.homework_set_at = stamp
    if before["work_type_id"] != after["work_type_id"] and wt is not None:
        session.execute(
            update(Mark)
            .where(col(Mark.lesson_id) == lesson_id)
            .values(work_type_id=wt.id, weight=wt.weight)
        )
    lesson.version += 1
    lesson.updated_at = stamp
    session.add(lesson)
    session.flush()
    column = lesson_column(
        lesson, wt, writable=True, school=info.school, today=today, sealed_at=sealed_at
    )
    return column


def take_attendance(
    session: Session,
    *,
    actor: Actor,
    lesson_id: int,
    reason: str = "",
    now: dt.datetime | None = None,
) -> LessonColumn:
    """«Все присутствуют»: record that attendance was taken for a lesson with no absence.

    For whoever may write the lesson's marks (its teacher or substitute). A lesson whose
    attendance is already recorded is returned as it is; a cancelled or future lesson is
    refused, and so is a lesson older than the edit lock without `reason`. Audited as a
    lesson change; no attendance row is written.
    """
    reason = clean_text(reason, field=TextField.CORRECTION_REASON)
    lessons = load_lessons(session, [lesson_id], for_update=True)
    if lesson_id not in lessons:
        raise NotFound("Урок не найден.")
    permissions.require(session, actor, Permission.MARK_WRITE, Target(lesson_id=lesson_id))
    li = lessons[lesson_id]
    lesson, info = li.lesson, li.info
    seal = _lesson_guard(session, li)
    sealed_at = seal.sealed_at if seal else None
    today = school_today(info.school, now)
    column = lesson_column(
        lesson, li.work_type, writable=True, school=info.school, today=today, sealed_at=sealed_at
    )
    if lesson.attendance_taken_at is not None:
        return column
    if lesson.cancelled:
        raise ValidationError(MSG_CANCELLED)
    if lesson.date > today:
        raise ValidationError("Урок ещё не прошёл: посещаемость отмечается в день урока.")
    _require_reason(info, lesson.date, today, seal, reason)
    stamp = utcnow()
    audit.record_many(
        session,
        actor_id=actor.user_id,
        entries=[_attendance_taken_entry(lesson, stamp, reason)],
    )
    lesson.attendance_taken_at = stamp
    session.add(lesson)
    session.flush()
    return lesson_column(
        lesson, li.work_type, writable=True, school=info.school, today=today, sealed_at=sealed_at
    )


def create_lesson(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int,
    on: dt.date,
    number: int,
    extra: bool = False,
    now: dt.datetime | None = None,
) -> LessonColumn:
    """Open a lesson column for a timetable slot of the assignment that has none yet.

    `extra=True` adds a lesson that is not in the timetable. Refused on holidays, days off,
    dates outside the periods, and when the lesson already exists.
    """
    info = load_assignment(session, assignment_id)
    permissions.require(
        session,
        actor,
        Permission.LESSON_WRITE,
        Target(assignment_id=assignment_id, class_id=info.group.id),
    )
    require_open_year(session, info.assignment.year_id)
    if not 0 <= number <= 10:
        raise ValidationError("Номер урока — от 0 до 10.")
    exists = session.exec(
        select(Lesson.id).where(
            Lesson.assignment_id == assignment_id, Lesson.date == on, Lesson.number == number
        )
    ).first()
    if exists is not None:
        raise ValidationError(f"{number}-й урок {on:%d.%m.%Y} уже есть в журнале.")
    year_id = info.assignment.year_id
    if period_of(term_periods(session, year_id, info.grade), on) is None:
        raise ValidationError("Дата вне учебных четвертей (полугодий).")
    if on.isoweekday() > info.school.days_per_week or is_holiday(session, year_id, info.grade, on):
        raise ValidationError("Этот день — каникулы или выходной.")
    slot = session.exec(
        select(TimetableSlot).where(
            TimetableSlot.assignment_id == assignment_id,
            TimetableSlot.weekday == on.isoweekday(),
            TimetableSlot.number == number,
            TimetableSlot.valid_from <= on,
        )
    ).all()
    slot_now = next((s for s in slot if s.valid_to is None or s.valid_to >= on), None)
    if slot_now is None and not extra:
        raise ValidationError("В расписании нет этого урока: добавьте его как дополнительный урок.")
    lesson = Lesson(
        assignment_id=assignment_id,
        date=on,
        number=number,
        room=slot_now.room if slot_now else "",
    )
    session.add(lesson)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.LESSON_CREATE,
        entity=AuditEntity.LESSON,
        entity_id=lesson.id,
        after={**_lesson_json(lesson), "extra": slot_now is None},
    )
    column = lesson_column(
        lesson, None, writable=True, school=info.school, today=school_today(info.school, now)
    )
    return column


# --------------------------------------------------------------------------- period marks


def _pm_result(
    student_id: int, subject_id: int, period_id: int, pm: PeriodMark | None, suggested: int | None
) -> PeriodMarkResult:
    return PeriodMarkResult(
        student_id=student_id,
        subject_id=subject_id,
        period_id=period_id,
        value=pm.value if pm else None,
        not_attested=pm.not_attested if pm else False,
        justification=pm.justification if pm else "",
        suggested=suggested,
        version=pm.version if pm else 0,
    )


def _pm_json(
    pm: PeriodMark | None, student_id: int, subject_id: int, period_id: int
) -> dict[str, Any]:
    return {
        "student_id": student_id,
        "subject_id": subject_id,
        "period_id": period_id,
        "value": pm.value if pm else None,
        "not_attested": pm.not_attested if pm else False,
        "justification": pm.justification if pm else "",
    }


def _term_standing(
    session: Session,
    info: AssignmentInfo,
    period: Period,
    student_id: int,
    spans: Intervals,
    today: dt.date,
) -> tuple[int | None, bool]:
    """(suggested mark, may be left unattested) from the current marks of a term."""
    assert info.assignment.id is not None
    cells = load_cells(
        session,
        assignment_id=info.assignment.id,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        student_ids=[student_id],
    )
    lessons = session.exec(
        select(col(Lesson.id), col(Lesson.date)).where(
            Lesson.assignment_id == info.assignment.id,
            Lesson.date >= period.starts_on,
            Lesson.date <= min(period.ends_on, today),
            col(Lesson.cancelled).is_(False),
        )
    ).all()
    held = sum(1 for _, d in lessons if enrolled_on(spans, d))
    marks = [(m.value, m.weight) for c in cells.values() for m in c.marks]
    unexcused = sum(
        1
        for c in cells.values()
        if c.attendance is not None and c.attendance.status == AttendanceStatus.ABSENT.value
    )
    suggested = Thresholds.of(info.school).mark(weighted_average(marks))
    return suggested, may_leave_unattested(
        lessons_total=held, missed_without_reason=unexcused, marks_count=len(marks)
    )


@dataclass(frozen=True)
class PeriodContext:
    """An assignment's period-mark page: the assignment, its terms, year and the period."""

    info: AssignmentInfo
    terms: list[Period]
    period: Period
    today: dt.date


def period_context(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int,
    period_id: int,
    now: dt.datetime | None = None,
) -> PeriodContext:
    """Check PERIOD_MARK_WRITE on the assignment and find the period (a term or the year)."""
    info = load_assignment(session, assignment_id)
    permissions.require(
        session,
        actor,
        Permission.PERIOD_MARK_WRITE,
        Target(assignment_id=assignment_id, class_id=info.group.id),
    )
    if not info.marks_allowed:
        raise ValidationError(no_marks_reason(info.grade, info.subject))
    year_id = info.assignment.year_id
    terms = term_periods(session, year_id, info.grade)
    year_p = year_period(session, year_id, info.grade)
    period = next((p for p in [*terms, year_p] if p is not None and p.id == period_id), None)
    if period is None:
        asked = session.get(Period, period_id)
        if asked is not None and asked.year_id == year_id and asked.kind in EXAM_KINDS:
            # Exam and final marks have their own rules (grades 9/11, after the year):
            # records/outcomes.py, the «Итоги года» section of /records.
            raise ValidationError(
                "Экзаменационные и итоговые отметки выставляются в разделе «Периоды и итоги "
                "года» → «Экзаменационные и итоговые отметки»."
            )
        raise NotFound("Такого учебного периода у этого класса нет.")
    return PeriodContext(info, terms, period, school_today(info.school, now))


EXAM_KINDS = (PeriodKind.EXAM.value, PeriodKind.FINAL.value)


def guard_period_write(session: Session, ctx: PeriodContext, reason: str) -> None:
    """Before a period mark is written: refused in a closed year; a closed (sealed) term
    needs `reason`. The class row is share-locked against a seal being made meanwhile."""
    require_open_year(session, ctx.info.assignment.year_id)
    assert ctx.info.group.id is not None and ctx.period.id is not None
    seal = seal_of_period(session, ctx.info.group.id, ctx.period.id, lock=True)
    if seal is not None and not reason:
        raise ValidationError(sealed_reason(seal.sealed_at))


@dataclass(frozen=True)
class PeriodMarkPlan:
    """A period mark judged by the rules and ready to store (`unchanged`: nothing to do)."""

    student_id: int
    pm: PeriodMark | None
    current: PeriodMarkResult
    value: int | None
    not_attested: bool
    justification: str
    unchanged: bool


def judge_period_mark(
    session: Session,
    ctx: PeriodContext,
    *,
    student_id: int,
    value: int | None,
    expected_version: int | None,
    not_attested: bool = False,
    justification: str = "",
) -> PeriodMarkPlan:
    """Every rule of `set_period_mark` for one student, the stored row locked; writes nothing.

    Raises ValidationError, or ConflictError carrying the stored mark when it changed since
    `expected_version`.
    """
    info, period = ctx.info, ctx.period
    if value is not None and not 2 <= value <= 5:
        raise ValidationError("Отметка за период — только 2, 3, 4 или 5.")
    if value is not None and not_attested:
        raise ValidationError("Укажите либо отметку, либо «не аттестован», но не то и другое.")
    if len(justification.strip().splitlines()) > 1:
        raise ValidationError("Обоснование — одна строка.")
    justification = clean_text(justification, field=TextField.JUSTIFICATION)
    assert info.group.id is not None and info.subject.id is not None and period.id is not None
    spans = enrolment_intervals(
        session,
        class_id=info.group.id,
        subgroup_id=info.assignment.subgroup_id,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        student_ids=[student_id],
    ).get(student_id)
    if not spans:
        raise ValidationError("Учащийся не числится в классе (подгруппе) в этом периоде.")
    subject_id = info.subject.id
    pm = session.exec(
        select(PeriodMark)
        .where(
            PeriodMark.student_id == student_id,
            PeriodMark.subject_id == subject_id,
            PeriodMark.period_id == period.id,
        )
        .with_for_update()
    ).first()
    if period.kind == PeriodKind.YEAR.value:
        term_marks = session.exec(
            select(PeriodMark).where(
                PeriodMark.student_id == student_id,
                PeriodMark.subject_id == subject_id,
                col(PeriodMark.period_id).in_([p.id for p in ctx.terms]),
            )
        ).all()
        suggested = Thresholds.of(info.school).mark(
            weighted_average((m.value, Decimal(1)) for m in term_marks if m.value is not None)
        )
        may_unattest = any(m.not_attested for m in term_marks)
    else:
        suggested, may_unattest = _term_standing(
            session, info, period, student_id, spans, ctx.today
        )
    current = _pm_result(student_id, subject_id, period.id, pm, suggested)
    if (expected_version or 0) != current.version:
        raise ConflictError(
            "Отметку за период уже изменил другой пользователь: проверьте и введите снова.",
            current=current,
        )
    plan = PeriodMarkPlan(
        student_id, pm, current, value, not_attested, justification, unchanged=False
    )
    if (current.value, current.not_attested, current.justification) == (
        value,
        not_attested,
        justification if (value is not None or not_attested) else "",
    ):
        return replace(plan, unchanged=True)
    if not_attested and not may_unattest:
        raise ValidationError(
            "«Не аттестован» допускается, только если пропущено более 75% уроков без "
            "уважительной причины и нет отметок. Иначе продлите срок аттестации."
        )
    if value is not None and value != suggested and not justification:
        raise ValidationError(
            f"Отметка отличается от рассчитанной ({suggested}): укажите обоснование в одну строку."
            if suggested is not None
            else "Текущих отметок нет: укажите обоснование отметки в одну строку."
        )
    return plan


def store_period_mark(
    session: Session,
    *,
    actor: Actor,
    ctx: PeriodContext,
    plan: PeriodMarkPlan,
    reason: str = "",
) -> PeriodMarkResult:
    """Write a judged period mark and its audit row; returns the mark as stored.

    The audit row's reason is `reason` (a change in a closed period) or else the mark's
    justification.
    """
    if plan.unchanged:
        return plan.current
    student_id, pm = plan.student_id, plan.pm
    subject_id, period_id = ctx.info.subject.id or 0, ctx.period.id or 0
    value, not_attested, justification = plan.value, plan.not_attested, plan.justification
    suggested = plan.current.suggested
    before = _pm_json(pm, student_id, subject_id, period_id)
    stamp = utcnow()
    if value is None and not not_attested:
        after = _pm_json(None, student_id, subject_id, period_id)
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.PERIOD_MARK_CLEAR,
            entity=AuditEntity.PERIOD_MARK,
            entity_id=pm.id if pm else None,
            before=before,
            after=after,
            reason=reason,
        )
        if pm is not None:
            session.delete(pm)
        session.flush()
        return _pm_result(student_id, subject_id, period_id, None, suggested)
    if pm is None:
        pm = PeriodMark(
            student_id=student_id,
            subject_id=subject_id,
            period_id=period_id,
            author_id=actor.user_id,
        )
    pm.value, pm.not_attested, pm.justification = value, not_attested, justification
    pm.author_id = actor.user_id
    pm.updated_at = stamp
    session.add(pm)
    session.flush()
    row = audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.PERIOD_MARK_SET,
        entity=AuditEntity.PERIOD_MARK,
        entity_id=pm.id,
        before=before,
        after=_pm_json(pm, student_id, subject_id, period_id),
        reason=reason or justification,
    )
    pm.version = _next_version(row.id or 0, plan.current.version)
    session.add(pm)
    session.flush()
    return _pm_result(student_id, subject_id, period_id, pm, suggested)


def set_period_mark(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    assignment_id: int,
    period_id: int,
    value: int | None,
    expected_version: int | None,
    not_attested: bool = False,
    justification: str = "",
    reason: str = "",
    now: dt.datetime | None = None,
) -> PeriodMarkResult:
    """Set (or clear, with value None) a quarter, half-year or year mark: 2–5 only.

    A value other than the suggested one needs a one-line justification. "Not attested"
    only when [004 §5.14] allows it; no "н/а" is ever written. In a closed (sealed) term
    a change needs `reason`; in a closed year it is refused.
    """
    reason = clean_text(reason, field=TextField.CORRECTION_REASON)
    ctx = period_context(
        session, actor=actor, assignment_id=assignment_id, period_id=period_id, now=now
    )
    guard_period_write(session, ctx, reason)
    plan = judge_period_mark(
        session,
        ctx,
        student_id=student_id,
        value=value,
        expected_version=expected_version,
        not_attested=not_attested,
        justification=justification,
    )
    return store_period_mark(session, actor=actor, ctx=ctx, plan=plan, reason=reason)


# --------------------------------------------------------------------------- excuses, remarks


def excuse_absence(
    session: Session,
    *,
    actor: Actor,
    reason: str,
    expected_version: int | None,
    attendance_id: int | None = None,
    student_id: int | None = None,
    lesson_id: int | None = None,
) -> CellState:
    """The class teacher marks an absence (by id, or by student and lesson) as excused."""
    if attendance_id is not None:
        att = session.get(Attendance, attendance_id)
    else:
        att = session.exec(
            select(Attendance).where(
                Attendance.student_id == (student_id or 0),
                Attendance.lesson_id == (lesson_id or 0),
            )
        ).first()
    if att is None:
        raise NotFound("Пропуск не найден.")
    permissions.require(
        session,
        actor,
        Permission.ATTENDANCE_EXCUSE,
        Target(lesson_id=att.lesson_id, student_id=att.student_id),
    )
    locked = load_lessons(session, [att.lesson_id], for_update=True)
    if att.lesson_id in locked:
        # A closed year refuses; a closed term takes the excuse's own reason as the reason.
        _lesson_guard(session, locked[att.lesson_id])
    session.refresh(att)
    reason = clean_text(reason, field=TextField.ABSENCE_REASON)
    if not reason:
        raise ValidationError("Укажите уважительную причину пропуска.")
    if att.status == AttendanceStatus.LATE.value:
        raise ValidationError("Опоздание не отмечается как пропуск по уважительной причине.")
    key = (att.student_id, att.lesson_id)
    current = load_cells(session, lesson_ids=[att.lesson_id], student_ids=[att.student_id])[key]
    if (expected_version or 0) != current.version:
        raise ConflictError(MSG_CONFLICT.format(text=current.text or "пусто"), current=current)
    if att.status == AttendanceStatus.EXCUSED.value and att.reason == reason:
        return current
    before = _cell_json(current)
    row = audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.ATTENDANCE_EXCUSE,
        entity=AuditEntity.JOURNAL_CELL,
        entity_id=att.lesson_id,
        before=before,
        after={**before, "attendance": AttendanceStatus.EXCUSED.value, "reason": reason},
        reason=reason,
    )
    att.status = AttendanceStatus.EXCUSED.value
    att.reason = reason
    att.version = _next_version(row.id or 0, current.version)
    att.updated_at = utcnow()
    session.add(att)
    session.flush()
    cell = load_cells(session, lesson_ids=[att.lesson_id], student_ids=[att.student_id])[key]
    return cell


def write_remark(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    kind: str,
    text: str,
    lesson_id: int | None = None,
) -> RemarkResult:
    """A remark or praise into a student's diary, by a teacher of the student or the class teacher."""
    student = session.get(Student, student_id)
    if student is None:
        raise NotFound("Учащийся не найден.")
    permissions.require(session, actor, Permission.REMARK_WRITE, Target(student_id=student_id))
    if student.class_id is not None:
        group = session.get(ClassGroup, student.class_id)
        if group is not None:
            require_open_year(session, group.year_id)
    subject_id = None
    if lesson_id is not None:
        permissions.require(
            session,
            actor,
            Permission.REMARK_WRITE,
            Target(lesson_id=lesson_id, student_id=student_id),
        )
        li = load_lessons(session, [lesson_id]).get(lesson_id)
        if li is None:
            raise NotFound("Урок не найден.")
        assert li.info.group.id is not None
        spans = enrolment_intervals(
            session,
            class_id=li.info.group.id,
            subgroup_id=li.info.assignment.subgroup_id,
            starts_on=li.lesson.date,
            ends_on=li.lesson.date,
            student_ids=[student_id],
        ).get(student_id)
        if not spans:
            raise ValidationError(MSG_NOT_ENROLLED)
        subject_id = li.info.subject.id
    if kind not in {k.value for k in RemarkKind}:
        raise ValidationError("Запись в дневник — замечание или похвала.")
    text = clean_text(text, field=TextField.REMARK)
    if not text:
        raise ValidationError("Напишите текст записи.")
    remark = DiaryRemark(
        student_id=student_id,
        author_id=actor.user_id,
        lesson_id=lesson_id,
        subject_id=subject_id,
        kind=kind,
        text=text,
    )
    session.add(remark)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.REMARK_CREATE,
        entity=AuditEntity.DIARY_REMARK,
        entity_id=remark.id,
        after={
            "student_id": student_id,
            "kind": kind,
            "text": text,
            "lesson_id": lesson_id,
            "subject_id": subject_id,
        },
    )
    assert remark.id is not None
    result = RemarkResult(
        remark.id, student_id, kind, text, lesson_id, subject_id, remark.created_at
    )
    return result
