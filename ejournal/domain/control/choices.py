"""What the control page's filters offer: the current year's months and periods, and the
grades, classes, subjects and teachers the actor's analytics reach — plus sending a finding
to its teacher as a message [000 §6.4]."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound, ValidationError
from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    Message,
    MessageThread,
    Period,
    Role,
    RoleGrant,
    School,
    Staff,
    Subject,
    TeachingAssignment,
    ThreadParticipant,
    utcnow,
)
from ejournal.domain.people.naming import class_name, person_short
from ejournal.domain.permissions import Actor, Permission, Scope, require_some, scope_clause
from ejournal.domain.school.clock import school_today
from ejournal.domain.text_rules import TextField, clean_text

from .table import MONTHS, Filters, Finding, Window

Option = tuple[str, str]  # (value, label)


@dataclass(frozen=True)
class Choices:
    """The filters' options and the defaults the page opens with."""

    today: dt.date
    months: list[Option]  # "YYYY-MM" → «ноябрь 2026», newest first
    periods: list[Option]  # period id → «2 четверть»
    grades: list[Option]
    classes: list[Option]
    subjects: list[Option]
    teachers: list[Option]  # staff id → «Иванова А. П.»
    current_month: str
    current_period: str  # the quarter (grades 1–9) holding today, else the latest ended one
    whole_school: bool  # the actor sees the whole school (deputy, director)


def _current_year(session: Session, school_id: int) -> AcademicYear:
    year = session.exec(
        select(AcademicYear).where(
            AcademicYear.school_id == school_id, col(AcademicYear.is_current).is_(True)
        )
    ).first()
    if year is None:
        raise NotFound("Учебный год не найден.")
    return year


def _months(first: dt.date, last: dt.date) -> list[Option]:
    out: list[Option] = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append((f"{y:04d}-{m:02d}", f"{MONTHS[m - 1].capitalize()} {y}"))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out[::-1]


@read_only
def control_choices(session: Session, *, actor: Actor) -> Choices:
    """The options of the control page's filters, within what the actor's analytics reach."""
    require_some(actor, Permission.ANALYTICS_READ)
    school = session.get(School, actor.school_id)
    if school is None:
        raise NotFound("Школа не найдена.")
    today = school_today(school)
    year = _current_year(session, actor.school_id)
    periods = session.exec(
        select(Period)
        .where(Period.year_id == year.id)
        .order_by(col(Period.kind), col(Period.number))
    ).all()
    order = {"quarter": 0, "half_year": 1, "year": 2}
    periods = sorted(periods, key=lambda p: (order.get(p.kind, 3), p.number))
    current = next(
        (p for p in periods if p.kind == "quarter" and p.starts_on <= today <= p.ends_on), None
    )
    if current is None:
        ended = [p for p in periods if p.kind == "quarter" and p.ends_on < today]
        current = ended[-1] if ended else (periods[0] if periods else None)
    groups = session.exec(
        select(ClassGroup)
        .where(
            ClassGroup.year_id == year.id,
            scope_clause(actor, Permission.ANALYTICS_READ, ClassGroup),
        )
        .order_by(col(ClassGroup.grade), col(ClassGroup.letter))
    ).all()
    assignments = select(TeachingAssignment).where(
        TeachingAssignment.year_id == year.id,
        scope_clause(actor, Permission.ANALYTICS_READ, TeachingAssignment),
    )
    taught = session.exec(assignments).all()
    subject_ids = {a.subject_id for a in taught}
    teacher_ids = {a.teacher_id for a in taught}
    subjects = session.exec(
        select(Subject)
        .where(col(Subject.id).in_(subject_ids))
        .order_by(col(Subject.sort_order), col(Subject.name))
    ).all()
    teachers = session.exec(select(Staff).where(col(Staff.id).in_(teacher_ids))).all()
    last = min(today, year.ends_on)
    return Choices(
        today=today,
        months=_months(year.starts_on, max(last, year.starts_on)),
        periods=[(str(p.id), p.name) for p in periods],
        grades=[(str(g), f"{g} классы") for g in sorted({g.grade for g in groups})],
        classes=[(str(g.id), class_name(g.grade, g.letter)) for g in groups],
        subjects=[(str(s.id), s.name) for s in subjects],
        teachers=sorted(((str(t.id), person_short(t)) for t in teachers), key=lambda o: o[1]),
        current_month=f"{last.year:04d}-{last.month:02d}",
        current_period=str(current.id) if current is not None else "",
        whole_school=Scope.ALL in actor.scopes(Permission.ANALYTICS_READ),
    )


def send_to_teacher(
    session: Session, *, actor: Actor, staff_id: int, subject: str, body: str
) -> int:
    """Send a finding to the teacher (staff id) as a new message thread; returns its id.

    Only those who see the whole school's control figures (deputy, director) send findings.
    """
    require_some(actor, Permission.ANALYTICS_READ)
    if Scope.ALL not in actor.scopes(Permission.ANALYTICS_READ):
        raise NotFound("Учитель не найден.")
    teacher = session.get(Staff, staff_id)
    if teacher is None or teacher.school_id != actor.school_id or teacher.user_id is None:
        raise NotFound("Учитель не найден.")
    is_staff = session.exec(
        select(RoleGrant.id).where(
            RoleGrant.user_id == teacher.user_id,
            RoleGrant.school_id == actor.school_id,
            col(RoleGrant.role).in_([Role.TEACHER.value, Role.CLASS_TEACHER.value]),
        )
    ).first()
    if is_staff is None:
        raise NotFound("Учитель не найден.")
    subject = clean_text(subject, field=TextField.MESSAGE_SUBJECT)
    body = clean_text(body, field=TextField.MESSAGE_BODY)
    if not subject or not body:
        raise ValidationError("Напишите тему и текст сообщения.")
    now = utcnow()
    thread = MessageThread(
        school_id=actor.school_id,
        subject=subject,
        created_by_id=actor.user_id,
        created_at=now,
        last_message_at=now,
    )
    session.add(thread)
    session.flush()
    assert thread.id is not None
    session.add(ThreadParticipant(thread_id=thread.id, user_id=actor.user_id, last_read_at=now))
    if teacher.user_id != actor.user_id:
        session.add(ThreadParticipant(thread_id=thread.id, user_id=teacher.user_id))
    session.add(Message(thread_id=thread.id, author_id=actor.user_id, body=body, created_at=now))
    session.flush()
    return thread.id


def school_today_for_actor(session: Session, actor: Actor) -> dt.date:
    """Today in the actor's school's time zone (the report day)."""
    school = session.get(School, actor.school_id)
    if school is None:
        raise NotFound("Школа не найдена.")
    return school_today(school)


@read_only
def signer_name(session: Session, *, actor: Actor) -> str:
    """Who signs a printed report: the acting deputy, else the school's first deputy
    («Иванова А. П.»); '' leaves the line blank to sign by hand."""
    require_some(actor, Permission.ANALYTICS_READ)
    staff = session.exec(
        select(Staff)
        .join(RoleGrant, col(RoleGrant.user_id) == Staff.user_id)
        .where(
            RoleGrant.school_id == actor.school_id,
            RoleGrant.role == Role.DEPUTY.value,
            Staff.school_id == actor.school_id,
        )
        .order_by(col(Staff.user_id) != actor.user_id, col(Staff.id))
    ).first()
    return person_short(staff) if staff is not None else ""


#: How far back «Мои замечания» on a teacher's home page look.
OWN_FINDINGS_DAYS = 30


@read_only
def own_findings(
    session: Session, *, actor: Actor, now: dt.datetime | None = None
) -> tuple[Window, list[Finding]]:
    """A teacher's own findings of the last 30 days [000 §6.4]: the checklist over the
    lessons they teach (their analytics scope), only those that name them."""
    from ejournal.domain.control.checklist import run_checklist

    require_some(actor, Permission.ANALYTICS_READ)
    if actor.staff_id is None:
        return Window(dt.date.min, dt.date.min, "", dt.date.min), []
    school = session.get(School, actor.school_id)
    if school is None:
        raise NotFound("Школа не найдена.")
    today = school_today(school, now)
    window = Window(
        today - dt.timedelta(days=OWN_FINDINGS_DAYS - 1),
        today,
        f"за последние {OWN_FINDINGS_DAYS} дней",
        today,
    )
    found = run_checklist(
        session, actor=actor, window=window, filters=Filters(teacher_id=actor.staff_id), now=now
    )
    return window, [f for f in found if f.teacher_id == actor.staff_id]


@read_only
def running_class_forecasts(session: Session, *, actor: Actor) -> list[Any]:
    """The forecast успеваемость and качество of every class in the actor's analytics scope
    at the end of the term running today (the quarter for grades 1–9, the half-year for
    10–11), for the dashboard."""
    from ejournal.domain import forecast

    today = school_today_for_actor(session, actor)
    terms = session.exec(
        select(Period)
        .join(AcademicYear, col(AcademicYear.id) == Period.year_id)
        .where(
            AcademicYear.school_id == actor.school_id,
            col(Period.kind).in_(["quarter", "half_year"]),
            Period.starts_on <= today,
            Period.ends_on >= today,
        )
    ).all()
    found: list[Any] = []
    for term in terms:
        assert term.id is not None
        found += forecast.class_forecast(session, actor=actor, class_id=None, period_id=term.id)
    return sorted(found, key=lambda f: (len(f.class_name), f.class_name))
