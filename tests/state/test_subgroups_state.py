"""The «Подгруппы» section of ``/class/students`` called as a browser would: the class
teacher splits 5 «А» for English, moves a student, renames and removes groups; a stale
screen is refused; a teacher, a parent, a student and another class's forged ids change
nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import col, func, select

from ejournal.domain.models import (
    AuditLog,
    Role,
    Student,
    Subgroup,
    SubgroupMember,
    Subject,
)
from ejournal.state.subgroups import SubgroupsState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import toast_text

REFUSED = "Недостаточно прав"


@pytest.fixture()
def english(world: StateWorld) -> int:
    """5 «А» gets three more students (four in all) and English; 5 «Б» a student too."""
    with world.session() as s:
        for last, first, class_id in [
            ("Антонов", "Антон", world.school.class_id),
            ("Борисова", "Белла", world.school.class_id),
            ("Яшин", "Яков", world.school.class_id),
            ("Бэшкин", "Богдан", world.school.other_class_id),
        ]:
            s.add(
                Student(
                    school_id=world.school.school_id,
                    last_name=last,
                    first_name=first,
                    gender="m",
                    birth_date=dt.date(2015, 1, 1),
                    class_id=class_id,
                )
            )
        subject = Subject(school_id=world.school.school_id, name="Английский язык")
        s.add(subject)
        s.commit()
        return subject.id or 0


def members(world: StateWorld, class_id: int | None = None) -> dict[str, list[str]]:
    with world.session() as s:
        rows = s.exec(
            select(Subgroup.name, Student.last_name)
            .join(SubgroupMember, col(SubgroupMember.subgroup_id) == Subgroup.id)
            .join(Student, col(Student.id) == SubgroupMember.student_id)
            .where(Subgroup.class_id == (class_id or world.school.class_id))
            .order_by(col(Subgroup.name), col(Student.last_name))
        ).all()
    found: dict[str, list[str]] = {}
    for name, last in rows:
        found.setdefault(name, []).append(last)
    return found


def audit_count(world: StateWorld) -> int:
    with world.session() as s:
        return s.exec(
            select(func.count())
            .select_from(AuditLog)
            .where(col(AuditLog.action) == "setup.subgroup")
        ).one()


def split_5a(world: StateWorld, token: str, subject_id: int) -> SubgroupsState:
    st = world.state(SubgroupsState, token)
    call(SubgroupsState.load, st)
    call(SubgroupsState.pick_new_subject, st, str(subject_id))
    call(SubgroupsState.pick_new_groups, st, "2")
    call(SubgroupsState.split, st)
    return st


def test_the_class_teacher_splits_and_moves(world: StateWorld, english: int):
    st = world.state(SubgroupsState, world.token(Role.CLASS_TEACHER))
    call(SubgroupsState.load, st)
    assert [c["label"] for c in st.classes] == ["5 «А»"]
    assert st.class_name == "5 «А»" and st.splits == []
    assert {"value": str(english), "label": "Английский язык"} in st.subjects

    call(SubgroupsState.pick_new_subject, st, str(english))
    result = call(SubgroupsState.split, st)
    # Not split in the curriculum (there is none): made, with the warning in a toast.
    assert "не отмечен как делящийся на подгруппы" in toast_text(result)
    assert members(world) == {"1 группа": ["Антонов", "Борисова"], "2 группа": ["Учеников", "Яшин"]}
    [split] = st.splits
    assert [g.name for g in split.groups] == ["1 группа", "2 группа"]
    assert [m.name for m in split.groups[0].members] == ["Антонов Антон", "Борисова Белла"]
    antonov = split.groups[0].members[0]
    assert antonov.href == f"/student?id={antonov.student_id}"
    assert [t.name for t in antonov.targets] == ["2 группа"]

    result = call(
        SubgroupsState.move,
        st,
        antonov.student_id,
        antonov.from_id,
        antonov.targets[0].subgroup_id,
    )
    assert toast_text(result) == "Антонов Антон — в группе «2 группа»."
    assert members(world)["2 группа"] == ["Антонов", "Учеников", "Яшин"]
    assert st.splits[0].groups[1].members[0].name == "Антонов Антон"
    assert audit_count(world) == 3


def test_a_stale_screen_is_refused_and_redrawn(world: StateWorld, english: int):
    """Two tabs of the class teacher: the first moves Антонов; the second, still showing
    him in group 1, tries the same move — refused, the screen redrawn."""
    token = world.token(Role.CLASS_TEACHER)
    first = split_5a(world, token, english)
    second = world.state(SubgroupsState, token)
    call(SubgroupsState.load, second)
    a = first.splits[0].groups[0].members[0]
    call(SubgroupsState.move, first, a.student_id, a.from_id, a.targets[0].subgroup_id)
    stale = second.splits[0].groups[0].members[0]
    assert stale.name == "Антонов Антон"
    result = call(
        SubgroupsState.move, second, stale.student_id, stale.from_id, stale.targets[0].subgroup_id
    )
    assert "Изменено другим пользователем" in toast_text(result)
    assert [m.name for m in second.splits[0].groups[0].members] == ["Борисова Белла"]
    assert audit_count(world) == 3


def test_rename_and_remove(world: StateWorld, english: int):
    st = split_5a(world, world.token(Role.CLASS_TEACHER), english)
    g1, g2 = st.splits[0].groups
    result = call(
        SubgroupsState.rename,
        st,
        {"subgroup_id": str(g1.subgroup_id), "old_name": g1.name, "name": "Группа А"},
    )
    assert "Группа переименована: «Группа А»" in toast_text(result)
    assert st.splits[0].groups[0].name == "Группа А"
    result = call(
        SubgroupsState.rename,
        st,
        {"subgroup_id": str(g2.subgroup_id), "old_name": g2.name, "name": ""},
    )
    assert "Введите название группы" in toast_text(result)
    assert st.error == "Введите название группы."
    result = call(SubgroupsState.remove_group, st, g2.subgroup_id)
    assert "её учащиеся (2) — в группе «Группа А»" in toast_text(result)
    assert members(world) == {"Группа А": ["Антонов", "Борисова", "Учеников", "Яшин"]}


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PARENT, Role.STUDENT, Role.DEPUTY])
def test_who_does_not_manage_students_changes_nothing(world: StateWorld, english: int, role: Role):
    """Forged calls with real ids from a teacher, a parent, a student, the deputy: refused
    by the handler, nothing written."""
    owner = split_5a(world, world.token(Role.CLASS_TEACHER), english)
    g1, g2 = owner.splits[0].groups
    a = g1.members[0]
    before = (members(world), audit_count(world))
    st = world.state(SubgroupsState, world.token(role))
    st.class_id = str(world.school.class_id)  # as if the page had been loaded
    st.new_subject = str(english)
    for handler, args in [
        (SubgroupsState.load, ()),
        (SubgroupsState.split, ()),
        (SubgroupsState.move, (a.student_id, g1.subgroup_id, g2.subgroup_id)),
        (
            SubgroupsState.rename,
            ({"subgroup_id": str(g1.subgroup_id), "old_name": g1.name, "name": "X"},),
        ),
        (SubgroupsState.add_group, (english,)),
        (SubgroupsState.remove_group, (g1.subgroup_id,)),
    ]:
        result = call(handler, st, *args)
        assert REFUSED in toast_text(result), handler
    assert (members(world), audit_count(world)) == before
    assert st.splits == []


def test_forged_ids_of_another_class_are_refused(world: StateWorld, english: int):
    """The class teacher of 5 «А» sends the ids of 5 «Б»'s groups and student, and picks
    5 «Б» in the class select: refused, 5 «Б» unchanged."""
    with world.session() as s:
        g1 = Subgroup(class_id=world.school.other_class_id, subject_id=english, name="1 группа")
        g2 = Subgroup(class_id=world.school.other_class_id, subject_id=english, name="2 группа")
        s.add(g1)
        s.add(g2)
        s.flush()
        b = s.exec(select(Student).where(Student.last_name == "Бэшкин")).one()
        s.add(SubgroupMember(subgroup_id=g1.id or 0, student_id=b.id or 0))
        s.commit()
        ids = (b.id or 0, g1.id or 0, g2.id or 0)
    st = world.state(SubgroupsState, world.token(Role.CLASS_TEACHER))
    call(SubgroupsState.load, st)
    before = (members(world, world.school.other_class_id), audit_count(world))
    assert "Класс не найден" in toast_text(
        call(SubgroupsState.choose_class, st, str(world.school.other_class_id))
    )
    assert REFUSED in toast_text(call(SubgroupsState.move, st, ids[0], ids[1], ids[2]))
    assert REFUSED in toast_text(call(SubgroupsState.remove_group, st, ids[1]))
    assert REFUSED in toast_text(
        call(
            SubgroupsState.rename,
            st,
            {"subgroup_id": str(ids[1]), "old_name": "1 группа", "name": "Взлом"},
        )
    )
    # Even with the class id forced into the state: the service refuses the class.
    st.class_id = str(world.school.other_class_id)
    st.new_subject = str(english)
    assert REFUSED in toast_text(call(SubgroupsState.add_group, st, english))
    assert (members(world, world.school.other_class_id), audit_count(world)) == before
