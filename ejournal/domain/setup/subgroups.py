"""Subgroups [000 §3.6], [003 §3.2]: the class teacher splits their class for a subject
(languages, informatics, labour) and moves students between the groups.

A *split* is the set of subgroups of one class for one subject; every current student of
the class is in exactly one group of a split (a newcomer waits in «не распределены» until
placed). Each group's teacher has a TeachingAssignment with that `subgroup_id` (set by the
deputy on «Учебный план и нагрузка»), and the journal page of that assignment lists only
the group's members: a student moved to another group appears on the other teacher's
page from then on.

Every write needs STUDENT_MANAGE on the class (the class teacher: own class; the
secretary and the administrator: every class of the school), holds the class's row until
commit (two people editing one class's groups run one after the other), and is audited
(SUBGROUP_UPDATE, entity SUBGROUP). A move carries the group the screen showed the
student in, and a rename the name it showed: a stale screen is refused in words.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import (
    AcademicYear,
    Attendance,
    ClassGroup,
    CurriculumHours,
    Lesson,
    Mark,
    Staff,
    Student,
    Subgroup,
    SubgroupMember,
    Subject,
    TeachingAssignment,
)
from ejournal.domain.people.naming import full_name, group_name, person_short
from ejournal.domain.permissions import (
    Actor,
    Permission,
    Target,
    require,
    require_some,
)
from ejournal.domain.school.classes import current_year_classes
from ejournal.domain.text_rules import normalise

MIN_GROUPS = 2
MAX_GROUPS = 5
NAME_LIMIT = 50  # the column's width
CHANGED = "Изменено другим пользователем"
NO_SUBJECT = "Без предмета"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ClassChoice:
    class_id: int
    name: str


@dataclass(frozen=True)
class SubjectChoice:
    subject_id: int
    name: str
    split_in_curriculum: bool  # the curriculum line says «делится на подгруппы»


@dataclass(frozen=True)
class Member:
    student_id: int
    full_name: str


@dataclass(frozen=True)
class GroupInfo:
    subgroup_id: int
    name: str
    teachers: tuple[str, ...]  # from the assignments of the group («Смирнова А. П.»)
    lessons: int  # lessons held or planned on the group's journal pages
    members: tuple[Member, ...]

    @property
    def removable(self) -> bool:
        """No teacher's load on the group yet (its journal would lose its page)."""
        return not self.teachers


@dataclass(frozen=True)
class Split:
    """A class's groups for one subject."""

    subject_id: int | None
    subject_name: str
    groups: tuple[GroupInfo, ...]
    unplaced: tuple[Member, ...]  # current students in no group of the split
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class ClassSplits:
    class_id: int
    class_name: str
    splits: tuple[Split, ...]
    subjects: tuple[SubjectChoice, ...]  # what the class may still be split for


@dataclass(frozen=True)
class Done:
    """What a write did, in Russian, and a warning the user should read (or "")."""

    message: str
    warning: str = ""


# --------------------------------------------------------------------------- small rules


def _sort_key(s: Student) -> tuple[str, str, str, int]:
    """Alphabetical as a class list reads: «ё» as «е», case ignored."""

    def k(text: str) -> str:
        return text.casefold().replace("ё", "е")

    return k(s.last_name), k(s.first_name), k(s.middle_name), s.id or 0


def even_split(items: list[int], groups: int) -> list[list[int]]:
    """`items` in order cut into `groups` runs whose sizes differ by at most one (the
    first groups take the extra ones): 11 students in 2 groups → 6 + 5."""
    size, extra = divmod(len(items), groups)
    out: list[list[int]] = []
    start = 0
    for i in range(groups):
        end = start + size + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def clean_group_name(value: object) -> str:
    name = normalise(str(value or ""), multiline=False)
    if not name:
        raise ValidationError("Введите название группы.")
    if len(name) > NAME_LIMIT:
        raise ValidationError(f"Название группы длиннее {NAME_LIMIT} знаков (сейчас {len(name)}).")
    return name


def _opt_id(value: object) -> int | None:
    """An id from a form (None, "", "0" mean none; anything else not a number: none)."""
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number or None


def _member(s: Student) -> Member:
    return Member(s.id or 0, full_name(s.last_name, s.first_name, s.middle_name))


# --------------------------------------------------------------------------- loading


def _class(session: Session, actor: Actor | None, class_id: int, *, lock: bool) -> ClassGroup:
    """The class, after the right on it; `lock` holds its row until commit."""
    actor = require_some(actor, Permission.STUDENT_MANAGE)
    try:
        class_id = int(class_id)
    except (TypeError, ValueError):
        raise NotFound("Класс не найден.") from None
    require(session, actor, Permission.STUDENT_MANAGE, Target(class_id=class_id))
    query = select(ClassGroup).where(ClassGroup.id == class_id)
    if lock:
        query = query.with_for_update()
    group = session.exec(query).first()
    if group is None:
        raise NotFound("Класс не найден.")
    if group.school_id != actor.school_id:
        raise PermissionDenied()
    year = session.get(AcademicYear, group.year_id)
    if year is None or not year.is_current:
        raise ValidationError(
            f"Класс {group_name(group)} не относится к текущему учебному году: его группы "
            "не меняются."
        )
    return group


def _subgroup(
    session: Session, actor: Actor | None, subgroup_id: int
) -> tuple[Subgroup, ClassGroup]:
    """The group and its (locked) class, after the right on the class."""
    actor = require_some(actor, Permission.STUDENT_MANAGE)
    try:
        sub = session.get(Subgroup, int(subgroup_id))
    except (TypeError, ValueError):
        sub = None
    if sub is None:
        raise NotFound("Группа не найдена: возможно, её уже удалили. Обновите страницу.")
    group = _class(session, actor, sub.class_id, lock=True)
    # Read again under the class's lock: someone may have removed it meanwhile.
    locked = session.get(Subgroup, sub.id, populate_existing=True)
    if locked is None:
        raise NotFound("Группа не найдена: возможно, её уже удалили. Обновите страницу.")
    return locked, group


def _students(session: Session, class_id: int) -> list[Student]:
    rows = session.exec(
        select(Student).where(Student.class_id == class_id, col(Student.is_active).is_(True))
    ).all()
    return sorted(rows, key=_sort_key)


def _split_of(session: Session, class_id: int, subject_id: int | None) -> list[Subgroup]:
    subject_clause = (
        col(Subgroup.subject_id).is_(None)
        if subject_id is None
        else col(Subgroup.subject_id) == subject_id
    )
    return list(
        session.exec(
            select(Subgroup)
            .where(Subgroup.class_id == class_id, subject_clause)
            .order_by(col(Subgroup.id))
        ).all()
    )


def _members(session: Session, subgroup_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    if subgroup_ids:
        for m in session.exec(
            select(SubgroupMember).where(col(SubgroupMember.subgroup_id).in_(subgroup_ids))
        ).all():
            found[m.subgroup_id].add(m.student_id)
    return found


def _curriculum_splits(session: Session, group: ClassGroup, subject_id: int) -> bool:
    row = session.exec(
        select(CurriculumHours).where(
            CurriculumHours.year_id == group.year_id,
            CurriculumHours.grade == group.grade,
            CurriculumHours.subject_id == subject_id,
        )
    ).first()
    return row is not None and row.split_into_subgroups


def curriculum_warning(session: Session, group: ClassGroup, subject: Subject) -> str:
    """A warning when the curriculum does not split `subject` for the class's grade."""
    if _curriculum_splits(session, group, subject.id or 0):
        return ""
    return (
        f"В учебном плане предмет «{subject.name}» для {group.grade} классов не отмечен как "
        "делящийся на подгруппы: проверьте учебный план."
    )


def _teachers(session: Session, subgroup_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    if not subgroup_ids:
        return found
    rows = session.exec(
        select(TeachingAssignment.subgroup_id, Staff)
        .join(Staff, col(Staff.id) == TeachingAssignment.teacher_id)
        .where(col(TeachingAssignment.subgroup_id).in_(subgroup_ids))
        .order_by(col(Staff.last_name), col(Staff.first_name))
    ).all()
    for sub_id, staff in rows:
        if sub_id is not None:
            found[sub_id].append(person_short(staff))
    return found


def _lesson_counts(session: Session, subgroup_ids: list[int]) -> dict[int, int]:
    if not subgroup_ids:
        return {}
    rows = session.exec(
        select(TeachingAssignment.subgroup_id, func.count(col(Lesson.id)))
        .join(Lesson, col(Lesson.assignment_id) == TeachingAssignment.id)
        .where(col(TeachingAssignment.subgroup_id).in_(subgroup_ids))
        .group_by(col(TeachingAssignment.subgroup_id))
    ).all()
    return {sid: n for sid, n in rows if sid is not None}


# --------------------------------------------------------------------------- reading


@read_only
def subgroup_classes(session: Session, *, actor: Actor | None) -> list[ClassChoice]:
    """The current year's classes whose groups `actor` sets (own class; all for ALL)."""
    actor = require_some(actor, Permission.STUDENT_MANAGE)
    rows = current_year_classes(session, actor, Permission.STUDENT_MANAGE)
    return [ClassChoice(g.id or 0, group_name(g)) for g in rows]


@read_only
def class_splits(session: Session, *, actor: Actor | None, class_id: int) -> ClassSplits:
    """The class's splits per subject: each group's members (alphabetical), its teachers
    (from the assignments), the students not yet placed, and the warnings."""
    group = _class(session, actor, class_id, lock=False)
    assert group.id is not None
    subgroups = list(
        session.exec(
            select(Subgroup).where(Subgroup.class_id == group.id).order_by(col(Subgroup.id))
        ).all()
    )
    ids = [s.id or 0 for s in subgroups]
    members = _members(session, ids)
    teachers = _teachers(session, ids)
    lessons = _lesson_counts(session, ids)
    students = _students(session, group.id)
    subjects = {
        s.id: s
        for s in session.exec(select(Subject).where(Subject.school_id == group.school_id)).all()
    }
    by_subject: dict[int | None, list[Subgroup]] = defaultdict(list)
    for sub in subgroups:
        by_subject[sub.subject_id].append(sub)

    whole_class = {
        subject_id: staff
        for subject_id, staff in session.exec(
            select(TeachingAssignment.subject_id, Staff)
            .join(Staff, col(Staff.id) == TeachingAssignment.teacher_id)
            .where(
                TeachingAssignment.class_id == group.id,
                col(TeachingAssignment.subgroup_id).is_(None),
            )
        ).all()
    }

    splits: list[Split] = []
    for subject_id, subs in by_subject.items():
        subject = subjects.get(subject_id) if subject_id is not None else None
        infos: list[GroupInfo] = []
        placed: set[int] = set()
        for sub in subs:
            in_group = members.get(sub.id or 0, set())
            placed |= in_group
            infos.append(
                GroupInfo(
                    subgroup_id=sub.id or 0,
                    name=sub.name,
                    teachers=tuple(teachers.get(sub.id or 0, ())),
                    lessons=lessons.get(sub.id or 0, 0),
                    members=tuple(_member(s) for s in students if s.id in in_group),
                )
            )
        warnings: list[str] = []
        if subject is not None:
            warning = curriculum_warning(session, group, subject)
            if warning:
                warnings.append(warning)
            whole = whole_class.get(subject.id or 0)
            if whole is not None:
                warnings.append(
                    f"По предмету «{subject.name}» есть нагрузка на весь класс "
                    f"({person_short(whole)}): этот журнал ведётся на весь класс, а не по "
                    "группам."
                )
        unplaced = tuple(_member(s) for s in students if s.id not in placed)
        if unplaced:
            warnings.append(
                f"Не распределены по группам: {len(unplaced)} — их нет ни в одном журнале "
                "групп этого предмета."
            )
        splits.append(
            Split(
                subject_id=subject_id,
                subject_name=subject.name if subject is not None else NO_SUBJECT,
                groups=tuple(infos),
                unplaced=unplaced,
                warnings=tuple(warnings),
            )
        )
    splits.sort(key=lambda s: s.subject_name.casefold())
    free = sorted(
        (
            SubjectChoice(sid, s.name, _curriculum_splits(session, group, sid))
            for sid, s in subjects.items()
            if sid is not None and sid not in by_subject
        ),
        key=lambda c: (not c.split_in_curriculum, c.name.casefold()),
    )
    return ClassSplits(group.id, group_name(group), tuple(splits), tuple(free))


# --------------------------------------------------------------------------- writing


def _audit(
    session: Session,
    actor: Actor,
    subgroup_id: int | None,
    before: object,
    after: object,
    reason: str = "",
) -> None:
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.SUBGROUP_UPDATE,
        entity=AuditEntity.SUBGROUP,
        entity_id=subgroup_id,
        before=before,
        after=after,
        reason=reason,
    )


def split_class(
    session: Session,
    *,
    actor: Actor | None,
    class_id: int,
    subject_id: int,
    groups: int = MIN_GROUPS,
) -> Done:
    """Split the class for `subject_id` into `groups` groups «1 группа», «2 группа» …,
    the alphabetical list cut evenly as a start. Refused when the class is already split
    for the subject; a warning when the curriculum does not split the subject."""
    group = _class(session, actor, class_id, lock=True)
    actor = require_some(actor, Permission.STUDENT_MANAGE)
    assert group.id is not None
    try:
        count = int(groups)
    except (TypeError, ValueError):
        count = 0
    if not MIN_GROUPS <= count <= MAX_GROUPS:
        raise ValidationError(f"Число групп — от {MIN_GROUPS} до {MAX_GROUPS}.")
    try:
        subject = session.get(Subject, int(subject_id))
    except (TypeError, ValueError):
        subject = None
    if subject is None or subject.school_id != group.school_id:
        raise NotFound("Предмет не найден.")
    if _split_of(session, group.id, subject.id):
        raise ValidationError(
            f"{group_name(group)} уже разделён на группы по предмету «{subject.name}»."
        )
    students = [s.id or 0 for s in _students(session, group.id)]
    for n, ids in enumerate(even_split(students, count), start=1):
        sub = Subgroup(class_id=group.id, subject_id=subject.id, name=f"{n} группа")
        session.add(sub)
        session.flush()
        assert sub.id is not None
        for sid in ids:
            session.add(SubgroupMember(subgroup_id=sub.id, student_id=sid))
        session.flush()
        _audit(
            session,
            actor,
            sub.id,
            None,
            audit.snapshot(sub, ("class_id", "subject_id", "name")) | {"members": ids},
            reason="класс разделён на группы",
        )
    return Done(
        f"{group_name(group)} разделён на {count} группы по предмету «{subject.name}».",
        curriculum_warning(session, group, subject),
    )


def add_group(session: Session, *, actor: Actor | None, class_id: int, subject_id: int) -> Done:
    """One more (empty) group in an existing split, named with the next number."""
    group = _class(session, actor, class_id, lock=True)
    actor = require_some(actor, Permission.STUDENT_MANAGE)
    assert group.id is not None
    try:
        subject = session.get(Subject, int(subject_id))
    except (TypeError, ValueError):
        subject = None
    if subject is None or subject.school_id != group.school_id:
        raise NotFound("Предмет не найден.")
    split = _split_of(session, group.id, subject.id)
    if not split:
        raise ValidationError(f"{group_name(group)} ещё не разделён по предмету «{subject.name}».")
    if len(split) >= MAX_GROUPS:
        raise ValidationError(f"Групп по предмету может быть не больше {MAX_GROUPS}.")
    taken = {s.name.casefold() for s in split}
    n = len(split) + 1
    while f"{n} группа" in taken:
        n += 1
    sub = Subgroup(class_id=group.id, subject_id=subject.id, name=f"{n} группа")
    session.add(sub)
    session.flush()
    _audit(
        session,
        actor,
        sub.id,
        None,
        audit.snapshot(sub, ("class_id", "subject_id", "name")) | {"members": []},
        reason="добавлена группа",
    )
    return Done(f"Добавлена «{sub.name}» ({subject.name}).")


def move_student(
    session: Session,
    *,
    actor: Actor | None,
    student_id: int,
    to_subgroup_id: int,
    from_subgroup_id: int | None,
) -> Done:
    """Move a student of the class into `to_subgroup_id`, out of the group of the same
    split they are in. `from_subgroup_id` is the group the screen showed them in (None:
    not placed); if that changed meanwhile the move is refused («Изменено другим
    пользователем»), so two people never silently undo each other's moves."""
    target, group = _subgroup(session, actor, to_subgroup_id)
    actor = require_some(actor, Permission.STUDENT_MANAGE)
    assert target.id is not None and group.id is not None
    try:
        student = session.get(Student, int(student_id))
    except (TypeError, ValueError):
        student = None
    if student is None or student.school_id != group.school_id:
        raise NotFound("Учащийся не найден.")
    if student.class_id != group.id or not student.is_active:
        raise ValidationError(f"{_member(student).full_name} не учится в {group_name(group)}.")
    split = _split_of(session, group.id, target.subject_id)
    split_ids = [s.id or 0 for s in split]
    current = session.exec(
        select(SubgroupMember).where(
            SubgroupMember.student_id == student.id,
            col(SubgroupMember.subgroup_id).in_(split_ids),
        )
    ).all()
    now_in = current[0].subgroup_id if current else None
    expected = _opt_id(from_subgroup_id)
    if now_in != expected:
        names = {s.id: s.name for s in split}
        where = f"«{names.get(now_in, '')}»" if now_in is not None else "не распределён(а)"
        raise ConflictError(
            f"{CHANGED}: {_member(student).full_name} сейчас — {where}. Обновите страницу и "
            "проверьте."
        )
    if now_in == target.id:
        raise ValidationError(f"{_member(student).full_name} уже в группе «{target.name}».")
    for m in current:
        session.delete(m)
    session.flush()
    session.add(SubgroupMember(subgroup_id=target.id, student_id=student.id or 0))
    session.flush()
    _audit(
        session,
        actor,
        target.id,
        {"student_id": student.id, "subgroup_id": now_in},
        {"student_id": student.id, "subgroup_id": target.id},
        reason="перевод в другую группу" if now_in is not None else "распределён(а) в группу",
    )
    warning = ""
    if now_in is not None and _has_records(session, student.id or 0, now_in):
        old = next((s.name for s in split if s.id == now_in), "")
        warning = (
            f"Отметки и пропуски ученика в журнале группы «{old}» сохранены, но на странице "
            "той группы он(а) больше не показан(а)."
        )
    return Done(f"{_member(student).full_name} — в группе «{target.name}».", warning)


def _has_records(session: Session, student_id: int, subgroup_id: int) -> bool:
    """Whether the student has marks or attendance on the group's journal pages."""
    lessons = (
        select(Lesson.id)
        .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
        .where(TeachingAssignment.subgroup_id == subgroup_id)
    )
    for table in (Mark, Attendance):
        found = session.exec(
            select(table.id).where(
                table.student_id == student_id, col(table.lesson_id).in_(lessons)
            )
        ).first()
        if found is not None:
            return True
    return False


def rename_group(
    session: Session, *, actor: Actor | None, subgroup_id: int, name: str, expected_name: str
) -> Done:
    """Rename a group (unique within its split); `expected_name` is the name the screen
    showed, refused when someone renamed it meanwhile."""
    sub, group = _subgroup(session, actor, subgroup_id)
    actor = require_some(actor, Permission.STUDENT_MANAGE)
    new = clean_group_name(name)
    if sub.name != normalise(str(expected_name or ""), multiline=False):
        raise ConflictError(f"{CHANGED}: группа теперь называется «{sub.name}». Обновите страницу.")
    if new == sub.name:
        return Done("Название не изменилось.")
    others = [s for s in _split_of(session, group.id or 0, sub.subject_id) if s.id != sub.id]
    if any(s.name.casefold() == new.casefold() for s in others):
        raise ValidationError(f"Группа «{new}» по этому предмету уже есть.")
    before, after = audit.changes(sub, {"name": new})
    sub.name = new
    session.add(sub)
    session.flush()
    _audit(session, actor, sub.id, before, after, reason="группа переименована")
    return Done(f"Группа переименована: «{new}».")


def remove_group(session: Session, *, actor: Actor | None, subgroup_id: int) -> Done:
    """Remove a group no teacher's load refers to; its members move to the first other
    group of the split (removing the last group undoes the split). A group with lessons
    in the journal is never removed."""
    sub, group = _subgroup(session, actor, subgroup_id)
    actor = require_some(actor, Permission.STUDENT_MANAGE)
    assert sub.id is not None
    teachers = _teachers(session, [sub.id]).get(sub.id, [])
    if _lesson_counts(session, [sub.id]).get(sub.id, 0):
        raise ValidationError(
            f"У группы «{sub.name}» уже есть уроки в журнале ({', '.join(teachers)}): удалить "
            "её нельзя."
        )
    if teachers:
        raise ValidationError(
            f"На группу «{sub.name}» назначен учитель ({', '.join(teachers)}): сначала снимите "
            "эту нагрузку на странице «Учебный план и нагрузка»."
        )
    rest = [s for s in _split_of(session, group.id or 0, sub.subject_id) if s.id != sub.id]
    heir = rest[0] if rest else None
    members = session.exec(select(SubgroupMember).where(SubgroupMember.subgroup_id == sub.id)).all()
    moved = sorted(m.student_id for m in members)
    already = _members(session, [heir.id or 0]).get(heir.id or 0, set()) if heir else set()
    before = audit.snapshot(sub, ("class_id", "subject_id", "name")) | {"members": moved}
    for m in members:
        session.delete(m)
    session.flush()
    if heir is not None:
        for sid in moved:
            if sid not in already:
                session.add(SubgroupMember(subgroup_id=heir.id or 0, student_id=sid))
    session.delete(sub)
    session.flush()
    _audit(
        session,
        actor,
        sub.id,
        before,
        {"members_moved_to": heir.id if heir else None},
        reason="группа удалена",
    )
    if heir is None:
        return Done(f"Группа «{sub.name}» удалена: класс по этому предмету больше не делится.")
    tail = f"; её учащиеся ({len(moved)}) — в группе «{heir.name}»" if moved else ""
    return Done(f"Группа «{sub.name}» удалена{tail}.")
