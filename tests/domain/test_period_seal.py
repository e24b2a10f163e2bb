"""Closing a term for a class (seal, digest in the audit chain, amendments) and the year."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlmodel import Session, col, select

from ejournal.domain import audit, db, migrate
from ejournal.domain.errors import DomainError, PermissionDenied, ValidationError
from ejournal.domain.journal import (
    create_lesson,
    excuse_absence,
    load_page,
    set_cell,
    set_lesson_details,
    set_period_mark,
    take_attendance,
    write_remark,
)
from ejournal.domain.journal.absences import excuse_absences
from ejournal.domain.journal.context import load_cells
from ejournal.domain.models import (
    AcademicYear,
    AuditLog,
    Lesson,
    PeriodMark,
    PeriodSeal,
    Role,
    School,
)
from ejournal.domain.permissions import Actor
from ejournal.domain.records import seal as sealing
from tests import conftest
from tests.concurrency import together as _together
from tests.conftest import BACKENDS
from tests.factories import (
    MSK,
    NOW,
    D,
    TinySchool,
    add_absence,
    add_lesson,
    add_mark,
    add_period_mark,
    add_staff,
    make_school,
    staff_actor,
)

pytestmark = pytest.mark.db

DAY = D(2026, 10, 19)  # a Monday of the 1st quarter, the day before NOW


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


def _director(session: Session, tiny: TinySchool) -> Actor:
    staff, user = add_staff(session, tiny.school, "director", "Директоров", "Денис")
    return staff_actor(tiny.school, user, staff, Role.DIRECTOR)


def _q1_lessons(session: Session, tiny: TinySchool) -> tuple[Lesson, Lesson]:
    """A Russian and a maths lesson on 19.10 with a few marks and an absence."""
    ru = add_lesson(session, tiny.russian_5a, DAY, 2)
    ma = add_lesson(session, tiny.maths_5a, DAY, 3)
    add_mark(session, ru, tiny.students[0], 5, author=tiny.actors["russian"])
    add_mark(session, ma, tiny.students[1], 4, author=tiny.actors["maths"])
    add_absence(session, ru, tiny.students[2], author=tiny.actors["russian"])
    return ru, ma


def _all_period_marks(session: Session, tiny: TinySchool, *, skip_maths: int = 0) -> None:
    """Quarter marks for all five students on Russian and maths (the last `skip_maths`
    students left without a maths mark)."""
    everyone = [*tiny.students, tiny.newcomer]
    for s in everyone:
        add_period_mark(
            session, s, tiny.russian, tiny.quarters[0], 4, author=tiny.actors["russian"]
        )
    for s in everyone[: len(everyone) - skip_maths]:
        add_period_mark(session, s, tiny.maths, tiny.quarters[0], 5, author=tiny.actors["maths"])


def _seal(session: Session, tiny: TinySchool, period: int = 0) -> sealing.SealInfo:
    return sealing.seal_period(
        session,
        actor=tiny.actors["deputy"],
        class_id=tiny.class5.id or 0,
        period_id=tiny.quarters[period].id or 0,
    )


# --------------------------------------------------------------------------- readiness, seal


def test_readiness_lists_students_without_a_period_mark_page_by_page(session, tiny):
    """Two students lack a maths mark; Russian is complete; music has no marks at all."""
    _all_period_marks(session, tiny, skip_maths=2)
    ready = sealing.period_readiness(
        session,
        actor=tiny.actors["deputy"],
        class_id=tiny.class5.id or 0,
        period_id=tiny.quarters[0].id or 0,
    )
    pages = {p.subject_name: p for p in ready.pages}
    assert pages["Русский язык"].missing == ()
    assert pages["Русский язык"].students == 5  # four from September and the newcomer
    assert pages["Математика"].missing == ("Белова Вера", "Жуков Захар")
    assert pages["Музыка"].marked is False and pages["Музыка"].missing == ()
    assert ready.missing_count == 2 and not ready.ready


def test_seal_refused_while_marks_are_missing_names_them(session, tiny):
    """Nothing is sealed while a page lacks marks; the message names page and students."""
    _all_period_marks(session, tiny, skip_maths=2)
    with pytest.raises(ValidationError) as err:
        _seal(session, tiny)
    assert "Математика" in err.value.message
    assert "Белова Вера, Жуков Захар" in err.value.message
    assert "(2)" in err.value.message
    assert "Русский язык" not in err.value.message
    assert session.exec(select(PeriodSeal)).all() == []


def test_not_attested_counts_as_a_period_mark(session, tiny):
    """«Не аттестован» is a decision: the student no longer blocks the seal."""
    _all_period_marks(session, tiny, skip_maths=1)
    add_period_mark(
        session, tiny.newcomer, tiny.maths, tiny.quarters[0], None, author=tiny.actors["maths"]
    )
    assert _seal(session, tiny).period_name == "1 четверть"


def test_seal_writes_the_digest_into_the_audit_chain(session, tiny):
    """The seal's digest and counts are in an audit row and the chain still verifies."""
    _q1_lessons(session, tiny)
    _all_period_marks(session, tiny)
    info = _seal(session, tiny)
    assert len(info.digest) == 64
    assert info.counts == {"lessons": 2, "marks": 2, "attendance": 1, "period_marks": 10}
    row = session.exec(
        select(AuditLog).where(AuditLog.action == audit.AuditAction.PERIOD_SEAL.value)
    ).one()
    assert info.digest in row.after and row.entity_id == info.id
    _, broken = audit.verify_chain(session)
    assert broken is None
    verified = sealing.verify_seal(session, actor=tiny.actors["deputy"], seal_id=info.id)
    assert verified.matches and verified.message == "совпадает"


def test_a_term_is_sealed_once(session, tiny):
    """Closing a closed term again is refused in Russian."""
    _all_period_marks(session, tiny)
    _seal(session, tiny)
    with pytest.raises(ValidationError, match="уже закрыт"):
        _seal(session, tiny)


@pytest.mark.parametrize("who", ["russian", "class_teacher", "parent", "student"])
def test_forged_seal_by_others_changes_nothing(session, tiny, who):
    """A teacher, class teacher, parent or student calling the service is refused."""
    _all_period_marks(session, tiny)
    with pytest.raises(PermissionDenied):
        sealing.seal_period(
            session,
            actor=tiny.actors[who],
            class_id=tiny.class5.id or 0,
            period_id=tiny.quarters[0].id or 0,
        )
    with pytest.raises(PermissionDenied):
        sealing.close_year(session, actor=tiny.actors[who], year_id=tiny.year.id or 0)
    with pytest.raises(PermissionDenied):
        sealing.period_readiness(
            session,
            actor=tiny.actors[who],
            class_id=tiny.class5.id or 0,
            period_id=tiny.quarters[0].id or 0,
        )
    assert session.exec(select(PeriodSeal)).all() == []


def test_another_schools_class_is_refused(session, tiny):
    """A deputy of another school cannot seal this school's class."""
    school = School(name="Школа № 2", short_name="Школа № 2")
    session.add(school)
    session.flush()
    stranger = replace(tiny.actors["deputy"], school_id=school.id or 0)
    _all_period_marks(session, tiny)
    with pytest.raises(DomainError):
        sealing.seal_period(
            session,
            actor=stranger,
            class_id=tiny.class5.id or 0,
            period_id=tiny.quarters[0].id or 0,
        )
    assert session.exec(select(PeriodSeal)).all() == []


# --------------------------------------------------------------------------- after the seal


def test_after_seal_a_change_needs_a_reason_and_is_an_amendment(session, tiny):
    """A mark changed after the seal: refused without a reason, saved with one, listed as
    an amendment, and the seal no longer matches."""
    ru, _ = _q1_lessons(session, tiny)
    _all_period_marks(session, tiny)
    info = _seal(session, tiny)
    sid = tiny.students[0].id or 0
    version = load_cells(session, lesson_ids=[ru.id or 0], student_ids=[sid])[(sid, ru.id)].version
    kwargs: dict[str, Any] = dict(
        actor=tiny.actors["russian"],
        lesson_id=ru.id or 0,
        student_id=sid,
        text="3",
        expected_version=version,
        now=NOW,
    )
    with pytest.raises(ValidationError, match=r"Период закрыт .*укажите причину изменения"):
        set_cell(session, **kwargs)
    set_cell(session, **kwargs, reason="ошибка при вводе")
    found = sealing.amendments(session, actor=tiny.actors["deputy"], seal_id=info.id)
    assert len(found) == 1
    assert found[0].reason == "ошибка при вводе"
    assert "5" in found[0].before and "3" in found[0].after
    assert found[0].who == "Смирнова Анна Петровна"
    verified = sealing.verify_seal(session, actor=tiny.actors["deputy"], seal_id=info.id)
    assert not verified.matches
    assert "Изменений после закрытия в журнале изменений: 1" in verified.message


def test_the_grid_asks_for_a_reason_on_a_sealed_term(session, tiny):
    """The page's columns of a closed term say «Период закрыт …» and need a reason."""
    ru, _ = _q1_lessons(session, tiny)
    _all_period_marks(session, tiny)
    _seal(session, tiny)
    page = load_page(
        session,
        actor=tiny.actors["russian"],
        assignment_id=tiny.russian_5a.id or 0,
        period_id=tiny.quarters[0].id or 0,
        now=NOW,
    )
    column = next(c for c in page.lessons if c.id == ru.id)
    assert column.editable and column.needs_reason
    assert column.lock_reason.startswith("Период закрыт ")
    assert column.lock_reason.endswith(": укажите причину изменения.")


def test_after_seal_topic_and_period_mark_need_a_reason(session, tiny):
    """A topic and a quarter mark of a closed term change only with a reason."""
    ru, _ = _q1_lessons(session, tiny)
    _all_period_marks(session, tiny)
    info = _seal(session, tiny)
    with pytest.raises(ValidationError, match="Период закрыт"):
        set_lesson_details(
            session,
            actor=tiny.actors["russian"],
            lesson_id=ru.id or 0,
            expected_version=ru.version,
            topic="Причастие",
            now=NOW,
        )
    session.refresh(ru)  # the app rolls a refused call back; here only the lesson was touched
    set_lesson_details(
        session,
        actor=tiny.actors["russian"],
        lesson_id=ru.id or 0,
        expected_version=ru.version,
        topic="Причастие",
        reason="тема записана не та",
        now=NOW,
    )
    pm_kwargs: dict[str, Any] = dict(
        actor=tiny.actors["russian"],
        student_id=tiny.students[0].id or 0,
        assignment_id=tiny.russian_5a.id or 0,
        period_id=tiny.quarters[0].id or 0,
        value=5,
        expected_version=None,
        justification="итоговая работа на 5",
        now=NOW,
    )
    pm = session.exec(
        select(PeriodMark).where(
            PeriodMark.student_id == tiny.students[0].id, PeriodMark.subject_id == tiny.russian.id
        )
    ).one()
    pm_kwargs["expected_version"] = pm.version
    with pytest.raises(ValidationError, match="Период закрыт"):
        set_period_mark(session, **pm_kwargs)
    set_period_mark(session, **pm_kwargs, reason="пересмотр по заявлению")
    found = sealing.amendments(session, actor=tiny.actors["deputy"], seal_id=info.id)
    assert [a.reason for a in found] == ["тема записана не та", "пересмотр по заявлению"]


def test_an_open_term_needs_no_reason(session, tiny):
    """Sealing the 1st quarter leaves the 2nd quarter as it was."""
    _all_period_marks(session, tiny)
    _seal(session, tiny)
    lesson = add_lesson(session, tiny.russian_5a, D(2026, 11, 9), 1)
    set_cell(
        session,
        actor=tiny.actors["russian"],
        lesson_id=lesson.id or 0,
        student_id=tiny.students[0].id or 0,
        text="5",
        expected_version=0,
        now=dt.datetime(2026, 11, 10, 12, 0, tzinfo=MSK),
    )


# --------------------------------------------------------------------------- the year


def test_year_close_refused_while_terms_are_open(session, tiny):
    """The director is told which classes have which terms still open."""
    director = _director(session, tiny)
    _all_period_marks(session, tiny)
    _seal(session, tiny)
    with pytest.raises(ValidationError) as err:
        sealing.close_year(session, actor=director, year_id=tiny.year.id or 0)
    message = err.value.message
    assert "5 «А»: 2 четверть, 3 четверть, 4 четверть" in message
    assert "1 «А»: 1 четверть, 2 четверть, 3 четверть, 4 четверть" in message
    assert session.get(AcademicYear, tiny.year.id).closed_at is None
    status = sealing.year_status(session, actor=director, year_id=tiny.year.id or 0)
    assert len(status.blockers) == 2


def _close_whole_year(session: Session, tiny: TinySchool) -> Actor:
    """Seal every term of both classes (period marks set) and close the year."""
    director = _director(session, tiny)
    everyone = [*tiny.students, tiny.newcomer]
    for q in tiny.quarters:
        for s in everyone:
            for subj in (tiny.russian, tiny.maths):
                add_period_mark(session, s, subj, q, 4, author=tiny.actors["russian"])
        for group in (tiny.class5, tiny.class1):
            sealing.seal_period(
                session, actor=tiny.actors["deputy"], class_id=group.id or 0, period_id=q.id or 0
            )
    sealing.close_year(session, actor=director, year_id=tiny.year.id or 0)
    return director


def test_after_year_close_every_write_is_refused(session, tiny):
    """Marks, attendance, topics, new lessons, period marks, excuses and remarks are all
    refused once the year is closed; the page is read-only."""
    ru, _ = _q1_lessons(session, tiny)
    _close_whole_year(session, tiny)
    row = session.exec(
        select(AuditLog).where(AuditLog.action == audit.AuditAction.YEAR_CLOSE.value)
    ).one()
    assert row.entity_id == tiny.year.id
    closed = "Учебный год 2026/2027 закрыт: изменения невозможны."
    ru_actor = tiny.actors["russian"]
    rid = ru.id or 0
    s0 = tiny.students[0].id or 0
    attempts: list[Callable[[], Any]] = [
        lambda: set_cell(
            session,
            actor=ru_actor,
            lesson_id=rid,
            student_id=s0,
            text="2",
            expected_version=None,
            reason="r",
            now=NOW,
        ),
        lambda: take_attendance(session, actor=ru_actor, lesson_id=rid, reason="r", now=NOW),
        lambda: set_lesson_details(
            session,
            actor=ru_actor,
            lesson_id=rid,
            expected_version=ru.version,
            topic="Новая",
            reason="r",
            now=NOW,
        ),
        lambda: create_lesson(
            session,
            actor=ru_actor,
            assignment_id=tiny.russian_5a.id or 0,
            on=DAY,
            number=7,
            extra=True,
            now=NOW,
        ),
        lambda: set_period_mark(
            session,
            actor=ru_actor,
            student_id=s0,
            assignment_id=tiny.russian_5a.id or 0,
            period_id=tiny.quarters[0].id or 0,
            value=None,
            expected_version=None,
            reason="r",
            now=NOW,
        ),
        lambda: excuse_absence(
            session,
            actor=tiny.actors["class_teacher"],
            reason="справка",
            expected_version=None,
            student_id=tiny.students[2].id or 0,
            lesson_id=rid,
        ),
        lambda: excuse_absences(
            session,
            actor=tiny.actors["class_teacher"],
            student_id=tiny.students[2].id or 0,
            date_from=DAY,
            date_to=DAY,
            reason="справка",
            expected={},
        ),
        lambda: write_remark(session, actor=ru_actor, student_id=s0, kind="praise", text="Молодец"),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as err:
            attempt()
        assert err.value.message == closed
    page = load_page(
        session,
        actor=ru_actor,
        assignment_id=tiny.russian_5a.id or 0,
        period_id=tiny.quarters[0].id or 0,
        now=NOW,
    )
    assert not page.can_write and not page.can_write_period_marks
    assert all(not c.editable for c in page.lessons)
    assert page.lessons[0].lock_reason == "Учебный год закрыт: только просмотр."
    assert page.cell(s0, rid).text == "5"  # reading stays as before


# --------------------------------------------------------------------------- concurrency


@pytest.fixture(params=BACKENDS)
def shared_db(
    request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[conftest.TestDatabase, TinySchool, Lesson]]:
    """The tiny school committed to a fresh database, ready to seal the 1st quarter."""
    database = conftest.new_database(request.param, tmp_path)
    migrate.upgrade(database.engine)
    with Session(database.engine, expire_on_commit=False) as session:
        tiny = make_school(session)
        ru, _ = _q1_lessons(session, tiny)
        _all_period_marks(session, tiny)
        session.commit()
    monkeypatch.setattr(db, "get_engine", lambda url=None: database.engine)
    yield database, tiny, ru
    conftest.dispose_database(database)


def test_two_deputies_sealing_at_once_make_one_seal(shared_db):
    """Two deputies press «Закрыть период» together: one seal, the other hears of it."""
    database, tiny, _ = shared_db

    def job() -> sealing.SealInfo:
        return db.run_transaction(
            sealing.seal_period,
            actor=tiny.actors["deputy"],
            class_id=tiny.class5.id or 0,
            period_id=tiny.quarters[0].id or 0,
        )

    results = _together([job, job])
    won = [r for r in results if isinstance(r, sealing.SealInfo)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], ValidationError), repr(lost[0])
    assert "уже закрыт" in lost[0].message
    with Session(database.engine) as session:
        assert len(session.exec(select(PeriodSeal)).all()) == 1


def test_a_mark_written_while_sealing_is_sealed_or_an_amendment(shared_db):
    """A teacher's mark saved at the moment of the seal is either inside the sealed digest
    or refused for lack of a reason — never outside both."""
    database, tiny, ru = shared_db
    sid = tiny.students[3].id or 0

    def seal() -> Any:
        return db.run_transaction(
            sealing.seal_period,
            actor=tiny.actors["deputy"],
            class_id=tiny.class5.id or 0,
            period_id=tiny.quarters[0].id or 0,
        )

    def mark() -> Any:
        return db.run_transaction(
            set_cell,
            actor=tiny.actors["russian"],
            lesson_id=ru.id or 0,
            student_id=sid,
            text="4",
            expected_version=0,
            now=NOW,
        )

    seal_result, mark_result = _together([seal, mark])
    assert isinstance(seal_result, sealing.SealInfo), repr(seal_result)
    with Session(database.engine) as session:
        stored = load_cells(session, lesson_ids=[ru.id or 0], student_ids=[sid])
        verified = db.run_transaction(
            sealing.verify_seal, actor=tiny.actors["deputy"], seal_id=seal_result.id
        )
        if isinstance(mark_result, BaseException):
            assert isinstance(mark_result, ValidationError)
            assert "Период закрыт" in mark_result.message
            assert (sid, ru.id) not in stored
        else:
            assert stored[(sid, ru.id)].text == "4"
            assert seal_result.counts["marks"] == 3  # the mark is in the sealed digest
        assert verified.matches
        _, broken = audit.verify_chain(session)
        assert broken is None
        assert session.exec(select(col(AuditLog.id))).all()


def test_a_mark_saved_while_the_seal_is_computed_waits_and_then_needs_a_reason(
    shared_db, monkeypatch
):
    """The deputy's seal reads the term slowly; a mark typed meanwhile waits for the seal
    and is then refused without a reason (it never lands outside the sealed digest)."""
    _, tiny, ru = shared_db
    sid = tiny.students[3].id or 0
    slow_read = sealing.term_records

    def slow(*args: Any, **kwargs: Any) -> Any:
        records = slow_read(*args, **kwargs)
        time.sleep(0.6)  # the teacher's save arrives while the digest is being made
        return records

    monkeypatch.setattr(sealing, "term_records", slow)

    def seal() -> Any:
        return db.run_transaction(
            sealing.seal_period,
            actor=tiny.actors["deputy"],
            class_id=tiny.class5.id or 0,
            period_id=tiny.quarters[0].id or 0,
        )

    def mark() -> Any:
        time.sleep(0.2)
        return db.run_transaction(
            set_cell,
            actor=tiny.actors["russian"],
            lesson_id=ru.id or 0,
            student_id=sid,
            text="4",
            expected_version=0,
            now=NOW,
        )

    seal_result, mark_result = _together([seal, mark])
    assert isinstance(seal_result, sealing.SealInfo), repr(seal_result)
    assert isinstance(mark_result, ValidationError), repr(mark_result)
    assert "Период закрыт" in mark_result.message
    monkeypatch.setattr(sealing, "term_records", slow_read)
    verified = db.run_transaction(
        sealing.verify_seal, actor=tiny.actors["deputy"], seal_id=seal_result.id
    )
    assert verified.matches
