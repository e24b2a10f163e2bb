"""Students, parents and staff one by one, and accounts for imported people (``/setup/people``).

What the secretary (or the administrator) does besides the imports of `students` and
`staff`: the lists by class, adding or correcting a student, a parent (linked to a student)
or a staff member, each change audited (STUDENT_UPDATE, PARENT_UPDATE, STAFF_UPDATE; a
change of class is a transfer, STUDENT_MOVE). A form is saved only over the record it was
opened with: the `fingerprint` it carried must still match, otherwise someone else changed
it first and the save is refused in words (nothing is silently overwritten).

Accounts: staff imported without a user get one (role «Учитель» by default) and the
students and parents of a class get theirs, all with one-time passwords printed only on
the slips (PDF). A family that refused consent to personal-data processing gets no
account: it is skipped and listed for paper copies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    Enrolment,
    EnrolmentKind,
    Gender,
    Parent,
    ParentLink,
    Role,
    School,
    Staff,
    Student,
    User,
)
from ejournal.domain.people import slips as slip_pdf
from ejournal.domain.people.auth import STAFF_ROLES
from ejournal.domain.people.naming import full_name, group_name
from ejournal.domain.people.users import (
    IssuedCredentials,
    open_account_unchecked,
    open_parent_account,
    open_student_account,
)
from ejournal.domain.permissions import (
    ROLE_TITLES,
    Actor,
    Permission,
    Target,
    require,
    require_some,
)
from ejournal.domain.school.classes import current_year_classes
from ejournal.domain.school.clock import school_today
from ejournal.domain.setup.students import (
    _move,
    guess_gender,
    lock_school,
    name_key,
    parse_date,
)
from ejournal.domain.text_rules import TextField, clean_text

STUDENT_FIELDS = ("last_name", "first_name", "middle_name", "gender", "birth_date", "class_id")
PARENT_FIELDS = ("last_name", "first_name", "middle_name", "phone", "email")
STAFF_FIELDS = ("last_name", "first_name", "middle_name", "position", "phone", "email")
ENROLMENT_FIELDS = (
    "student_id",
    "class_id",
    "kind",
    "starts_on",
    "order_number",
    "ends_on",
    "leave_kind",
    "leave_order_number",
)

MSG_CHANGED = (
    "Эту запись уже изменил другой пользователь. На экране — то, что сохранено сейчас; "
    "внесите правку ещё раз."
)
NO_CONSENT = "нет согласия: бумажные копии"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
GENDER_TITLES = {Gender.MALE.value: "м", Gender.FEMALE.value: "ж"}


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ClassChoice:
    id: int
    name: str  # «5 «А»»


@dataclass(frozen=True)
class ParentInfo:
    id: int
    last_name: str
    first_name: str
    middle_name: str
    phone: str
    email: str
    relation: str
    has_account: bool
    fingerprint: str

    @property
    def full_name(self) -> str:
        return full_name(self.last_name, self.first_name, self.middle_name)


@dataclass(frozen=True)
class StudentInfo:
    id: int
    last_name: str
    first_name: str
    middle_name: str
    gender: str
    birth_date: dt.date
    class_id: int | None
    class_name: str
    has_account: bool
    fingerprint: str
    parents: tuple[ParentInfo, ...] = ()

    @property
    def full_name(self) -> str:
        return full_name(self.last_name, self.first_name, self.middle_name)


@dataclass(frozen=True)
class StaffInfo:
    id: int
    last_name: str
    first_name: str
    middle_name: str
    position: str
    phone: str
    email: str
    login: str  # "" while the staff member has no account
    fingerprint: str

    @property
    def full_name(self) -> str:
        return full_name(self.last_name, self.first_name, self.middle_name)


@dataclass
class AccountsIssued:
    """New accounts: the slips (PDF, the only place the passwords appear), whose they are,
    and the families skipped because they refused consent."""

    pdf: bytes = b""
    issued: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- small rules


def fingerprint(obj: Any, fields: Sequence[str], extra: dict[str, Any] | None = None) -> str:
    """A short digest of what a form was opened with (the optimistic guard)."""
    data = audit.snapshot(obj, fields) | (extra or {})
    raw = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def parse_day(text: Any, *, what: str) -> dt.date:
    """A date typed «ДД.ММ.ГГГГ» (or kept by a date input, «ГГГГ-ММ-ДД»)."""
    if isinstance(text, dt.date):
        return text
    raw = " ".join(str(text or "").split())
    if not raw:
        raise ValidationError(f"{what}: введите дату в виде ДД.ММ.ГГГГ.")
    day = parse_date(raw)
    if day is None:
        raise ValidationError(f"{what}: введите дату в виде ДД.ММ.ГГГГ (введено «{raw}»).")
    return day


def _name(value: Any, field_: TextField, *, required: bool) -> str:
    text = clean_text(" ".join(str(value or "").split()), field=field_)
    if required and not text:
        raise ValidationError(f"Укажите: {field_.label.lower()}.")
    return text


def _names(last: Any, first: Any, middle: Any) -> tuple[str, str, str]:
    return (
        _name(last, TextField.LAST_NAME, required=True),
        _name(first, TextField.FIRST_NAME, required=True),
        _name(middle, TextField.MIDDLE_NAME, required=False),
    )


def clean_phone(value: Any) -> str:
    """A phone as typed, checked to hold a Russian number's 10 or 11 digits ("" allowed)."""
    phone = clean_text(" ".join(str(value or "").split()), field=TextField.PHONE)
    if phone and not 10 <= len(re.sub(r"\D", "", phone)) <= 12:
        raise ValidationError(f"Телефон «{phone}» не похож на номер: нужно 10–11 цифр.")
    return phone


def clean_email(value: Any) -> str:
    email = clean_text(str(value or "").strip(), field=TextField.EMAIL).lower()
    if email and not _EMAIL.match(email):
        raise ValidationError(f"E-mail «{email}» неверный: нужен вид name@example.ru.")
    return email


def _gender(value: Any) -> str:
    text = str(value or "").strip().casefold()
    if text in ("m", "м", "муж", "мужской"):
        return Gender.MALE.value
    if text in ("f", "ж", "жен", "женский"):
        return Gender.FEMALE.value
    raise ValidationError("Укажите пол: «м» или «ж».")


def check_birth_date(birth: dt.date, today: dt.date) -> None:
    if not today.year - 25 <= birth.year <= today.year - 3:
        raise ValidationError(f"Дата рождения {birth:%d.%m.%Y} не похожа на дату рождения ученика.")


def current_year(session: Session, school_id: int) -> AcademicYear:
    year = session.exec(
        select(AcademicYear).where(
            AcademicYear.school_id == school_id, col(AcademicYear.is_current).is_(True)
        )
    ).first()
    if year is None:
        raise ValidationError("В школе нет текущего учебного года: сначала задайте его.")
    return year


def school_of(session: Session, actor: Actor) -> School:
    school = session.get(School, actor.school_id)
    if school is None:
        raise NotFound("Школа не найдена.")
    return school


def class_of_year(session: Session, actor: Actor, class_id: int) -> ClassGroup:
    """A class of the actor's school in the current year (refused otherwise)."""
    group = session.get(ClassGroup, class_id)
    if group is None:
        raise NotFound("Класс не найден.")
    if group.school_id != actor.school_id:
        raise PermissionDenied()
    if group.year_id != current_year(session, actor.school_id).id:
        raise ValidationError(f"Класс {group_name(group)} не относится к текущему учебному году.")
    return group


def _begin_write(session: Session, actor: Actor, target: Target) -> None:
    """The right, then the school's write lock (people's edits run one after another),
    then the right on the object itself."""
    require_some(actor, Permission.IMPORT_LISTS)
    lock_school(session, actor.school_id)
    require(session, actor, Permission.IMPORT_LISTS, target)


def _student(session: Session, actor: Actor, student_id: int) -> Student:
    student = session.get(Student, student_id)
    if student is None:
        raise NotFound("Учащийся не найден.")
    if student.school_id != actor.school_id:
        raise PermissionDenied()
    return student


def _link_of(session: Session, parent_id: int, student_id: int) -> ParentLink | None:
    return session.exec(
        select(ParentLink).where(
            ParentLink.parent_id == parent_id, ParentLink.student_id == student_id
        )
    ).first()


def _parent_info(parent: Parent, relation: str) -> ParentInfo:
    assert parent.id is not None
    return ParentInfo(
        id=parent.id,
        last_name=parent.last_name,
        first_name=parent.first_name,
        middle_name=parent.middle_name,
        phone=parent.phone,
        email=parent.email,
        relation=relation,
        has_account=parent.user_id is not None,
        fingerprint=fingerprint(parent, PARENT_FIELDS, {"relation": relation}),
    )


def _student_info(
    student: Student, classes: dict[int, ClassGroup], parents: tuple[ParentInfo, ...] = ()
) -> StudentInfo:
    assert student.id is not None
    group = classes.get(student.class_id or 0)
    return StudentInfo(
        id=student.id,
        last_name=student.last_name,
        first_name=student.first_name,
        middle_name=student.middle_name,
        gender=student.gender,
        birth_date=student.birth_date,
        class_id=student.class_id,
        class_name=group_name(group) if group is not None else "выбыл(а)",
        has_account=student.user_id is not None,
        fingerprint=fingerprint(student, STUDENT_FIELDS),
        parents=parents,
    )


def _staff_info(staff: Staff, login: str = "") -> StaffInfo:
    assert staff.id is not None
    return StaffInfo(
        id=staff.id,
        last_name=staff.last_name,
        first_name=staff.first_name,
        middle_name=staff.middle_name,
        position=staff.position,
        phone=staff.phone,
        email=staff.email,
        login=login,
        fingerprint=fingerprint(staff, STAFF_FIELDS),
    )


# --------------------------------------------------------------------------- reading


@read_only
def current_classes(session: Session, *, actor: Actor) -> list[ClassChoice]:
    """The classes of the current year, in grade and letter order."""
    require(session, actor, Permission.IMPORT_LISTS)
    groups = current_year_classes(session, actor, Permission.IMPORT_LISTS)
    return [ClassChoice(g.id, group_name(g)) for g in groups if g.id is not None]


@read_only
def class_students(session: Session, *, actor: Actor, class_id: int) -> list[StudentInfo]:
    """The students now in `class_id`, by name, each with their parents."""
    require(session, actor, Permission.IMPORT_LISTS, Target(class_id=class_id))
    group = session.get(ClassGroup, class_id)
    if group is None or group.id is None:
        raise NotFound("Класс не найден.")
    students = session.exec(
        select(Student)
        .where(Student.class_id == class_id, Student.school_id == actor.school_id)
        .order_by(col(Student.last_name), col(Student.first_name), col(Student.id))
    ).all()
    ids = [s.id for s in students if s.id is not None]
    parents: dict[int, list[ParentInfo]] = {}
    if ids:
        for link, parent in session.exec(
            select(ParentLink, Parent)
            .join(Parent, col(Parent.id) == col(ParentLink.parent_id))
            .where(col(ParentLink.student_id).in_(ids))
            .order_by(col(ParentLink.id))
        ).all():
            parents.setdefault(link.student_id, []).append(_parent_info(parent, link.relation))
    classes = {group.id: group}
    return [_student_info(s, classes, tuple(parents.get(s.id or 0, []))) for s in students]


@read_only
def staff_list(session: Session, *, actor: Actor) -> list[StaffInfo]:
    """The school's staff by name, with their login when they have an account."""
    require(session, actor, Permission.IMPORT_LISTS)
    rows = session.exec(
        select(Staff, User.login)
        .join(User, col(User.id) == col(Staff.user_id), isouter=True)
        .where(Staff.school_id == actor.school_id)
        .order_by(col(Staff.last_name), col(Staff.first_name), col(Staff.id))
    ).all()
    return [_staff_info(s, login or "") for s, login in rows]


# --------------------------------------------------------------------------- students


def save_student(
    session: Session,
    *,
    actor: Actor,
    student_id: int | None,
    last_name: str,
    first_name: str,
    middle_name: str,
    gender: str,
    birth_date: str,
    class_id: int,
    expected: str = "",
    today: dt.date | None = None,
) -> StudentInfo:
    """Add a student to `class_id` (from today) or correct one; a new class is a transfer
    from today. Refused: bad input, a duplicate, or a record changed since the form opened."""
    target = Target(student_id=student_id) if student_id else Target(class_id=class_id)
    _begin_write(session, actor, target)
    school = school_of(session, actor)
    today = today or school_today(school)
    last, first, middle = _names(last_name, first_name, middle_name)
    sex = _gender(gender)
    birth = parse_day(birth_date, what="Дата рождения")
    check_birth_date(birth, today)
    group = class_of_year(session, actor, int(class_id))
    assert group.id is not None
    key = name_key(last, first, middle)
    for other in session.exec(
        select(Student).where(
            Student.school_id == actor.school_id,
            Student.birth_date == birth,
            Student.id != (student_id or 0),
        )
    ).all():
        if name_key(other.last_name, other.first_name, other.middle_name) == key:
            where = session.get(ClassGroup, other.class_id or 0)
            in_class = group_name(where) if where is not None else "выбыл(а)"
            raise ValidationError(
                f"Такой ученик уже есть: {full_name(last, first, middle)}, "
                f"{birth:%d.%m.%Y}, {in_class}."
            )
    values: dict[str, Any] = {
        "last_name": last,
        "first_name": first,
        "middle_name": middle,
        "gender": sex,
        "birth_date": birth,
    }
    if student_id is None:
        student = Student(school_id=actor.school_id, class_id=group.id, **values)
        session.add(student)
        session.flush()
        assert student.id is not None
        stay = Enrolment(
            student_id=student.id,
            class_id=group.id,
            kind=EnrolmentKind.START.value,
            starts_on=today,
        )
        session.add(stay)
        session.flush()
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.STUDENT_UPDATE,
            entity=AuditEntity.STUDENT,
            entity_id=student.id,
            after=audit.snapshot(student, STUDENT_FIELDS),
            reason="добавлен(а) вручную",
        )
    else:
        student = _student(session, actor, int(student_id))
        if expected != fingerprint(student, STUDENT_FIELDS):
            raise ConflictError(MSG_CHANGED)
        before, after = audit.changes(student, values)
        if after:
            for name, value in values.items():
                setattr(student, name, value)
            session.add(student)
            audit.record(
                session,
                actor_id=actor.user_id,
                action=AuditAction.STUDENT_UPDATE,
                entity=AuditEntity.STUDENT,
                entity_id=student.id,
                before=before,
                after=after,
            )
        if student.class_id != group.id:
            if student.class_id is None:
                raise ValidationError(
                    "Ученик выбыл из школы: зачислите его снова в «Движении» («Прибыл»)."
                )
            transfer(session, actor=actor, student=student, group=group, on=today, order_number="")
    session.flush()
    return _student_info(student, {group.id: group})


def transfer(
    session: Session,
    *,
    actor: Actor,
    student: Student,
    group: ClassGroup,
    on: dt.date,
    order_number: str,
) -> Enrolment:
    """Move `student` into `group` from `on` (the old stay ends the day before); audited.
    The caller checked the right and the input."""
    assert student.id is not None and group.id is not None
    old = session.exec(
        select(Enrolment).where(
            Enrolment.student_id == student.id, col(Enrolment.ends_on).is_(None)
        )
    ).first()
    before = audit.snapshot(old, ENROLMENT_FIELDS) if old is not None else None
    stay = _move(session, student, group.id, on, order_number)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.STUDENT_MOVE,
        entity=AuditEntity.ENROLMENT,
        entity_id=stay.id,
        before=before,
        after=audit.snapshot(stay, ENROLMENT_FIELDS),
        reason="перевод в другой класс",
    )
    return stay


# --------------------------------------------------------------------------- parents


def save_parent(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    parent_id: int | None,
    last_name: str,
    first_name: str,
    middle_name: str,
    phone: str,
    email: str,
    relation: str,
    expected: str = "",
) -> ParentInfo:
    """Add a parent of `student_id` (a parent already known by name and phone or e-mail,
    a sibling's, is linked rather than made twice) or correct one; a parent needs a phone
    or an e-mail."""
    _begin_write(session, actor, Target(student_id=student_id))
    student = _student(session, actor, int(student_id))
    assert student.id is not None
    last, first, middle = _names(last_name, first_name, middle_name)
    phone_ = clean_phone(phone)
    email_ = clean_email(email)
    if not phone_ and not email_:
        raise ValidationError("Укажите телефон или e-mail родителя: без них с ним не связаться.")
    relation_ = clean_text(" ".join(str(relation or "").split()), field=TextField.RELATION)
    values = {
        "last_name": last,
        "first_name": first,
        "middle_name": middle,
        "phone": phone_,
        "email": email_,
    }
    if parent_id is None:
        parent = _known_parent(session, actor.school_id, values)
        if parent is None:
            parent = Parent(
                school_id=actor.school_id,
                last_name=last,
                first_name=first,
                middle_name=middle,
                gender=guess_gender(first, middle),
                phone=phone_,
                email=email_,
            )
            session.add(parent)
            session.flush()
            before: dict[str, Any] | None = None
        else:
            assert parent.id is not None
            if _link_of(session, parent.id, student.id) is not None:
                raise ValidationError(
                    f"{full_name(last, first, middle)} уже указан(а) родителем этого ученика."
                )
            before = audit.snapshot(parent, PARENT_FIELDS)
        assert parent.id is not None
        link = ParentLink(parent_id=parent.id, student_id=student.id, relation=relation_)
        session.add(link)
        session.flush()
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.PARENT_UPDATE,
            entity=AuditEntity.PARENT,
            entity_id=parent.id,
            before=before,
            after=audit.snapshot(parent, PARENT_FIELDS)
            | {"student_id": student.id, "relation": relation_},
            reason="добавлен(а) вручную" if before is None else "связан(а) с ещё одним ребёнком",
        )
        return _parent_info(parent, relation_)
    parent = session.get(Parent, int(parent_id))
    if parent is None:
        raise NotFound("Родитель не найден.")
    if parent.school_id != actor.school_id:
        raise PermissionDenied()
    link_ = _link_of(session, int(parent_id), student.id)
    if link_ is None:
        raise NotFound("Этот родитель не связан с этим учеником.")
    if expected != fingerprint(parent, PARENT_FIELDS, {"relation": link_.relation}):
        raise ConflictError(MSG_CHANGED)
    before_, after = audit.changes(parent, values)
    if link_.relation != relation_:
        before_["relation"], after["relation"] = link_.relation, relation_
        link_.relation = relation_
        session.add(link_)
    if after:
        for name, value in values.items():
            setattr(parent, name, value)
        session.add(parent)
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.PARENT_UPDATE,
            entity=AuditEntity.PARENT,
            entity_id=parent.id,
            before=before_,
            after=after | {"student_id": student.id},
        )
    session.flush()
    return _parent_info(parent, relation_)


def _known_parent(session: Session, school_id: int, values: dict[str, str]) -> Parent | None:
    key = name_key(values["last_name"], values["first_name"], values["middle_name"])
    digits = re.sub(r"\D", "", values["phone"])[-10:]
    for p in session.exec(select(Parent).where(Parent.school_id == school_id)).all():
        if name_key(p.last_name, p.first_name, p.middle_name) != key:
            continue
        same_phone = bool(digits) and re.sub(r"\D", "", p.phone)[-10:] == digits
        same_email = bool(values["email"]) and p.email.casefold() == values["email"]
        if same_phone or same_email:
            return p
    return None


# --------------------------------------------------------------------------- staff


def save_staff(
    session: Session,
    *,
    actor: Actor,
    staff_id: int | None,
    last_name: str,
    first_name: str,
    middle_name: str,
    position: str,
    phone: str,
    email: str,
    expected: str = "",
) -> StaffInfo:
    """Add a staff member (no account yet: «Выдать учётные записи») or correct one."""
    _begin_write(session, actor, Target())
    last, first, middle = _names(last_name, first_name, middle_name)
    values = {
        "last_name": last,
        "first_name": first,
        "middle_name": middle,
        "position": clean_text(" ".join(str(position or "").split()), field=TextField.POSITION),
        "phone": clean_phone(phone),
        "email": clean_email(email),
    }
    key = name_key(last, first, middle)
    for other in session.exec(
        select(Staff).where(Staff.school_id == actor.school_id, Staff.id != (staff_id or 0))
    ).all():
        if name_key(other.last_name, other.first_name, other.middle_name) == key:
            raise ValidationError(f"Такой сотрудник уже есть: {full_name(last, first, middle)}.")
    if staff_id is None:
        staff = Staff(
            school_id=actor.school_id,
            last_name=last,
            first_name=first,
            middle_name=middle,
            gender=guess_gender(first, middle),
            position=values["position"],
            phone=values["phone"],
            email=values["email"],
        )
        session.add(staff)
        session.flush()
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.STAFF_UPDATE,
            entity=AuditEntity.STAFF,
            entity_id=staff.id,
            after=audit.snapshot(staff, STAFF_FIELDS),
            reason="добавлен(а) вручную",
        )
        return _staff_info(staff)
    staff_ = session.get(Staff, int(staff_id))
    if staff_ is None:
        raise NotFound("Сотрудник не найден.")
    if staff_.school_id != actor.school_id:
        raise PermissionDenied()
    if expected != fingerprint(staff_, STAFF_FIELDS):
        raise ConflictError(MSG_CHANGED)
    before, after = audit.changes(staff_, values)
    if after:
        for name, value in values.items():
            setattr(staff_, name, value)
        session.add(staff_)
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.STAFF_UPDATE,
            entity=AuditEntity.STAFF,
            entity_id=staff_.id,
            before=before,
            after=after,
        )
    session.flush()
    return _staff_info(staff_)


# --------------------------------------------------------------------------- accounts


def open_staff_account(
    session: Session, *, actor: Actor, staff_id: int, role: Role = Role.TEACHER
) -> IssuedCredentials:
    """An account with `role` (default «Учитель») for a staff member who has none."""
    require(session, actor, Permission.USER_MANAGE)
    role = Role(role)
    if role not in STAFF_ROLES or role is Role.CLASS_TEACHER:
        raise ValidationError(
            "Эта роль не выдаётся здесь (классного руководителя назначают на странице "
            "пользователей)."
        )
    staff = session.get(Staff, int(staff_id))
    if staff is None:
        raise NotFound("Сотрудник не найден.")
    if staff.school_id != actor.school_id:
        raise PermissionDenied()
    return open_account_unchecked(session, actor=actor, person=staff, role=role)


def _render(session: Session, actor: Actor, slips: list[slip_pdf.Slip]) -> bytes:
    school = session.get(School, actor.school_id)
    return slip_pdf.render_slips(
        slips,
        school_name=school.name if school is not None else "",
        login_url=slip_pdf.default_login_url(),
    )


def issue_staff_accounts(
    session: Session,
    *,
    actor: Actor,
    staff_ids: Sequence[int] | None = None,
    role: Role = Role.TEACHER,
) -> AccountsIssued:
    """Accounts for the staff without one (all of the school, or `staff_ids`), and their
    slips. Refused when everybody already has an account."""
    require(session, actor, Permission.USER_MANAGE)
    lock_school(session, actor.school_id)
    query = select(Staff).where(
        Staff.school_id == actor.school_id,
        col(Staff.user_id).is_(None),
        col(Staff.is_active).is_(True),
    )
    if staff_ids is not None:
        query = query.where(col(Staff.id).in_([int(i) for i in staff_ids]))
    waiting = session.exec(
        query.order_by(col(Staff.last_name), col(Staff.first_name), col(Staff.id))
    ).all()
    if not waiting:
        raise ValidationError("У всех сотрудников уже есть учётные записи.")
    result = AccountsIssued()
    slips: list[slip_pdf.Slip] = []
    for staff in waiting:
        assert staff.id is not None
        issued = open_staff_account(session, actor=actor, staff_id=staff.id, role=role)
        name = full_name(staff.last_name, staff.first_name, staff.middle_name)
        line = ROLE_TITLES[Role(role)] + (f", {staff.position}" if staff.position else "")
        slips.append(slip_pdf.Slip(name, line, issued.login, issued.one_time_password))
        result.issued.append(f"{name} — {issued.login}")
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.PRINT_SLIPS,
        entity=AuditEntity.SCHOOL,
        entity_id=actor.school_id,
        after={"slips": len(slips), "staff": [s.id for s in waiting]},
    )
    result.pdf = _render(session, actor, slips)
    return result


def issue_class_accounts(session: Session, *, actor: Actor, class_id: int) -> AccountsIssued:
    """Accounts for the students of `class_id` and their parents who have none, and their
    slips; families that refused consent are skipped and listed (paper copies)."""
    require(session, actor, Permission.CREDENTIALS_ISSUE, Target(class_id=class_id))
    lock_school(session, actor.school_id)
    group = class_of_year(session, actor, int(class_id))
    label = group_name(group)
    students = session.exec(
        select(Student)
        .where(Student.class_id == group.id, col(Student.is_active).is_(True))
        .order_by(col(Student.last_name), col(Student.first_name), col(Student.id))
    ).all()
    result = AccountsIssued()
    slips: list[slip_pdf.Slip] = []
    seen: set[int] = set()
    for student in students:
        assert student.id is not None
        name = full_name(student.last_name, student.first_name, student.middle_name)
        refused = False
        if student.user_id is None:
            try:
                issued = open_student_account(session, actor=actor, student_id=student.id)
            except ValidationError:
                refused = True
            else:
                slips.append(
                    slip_pdf.Slip(
                        name, f"Учащийся, {label}", issued.login, issued.one_time_password
                    )
                )
                result.issued.append(f"{name} — {issued.login}")
        parents = session.exec(
            select(Parent)
            .join(ParentLink, col(ParentLink.parent_id) == col(Parent.id))
            .where(ParentLink.student_id == student.id, col(Parent.user_id).is_(None))
            .order_by(col(ParentLink.id))
        ).all()
        for parent in parents:
            assert parent.id is not None
            if parent.id in seen:
                continue
            seen.add(parent.id)
            try:
                issued = open_parent_account(session, actor=actor, parent_id=parent.id)
            except ValidationError:
                refused = True
                continue
            pname = full_name(parent.last_name, parent.first_name, parent.middle_name)
            slips.append(
                slip_pdf.Slip(
                    pname,
                    f"Родитель: {student.last_name} {student.first_name}, {label}",
                    issued.login,
                    issued.one_time_password,
                )
            )
            result.issued.append(f"{pname} (родитель) — {issued.login}")
        if refused:
            result.skipped.append(f"{name}, {label} — {NO_CONSENT}")
    if slips:
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.PRINT_SLIPS,
            entity=AuditEntity.CLASS_GROUP,
            entity_id=group.id,
            after={"slips": len(slips), "include_parents": True},
        )
        result.pdf = _render(session, actor, slips)
    return result
