"""The student's personal file, «общие сведения» [004 §5.28–5.32] (``/student?id=N``).

Reading needs STUDENT_PERSONAL_READ on the student: the teachers who teach the student's
class, the class teacher, the deputy, the director and the secretary [004 §9.1.3]; a
parent, a student, a teacher of other classes are refused. Teachers who only teach see the
contacts and the address but not the documents (birth certificate, СНИЛС); the class
teacher and the administration see all.

Editing needs STUDENT_MANAGE on the student (the class teacher, the secretary, the
administrator). A save carries the values the form was loaded with (`PersonalFile.
form_values()`); a field whose stored value changed since is refused by name
(«Изменено другим пользователем»), fields the form did not change are left as stored.
Each changed record is audited in the same transaction: STUDENT_UPDATE (entity STUDENT)
and PARENT_UPDATE (entity PARENT) with before and after; the documents are written to the
audit masked (only their last characters), the audit being read more widely than they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import ConflictError, NotFound, ValidationError
from ejournal.domain.models import ClassGroup, Parent, ParentLink, Student
from ejournal.domain.people.naming import full_name, group_name
from ejournal.domain.permissions import Actor, Permission, Scope, Target, allowed, require
from ejournal.domain.text_rules import normalise

CHANGED = "Изменено другим пользователем"

#: The physical-education health groups a school records.
HEALTH_GROUPS = ("основная", "подготовительная", "специальная")


@dataclass(frozen=True)
class FieldRule:
    key: str
    label: str
    limit: int
    document: bool = False  # hidden from those who only teach


#: The student's editable fields, in the page's order.
STUDENT_FIELDS: tuple[FieldRule, ...] = (
    FieldRule("personal_file_number", "Номер личного дела", 32),
    FieldRule("address", "Адрес", 300),
    FieldRule("phone", "Телефон", 32),
    FieldRule("email", "Электронная почта", 200),
    FieldRule("health_group", "Группа здоровья (физкультура)", 16),
    FieldRule("birth_certificate", "Свидетельство о рождении", 64, document=True),
    FieldRule("snils", "СНИЛС", 16, document=True),
)
_RULES = {f.key: f for f in STUDENT_FIELDS}
PARENT_KEYS = {"phone": ("Телефон", 32), "email": ("Электронная почта", 200)}
RELATION_LIMIT = 32

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_CHARS = re.compile(r"^\+?[\d\s()\-]+$")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ParentContact:
    parent_id: int
    full_name: str
    relation: str
    phone: str
    email: str


@dataclass(frozen=True)
class PersonalFile:
    """«Общие сведения» as the actor may see them."""

    student_id: int
    full_name: str
    birth_date: str  # ДД.ММ.ГГГГ
    class_name: str  # «5 «А»», or «выбыл(а)»
    values: dict[str, str]  # field key → stored value (documents only when `documents`)
    parents: tuple[ParentContact, ...]
    documents: bool  # the birth certificate and СНИЛС are shown
    can_edit: bool

    def form_values(self) -> dict[str, str]:
        """Every editable value by key, as `save_personal_file`'s `loaded` expects."""
        form = dict(self.values)
        for p in self.parents:
            form[parent_key(p.parent_id, "phone")] = p.phone
            form[parent_key(p.parent_id, "email")] = p.email
            form[parent_key(p.parent_id, "relation")] = p.relation
        return form


@dataclass(frozen=True)
class FileSaved:
    file: PersonalFile
    changed: tuple[str, ...]  # the labels of the changed fields


class FileInvalid(ValidationError):
    """Some fields are not allowed; `errors` maps each bad key to its Russian message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("Сведения не сохранены. " + " ".join(errors.values()))
        self.errors = dict(errors)


class FileConflict(ConflictError):
    """Someone saved some of the same fields since the form was loaded."""

    def __init__(self, message: str, current: PersonalFile, keys: tuple[str, ...]) -> None:
        super().__init__(message, current=current)
        self.keys = keys


def parent_key(parent_id: int, name: str) -> str:
    """The form key of a parent's field: `parent.<id>.phone`."""
    return f"parent.{parent_id}.{name}"


# --------------------------------------------------------------------------- validation


def _one_line(value: Any) -> str:
    return normalise(str(value if value is not None else ""), multiline=False)


def clean_phone(value: Any, label: str = "Телефон") -> str:
    """A phone as typed, with 10 or 11 digits (+7 …, 8 …, or ten digits); "" allowed."""
    phone = _one_line(value)
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if not _PHONE_CHARS.match(phone) or not 10 <= len(digits) <= 11 or len(phone) > 32:
        raise ValidationError(
            f"{label}: «{phone}» не похож на номер — нужно 10–11 цифр, например +7 912 345-67-89."
        )
    return phone


def clean_email(value: Any, label: str = "Электронная почта") -> str:
    email = _one_line(value).lower()
    if email and (not _EMAIL.match(email) or len(email) > 200):
        raise ValidationError(f"{label}: «{email}» — нужен адрес вида name@example.ru.")
    return email


def snils_ok(digits: str) -> bool:
    """The СНИЛС check number (last two digits) agrees with the first nine."""
    number, check = digits[:9], int(digits[9:])
    if int(number) <= 1001998:  # numbers this low carry no check digits
        return True
    total = sum(int(d) * w for d, w in zip(number, range(9, 0, -1), strict=True))
    expected = total % 101 if total > 101 else total
    return (0 if expected == 100 else expected) == check


def clean_snils(value: Any) -> str:
    """«123-456-789 01» from any spacing of the 11 digits; "" allowed."""
    text = _one_line(value)
    if not text:
        return ""
    digits = re.sub(r"[\s\-]", "", text)
    if not re.fullmatch(r"\d{11}", digits):
        raise ValidationError(f"СНИЛС: «{text}» — нужно 11 цифр, вида 123-456-789 01.")
    if not snils_ok(digits):
        raise ValidationError(f"СНИЛС: «{text}» — неверное контрольное число, проверьте цифры.")
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:]}"


def _clean_field(key: str, value: Any) -> str:
    rule = _RULES[key]
    if key == "phone":
        return clean_phone(value)
    if key == "email":
        return clean_email(value)
    if key == "snils":
        return clean_snils(value)
    text = _one_line(value)
    if key == "health_group":
        if text and text.casefold() not in HEALTH_GROUPS:
            raise ValidationError(
                f"{rule.label}: выберите одну из: {', '.join(HEALTH_GROUPS)} (введено «{text}»)."
            )
        return text.casefold()
    if len(text) > rule.limit:
        raise ValidationError(f"{rule.label} длиннее {rule.limit} знаков (сейчас {len(text)}).")
    return text


def mask(value: str) -> str:
    """A document number as the audit keeps it: only the last three characters."""
    if not value:
        return ""
    return "•" * max(len(value) - 3, 0) + value[-3:]


# --------------------------------------------------------------------------- reading


def _student(session: Session, student_id: Any, *, lock: bool) -> Student:
    try:
        sid = int(student_id)
    except (TypeError, ValueError):
        raise NotFound("Учащийся не найден.") from None
    query = select(Student).where(Student.id == sid)
    if lock:
        query = query.with_for_update()
    student = session.exec(query).first()
    if student is None:
        raise NotFound("Учащийся не найден.")
    return student


def sees_documents(actor: Actor, student: Student) -> bool:
    """The class teacher of the student and those who read every file see the documents;
    teachers who only teach the student do not."""
    scopes = actor.scopes(Permission.STUDENT_PERSONAL_READ) | actor.scopes(
        Permission.STUDENT_MANAGE
    )
    if Scope.ALL in scopes:
        return True
    return Scope.OWN_CLASS in scopes and student.class_id in actor.class_teacher_of


def _parents(session: Session, student_id: int, *, lock: bool) -> list[tuple[Parent, ParentLink]]:
    query = (
        select(Parent, ParentLink)
        .join(ParentLink, col(ParentLink.parent_id) == Parent.id)
        .where(ParentLink.student_id == student_id)
        .order_by(col(Parent.last_name), col(Parent.first_name), col(Parent.id))
    )
    if lock:
        query = query.with_for_update()
    return [(p, link) for p, link in session.exec(query).all()]


def _file(session: Session, actor: Actor, student: Student) -> PersonalFile:
    assert student.id is not None
    documents = sees_documents(actor, student)
    group = session.get(ClassGroup, student.class_id) if student.class_id else None
    values = {
        f.key: str(getattr(student, f.key) or "")
        for f in STUDENT_FIELDS
        if documents or not f.document
    }
    parents = tuple(
        ParentContact(
            parent_id=p.id or 0,
            full_name=full_name(p.last_name, p.first_name, p.middle_name),
            relation=link.relation,
            phone=p.phone,
            email=p.email,
        )
        for p, link in _parents(session, student.id, lock=False)
    )
    return PersonalFile(
        student_id=student.id,
        full_name=full_name(student.last_name, student.first_name, student.middle_name),
        birth_date=f"{student.birth_date:%d.%m.%Y}",
        class_name=group_name(group) if group is not None else "выбыл(а)",
        values=values,
        parents=parents,
        documents=documents,
        can_edit=allowed(session, actor, Permission.STUDENT_MANAGE, Target(student_id=student.id)),
    )


@read_only
def personal_file(session: Session, *, actor: Actor | None, student_id: int) -> PersonalFile:
    """The student's «общие сведения» as `actor` may see them (STUDENT_PERSONAL_READ)."""
    student = _student(session, student_id, lock=False)
    actor = require(session, actor, Permission.STUDENT_PERSONAL_READ, Target(student_id=student.id))
    return _file(session, actor, student)


# --------------------------------------------------------------------------- writing


def save_personal_file(
    session: Session,
    *,
    actor: Actor | None,
    student_id: int,
    changes: Mapping[str, Any],
    loaded: Mapping[str, str],
) -> FileSaved:
    """Save the fields of `changes` (key → typed text) that differ from `loaded`.

    All or nothing: a bad value raises `FileInvalid` naming each field; a field someone
    else saved since `loaded` raises `FileConflict` («Изменено другим пользователем»)
    naming it. Needs STUDENT_MANAGE on the student; parents' fields only of the
    student's own parents. One audit row per changed record, with before and after.
    """
    student = _student(session, student_id, lock=True)
    actor = require(session, actor, Permission.STUDENT_MANAGE, Target(student_id=student.id))
    assert student.id is not None
    parents = {p.id: (p, link) for p, link in _parents(session, student.id, lock=True)}

    errors: dict[str, str] = {}
    conflicts: list[tuple[str, str, str]] = []  # key, label, stored
    student_new: dict[str, str] = {}
    parent_new: dict[int, dict[str, str]] = {}
    labels: list[str] = []

    def parse(key: str, raw: Any) -> tuple[str, str, str] | None:
        """(label, new value, stored value) of a form key; None when it is unknown."""
        if key in _RULES:
            return _RULES[key].label, _clean_field(key, raw), str(getattr(student, key) or "")
        match = re.fullmatch(r"parent\.(\d+)\.(phone|email|relation)", key)
        if match is None or int(match.group(1)) not in parents:
            return None
        parent, link = parents[int(match.group(1))]
        who = full_name(parent.last_name, parent.first_name, parent.middle_name)
        name = match.group(2)
        if name == "relation":
            text = _one_line(raw)
            if len(text) > RELATION_LIMIT:
                raise ValidationError(
                    f"{who}: степень родства длиннее {RELATION_LIMIT} знаков (сейчас {len(text)})."
                )
            return f"{who}: степень родства", text, link.relation
        label = f"{who}: {PARENT_KEYS[name][0].lower()}"
        clean = clean_phone(raw, label) if name == "phone" else clean_email(raw, label)
        return label, clean, str(getattr(parent, name) or "")

    for key, raw in changes.items():
        try:
            parsed = parse(key, raw)
        except ValidationError as e:
            errors[key] = e.message
            continue
        if parsed is None:
            errors[key] = "Такого поля нет (возможно, родитель отвязан): обновите страницу."
            continue
        label, new, stored = parsed
        if key not in loaded:
            errors[key] = f"«{label}»: форма устарела, обновите страницу."
            continue
        try:
            base = parse(key, loaded[key])
        except ValidationError:
            base = None
        base_value = base[1] if base is not None else loaded[key]
        if new == base_value:
            continue  # not changed in this form
        if stored == new:
            continue  # someone already saved the same value
        if stored != base_value and stored != loaded[key]:
            conflicts.append((key, label, stored))
            continue
        labels.append(label)
        if key in _RULES:
            student_new[key] = new
        else:
            pid, name = int(key.split(".")[1]), key.split(".")[2]
            parent_new.setdefault(pid, {})[name] = new
    if errors:
        raise FileInvalid(errors)
    if conflicts:
        names = "; ".join(f"«{label}» — сейчас «{stored}»" for _, label, stored in conflicts)
        raise FileConflict(
            f"{CHANGED}: {names}. Ваши значения этих полей не сохранены; проверьте их и "
            "сохраните снова.",
            current=_file(session, actor, student),
            keys=tuple(k for k, _, _ in conflicts),
        )
    for pid, values in parent_new.items():
        parent, _ = parents[pid]
        phone = values.get("phone", parent.phone)
        email = values.get("email", parent.email)
        if not phone and not email:
            who = full_name(parent.last_name, parent.first_name, parent.middle_name)
            raise FileInvalid(
                {
                    parent_key(pid, "phone"): f"{who}: укажите телефон или e-mail — без них с "
                    "родителем не связаться."
                }
            )

    if student_new:
        before, after = audit.changes(student, student_new)
        for key in ("birth_certificate", "snils"):
            if key in after:
                before[key], after[key] = mask(str(before[key])), mask(str(after[key]))
        for key, value in student_new.items():
            setattr(student, key, value)
        session.add(student)
        session.flush()
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.STUDENT_UPDATE,
            entity=AuditEntity.STUDENT,
            entity_id=student.id,
            before=before,
            after=after,
            reason="личное дело: общие сведения",
        )
    for pid, values in parent_new.items():
        parent, link = parents[pid]
        contact = {k: v for k, v in values.items() if k != "relation"}
        before, after = audit.changes(parent, contact)
        if "relation" in values:
            before["relation"], after["relation"] = link.relation, values["relation"]
            link.relation = values["relation"]
            session.add(link)
        for key, value in contact.items():
            setattr(parent, key, value)
        session.add(parent)
        session.flush()
        audit.record(
            session,
            actor_id=actor.user_id,
            action=AuditAction.PARENT_UPDATE,
            entity=AuditEntity.PARENT,
            entity_id=pid,
            before=before,
            after=after | {"student_id": student.id},
            reason="личное дело учащегося",
        )
    return FileSaved(_file(session, actor, student), tuple(labels))


def rebase_form(
    typed: Mapping[str, str],
    loaded: Mapping[str, str],
    current: PersonalFile,
    *,
    contested: tuple[str, ...] = (),
) -> dict[str, str]:
    """The form after a conflict: the user's own edits kept, every other field and the
    `contested` ones showing what is stored now."""
    form: dict[str, str] = {}
    for key, stored in current.form_values().items():
        mine = typed.get(key)
        untouched = mine is None or mine == loaded.get(key)
        form[key] = stored if key in contested or untouched else mine or ""
    return form
