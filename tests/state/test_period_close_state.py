"""The period-close section of ``/records`` called as a browser would: the deputy sees who
lacks a period mark, is refused, then closes the term, checks it and reads the changes
after it; the director closes the year once every term is closed; others change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import select

from ejournal.domain.models import (
    AcademicYear,
    AuditLog,
    Enrolment,
    Period,
    PeriodMark,
    PeriodSeal,
    Role,
    Staff,
    Subject,
    TeachingAssignment,
)
from ejournal.state.period_close import PeriodCloseState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import toast_text

D = dt.date


@pytest.fixture()
def term(world: StateWorld) -> int:
    """Two quarters for grade 5, Russian taught in 5 «А» to its one student (enrolled
    from September); returns the 1st quarter's id."""
    tiny = world.school
    with world.session() as s:
        year = s.exec(select(AcademicYear).where(AcademicYear.school_id == tiny.school_id)).one()
        quarters = [
            Period(
                year_id=year.id or 0,
                kind="quarter",
                number=n,
                name=f"{n} четверть",
                starts_on=a,
                ends_on=b,
                grade_from=1,
                grade_to=9,
            )
            for n, (a, b) in enumerate(
                [(D(2026, 9, 1), D(2026, 10, 24)), (D(2026, 11, 5), D(2026, 12, 28))], start=1
            )
        ]
        s.add_all(quarters)
        subject = Subject(school_id=tiny.school_id, name="Русский язык")
        s.add(subject)
        s.flush()
        teacher = s.exec(
            select(Staff).where(Staff.user_id == tiny.accounts[Role.TEACHER].user_id)
        ).one()
        s.add(
            TeachingAssignment(
                year_id=year.id or 0,
                teacher_id=teacher.id or 0,
                class_id=tiny.class_id,
                subject_id=subject.id or 0,
                hours_per_week=Decimal("5"),
            )
        )
        s.add(
            Enrolment(student_id=tiny.student_id, class_id=tiny.class_id, starts_on=D(2026, 9, 1))
        )
        s.commit()
        return quarters[0].id or 0


def _give_period_mark(world: StateWorld, period_id: int) -> None:
    with world.session() as s:
        subject = s.exec(select(Subject).where(Subject.name == "Русский язык")).one()
        s.add(
            PeriodMark(
                student_id=world.school.student_id,
                subject_id=subject.id or 0,
                period_id=period_id,
                value=4,
                author_id=world.school.accounts[Role.TEACHER].user_id,
            )
        )
        s.commit()


def _seals(world: StateWorld) -> list[PeriodSeal]:
    with world.session() as s:
        return list(s.exec(select(PeriodSeal)).all())


def _loaded(world: StateWorld, role: Role) -> PeriodCloseState:
    st = world.state(PeriodCloseState, world.token(role))
    call(PeriodCloseState.load, st)
    return st


def test_the_deputy_is_told_who_lacks_a_mark_then_closes_the_term(world: StateWorld, term: int):
    """Refused while the student has no quarter mark (named); closed once it is set; the
    check says the digest matches and no changes were made after it."""
    st = _loaded(world, Role.DEPUTY)
    assert st.allowed and st.can_seal and not st.can_close_year
    assert [c["name"] for c in st.classes] == ["5 «А»", "5 «Б»"]
    assert st.class_id == str(world.school.class_id)
    assert [t["name"] for t in st.terms] == ["1 четверть", "2 четверть"]
    assert st.period_id == str(term)
    assert st.pages == [
        {
            "subject": "Русский язык",
            "teacher": st.pages[0]["teacher"],
            "students": "1",
            "missing": "Учеников Пётр",
            "status": "нет отметок: 1",
        }
    ]
    assert st.missing_count == 1 and not st.ready

    call(PeriodCloseState.seal, st)
    assert "Период нельзя закрыть" in st.error and "Учеников Пётр" in st.error
    assert _seals(world) == []

    _give_period_mark(world, term)
    call(PeriodCloseState.choose_period, st, str(term))
    assert st.ready and st.pages[0]["status"] == "готово"
    answer = call(PeriodCloseState.seal, st)
    assert toast_text(answer) == "Период «1 четверть» закрыт для 5 «А»."
    assert st.error == ""
    assert len(_seals(world)) == 1
    assert st.sealed_text.startswith("Закрыт ")
    assert [s["period"] for s in st.seals] == ["1 четверть"]
    assert st.terms[0]["sealed"] == "1"
    seal_id = st.seals[0]["id"]
    call(PeriodCloseState.verify, st, seal_id)
    assert st.check_ok and st.check_text.startswith("Контрольная сумма совпадает.")
    call(PeriodCloseState.show_amendments, st, seal_id)
    assert st.amend_open and st.amendments == [] and not st.has_amendments


def test_the_director_closes_the_year_once_every_term_is_closed(world: StateWorld, term: int):
    """Refused with the open terms listed; after the deputy closed them all, closed."""
    director = _loaded(world, Role.DIRECTOR)
    assert director.can_close_year and not director.can_seal
    assert "5 «А»: 1 четверть, 2 четверть" in director.year_blockers
    call(PeriodCloseState.close_year, director)
    assert "нельзя закрыть" in director.year_error
    assert "5 «Б»: 1 четверть, 2 четверть" in director.year_error

    deputy = _loaded(world, Role.DEPUTY)
    with world.session() as s:
        periods = s.exec(select(Period).order_by(Period.starts_on)).all()  # type: ignore[arg-type]
    for p in periods:
        _give_period_mark(world, p.id or 0)
    for class_id in (world.school.class_id, world.school.other_class_id):
        call(PeriodCloseState.choose_class, deputy, str(class_id))
        for p in periods:
            call(PeriodCloseState.choose_period, deputy, str(p.id))
            call(PeriodCloseState.seal, deputy)
            assert deputy.error == ""
    assert len(_seals(world)) == 4

    call(PeriodCloseState.load, director)
    assert director.year_blockers == []
    answer = call(PeriodCloseState.close_year, director)
    assert toast_text(answer) == "Учебный год 2026/2027 закрыт."
    assert director.year_closed and director.year_closed_text.startswith("Учебный год закрыт ")
    with world.session() as s:
        assert s.exec(select(AcademicYear)).one().closed_at is not None
        assert s.exec(select(AuditLog).where(AuditLog.action == "year.close")).one()


@pytest.mark.parametrize("role", [Role.TEACHER, Role.CLASS_TEACHER, Role.PARENT, Role.STUDENT])
def test_forged_calls_change_nothing(world: StateWorld, term: int, role: Role):
    """Anyone but the deputy and the director: the section stays hidden, and calling the
    seal or the year close directly closes nothing."""
    _give_period_mark(world, term)
    st = world.state(PeriodCloseState, world.token(role))
    call(PeriodCloseState.load, st)
    assert not st.allowed
    st.class_id, st.period_id = str(world.school.class_id), str(term)
    with world.session() as s:
        year = s.exec(select(AcademicYear)).one()
    st.year_id = str(year.id)
    call(PeriodCloseState.seal, st)
    call(PeriodCloseState.close_year, st)
    call(PeriodCloseState.verify, st, "1")
    assert _seals(world) == []
    with world.session() as s:
        assert s.exec(select(AcademicYear)).one().closed_at is None


def test_a_forged_class_id_is_not_taken(world: StateWorld, term: int):
    """A class id outside the list is ignored by the picker and refused by the service."""
    st = _loaded(world, Role.DEPUTY)
    call(PeriodCloseState.choose_class, st, "999")
    assert st.class_id == str(world.school.class_id)
    st.class_id = "999"
    call(PeriodCloseState.seal, st)
    assert st.error == "Класс не найден."
    assert _seals(world) == []
