"""The audit trail in words: what was changed, on what, from what to what — in Russian.

The audit log keeps the values before and after a change as JSON with the code's own keys
and ids (``{"student_id": 812, "marks": [4]}``), which is right for verifying the chain and
wrong for a director reading it. This module turns one page of audit rows into Russian
text: the object ("Егорова Анна, 5 «А», Математика, урок 12.11 (2-й)"), and for each side
only the fields that changed, labelled in Russian, with ids resolved into names. It reads
the database once per kind of id on the page, not once per row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from ejournal.domain.models import (
    Announcement,
    ClassGroup,
    Lesson,
    Parent,
    Period,
    Role,
    Staff,
    Student,
    Subgroup,
    Subject,
    TeachingAssignment,
    ThematicPlanItem,
    User,
    WorkType,
)
from ejournal.domain.people.naming import class_name, full_name
from ejournal.domain.permissions import ROLE_TITLES

#: Russian labels of the recorded fields; a field not listed is shown under its own key.
FIELD_LABELS: dict[str, str] = {
    "text": "Клетка",
    "marks": "Отметки",
    "attendance": "Посещаемость",
    "reason": "Причина",
    "value": "Отметка",
    "not_attested": "Не аттестован",
    "justification": "Обоснование",
    "date": "Дата",
    "number": "Номер урока",
    "topic": "Тема",
    "plan_item_id": "Пункт КТП",
    "homework": "Домашнее задание",
    "homework_links": "Ссылки к заданию",
    "homework_none": "Задание не задано",
    "attendance_taken_at": "Посещаемость отмечена",
    "work_type_id": "Вид работы",
    "extra": "Дополнительный урок",
    "room": "Кабинет",
    "cancelled": "Отменён",
    "substitute_teacher_id": "Замена",
    "audience": "Кому",
    "class_id": "Класс",
    "title": "Заголовок",
    "starts_on": "С",
    "ends_on": "По",
    "event_on": "Дата события",
    "email_new": "Письма о новом",
    "email_digest": "Недельная сводка",
    "kind": "Вид",
    "lesson_id": "Урок",
    "subject_id": "Предмет",
    "student_id": "Ученик",
    "parent_id": "Родитель",
    "staff_id": "Сотрудник",
    "relation": "Кем приходится",
    "login": "Логин",
    "name": "ФИО",
    "role": "Роль",
    "is_active": "Активна",
    "must_change_password": "Нужно сменить пароль",
    "failed_logins": "Неудачных входов",
    "delayed": "Вход замедлен",
    "ip": "Адрес",
    "sessions_ended": "Завершено сеансов",
    "other_sessions_ended": "Завершено других сеансов",
    "class_teacher_id": "Классный руководитель",
    "slips": "Бланков",
    "include_parents": "С родителями",
    "size": "Размер",
    "seed": "Зерно",
    "today": "Сегодня",
    "students": "Учеников",
    "marks_count": "Отметок",
    # the school's settings page (ejournal/domain/school/settings.py)
    "control_mark_gap_days": "Отметка не реже чем раз в, дней",
    "control_retest_lessons": "Опрос после «2», уроков",
    "control_oral_percent": "Устный опрос, % класса",
    "control_absence_percent": "Много пропусков, % уроков",
    "marks_deadline_hour": "Срок записи, час",
    "edit_lock_days": "Исправление без причины, дней",
    "period_mark_publish_days": "Итоговые видны через, дней",
    "round_to_5": "Порог «5»",
    "round_to_4": "Порог «4»",
    "round_to_3": "Порог «3»",
    "weight": "Вес",
    "deadline_lessons": "Срок, уроков",
    "deadline_days": "Срок, дней",
}

_ORDER = {key: n for n, key in enumerate(FIELD_LABELS)}

#: Fields that say again what another field of the entity says (a cell's text holds its marks).
REDUNDANT = {"journal_cell": ("marks",)}

#: Fields that name the object of the change: shown in the object column, not as values.
CONTEXT_KEYS = ("student_id", "lesson_id", "subject_id", "period_id", "assignment_id")

ATTENDANCE_TITLES = {
    "absent": "н (пропуск)",
    "excused": "пропуск по уважительной причине",
    "late": "опоздание",
    None: "присутствовал",
}
AUDIENCE_TITLES = {
    "class": "классу",
    "school": "всей школе",
    "parents": "родителям",
    "students": "ученикам",
    "staff": "сотрудникам",
}
REMARK_KINDS = {"remark": "замечание", "praise": "похвала"}
#: Labels that differ by the entity (a remark's text is not a journal cell).
ENTITY_LABELS = {("diary_remark", "text"): "Текст", ("school", "marks"): "Отметок"}
NOTHING = "—"


@dataclass(frozen=True)
class ChangeText:
    """One audit row in words: the object, and the fields before and after."""

    subject: str
    before: str
    after: str


@dataclass
class _Ids:
    """Ids of one page of rows, by kind, to be resolved with one query per kind."""

    students: set[int] = field(default_factory=set)
    lessons: set[int] = field(default_factory=set)
    subjects: set[int] = field(default_factory=set)
    periods: set[int] = field(default_factory=set)
    classes: set[int] = field(default_factory=set)
    assignments: set[int] = field(default_factory=set)
    staff: set[int] = field(default_factory=set)
    parents: set[int] = field(default_factory=set)
    users: set[int] = field(default_factory=set)
    work_types: set[int] = field(default_factory=set)
    plan_items: set[int] = field(default_factory=set)
    announcements: set[int] = field(default_factory=set)


@dataclass
class _Names:
    students: dict[int, str] = field(default_factory=dict)
    lessons: dict[int, str] = field(default_factory=dict)
    subjects: dict[int, str] = field(default_factory=dict)
    periods: dict[int, str] = field(default_factory=dict)
    classes: dict[int, str] = field(default_factory=dict)
    assignments: dict[int, str] = field(default_factory=dict)
    staff: dict[int, str] = field(default_factory=dict)
    parents: dict[int, str] = field(default_factory=dict)
    users: dict[int, str] = field(default_factory=dict)
    work_types: dict[int, str] = field(default_factory=dict)
    plan_items: dict[int, str] = field(default_factory=dict)
    announcements: dict[int, str] = field(default_factory=dict)


#: field → the kind of id it holds (the attribute of `_Ids` / `_Names`).
_ID_FIELDS = {
    "student_id": "students",
    "lesson_id": "lessons",
    "subject_id": "subjects",
    "period_id": "periods",
    "class_id": "classes",
    "assignment_id": "assignments",
    "staff_id": "staff",
    "class_teacher_id": "staff",
    "substitute_teacher_id": "staff",
    "parent_id": "parents",
    "work_type_id": "work_types",
    "plan_item_id": "plan_items",
}
#: entity → the kind of id its entity_id holds.
_ENTITY_IDS = {
    "user": "users",
    "class_group": "classes",
    "lesson": "lessons",
    "announcement": "announcements",
    "work_type": "work_types",
}


def _load(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"": text}
    return value if isinstance(value, dict) else {"": value}


def _day(value: Any) -> str:
    try:
        return dt.date.fromisoformat(str(value)[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return str(value)


def user_names(session: Session, user_ids: set[int]) -> dict[int, tuple[str, str]]:
    """user id → (login, full name; the login when the account has no person record)."""
    if not user_ids:
        return {}
    found = {
        u.id: (u.login, u.login)
        for u in session.exec(select(User).where(col(User.id).in_(user_ids))).all()
        if u.id is not None
    }
    for model in (Staff, Parent, Student):
        rows = session.exec(
            select(model.user_id, model.last_name, model.first_name, model.middle_name).where(
                col(model.user_id).in_(user_ids)
            )
        ).all()
        for user_id, last, first, middle in rows:
            if user_id in found:
                found[user_id] = (found[user_id][0], full_name(last, first, middle))
    return found


def _resolve(session: Session, ids: _Ids) -> _Names:
    names = _Names()
    if ids.students:
        for s in session.exec(select(Student).where(col(Student.id).in_(ids.students))):
            names.students[s.id or 0] = full_name(s.last_name, s.first_name)
    if ids.staff:
        for st in session.exec(select(Staff).where(col(Staff.id).in_(ids.staff))):
            names.staff[st.id or 0] = full_name(st.last_name, st.first_name, st.middle_name)
    if ids.parents:
        for p in session.exec(select(Parent).where(col(Parent.id).in_(ids.parents))):
            names.parents[p.id or 0] = full_name(p.last_name, p.first_name, p.middle_name)
    for user_id, (login, name) in user_names(session, ids.users).items():
        names.users[user_id] = f"{name} ({login})" if name != login else login
    if ids.work_types:
        for w in session.exec(select(WorkType).where(col(WorkType.id).in_(ids.work_types))):
            names.work_types[w.id or 0] = w.name
    if ids.plan_items:
        stmt = select(ThematicPlanItem).where(col(ThematicPlanItem.id).in_(ids.plan_items))
        for item in session.exec(stmt):
            names.plan_items[item.id or 0] = f"№ {item.number}. {item.topic}"
    if ids.periods:
        for pr in session.exec(select(Period).where(col(Period.id).in_(ids.periods))):
            names.periods[pr.id or 0] = pr.name
    if ids.announcements:
        stmt_a = select(Announcement).where(col(Announcement.id).in_(ids.announcements))
        for ann in session.exec(stmt_a):
            names.announcements[ann.id or 0] = f"«{ann.title}»"
    lessons: list[Lesson] = []
    if ids.lessons:
        lessons = list(session.exec(select(Lesson).where(col(Lesson.id).in_(ids.lessons))))
        ids.assignments.update(lesson.assignment_id for lesson in lessons)
    assignments: list[TeachingAssignment] = []
    group_names: dict[int, str] = {}
    if ids.assignments:
        stmt_t = select(TeachingAssignment).where(col(TeachingAssignment.id).in_(ids.assignments))
        assignments = list(session.exec(stmt_t))
        ids.classes.update(a.class_id for a in assignments)
        ids.subjects.update(a.subject_id for a in assignments)
        groups = {a.subgroup_id for a in assignments if a.subgroup_id is not None}
        if groups:
            stmt_g = select(Subgroup).where(col(Subgroup.id).in_(groups))
            group_names = {g.id or 0: g.name for g in session.exec(stmt_g)}
    if ids.classes:
        for c in session.exec(select(ClassGroup).where(col(ClassGroup.id).in_(ids.classes))):
            names.classes[c.id or 0] = class_name(c.grade, c.letter)
    if ids.subjects:
        for sb in session.exec(select(Subject).where(col(Subject.id).in_(ids.subjects))):
            names.subjects[sb.id or 0] = sb.name
    for a in assignments:
        where = names.classes.get(a.class_id, "")
        if a.subgroup_id is not None and a.subgroup_id in group_names:
            where = f"{where}, {group_names[a.subgroup_id]}"
        names.assignments[a.id or 0] = f"{where}, {names.subjects.get(a.subject_id, '')}"
    for lesson in lessons:
        where = names.assignments.get(lesson.assignment_id, "")
        day = lesson.date.strftime("%d.%m.%Y")
        names.lessons[lesson.id or 0] = f"{where}, урок {day} ({lesson.number}-й)"
    return names


def _collect(
    ids: _Ids, entity: str, entity_id: int | None, sides: Iterable[dict[str, Any]]
) -> None:
    if entity_id is not None and entity in _ENTITY_IDS:
        getattr(ids, _ENTITY_IDS[entity]).add(entity_id)
    for side in sides:
        for key, kind in _ID_FIELDS.items():
            value = side.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                getattr(ids, kind).add(value)


def _value(key: str, value: Any, names: _Names, entity: str) -> str:
    if value is None or value == "" or value == []:
        return ATTENDANCE_TITLES[None] if key == "attendance" else NOTHING
    if isinstance(value, bool):
        return "да" if value else "нет"
    if key in _ID_FIELDS and isinstance(value, int):
        if entity == "user" and key in ("staff_id", "parent_id", "student_id"):
            return f"№ {value}"  # the account's own person record
        found: dict[int, str] = getattr(names, _ID_FIELDS[key])
        return found.get(value, f"№ {value} (удалён)")
    if key == "attendance":
        return ATTENDANCE_TITLES.get(str(value), str(value))
    if key == "marks" and isinstance(value, list):
        return " ".join(str(v) for v in value)
    if key == "role":
        try:
            return ROLE_TITLES[Role(str(value))]
        except ValueError:
            return str(value)
    if key == "audience":
        return AUDIENCE_TITLES.get(str(value), str(value))
    if key == "kind":
        return REMARK_KINDS.get(str(value), str(value))
    if key in ("date", "starts_on", "ends_on", "event_on", "today"):
        return _day(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _fields(side: dict[str, Any], keys: Sequence[str], names: _Names, entity: str) -> str:
    parts = []
    for key in keys:
        if key not in side:
            continue
        value = _value(key, side[key], names, entity)
        label = ENTITY_LABELS.get((entity, key)) or FIELD_LABELS.get(key, key)
        parts.append(f"{label}: {value}" if label else value)
    return "; ".join(parts)


def _subject(entity: str, entity_id: int | None, context: dict[str, Any], names: _Names) -> str:
    parts: list[str] = []
    if entity in _ENTITY_IDS and entity_id is not None:
        kind = _ENTITY_IDS[entity]
        found: dict[int, str] = getattr(names, kind)
        parts.append(found.get(entity_id, f"№ {entity_id}"))
    student = context.get("student_id")
    if isinstance(student, int) and entity != "user":
        parts.append(names.students.get(student, f"ученик № {student}"))
    lesson = context.get("lesson_id")
    if isinstance(lesson, int) and entity != "lesson":
        parts.append(names.lessons.get(lesson, f"урок № {lesson}"))
    elif not isinstance(lesson, int):
        assignment = context.get("assignment_id")
        if isinstance(assignment, int) and entity != "lesson":
            parts.append(names.assignments.get(assignment, f"нагрузка № {assignment}"))
        subject = context.get("subject_id")
        if isinstance(subject, int):
            parts.append(names.subjects.get(subject, f"предмет № {subject}"))
    period = context.get("period_id")
    if isinstance(period, int):
        parts.append(names.periods.get(period, f"период № {period}"))
    return ", ".join(p for p in parts if p)


def describe(
    session: Session, rows: Sequence[tuple[str, int | None, str, str]]
) -> list[ChangeText]:
    """(entity, entity_id, before JSON, after JSON) of one page → the same rows in words."""
    loaded = [(entity, entity_id, _load(b), _load(a)) for entity, entity_id, b, a in rows]
    ids = _Ids()
    for entity, entity_id, before, after in loaded:
        _collect(ids, entity, entity_id, (before, after))
    names = _resolve(session, ids)
    out = []
    for entity, entity_id, before, after in loaded:
        context = {**before, **after}
        subject = _subject(entity, entity_id, context, names)
        hidden = (*CONTEXT_KEYS, *REDUNDANT.get(entity, ()))
        keys = sorted(
            (k for k in dict.fromkeys([*before, *after]) if k not in hidden),
            key=lambda k: _ORDER.get(k, len(_ORDER)),
        )
        if entity == "user":
            keys = [k for k in keys if k not in ("staff_id", "parent_id", "student_id")] or keys
        if before and after:
            # Both sides known: only the fields that changed (all of them if none did).
            changed = [k for k in keys if before.get(k) != after.get(k)]
            keys = changed or keys
        out.append(
            ChangeText(
                subject=subject,
                before=_fields(before, keys, names, entity),
                after=_fields(after, keys, names, entity),
            )
        )
    return out
