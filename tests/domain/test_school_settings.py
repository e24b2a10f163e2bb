"""The school settings page's services: read, validate, save all or nothing, audit, and
refuse to overwrite a field someone else saved since the form was loaded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, col, select

from ejournal.domain import db, migrate
from ejournal.domain.audit.text import describe
from ejournal.domain.errors import PermissionDenied
from ejournal.domain.models import AuditLog, Role, School, WorkType
from ejournal.domain.permissions import Actor
from ejournal.domain.school.settings import (
    SettingsConflict,
    SettingsInvalid,
    get_settings,
    update_settings,
    work_type_key,
)
from tests import conftest
from tests.concurrency import together as _together
from tests.conftest import BACKENDS
from tests.factories import TinySchool, add_staff, make_school, staff_actor

pytestmark = pytest.mark.db


def _audit_rows(session: Session) -> list[AuditLog]:
    return list(
        session.exec(
            select(AuditLog)
            .where(AuditLog.action == "school.settings.update")
            .order_by(col(AuditLog.id))
        ).all()
    )


def _save(session: Session, actor: Actor, **changes: str) -> Any:
    """Save `changes` from a form loaded just now (the usual, uncontested case)."""
    loaded = get_settings(session, actor=actor).form_values()
    return update_settings(session, actor=actor, changes=changes, loaded=loaded)


# --------------------------------------------------------------------------- reading


def test_the_deputy_reads_the_schools_thresholds_and_work_types(session: Session):
    """Defaults of a new school and its three work types with weights, in the form's style."""
    tiny = make_school(session)
    found = get_settings(session, actor=tiny.actors["deputy"])
    assert (found.control_mark_gap_days, found.control_retest_lessons) == (14, 2)
    assert (found.control_oral_percent, found.control_absence_percent) == (20, 30)
    assert (found.marks_deadline_hour, found.edit_lock_days, found.period_mark_publish_days) == (
        17,
        7,
        1,
    )
    assert [w.name for w in found.work_types] == [
        "Диктант с грамматическим заданием",
        "Контрольная работа",
        "Ответ на уроке",
    ]
    form = found.form_values()
    assert form["round_to_5"] == "4,50"
    assert form[work_type_key(tiny.dictation.id or 0, "weight")] == "1,50"
    assert form[work_type_key(tiny.control.id or 0, "deadline_lessons")] == "0"


@pytest.mark.parametrize("who", ["russian", "class_teacher", "parent", "student"])
def test_others_may_neither_read_nor_change_the_settings(session: Session, who: str):
    """A teacher, class teacher, parent or student is refused and nothing changes."""
    tiny = make_school(session)
    loaded = get_settings(session, actor=tiny.actors["deputy"]).form_values()
    with pytest.raises(PermissionDenied):
        get_settings(session, actor=tiny.actors[who])
    with pytest.raises(PermissionDenied):
        update_settings(
            session, actor=tiny.actors[who], changes={"round_to_5": "4,80"}, loaded=loaded
        )
    session.refresh(tiny.school)
    assert tiny.school.round_to_5 == Decimal("4.50")
    assert _audit_rows(session) == []


# --------------------------------------------------------------------------- saving


@pytest.mark.parametrize("typed", ["4,6", "4.6", " 4,60 "])
def test_a_threshold_is_saved_typed_with_a_comma_or_a_point(session: Session, typed: str):
    """«4,6», «4.6» and « 4,60 » all mean 4.60."""
    tiny = make_school(session)
    saved = _save(session, tiny.actors["deputy"], round_to_5=typed)
    assert saved.settings.round_to_5 == Decimal("4.60")
    assert saved.changed == ("Средний балл для «5» — от",)
    session.refresh(tiny.school)
    assert tiny.school.round_to_5 == Decimal("4.60")


def test_only_the_changed_fields_are_written_and_audited_per_object(session: Session):
    """The whole form is sent; the school and one work type changed: two audit rows, each
    with only its changed keys before and after."""
    tiny = make_school(session)
    deputy = tiny.actors["deputy"]
    form = get_settings(session, actor=deputy).form_values()
    weight = work_type_key(tiny.control.id or 0, "weight")
    changes = {**form, "control_mark_gap_days": "10", weight: "3"}
    saved = update_settings(session, actor=deputy, changes=changes, loaded=form)

    assert saved.changed == (
        "Текущая отметка не реже чем раз в",
        "Вес («Контрольная работа»)",
    )
    rows = _audit_rows(session)
    assert [(r.entity, r.entity_id, r.before, r.after) for r in rows] == [
        ("school", tiny.school.id, '{"control_mark_gap_days":14}', '{"control_mark_gap_days":10}'),
        ("work_type", tiny.control.id, '{"weight":"2.00"}', '{"weight":"3.00"}'),
    ]
    assert {r.actor_id for r in rows} == {deputy.user_id}
    session.refresh(tiny.control)
    assert tiny.control.weight == Decimal("3.00")


def test_the_audit_viewer_reads_a_settings_change_in_russian(session: Session):
    """The director reading the audit sees the work type's name and Russian field names."""
    tiny = make_school(session)
    key = work_type_key(tiny.dictation.id or 0, "deadline_days")
    _save(session, tiny.actors["deputy"], **{key: "10"})
    row = _audit_rows(session)[0]
    text = describe(session, [(row.entity, row.entity_id, row.before, row.after)])[0]
    assert (text.subject, text.before, text.after) == (
        "Диктант с грамматическим заданием",
        "Срок, дней: 0",
        "Срок, дней: 10",
    )


def test_an_unchanged_form_changes_nothing(session: Session):
    """Saving the form as loaded writes no audit row and says nothing changed."""
    tiny = make_school(session)
    deputy = tiny.actors["deputy"]
    form = get_settings(session, actor=deputy).form_values()
    saved = update_settings(session, actor=deputy, changes=form, loaded=form)
    assert saved.changed == ()
    assert _audit_rows(session) == []


# --------------------------------------------------------------------------- refusals


def test_one_bad_field_saves_nothing_and_names_the_field_and_range(session: Session):
    """A gap of 0 days is refused by name with its range; the good rounding change made in
    the same form is not saved either."""
    tiny = make_school(session)
    with pytest.raises(SettingsInvalid) as refused:
        _save(session, tiny.actors["deputy"], control_mark_gap_days="0", round_to_5="4,8")
    assert refused.value.errors == {
        "control_mark_gap_days": "«Текущая отметка не реже чем раз в»: целое число от 1 до 60, "
        "введено «0»."
    }
    session.refresh(tiny.school)
    assert (tiny.school.control_mark_gap_days, tiny.school.round_to_5) == (14, Decimal("4.50"))
    assert _audit_rows(session) == []


@pytest.mark.parametrize(
    ("key", "typed"),
    [
        ("round_to_5", "5,01"),
        ("round_to_3", "1,99"),
        ("round_to_5", "4,555"),
        ("round_to_5", "пять"),
        ("marks_deadline_hour", "24"),
        ("control_oral_percent", "20,5"),
        ("control_oral_percent", ""),
        ("edit_lock_days", "-1"),
        # Period marks reach families within a day of the period's end [004 §8.2].
        ("period_mark_publish_days", "3"),
    ],
)
def test_out_of_range_or_garbled_values_are_refused(session: Session, key: str, typed: str):
    """Each field keeps to its range and format; the message names the field."""
    tiny = make_school(session)
    with pytest.raises(SettingsInvalid) as refused:
        _save(session, tiny.actors["deputy"], **{key: typed})
    assert list(refused.value.errors) == [key]
    assert f"введено «{typed.strip()}»" in refused.value.message


@pytest.mark.parametrize(("typed", "ok"), [("0", False), ("10,01", False), ("10", True)])
def test_a_weight_is_above_zero_and_at_most_ten(session: Session, typed: str, ok: bool):
    """Weight 0 and 10,01 are refused («больше 0 и не больше 10,00»); 10 is allowed."""
    tiny = make_school(session)
    key = work_type_key(tiny.answer.id or 0, "weight")
    if ok:
        _save(session, tiny.actors["deputy"], **{key: typed})
        session.refresh(tiny.answer)
        assert tiny.answer.weight == Decimal("10.00")
    else:
        with pytest.raises(SettingsInvalid, match="больше 0 и не больше 10,00"):
            _save(session, tiny.actors["deputy"], **{key: typed})


def test_rounding_thresholds_may_not_fall(session: Session):
    """«4» above «5» is refused; raising «5» first in the same form makes it fine."""
    tiny = make_school(session)
    deputy = tiny.actors["deputy"]
    with pytest.raises(SettingsInvalid) as refused:
        _save(session, deputy, round_to_4="4,6")
    assert list(refused.value.errors) == ["round_to_4"]
    assert "«5» от 4,50, «4» от 4,60, «3» от 2,50" in refused.value.message

    saved = _save(session, deputy, round_to_5="4,8", round_to_4="4,6")
    assert (saved.settings.round_to_5, saved.settings.round_to_4) == (
        Decimal("4.80"),
        Decimal("4.60"),
    )


def test_a_work_type_of_another_school_cannot_be_changed(session: Session):
    """A forged key of another school's work type is refused; that weight stays."""
    tiny = make_school(session)
    other = School(name="Другая школа", short_name="Другая")
    session.add(other)
    session.flush()
    foreign = WorkType(school_id=other.id or 0, code="x", name="Чужая", weight=Decimal("1.00"))
    session.add(foreign)
    session.flush()
    key = work_type_key(foreign.id or 0, "weight")
    with pytest.raises(SettingsInvalid):
        update_settings(
            session, actor=tiny.actors["deputy"], changes={key: "9"}, loaded={key: "1,00"}
        )
    session.refresh(foreign)
    assert foreign.weight == Decimal("1.00")


# --------------------------------------------------------------------------- two deputies


@pytest.fixture(params=BACKENDS)
def committed(
    request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[conftest.TestDatabase, TinySchool, Actor]]:
    """The tiny school committed to a fresh database the app's boundary uses, and a director."""
    database = conftest.new_database(request.param, tmp_path)
    migrate.upgrade(database.engine)
    with Session(database.engine, expire_on_commit=False) as session:
        tiny = make_school(session)
        staff, user = add_staff(session, tiny.school, "director", "Директорова", "Дина")
        director = staff_actor(tiny.school, user, staff, Role.DIRECTOR)
        session.commit()
    monkeypatch.setattr(db, "get_engine", lambda url=None: database.engine)
    yield database, tiny, director
    conftest.dispose_database(database)


def _stored_school(database: conftest.TestDatabase) -> School:
    with Session(database.engine, expire_on_commit=False) as session:
        school = session.exec(select(School)).one()
        return school


def _audit_count(database: conftest.TestDatabase) -> int:
    with Session(database.engine) as session:
        return len(_audit_rows(session))


def test_a_stale_form_does_not_overwrite_what_another_deputy_saved(committed):
    """Both open the page; the director saves «5» from 4,60; the deputy's later save of
    4,40 from the old form is refused naming the field and the value now stored."""
    database, tiny, director = committed
    deputy = tiny.actors["deputy"]
    deputys_form = db.run_transaction(get_settings, actor=deputy).form_values()
    directors_form = db.run_transaction(get_settings, actor=director).form_values()

    db.run_transaction(
        update_settings,
        actor=director,
        changes={**directors_form, "round_to_5": "4,6"},
        loaded=directors_form,
    )
    with pytest.raises(SettingsConflict) as refused:
        db.run_transaction(
            update_settings,
            actor=deputy,
            changes={**deputys_form, "round_to_5": "4,4"},
            loaded=deputys_form,
        )
    assert "«Средний балл для «5» — от» — сейчас 4,60" in refused.value.message
    assert refused.value.keys == ("round_to_5",)
    assert _stored_school(database).round_to_5 == Decimal("4.60")
    assert _audit_count(database) == 1


def test_two_deputies_changing_different_fields_both_keep_their_work(committed):
    """The director changes «5», the deputy (from an older form) the edit lock: both stay."""
    database, tiny, director = committed
    deputy = tiny.actors["deputy"]
    old_form = db.run_transaction(get_settings, actor=deputy).form_values()
    db.run_transaction(
        update_settings, actor=director, changes={**old_form, "round_to_5": "4,6"}, loaded=old_form
    )
    db.run_transaction(
        update_settings, actor=deputy, changes={**old_form, "edit_lock_days": "3"}, loaded=old_form
    )
    school = _stored_school(database)
    assert (school.round_to_5, school.edit_lock_days) == (Decimal("4.60"), 3)


def test_two_saves_of_one_field_at_the_same_moment_one_wins_the_other_hears(committed):
    """Saved at once from the same form: one value is stored, the other save is refused as
    a conflict (never both «succeeding» with the last one silently winning)."""
    database, tiny, director = committed
    deputy = tiny.actors["deputy"]
    form = db.run_transaction(get_settings, actor=deputy).form_values()

    def saving(actor: Actor, value: str) -> Callable[[], Any]:
        return lambda: db.run_transaction(
            update_settings, actor=actor, changes={"round_to_5": value}, loaded=form
        )

    results = _together([saving(deputy, "4,4"), saving(director, "4,6")])
    refused = [r for r in results if isinstance(r, SettingsConflict)]
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert (len(winners), len(refused)) == (1, 1), results
    assert _stored_school(database).round_to_5 == winners[0].settings.round_to_5
    assert _audit_count(database) == 1
