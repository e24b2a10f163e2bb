"""«Новое»: what happened for a family since their last visit [issue 12, item 5].

New marks, remarks and praise, announcements and unread messages are «новое» for the
length of a visit. A visit ends after an hour without opening the app: the next one then
counts from the end of the previous one (`UserNotice.seen_before`), so what a parent saw
yesterday is not new today, and what a teacher entered since is. «Всё просмотрено» moves
the marker to now at once. A first visit counts the last week.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.diary.announcements import announcements_between
from ejournal.domain.diary.child import ChildContext, child_context, children_of
from ejournal.domain.diary.messages import threads
from ejournal.domain.models import (
    Announcement,
    DiaryRemark,
    Lesson,
    Mark,
    RemarkKind,
    Subject,
    TeachingAssignment,
    UserNotice,
    WorkType,
    utcnow,
)
from ejournal.domain.permissions import Actor, Permission, require_some
from ejournal.domain.school.clock import school_today

#: A pause longer than this ends a visit.
VISIT_GAP = dt.timedelta(hours=1)
#: What a first visit (no marker yet) counts as new.
FIRST_VISIT_LOOKBACK = dt.timedelta(days=7)
#: The last-active time is written at most this often (not on every page).
ACTIVE_STEP = dt.timedelta(minutes=5)

KIND_TITLES = {
    "mark": "Отметка",
    "remark": "Замечание",
    "praise": "Похвала",
    "announcement": "Объявление",
    "message": "Сообщение",
}


@dataclass(frozen=True)
class NewsItem:
    """One new thing, as a line of the «Новое» list."""

    kind: str  # a key of KIND_TITLES
    student_id: int | None
    child_name: str  # the child's first name ('' for messages)
    text: str  # «Математика: 5 (Контрольная работа)», the remark, the title…
    at: dt.datetime  # when it appeared (UTC)
    count: int = 1  # messages: unread in the thread

    @property
    def kind_title(self) -> str:
        return KIND_TITLES[self.kind]


@dataclass(frozen=True)
class News:
    """What is new for the actor since `since` (None: nothing to compare with)."""

    since: dt.datetime | None
    items: list[NewsItem]

    @property
    def count(self) -> int:
        """The number on the menu: every new mark, remark, announcement and message."""
        return sum(i.count for i in self.items)


def _aware(at: dt.datetime | None) -> dt.datetime | None:
    if at is None:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def notice_row(session: Session, user_id: int) -> UserNotice:
    """The user's notice row, created (unsaved until flush) when missing."""
    row = session.exec(select(UserNotice).where(UserNotice.user_id == user_id)).first()
    if row is None:
        row = UserNotice(user_id=user_id)
        session.add(row)
    return row


def _is_family(actor: Actor) -> bool:
    return actor.parent_id is not None or actor.student_id is not None


def family_children(session: Session, actor: Actor) -> list[ChildContext]:
    """The children whose news the actor gets (a parent's children, a student's self)."""
    return [child_context(session, actor, c.student_id) for c in children_of(session, actor=actor)]


def collect_news(
    session: Session,
    actor: Actor,
    since: dt.datetime,
    *,
    today: dt.datetime | dt.date | None = None,
) -> list[NewsItem]:
    """Everything for the actor's family that appeared after `since`, newest first
    (internal: the caller has checked the actor; also used by the e-mails)."""
    kids = family_children(session, actor)
    items: list[NewsItem] = []
    by_id = {c.student_id: c for c in kids}
    if by_id:
        for mark, subject, work_type in session.exec(
            select(Mark, col(Subject.name), WorkType)
            .join(Lesson, col(Lesson.id) == Mark.lesson_id)
            .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
            .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
            .join(WorkType, col(WorkType.id) == Mark.work_type_id, isouter=True)
            .where(col(Mark.student_id).in_(list(by_id)), col(Mark.created_at) > since)
        ).all():
            kind = "" if work_type is None else f" ({work_type.name})"
            items.append(
                NewsItem(
                    kind="mark",
                    student_id=mark.student_id,
                    child_name=by_id[mark.student_id].student.first_name,
                    text=f"{subject}: {mark.value}{kind}",
                    at=_aware(mark.created_at) or since,
                )
            )
        for remark, subject in session.exec(
            select(DiaryRemark, col(Subject.name))
            .join(Subject, col(Subject.id) == DiaryRemark.subject_id, isouter=True)
            .where(
                col(DiaryRemark.student_id).in_(list(by_id)), col(DiaryRemark.created_at) > since
            )
        ).all():
            items.append(
                NewsItem(
                    kind="praise" if remark.kind == RemarkKind.PRAISE else "remark",
                    student_id=remark.student_id,
                    child_name=by_id[remark.student_id].student.first_name,
                    text=(f"{subject}: " if subject else "") + remark.text,
                    at=_aware(remark.created_at) or since,
                )
            )
        seen_announcements: set[int] = set()
        for ctx in kids:
            day = school_today(ctx.school, today)
            for a in announcements_between(session, ctx, actor, day, day + dt.timedelta(days=365)):
                row = session.get(Announcement, a.announcement_id)
                created = _aware(None if row is None else row.created_at)
                if created is None or created <= since or a.announcement_id in seen_announcements:
                    continue
                seen_announcements.add(a.announcement_id)
                items.append(
                    NewsItem(
                        kind="announcement",
                        student_id=ctx.student_id,
                        child_name=ctx.student.first_name if len(kids) > 1 else "",
                        text=a.title,
                        at=created,
                    )
                )
    if actor.can(Permission.MESSAGE_SEND):
        for t in threads(session, actor=actor):
            if t.unread:
                items.append(
                    NewsItem(
                        kind="message",
                        student_id=t.student_id,
                        child_name="",
                        text=f"{t.subject} — {', '.join(p for p in t.participants if p)}",
                        at=_aware(t.last_message_at) or since,
                        count=t.unread,
                    )
                )
    items.sort(key=lambda i: i.at, reverse=True)
    return items


def visit_news(session: Session, *, actor: Actor | None, now: dt.datetime | None = None) -> News:
    """What is new for a family since their last visit; opening the app is a visit.

    Staff (not working as a parent or student) have no «Новое»: an empty list.
    """
    actor = require_some(actor, Permission.DIARY_READ)
    if not _is_family(actor):
        return News(since=None, items=[])
    now = _aware(now) or utcnow()
    row = notice_row(session, actor.user_id)
    last = _aware(row.last_active_at)
    if last is None:
        row.seen_before = now - FIRST_VISIT_LOOKBACK
    elif now - last > VISIT_GAP:
        row.seen_before = last  # a new visit: new is what came after the previous one
    if last is None or now - last > ACTIVE_STEP:
        row.last_active_at = now
        session.add(row)
        session.flush()
    since = _aware(row.seen_before) or now
    return News(since=since, items=collect_news(session, actor, since, today=now))


def mark_all_seen(session: Session, *, actor: Actor | None, now: dt.datetime | None = None) -> News:
    """«Всё просмотрено»: nothing is new any more until something new appears."""
    actor = require_some(actor, Permission.DIARY_READ)
    now = _aware(now) or utcnow()
    row = notice_row(session, actor.user_id)
    row.seen_before = now
    row.last_active_at = now
    session.add(row)
    session.flush()
    return News(since=now, items=[])


# --------------------------------------------------------------------------- e-mail choices


@dataclass(frozen=True)
class NoticeChoices:
    email: str  # where the letters go ('' when the school has no address for the user)
    email_new: bool
    email_digest: bool


def user_email(session: Session, actor: Actor) -> str:
    """The address the school keeps for the user (parent card, student card)."""
    from ejournal.domain.models import Parent, Student

    if actor.parent_id is not None:
        parent = session.get(Parent, actor.parent_id)
        if parent is not None and parent.email:
            return parent.email
    if actor.student_id is not None:
        student = session.get(Student, actor.student_id)
        if student is not None and student.email:
            return student.email
    return ""


@read_only
def notice_choices(session: Session, *, actor: Actor | None) -> NoticeChoices:
    """The user's e-mail choices (both off until they turn them on)."""
    actor = require_some(actor, Permission.DIARY_READ)
    row = session.exec(select(UserNotice).where(UserNotice.user_id == actor.user_id)).first()
    return NoticeChoices(
        email=user_email(session, actor),
        email_new=bool(row and row.email_new),
        email_digest=bool(row and row.email_digest),
    )


def set_notice_choices(
    session: Session,
    *,
    actor: Actor | None,
    email_new: bool,
    email_digest: bool,
    now: dt.datetime | None = None,
) -> NoticeChoices:
    """Turn the e-mails about new items and the weekly digest on or off (audited).

    Turning on new-item e-mails starts from now: nothing older is mailed.
    """
    actor = require_some(actor, Permission.DIARY_READ)
    if not _is_family(actor):
        from ejournal.domain.errors import PermissionDenied

        raise PermissionDenied("Уведомления по почте настраивают родители и учащиеся.")
    from ejournal.domain.errors import ValidationError

    email = user_email(session, actor)
    if (email_new or email_digest) and not email:
        raise ValidationError(
            "В школе не записан ваш адрес электронной почты: попросите классного "
            "руководителя его добавить."
        )
    row = notice_row(session, actor.user_id)
    before, after = audit.changes(row, {"email_new": email_new, "email_digest": email_digest})
    if email_new and not row.email_new:
        row.notified_until = _aware(now) or utcnow()
    row.email_new, row.email_digest = email_new, email_digest
    session.add(row)
    session.flush()
    if after:
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.NOTICE_SETTINGS,
            entity=AuditEntity.USER,
            entity_id=actor.user_id,
            before=before,
            after=after,
        )
    return NoticeChoices(email=email, email_new=email_new, email_digest=email_digest)
