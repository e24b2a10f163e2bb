"""Announcements from the school and the class, with an audience and an end date [004 §3.6].

The deputy and the director post to any audience; a class teacher posts only to their own
class (Permission.ANNOUNCEMENT_WRITE, scope "own class"). Families see, in the diary,
what is addressed to the whole school, to parents (or students) and to the child's class,
between its first and last day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from ejournal.domain import audit, permissions
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.diary.child import (
    ChildContext,
    load_child,
)
from ejournal.domain.errors import NotFound, ValidationError
from ejournal.domain.models import Announcement, Audience, ClassGroup, Role, School, Staff
from ejournal.domain.people.naming import full_name, group_name
from ejournal.domain.permissions import Actor, Permission, Scope, Target, require_some
from ejournal.domain.school.clock import school_today
from ejournal.domain.text_rules import TextField, clean_text

AUDIENCE_TITLES = {
    Audience.SCHOOL: "Всем",
    Audience.PARENTS: "Родителям",
    Audience.STUDENTS: "Учащимся",
    Audience.STAFF: "Сотрудникам",
    Audience.CLASS: "Классу",
}


@dataclass(frozen=True)
class AnnouncementView:
    announcement_id: int
    audience: str
    audience_title: str
    class_id: int | None
    title: str
    body: str
    starts_on: dt.date
    ends_on: dt.date
    author_name: str
    event_on: dt.date | None = None


#: Without an end date an announcement shows for a week (and at least until its event).
DEFAULT_DAYS_SHOWN = 7


def default_end(starts_on: dt.date, event_on: dt.date | None = None) -> dt.date:
    """The end date the form proposes: a week after the start, never before the event."""
    end = starts_on + dt.timedelta(days=DEFAULT_DAYS_SHOWN)
    return max(end, event_on) if event_on is not None else end


def _view(a: Announcement, author: Staff | None) -> AnnouncementView:
    return AnnouncementView(
        announcement_id=a.id or 0,
        audience=a.audience,
        audience_title=AUDIENCE_TITLES.get(Audience(a.audience), a.audience),
        class_id=a.class_id,
        title=a.title,
        body=a.body,
        starts_on=a.starts_on,
        ends_on=a.ends_on,
        author_name="" if author is None else full_name(author.last_name, author.first_name),
        event_on=a.event_on,
    )


def post_announcement(
    session: Session,
    *,
    actor: Actor | None,
    audience: Audience | str,
    class_id: int | None = None,
    title: str,
    body: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    event_on: dt.date | None = None,
) -> AnnouncementView:
    """Publish an announcement; a class teacher may address only their own class.

    Without `ends_on` it shows for a week; an announcement of an event (`event_on`, a
    meeting) shows at least until the event's day and cannot end before it.
    """
    try:
        aud = Audience(audience)
    except ValueError:
        raise ValidationError("Неизвестная аудитория объявления.") from None
    if aud is Audience.CLASS and class_id is None:
        raise ValidationError("Выберите класс для объявления классу.")
    if aud is not Audience.CLASS:
        class_id = None
    actor = permissions.require(
        session, actor, Permission.ANNOUNCEMENT_WRITE, Target(class_id=class_id)
    )
    if class_id is not None:
        group = session.get(ClassGroup, class_id)
        if group is None or group.school_id != actor.school_id:
            raise NotFound("Класс не найден.")
    title = clean_text(title, field=TextField.ANNOUNCEMENT_TITLE)
    if not title:
        raise ValidationError("Введите заголовок объявления.")
    body = clean_text(body, field=TextField.ANNOUNCEMENT_BODY)
    if not body:
        raise ValidationError("Введите текст объявления.")
    if ends_on is None:
        ends_on = default_end(starts_on, event_on)
    if ends_on < starts_on:
        raise ValidationError("Дата окончания раньше даты начала.")
    if event_on is not None and event_on < starts_on:
        raise ValidationError("Дата события раньше даты начала показа.")
    if event_on is not None and ends_on < event_on:
        raise ValidationError(
            f"Объявление о событии {event_on:%d.%m.%Y} должно показываться до дня события: "
            "дата окончания не раньше даты события."
        )
    row = Announcement(
        school_id=actor.school_id,
        author_id=actor.user_id,
        audience=aud.value,
        class_id=class_id,
        title=title,
        body=body,
        starts_on=starts_on,
        ends_on=ends_on,
        event_on=event_on,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.ANNOUNCEMENT_POST,
        entity=AuditEntity.ANNOUNCEMENT,
        entity_id=row.id,
        after=audit.snapshot(
            row, ("audience", "class_id", "title", "starts_on", "ends_on", "event_on")
        ),
    )
    author = session.exec(select(Staff).where(Staff.user_id == actor.user_id)).first()
    return _view(row, author)


def family_audiences(actor: Actor) -> list[str]:
    """What a diary reader is addressed as: parents see parents', students students'."""
    audiences = [Audience.SCHOOL.value]
    if Role.PARENT in actor.roles or actor.parent_id is not None:
        audiences.append(Audience.PARENTS.value)
    if Role.STUDENT in actor.roles or actor.student_id is not None:
        audiences.append(Audience.STUDENTS.value)
    if len(audiences) == 1:  # staff reading a diary see what the family sees
        audiences += [Audience.PARENTS.value, Audience.STUDENTS.value]
    return audiences


def announcements_between(
    session: Session, ctx: ChildContext, actor: Actor, first: dt.date, last: dt.date
) -> list[AnnouncementView]:
    """Announcements for the child's family active on some day of [first, last] (internal)."""
    class_id = None if ctx.class_group is None else ctx.class_group.id
    rows = session.exec(
        select(Announcement, Staff)
        .join(Staff, col(Staff.user_id) == Announcement.author_id, isouter=True)
        .where(
            Announcement.school_id == ctx.student.school_id,
            Announcement.starts_on <= last,
            Announcement.ends_on >= first,
            or_(
                col(Announcement.audience).in_(family_audiences(actor)),
                and_(
                    col(Announcement.audience) == Audience.CLASS.value,
                    col(Announcement.class_id) == (class_id or -1),
                ),
            ),
        )
        .order_by(col(Announcement.starts_on).desc(), col(Announcement.id).desc())
    ).all()
    return [_view(a, s) for a, s in rows]


def announcements_for(
    session: Session, *, actor: Actor | None, student_id: int, on: dt.date
) -> list[AnnouncementView]:
    """The announcements a family sees in the child's diary on date `on`."""
    ctx = load_child(session, actor, student_id)
    assert actor is not None
    return announcements_between(session, ctx, actor, on, on)


# --------------------------------------------------------------------------- managing


@dataclass(frozen=True)
class ManagedAnnouncement:
    """An announcement on the staff's list, with whom it addresses in words."""

    view: AnnouncementView
    audience_text: str  # «Классу 5 «А»», «Родителям»
    started: bool  # already shown to families (starts_on <= today)


def _school_today(session: Session, actor: Actor, today: dt.date | None) -> dt.date:
    school = session.get(School, actor.school_id)
    if school is None:
        raise NotFound("Школа не найдена.")
    return school_today(school, today)


@read_only
def manageable_announcements(
    session: Session, *, actor: Actor | None, today: dt.date | None = None
) -> list[ManagedAnnouncement]:
    """Current and future announcements the actor may manage, soonest ending first: the
    whole school's for the deputy and director, their own class's for a class teacher."""
    actor = require_some(actor, Permission.ANNOUNCEMENT_WRITE)
    day = _school_today(session, actor, today)
    query = (
        select(Announcement, Staff, ClassGroup)
        .join(Staff, col(Staff.user_id) == Announcement.author_id, isouter=True)
        .join(ClassGroup, col(ClassGroup.id) == Announcement.class_id, isouter=True)
        .where(Announcement.school_id == actor.school_id, Announcement.ends_on >= day)
        .order_by(col(Announcement.ends_on), col(Announcement.id))
    )
    if Scope.ALL not in actor.scopes(Permission.ANNOUNCEMENT_WRITE):
        query = query.where(
            col(Announcement.audience) == Audience.CLASS.value,
            col(Announcement.class_id).in_(actor.class_teacher_of or {-1}),
        )
    result = []
    for a, author, group in session.exec(query).all():
        view = _view(a, author)
        text = view.audience_title + ("" if group is None else f" {group_name(group)}")
        result.append(ManagedAnnouncement(view, text, a.starts_on <= day))
    return result


def end_announcement(
    session: Session,
    *,
    actor: Actor | None,
    announcement_id: int,
    today: dt.date | None = None,
) -> AnnouncementView:
    """End an announcement early: from today families no longer see it (ends_on becomes
    yesterday). One that starts today or later is thus withdrawn whole: its end falls
    before its start and no day shows it. Audited."""
    actor = require_some(actor, Permission.ANNOUNCEMENT_WRITE)
    row = session.get(Announcement, announcement_id)
    if row is None or row.school_id != actor.school_id:
        raise NotFound("Объявление не найдено.")
    permissions.require(
        session, actor, Permission.ANNOUNCEMENT_WRITE, Target(class_id=row.class_id)
    )
    day = _school_today(session, actor, today)
    if row.ends_on < day:
        raise ValidationError("Объявление уже не показывается.")
    ends_on = day - dt.timedelta(days=1)
    before, after = audit.changes(row, {"ends_on": ends_on})
    row.ends_on = ends_on
    session.add(row)
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.ANNOUNCEMENT_END,
        entity=AuditEntity.ANNOUNCEMENT,
        entity_id=row.id,
        before=before,
        after=after,
    )
    author = session.exec(select(Staff).where(Staff.user_id == row.author_id)).first()
    return _view(row, author)
