"""The end of a school year for a class: exam and final marks (grades 9 and 11, after the
state exams [004 §4.4.6], [004 §5.12]) and the promotion decisions of the teachers'
council [004 §5.33–5.36].

Exam and final marks are `PeriodMark` rows of the year's «Экзамен» and «Итоговая» periods.
A year without those periods gets them on first use (grades 9–11, dated the last day of
the year); a school that set them up in its calendar for other grades is refused with a
message instead. Entry opens the day after the last term of the class ends.

The final mark suggested is the arithmetic mean of the year and the exam mark rounded
half up (3.5 → 4), the usual rule of the ГИА order; a subject without an exam suggests the
year mark; «не сдавал» suggests nothing. The seed regulation [004 §5.12] says where the
marks go, not how to compute them, so the suggestion is only a suggestion.

Decisions (`YearOutcome`) are entered by the class teacher (or the deputy), one per
student and year, each with an optimistic version; the director approves a class's
decisions with the council's protocol, after which only the director can return them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ejournal.domain import audit, permissions
from ejournal.domain.audit import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from ejournal.domain.journal.context import term_periods, year_period
from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    Enrolment,
    Period,
    PeriodKind,
    PeriodMark,
    School,
    Student,
    Subject,
    TeachingAssignment,
    YearDecision,
    YearOutcome,
    utcnow,
)
from ejournal.domain.people.naming import class_name
from ejournal.domain.permissions import Actor, Permission, Scope, Target
from ejournal.domain.school.clock import school_today

EXAM_GRADES = (9, 11)
NOT_TAKEN = "не сдавал"
ORDER_MAX = 32
DEBT_MAX = 300

#: The decisions as the class teacher picks them.
DECISION_LABELS: dict[str, str] = {
    YearDecision.PROMOTED.value: "переведён(а)",
    YearDecision.PROMOTED_CONDITIONALLY.value: "переведён(а) условно",
    YearDecision.RETAINED.value: "оставлен(а) на повторное обучение",
    YearDecision.ADMITTED_TO_EXAM.value: "допущен(а) к ГИА",
    YearDecision.GRADUATED.value: "окончил(а) обучение",
    YearDecision.LEFT.value: "выбыл(а)",
}
_OUTCOME_FIELDS = (
    "student_id",
    "year_id",
    "decision",
    "order_number",
    "decided_on",
    "debt_subjects",
    "approved_by",
    "approved_at",
    "council_protocol",
    "council_on",
)
_MARK_FIELDS = ("student_id", "subject_id", "period_id", "value", "not_attested", "justification")


# --------------------------------------------------------------------------- rules


def final_mark(year_mark: int | None, exam: int | None, *, exam_taken: bool = True) -> int | None:
    """The suggested final mark: mean of the year and the exam mark rounded half up; the
    year mark when the subject had no exam; nothing when the exam was not taken."""
    if not exam_taken or year_mark is None:
        return None
    if exam is None:
        return year_mark
    mean = (Decimal(year_mark) + Decimal(exam)) / 2
    return int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Suggestion:
    decision: str | None  # None: no suggestion (no marks, or a decision for a person)
    debt_subjects: str
    note: str


def suggest_decision(
    *,
    grade: int,
    year_marks: dict[str, int | None],
    left: bool,
    finals_complete: bool = False,
) -> Suggestion:
    """A decision from the year marks (subject name → 2–5, None for «н/а»): all ≥ 3 →
    promoted (grade 9/11: admitted to ГИА, graduated once every final mark is ≥ 3);
    some «2» or «н/а» → promoted conditionally with those subjects [004 §5.34–5.36]."""
    if left:
        return Suggestion(YearDecision.LEFT.value, "", "выбыл(а) в течение года")
    if not year_marks:
        return Suggestion(None, "", "нет годовых отметок")
    debts = sorted(name for name, v in year_marks.items() if v is None or v < 3)
    if grade in EXAM_GRADES:
        if debts:
            return Suggestion(
                None, ", ".join(debts), "есть «2» или «н/а»: к ГИА не допускается — решите сами"
            )
        if finals_complete:
            return Suggestion(YearDecision.GRADUATED.value, "", "")
        return Suggestion(YearDecision.ADMITTED_TO_EXAM.value, "", "")
    if debts:
        return Suggestion(YearDecision.PROMOTED_CONDITIONALLY.value, ", ".join(debts), "")
    return Suggestion(YearDecision.PROMOTED.value, "", "")


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class _Year:
    group: ClassGroup
    year: AcademicYear
    school: School
    year_period: Period | None
    last_term_end: dt.date


def _load(session: Session, actor: Actor, class_id: int) -> _Year:
    group = session.get(ClassGroup, class_id)
    if group is None or group.school_id != actor.school_id:
        raise NotFound("Класс не найден.")
    year = session.get(AcademicYear, group.year_id)
    school = session.get(School, group.school_id)
    assert year is not None and school is not None and year.id is not None
    terms = term_periods(session, year.id, group.grade)
    year_p = year_period(session, year.id, group.grade)
    last = max([p.ends_on for p in terms], default=year_p.ends_on if year_p else year.ends_on)
    return _Year(group, year, school, year_p, last)


def _writable(y: _Year) -> _Year:
    """Refuse a change in a year already closed and archived (read-only)."""
    if y.year.closed_at is not None:
        raise ValidationError("Учебный год закрыт: итоги года изменить нельзя.")
    return y


def _allowed(session: Session, actor: Actor, perm: Permission, class_id: int) -> bool:
    return permissions.allowed(session, actor, perm, Target(class_id=class_id))


def _roster(session: Session, y: _Year) -> dict[int, tuple[Student, Enrolment]]:
    """Students whose last stay of the year is in this class, with that stay."""
    class_id = y.group.id
    ids = session.exec(select(Enrolment.student_id).where(Enrolment.class_id == class_id)).all()
    if not ids:
        return {}
    stays = session.exec(
        select(Enrolment)
        .join(ClassGroup, col(ClassGroup.id) == Enrolment.class_id)
        .where(col(Enrolment.student_id).in_(set(ids)), ClassGroup.year_id == y.year.id)
        .order_by(col(Enrolment.starts_on), col(Enrolment.id))
    ).all()
    last: dict[int, Enrolment] = {}
    for e in stays:
        last[e.student_id] = e
    keep = {sid: e for sid, e in last.items() if e.class_id == class_id}
    students = session.exec(select(Student).where(col(Student.id).in_(list(keep)))).all()
    return {s.id: (s, keep[s.id]) for s in students if s.id is not None}


def _left(y: _Year, stay: Enrolment) -> bool:
    return stay.ends_on is not None and stay.ends_on < y.year.ends_on


def _subjects(session: Session, class_id: int) -> list[Subject]:
    return list(
        session.exec(
            select(Subject)
            .where(
                col(Subject.id).in_(
                    select(TeachingAssignment.subject_id).where(
                        TeachingAssignment.class_id == class_id
                    )
                ),
                col(Subject.marked).is_(True),
            )
            .order_by(col(Subject.sort_order), col(Subject.name))
        ).all()
    )


def _full_name(s: Student) -> str:
    return " ".join(x for x in (s.last_name, s.first_name, s.middle_name) if x)


def _marks(
    session: Session, period_id: int | None, student_ids: list[int]
) -> dict[tuple[int, int], PeriodMark]:
    """(student_id, subject_id) → the period's mark."""
    if period_id is None or not student_ids:
        return {}
    rows = session.exec(
        select(PeriodMark).where(
            PeriodMark.period_id == period_id, col(PeriodMark.student_id).in_(student_ids)
        )
    ).all()
    return {(m.student_id, m.subject_id): m for m in rows}


def _exam_period(session: Session, y: _Year, kind: str, *, create: bool) -> Period | None:
    """The year's exam or final period for the class's grade (made on first use)."""
    found = session.exec(
        select(Period).where(Period.year_id == y.year.id, Period.kind == kind)
    ).all()
    grade = y.group.grade
    for p in found:
        if p.grade_from <= grade <= p.grade_to:
            return p
    if found:
        raise ValidationError(
            "В календаре года экзамены не предусмотрены для этих классов: "
            "исправьте периоды в настройках года."
        )
    if not create:
        return None
    day = y.year_period.ends_on if y.year_period else y.year.ends_on
    name = "Экзамен" if kind == PeriodKind.EXAM.value else "Итоговая"
    period = Period(
        year_id=y.year.id or 0,
        kind=kind,
        number=1,
        name=name,
        starts_on=day,
        ends_on=day,
        grade_from=9,
        grade_to=11,
    )
    session.add(period)
    session.flush()
    return period


# --------------------------------------------------------------------------- classes


@dataclass(frozen=True)
class OutcomeClass:
    id: int
    name: str
    grade: int
    may_decide: bool  # decisions (class teacher, deputy) or approval (director)
    may_exam: bool  # exam and final marks of some subject


@read_only
def outcome_classes(session: Session, *, actor: Actor) -> list[OutcomeClass]:
    """Classes of the current year where the actor decides, approves or enters exam marks."""
    if actor is None or not (
        actor.can(Permission.YEAR_OUTCOME_WRITE)
        or actor.can(Permission.YEAR_OUTCOME_APPROVE)
        or actor.can(Permission.PERIOD_MARK_WRITE)
    ):
        raise PermissionDenied()
    permissions.require_some(actor, Permission.OWN_ACCOUNT)  # refuses a one-time password
    year = session.exec(
        select(AcademicYear).where(
            AcademicYear.school_id == actor.school_id, col(AcademicYear.is_current).is_(True)
        )
    ).first()
    if year is None:
        return []
    groups = session.exec(
        select(ClassGroup)
        .where(ClassGroup.year_id == year.id)
        .order_by(col(ClassGroup.grade), col(ClassGroup.letter))
    ).all()
    taught: set[int] = set()
    if actor.staff_id is not None and Scope.OWN_TEACHING in actor.scopes(
        Permission.PERIOD_MARK_WRITE
    ):
        taught = set(
            session.exec(
                select(TeachingAssignment.class_id).where(
                    TeachingAssignment.teacher_id == actor.staff_id,
                    TeachingAssignment.year_id == year.id,
                )
            ).all()
        )
    out: list[OutcomeClass] = []
    for g in groups:
        assert g.id is not None
        decide = _allowed(session, actor, Permission.YEAR_OUTCOME_WRITE, g.id) or _allowed(
            session, actor, Permission.YEAR_OUTCOME_APPROVE, g.id
        )
        exam = g.grade in EXAM_GRADES and (
            _allowed(session, actor, Permission.YEAR_OUTCOME_WRITE, g.id) or g.id in taught
        )
        if decide or exam:
            out.append(OutcomeClass(g.id, class_name(g.grade, g.letter), g.grade, decide, exam))
    return out


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class OutcomeRow:
    student_id: int
    number: int
    full_name: str
    counts: dict[str, int]  # «5», «4», «3», «2», «н/а» → how many year marks
    missing: int  # subjects without a year mark
    suggestion: str | None
    suggested_debt: str
    note: str
    decision: str  # "" when none yet
    debt_subjects: str
    order_number: str
    decided_on: dt.date | None
    version: int  # 0: no decision stored
    approved: bool
    left_on: dt.date | None
    left_order: str


@dataclass(frozen=True)
class ClassOutcomes:
    class_id: int
    class_name: str
    grade: int
    year_name: str
    rows: tuple[OutcomeRow, ...]
    approved: bool  # every decision of the class approved
    council_protocol: str
    council_on: dt.date | None
    may_write: bool
    may_approve: bool


def _year_marks(
    session: Session, y: _Year, student_ids: list[int], subjects: list[Subject]
) -> dict[int, dict[str, int | None]]:
    """Student → subject name → year mark (None: «н/а»)."""
    names = {s.id: s.name for s in subjects}
    out: dict[int, dict[str, int | None]] = defaultdict(dict)
    pid = y.year_period.id if y.year_period else None
    for (sid, subj), m in _marks(session, pid, student_ids).items():
        if subj in names:
            out[sid][names[subj]] = None if m.not_attested else m.value
    return out


def _finals_complete(
    session: Session, y: _Year, student_ids: list[int], subjects: list[Subject]
) -> set[int]:
    """Students with a final mark ≥ 3 in every subject they have a year mark in."""
    if y.group.grade not in EXAM_GRADES:
        return set()
    final_p = _exam_period(session, y, PeriodKind.FINAL.value, create=False)
    if final_p is None:
        return set()
    finals = _marks(session, final_p.id, student_ids)
    year_pid = y.year_period.id if y.year_period else None
    years = _marks(session, year_pid, student_ids)
    subject_ids = {s.id for s in subjects}
    done: set[int] = set()
    for sid in student_ids:
        needed = [subj for (st, subj) in years if st == sid and subj in subject_ids]
        vals = [finals.get((sid, subj)) for subj in needed]
        if needed and all(v is not None and (v.value or 0) >= 3 for v in vals):
            done.add(sid)
    return done


def _outcomes(session: Session, year_id: int, ids: list[int]) -> dict[int, YearOutcome]:
    if not ids:
        return {}
    rows = session.exec(
        select(YearOutcome).where(
            YearOutcome.year_id == year_id, col(YearOutcome.student_id).in_(ids)
        )
    ).all()
    return {o.student_id: o for o in rows}


@read_only
def class_outcomes(session: Session, *, actor: Actor, class_id: int) -> ClassOutcomes:
    """The class's students with their year marks, suggestion and decision."""
    y = _load(session, actor, class_id)
    may_write = _allowed(session, actor, Permission.YEAR_OUTCOME_WRITE, class_id)
    may_approve = _allowed(session, actor, Permission.YEAR_OUTCOME_APPROVE, class_id)
    if not (may_write or may_approve):
        raise PermissionDenied()
    roster = _roster(session, y)
    ids = list(roster)
    subjects = _subjects(session, class_id)
    marks = _year_marks(session, y, ids, subjects)
    finals = _finals_complete(session, y, ids, subjects)
    stored = _outcomes(session, y.year.id or 0, ids)
    ordered = sorted(
        roster.values(), key=lambda p: (p[0].last_name, p[0].first_name, p[0].middle_name)
    )
    rows: list[OutcomeRow] = []
    for n, (s, stay) in enumerate(ordered, start=1):
        assert s.id is not None
        mine = marks.get(s.id, {})
        counts = {k: 0 for k in ("5", "4", "3", "2", "н/а")}
        for v in mine.values():
            counts["н/а" if v is None else str(v)] += 1
        left = _left(y, stay)
        sug = suggest_decision(
            grade=y.group.grade, year_marks=mine, left=left, finals_complete=s.id in finals
        )
        o = stored.get(s.id)
        rows.append(
            OutcomeRow(
                student_id=s.id,
                number=n,
                full_name=_full_name(s),
                counts=counts,
                missing=max(0, len(subjects) - len(mine)),
                suggestion=sug.decision,
                suggested_debt=sug.debt_subjects,
                note=sug.note,
                decision=o.decision if o else "",
                debt_subjects=o.debt_subjects if o else "",
                order_number=o.order_number if o else "",
                decided_on=o.decided_on if o else None,
                version=o.version if o else 0,
                approved=bool(o and o.approved_by is not None),
                left_on=stay.ends_on if left else None,
                left_order=stay.leave_order_number if left else "",
            )
        )
    approved_rows = [stored[r.student_id] for r in rows if r.approved]
    first = approved_rows[0] if approved_rows else None
    return ClassOutcomes(
        class_id=class_id,
        class_name=class_name(y.group.grade, y.group.letter),
        grade=y.group.grade,
        year_name=y.year.name,
        rows=tuple(rows),
        approved=bool(rows) and all(r.approved for r in rows),
        council_protocol=first.council_protocol if first else "",
        council_on=first.council_on if first else None,
        may_write=may_write,
        may_approve=may_approve,
    )


def _clean_order(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > ORDER_MAX:
        raise ValidationError(f"Номер приказа — не длиннее {ORDER_MAX} символов.")
    return text


def _judge(
    session: Session,
    y: _Year,
    stay: Enrolment,
    student_id: int,
    decision: str,
    debt_subjects: str,
    order_number: str,
) -> tuple[str, str, dt.date | None]:
    """Validate one decision; returns (debt_subjects, order_number, decided_on or None=today)."""
    grade = y.group.grade
    if decision not in DECISION_LABELS:
        raise ValidationError("Выберите решение из списка.")
    left = _left(y, stay)
    if decision == YearDecision.LEFT.value:
        if not left:
            raise ValidationError(
                "«Выбыл(а)» ставится только по приказу о выбытии: сначала оформите выбытие "
                "в движении учащихся."
            )
        # The date and the order come from the movement record, never typed [004 §5.36].
        return "", stay.leave_order_number, stay.ends_on
    if left:
        raise ValidationError("Учащийся выбыл в течение года: решение — «выбыл(а)».")
    if decision in (YearDecision.ADMITTED_TO_EXAM.value, YearDecision.GRADUATED.value) and (
        grade not in EXAM_GRADES
    ):
        raise ValidationError("Допуск к ГИА и окончание обучения — только для 9 и 11 классов.")
    if grade == 11 and decision in (
        YearDecision.PROMOTED.value,
        YearDecision.PROMOTED_CONDITIONALLY.value,
    ):
        raise ValidationError("Из 11 класса не переводят: выберите другое решение.")
    if decision == YearDecision.GRADUATED.value:
        subjects = _subjects(session, y.group.id or 0)
        if student_id not in _finals_complete(session, y, [student_id], subjects):
            raise ValidationError(
                "Окончание обучения — после итоговых отметок: по каждому предмету нужна "
                "итоговая отметка не ниже «3»."
            )
    debt = " ".join(debt_subjects.split())
    if decision == YearDecision.PROMOTED_CONDITIONALLY.value:
        if not debt:
            raise ValidationError(
                "Условный перевод — укажите предметы академической задолженности."
            )
        if len(debt) > DEBT_MAX:
            raise ValidationError(f"Список предметов — не длиннее {DEBT_MAX} символов.")
    else:
        debt = ""
    return debt, _clean_order(order_number), None


def _store(
    session: Session,
    *,
    actor: Actor,
    y: _Year,
    student_id: int,
    current: YearOutcome | None,
    decision: str,
    debt: str,
    order: str,
    decided_on: dt.date,
) -> YearOutcome:
    values: dict[str, object] = {
        "decision": decision,
        "debt_subjects": debt,
        "order_number": order,
        "decided_on": decided_on,
    }
    if current is None:
        row = YearOutcome(
            student_id=student_id,
            year_id=y.year.id or 0,
            author_id=actor.user_id,
            decision=decision,
            debt_subjects=debt,
            order_number=order,
            decided_on=decided_on,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError as e:  # someone inserted the same student's decision meanwhile
            raise ConflictError(
                "Решение по этому учащемуся уже сохранил другой пользователь: обновите и проверьте."
            ) from e
        before = None
    else:
        row = current
        if all(getattr(row, k) == v for k, v in values.items()):
            return row
        before = audit.snapshot(row, _OUTCOME_FIELDS)
        for k, v in values.items():
            setattr(row, k, v)
        row.author_id = actor.user_id
        row.version += 1
        session.add(row)
        session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.YEAR_OUTCOME_SET,
        entity=AuditEntity.YEAR_OUTCOME,
        entity_id=row.id,
        before=before,
        after=audit.snapshot(row, _OUTCOME_FIELDS),
    )
    return row


def _locked_for(actor: Actor, row: YearOutcome | None) -> None:
    if row is not None and row.approved_by is not None:
        raise ValidationError(
            "Решения класса утверждены директором: изменить их может только директор, "
            "вернув решения на доработку."
        )


def set_year_outcome(
    session: Session,
    *,
    actor: Actor,
    class_id: int,
    student_id: int,
    decision: str,
    expected_version: int,
    debt_subjects: str = "",
    order_number: str = "",
    now: dt.datetime | None = None,
) -> OutcomeRow:
    """Enter or change one student's decision (the version the page saw guards against a
    silent overwrite). Refused once the director approved it."""
    permissions.require(session, actor, Permission.YEAR_OUTCOME_WRITE, Target(class_id=class_id))
    y = _writable(_load(session, actor, class_id))
    roster = _roster(session, y)
    if student_id not in roster:
        raise ValidationError("Учащийся не числится в этом классе в этом году.")
    _, stay = roster[student_id]
    current = session.exec(
        select(YearOutcome)
        .where(YearOutcome.student_id == student_id, YearOutcome.year_id == y.year.id)
        .with_for_update()
    ).first()
    if (current.version if current else 0) != expected_version:
        raise ConflictError(
            "Решение по этому учащемуся уже изменил другой пользователь: обновите страницу "
            "и проверьте.",
            current=current,
        )
    _locked_for(actor, current)
    debt, order, on = _judge(session, y, stay, student_id, decision, debt_subjects, order_number)
    _store(
        session,
        actor=actor,
        y=y,
        student_id=student_id,
        current=current,
        decision=decision,
        debt=debt,
        order=order,
        decided_on=on or school_today(y.school, now),
    )
    return next(r for r in _rows_unchecked(session, actor, class_id) if r.student_id == student_id)


def _rows_unchecked(session: Session, actor: Actor, class_id: int) -> tuple[OutcomeRow, ...]:
    # The writer was already checked; read the rows as the page shows them.
    return class_outcomes(session, actor=actor, class_id=class_id).rows


def fill_year_outcomes(
    session: Session, *, actor: Actor, class_id: int, now: dt.datetime | None = None
) -> int:
    """«Заполнить по отметкам»: store the suggestion of every student without a decision;
    returns how many were filled (students without a suggestion are left to the teacher)."""
    permissions.require(session, actor, Permission.YEAR_OUTCOME_WRITE, Target(class_id=class_id))
    y = _writable(_load(session, actor, class_id))
    roster = _roster(session, y)
    stored = _outcomes(session, y.year.id or 0, list(roster))
    if any(o.approved_by is not None for o in stored.values()):
        _locked_for(actor, next(o for o in stored.values() if o.approved_by is not None))
    rows = class_outcomes(session, actor=actor, class_id=class_id).rows
    today = school_today(y.school, now)
    filled = 0
    for r in rows:
        if r.version or r.suggestion is None:
            continue
        _, stay = roster[r.student_id]
        debt, order, on = _judge(session, y, stay, r.student_id, r.suggestion, r.suggested_debt, "")
        _store(
            session,
            actor=actor,
            y=y,
            student_id=r.student_id,
            current=None,
            decision=r.suggestion,
            debt=debt,
            order=order,
            decided_on=on or today,
        )
        filled += 1
    return filled


def approve_year_outcomes(
    session: Session,
    *,
    actor: Actor,
    class_id: int,
    council_protocol: str,
    council_on: dt.date | None,
    now: dt.datetime | None = None,
) -> int:
    """The director approves every decision of the class after the teachers' council."""
    permissions.require(session, actor, Permission.YEAR_OUTCOME_APPROVE, Target(class_id=class_id))
    y = _writable(_load(session, actor, class_id))
    protocol = " ".join(council_protocol.split())
    if not protocol:
        raise ValidationError("Укажите номер протокола педагогического совета.")
    if len(protocol) > ORDER_MAX:
        raise ValidationError(f"Номер протокола — не длиннее {ORDER_MAX} символов.")
    if council_on is None:
        raise ValidationError("Укажите дату педагогического совета.")
    if council_on > school_today(y.school, now):
        raise ValidationError("Дата педагогического совета не может быть в будущем.")
    roster = _roster(session, y)
    if not roster:
        raise ValidationError("В классе нет учащихся.")
    stored = _outcomes(session, y.year.id or 0, list(roster))
    missing = [_full_name(s) for sid, (s, _) in roster.items() if sid not in stored]
    if missing:
        raise ValidationError("Нет решения по учащимся: " + ", ".join(sorted(missing)) + ".")
    if all(o.approved_by is not None for o in stored.values()):
        raise ValidationError("Решения класса уже утверждены.")
    stamp = utcnow()
    for o in stored.values():
        if o.approved_by is not None:
            continue
        before = audit.snapshot(o, _OUTCOME_FIELDS)
        o.approved_by, o.approved_at = actor.user_id, stamp
        o.council_protocol, o.council_on = protocol, council_on
        o.version += 1
        session.add(o)
        session.flush()
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.YEAR_OUTCOME_APPROVE,
            entity=AuditEntity.YEAR_OUTCOME,
            entity_id=o.id,
            before=before,
            after=audit.snapshot(o, _OUTCOME_FIELDS),
        )
    return len(stored)


def return_year_outcomes(session: Session, *, actor: Actor, class_id: int, reason: str = "") -> int:
    """The director returns a class's approved decisions to the class teacher."""
    permissions.require(session, actor, Permission.YEAR_OUTCOME_APPROVE, Target(class_id=class_id))
    y = _writable(_load(session, actor, class_id))
    stored = _outcomes(session, y.year.id or 0, list(_roster(session, y)))
    approved = [o for o in stored.values() if o.approved_by is not None]
    if not approved:
        raise ValidationError("Утверждённых решений в классе нет.")
    for o in approved:
        before = audit.snapshot(o, _OUTCOME_FIELDS)
        o.approved_by, o.approved_at, o.council_protocol, o.council_on = None, None, "", None
        o.version += 1
        session.add(o)
        session.flush()
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.YEAR_OUTCOME_APPROVE,
            entity=AuditEntity.YEAR_OUTCOME,
            entity_id=o.id,
            before=before,
            after=audit.snapshot(o, _OUTCOME_FIELDS),
            reason=" ".join(reason.split())[:300] or "возвращено на доработку",
        )
    return len(approved)


# --------------------------------------------------------------------------- exam marks


@dataclass(frozen=True)
class ExamRow:
    student_id: int
    number: int
    full_name: str
    year_mark: str  # «4», «н/а», «»
    exam: str  # «5», NOT_TAKEN, «»
    exam_version: int
    suggested_final: int | None
    final: str  # «4» or «»
    final_version: int


@dataclass(frozen=True)
class ExamSheet:
    class_id: int
    class_name: str
    subject_id: int
    subject_name: str
    subjects: tuple[tuple[int, str], ...]  # the subjects the actor may enter
    rows: tuple[ExamRow, ...]
    open_from: dt.date  # the first day exam marks may be entered
    is_open: bool


def _exam_subjects(session: Session, actor: Actor, y: _Year) -> list[Subject]:
    """Subjects of the class whose exam marks the actor may enter."""
    class_id = y.group.id or 0
    subjects = _subjects(session, class_id)
    if _allowed(session, actor, Permission.YEAR_OUTCOME_WRITE, class_id):
        return subjects
    mine: set[int] = set()
    for a in session.exec(
        select(TeachingAssignment).where(TeachingAssignment.class_id == class_id)
    ).all():
        if permissions.allowed(
            session, actor, Permission.PERIOD_MARK_WRITE, Target(assignment_id=a.id)
        ):
            mine.add(a.subject_id)
    return [s for s in subjects if s.id in mine]


def _exam_context(
    session: Session, actor: Actor, class_id: int, subject_id: int | None
) -> tuple[_Year, list[Subject], Subject]:
    y = _load(session, actor, class_id)
    if y.group.grade not in EXAM_GRADES:
        raise ValidationError(
            "Экзаменационные и итоговые отметки выставляются только в 9 и 11 классах."
        )
    subjects = _exam_subjects(session, actor, y)
    if not subjects:
        raise PermissionDenied()
    subject = next((s for s in subjects if s.id == subject_id), None)
    if subject_id is not None and subject is None:
        raise PermissionDenied()
    return y, subjects, subject or subjects[0]


def _mark_text(m: PeriodMark | None, *, exam: bool = False) -> str:
    if m is None:
        return ""
    if m.not_attested:
        return NOT_TAKEN if exam else "н/а"
    return str(m.value)


@read_only
def exam_sheet(
    session: Session,
    *,
    actor: Actor,
    class_id: int,
    subject_id: int | None = None,
    now: dt.datetime | None = None,
) -> ExamSheet:
    """One subject's year, exam and final marks of a grade 9/11 class, with suggestions."""
    y, subjects, subject = _exam_context(session, actor, class_id, subject_id)
    roster = _roster(session, y)
    ids = [sid for sid, (_, stay) in roster.items() if not _left(y, stay)]
    exam_p = _exam_period(session, y, PeriodKind.EXAM.value, create=False)
    final_p = _exam_period(session, y, PeriodKind.FINAL.value, create=False)
    years = _marks(session, y.year_period.id if y.year_period else None, ids)
    exams = _marks(session, exam_p.id if exam_p else None, ids)
    finals = _marks(session, final_p.id if final_p else None, ids)
    ordered = sorted(
        (roster[i][0] for i in ids), key=lambda s: (s.last_name, s.first_name, s.middle_name)
    )
    rows = []
    for n, s in enumerate(ordered, start=1):
        assert s.id is not None and subject.id is not None
        key = (s.id, subject.id)
        ym, em, fm = years.get(key), exams.get(key), finals.get(key)
        rows.append(
            ExamRow(
                student_id=s.id,
                number=n,
                full_name=_full_name(s),
                year_mark=_mark_text(ym),
                exam=_mark_text(em, exam=True),
                exam_version=em.version if em else 0,
                suggested_final=final_mark(
                    ym.value if ym else None,
                    em.value if em else None,
                    exam_taken=not (em and em.not_attested),
                ),
                final=_mark_text(fm),
                final_version=fm.version if fm else 0,
            )
        )
    open_from = y.last_term_end + dt.timedelta(days=1)
    return ExamSheet(
        class_id=class_id,
        class_name=class_name(y.group.grade, y.group.letter),
        subject_id=subject.id or 0,
        subject_name=subject.name,
        subjects=tuple((s.id, s.name) for s in subjects if s.id is not None),
        rows=tuple(rows),
        open_from=open_from,
        is_open=school_today(y.school, now) >= open_from,
    )


def _parse_mark(text: str, *, exam: bool) -> tuple[int | None, bool]:
    """(value, not_taken) from what was typed; ("", False) clears."""
    t = text.strip().lower()
    if not t:
        return None, False
    if exam and t in (NOT_TAKEN, "н/с", "нс"):
        return None, True
    if t in ("2", "3", "4", "5"):
        return int(t), False
    if exam:
        raise ValidationError("Экзаменационная отметка — 2, 3, 4, 5 или «не сдавал».")
    raise ValidationError("Итоговая отметка — 2, 3, 4 или 5.")


def _put_mark(
    session: Session,
    *,
    actor: Actor,
    period: Period,
    student_id: int,
    subject_id: int,
    value: int | None,
    not_taken: bool,
    expected_version: int,
) -> None:
    pm = session.exec(
        select(PeriodMark)
        .where(
            PeriodMark.student_id == student_id,
            PeriodMark.subject_id == subject_id,
            PeriodMark.period_id == period.id,
        )
        .with_for_update()
    ).first()
    what = "экзаменационную" if period.kind == PeriodKind.EXAM.value else "итоговую"
    if (pm.version if pm else 0) != expected_version:
        raise ConflictError(
            f"Эту {what} отметку уже изменил другой пользователь: обновите и введите снова.",
            current=pm,
        )
    if pm is None and value is None and not not_taken:
        return
    if pm is not None and (pm.value, pm.not_attested) == (value, not_taken):
        return
    before = audit.snapshot(pm, _MARK_FIELDS) if pm is not None else None
    if value is None and not not_taken:
        assert pm is not None
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.PERIOD_MARK_CLEAR,
            entity=AuditEntity.PERIOD_MARK,
            entity_id=pm.id,
            before=before,
            after=None,
        )
        session.delete(pm)
        session.flush()
        return
    if pm is None:
        pm = PeriodMark(
            student_id=student_id,
            subject_id=subject_id,
            period_id=period.id or 0,
            author_id=actor.user_id,
        )
    else:
        pm.version += 1
    pm.value, pm.not_attested = value, not_taken
    pm.justification = NOT_TAKEN if not_taken else ""
    pm.author_id, pm.updated_at = actor.user_id, utcnow()
    session.add(pm)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.PERIOD_MARK_SET,
        entity=AuditEntity.PERIOD_MARK,
        entity_id=pm.id,
        before=before,
        after=audit.snapshot(pm, _MARK_FIELDS),
    )


def set_exam_marks(
    session: Session,
    *,
    actor: Actor,
    class_id: int,
    subject_id: int,
    student_id: int,
    exam: str,
    final: str,
    exam_version: int,
    final_version: int,
    now: dt.datetime | None = None,
) -> ExamRow:
    """Set one student's exam mark (2–5 or «не сдавал», "" clears) and final mark (2–5)
    in a subject of a grade 9/11 class, once the year's last term has ended."""
    y, _, subject = _exam_context(session, actor, class_id, subject_id)
    _writable(y)
    open_from = y.last_term_end + dt.timedelta(days=1)
    if school_today(y.school, now) < open_from:
        raise ValidationError(
            "Экзаменационные и итоговые отметки выставляются после окончания последнего "
            f"периода года — с {open_from:%d.%m.%Y}."
        )
    roster = _roster(session, y)
    if student_id not in roster or _left(y, roster[student_id][1]):
        raise ValidationError("Учащийся не числится в этом классе в конце года.")
    exam_value, not_taken = _parse_mark(exam, exam=True)
    final_value, _ = _parse_mark(final, exam=False)
    exam_p = _exam_period(session, y, PeriodKind.EXAM.value, create=True)
    final_p = _exam_period(session, y, PeriodKind.FINAL.value, create=True)
    assert exam_p is not None and final_p is not None and subject.id is not None
    for period, value, nt, version in (
        (exam_p, exam_value, not_taken, exam_version),
        (final_p, final_value, False, final_version),
    ):
        _put_mark(
            session,
            actor=actor,
            period=period,
            student_id=student_id,
            subject_id=subject.id,
            value=value,
            not_taken=nt,
            expected_version=version,
        )
    sheet = exam_sheet(session, actor=actor, class_id=class_id, subject_id=subject.id, now=now)
    return next(r for r in sheet.rows if r.student_id == student_id)
