"""Curriculum and teaching load (issue 13) on the tiny school.

The tiny school's load, counted by hand: Смирнова А. П. — Russian 5 «А» 5 h; Кузнецов И. О. —
maths 5 «А» 5 h; Волкова О. И. — music 5 «А» 1 h; Лебедева М. — Russian 1 «А» 5 h. The
school's weekly limit is 36 h; the curriculum (CurriculumHours) starts empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from ejournal.domain import db, migrate
from ejournal.domain.errors import NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import (
    AcademicYear,
    AuditLog,
    ClassGroup,
    CurriculumHours,
    Role,
    School,
    Subject,
    TeachingAssignment,
)
from ejournal.domain.permissions import Actor
from ejournal.domain.school.settings import SettingsInvalid, get_settings, update_settings
from ejournal.domain.setup import curriculum as cur
from ejournal.domain.setup.curriculum import HoursInvalid
from tests import conftest
from tests.concurrency import together as _together
from tests.conftest import BACKENDS
from tests.factories import (
    D,
    TinySchool,
    add_lesson,
    add_staff,
    add_subgroup,
    make_school,
    staff_actor,
)

pytestmark = pytest.mark.db


# --------------------------------------------------------------------------- helpers


def audits(session: Session, action: str | None = None) -> int:
    q = select(func.count()).select_from(AuditLog)
    if action is not None:
        q = q.where(col(AuditLog.action) == action)
    return session.exec(q).one()


def plan_rows(session: Session) -> list[tuple[int, int, Decimal, bool]]:
    rows = session.exec(select(CurriculumHours)).all()
    return sorted(
        (r.grade, r.subject_id, Decimal(r.hours_per_week), r.split_into_subgroups) for r in rows
    )


def assignment_rows(session: Session) -> list[tuple[int, int, int | None, int, Decimal]]:
    rows = session.exec(select(TeachingAssignment)).all()
    return sorted(
        (r.class_id, r.subject_id, r.subgroup_id, r.teacher_id, Decimal(r.hours_per_week))
        for r in rows
    )


def warnings(session: Session, tiny: TinySchool) -> list[str]:
    return [w.text for w in cur.get_curriculum(session, actor=tiny.actors["deputy"]).warnings]


def loads(session: Session, tiny: TinySchool) -> list[tuple[str, str, bool]]:
    view = cur.get_curriculum(session, actor=tiny.actors["deputy"])
    return [(t.name, cur.hours_text(t.hours), t.over) for t in view.loads]


def full_plan(session: Session, tiny: TinySchool) -> None:
    """The curriculum matching the tiny school's load: no warning is left."""
    deputy = tiny.actors["deputy"]
    for grade, subject, hours in [
        (5, tiny.russian, "5"),
        (5, tiny.maths, "5"),
        (5, tiny.music, "1"),
        (1, tiny.russian, "5"),
    ]:
        cur.set_curriculum_hours(
            session, actor=deputy, grade=grade, subject_id=subject.id, hours=hours
        )


def add_class(session: Session, tiny: TinySchool, grade: int, letter: str) -> ClassGroup:
    group = ClassGroup(
        school_id=tiny.school.id or 0, year_id=tiny.year.id or 0, grade=grade, letter=letter
    )
    session.add(group)
    session.commit()
    return group


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


# --------------------------------------------------------------------------- load


def test_the_tiny_schools_load_is_counted_by_hand(session: Session, tiny: TinySchool) -> None:
    """Each teacher's weekly hours are the sum of their assignments, sorted by name."""
    assert loads(session, tiny) == [
        ("Волкова О. И.", "1", False),
        ("Кузнецов И. О.", "5", False),
        ("Лебедева М.", "5", False),
        ("Смирнова А. П.", "5", False),
    ]
    cur.add_assignment(
        session,
        actor=tiny.actors["deputy"],
        class_id=tiny.class1.id,
        subject_id=tiny.maths.id,
        teacher_id=tiny.staff["maths"].id,
        hours="4,5",
    )
    assert ("Кузнецов И. О.", "9,5", False) in loads(session, tiny)


def test_a_teacher_past_the_limit_is_warned_with_both_numbers(
    session: Session, tiny: TinySchool
) -> None:
    """Кузнецов at 36 h is within the limit; one more class makes 38 h and the warning
    names 38 and 36. It is a warning: the assignment is saved."""
    full_plan(session, tiny)
    six = add_class(session, tiny, 6, "А")
    deputy = tiny.actors["deputy"]
    cur.set_curriculum_hours(session, actor=deputy, grade=6, subject_id=tiny.maths.id, hours="31")
    saved = cur.add_assignment(
        session,
        actor=deputy,
        class_id=six.id,
        subject_id=tiny.maths.id,
        teacher_id=tiny.staff["maths"].id,
    )
    assert saved.hours == Decimal("31")  # from the curriculum
    assert warnings(session, tiny) == []  # 5 + 31 = 36: at the limit, not past it
    assert saved.warnings == ()

    cur.update_assignment(session, actor=deputy, assignment_id=saved.assignment_id, hours="33")
    assert warnings(session, tiny) == [
        "Кузнецов И. О.: нагрузка 38 ч в неделю — больше предела 36 ч",
        "6 «А», Математика: назначено 33 ч в неделю, по учебному плану 31 ч",
    ]
    assert ("Кузнецов И. О.", "38", True) in loads(session, tiny)


def test_the_limit_comes_from_the_school_settings(session: Session, tiny: TinySchool) -> None:
    """The deputy lowers the limit to 4,5 h on the settings page: the four teachers with
    5 h are warned, the music teacher with 1 h is not."""
    deputy = tiny.actors["deputy"]
    loaded = get_settings(session, actor=deputy).form_values()
    assert loaded["max_weekly_load"] == "36,0"
    update_settings(session, actor=deputy, changes={"max_weekly_load": "4,5"}, loaded=loaded)
    assert session.get(School, tiny.school.id).max_weekly_load == Decimal("4.5")  # type: ignore[union-attr]
    over = [w for w in warnings(session, tiny) if "нагрузка" in w]
    assert over == [
        "Кузнецов И. О.: нагрузка 5 ч в неделю — больше предела 4,5 ч",
        "Лебедева М.: нагрузка 5 ч в неделю — больше предела 4,5 ч",
        "Смирнова А. П.: нагрузка 5 ч в неделю — больше предела 4,5 ч",
    ]


def test_a_limit_with_two_decimals_or_zero_is_refused(session: Session, tiny: TinySchool) -> None:
    """The column keeps one decimal: «36,25» and «0» are refused naming the range."""
    deputy = tiny.actors["deputy"]
    loaded = get_settings(session, actor=deputy).form_values()
    for typed in ("36,25", "0", "61"):
        with pytest.raises(SettingsInvalid) as e:
            update_settings(
                session, actor=deputy, changes={"max_weekly_load": typed}, loaded=loaded
            )
        assert "число от 1,0 до 60,0, не больше одного знака после запятой" in e.value.message
    assert session.get(School, tiny.school.id).max_weekly_load == Decimal("36.0")  # type: ignore[union-attr]


# --------------------------------------------------------------------------- warnings


def test_without_a_curriculum_every_assignment_is_named(session: Session, tiny: TinySchool) -> None:
    """Assignments with no curriculum hours behind them are each warned about (by class,
    then subject in the list's order)."""
    missing = "а в учебном плане {} классов этого предмета нет"
    assert warnings(session, tiny) == [
        "1 «А», Русский язык: назначено 5 ч в неделю, " + missing.format(1),
        "5 «А», Математика: назначено 5 ч в неделю, " + missing.format(5),
        "5 «А», Музыка: назначено 1 ч в неделю, " + missing.format(5),
        "5 «А», Русский язык: назначено 5 ч в неделю, " + missing.format(5),
    ]


def test_a_matching_plan_leaves_no_warning_and_a_difference_is_named(
    session: Session, tiny: TinySchool
) -> None:
    """With the curriculum equal to the load there is nothing to say; Russian at 4 h in the
    plan against 5 h taught is named with both numbers."""
    full_plan(session, tiny)
    assert warnings(session, tiny) == []
    cur.set_curriculum_hours(
        session, actor=tiny.actors["deputy"], grade=5, subject_id=tiny.russian.id, hours="4"
    )
    assert warnings(session, tiny) == [
        "5 «А», Русский язык: назначено 5 ч в неделю, по учебному плану 4 ч"
    ]


def test_a_planned_subject_nobody_teaches_is_named_per_class(
    session: Session, tiny: TinySchool
) -> None:
    """English in grade 5's plan, 5 «А» and 5 «Б» without a teacher: both named; once 5 «А»
    has its teacher, only 5 «Б» is left."""
    full_plan(session, tiny)
    deputy = tiny.actors["deputy"]
    english = cur.add_subject(session, actor=deputy, name="Английский язык")
    five_b = add_class(session, tiny, 5, "Б")
    cur.set_curriculum_hours(session, actor=deputy, grade=5, subject_id=english, hours="3")
    found = warnings(session, tiny)
    assert "5 «А», Английский язык: нет учителя (по учебному плану 3 ч в неделю)" in found
    assert "5 «Б», Английский язык: нет учителя (по учебному плану 3 ч в неделю)" in found
    cur.add_assignment(
        session,
        actor=deputy,
        class_id=tiny.class5.id,
        subject_id=english,
        teacher_id=tiny.staff["russian"].id,
    )
    english_warnings = [w for w in warnings(session, tiny) if "Английский" in w]
    assert english_warnings == [
        "5 «Б», Английский язык: нет учителя (по учебному плану 3 ч в неделю)"
    ]
    del five_b


def test_a_split_subject_is_checked_per_subgroup(session: Session, tiny: TinySchool) -> None:
    """English split into two groups in 5 «А»: each group needs its own 3 h."""
    full_plan(session, tiny)
    deputy = tiny.actors["deputy"]
    english_id = cur.add_subject(session, actor=deputy, name="Английский язык")
    english = session.get(Subject, english_id)
    assert english is not None
    cur.set_curriculum_hours(session, actor=deputy, grade=5, subject_id=english_id, hours="3")
    cur.set_split(session, actor=deputy, grade=5, subject_id=english_id, split=True)
    g1 = add_subgroup(session, tiny.class5, english, "Группа 1", tiny.students[:2])
    g2 = add_subgroup(session, tiny.class5, english, "Группа 2", tiny.students[2:4])
    assert [w for w in warnings(session, tiny) if "Английский" in w] == [
        "5 «А», Группа 1, Английский язык: нет учителя (по учебному плану 3 ч в неделю)",
        "5 «А», Группа 2, Английский язык: нет учителя (по учебному плану 3 ч в неделю)",
    ]
    cur.add_assignment(
        session,
        actor=deputy,
        class_id=tiny.class5.id,
        subject_id=english_id,
        subgroup_id=g1.id,
        teacher_id=tiny.staff["russian"].id,
    )
    cur.add_assignment(
        session,
        actor=deputy,
        class_id=tiny.class5.id,
        subject_id=english_id,
        subgroup_id=g2.id,
        teacher_id=tiny.staff["class_teacher"].id,
        hours="2",
    )
    assert warnings(session, tiny) == [
        "5 «А», Группа 2, Английский язык: назначено 2 ч в неделю, по учебному плану 3 ч"
    ]
    # Each subgroup teacher carries the subgroup's hours.
    assert ("Смирнова А. П.", "8", False) in loads(session, tiny)


# --------------------------------------------------------------------------- hours grid


def test_hours_are_set_changed_and_cleared_with_an_audit_row_each(
    session: Session, tiny: TinySchool
) -> None:
    """«4,5» stores 4.5; «5» changes it; «0» and empty remove it; each change is audited."""
    deputy = tiny.actors["deputy"]
    mid = tiny.maths.id or 0

    def set_(h: str) -> Decimal | None:
        return cur.set_curriculum_hours(session, actor=deputy, grade=5, subject_id=mid, hours=h)

    assert set_("4,5") == Decimal("4.5")
    assert plan_rows(session) == [(5, mid, Decimal("4.5"), False)]
    set_("5")
    set_("5")  # the same value: no change, no audit row
    assert plan_rows(session) == [(5, mid, Decimal("5.0"), False)]
    assert set_("0") is None and plan_rows(session) == []
    set_("2")
    assert set_("") is None and plan_rows(session) == []
    assert audits(session, "setup.curriculum") == 5


@pytest.mark.parametrize("typed", ["0,3", "41", "2,25", "-1", "пять", "1e400", "NaN"])
def test_bad_hours_are_refused_in_russian_and_nothing_changes(
    session: Session, tiny: TinySchool, typed: str
) -> None:
    """Hours outside 0,5–40 or off the 0,5 step are refused; the stored plan stays."""
    deputy = tiny.actors["deputy"]
    cur.set_curriculum_hours(session, actor=deputy, grade=5, subject_id=tiny.maths.id, hours="5")
    before = (plan_rows(session), audits(session))
    with pytest.raises(ValidationError) as e:
        cur.set_curriculum_hours(
            session, actor=deputy, grade=5, subject_id=tiny.maths.id, hours=typed
        )
    assert "Математика, 5 класс" in e.value.message and "0,5" in e.value.message
    assert (plan_rows(session), audits(session)) == before


def test_the_grid_saves_all_cells_or_none(session: Session, tiny: TinySchool) -> None:
    """One bad cell among good ones: nothing is saved and the bad cell is named."""
    deputy = tiny.actors["deputy"]
    mid, rid = tiny.maths.id or 0, tiny.russian.id or 0
    with pytest.raises(HoursInvalid) as e:
        cur.save_hours(session, actor=deputy, cells={(mid, 5): "5", (rid, 5): "100"})
    assert list(e.value.errors) == [(rid, 5)]
    assert plan_rows(session) == [] and audits(session) == 0
    assert cur.save_hours(session, actor=deputy, cells={(mid, 5): "5", (rid, 5): "4"}) == 2
    assert plan_rows(session) == sorted(
        [(5, mid, Decimal("5.0"), False), (5, rid, Decimal("4.0"), False)]
    )


def test_the_split_flag_needs_hours_first(session: Session, tiny: TinySchool) -> None:
    """«Делится на подгруппы» on a cell without hours is refused; with hours it is stored."""
    deputy = tiny.actors["deputy"]
    with pytest.raises(ValidationError, match="Сначала укажите часы"):
        cur.set_split(session, actor=deputy, grade=5, subject_id=tiny.music.id, split=True)
    cur.set_curriculum_hours(session, actor=deputy, grade=5, subject_id=tiny.music.id, hours="1")
    assert cur.set_split(session, actor=deputy, grade=5, subject_id=tiny.music.id, split=True)
    assert plan_rows(session) == [(5, tiny.music.id, Decimal("1.0"), True)]


# --------------------------------------------------------------------------- subjects


def test_subjects_are_added_renamed_marked_and_removed_only_when_unused(
    session: Session, tiny: TinySchool
) -> None:
    """A new subject is added (a second with another case or «ё» refused), renamed, set
    «без отметок», and removed; a subject in use is refused with where it is used."""
    deputy = tiny.actors["deputy"]
    sid = cur.add_subject(session, actor=deputy, name="  Физика ", short_name="Физ.")
    with pytest.raises(ValidationError, match="«Физика» уже есть"):
        cur.add_subject(session, actor=deputy, name="физика")
    with pytest.raises(ValidationError, match="«Математика» уже есть"):
        cur.update_subject(session, actor=deputy, subject_id=sid, name="МАТЕМАТИКА")
    assert cur.update_subject(session, actor=deputy, subject_id=sid, name="Физика и астрономия")
    assert cur.update_subject(session, actor=deputy, subject_id=sid, marked=False)
    subject = session.get(Subject, sid)
    assert subject is not None and (subject.name, subject.short_name, subject.marked) == (
        "Физика и астрономия",
        "Физ.",
        False,
    )
    with pytest.raises(ValidationError) as e:
        cur.remove_subject(session, actor=deputy, subject_id=tiny.maths.id)
    assert e.value.message == (
        "Предмет «Математика» нельзя удалить: он используется в нагрузке учителей. "
        "Сначала уберите его оттуда."
    )
    view = cur.get_curriculum(session, actor=deputy)
    assert [(s.name, s.used) for s in view.subjects][-1] == ("Физика и астрономия", False)
    assert cur.remove_subject(session, actor=deputy, subject_id=sid) == "Физика и астрономия"
    assert session.get(Subject, sid) is None
    rows = session.exec(select(AuditLog).where(col(AuditLog.entity) == "subject")).all()
    assert len(rows) == 4  # added, renamed, unmarked, removed


def test_an_empty_subject_name_is_refused(session: Session, tiny: TinySchool) -> None:
    with pytest.raises(ValidationError, match="Введите название предмета"):
        cur.add_subject(session, actor=tiny.actors["deputy"], name="   ")
    assert audits(session) == 0


# --------------------------------------------------------------------------- assignments


def test_an_assignment_takes_the_curriculum_hours_by_default(
    session: Session, tiny: TinySchool
) -> None:
    """Maths for 1 «А»: refused without hours while the plan has none, then 4 h from the plan."""
    deputy = tiny.actors["deputy"]
    kwargs: dict[str, Any] = {
        "class_id": tiny.class1.id,
        "subject_id": tiny.maths.id,
        "teacher_id": tiny.staff["primary"].id,
    }
    with pytest.raises(ValidationError, match="в учебном плане 1 классов нет часов"):
        cur.add_assignment(session, actor=deputy, **kwargs)
    cur.set_curriculum_hours(session, actor=deputy, grade=1, subject_id=tiny.maths.id, hours="4")
    saved = cur.add_assignment(session, actor=deputy, **kwargs)
    row = session.get(TeachingAssignment, saved.assignment_id)
    assert row is not None and Decimal(row.hours_per_week) == Decimal("4")
    last = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
    assert last is not None and (last.action, last.entity) == (
        "setup.assignment",
        "teaching_assignment",
    )


def test_the_same_class_and_subject_twice_is_refused(session: Session, tiny: TinySchool) -> None:
    """Maths in 5 «А» exists: a second, even with another teacher, is refused in Russian."""
    before = (assignment_rows(session), audits(session))
    with pytest.raises(ValidationError) as e:
        cur.add_assignment(
            session,
            actor=tiny.actors["deputy"],
            class_id=tiny.class5.id,
            subject_id=tiny.maths.id,
            teacher_id=tiny.staff["russian"].id,
            hours="2",
        )
    assert e.value.message.startswith("Такая нагрузка уже есть: 5 «А», Математика.")
    assert (assignment_rows(session), audits(session)) == before


def test_a_subgroup_of_another_class_or_subject_is_refused(
    session: Session, tiny: TinySchool
) -> None:
    deputy = tiny.actors["deputy"]
    music_group = add_subgroup(session, tiny.class5, tiny.music, "Хор", [])
    with pytest.raises(ValidationError, match="создана для другого предмета"):
        cur.add_assignment(
            session,
            actor=deputy,
            class_id=tiny.class5.id,
            subject_id=tiny.maths.id,
            subgroup_id=music_group.id,
            teacher_id=tiny.staff["maths"].id,
            hours="1",
        )
    with pytest.raises(ValidationError, match="подгруппу этого класса"):
        cur.add_assignment(
            session,
            actor=deputy,
            class_id=tiny.class1.id,
            subject_id=tiny.music.id,
            subgroup_id=music_group.id,
            teacher_id=tiny.staff["maths"].id,
            hours="1",
        )


def test_teacher_and_hours_change_with_before_and_after_in_the_audit(
    session: Session, tiny: TinySchool
) -> None:
    deputy = tiny.actors["deputy"]
    aid = tiny.maths_5a.id
    saved = cur.update_assignment(
        session,
        actor=deputy,
        assignment_id=aid,
        teacher_id=tiny.staff["russian"].id,
        hours="6",
    )
    assert saved.hours == Decimal("6")
    row = session.get(TeachingAssignment, aid)
    assert row is not None and row.teacher_id == tiny.staff["russian"].id
    last = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
    assert last is not None and '"teacher_id"' in (last.before or "")
    assert ("Смирнова А. П.", "11", False) in loads(session, tiny)
    with pytest.raises(ValidationError, match="удалите строку"):
        cur.update_assignment(session, actor=deputy, assignment_id=aid, hours="")


def test_an_assignment_with_lessons_or_a_timetable_is_not_removed(
    session: Session, tiny: TinySchool
) -> None:
    """Maths has a lesson: refused, naming it; Russian stands in the timetable: refused;
    music has neither: removed and audited."""
    deputy = tiny.actors["deputy"]
    add_lesson(session, tiny.maths_5a, D(2026, 10, 19), 1)
    with pytest.raises(ValidationError) as e:
        cur.remove_assignment(session, actor=deputy, assignment_id=tiny.maths_5a.id)
    assert e.value.message == (
        "Нагрузку нельзя удалить: по ней в журнале уже 1 урок. Смените учителя вместо удаления."
    )
    with pytest.raises(ValidationError, match="стоит в расписании \\(5 уроков в неделю\\)"):
        cur.remove_assignment(session, actor=deputy, assignment_id=tiny.russian_5a.id)
    assert cur.remove_assignment(session, actor=deputy, assignment_id=tiny.music_5a.id) == (
        "5 «А», Музыка"
    )
    assert session.get(TeachingAssignment, tiny.music_5a.id) is None
    assert audits(session, "setup.assignment") == 1


# --------------------------------------------------------------------------- forged calls


def _writes(tiny: TinySchool) -> list[Callable[[Session, Actor], Any]]:
    return [
        lambda s, a: cur.add_subject(s, actor=a, name="Химия"),
        lambda s, a: cur.update_subject(s, actor=a, subject_id=tiny.maths.id, name="Алгебра"),
        lambda s, a: cur.update_subject(s, actor=a, subject_id=tiny.maths.id, marked=False),
        lambda s, a: cur.remove_subject(s, actor=a, subject_id=tiny.music.id),
        lambda s, a: cur.set_curriculum_hours(
            s, actor=a, grade=5, subject_id=tiny.maths.id, hours="5"
        ),
        lambda s, a: cur.save_hours(s, actor=a, cells={(tiny.maths.id or 0, 5): "5"}),
        lambda s, a: cur.set_split(s, actor=a, grade=5, subject_id=tiny.maths.id, split=True),
        lambda s, a: cur.add_assignment(
            s,
            actor=a,
            class_id=tiny.class1.id,
            subject_id=tiny.maths.id,
            teacher_id=tiny.staff["maths"].id,
            hours="4",
        ),
        lambda s, a: cur.update_assignment(
            s, actor=a, assignment_id=tiny.maths_5a.id, teacher_id=tiny.staff["russian"].id
        ),
        lambda s, a: cur.remove_assignment(s, actor=a, assignment_id=tiny.music_5a.id),
        lambda s, a: cur.get_curriculum(s, actor=a),
    ]


def _state(session: Session) -> tuple[Any, ...]:
    subjects = sorted((s.name, s.marked) for s in session.exec(select(Subject)).all())
    return (subjects, plan_rows(session), assignment_rows(session), audits(session))


@pytest.mark.parametrize("who", ["maths", "class_teacher", "parent", "student"])
def test_forged_calls_by_teachers_and_families_change_nothing(
    session: Session, tiny: TinySchool, who: str
) -> None:
    """A teacher (even of the class), a parent or a student calling any service is refused."""
    before = _state(session)
    for call in _writes(tiny):
        with pytest.raises(PermissionDenied):
            call(session, tiny.actors[who])
    assert _state(session) == before


def test_objects_of_another_school_are_refused(session: Session, tiny: TinySchool) -> None:
    """A deputy of another school can neither see nor touch this school's plan and load."""
    other = School(name="Школа № 2", short_name="Школа № 2")
    session.add(other)
    session.flush()
    staff, user = add_staff(session, other, "zavuch2", "Иванов", "Иван")
    stranger = staff_actor(other, user, staff, Role.DEPUTY)
    session.commit()
    before = _state(session)
    with pytest.raises(PermissionDenied):
        cur.add_assignment(
            session,
            actor=stranger,
            class_id=tiny.class5.id,
            subject_id=tiny.maths.id,
            teacher_id=tiny.staff["maths"].id,
            hours="1",
        )
    with pytest.raises(PermissionDenied):
        cur.remove_assignment(session, actor=stranger, assignment_id=tiny.music_5a.id)
    with pytest.raises(NotFound):
        cur.remove_subject(session, actor=stranger, subject_id=tiny.music.id)
    with pytest.raises(NotFound):
        cur.set_curriculum_hours(
            session, actor=stranger, grade=5, subject_id=tiny.maths.id, hours="3"
        )
    # Their own page shows none of it.
    view = cur.get_curriculum(session, actor=stranger)
    assert (view.subjects, view.assignments, view.loads) == ((), (), ())
    assert _state(session) == before


def test_a_teacher_of_another_school_cannot_be_assigned(session: Session, tiny: TinySchool) -> None:
    other = School(name="Школа № 2", short_name="Школа № 2")
    session.add(other)
    session.flush()
    staff, _ = add_staff(session, other, "teacher2", "Петров", "Пётр")
    session.commit()
    with pytest.raises(ValidationError, match="Выберите учителя из списка"):
        cur.add_assignment(
            session,
            actor=tiny.actors["deputy"],
            class_id=tiny.class1.id,
            subject_id=tiny.music.id,
            teacher_id=staff.id,
            hours="1",
        )


# --------------------------------------------------------------------------- concurrency


@pytest.fixture(params=BACKENDS)
def school_db(
    request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[conftest.TestDatabase, TinySchool, Actor]]:
    """The tiny school committed to a fresh database, and a second deputy."""
    database = conftest.new_database(request.param, tmp_path)
    migrate.upgrade(database.engine)
    with Session(database.engine, expire_on_commit=False) as session:
        tiny = make_school(session)
        staff, user = add_staff(session, tiny.school, "orlova", "Орлова", "Нина")
        second = staff_actor(tiny.school, user, staff, Role.DEPUTY)
        session.commit()
    monkeypatch.setattr(db, "get_engine", lambda url=None: database.engine)
    yield database, tiny, second
    conftest.dispose_database(database)


def test_two_deputies_adding_the_same_assignment_at_once(school_db: Any) -> None:
    """Both add maths for 1 «А» at the same moment (whole class: the unique constraint
    cannot see NULL subgroups): one row is stored, the other deputy reads why."""
    database, tiny, second = school_db
    for round_no, teacher in enumerate(["maths", "primary", "russian"]):

        def adding(actor: Actor, teacher_key: str = teacher) -> Callable[[], Any]:
            def job() -> Any:
                return db.run_transaction(
                    cur.add_assignment,
                    actor=actor,
                    class_id=tiny.class1.id,
                    subject_id=tiny.maths.id,
                    teacher_id=tiny.staff[teacher_key].id,
                    hours="4",
                )

            return job

        results = _together([adding(tiny.actors["deputy"]), adding(second)])
        won = [r for r in results if isinstance(r, cur.AssignmentSaved)]
        lost = [r for r in results if isinstance(r, BaseException)]
        assert (len(won), len(lost)) == (1, 1), results
        assert isinstance(lost[0], ValidationError), repr(lost[0])
        assert lost[0].message.startswith("Такая нагрузка уже есть: 1 «А», Математика.")
        with Session(database.engine) as session:
            rows = session.exec(
                select(TeachingAssignment).where(
                    TeachingAssignment.class_id == tiny.class1.id,
                    TeachingAssignment.subject_id == tiny.maths.id,
                )
            ).all()
            assert [r.id for r in rows] == [won[0].assignment_id]
            assert audits(session, "setup.assignment") == round_no * 2 + 1
        # Remove it (no lessons) for the next round.
        db.run_transaction(
            cur.remove_assignment, actor=tiny.actors["deputy"], assignment_id=won[0].assignment_id
        )


def test_a_past_years_assignment_is_not_changed(session: Session, tiny: TinySchool) -> None:
    """Last year's load is the archive's: changing or removing it is refused."""
    old_year = AcademicYear(
        school_id=tiny.school.id or 0,
        name="2025/2026",
        starts_on=D(2025, 9, 1),
        ends_on=D(2026, 5, 31),
    )
    session.add(old_year)
    session.flush()
    old_class = ClassGroup(
        school_id=tiny.school.id or 0, year_id=old_year.id or 0, grade=4, letter="А"
    )
    session.add(old_class)
    session.flush()
    old = TeachingAssignment(
        year_id=old_year.id or 0,
        teacher_id=tiny.staff["maths"].id or 0,
        class_id=old_class.id or 0,
        subject_id=tiny.maths.id or 0,
        hours_per_week=Decimal("4"),
    )
    session.add(old)
    session.commit()
    deputy = tiny.actors["deputy"]
    with pytest.raises(ValidationError, match="прошлых учебных лет"):
        cur.update_assignment(session, actor=deputy, assignment_id=old.id, hours="5")
    with pytest.raises(ValidationError, match="прошлых учебных лет"):
        cur.remove_assignment(session, actor=deputy, assignment_id=old.id)
    # Nor is it counted in this year's load.
    assert ("Кузнецов И. О.", "5", False) in loads(session, tiny)


def test_without_a_current_year_the_page_says_so_and_hours_are_refused(
    session: Session, tiny: TinySchool
) -> None:
    """A school whose year is not current yet: subjects listed, no grid, hours refused."""
    tiny.year.is_current = False
    session.add(tiny.year)
    session.commit()
    deputy = tiny.actors["deputy"]
    view = cur.get_curriculum(session, actor=deputy)
    assert (view.year_name, view.grades, view.assignments) == ("", (), ())
    assert [s.name for s in view.subjects] == ["Математика", "Музыка", "Русский язык"]
    with pytest.raises(ValidationError, match="Не задан текущий учебный год"):
        cur.set_curriculum_hours(
            session, actor=deputy, grade=5, subject_id=tiny.maths.id, hours="5"
        )
    assert plan_rows(session) == []
