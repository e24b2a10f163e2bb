"""Closing a term for a class and closing the year [004 §8.2, §10.3], [002 §9.2].

`period_readiness` shows, page by page, who still has no period mark; `seal_period`
(the deputy) refuses until every student enrolled at the term's end has one on every
marked page, then stores a SHA-256 digest of the term's lessons, marks, attendance and
period marks and writes it into the audit chain. After the seal a change in that term
needs a reason (`journal.context.seal_on`); `verify_seal` recomputes the digest and
`amendments` lists the changes made since. `close_year` (the director) makes a year
whose terms are all sealed read-only (`journal.context.require_open_year`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, col, select

from ejournal.domain import audit, permissions
from ejournal.domain.audit.chain import AuditAction, AuditEntity, action_title
from ejournal.domain.audit.text import describe, user_names
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound, PermissionDenied, ValidationError
from ejournal.domain.journal.context import (
    TERM_KINDS,
    enrolment_intervals,
    no_marks_reason,
    require_open_year,
    term_periods,
)
from ejournal.domain.models import (
    AcademicYear,
    Attendance,
    AuditLog,
    ClassGroup,
    Lesson,
    Mark,
    Period,
    PeriodMark,
    PeriodSeal,
    School,
    Staff,
    Student,
    Subgroup,
    Subject,
    TeachingAssignment,
    utcnow,
)
from ejournal.domain.people.naming import class_name, person_short
from ejournal.domain.permissions import Actor, Permission, Target

#: How many names a refusal lists before «и ещё N».
MAX_NAMES = 12
MATCHES = "совпадает"


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class PageReadiness:
    """One journal page of the class in the term and who still lacks a period mark."""

    assignment_id: int
    subject_name: str
    subgroup_name: str
    teacher_name: str
    marked: bool  # False: taught without marks (or grade 1): no period marks needed
    students: int  # enrolled at the term's end
    missing: tuple[str, ...]  # «Андреев Артём», alphabetical


@dataclass(frozen=True)
class SealInfo:
    id: int
    class_id: int
    class_name: str
    period_id: int
    period_name: str
    sealed_at: dt.datetime  # in the school's time zone
    sealed_by: str
    digest: str
    counts: dict[str, int]


@dataclass(frozen=True)
class Readiness:
    class_id: int
    class_name: str
    period_id: int
    period_name: str
    pages: tuple[PageReadiness, ...]
    seal: SealInfo | None
    year_closed: bool

    @property
    def ready(self) -> bool:
        return all(not p.missing for p in self.pages)

    @property
    def missing_count(self) -> int:
        return sum(len(p.missing) for p in self.pages)


@dataclass(frozen=True)
class VerifyResult:
    matches: bool
    message: str  # «совпадает» or what changed, in Russian
    digest_now: str
    counts_now: dict[str, int]
    amendments: int


@dataclass(frozen=True)
class Amendment:
    """A change of a sealed term's records made after the seal."""

    audit_id: int
    at: dt.datetime  # school time
    who: str
    action: str  # in words
    subject: str  # what was changed, in words
    before: str
    after: str
    reason: str


@dataclass(frozen=True)
class YearStatus:
    year_id: int
    year_name: str
    closed_at: dt.datetime | None  # school time
    closed_by: str
    blockers: tuple[str, ...]  # «5 «А»: 2 четверть, 3 четверть»


# --------------------------------------------------------------------------- helpers


def _zone_time(school: School, at: dt.datetime) -> dt.datetime:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo(school.timezone))


def _full(s: Student) -> str:
    return " ".join(x for x in (s.last_name, s.first_name) if x)


def _require_reader(session: Session, actor: Actor, class_id: int) -> None:
    """The deputy (closes terms) and the director (closes the year) see the readiness."""
    target = Target(class_id=class_id)
    if not (
        permissions.allowed(session, actor, Permission.PERIOD_CLOSE, target)
        or permissions.allowed(session, actor, Permission.YEAR_CLOSE, target)
    ):
        raise PermissionDenied()


def _class_and_term(
    session: Session, actor: Actor, class_id: int, period_id: int
) -> tuple[ClassGroup, School, Period]:
    group = session.get(ClassGroup, class_id)
    if group is None or group.school_id != actor.school_id:
        raise NotFound("Класс не найден.")
    school = session.get(School, group.school_id)
    assert school is not None
    period = next(
        (p for p in term_periods(session, group.year_id, group.grade) if p.id == period_id), None
    )
    if period is None:
        raise NotFound("Такой четверти (полугодия) у этого класса нет.")
    return group, school, period


def _assignments(
    session: Session, group: ClassGroup
) -> list[tuple[TeachingAssignment, Subject, Subgroup | None, Staff | None]]:
    rows = session.exec(
        select(TeachingAssignment, Subject, Subgroup, Staff)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .outerjoin(Subgroup, col(Subgroup.id) == TeachingAssignment.subgroup_id)
        .outerjoin(Staff, col(Staff.id) == TeachingAssignment.teacher_id)
        .where(
            TeachingAssignment.class_id == group.id,
            TeachingAssignment.year_id == group.year_id,
        )
    ).all()
    return sorted(
        ((a, s, g, t) for a, s, g, t in rows),
        key=lambda r: (r[1].name, r[2].name if r[2] else ""),
    )


def _pages(session: Session, group: ClassGroup, period: Period) -> tuple[PageReadiness, ...]:
    assert group.id is not None
    out: list[PageReadiness] = []
    for a, subject, subgroup, teacher in _assignments(session, group):
        assert a.id is not None
        enrolled = enrolment_intervals(
            session,
            class_id=group.id,
            subgroup_id=a.subgroup_id,
            starts_on=period.ends_on,
            ends_on=period.ends_on,
        )
        marked = no_marks_reason(group.grade, subject) == ""
        missing: list[str] = []
        if marked and enrolled:
            have = set(
                session.exec(
                    select(PeriodMark.student_id).where(
                        PeriodMark.subject_id == subject.id,
                        PeriodMark.period_id == period.id,
                        col(PeriodMark.student_id).in_(list(enrolled)),
                        or_(col(PeriodMark.value).is_not(None), col(PeriodMark.not_attested)),
                    )
                ).all()
            )
            lacking = [sid for sid in enrolled if sid not in have]
            if lacking:
                students = session.exec(select(Student).where(col(Student.id).in_(lacking))).all()
                missing = sorted(
                    (_full(s) for s in students), key=lambda n: n.replace("Ё", "Е").lower()
                )
        out.append(
            PageReadiness(
                assignment_id=a.id,
                subject_name=subject.name,
                subgroup_name=subgroup.name if subgroup else "",
                teacher_name=person_short(teacher),
                marked=marked,
                students=len(enrolled),
                missing=tuple(missing),
            )
        )
    return tuple(out)


def _seal_info(
    session: Session, seal: PeriodSeal, group: ClassGroup, period: Period, school: School
) -> SealInfo:
    names = user_names(session, {seal.sealed_by})
    assert seal.id is not None and group.id is not None and period.id is not None
    return SealInfo(
        id=seal.id,
        class_id=group.id,
        class_name=class_name(group.grade, group.letter),
        period_id=period.id,
        period_name=period.name,
        sealed_at=_zone_time(school, seal.sealed_at),
        sealed_by=names.get(seal.sealed_by, ("", ""))[1],
        digest=seal.digest,
        counts=json.loads(seal.counts or "{}"),
    )


def _term_lessons(session: Session, group: ClassGroup, period: Period) -> list[Lesson]:
    return list(
        session.exec(
            select(Lesson)
            .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
            .where(
                TeachingAssignment.class_id == group.id,
                Lesson.date >= period.starts_on,
                Lesson.date <= period.ends_on,
            )
        ).all()
    )


def _term_students(session: Session, group: ClassGroup, period: Period) -> list[int]:
    assert group.id is not None
    spans = enrolment_intervals(
        session,
        class_id=group.id,
        subgroup_id=None,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
    )
    return sorted(spans)


def _money(d: Decimal | float | int) -> str:
    return str(Decimal(d).quantize(Decimal("0.01")))


def term_records(session: Session, group: ClassGroup, period: Period) -> dict[str, Any]:
    """The term's records of the class as sorted plain rows: what the digest covers."""
    lessons = _term_lessons(session, group, period)
    lesson_ids = [x.id for x in lessons if x.id is not None]
    marks = session.exec(select(Mark).where(col(Mark.lesson_id).in_(lesson_ids))).all()
    attendance = session.exec(
        select(Attendance).where(col(Attendance.lesson_id).in_(lesson_ids))
    ).all()
    subject_ids = sorted({a.subject_id for a, *_ in _assignments(session, group)})
    students = _term_students(session, group, period)
    pms = session.exec(
        select(PeriodMark).where(
            PeriodMark.period_id == period.id,
            col(PeriodMark.subject_id).in_(subject_ids),
            col(PeriodMark.student_id).in_(students),
        )
    ).all()
    return {
        "class_id": group.id,
        "period_id": period.id,
        "lessons": sorted(
            [
                x.id,
                x.assignment_id,
                x.date.isoformat(),
                x.number,
                bool(x.cancelled),
                x.topic,
                x.homework,
                x.homework_links,
                bool(x.homework_none),
                x.work_type_id,
            ]
            for x in lessons
        ),
        "marks": sorted(
            [m.lesson_id, m.student_id, m.slot, m.value, m.work_type_id, _money(m.weight)]
            for m in marks
        ),
        "attendance": sorted([a.lesson_id, a.student_id, a.status, a.reason] for a in attendance),
        "period_marks": sorted(
            [p.student_id, p.subject_id, p.value, bool(p.not_attested), p.justification]
            for p in pms
        ),
    }


def digest_of(records: dict[str, Any]) -> tuple[str, dict[str, int]]:
    """SHA-256 (hex) of the records as canonical JSON, and the row counts."""
    text = json.dumps(records, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    counts = {k: len(records[k]) for k in ("lessons", "marks", "attendance", "period_marks")}
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), counts


COUNT_NAMES = {
    "lessons": "уроков",
    "marks": "отметок",
    "attendance": "отметок посещаемости",
    "period_marks": "отметок за период",
}


def _obj(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "null")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _names_text(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (f" и ещё {len(names) - MAX_NAMES}" if len(names) > MAX_NAMES else "")


# --------------------------------------------------------------------------- services


@read_only
def period_readiness(session: Session, *, actor: Actor, class_id: int, period_id: int) -> Readiness:
    """Every journal page of the class in the term, with the students (enrolled on the
    term's last day) who have no period mark yet; and the seal, when the term is closed."""
    _require_reader(session, actor, class_id)
    group, school, period = _class_and_term(session, actor, class_id, period_id)
    seal = session.exec(
        select(PeriodSeal).where(PeriodSeal.class_id == class_id, PeriodSeal.period_id == period_id)
    ).first()
    year = session.get(AcademicYear, group.year_id)
    return Readiness(
        class_id=class_id,
        class_name=class_name(group.grade, group.letter),
        period_id=period_id,
        period_name=period.name,
        pages=_pages(session, group, period),
        seal=_seal_info(session, seal, group, period, school) if seal else None,
        year_closed=year is not None and year.closed_at is not None,
    )


@read_only
def class_terms(session: Session, *, actor: Actor, class_id: int) -> list[tuple[int, str, bool]]:
    """The terms of a class: (period id, name, sealed), in order."""
    _require_reader(session, actor, class_id)
    group = session.get(ClassGroup, class_id)
    if group is None or group.school_id != actor.school_id:
        raise NotFound("Класс не найден.")
    sealed = set(
        session.exec(select(PeriodSeal.period_id).where(PeriodSeal.class_id == class_id)).all()
    )
    return [
        (p.id or 0, p.name, p.id in sealed)
        for p in term_periods(session, group.year_id, group.grade)
    ]


@read_only
def class_seal_list(session: Session, *, actor: Actor, class_id: int) -> list[SealInfo]:
    """The closed terms of a class, in term order."""
    _require_reader(session, actor, class_id)
    group = session.get(ClassGroup, class_id)
    if group is None or group.school_id != actor.school_id:
        raise NotFound("Класс не найден.")
    school = session.get(School, group.school_id)
    assert school is not None
    rows = session.exec(
        select(PeriodSeal, Period)
        .join(Period, col(Period.id) == PeriodSeal.period_id)
        .where(PeriodSeal.class_id == class_id)
        .order_by(col(Period.starts_on))
    ).all()
    return [_seal_info(session, s, group, p, school) for s, p in rows]


def seal_period(session: Session, *, actor: Actor, class_id: int, period_id: int) -> SealInfo:
    """Close a term for a class: refused (listing who lacks a period mark on which page)
    until every student enrolled on the term's last day has one on every marked page.

    Locks the class row, so journal writes of the class wait (and then need a reason) and
    a second deputy closing the same term at once is told it is already closed.
    """
    permissions.require(session, actor, Permission.PERIOD_CLOSE, Target(class_id=class_id))
    locked = session.exec(
        select(ClassGroup).where(ClassGroup.id == class_id).with_for_update(key_share=True)
    ).first()
    if locked is None or locked.school_id != actor.school_id:
        raise NotFound("Класс не найден.")
    group, school, period = _class_and_term(session, actor, class_id, period_id)
    require_open_year(session, group.year_id)
    name = class_name(group.grade, group.letter)
    existing = session.exec(
        select(PeriodSeal).where(PeriodSeal.class_id == class_id, PeriodSeal.period_id == period_id)
    ).first()
    if existing is not None:
        info = _seal_info(session, existing, group, period, school)
        raise ValidationError(
            f"Период «{period.name}» для {name} уже закрыт "
            f"{info.sealed_at:%d.%m.%Y %H:%M} ({info.sealed_by})."
        )
    pages = _pages(session, group, period)
    lacking = [p for p in pages if p.missing]
    if lacking:
        parts = [
            f"{p.subject_name}{f' ({p.subgroup_name})' if p.subgroup_name else ''}"
            f"{f', {p.teacher_name}' if p.teacher_name else ''}: {_names_text(p.missing)}"
            for p in lacking
        ]
        raise ValidationError(
            f"Период нельзя закрыть: не выставлены отметки за «{period.name}» "
            f"({sum(len(p.missing) for p in lacking)}). " + "; ".join(parts) + "."
        )
    digest, counts = digest_of(term_records(session, group, period))
    seal = PeriodSeal(
        class_id=class_id,
        period_id=period_id,
        sealed_at=utcnow(),
        sealed_by=actor.user_id,
        digest=digest,
        counts=json.dumps(counts, sort_keys=True),
    )
    session.add(seal)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.PERIOD_SEAL,
        entity=AuditEntity.PERIOD_SEAL,
        entity_id=seal.id,
        after={
            "class_id": class_id,
            "period_id": period_id,
            "class": name,
            "period": period.name,
            "digest": digest,
            "counts": counts,
        },
    )
    return _seal_info(session, seal, group, period, school)


def _load_seal(
    session: Session, actor: Actor, seal_id: int
) -> tuple[PeriodSeal, ClassGroup, Period, School]:
    seal = session.get(PeriodSeal, seal_id)
    if seal is None:
        raise NotFound("Закрытие периода не найдено.")
    _require_reader(session, actor, seal.class_id)
    group, school, period = _class_and_term(session, actor, seal.class_id, seal.period_id)
    return seal, group, period, school


def _seal_audit_id(session: Session, seal: PeriodSeal) -> int:
    row = session.exec(
        select(AuditLog.id).where(
            AuditLog.entity == AuditEntity.PERIOD_SEAL.value,
            AuditLog.entity_id == seal.id,
            AuditLog.action == AuditAction.PERIOD_SEAL.value,
        )
    ).first()
    return row or 0


def _amendment_rows(
    session: Session, seal: PeriodSeal, group: ClassGroup, period: Period
) -> list[AuditLog]:
    after_id = _seal_audit_id(session, seal)
    lesson_ids = [x.id for x in _term_lessons(session, group, period) if x.id is not None]
    rows = list(
        session.exec(
            select(AuditLog).where(
                col(AuditLog.id) > after_id,
                col(AuditLog.entity).in_(
                    [AuditEntity.JOURNAL_CELL.value, AuditEntity.LESSON.value]
                ),
                col(AuditLog.entity_id).in_(lesson_ids),
            )
        ).all()
    )
    students = set(_term_students(session, group, period))
    subjects = {a.subject_id for a, *_ in _assignments(session, group)}
    for row in session.exec(
        select(AuditLog).where(
            col(AuditLog.id) > after_id, AuditLog.entity == AuditEntity.PERIOD_MARK.value
        )
    ).all():
        side = {**_obj(row.before), **_obj(row.after)}
        if (
            side.get("period_id") == period.id
            and side.get("student_id") in students
            and side.get("subject_id") in subjects
        ):
            rows.append(row)
    return sorted(rows, key=lambda r: r.id or 0)


@read_only
def amendments(session: Session, *, actor: Actor, seal_id: int) -> list[Amendment]:
    """«Изменения после закрытия»: every audited change of the sealed term's records made
    after the seal (who, when, before, after, reason), oldest first."""
    seal, group, period, school = _load_seal(session, actor, seal_id)
    rows = _amendment_rows(session, seal, group, period)
    texts = describe(session, [(r.entity, r.entity_id, r.before, r.after) for r in rows])
    names = user_names(session, {r.actor_id for r in rows if r.actor_id is not None})
    return [
        Amendment(
            audit_id=r.id or 0,
            at=_zone_time(school, r.at),
            who=names.get(r.actor_id or 0, ("", "система"))[1],
            action=action_title(r.action),
            subject=t.subject,
            before=t.before,
            after=t.after,
            reason=r.reason,
        )
        for r, t in zip(rows, texts, strict=True)
    ]


@read_only
def verify_seal(session: Session, *, actor: Actor, seal_id: int) -> VerifyResult:
    """Recompute the term's digest: «совпадает», or which counts changed and how many
    amendments explain it."""
    seal, group, period, _ = _load_seal(session, actor, seal_id)
    digest, counts = digest_of(term_records(session, group, period))
    n = len(_amendment_rows(session, seal, group, period))
    if digest == seal.digest:
        return VerifyResult(True, MATCHES, digest, counts, n)
    sealed = json.loads(seal.counts or "{}")
    diffs = [
        f"{COUNT_NAMES[k]}: было {sealed.get(k, 0)}, сейчас {counts[k]}"
        for k in COUNT_NAMES
        if sealed.get(k) != counts[k]
    ]
    message = "Не совпадает: записи периода изменены после закрытия"
    message += f" ({'; '.join(diffs)})" if diffs else " (изменено содержимое записей)"
    message += f". Изменений после закрытия в журнале изменений: {n}."
    if n == 0:
        message += " Изменения не отражены в журнале изменений — сообщите администратору."
    return VerifyResult(False, message, digest, counts, n)


def _blockers(session: Session, year: AcademicYear) -> list[str]:
    groups = session.exec(
        select(ClassGroup)
        .where(ClassGroup.year_id == year.id)
        .order_by(col(ClassGroup.grade), col(ClassGroup.letter))
    ).all()
    sealed = {
        (c, p)
        for c, p in session.exec(
            select(PeriodSeal.class_id, PeriodSeal.period_id)
            .join(ClassGroup, col(ClassGroup.id) == PeriodSeal.class_id)
            .where(ClassGroup.year_id == year.id)
        ).all()
    }
    periods = session.exec(
        select(Period)
        .where(Period.year_id == year.id, col(Period.kind).in_(TERM_KINDS))
        .order_by(col(Period.starts_on))
    ).all()
    out = []
    for g in groups:
        open_terms = [
            p.name
            for p in periods
            if p.grade_from <= g.grade <= p.grade_to and (g.id, p.id) not in sealed
        ]
        if open_terms:
            out.append(f"{class_name(g.grade, g.letter)}: {', '.join(open_terms)}")
    return out


def _year_of(session: Session, actor: Actor, year_id: int, *, lock: bool) -> AcademicYear:
    stmt = select(AcademicYear).where(AcademicYear.id == year_id)
    if lock:
        stmt = stmt.with_for_update(key_share=True)
    year = session.exec(stmt).first()
    if year is None or year.school_id != actor.school_id:
        raise NotFound("Учебный год не найден.")
    return year


@read_only
def year_status(session: Session, *, actor: Actor, year_id: int) -> YearStatus:
    """Whether the year is closed, and what (unsealed terms of classes) keeps it open."""
    permissions.require(session, actor, Permission.YEAR_CLOSE)
    year = _year_of(session, actor, year_id, lock=False)
    school = session.get(School, year.school_id)
    assert school is not None and year.id is not None
    closed_by = ""
    if year.closed_by is not None:
        closed_by = user_names(session, {year.closed_by}).get(year.closed_by, ("", ""))[1]
    return YearStatus(
        year_id=year.id,
        year_name=year.name,
        closed_at=_zone_time(school, year.closed_at) if year.closed_at else None,
        closed_by=closed_by,
        blockers=tuple(_blockers(session, year)),
    )


def close_year(session: Session, *, actor: Actor, year_id: int) -> YearStatus:
    """Close a finished year (the director): refused while some class has a term not
    closed (listed). Afterwards every journal write into the year is refused."""
    permissions.require(session, actor, Permission.YEAR_CLOSE)
    year = _year_of(session, actor, year_id, lock=True)
    if year.closed_at is not None:
        raise ValidationError(f"Учебный год {year.name} уже закрыт.")
    blockers = _blockers(session, year)
    if blockers:
        raise ValidationError(
            f"Учебный год {year.name} нельзя закрыть: не закрыты периоды — "
            + "; ".join(blockers[:MAX_NAMES])
            + (f" и ещё {len(blockers) - MAX_NAMES}" if len(blockers) > MAX_NAMES else "")
            + "."
        )
    before = {"closed_at": None, "closed_by": None}
    year.closed_at = utcnow()
    year.closed_by = actor.user_id
    session.add(year)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.YEAR_CLOSE,
        entity=AuditEntity.ACADEMIC_YEAR,
        entity_id=year.id,
        before=before,
        after={"name": year.name, "closed_at": year.closed_at, "closed_by": actor.user_id},
    )
    school = session.get(School, year.school_id)
    assert school is not None
    return YearStatus(
        year_id=year.id or 0,
        year_name=year.name,
        closed_at=_zone_time(school, year.closed_at),
        closed_by=user_names(session, {actor.user_id}).get(actor.user_id, ("", ""))[1],
        blockers=(),
    )


@dataclass(frozen=True)
class CloseOverview:
    """What the period-close section starts from: the current year and its classes."""

    year_id: int
    year_name: str
    year_closed: bool
    classes: tuple[tuple[int, str], ...]  # (class id, «5 «А»»), in order
    can_seal: bool  # the deputy
    can_close_year: bool  # the director


@read_only
def close_overview(session: Session, *, actor: Actor) -> CloseOverview | None:
    """The current year's classes for whoever closes terms or the year; None: no year."""
    can_seal = actor.can(Permission.PERIOD_CLOSE) and not actor.must_change_password
    can_close = actor.can(Permission.YEAR_CLOSE) and not actor.must_change_password
    if not (can_seal or can_close):
        raise PermissionDenied()
    year = session.exec(
        select(AcademicYear)
        .where(AcademicYear.school_id == actor.school_id)
        .order_by(col(AcademicYear.is_current).desc(), col(AcademicYear.starts_on).desc())
    ).first()
    if year is None or year.id is None:
        return None
    groups = session.exec(
        select(ClassGroup)
        .where(ClassGroup.year_id == year.id, ClassGroup.school_id == actor.school_id)
        .order_by(col(ClassGroup.grade), col(ClassGroup.letter))
    ).all()
    return CloseOverview(
        year_id=year.id,
        year_name=year.name,
        year_closed=year.closed_at is not None,
        classes=tuple((g.id, class_name(g.grade, g.letter)) for g in groups if g.id is not None),
        can_seal=can_seal,
        can_close_year=can_close,
    )
