"""The review of a teacher's КТП (calendar-thematic plan) by the deputy [002 §7.4–7.5].

A plan moves draft → submitted (the teacher sends it, its hours matching the curriculum)
→ approved (the deputy, reviewer and time recorded) or returned (with the deputy's note);
a returned plan is corrected and submitted again. Importing a new plan over one submitted
or approved puts it back to draft (ktp.py). The journal's topic pick-list offers only an
approved plan.

Two deputies deciding on one plan at once: the status is checked under a row lock
(PostgreSQL; SQLite writers hold the database lock), so one wins and the other is told
the plan was already reviewed. A plan changed by the teacher while the deputy looked at it
is refused by its fingerprint. Every transition is audited (KTP_REVIEW, the assignment,
before/after status).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from ejournal.domain.journal.context import current_year
from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    KtpStatus,
    School,
    Staff,
    Subgroup,
    Subject,
    TeachingAssignment,
    ThematicPlanItem,
    User,
    WorkType,
    utcnow,
)
from ejournal.domain.people.naming import class_name, person_short
from ejournal.domain.permissions import (
    Actor,
    Permission,
    Target,
    allowed,
    require,
    require_some,
    scope_clause,
)
from ejournal.domain.setup.ktp import REVIEW_FIELDS, lock_assignment, school_weeks
from ejournal.domain.text_rules import normalise

STATUS_TITLES: dict[str, str] = {
    KtpStatus.DRAFT: "черновик",
    KtpStatus.SUBMITTED: "на согласовании",
    KtpStatus.APPROVED: "согласован",
    KtpStatus.RETURNED: "возвращён",
}

#: The deputy's list: plans waiting for review first, then returned, drafts, approved.
REVIEW_ORDER = (KtpStatus.SUBMITTED, KtpStatus.RETURNED, KtpStatus.DRAFT, KtpStatus.APPROVED)

NOTE_LIMIT = 500

_Row = TypeVar("_Row", ClassGroup, Subject, Subgroup, Staff, AcademicYear)


def hours_text(value: Decimal) -> str:
    """170 → «170», 17.5 → «17,5»."""
    if value == value.to_integral_value():
        return str(int(value))
    return str(value.normalize()).replace(".", ",")


@dataclass(frozen=True)
class PlanSummary:
    """One assignment's plan: whose, for what, where it stands and its hours."""

    assignment_id: int
    class_name: str
    subject: str
    subgroup: str
    teacher: str
    status: str
    note: str  # the deputy's note of a returned plan
    items: int
    total_hours: int
    curriculum_hours: Decimal
    school_weeks: int
    hours_per_week: Decimal
    reviewed_by: str
    reviewed_at: dt.datetime | None

    @property
    def status_title(self) -> str:
        return STATUS_TITLES.get(self.status, self.status)

    @property
    def hours_ok(self) -> bool:
        return self.items > 0 and Decimal(self.total_hours) == self.curriculum_hours

    @property
    def hours_check(self) -> str:
        """The hours against the curriculum, in words."""
        if not self.items:
            return "План не загружен."
        plan = (
            f"в плане {self.total_hours} ч, по учебному плану "
            f"{hours_text(self.curriculum_hours)} ч ({hours_text(self.hours_per_week)} ч "
            f"в неделю × {self.school_weeks} учебных недель)"
        )
        return ("Часы сходятся: " if self.hours_ok else "Часы не сходятся: ") + plan + "."


@dataclass(frozen=True)
class PlanLine:
    number: int
    topic: str
    hours: int
    planned_on: dt.date | None
    work_type: str


@dataclass(frozen=True)
class PlanDetail:
    """One plan with its lines; `fingerprint` names this version of the lines."""

    summary: PlanSummary
    lines: list[PlanLine]
    fingerprint: str


# --------------------------------------------------------------------------- reading


def _fingerprint(items: list[ThematicPlanItem]) -> str:
    digest = hashlib.sha256()
    for i in sorted(items, key=lambda x: x.number):
        digest.update(
            f"{i.number}\x1f{i.topic}\x1f{i.hours}\x1f{i.planned_on}\x1f{i.work_type_id}\x1e".encode()
        )
    return digest.hexdigest()[:16]


class _Weeks:
    """School weeks per (year, grade), counted once per call."""

    def __init__(self, session: Session, school: School) -> None:
        self.session, self.school = session, school
        self.cache: dict[tuple[int, int], int] = {}

    def __call__(self, year: AcademicYear, grade: int) -> int:
        key = (year.id or 0, grade)
        if key not in self.cache:
            self.cache[key] = school_weeks(self.session, self.school, year, grade)
        return self.cache[key]


def _summaries(
    session: Session, actor: Actor, assignments: list[TeachingAssignment]
) -> list[PlanSummary]:
    school = session.get(School, actor.school_id)
    if school is None:
        raise NotFound("Школа не найдена.")
    ids = [a.id for a in assignments if a.id is not None]
    counts: dict[int, tuple[int, int]] = {}
    if ids:
        for aid, n, hours in session.execute(
            sa_select(
                col(ThematicPlanItem.assignment_id),
                func.count(),
                func.coalesce(func.sum(col(ThematicPlanItem.hours)), 0),
            )
            .where(col(ThematicPlanItem.assignment_id).in_(ids))
            .group_by(col(ThematicPlanItem.assignment_id))
        ).all():
            counts[int(aid)] = (int(n), int(hours))
    groups = {g.id: g for g in _by_ids(session, ClassGroup, {a.class_id for a in assignments})}
    subjects = {s.id: s for s in _by_ids(session, Subject, {a.subject_id for a in assignments})}
    subgroups = {
        s.id: s
        for s in _by_ids(session, Subgroup, {a.subgroup_id for a in assignments if a.subgroup_id})
    }
    teachers = {s.id: s for s in _by_ids(session, Staff, {a.teacher_id for a in assignments})}
    reviewer_ids = {a.ktp_reviewed_by for a in assignments if a.ktp_reviewed_by}
    reviewers: dict[int | None, str] = {}
    if reviewer_ids:
        for staff in session.exec(select(Staff).where(col(Staff.user_id).in_(reviewer_ids))):
            reviewers[staff.user_id] = person_short(staff)
        for user in session.exec(select(User).where(col(User.id).in_(reviewer_ids))):
            reviewers.setdefault(user.id, user.login)
    years = {y.id: y for y in _by_ids(session, AcademicYear, {a.year_id for a in assignments})}
    weeks = _Weeks(session, school)
    out = []
    for a in assignments:
        assert a.id is not None
        group, subject, year = groups[a.class_id], subjects[a.subject_id], years[a.year_id]
        n_weeks = weeks(year, group.grade)
        n_items, total = counts.get(a.id, (0, 0))
        subgroup = subgroups.get(a.subgroup_id) if a.subgroup_id else None
        out.append(
            PlanSummary(
                assignment_id=a.id,
                class_name=class_name(group.grade, group.letter),
                subject=subject.name,
                subgroup=subgroup.name if subgroup else "",
                teacher=person_short(teachers.get(a.teacher_id)),
                status=a.ktp_status,
                note=a.ktp_review_note,
                items=n_items,
                total_hours=total,
                curriculum_hours=a.hours_per_week * n_weeks,
                school_weeks=n_weeks,
                hours_per_week=a.hours_per_week,
                reviewed_by=reviewers.get(a.ktp_reviewed_by, "") if a.ktp_reviewed_by else "",
                reviewed_at=a.ktp_reviewed_at,
            )
        )
    return out


def _by_ids(session: Session, model: type[_Row], ids: set[int] | set[int | None]) -> list[_Row]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return []
    return list(session.exec(select(model).where(col(model.id).in_(wanted))))


def _year_assignments(session: Session, actor: Actor, *clauses: object) -> list[TeachingAssignment]:
    year = current_year(session, actor.school_id)
    if year is None:
        return []
    stmt = (
        select(TeachingAssignment)
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .where(TeachingAssignment.year_id == year.id, *clauses)  # type: ignore[arg-type]
        .order_by(
            col(ClassGroup.grade),
            col(ClassGroup.letter),
            col(Subject.name),
            col(TeachingAssignment.subgroup_id),
        )
    )
    return list(session.exec(stmt))


@read_only
def my_plans(session: Session, *, actor: Actor) -> list[PlanSummary]:
    """The teacher's own assignments this year with their plans' status and hours."""
    require_some(actor, Permission.LESSON_WRITE)
    if actor.staff_id is None:
        return []
    return _summaries(
        session,
        actor,
        _year_assignments(
            session,
            actor,
            col(TeachingAssignment.teacher_id) == actor.staff_id,
            scope_clause(actor, Permission.LESSON_WRITE, TeachingAssignment),
        ),
    )


@read_only
def plans_for_review(session: Session, *, actor: Actor) -> list[PlanSummary]:
    """Every plan of the school this year for the deputy: waiting for review first."""
    require_some(actor, Permission.KTP_APPROVE)
    rows = _summaries(
        session,
        actor,
        _year_assignments(
            session, actor, scope_clause(actor, Permission.KTP_APPROVE, TeachingAssignment)
        ),
    )
    order = {s: k for k, s in enumerate(REVIEW_ORDER)}
    return sorted(rows, key=lambda s: order.get(KtpStatus(s.status), len(order)))


def _may_read(session: Session, actor: Actor, assignment_id: int) -> None:
    target = Target(assignment_id=assignment_id)
    if not (
        allowed(session, actor, Permission.KTP_APPROVE, target)
        or allowed(session, actor, Permission.LESSON_WRITE, target)
    ):
        require(session, actor, Permission.TIMETABLE_MANAGE, target)


def _detail(session: Session, actor: Actor, assignment: TeachingAssignment) -> PlanDetail:
    items = list(
        session.exec(
            select(ThematicPlanItem)
            .where(ThematicPlanItem.assignment_id == assignment.id)
            .order_by(col(ThematicPlanItem.number))
        )
    )
    type_ids = {i.work_type_id for i in items if i.work_type_id}
    types: dict[int | None, str] = {}
    if type_ids:
        for wt in session.exec(select(WorkType).where(col(WorkType.id).in_(type_ids))):
            types[wt.id] = wt.name
    lines = [
        PlanLine(i.number, i.topic, i.hours, i.planned_on, types.get(i.work_type_id, ""))
        for i in items
    ]
    (summary,) = _summaries(session, actor, [assignment])
    return PlanDetail(summary, lines, _fingerprint(items))


@read_only
def plan_detail(session: Session, *, actor: Actor, assignment_id: int) -> PlanDetail:
    """One plan's lines and hours check (its teacher, the deputy)."""
    _may_read(session, actor, assignment_id)
    assignment = session.get(TeachingAssignment, assignment_id)
    if assignment is None:
        raise NotFound("Нагрузка (предмет в классе) не найдена.")
    return _detail(session, actor, assignment)


# --------------------------------------------------------------------------- changing


def _set_status(
    session: Session,
    actor: Actor,
    assignment: TeachingAssignment,
    status: KtpStatus,
    *,
    reviewed: bool,
    note: str,
    now: dt.datetime | None,
    reason: str,
) -> None:
    before = audit.snapshot(assignment, REVIEW_FIELDS)
    assignment.ktp_status = status
    assignment.ktp_review_note = note
    if reviewed:
        assignment.ktp_reviewed_by = actor.user_id
        assignment.ktp_reviewed_at = now or utcnow()
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
        reason=reason,
    )


def submit_plan(
    session: Session, *, actor: Actor, assignment_id: int, now: dt.datetime | None = None
) -> PlanDetail:
    """The teacher sends their own plan for review: it must hold topics and its hours must
    match the curriculum; a draft or returned plan becomes «на согласовании»."""
    require(session, actor, Permission.LESSON_WRITE, Target(assignment_id=assignment_id))
    assignment = lock_assignment(session, assignment_id)
    if assignment.teacher_id != actor.staff_id:
        raise PermissionDenied("Отправить на согласование можно только свой КТП.")
    if assignment.ktp_status == KtpStatus.SUBMITTED:
        raise ConflictError("КТП уже отправлен на согласование.")
    if assignment.ktp_status == KtpStatus.APPROVED:
        raise ConflictError("КТП уже согласован. Чтобы изменить его, загрузите новый файл.")
    detail = _detail(session, actor, assignment)
    summary = detail.summary
    if not summary.items:
        raise ValidationError("В КТП нет ни одной темы: сначала загрузите файл плана.")
    if not summary.hours_ok:
        raise ValidationError(
            f"КТП не отправлен: часы не сходятся с учебным планом — в плане "
            f"{summary.total_hours} ч, по учебному плану {hours_text(summary.curriculum_hours)} ч "
            f"({hours_text(summary.hours_per_week)} ч в неделю × {summary.school_weeks} "
            "учебных недель). Исправьте файл и загрузите его снова."
        )
    _set_status(
        session,
        actor,
        assignment,
        KtpStatus.SUBMITTED,
        reviewed=False,
        note=assignment.ktp_review_note,  # kept: the teacher answered this note
        now=now,
        reason="КТП отправлен на согласование",
    )
    return _detail(session, actor, assignment)


def _decide(
    session: Session, actor: Actor, assignment_id: int, fingerprint: str
) -> TeachingAssignment:
    require(session, actor, Permission.KTP_APPROVE, Target(assignment_id=assignment_id))
    assignment = lock_assignment(session, assignment_id)
    if assignment.ktp_status in (KtpStatus.APPROVED, KtpStatus.RETURNED):
        raise ConflictError(
            f"КТП уже рассмотрен: {STATUS_TITLES[assignment.ktp_status]}. Обновите страницу."
        )
    if assignment.ktp_status != KtpStatus.SUBMITTED:
        raise ConflictError(
            "КТП не на согласовании: учитель ещё не отправил его или загрузил новый план."
        )
    if fingerprint:
        items = list(
            session.exec(
                select(ThematicPlanItem).where(ThematicPlanItem.assignment_id == assignment_id)
            )
        )
        if _fingerprint(items) != fingerprint:
            raise ConflictError("КТП изменился, пока вы его смотрели: откройте его снова.")
    return assignment


def approve_plan(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int,
    fingerprint: str = "",
    now: dt.datetime | None = None,
) -> PlanDetail:
    """The deputy approves a plan sent for review: the journal then offers its topics.
    `fingerprint` (from `plan_detail`) refuses a plan changed since it was shown."""
    assignment = _decide(session, actor, assignment_id, fingerprint)
    _set_status(
        session,
        actor,
        assignment,
        KtpStatus.APPROVED,
        reviewed=True,
        note="",
        now=now,
        reason="КТП согласован",
    )
    return _detail(session, actor, assignment)


def return_plan(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int,
    note: str,
    fingerprint: str = "",
    now: dt.datetime | None = None,
) -> PlanDetail:
    """The deputy returns a plan sent for review with a note on what to correct."""
    require(session, actor, Permission.KTP_APPROVE, Target(assignment_id=assignment_id))
    text = normalise(note or "", multiline=True)
    if not text:
        raise ValidationError("Напишите, что исправить в КТП: без замечания план не вернуть.")
    if len(text) > NOTE_LIMIT:
        raise ValidationError(f"Замечание длиннее {NOTE_LIMIT} знаков (сейчас {len(text)}).")
    assignment = _decide(session, actor, assignment_id, fingerprint)
    _set_status(
        session,
        actor,
        assignment,
        KtpStatus.RETURNED,
        reviewed=True,
        note=text,
        now=now,
        reason="КТП возвращён на доработку",
    )
    return _detail(session, actor, assignment)


def group_by_status(plans: list[PlanSummary]) -> dict[str, list[PlanSummary]]:
    """The plans by status, in the review order (statuses with no plan left out)."""
    grouped: dict[str, list[PlanSummary]] = defaultdict(list)
    for p in plans:
        grouped[p.status].append(p)
    return {s.value: grouped[s.value] for s in REVIEW_ORDER if grouped.get(s.value)}
