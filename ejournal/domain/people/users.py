"""Administration of accounts: search, create, block, reset, roles, parent links.

Every function checks its permission and writes an audit row in the caller's transaction
(`db.run_transaction` commits it). Passwords never reach the audit log. One-time passwords are random
(≈57 bits) and must be changed at first login; they are hashed at the cheaper
`settings.seed_bcrypt_rounds` so that printing a class's slips stays fast, and login
re-hashes them at full cost.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from ejournal.config import get_settings
from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import (
    ClassGroup,
    Gender,
    Parent,
    ParentLink,
    Role,
    RoleGrant,
    Staff,
    Student,
    User,
    utcnow,
)
from ejournal.domain.people import consent
from ejournal.domain.people.auth import FAMILY_ROLES, STAFF_ROLES, end_all_sessions
from ejournal.domain.people.naming import full_name
from ejournal.domain.people.passwords import hash_password, one_time_password
from ejournal.domain.permissions import ROLE_TITLES, Actor, Permission, Target, allowed, require
from ejournal.domain.text_rules import TextField, clean_text

# ГОСТ Р 52535.1-2006 (the transliteration of Russian passports), lower case.
_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu",
    "я": "ia",
}  # fmt: skip
_LOGIN_JUNK = re.compile(r"[^a-z0-9-]+")
MAX_LOGIN = TextField.LOGIN.limit

#: What the audit keeps of a role grant and of a parent–child link.
GRANT_FIELDS = ("role", "class_id")
LINK_FIELDS = ("parent_id", "student_id", "relation")


@dataclass(frozen=True)
class IssuedCredentials:
    """What goes on a slip: shown once, never stored in clear."""

    login: str
    one_time_password: str
    user_id: int


@dataclass(frozen=True)
class UserRow:
    """One line of the users page."""

    user_id: int
    login: str
    full_name: str
    kind: str  # "staff", "parent", "student" or "" (an account without a person)
    person_id: int | None
    roles: tuple[Role, ...]
    role_titles: str  # "Учитель, Классный руководитель"
    class_teacher_of: tuple[int, ...]
    is_active: bool
    is_locked: bool
    must_change_password: bool
    last_login_at: dt.datetime | None


# --------------------------------------------------------------------------- helpers


def transliterate(text: str) -> str:
    """Russian letters → Latin (ГОСТ Р 52535.1-2006); other letters are kept as they are."""
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())


def login_base(last_name: str, first_name: str, middle_name: str = "") -> str:
    """Иванова Анна Петровна → ivanova.ap (before numbering on a clash)."""
    surname = _LOGIN_JUNK.sub("", transliterate(last_name.strip())).strip("-") or "user"
    initials = "".join(
        _LOGIN_JUNK.sub("", transliterate(n.strip()))[:1] for n in (first_name, middle_name)
    )
    base = f"{surname}.{initials}" if initials else surname
    return base[: MAX_LOGIN - 4]


def free_login(session: Session, base: str) -> str:
    """`base`, or `base2`, `base3` … whichever is not taken yet."""
    taken = set(session.exec(select(User.login).where(col(User.login).startswith(base))).all())
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def _fold(text: str) -> str:
    """Case- and ё-insensitive form for search (SQLite's lower() knows only ASCII)."""
    return text.casefold().replace("ё", "е")


def _clean_name(value: str, field: TextField, *, missing: str = "") -> str:
    """A name part cleaned by the text rules; `missing` refuses an empty one."""
    value = clean_text(value, field=field)
    if missing and not value:
        raise ValidationError(missing)
    return value


def _one_time_credentials() -> tuple[str, str]:
    settings = get_settings()
    password = one_time_password()
    rounds = min(settings.seed_bcrypt_rounds, settings.bcrypt_rounds)
    return password, hash_password(password, rounds)


def _audit_account_created(
    session: Session, *, actor: Actor, user: User, person: Staff | Student | Parent
) -> None:
    """The audit row of a new account: its login, whose it is and the person's name."""
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.USER_CREATE,
        entity=AuditEntity.USER,
        entity_id=user.id,
        after={
            "login": user.login,
            f"{person.__tablename__}_id": person.id,
            "name": full_name(person.last_name, person.first_name, person.middle_name),
        },
    )


def _new_user(session: Session, base: str) -> tuple[User, str]:
    password, password_hash = _one_time_credentials()
    user = User(
        login=free_login(session, base),
        password_hash=password_hash,
        must_change_password=True,
    )
    session.add(user)
    session.flush()
    return user, password


def _grant(
    session: Session, *, actor: Actor, user_id: int, role: Role, class_id: int | None = None
) -> RoleGrant:
    grant = RoleGrant(user_id=user_id, school_id=actor.school_id, role=role, class_id=class_id)
    session.add(grant)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.ROLE_GRANT,
        entity=AuditEntity.USER,
        entity_id=user_id,
        after=audit.snapshot(grant, GRANT_FIELDS),
    )
    return grant


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Пользователь не найден.")
    return user


def person_of(session: Session, user_id: int) -> Staff | Parent | Student | None:
    """The staff, parent or student record behind an account, if any."""
    staff = session.exec(select(Staff).where(Staff.user_id == user_id)).first()
    if staff is not None:
        return staff
    parent = session.exec(select(Parent).where(Parent.user_id == user_id)).first()
    if parent is not None:
        return parent
    return session.exec(select(Student).where(Student.user_id == user_id)).first()


def _user_school(session: Session, user_id: int) -> int | None:
    person = person_of(session, user_id)
    if person is not None:
        return person.school_id
    grant = session.exec(select(RoleGrant.school_id).where(RoleGrant.user_id == user_id)).first()
    return grant


def _require_same_school(session: Session, actor: Actor, user_id: int) -> User:
    user = _user(session, user_id)
    if _user_school(session, user_id) not in (None, actor.school_id):
        raise PermissionDenied()
    return user


def _class_in_school(session: Session, actor: Actor, class_id: int) -> ClassGroup:
    group = session.get(ClassGroup, class_id)
    if group is None:
        raise NotFound("Класс не найден.")
    if group.school_id != actor.school_id:
        raise PermissionDenied()
    return group


def require_credentials_for(session: Session, actor: Actor, user_id: int) -> User:
    """May `actor` issue credentials to `user_id`? Admin: anyone of the school; class
    teacher: students of their class and the parents of those students."""
    user = _require_same_school(session, actor, user_id)
    person = person_of(session, user_id)
    targets: list[Target] = [Target()]
    if isinstance(person, Student) and person.id is not None:
        targets = [Target(student_id=person.id)]
    elif isinstance(person, Parent) and person.id is not None:
        children = session.exec(
            select(ParentLink.student_id).where(ParentLink.parent_id == person.id)
        ).all()
        targets = [Target(), *(Target(student_id=c) for c in children)]
    if not any(allowed(session, actor, Permission.CREDENTIALS_ISSUE, t) for t in targets):
        raise PermissionDenied()
    return user


def _active_admins(session: Session, school_id: int) -> set[int]:
    rows = session.exec(
        select(RoleGrant.user_id)
        .join(User, col(User.id) == RoleGrant.user_id)
        .where(
            RoleGrant.role == Role.ADMIN,
            RoleGrant.school_id == school_id,
            col(User.is_active).is_(True),
        )
    ).all()
    return set(rows)


# --------------------------------------------------------------------------- reading


def _school_people(session: Session, school_id: int) -> list[tuple[str, Staff | Parent | Student]]:
    """Every person of the school who has an account, with their kind."""
    has_account = col(Staff.user_id).is_not(None)
    staff = session.exec(select(Staff).where(Staff.school_id == school_id, has_account)).all()
    has_account = col(Parent.user_id).is_not(None)
    parents = session.exec(select(Parent).where(Parent.school_id == school_id, has_account)).all()
    has_account = col(Student.user_id).is_not(None)
    students = session.exec(
        select(Student).where(Student.school_id == school_id, has_account)
    ).all()
    return [
        *(("staff", p) for p in staff),
        *(("parent", p) for p in parents),
        *(("student", p) for p in students),
    ]


@read_only
def search_users(
    session: Session,
    *,
    actor: Actor,
    query: str = "",
    role: Role | None = None,
    limit: int = 50,
) -> list[UserRow]:
    """Accounts of the school whose name or login contains every word of `query`."""
    require(session, actor, Permission.USER_MANAGE)
    people: dict[int, tuple[str, str, int | None]] = {}
    for kind, p in _school_people(session, actor.school_id):
        if p.user_id is not None and p.user_id not in people:
            people[p.user_id] = (kind, full_name(p.last_name, p.first_name, p.middle_name), p.id)
    grants: dict[int, list[RoleGrant]] = {}
    for g in session.exec(select(RoleGrant).where(RoleGrant.school_id == actor.school_id)).all():
        grants.setdefault(g.user_id, []).append(g)
    user_ids = set(people) | set(grants)
    users = {
        u.id: u
        for u in session.exec(select(User).where(col(User.id).in_(user_ids))).all()
        if u.id is not None
    }
    words = [_fold(w) for w in query.split()]
    now = utcnow()
    result: list[UserRow] = []
    for user_id in sorted(users, key=lambda i: _fold(people.get(i, ("", "", None))[1])):
        user = users[user_id]
        kind, name, person_id = people.get(user_id, ("", "", None))
        user_grants = grants.get(user_id, [])
        roles = tuple(sorted({Role(g.role) for g in user_grants}, key=list(Role).index))
        if role is not None and Role(role) not in roles:
            continue
        haystack = _fold(f"{name} {user.login}")
        if not all(w in haystack for w in words):
            continue
        result.append(
            UserRow(
                user_id=user_id,
                login=user.login,
                full_name=name or user.login,
                kind=kind,
                person_id=person_id,
                roles=roles,
                role_titles=", ".join(ROLE_TITLES[r] for r in roles),
                class_teacher_of=tuple(
                    sorted(g.class_id for g in user_grants if g.class_id is not None)
                ),
                is_active=user.is_active,
                is_locked=user.locked_until is not None and user.locked_until > now,
                must_change_password=user.must_change_password,
                last_login_at=user.last_login_at,
            )
        )
        if len(result) >= limit:
            break
    return result


# --------------------------------------------------------------------------- creating


def create_staff_user(
    session: Session,
    *,
    actor: Actor,
    last_name: str,
    first_name: str,
    middle_name: str,
    roles: Iterable[Role],
    class_id: int | None = None,
    position: str = "",
) -> IssuedCredentials:
    """A staff member with an account, the given roles and a one-time password."""
    require(session, actor, Permission.USER_MANAGE)
    last_name = _clean_name(last_name, TextField.LAST_NAME, missing="Укажите фамилию.")
    first_name = _clean_name(first_name, TextField.FIRST_NAME, missing="Укажите имя.")
    middle_name = _clean_name(middle_name, TextField.MIDDLE_NAME)
    position = clean_text(position, field=TextField.POSITION)
    wanted = {Role(r) for r in roles}
    if not wanted:
        raise ValidationError("Назначьте сотруднику хотя бы одну роль.")
    if wanted - STAFF_ROLES:
        raise ValidationError("Роли родителя и учащегося не назначаются сотруднику.")
    if (Role.CLASS_TEACHER in wanted) != (class_id is not None):
        raise ValidationError("Классному руководителю укажите класс (и только ему).")
    if class_id is not None:
        _class_in_school(session, actor, class_id)
    user, password = _new_user(session, login_base(last_name, first_name, middle_name))
    assert user.id is not None
    staff = Staff(
        school_id=actor.school_id,
        user_id=user.id,
        last_name=last_name,
        first_name=first_name,
        middle_name=middle_name,
        position=position,
    )
    session.add(staff)
    session.flush()
    _audit_account_created(session, actor=actor, user=user, person=staff)
    for role in sorted(wanted, key=list(Role).index):
        if role is Role.CLASS_TEACHER:
            assert class_id is not None
            _set_class_teacher(
                session, actor=actor, user_id=user.id, staff=staff, class_id=class_id
            )
        else:
            _grant(session, actor=actor, user_id=user.id, role=role)
    return IssuedCredentials(user.login, password, user.id)


def create_student(
    session: Session,
    *,
    actor: Actor,
    last_name: str,
    first_name: str,
    middle_name: str,
    class_id: int,
    gender: Gender | str,
    birth_date: dt.date,
) -> IssuedCredentials:
    """A student of `class_id` with an account (class teacher of that class, or admin)."""
    require(session, actor, Permission.STUDENT_MANAGE, Target(class_id=class_id))
    require(session, actor, Permission.CREDENTIALS_ISSUE, Target(class_id=class_id))
    _class_in_school(session, actor, class_id)
    last_name = _clean_name(last_name, TextField.LAST_NAME, missing="Укажите фамилию.")
    first_name = _clean_name(first_name, TextField.FIRST_NAME, missing="Укажите имя.")
    middle_name = _clean_name(middle_name, TextField.MIDDLE_NAME)
    try:
        gender = Gender(gender)
    except ValueError:
        raise ValidationError("Укажите пол: «м» или «ж».") from None
    student = Student(
        school_id=actor.school_id,
        last_name=last_name,
        first_name=first_name,
        middle_name=middle_name,
        gender=gender.value,
        birth_date=birth_date,
        class_id=class_id,
    )
    session.add(student)
    session.flush()
    assert student.id is not None
    credentials = open_account_unchecked(session, actor=actor, person=student, role=Role.STUDENT)
    return credentials


def create_parent(
    session: Session,
    *,
    actor: Actor,
    last_name: str,
    first_name: str,
    middle_name: str,
    student_ids: Sequence[int] = (),
    relation: str = "",
    phone: str = "",
    email: str = "",
) -> IssuedCredentials:
    """A parent with an account, linked to `student_ids` (the class teacher of each
    child, or the admin; a parent with no child yet: the admin only)."""
    if student_ids:
        for sid in student_ids:
            require(session, actor, Permission.STUDENT_MANAGE, Target(student_id=sid))
            require(session, actor, Permission.CREDENTIALS_ISSUE, Target(student_id=sid))
            if session.get(Student, sid) is None:
                raise NotFound("Учащийся не найден.")
            if consent.family_refused(session, sid):
                raise ValidationError(consent.ACCOUNT_REFUSED)
    else:
        require(session, actor, Permission.USER_MANAGE)
    last_name = _clean_name(last_name, TextField.LAST_NAME, missing="Укажите фамилию.")
    first_name = _clean_name(first_name, TextField.FIRST_NAME, missing="Укажите имя.")
    middle_name = _clean_name(middle_name, TextField.MIDDLE_NAME)
    relation = clean_text(relation, field=TextField.RELATION)
    phone = clean_text(phone, field=TextField.PHONE)
    email = clean_text(email, field=TextField.EMAIL)
    parent = Parent(
        school_id=actor.school_id,
        last_name=last_name,
        first_name=first_name,
        middle_name=middle_name,
        phone=phone,
        email=email,
    )
    session.add(parent)
    session.flush()
    assert parent.id is not None
    credentials = open_account_unchecked(session, actor=actor, person=parent, role=Role.PARENT)
    for sid in dict.fromkeys(student_ids):
        _link(session, actor=actor, parent_id=parent.id, student_id=sid, relation=relation)
    return credentials


def open_account_unchecked(
    session: Session, *, actor: Actor, person: Student | Parent | Staff, role: Role
) -> IssuedCredentials:
    """Give an existing person record an account with a one-time password."""
    if person.user_id is not None:
        raise ValidationError("У этого человека уже есть учётная запись.")
    user, password = _new_user(
        session, login_base(person.last_name, person.first_name, person.middle_name)
    )
    assert user.id is not None
    person.user_id = user.id
    session.add(person)
    session.flush()
    _audit_account_created(session, actor=actor, user=user, person=person)
    _grant(session, actor=actor, user_id=user.id, role=role)
    return IssuedCredentials(user.login, password, user.id)


def open_student_account(session: Session, *, actor: Actor, student_id: int) -> IssuedCredentials:
    """An account for a student already on the roll (imported lists); never for a family
    that refused consent to personal-data processing (`consent`)."""
    require(session, actor, Permission.CREDENTIALS_ISSUE, Target(student_id=student_id))
    student = session.get(Student, student_id)
    if student is None:
        raise NotFound("Учащийся не найден.")
    if consent.family_refused(session, student_id):
        raise ValidationError(consent.ACCOUNT_REFUSED)
    credentials = open_account_unchecked(session, actor=actor, person=student, role=Role.STUDENT)
    return credentials


def open_parent_account(session: Session, *, actor: Actor, parent_id: int) -> IssuedCredentials:
    """An account for a parent already known (the admin, or a class teacher of a child);
    never for a parent of a family that refused consent (`consent`)."""
    parent = session.get(Parent, parent_id)
    if parent is None:
        raise NotFound("Родитель не найден.")
    children = session.exec(
        select(ParentLink.student_id).where(ParentLink.parent_id == parent_id)
    ).all()
    if (
        not any(
            allowed(session, actor, Permission.CREDENTIALS_ISSUE, t)
            for t in [Target(), *(Target(student_id=c) for c in children)]
        )
        or parent.school_id != actor.school_id
    ):
        raise PermissionDenied()
    if consent.parent_family_refused(session, parent_id):
        raise ValidationError(consent.ACCOUNT_REFUSED)
    credentials = open_account_unchecked(session, actor=actor, person=parent, role=Role.PARENT)
    return credentials


# --------------------------------------------------------------------------- changing


def set_active(session: Session, *, actor: Actor, user_id: int, active: bool) -> None:
    """Block or unblock an account; blocking ends all its sessions at once."""
    require(session, actor, Permission.USER_MANAGE)
    user = _require_same_school(session, actor, user_id)
    if user.is_active == active:
        return
    if not active:
        if user_id == actor.user_id:
            raise ValidationError("Нельзя заблокировать свою учётную запись.")
        if _active_admins(session, actor.school_id) == {user_id}:
            raise ValidationError("Нельзя заблокировать последнего администратора.")
    now = utcnow()
    user.is_active = active
    session.add(user)
    ended = 0 if active else end_all_sessions(session, user_id, now=now)
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.USER_UNBLOCK if active else AuditAction.USER_BLOCK,
        entity=AuditEntity.USER,
        entity_id=user_id,
        before={"is_active": not active},
        after={"is_active": active, "sessions_ended": ended},
        at=now,
    )


def reset_password(session: Session, *, actor: Actor, user_id: int) -> IssuedCredentials:
    """A fresh one-time password; clears a lock, ends the user's sessions."""
    user = require_credentials_for(session, actor, user_id)
    credentials = reset_unchecked(session, actor=actor, user=user)
    return credentials


def reset_unchecked(session: Session, *, actor: Actor, user: User) -> IssuedCredentials:
    """Reset without a permission check (the caller did the check)."""
    assert user.id is not None
    now = utcnow()
    password, password_hash = _one_time_credentials()
    before = {
        "must_change_password": user.must_change_password,
        "failed_logins": user.failed_logins,
        "locked": user.locked_until is not None and user.locked_until > now,
    }
    user.password_hash = password_hash
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    ended = end_all_sessions(session, user.id, now=now)
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.PASSWORD_RESET,
        entity=AuditEntity.USER,
        entity_id=user.id,
        before=before,
        after={"must_change_password": True, "failed_logins": 0, "sessions_ended": ended},
        at=now,
    )
    return IssuedCredentials(user.login, password, user.id)


def _set_class_teacher(
    session: Session, *, actor: Actor, user_id: int, staff: Staff, class_id: int
) -> None:
    """Make `staff` the class teacher of `class_id`; a previous one loses that grant."""
    group = _class_in_school(session, actor, class_id)
    previous = session.exec(
        select(RoleGrant).where(
            RoleGrant.role == Role.CLASS_TEACHER,
            RoleGrant.class_id == class_id,
            RoleGrant.user_id != user_id,
        )
    ).all()
    for grant in previous:
        _revoke(session, actor=actor, grant=grant)
    _grant(session, actor=actor, user_id=user_id, role=Role.CLASS_TEACHER, class_id=class_id)
    before, after = audit.changes(group, {"class_teacher_id": staff.id})
    if after:
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.CLASS_UPDATE,
            entity=AuditEntity.CLASS_GROUP,
            entity_id=class_id,
            before=before,
            after=after,
        )
        group.class_teacher_id = staff.id
        session.add(group)


def _revoke(session: Session, *, actor: Actor, grant: RoleGrant) -> None:
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.ROLE_REVOKE,
        entity=AuditEntity.USER,
        entity_id=grant.user_id,
        before=audit.snapshot(grant, GRANT_FIELDS),
    )
    if grant.role == Role.CLASS_TEACHER and grant.class_id is not None:
        group = session.get(ClassGroup, grant.class_id)
        staff = session.exec(select(Staff).where(Staff.user_id == grant.user_id)).first()
        if group is not None and staff is not None and group.class_teacher_id == staff.id:
            before, after = audit.changes(group, {"class_teacher_id": None})
            audit.record(
                session,
                actor_id=actor.user_id,
                action=AuditAction.CLASS_UPDATE,
                entity=AuditEntity.CLASS_GROUP,
                entity_id=group.id,
                before=before,
                after=after,
            )
            group.class_teacher_id = None
            session.add(group)
    session.delete(grant)
    session.flush()


def grant_role(
    session: Session, *, actor: Actor, user_id: int, role: Role, class_id: int | None = None
) -> None:
    """Give a staff member a role (class teacher: of `class_id`)."""
    require(session, actor, Permission.USER_MANAGE)
    _require_same_school(session, actor, user_id)
    role = Role(role)
    if role in FAMILY_ROLES:
        raise ValidationError(
            "Роли родителя и учащегося назначаются при создании их учётных записей."
        )
    staff = session.exec(select(Staff).where(Staff.user_id == user_id)).first()
    if staff is None:
        raise ValidationError("Эта учётная запись не принадлежит сотруднику.")
    if (role is Role.CLASS_TEACHER) != (class_id is not None):
        raise ValidationError("Класс указывается только для классного руководителя.")
    existing = session.exec(
        select(RoleGrant.id).where(
            RoleGrant.user_id == user_id,
            RoleGrant.role == role,
            RoleGrant.class_id == class_id
            if class_id is not None
            else col(RoleGrant.class_id).is_(None),
        )
    ).first()
    if existing is not None:
        raise ValidationError("Эта роль уже назначена.")
    if role is Role.CLASS_TEACHER:
        assert class_id is not None
        _set_class_teacher(session, actor=actor, user_id=user_id, staff=staff, class_id=class_id)
    else:
        _grant(session, actor=actor, user_id=user_id, role=role)


def revoke_role(
    session: Session, *, actor: Actor, user_id: int, role: Role, class_id: int | None = None
) -> None:
    """Take a role away (class teacher: of `class_id`); the last admin keeps theirs."""
    require(session, actor, Permission.USER_MANAGE)
    _require_same_school(session, actor, user_id)
    role = Role(role)
    stmt = select(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.role == role)
    if class_id is not None:
        stmt = stmt.where(RoleGrant.class_id == class_id)
    grants = session.exec(stmt).all()
    if not grants:
        raise NotFound("Такой роли у пользователя нет.")
    if role is Role.ADMIN and _active_admins(session, actor.school_id) <= {user_id}:
        raise ValidationError("Нельзя снять роль с последнего администратора.")
    for grant in grants:
        _revoke(session, actor=actor, grant=grant)


# --------------------------------------------------------------------------- parents


def _link(
    session: Session, *, actor: Actor, parent_id: int, student_id: int, relation: str
) -> None:
    """Write the link; `relation` is already cleaned by the caller."""
    parent = session.get(Parent, parent_id)
    student = session.get(Student, student_id)
    if parent is None or student is None:
        raise NotFound("Родитель или учащийся не найден.")
    if parent.school_id != actor.school_id or student.school_id != actor.school_id:
        raise PermissionDenied()
    exists = session.exec(
        select(ParentLink.id).where(
            ParentLink.parent_id == parent_id, ParentLink.student_id == student_id
        )
    ).first()
    if exists is not None:
        raise ValidationError("Этот родитель уже связан с этим учащимся.")
    link = ParentLink(parent_id=parent_id, student_id=student_id, relation=relation)
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.PARENT_LINK,
        entity=AuditEntity.PARENT_LINK,
        entity_id=link.id,
        after=audit.snapshot(link, LINK_FIELDS),
    )


def link_parent(
    session: Session, *, actor: Actor, parent_id: int, student_id: int, relation: str = ""
) -> None:
    """Link a parent to a child: from now on they read that child's diary."""
    require(session, actor, Permission.STUDENT_MANAGE, Target(student_id=student_id))
    relation = clean_text(relation, field=TextField.RELATION)
    _link(session, actor=actor, parent_id=parent_id, student_id=student_id, relation=relation)


def unlink_parent(session: Session, *, actor: Actor, parent_id: int, student_id: int) -> None:
    """Remove a parent–child link: the parent no longer reads that child's diary."""
    require(session, actor, Permission.STUDENT_MANAGE, Target(student_id=student_id))
    link = session.exec(
        select(ParentLink).where(
            ParentLink.parent_id == parent_id, ParentLink.student_id == student_id
        )
    ).first()
    if link is None:
        raise NotFound("Такой связи нет.")
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.PARENT_UNLINK,
        entity=AuditEntity.PARENT_LINK,
        entity_id=link.id,
        before=audit.snapshot(link, LINK_FIELDS),
    )
    session.delete(link)
