"""Subgroups [000 §3.6], [003 §3.2] in the tiny school: 5 «А» (class teacher Волкова =
actor «class_teacher») has five students; Смирнова («russian») and Кузнецов («maths»)
teach there; Лебедева («primary») is the class teacher of 1 «А»."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlmodel import Session, col, func, select

from ejournal.domain import journal
from ejournal.domain.errors import ConflictError, PermissionDenied, ValidationError
from ejournal.domain.models import (
    AuditLog,
    CurriculumHours,
    Role,
    School,
    Subgroup,
    SubgroupMember,
    Subject,
    TeachingAssignment,
)
from ejournal.domain.permissions import Actor
from ejournal.domain.setup.subgroups import (
    add_group,
    class_splits,
    even_split,
    move_student,
    remove_group,
    rename_group,
    split_class,
    subgroup_classes,
)
from tests.factories import (
    D,
    TinySchool,
    add_lesson,
    add_mark,
    add_staff,
    make_school,
    staff_actor,
)

pytestmark = pytest.mark.db


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    t = make_school(session)
    english = Subject(school_id=t.school.id or 0, name="Английский язык")
    session.add(english)
    session.flush()
    session.add(
        CurriculumHours(
            year_id=t.year.id or 0,
            grade=5,
            subject_id=english.id or 0,
            hours_per_week=Decimal("3"),
            split_into_subgroups=True,
        )
    )
    session.commit()
    return t


def english(session: Session, tiny: TinySchool) -> Subject:
    return session.exec(select(Subject).where(Subject.name == "Английский язык")).one()


def groups(session: Session, tiny: TinySchool, subject: Subject) -> dict[str, list[str]]:
    """Group name → its members' surnames, as the class teacher's screen lists them."""
    view = class_splits(session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0)
    split = next(s for s in view.splits if s.subject_id == subject.id)
    return {g.name: [m.full_name.split()[0] for m in g.members] for g in split.groups}


def audit_rows(session: Session) -> list[AuditLog]:
    return list(
        session.exec(
            select(AuditLog).where(AuditLog.action == "setup.subgroup").order_by(col(AuditLog.id))
        ).all()
    )


def secretary(session: Session, tiny: TinySchool) -> Actor:
    staff, user = add_staff(session, tiny.school, "secretary", "Секретарёва", "Софья")
    session.commit()
    return staff_actor(tiny.school, user, staff, Role.SECRETARY)


def split_english(session: Session, tiny: TinySchool, groups_: int = 2) -> Subject:
    subject = english(session, tiny)
    split_class(
        session,
        actor=tiny.actors["class_teacher"],
        class_id=tiny.class5.id or 0,
        subject_id=subject.id or 0,
        groups=groups_,
    )
    session.commit()
    return subject


def test_even_split_gives_the_extra_students_to_the_first_groups() -> None:
    """11 in 2 → 6 + 5; 5 in 3 → 2 + 2 + 1; nobody lost or doubled."""
    assert [len(g) for g in even_split(list(range(11)), 2)] == [6, 5]
    assert even_split([1, 2, 3, 4, 5], 3) == [[1, 2], [3, 4], [5]]


def test_the_class_teacher_splits_the_class_alphabetically(session: Session, tiny: TinySchool):
    """Two groups «1 группа», «2 группа»: the alphabetical list (ё as е) cut 3 + 2, audited."""
    subject = english(session, tiny)
    done = split_class(
        session,
        actor=tiny.actors["class_teacher"],
        class_id=tiny.class5.id or 0,
        subject_id=subject.id or 0,
    )
    assert done.warning == ""  # the curriculum splits English
    assert groups(session, tiny, subject) == {
        "1 группа": ["Андреев", "Белова", "Григорьев"],
        "2 группа": ["Ёлкина", "Жуков"],
    }
    rows = audit_rows(session)
    assert [(r.entity, r.before) for r in rows] == [("subgroup", ""), ("subgroup", "")]
    assert json.loads(rows[0].after or "{}")["name"] == "1 группа"


def test_a_split_the_curriculum_does_not_foresee_is_warned_about(
    session: Session, tiny: TinySchool
):
    """Maths is not split in the curriculum: the split is made, with a warning in words."""
    done = split_class(
        session,
        actor=tiny.actors["class_teacher"],
        class_id=tiny.class5.id or 0,
        subject_id=tiny.maths.id or 0,
        groups=3,
    )
    assert "не отмечен как делящийся на подгруппы" in done.warning
    view = class_splits(session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0)
    [split] = view.splits
    assert [len(g.members) for g in split.groups] == [2, 2, 1]
    assert any("не отмечен как делящийся" in w for w in split.warnings)
    # Maths has a whole-class load (Кузнецов): the screen says the journal is not split.
    assert any("нагрузка на весь класс (Кузнецов И. О.)" in w for w in split.warnings)


def test_a_class_is_split_only_once_per_subject(session: Session, tiny: TinySchool):
    subject = split_english(session, tiny)
    with pytest.raises(ValidationError, match="уже разделён на группы"):
        split_class(
            session,
            actor=tiny.actors["class_teacher"],
            class_id=tiny.class5.id or 0,
            subject_id=subject.id or 0,
        )
    assert session.exec(select(func.count()).select_from(Subgroup)).one() == 2


def test_moving_a_student_keeps_them_in_exactly_one_group(session: Session, tiny: TinySchool):
    """Белова goes from group 1 to group 2: out of one, into the other, audited."""
    subject = split_english(session, tiny)
    view = class_splits(session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0)
    g1, g2 = view.splits[0].groups
    belova = tiny.students[3]
    before = len(audit_rows(session))
    done = move_student(
        session,
        actor=tiny.actors["class_teacher"],
        student_id=belova.id or 0,
        to_subgroup_id=g2.subgroup_id,
        from_subgroup_id=g1.subgroup_id,
    )
    assert done.message == "Белова Вера — в группе «2 группа»."
    assert groups(session, tiny, subject) == {
        "1 группа": ["Андреев", "Григорьев"],
        "2 группа": ["Белова", "Ёлкина", "Жуков"],
    }
    memberships = session.exec(
        select(func.count())
        .select_from(SubgroupMember)
        .where(SubgroupMember.student_id == belova.id)
    ).one()
    assert memberships == 1
    [row] = audit_rows(session)[before:]
    assert row.entity_id == g2.subgroup_id
    assert json.loads(row.before or "{}")["subgroup_id"] == g1.subgroup_id


def test_a_move_from_a_stale_screen_is_refused(session: Session, tiny: TinySchool):
    """Two class-teacher sessions: the first moved Белова already; the second, still showing
    her in group 1, tries to move her to group 3 — refused, nothing changed."""
    split_english(session, tiny, 3)
    view = class_splits(session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0)
    g1, g2, g3 = view.splits[0].groups
    belova = tiny.students[3]
    move_student(
        session,
        actor=tiny.actors["class_teacher"],
        student_id=belova.id or 0,
        to_subgroup_id=g2.subgroup_id,
        from_subgroup_id=g1.subgroup_id,
    )
    session.commit()
    with pytest.raises(ConflictError, match=r"Изменено другим пользователем.*«2 группа»"):
        move_student(
            session,
            actor=tiny.actors["class_teacher"],
            student_id=belova.id or 0,
            to_subgroup_id=g3.subgroup_id,
            from_subgroup_id=g1.subgroup_id,
        )
    session.rollback()
    assert "Белова" in groups(session, tiny, english(session, tiny))["2 группа"]


def test_a_student_moved_appears_on_the_other_teachers_journal_page(
    session: Session, tiny: TinySchool
):
    """Each group's teacher has an assignment with its subgroup: after the move, Белова is on
    the second teacher's page and no longer on the first's."""
    subject = split_english(session, tiny)
    view = class_splits(session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0)
    g1, g2 = view.splits[0].groups
    second_t, second_u = add_staff(session, tiny.school, "petrova", "Петрова", "Елена")
    assignments = []
    for teacher, group in ((tiny.staff["russian"], g1), (second_t, g2)):
        a = TeachingAssignment(
            year_id=tiny.year.id or 0,
            teacher_id=teacher.id or 0,
            class_id=tiny.class5.id or 0,
            subgroup_id=group.subgroup_id,
            subject_id=subject.id or 0,
            hours_per_week=Decimal("1.5"),
        )
        session.add(a)
        session.flush()
        assignments.append(a)
    session.commit()
    first = tiny.actors["russian"]
    second = staff_actor(tiny.school, second_u, second_t, Role.TEACHER)

    def page_names(actor: Actor, a: TeachingAssignment) -> list[str]:
        page = journal.load_page(
            session, actor=actor, assignment_id=a.id or 0, period_id=tiny.q1.id or 0
        )
        return [s.full_name.split()[0] for s in page.students]

    assert "Белова" in page_names(first, assignments[0])
    assert "Белова" not in page_names(second, assignments[1])
    lesson = add_lesson(session, assignments[0], D(2026, 10, 6))
    add_mark(session, lesson, tiny.students[3], 5, author=first)
    done = move_student(
        session,
        actor=tiny.actors["class_teacher"],
        student_id=tiny.students[3].id or 0,
        to_subgroup_id=g2.subgroup_id,
        from_subgroup_id=g1.subgroup_id,
    )
    session.commit()
    assert "журнале группы «1 группа» сохранены" in done.warning
    assert "Белова" not in page_names(first, assignments[0])
    assert "Белова" in page_names(second, assignments[1])
    # The screen names each group's teacher.
    view = class_splits(session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0)
    assert [g.teachers for g in view.splits[0].groups] == [("Смирнова А. П.",), ("Петрова Е.",)]


def test_a_newcomer_is_listed_unplaced_then_placed(session: Session, tiny: TinySchool):
    """A student who arrived after the split is in no group until the class teacher places
    them (from «не распределены»)."""
    from tests.factories import add_student

    subject = split_english(session, tiny)
    newest = add_student(session, tiny.class5, "Яковлев", "Ян", starts_on=D(2026, 10, 5))
    view = class_splits(session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0)
    split = view.splits[0]
    assert [m.full_name for m in split.unplaced] == ["Яковлев Ян"]
    assert any("Не распределены по группам: 1" in w for w in split.warnings)
    move_student(
        session,
        actor=tiny.actors["class_teacher"],
        student_id=newest.id or 0,
        to_subgroup_id=split.groups[1].subgroup_id,
        from_subgroup_id=None,
    )
    assert groups(session, tiny, subject)["2 группа"][-1] == "Яковлев"


def test_rename_checks_the_name_and_the_screen(session: Session, tiny: TinySchool):
    split_english(session, tiny)
    view = class_splits(session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0)
    g1, g2 = view.splits[0].groups
    ct = tiny.actors["class_teacher"]
    done = rename_group(
        session,
        actor=ct,
        subgroup_id=g1.subgroup_id,
        name="  Группа  Смирновой ",
        expected_name="1 группа",
    )
    assert done.message == "Группа переименована: «Группа Смирновой»."
    with pytest.raises(ValidationError, match="уже есть"):
        rename_group(
            session,
            actor=ct,
            subgroup_id=g2.subgroup_id,
            name="группа смирновой",
            expected_name="2 группа",
        )
    with pytest.raises(ValidationError, match="длиннее 50 знаков"):
        rename_group(
            session, actor=ct, subgroup_id=g2.subgroup_id, name="я" * 51, expected_name="2 группа"
        )
    with pytest.raises(ConflictError, match="Изменено другим пользователем"):
        rename_group(
            session, actor=ct, subgroup_id=g1.subgroup_id, name="Первая", expected_name="1 группа"
        )


def test_a_group_with_lessons_is_never_removed(session: Session, tiny: TinySchool):
    """Group 2 has a teacher's assignment with a lesson: refused; group 1 (no load) is removed
    and its members go to group 2; removing the last group ends the split."""
    subject = split_english(session, tiny)
    view = class_splits(session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0)
    g1, g2 = view.splits[0].groups
    a = TeachingAssignment(
        year_id=tiny.year.id or 0,
        teacher_id=tiny.staff["russian"].id or 0,
        class_id=tiny.class5.id or 0,
        subgroup_id=g2.subgroup_id,
        subject_id=subject.id or 0,
        hours_per_week=Decimal("1.5"),
    )
    session.add(a)
    session.commit()
    ct = tiny.actors["class_teacher"]
    with pytest.raises(ValidationError, match=r"назначен учитель \(Смирнова А\. П\.\)"):
        remove_group(session, actor=ct, subgroup_id=g2.subgroup_id)
    add_lesson(session, a, D(2026, 10, 6))
    with pytest.raises(ValidationError, match="уже есть уроки в журнале"):
        remove_group(session, actor=ct, subgroup_id=g2.subgroup_id)
    session.rollback()

    done = remove_group(session, actor=ct, subgroup_id=g1.subgroup_id)
    assert done.message == "Группа «1 группа» удалена; её учащиеся (3) — в группе «2 группа»."
    assert groups(session, tiny, subject) == {
        "2 группа": ["Андреев", "Белова", "Григорьев", "Ёлкина", "Жуков"]
    }
    assert audit_rows(session)[-1].reason == "группа удалена"


def test_add_group_then_remove_the_empty_one(session: Session, tiny: TinySchool):
    subject = split_english(session, tiny)
    ct = tiny.actors["class_teacher"]
    done = add_group(session, actor=ct, class_id=tiny.class5.id or 0, subject_id=subject.id or 0)
    assert done.message == "Добавлена «3 группа» (Английский язык)."
    view = class_splits(session, actor=ct, class_id=tiny.class5.id or 0)
    g3 = view.splits[0].groups[2]
    assert (g3.name, g3.members, g3.removable) == ("3 группа", (), True)
    remove_group(session, actor=ct, subgroup_id=g3.subgroup_id)
    assert list(groups(session, tiny, subject)) == ["1 группа", "2 группа"]


def test_the_secretary_sets_groups_of_any_class(session: Session, tiny: TinySchool):
    sec = secretary(session, tiny)
    assert [c.name for c in subgroup_classes(session, actor=sec)] == ["1 «А»", "5 «А»"]
    assert [c.name for c in subgroup_classes(session, actor=tiny.actors["class_teacher"])] == [
        "5 «А»"
    ]
    split_class(
        session,
        actor=sec,
        class_id=tiny.class1.id or 0,
        subject_id=english(session, tiny).id or 0,
    )
    view = class_splits(session, actor=sec, class_id=tiny.class1.id or 0)
    assert [len(g.members) for g in view.splits[0].groups] == [1, 0]


@pytest.mark.parametrize("who", ["russian", "primary", "parent", "student", "deputy"])
def test_others_change_nothing(session: Session, tiny: TinySchool, who: str):
    """A teacher of the class, another class's class teacher, a parent, a student, the
    deputy: no split, move, rename or removal; no reading of the class's groups."""
    subject = split_english(session, tiny)
    view = class_splits(session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0)
    g1, g2 = view.splits[0].groups
    actor = tiny.actors[who]
    before = len(audit_rows(session))
    calls = [
        lambda: class_splits(session, actor=actor, class_id=tiny.class5.id or 0),
        lambda: split_class(
            session, actor=actor, class_id=tiny.class5.id or 0, subject_id=tiny.maths.id or 0
        ),
        lambda: add_group(
            session, actor=actor, class_id=tiny.class5.id or 0, subject_id=subject.id or 0
        ),
        lambda: move_student(
            session,
            actor=actor,
            student_id=tiny.students[3].id or 0,
            to_subgroup_id=g2.subgroup_id,
            from_subgroup_id=g1.subgroup_id,
        ),
        lambda: rename_group(
            session, actor=actor, subgroup_id=g1.subgroup_id, name="X", expected_name="1 группа"
        ),
        lambda: remove_group(session, actor=actor, subgroup_id=g1.subgroup_id),
    ]
    for fn in calls:
        with pytest.raises(PermissionDenied):
            fn()
        session.rollback()
    assert len(audit_rows(session)) == before
    assert groups(session, tiny, subject)["1 группа"] == ["Андреев", "Белова", "Григорьев"]


def test_another_schools_class_teacher_is_refused(session: Session, tiny: TinySchool):
    """A class teacher whose class ids were forged to name this school's class is refused
    (the class is of another school)."""
    other = School(name="Школа № 2", short_name="Школа № 2")
    session.add(other)
    session.commit()
    forged = Actor(
        user_id=tiny.actors["class_teacher"].user_id,
        school_id=other.id or 0,
        roles=frozenset({Role.CLASS_TEACHER}),
        class_teacher_of=frozenset({tiny.class5.id or 0}),
    )
    with pytest.raises(PermissionDenied):
        split_class(
            session,
            actor=forged,
            class_id=tiny.class5.id or 0,
            subject_id=english(session, tiny).id or 0,
        )
