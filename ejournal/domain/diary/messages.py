"""Messages: threads between a family and the staff around their child [002 §5.3–5.4].

A parent (or student) writes only to staff who teach the child, the class teacher and the
administration; staff write to the parents and the student of a child they teach or
manage. Only a thread's participants read it or reply. Unread counts are messages by
others newer than the participant's last read.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from ejournal.domain import permissions
from ejournal.domain.db import read_only
from ejournal.domain.diary.child import (
    ChildContext,
    child_assignments,
    child_context,
    load_child,
)
from ejournal.domain.errors import NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    Message,
    MessageThread,
    Parent,
    ParentLink,
    Role,
    RoleGrant,
    Staff,
    Student,
    SubgroupMember,
    Subject,
    TeachingAssignment,
    ThreadParticipant,
    utcnow,
)
from ejournal.domain.people.naming import full_name, group_name, short_name
from ejournal.domain.permissions import (
    ROLE_TITLES,
    Actor,
    Permission,
    Scope,
    Target,
    require_some,
    scope_clause,
)
from ejournal.domain.text_rules import TextField, clean_text

PREVIEW_CHARS = 120

NOT_YOUR_FAMILY = "Писать можно только семьям учеников, которых вы учите."

ADMINISTRATION = (Role.DIRECTOR, Role.DEPUTY, Role.ADMIN)


@dataclass(frozen=True)
class Recipient:
    user_id: int
    name: str
    detail: str  # "Математика, Физика", "Классный руководитель", "Директор", "мать"


@dataclass(frozen=True)
class ThreadSummary:
    thread_id: int
    subject: str
    student_id: int | None
    participants: list[str]
    last_message_at: dt.datetime
    preview: str
    unread: int


@dataclass(frozen=True)
class MessageView:
    message_id: int
    author_user_id: int
    author_name: str
    body: str
    created_at: dt.datetime
    mine: bool


@dataclass(frozen=True)
class ThreadView:
    thread_id: int
    subject: str
    student_id: int | None
    participants: list[str]
    messages: list[MessageView] = field(default_factory=list)


# --------------------------------------------------------------------------- who may write to whom


def _is_administration(actor: Actor) -> bool:
    return bool(actor.roles & set(ADMINISTRATION))


def _is_family(actor: Actor) -> bool:
    return actor.parent_id is not None or actor.student_id is not None


#: The scopes through which staff reach families (a teacher who is also a parent reaches
#: their own child as a parent, not through OWN_CHILDREN here).
STAFF_SCOPES = frozenset({Scope.ALL, Scope.OWN_TEACHING, Scope.OWN_CLASS})


def reached_students(actor: Actor) -> ColumnElement[bool]:
    """The SQL condition keeping the students whose families `actor` may write to as staff.

    The scope is `scope_clause(MESSAGE_SEND)`: the administration reaches every student, a
    class teacher their class, a teacher the classes of their own or substituted lessons
    (a substitute writes to the families of the class they stood in for). Within a taught
    class a subgroup's lessons reach that subgroup's students only [002 §5.3].
    """
    whole = scope_clause(
        actor, Permission.MESSAGE_SEND, Student, only=set(STAFF_SCOPES - {Scope.OWN_TEACHING})
    )
    taught = scope_clause(
        actor, Permission.MESSAGE_SEND, TeachingAssignment, only={Scope.OWN_TEACHING}
    )
    whole_classes = select(TeachingAssignment.class_id).where(
        taught, col(TeachingAssignment.subgroup_id).is_(None)
    )
    members = select(SubgroupMember.student_id).where(
        col(SubgroupMember.subgroup_id).in_(
            select(TeachingAssignment.subgroup_id).where(
                taught, col(TeachingAssignment.subgroup_id).is_not(None)
            )
        )
    )
    return or_(
        whole,
        col(Student.class_id).in_(whole_classes),
        col(Student.id).in_(members),
    )


def _staff_reaches_child(session: Session, actor: Actor, student_id: int) -> bool:
    """Staff write to a family only about a child they teach, lead as class teacher or manage."""
    found = session.exec(
        select(Student.id).where(Student.id == student_id, reached_students(actor))
    ).first()
    return found is not None


def _staff_recipients(session: Session, ctx: ChildContext) -> dict[int, Recipient]:
    """The child's teachers, class teacher and the school's administration, by user id."""
    details: dict[int, list[str]] = defaultdict(list)
    staff_users: dict[int, Staff] = {}
    assignments = child_assignments(session, ctx)
    subject_names = {
        s.id: s.name
        for s in session.exec(
            select(Subject).where(col(Subject.id).in_({a.subject_id for a in assignments} or {-1}))
        ).all()
    }
    teacher_subjects: dict[int, list[str]] = defaultdict(list)
    for a in sorted(assignments, key=lambda a: subject_names.get(a.subject_id, "")):
        teacher_subjects[a.teacher_id].append(subject_names.get(a.subject_id, ""))
    class_teacher_staff = None if ctx.class_group is None else ctx.class_group.class_teacher_id
    grants = session.exec(
        select(RoleGrant.user_id, RoleGrant.role).where(
            RoleGrant.school_id == ctx.student.school_id,
            or_(
                col(RoleGrant.role).in_([r.value for r in ADMINISTRATION]),
                (col(RoleGrant.role) == Role.CLASS_TEACHER.value)
                & (col(RoleGrant.class_id) == (ctx.student.class_id or -1)),
            ),
        )
    ).all()
    granted_users = {user_id for user_id, _ in grants}
    staff_ids = set(teacher_subjects) | ({class_teacher_staff} if class_teacher_staff else set())
    for s in session.exec(
        select(Staff).where(
            or_(
                col(Staff.id).in_(staff_ids or {-1}), col(Staff.user_id).in_(granted_users or {-1})
            ),
            col(Staff.is_active),
            col(Staff.user_id).is_not(None),
        )
    ).all():
        assert s.user_id is not None
        staff_users[s.user_id] = s
        if s.id == class_teacher_staff:
            details[s.user_id].append(ROLE_TITLES[Role.CLASS_TEACHER])
        details[s.user_id] += teacher_subjects.get(s.id or 0, [])
    for user_id, role in grants:
        if user_id in staff_users:
            title = ROLE_TITLES[Role(role)]
            if title not in details[user_id]:
                details[user_id].append(title)
    return {
        user_id: Recipient(
            user_id=user_id,
            name=full_name(s.last_name, s.first_name, s.middle_name),
            detail=", ".join(dict.fromkeys(d for d in details[user_id] if d)),
        )
        for user_id, s in staff_users.items()
    }


def _family_recipients(session: Session, ctx: ChildContext) -> dict[int, Recipient]:
    """The child's parents with accounts and the child's own account, by user id."""
    result: dict[int, Recipient] = {}
    for parent, link in session.exec(
        select(Parent, ParentLink)
        .join(ParentLink, col(ParentLink.parent_id) == Parent.id)
        .where(ParentLink.student_id == ctx.student_id, col(Parent.user_id).is_not(None))
    ).all():
        assert parent.user_id is not None
        result[parent.user_id] = Recipient(
            user_id=parent.user_id,
            name=full_name(parent.last_name, parent.first_name, parent.middle_name),
            detail=link.relation or ROLE_TITLES[Role.PARENT],
        )
    s = ctx.student
    if s.user_id is not None:
        result[s.user_id] = Recipient(
            user_id=s.user_id,
            name=full_name(s.last_name, s.first_name),
            detail=ROLE_TITLES[Role.STUDENT],
        )
    return result


def _own_child(session: Session, actor: Actor, student_id: int) -> bool:
    """The child is the actor themself or linked to them as a parent."""
    if actor.student_id is not None and actor.student_id == student_id:
        return True
    if actor.parent_id is None:
        return False
    link = session.exec(
        select(ParentLink.id).where(
            ParentLink.parent_id == actor.parent_id, ParentLink.student_id == student_id
        )
    ).first()
    return link is not None


def writes_as_family(actor: Actor) -> bool:
    """A parent or student now (they write about their own child; staff pick a class first).

    A teacher who is also a parent writes as a parent while working in the parent's role.
    """
    if actor.active_role in (Role.PARENT, Role.STUDENT):
        return True
    return _is_family(actor) and actor.staff_id is None


def _recipients(session: Session, actor: Actor, student_id: int) -> dict[int, Recipient]:
    # A teacher who is also a parent writes to staff about their own child only.
    if _is_family(actor) and (actor.staff_id is None or _own_child(session, actor, student_id)):
        found = _staff_recipients(
            session, load_child(session, actor, student_id, Permission.MESSAGE_SEND)
        )
    else:
        require_some(actor, Permission.MESSAGE_SEND)
        if not _staff_reaches_child(session, actor, student_id):
            raise PermissionDenied(NOT_YOUR_FAMILY)
        found = _family_recipients(session, child_context(session, actor, student_id))
    found.pop(actor.user_id, None)
    return found


@read_only
def allowed_recipients(
    session: Session, *, actor: Actor | None, student_id: int
) -> list[Recipient]:
    """Whom `actor` may write to about this child (a parent: the child's staff only)."""
    if actor is None:
        raise PermissionDenied("Войдите в систему.")
    return sorted(_recipients(session, actor, student_id).values(), key=lambda r: r.name)


# --------------------------------------------------------------------------- staff: whom to write to


@dataclass(frozen=True)
class Choice:
    value: int
    label: str


def _require_staff_writer(session: Session, actor: Actor | None) -> Actor:
    actor = require_some(actor, Permission.MESSAGE_SEND)
    if actor.staff_id is None and not _is_administration(actor):
        raise PermissionDenied("Новую переписку о классе начинают сотрудники школы.")
    return actor


def _class_scope(actor: Actor) -> ColumnElement[bool]:
    """The classes with at least one student whose family `actor` reaches as staff."""
    return scope_clause(actor, Permission.MESSAGE_SEND, ClassGroup, only=set(STAFF_SCOPES))


@read_only
def message_classes(session: Session, *, actor: Actor | None) -> list[Choice]:
    """Classes of the current year whose families a staff member may write to: those they
    teach (substituted lessons included) or lead; the administration: every class."""
    actor = _require_staff_writer(session, actor)
    groups = session.exec(
        select(ClassGroup)
        .join(AcademicYear, col(AcademicYear.id) == ClassGroup.year_id)
        .where(col(AcademicYear.is_current).is_(True), _class_scope(actor))
        .order_by(col(ClassGroup.grade), col(ClassGroup.letter))
    ).all()
    return [Choice(g.id or 0, group_name(g)) for g in groups]


@read_only
def message_students(session: Session, *, actor: Actor | None, class_id: int) -> list[Choice]:
    """The class's students whose families the actor may write to (a subgroup's teacher:
    that subgroup's students only); PermissionDenied for a class they neither teach nor lead."""
    actor = _require_staff_writer(session, actor)
    group = session.get(ClassGroup, class_id)
    if group is None or group.school_id != actor.school_id:
        raise NotFound("Класс не найден.")
    listed = session.exec(
        select(ClassGroup.id).where(ClassGroup.id == class_id, _class_scope(actor))
    )
    if listed.first() is None:
        raise PermissionDenied(NOT_YOUR_FAMILY)
    students = session.exec(
        select(Student)
        .where(Student.class_id == class_id, col(Student.is_active), reached_students(actor))
        .order_by(col(Student.last_name), col(Student.first_name))
    ).all()
    return [Choice(s.id or 0, full_name(s.last_name, s.first_name)) for s in students]


# --------------------------------------------------------------------------- writing


def _clean_body(body: str) -> str:
    body = clean_text(body, field=TextField.MESSAGE_BODY)
    if not body:
        raise ValidationError("Сообщение пустое: напишите текст.")
    return body


def start_thread(
    session: Session,
    *,
    actor: Actor | None,
    student_id: int,
    recipient_user_ids: Iterable[int],
    subject: str,
    body: str,
) -> ThreadView:
    """Open a thread about a child with some of the allowed recipients and its first message."""
    if actor is None:
        raise PermissionDenied("Войдите в систему.")
    allowed = _recipients(session, actor, student_id)
    wanted = list(dict.fromkeys(recipient_user_ids))
    if not wanted:
        raise ValidationError("Выберите получателя.")
    if any(user_id not in allowed for user_id in wanted):
        raise PermissionDenied("Этому адресату писать нельзя.")
    subject = clean_text(subject, field=TextField.MESSAGE_SUBJECT)
    if not subject:
        raise ValidationError("Укажите тему сообщения.")
    body = _clean_body(body)
    now = utcnow()
    thread = MessageThread(
        school_id=actor.school_id,
        subject=subject,
        student_id=student_id,
        created_by_id=actor.user_id,
        created_at=now,
        last_message_at=now,
    )
    session.add(thread)
    session.flush()
    assert thread.id is not None
    session.add(ThreadParticipant(thread_id=thread.id, user_id=actor.user_id, last_read_at=now))
    for user_id in wanted:
        session.add(ThreadParticipant(thread_id=thread.id, user_id=user_id))
    session.add(Message(thread_id=thread.id, author_id=actor.user_id, body=body, created_at=now))
    session.flush()
    return _thread_view(session, actor, thread)


def _participant(
    session: Session, actor: Actor | None, thread_id: int
) -> tuple[Actor, MessageThread, ThreadParticipant]:
    """The thread and the actor's place in it; PermissionDenied for anyone else."""
    actor = require_some(actor, Permission.MESSAGE_SEND)
    thread = session.get(MessageThread, thread_id)
    if thread is None or thread.school_id != actor.school_id:
        raise NotFound("Переписка не найдена.")
    me = session.exec(
        select(ThreadParticipant).where(
            ThreadParticipant.thread_id == thread_id, ThreadParticipant.user_id == actor.user_id
        )
    ).first()
    if me is None:  # answered like a thread that does not exist: ids cannot be probed
        raise NotFound("Переписка не найдена.")
    # A parent whose link to the child was removed no longer reaches the thread.
    target = Target(student_id=thread.student_id) if thread.student_id is not None else None
    if _is_family(actor):
        permissions.require(session, actor, Permission.MESSAGE_SEND, target)
    return actor, thread, me


def reply(session: Session, *, actor: Actor | None, thread_id: int, body: str) -> MessageView:
    """Add a message to a thread the actor takes part in."""
    actor, thread, me = _participant(session, actor, thread_id)
    body = _clean_body(body)
    now = utcnow()
    message = Message(thread_id=thread_id, author_id=actor.user_id, body=body, created_at=now)
    session.add(message)
    thread.last_message_at = now
    me.last_read_at = now
    session.add(thread)
    session.add(me)
    session.flush()
    return MessageView(
        message_id=message.id or 0,
        author_user_id=actor.user_id,
        author_name=_names(session, [actor.user_id]).get(actor.user_id, ""),
        body=body,
        created_at=now,
        mine=True,
    )


# --------------------------------------------------------------------------- reading


def _names(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """Display names of users (staff: «Иванова М. П.», families: full first and last name)."""
    ids = set(user_ids) or {-1}
    names: dict[int, str] = {}
    for s in session.exec(select(Staff).where(col(Staff.user_id).in_(ids))).all():
        names[s.user_id or 0] = short_name(s.last_name, s.first_name, s.middle_name)
    for p in session.exec(select(Parent).where(col(Parent.user_id).in_(ids))).all():
        names[p.user_id or 0] = full_name(p.last_name, p.first_name, p.middle_name)
    for st in session.exec(select(Student).where(col(Student.user_id).in_(ids))).all():
        names[st.user_id or 0] = full_name(st.last_name, st.first_name)
    return names


def _thread_view(session: Session, actor: Actor, thread: MessageThread) -> ThreadView:
    assert thread.id is not None
    messages = session.exec(
        select(Message)
        .where(Message.thread_id == thread.id)
        .order_by(col(Message.created_at), col(Message.id))
    ).all()
    members = session.exec(
        select(ThreadParticipant.user_id).where(ThreadParticipant.thread_id == thread.id)
    ).all()
    names = _names(session, [*members, *(m.author_id for m in messages)])
    return ThreadView(
        thread_id=thread.id,
        subject=thread.subject,
        student_id=thread.student_id,
        participants=sorted(names.get(u, "") for u in members if u != actor.user_id),
        messages=[
            MessageView(
                message_id=m.id or 0,
                author_user_id=m.author_id,
                author_name=names.get(m.author_id, ""),
                body=m.body,
                created_at=m.created_at,
                mine=m.author_id == actor.user_id,
            )
            for m in messages
        ],
    )


def read_thread(session: Session, *, actor: Actor | None, thread_id: int) -> ThreadView:
    """The thread's messages, oldest first; marks them read for the actor."""
    actor, thread, me = _participant(session, actor, thread_id)
    view = _thread_view(session, actor, thread)
    latest = max((m.created_at for m in view.messages), default=None)
    now = utcnow()
    me.last_read_at = max(now, latest) if latest is not None else now
    session.add(me)
    return view


def _require_messaging(actor: Actor | None) -> Actor:
    return require_some(actor, Permission.MESSAGE_SEND)


def _unread_by_thread(session: Session, actor: Actor) -> dict[int, int]:
    rows = session.exec(
        select(Message.thread_id, func.count(col(Message.id)))
        .join(
            ThreadParticipant,
            (col(ThreadParticipant.thread_id) == Message.thread_id)
            & (col(ThreadParticipant.user_id) == actor.user_id),
        )
        .where(
            Message.author_id != actor.user_id,
            or_(
                col(ThreadParticipant.last_read_at).is_(None),
                col(Message.created_at) > col(ThreadParticipant.last_read_at),
            ),
        )
        .group_by(col(Message.thread_id))
    ).all()
    return {thread_id: count for thread_id, count in rows}


@read_only
def threads(session: Session, *, actor: Actor | None) -> list[ThreadSummary]:
    """The actor's threads, latest activity first, with unread counts."""
    actor = _require_messaging(actor)
    mine = session.exec(
        select(MessageThread)
        .join(ThreadParticipant, col(ThreadParticipant.thread_id) == MessageThread.id)
        .where(
            ThreadParticipant.user_id == actor.user_id, MessageThread.school_id == actor.school_id
        )
        .order_by(col(MessageThread.last_message_at).desc(), col(MessageThread.id).desc())
    ).all()
    if not mine:
        return []
    ids = [t.id for t in mine]
    unread = _unread_by_thread(session, actor)
    members: dict[int, list[int]] = defaultdict(list)
    for thread_id, user_id in session.exec(
        select(ThreadParticipant.thread_id, ThreadParticipant.user_id).where(
            col(ThreadParticipant.thread_id).in_(ids)
        )
    ).all():
        members[thread_id].append(user_id)
    newest = (
        select(func.max(col(Message.id)))
        .where(col(Message.thread_id).in_(ids))
        .group_by(col(Message.thread_id))
    )
    last = {
        m.thread_id: m
        for m in session.exec(select(Message).where(col(Message.id).in_(newest))).all()
    }
    names = _names(session, {u for us in members.values() for u in us})
    result = []
    for t in mine:
        assert t.id is not None
        latest = last.get(t.id)
        preview = "" if latest is None else latest.body
        if len(preview) > PREVIEW_CHARS:
            preview = preview[: PREVIEW_CHARS - 1] + "…"
        result.append(
            ThreadSummary(
                thread_id=t.id,
                subject=t.subject,
                student_id=t.student_id,
                participants=sorted(names.get(u, "") for u in members[t.id] if u != actor.user_id),
                last_message_at=t.last_message_at,
                preview=preview,
                unread=unread.get(t.id, 0),
            )
        )
    return result


@read_only
def unread_count(session: Session, *, actor: Actor | None) -> int:
    """How many messages by others the actor has not read yet, over all threads."""
    actor = _require_messaging(actor)
    return sum(_unread_by_thread(session, actor).values())
