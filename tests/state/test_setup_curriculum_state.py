"""The curriculum page's handlers, called as a browser would: the deputy adds «Математика»,
sets 5 h for grade 5 and gives 5 «А» a teacher; refused input stays on screen; a teacher's
or a parent's forged calls change nothing. (State-test school: classes 5 «А» and 5 «Б»,
no subjects yet, one staff member per role, weekly limit 36 h.)"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import func, select

from ejournal.domain.models import (
    AuditLog,
    CurriculumHours,
    Role,
    School,
    Staff,
    Subject,
    TeachingAssignment,
)
from ejournal.state.setup_curriculum import WHOLE_CLASS, CurriculumState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import toast_text

REFUSED = "Недостаточно прав"


def _staff_id(world: StateWorld, role: Role) -> int:
    with world.session() as s:
        staff = s.exec(
            select(Staff).where(Staff.user_id == world.school.accounts[role].user_id)
        ).one()
        return staff.id or 0


def _counts(world: StateWorld) -> tuple[int, int, int, int]:
    with world.session() as s:
        return (
            s.exec(select(func.count()).select_from(Subject)).one(),
            s.exec(select(func.count()).select_from(CurriculumHours)).one(),
            s.exec(select(func.count()).select_from(TeachingAssignment)).one(),
            s.exec(select(func.count()).select_from(AuditLog)).one(),
        )


def _deputy(world: StateWorld) -> CurriculumState:
    st = world.state(CurriculumState, world.token(Role.DEPUTY))
    call(CurriculumState.load, st)
    return st


def _maths_with_hours(world: StateWorld, st: CurriculumState) -> int:
    call(CurriculumState.add_subject_form, st, {"name": "Математика", "short_name": ""})
    [subject] = st.subjects
    call(CurriculumState.save_grid, st, {f"hours.{subject.id}.5": "5"})
    return subject.id


def test_the_deputy_adds_maths_sets_hours_and_assigns_a_teacher(world: StateWorld) -> None:
    """The whole first set-up as the page does it, with the warnings it shows on the way."""
    st = _deputy(world)
    assert (st.subjects, st.grades, st.warnings, st.year_name) == ([], [5], [], "2026/2027")

    result = call(
        CurriculumState.add_subject_form, st, {"name": "Математика", "short_name": "Матем."}
    )
    assert toast_text(result) == "Предмет «Математика» добавлен."
    [subject] = st.subjects
    assert (subject.name, subject.marked, subject.used) == ("Математика", True, False)
    [row] = st.grid
    assert [(c.key, c.label, c.value) for c in row.cells] == [
        (f"hours.{subject.id}.5", "Математика, 5 класс, часов в неделю", "")
    ]

    result = call(CurriculumState.save_grid, st, {f"hours.{subject.id}.5": "5"})
    assert toast_text(result) == "Часы сохранены (1)."
    assert st.grid[0].cells[0].value == "5"
    assert st.warnings == [
        "5 «А», Математика: нет учителя (по учебному плану 5 ч в неделю)",
        "5 «Б», Математика: нет учителя (по учебному плану 5 ч в неделю)",
    ]

    class_a = next(o.value for o in st.class_options if o.label == "5 «А»")
    teacher = _staff_id(world, Role.TEACHER)
    call(CurriculumState.choose_class, st, class_a)
    call(CurriculumState.choose_subject, st, str(subject.id))
    call(CurriculumState.choose_teacher, st, str(teacher))
    assert st.add_hours_hint == "5"
    assert [o.value for o in st.subgroup_options] == [WHOLE_CLASS]
    result = call(CurriculumState.add_assignment, st, {"hours": ""})
    assert toast_text(result) == "Нагрузка добавлена: 5 ч в неделю."

    block = next(b for b in st.blocks if b.label == "5 «А»")
    [item] = block.rows
    assert (item.what, item.teacher_id, item.hours, item.plan) == (
        "Математика",
        str(teacher),
        "5",
        "5",
    )
    assert [(t.name, t.hours, t.over) for t in st.loads] == [("Учителева У. С.", "5", False)]
    assert st.warnings == ["5 «Б», Математика: нет учителя (по учебному плану 5 ч в неделю)"]


def test_bad_hours_stay_on_screen_with_the_reason_and_nothing_is_saved(
    world: StateWorld,
) -> None:
    st = _deputy(world)
    sid = _maths_with_hours(world, st)
    before = _counts(world)
    result = call(CurriculumState.save_grid, st, {f"hours.{sid}.5": "50"})
    assert "от 0,5 до 40" in toast_text(result)
    cell = st.grid[0].cells[0]
    assert cell.value == "50" and "Математика, 5 класс" in cell.error
    assert _counts(world) == before
    with world.session() as s:
        [stored] = s.exec(select(CurriculumHours)).all()
    assert Decimal(stored.hours_per_week) == Decimal("5")


def test_a_refused_assignment_keeps_the_form_and_says_why(world: StateWorld) -> None:
    """Maths in 5 «А» twice: the second is refused in Russian, the choices stay."""
    st = _deputy(world)
    sid = _maths_with_hours(world, st)
    class_a = next(o.value for o in st.class_options if o.label == "5 «А»")
    for value, handler in [
        (class_a, CurriculumState.choose_class),
        (str(sid), CurriculumState.choose_subject),
        (str(_staff_id(world, Role.TEACHER)), CurriculumState.choose_teacher),
    ]:
        call(handler, st, value)
    call(CurriculumState.add_assignment, st, {"hours": "5"})
    before = _counts(world)
    result = call(CurriculumState.add_assignment, st, {"hours": "4"})
    assert "Такая нагрузка уже есть: 5 «А», Математика." in toast_text(result)
    assert st.add_error.startswith("Такая нагрузка уже есть")
    assert (st.add_class, st.add_subject) == (class_a, str(sid))
    assert _counts(world) == before


def test_a_teacher_past_the_limit_gets_a_red_badge_and_a_warning(world: StateWorld) -> None:
    """With the limit at 4 h, the teacher's 5 h are past it: a toast says so on saving, the
    load list marks the teacher, and the warning is listed first."""
    with world.session() as s:
        school = s.get(School, world.school.school_id)
        assert school is not None
        school.max_weekly_load = Decimal("4.0")
        s.add(school)
        s.commit()
    st = _deputy(world)
    sid = _maths_with_hours(world, st)
    call(CurriculumState.choose_class, st, str(world.school.class_id))
    call(CurriculumState.choose_subject, st, str(sid))
    call(CurriculumState.choose_teacher, st, str(_staff_id(world, Role.TEACHER)))
    result = call(CurriculumState.add_assignment, st, {"hours": ""})
    warning = "Учителева У. С.: нагрузка 5 ч в неделю — больше предела 4 ч"
    assert warning in toast_text(result)
    assert st.limit_text == "4"
    assert [(t.name, t.over) for t in st.loads] == [("Учителева У. С.", True)]
    assert st.warnings[0] == warning


def test_a_row_changes_teacher_and_hours_and_an_empty_hour_is_refused(world: StateWorld) -> None:
    st = _deputy(world)
    sid = _maths_with_hours(world, st)
    call(CurriculumState.choose_class, st, str(world.school.class_id))
    call(CurriculumState.choose_subject, st, str(sid))
    call(CurriculumState.choose_teacher, st, str(_staff_id(world, Role.TEACHER)))
    call(CurriculumState.add_assignment, st, {"hours": ""})
    item = next(b for b in st.blocks if b.rows).rows[0]
    other = _staff_id(world, Role.CLASS_TEACHER)
    result = call(
        CurriculumState.save_assignment,
        st,
        {"assignment_id": str(item.id), "teacher_id": str(other), "hours": "4,5"},
    )
    assert "Обратите внимание" in toast_text(result)  # 4,5 h against 5 in the plan
    item = next(b for b in st.blocks if b.rows).rows[0]
    assert (item.teacher_id, item.hours, item.differs) == (str(other), "4,5", True)
    result = call(
        CurriculumState.save_assignment,
        st,
        {"assignment_id": str(item.id), "teacher_id": str(other), "hours": ""},
    )
    assert "удалите строку" in toast_text(result)
    result = call(CurriculumState.remove_assignment, st, item.id)
    assert toast_text(result) == "Нагрузка удалена: 5 «А», Математика."
    assert all(not b.rows for b in st.blocks)


@pytest.mark.parametrize("role", [Role.TEACHER, Role.CLASS_TEACHER, Role.PARENT])
def test_forged_calls_from_a_teacher_or_a_parent_change_nothing(
    world: StateWorld, role: Role
) -> None:
    """Every handler of the page, sent by a teacher, class teacher or parent with arguments
    taken from a real deputy's page, is refused and writes nothing."""
    deputy = _deputy(world)
    sid = _maths_with_hours(world, deputy)
    call(CurriculumState.choose_class, deputy, str(world.school.class_id))
    call(CurriculumState.choose_subject, deputy, str(sid))
    call(CurriculumState.choose_teacher, deputy, str(_staff_id(world, Role.TEACHER)))
    call(CurriculumState.add_assignment, deputy, {"hours": ""})
    aid = next(b for b in deputy.blocks if b.rows).rows[0].id
    before = _counts(world)

    st = world.state(CurriculumState, world.token(role))
    st.add_class, st.add_subject = str(world.school.other_class_id), str(sid)
    st.add_teacher = str(_staff_id(world, Role.TEACHER))
    calls = [
        (CurriculumState.load, ()),
        (CurriculumState.add_subject_form, ({"name": "Химия"},)),
        (CurriculumState.rename_subject, ({"subject_id": str(sid), "name": "Алгебра"},)),
        (CurriculumState.toggle_unmarked, (sid, True)),
        (CurriculumState.remove_subject, (sid,)),
        (CurriculumState.save_grid, ({f"hours.{sid}.5": "7"},)),
        (CurriculumState.toggle_split, (sid, 5, True)),
        (CurriculumState.add_assignment, ({"hours": "3"},)),
        (CurriculumState.save_assignment, ({"assignment_id": str(aid), "hours": "9"},)),
        (CurriculumState.remove_assignment, (aid,)),
    ]
    for handler, args in calls:
        assert REFUSED in toast_text(call(handler, st, *args)), handler
    assert (st.subjects, st.blocks, st.loaded) == ([], [], False)
    assert _counts(world) == before
    with world.session() as s:
        assert s.exec(select(Subject.name)).all() == ["Математика"]
        rows = s.exec(select(TeachingAssignment)).all()
        assert [Decimal(r.hours_per_week) for r in rows] == [Decimal("5")]


def test_the_load_table_shows_one_class_and_the_add_form_follows_it(world: StateWorld) -> None:
    """«Показать класс»: the first class by default, another one or «Все классы»; the add
    form's class follows the filter, a row added to another class switches the table to it,
    and the teachers' load list stays whole."""
    st = _deputy(world)
    sid = _maths_with_hours(world, st)
    class_a, class_b = str(world.school.class_id), str(world.school.other_class_id)
    assert [o.label for o in st.show_class_options] == ["Все классы", "5 «А»", "5 «Б»"]
    assert st.show_class == class_a and [b.label for b in st.blocks] == ["5 «А»"]
    assert st.add_class == class_a  # the add form starts on the class shown

    teacher = str(_staff_id(world, Role.TEACHER))
    call(CurriculumState.choose_subject, st, str(sid))
    call(CurriculumState.choose_teacher, st, teacher)
    call(CurriculumState.add_assignment, st, {"hours": ""})
    assert [(b.label, [r.what for r in b.rows]) for b in st.blocks] == [("5 «А»", ["Математика"])]

    call(CurriculumState.filter_load, st, class_b)
    assert [(b.label, b.rows) for b in st.blocks] == [("5 «Б»", [])]
    assert st.add_class == class_b and st.add_hours_hint == "5"

    call(CurriculumState.filter_load, st, class_a)
    call(CurriculumState.choose_class, st, class_b)
    call(CurriculumState.choose_teacher, st, str(_staff_id(world, Role.CLASS_TEACHER)))
    call(CurriculumState.add_assignment, st, {"hours": "4"})
    assert [(b.label, len(b.rows)) for b in st.blocks] == [("5 «Б»", 1)]
    assert sorted((t.name, t.hours) for t in st.loads) == [
        ("Классова К. А.", "4"),
        ("Учителева У. С.", "5"),
    ]

    call(CurriculumState.filter_load, st, "all")
    assert [(b.label, len(b.rows)) for b in st.blocks] == [("5 «А»", 1), ("5 «Б»", 1)]
    call(CurriculumState.filter_load, st, "999999")  # no such class: nothing changes
    assert st.show_class == "all" and len(st.blocks) == 2


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PARENT])
def test_the_load_filter_is_refused_to_a_teacher_or_a_parent(world: StateWorld, role: Role) -> None:
    st = world.state(CurriculumState, world.token(role))
    assert REFUSED in toast_text(call(CurriculumState.filter_load, st, "all"))
    assert st.blocks == [] and st.show_class == ""
