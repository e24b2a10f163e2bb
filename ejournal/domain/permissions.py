"""One permission vocabulary, one role × permission matrix, object scope; deny by default.

A permission is granted to a role with a *scope*: the objects it reaches. `require()` is
the one check every service calls; `Scope.ALL` reaches every object of the school.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_
from sqlmodel import Session, col, select

from ejournal.domain.errors import PermissionDenied
from ejournal.domain.models import (
    ClassGroup,
    Lesson,
    ParentLink,
    Role,
    Student,
    TeachingAssignment,
)


class Permission(StrEnum):
    JOURNAL_READ = "journal:read"
    MARK_WRITE = "journal:mark:write"  # marks and attendance in a lesson column
    LESSON_WRITE = "journal:lesson:write"  # topic, homework, work type, new lesson
    PERIOD_MARK_WRITE = "journal:period_mark:write"
    ATTENDANCE_EXCUSE = "journal:attendance:excuse"  # valid reasons
    REMARK_WRITE = "diary:remark:write"
    DIARY_READ = "diary:read"
    WEEK_CONFIRM = "diary:week:confirm"
    MESSAGE_SEND = "message:send"
    ANNOUNCEMENT_WRITE = "announcement:write"
    STUDENT_PERSONAL_READ = "student:personal:read"
    STUDENT_MANAGE = "student:manage"  # personal data, parents, subgroups
    CREDENTIALS_ISSUE = "credentials:issue"  # one-time passwords and slips
    USER_MANAGE = "user:manage"
    AUDIT_READ = "audit:read"
    ANALYTICS_READ = "analytics:read"
    TIMETABLE_MANAGE = "timetable:manage"
    SETTINGS_MANAGE = "settings:manage"
    BACKUP_MANAGE = "backup:manage"
    IMPORT_LISTS = "import:lists"
    KTP_APPROVE = "ktp:approve"  # the deputy reviews and approves teachers' КТП
    PERIOD_CLOSE = "period:close"  # seal a term of a class once its marks are set
    YEAR_OUTCOME_WRITE = "year:outcome:write"  # promotion decisions, exam and final marks
    YEAR_OUTCOME_APPROVE = "year:outcome:approve"  # the director, after the council
    YEAR_CLOSE = "year:close"  # archive a finished year and make it read-only
    OWN_ACCOUNT = "account:own"  # own password and sessions


class Scope(StrEnum):
    ALL = "all"  # every object of the school
    OWN_TEACHING = "own_teaching"  # own assignments and substituted lessons
    OWN_CLASS = "own_class"  # the class(es) the user is class teacher of
    OWN_CHILDREN = "own_children"  # linked children
    SELF = "self"  # the user's own record


_P = Permission
_S = Scope

#: role → permission → scope. Anything not listed is denied.
MATRIX: dict[Role, dict[Permission, Scope]] = {
    Role.ADMIN: {
        _P.USER_MANAGE: _S.ALL,
        _P.CREDENTIALS_ISSUE: _S.ALL,
        _P.STUDENT_MANAGE: _S.ALL,
        _P.AUDIT_READ: _S.ALL,
        _P.SETTINGS_MANAGE: _S.ALL,
        _P.BACKUP_MANAGE: _S.ALL,
        _P.IMPORT_LISTS: _S.ALL,
        _P.MESSAGE_SEND: _S.ALL,
        _P.OWN_ACCOUNT: _S.SELF,
    },
    Role.DIRECTOR: {
        _P.JOURNAL_READ: _S.ALL,
        _P.YEAR_OUTCOME_APPROVE: _S.ALL,
        _P.YEAR_CLOSE: _S.ALL,
        _P.DIARY_READ: _S.ALL,
        _P.STUDENT_PERSONAL_READ: _S.ALL,
        _P.AUDIT_READ: _S.ALL,
        _P.ANALYTICS_READ: _S.ALL,
        _P.SETTINGS_MANAGE: _S.ALL,
        _P.ANNOUNCEMENT_WRITE: _S.ALL,
        _P.MESSAGE_SEND: _S.ALL,
        _P.OWN_ACCOUNT: _S.SELF,
    },
    Role.DEPUTY: {
        _P.JOURNAL_READ: _S.ALL,
        _P.DIARY_READ: _S.ALL,
        _P.STUDENT_PERSONAL_READ: _S.ALL,
        _P.ANALYTICS_READ: _S.ALL,
        _P.SETTINGS_MANAGE: _S.ALL,
        _P.ANNOUNCEMENT_WRITE: _S.ALL,
        _P.TIMETABLE_MANAGE: _S.ALL,
        _P.KTP_APPROVE: _S.ALL,
        _P.PERIOD_CLOSE: _S.ALL,
        _P.YEAR_OUTCOME_WRITE: _S.ALL,
        _P.MESSAGE_SEND: _S.ALL,
        _P.OWN_ACCOUNT: _S.SELF,
    },
    Role.TEACHER: {
        _P.JOURNAL_READ: _S.OWN_TEACHING,
        _P.MARK_WRITE: _S.OWN_TEACHING,
        _P.LESSON_WRITE: _S.OWN_TEACHING,
        _P.PERIOD_MARK_WRITE: _S.OWN_TEACHING,
        _P.REMARK_WRITE: _S.OWN_TEACHING,
        _P.ANALYTICS_READ: _S.OWN_TEACHING,  # «Мои замечания»: own lessons' findings
        _P.STUDENT_PERSONAL_READ: _S.OWN_TEACHING,
        _P.MESSAGE_SEND: _S.OWN_TEACHING,  # the families of the classes they teach
        _P.OWN_ACCOUNT: _S.SELF,
    },
    Role.CLASS_TEACHER: {
        _P.JOURNAL_READ: _S.OWN_CLASS,
        _P.DIARY_READ: _S.OWN_CLASS,
        _P.ATTENDANCE_EXCUSE: _S.OWN_CLASS,
        _P.ANALYTICS_READ: _S.OWN_CLASS,  # the control figures of their class
        _P.REMARK_WRITE: _S.OWN_CLASS,
        _P.STUDENT_PERSONAL_READ: _S.OWN_CLASS,
        _P.STUDENT_MANAGE: _S.OWN_CLASS,
        _P.YEAR_OUTCOME_WRITE: _S.OWN_CLASS,
        _P.CREDENTIALS_ISSUE: _S.OWN_CLASS,
        _P.ANNOUNCEMENT_WRITE: _S.OWN_CLASS,
        _P.MESSAGE_SEND: _S.OWN_CLASS,
        _P.OWN_ACCOUNT: _S.SELF,
    },
    Role.SECRETARY: {
        _P.IMPORT_LISTS: _S.ALL,
        _P.STUDENT_MANAGE: _S.ALL,
        _P.STUDENT_PERSONAL_READ: _S.ALL,
        _P.OWN_ACCOUNT: _S.SELF,
    },
    Role.PARENT: {
        _P.DIARY_READ: _S.OWN_CHILDREN,
        _P.WEEK_CONFIRM: _S.OWN_CHILDREN,
        _P.MESSAGE_SEND: _S.OWN_CHILDREN,
        _P.OWN_ACCOUNT: _S.SELF,
    },
    Role.STUDENT: {
        _P.DIARY_READ: _S.SELF,
        _P.MESSAGE_SEND: _S.SELF,
        _P.OWN_ACCOUNT: _S.SELF,
    },
}

ROLE_TITLES: dict[Role, str] = {
    Role.ADMIN: "Администратор",
    Role.DIRECTOR: "Директор",
    Role.DEPUTY: "Заместитель директора по УВР",
    Role.TEACHER: "Учитель",
    Role.CLASS_TEACHER: "Классный руководитель",
    Role.SECRETARY: "Секретарь",
    Role.PARENT: "Родитель",
    Role.STUDENT: "Учащийся",
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: the user and what they are to the school."""

    user_id: int
    school_id: int
    roles: frozenset[Role]
    staff_id: int | None = None
    parent_id: int | None = None
    student_id: int | None = None
    class_teacher_of: frozenset[int] = field(default_factory=frozenset)
    # The role the user is working in now: it picks the home page and the navigation only;
    # permissions always come from all granted roles (a teacher who is also a parent keeps
    # both, each confined by its own scope).
    active_role: Role | None = None
    # Logged in with a one-time password: nothing but OWN_ACCOUNT until it is changed.
    must_change_password: bool = False

    def scopes(self, permission: Permission) -> set[Scope]:
        return {MATRIX[r][permission] for r in self.roles if permission in MATRIX.get(r, {})}

    def can(self, permission: Permission) -> bool:
        """True when some role grants `permission` on at least some objects."""
        return bool(self.scopes(permission))


@dataclass(frozen=True)
class Target:
    """The object an action touches, as far as the caller knows it."""

    assignment_id: int | None = None
    lesson_id: int | None = None
    class_id: int | None = None
    student_id: int | None = None


def _lesson_owner(session: Session, lesson_id: int) -> tuple[int, int | None, int] | None:
    row = session.exec(
        select(
            TeachingAssignment.teacher_id, Lesson.substitute_teacher_id, TeachingAssignment.class_id
        )
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)  # type: ignore[arg-type]
        .where(Lesson.id == lesson_id)
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def _assignment(session: Session, assignment_id: int) -> TeachingAssignment | None:
    return session.get(TeachingAssignment, assignment_id)


def _student_class(session: Session, student_id: int) -> int | None:
    student = session.get(Student, student_id)
    return None if student is None else student.class_id


def _school_of_class(session: Session, class_id: int) -> int | None:
    group = session.get(ClassGroup, class_id)
    return None if group is None else group.school_id


def _target_schools(session: Session, target: Target) -> set[int]:
    """The schools of every object the target names (unknown objects name none)."""
    schools: set[int] = set()
    class_ids: set[int] = set()
    if target.class_id is not None:
        class_ids.add(target.class_id)
    if target.student_id is not None:
        student = session.get(Student, target.student_id)
        if student is not None:
            schools.add(student.school_id)
    if target.assignment_id is not None:
        a = _assignment(session, target.assignment_id)
        if a is not None:
            class_ids.add(a.class_id)
    if target.lesson_id is not None:
        owner = _lesson_owner(session, target.lesson_id)
        if owner is not None:
            class_ids.add(owner[2])
    for class_id in class_ids:
        school = _school_of_class(session, class_id)
        if school is not None:
            schools.add(school)
    return schools


def _in_scope(session: Session, actor: Actor, scope: Scope, target: Target) -> bool:
    if scope is Scope.ALL:
        return True
    if scope is Scope.SELF:
        if target.student_id is not None:
            return actor.student_id is not None and target.student_id == actor.student_id
        return target == Target()
    if scope is Scope.OWN_CHILDREN:
        if actor.parent_id is None or target.student_id is None:
            return False
        link = session.exec(
            select(ParentLink.id).where(
                ParentLink.parent_id == actor.parent_id, ParentLink.student_id == target.student_id
            )
        ).first()
        return link is not None
    if scope is Scope.OWN_CLASS:
        class_id = target.class_id
        if class_id is None and target.assignment_id is not None:
            a = _assignment(session, target.assignment_id)
            class_id = None if a is None else a.class_id
        if class_id is None and target.lesson_id is not None:
            owner = _lesson_owner(session, target.lesson_id)
            class_id = None if owner is None else owner[2]
        if target.student_id is not None:
            student_class = _student_class(session, target.student_id)
            if class_id is not None and student_class != class_id:
                return False
            class_id = student_class
        return class_id is not None and class_id in actor.class_teacher_of
    if scope is Scope.OWN_TEACHING:
        if actor.staff_id is None:
            return False
        if target.lesson_id is not None:
            owner = _lesson_owner(session, target.lesson_id)
            if owner is None:
                return False
            teacher_id, substitute_id, _ = owner
            return actor.staff_id in (teacher_id, substitute_id)
        if target.assignment_id is not None:
            a = _assignment(session, target.assignment_id)
            return a is not None and a.teacher_id == actor.staff_id
        if target.student_id is not None or target.class_id is not None:
            class_id = target.class_id or _student_class(session, target.student_id or 0)
            if class_id is None:
                return False
            teaches = session.exec(
                select(TeachingAssignment.id).where(
                    TeachingAssignment.teacher_id == actor.staff_id,
                    TeachingAssignment.class_id == class_id,
                )
            ).first()
            return teaches is not None
        return False
    return False


def allowed(
    session: Session, actor: Actor, permission: Permission, target: Target | None = None
) -> bool:
    """True when `actor` may do `permission` on `target` (None: no particular object)."""
    target = target or Target()
    if actor.must_change_password and permission is not Permission.OWN_ACCOUNT:
        return False
    scopes = actor.scopes(permission)
    if not scopes:
        return False
    # Never across schools, whatever the scope: every object named must be the actor's school's.
    if _target_schools(session, target) - {actor.school_id}:
        return False
    return any(_in_scope(session, actor, scope, target) for scope in scopes)


def require_some(actor: Actor | None, permission: Permission) -> Actor:
    """For lists filtered to the actor's own objects: the actor holds `permission` on some
    (the list's query then keeps only those). Refused like `require` otherwise."""
    if actor is None:
        raise PermissionDenied("Войдите в систему.")
    if actor.must_change_password and permission is not Permission.OWN_ACCOUNT:
        raise PermissionDenied("Сначала смените одноразовый пароль.")
    if not actor.can(permission):
        raise PermissionDenied()
    return actor


def require(
    session: Session, actor: Actor | None, permission: Permission, target: Target | None = None
) -> Actor:
    """Return `actor` when allowed; otherwise raise PermissionDenied (deny by default)."""
    if actor is None:
        raise PermissionDenied("Войдите в систему.")
    if actor.must_change_password and permission is not Permission.OWN_ACCOUNT:
        raise PermissionDenied("Сначала смените одноразовый пароль.")
    if not allowed(session, actor, permission, target):
        raise PermissionDenied()
    return actor


def matrix_markdown() -> str:
    """The role × permission matrix as a Markdown table (for the README)."""
    roles = list(MATRIX)
    titles = {
        Scope.ALL: "все",
        Scope.OWN_TEACHING: "свои уроки",
        Scope.OWN_CLASS: "свой класс",
        Scope.OWN_CHILDREN: "свои дети",
        Scope.SELF: "только себя",
    }
    head = "| право | " + " | ".join(ROLE_TITLES[r] for r in roles) + " |"
    sep = "|---" * (len(roles) + 1) + "|"
    lines = [head, sep]
    for perm in Permission:
        cells = [titles[MATRIX[r][perm]] if perm in MATRIX[r] else "—" for r in roles]
        lines.append(f"| `{perm.value}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- scoped lists

#: The kinds of rows a list can be scoped over.
Scoped = type[TeachingAssignment] | type[ClassGroup] | type[Student]


def scope_clause(
    actor: Actor, permission: Permission, over: Scoped, *, only: set[Scope] | None = None
) -> ColumnElement[bool]:
    """The SQL condition keeping the rows of `over` (assignments, classes or students) that
    `actor` reaches with `permission`: own lessons, own class, own children, self or all —
    always within the actor's school. Every list query filters with it (as netbox's
    `restrict(user, action)`), so no State or page filters by scope itself. `only` keeps
    just those scopes (a family's own children, not the classes a parent also teaches).
    """
    if actor.must_change_password and permission is not Permission.OWN_ACCOUNT:
        return false()
    scopes = actor.scopes(permission)
    if only is not None:
        scopes &= only
    school_classes = select(ClassGroup.id).where(ClassGroup.school_id == actor.school_id)
    if over is TeachingAssignment:
        in_school: ColumnElement[bool] = col(TeachingAssignment.class_id).in_(school_classes)
        class_col: Any = TeachingAssignment.class_id
    elif over is ClassGroup:
        in_school = col(ClassGroup.school_id) == actor.school_id
        class_col = ClassGroup.id
    else:
        in_school = col(Student.school_id) == actor.school_id
        class_col = Student.class_id
    if Scope.ALL in scopes:
        return in_school
    ors: list[ColumnElement[bool]] = []
    if Scope.OWN_TEACHING in scopes and actor.staff_id is not None:
        substituted = select(Lesson.assignment_id).where(
            Lesson.substitute_teacher_id == actor.staff_id
        )
        if over is TeachingAssignment:
            ors.append(col(TeachingAssignment.teacher_id) == actor.staff_id)
            ors.append(col(TeachingAssignment.id).in_(substituted))
        else:
            taught = select(TeachingAssignment.class_id).where(
                or_(
                    col(TeachingAssignment.teacher_id) == actor.staff_id,
                    col(TeachingAssignment.id).in_(substituted),
                )
            )
            ors.append(col(class_col).in_(taught))
    if Scope.OWN_CLASS in scopes and actor.class_teacher_of:
        ors.append(col(class_col).in_(sorted(actor.class_teacher_of)))
    if Scope.OWN_CHILDREN in scopes and actor.parent_id is not None and over is Student:
        children = select(ParentLink.student_id).where(ParentLink.parent_id == actor.parent_id)
        ors.append(col(Student.id).in_(children))
    if Scope.SELF in scopes and actor.student_id is not None and over is Student:
        ors.append(col(Student.id) == actor.student_id)
    if not ors:
        return false()
    return and_(in_school, or_(*ors))
