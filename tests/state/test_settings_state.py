"""The school settings page's handlers, called as a browser would: the deputy loads and
saves, a bad value or a stale form is refused in words, and anyone else changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import col, func, select

from ejournal.domain import site_map
from ejournal.domain.models import AuditLog, Role, School, WorkType
from ejournal.domain.school.settings import work_type_key
from ejournal.state.base import SessionState
from ejournal.state.settings import SettingField, SettingsState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import redirect_target, toast_text

REFUSED = "Недостаточно прав"


@pytest.fixture()
def control_work(world: StateWorld) -> int:
    """The tiny school gets one work type: «Контрольная работа», weight 2, next lesson."""
    with world.session() as s:
        w = WorkType(
            school_id=world.school.school_id,
            code="control",
            name="Контрольная работа",
            abbreviation="К.р.",
            weight=Decimal("2.00"),
            is_control=True,
            deadline_lessons=1,
        )
        s.add(w)
        s.commit()
        return w.id or 0


def _school(world: StateWorld) -> School:
    with world.session() as s:
        return s.exec(select(School).where(School.id == world.school.school_id)).one()


def _audit_rows(world: StateWorld) -> int:
    with world.session() as s:
        return s.exec(
            select(func.count())
            .select_from(AuditLog)
            .where(col(AuditLog.action) == "school.settings.update")
        ).one()


def _form(st: SettingsState) -> dict[str, str]:
    """What the browser submits: every input's name and shown value."""
    fields: list[SettingField] = [*st.control_fields, *st.deadline_fields, *st.rounding_fields]
    form = {f.key: f.value for f in fields}
    for w in st.work_types:
        form |= {w.weight_key: w.weight, w.lessons_key: w.lessons, w.days_key: w.days}
    return form


def _field(st: SettingsState, key: str) -> SettingField:
    fields = [*st.control_fields, *st.deadline_fields, *st.rounding_fields]
    return next(f for f in fields if f.key == key)


def test_the_deputy_sees_each_threshold_with_its_clause_and_the_work_types(
    world: StateWorld, control_work: int
):
    """On load: the control thresholds (the load limit last) with their values and clauses;
    the work type row."""
    st = world.state(SettingsState, world.token(Role.DEPUTY))
    call(SettingsState.load, st)
    assert [(f.value, f.clause) for f in st.control_fields] == [
        ("14", "[000 §4.3.1]"),
        ("2", "[004 §5.6]"),
        ("20", "[004 §5.10]"),
        ("30", ""),
        ("36,0", ""),
    ]
    assert _field(st, "marks_deadline_hour").value == "17"
    assert [f.value for f in st.rounding_fields] == ["4,50", "3,50", "2,50"]
    [row] = st.work_types
    assert (row.name, row.weight, row.lessons, row.days) == ("Контрольная работа", "2,00", "1", "0")


def test_the_deputy_saves_a_comma_decimal_and_a_work_type_weight(
    world: StateWorld, control_work: int
):
    """«4,7» for «5» and weight «2,5»: both stored, said in a toast and on the page, audited."""
    st = world.state(SettingsState, world.token(Role.DEPUTY))
    call(SettingsState.load, st)
    form = _form(st) | {"round_to_5": "4,7", work_type_key(control_work, "weight"): "2,5"}
    result = call(SettingsState.save, st, form)

    assert "Настройки сохранены (2)" in toast_text(result)
    assert st.result == ("Сохранено: Средний балл для «5» — от; Вес («Контрольная работа»).")
    assert _school(world).round_to_5 == Decimal("4.70")
    with world.session() as s:
        assert s.get(WorkType, control_work).weight == Decimal("2.50")  # type: ignore[union-attr]
    assert _audit_rows(world) == 2
    # The form is drawn afresh with the stored values.
    assert _field(st, "round_to_5").value == "4,70"


def test_a_bad_value_is_named_kept_on_screen_and_nothing_is_saved(world: StateWorld):
    """Oral questioning «0» % is refused naming the field and its range; the deputy's other
    typed change stays on screen, unsaved."""
    st = world.state(SettingsState, world.token(Role.DEPUTY))
    call(SettingsState.load, st)
    form = _form(st) | {"control_oral_percent": "0", "edit_lock_days": "3"}
    result = call(SettingsState.save, st, form)

    message = "«Устный опрос на уроке — не меньше»: целое число от 1 до 100, введено «0»."
    assert message in toast_text(result)
    assert _field(st, "control_oral_percent").error == message
    assert (_field(st, "control_oral_percent").value, _field(st, "edit_lock_days").value) == (
        "0",
        "3",
    )
    school = _school(world)
    assert (school.control_oral_percent, school.edit_lock_days) == (20, 7)
    assert _audit_rows(world) == 0


def test_a_stale_form_is_refused_and_the_second_save_keeps_both_peoples_work(
    world: StateWorld,
):
    """Deputy and director open the page; the director saves «5» = 4,6; the deputy's save of
    «5» = 4,4 and lock = 3 is refused naming «5»; the page then shows 4,60 there and keeps
    the deputy's 3, and saving again stores the 3 without undoing the director's 4,60."""
    deputy = world.state(SettingsState, world.token(Role.DEPUTY))
    director = world.state(SettingsState, world.token(Role.DIRECTOR))
    call(SettingsState.load, deputy)
    call(SettingsState.load, director)
    call(SettingsState.save, director, _form(director) | {"round_to_5": "4,6"})

    result = call(
        SettingsState.save, deputy, _form(deputy) | {"round_to_5": "4,4", "edit_lock_days": "3"}
    )
    assert "другой пользователь сохранил: «Средний балл для «5» — от» — сейчас 4,60" in (
        toast_text(result)
    )
    assert (_school(world).round_to_5, _school(world).edit_lock_days) == (Decimal("4.60"), 7)
    assert _field(deputy, "round_to_5").value == "4,60"
    assert _field(deputy, "round_to_5").error != ""
    assert _field(deputy, "edit_lock_days").value == "3"

    result = call(SettingsState.save, deputy, _form(deputy))
    assert "Настройки сохранены (1)" in toast_text(result)
    assert (_school(world).round_to_5, _school(world).edit_lock_days) == (Decimal("4.60"), 3)


def test_saving_an_unchanged_form_says_so(world: StateWorld):
    """«Сохранить» with nothing changed writes nothing and says there was nothing to save."""
    st = world.state(SettingsState, world.token(Role.DEPUTY))
    call(SettingsState.load, st)
    result = call(SettingsState.save, st, _form(st))
    assert "Изменений нет" in toast_text(result)
    assert _audit_rows(world) == 0


@pytest.mark.parametrize("role", [Role.TEACHER, Role.CLASS_TEACHER, Role.PARENT, Role.STUDENT])
def test_a_forged_save_from_anyone_else_changes_nothing(
    world: StateWorld, control_work: int, role: Role
):
    """A teacher, class teacher, parent or student sending load or save is refused; the
    forged form (built from a real deputy's page) changes no value and writes no audit."""
    deputy = world.state(SettingsState, world.token(Role.DEPUTY))
    call(SettingsState.load, deputy)
    forged = _form(deputy) | {"round_to_5": "2", work_type_key(control_work, "weight"): "9"}

    st = world.state(SettingsState, world.token(role))
    assert REFUSED in toast_text(call(SettingsState.load, st))
    assert st.control_fields == []
    st._loaded = dict(deputy._loaded)  # as if the tab had loaded the page
    assert REFUSED in toast_text(call(SettingsState.save, st, forged))

    assert _school(world).round_to_5 == Decimal("4.50")
    with world.session() as s:
        assert s.get(WorkType, control_work).weight == Decimal("2.00")  # type: ignore[union-attr]
    assert _audit_rows(world) == 0


def test_the_page_is_in_the_deputys_and_directors_menu_and_closed_to_a_teacher(
    world: StateWorld,
):
    """«Настройки» is in the deputy's and director's menu; a teacher typing /settings is
    turned away."""
    assert ("Настройки", "/settings") in site_map.menu(Role.DEPUTY)
    assert ("Настройки", "/settings") in site_map.menu(Role.DIRECTOR)
    assert ("Настройки", "/settings") not in site_map.menu(Role.TEACHER)
    st = world.state(SessionState, world.token(Role.TEACHER))
    result = call(SessionState.guard, st, "/settings")
    assert redirect_target(result) == "/teacher"
    assert "недоступна" in toast_text(result)
