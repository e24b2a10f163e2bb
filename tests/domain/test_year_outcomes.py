"""Promotion decisions at the end of the year [004 §5.33–5.36] for the tiny school's 5 «А»
(class teacher Волкова = actor «class_teacher», subjects Russian and maths with marks)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, col, func, select

from ejournal.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import (
    AuditLog,
    Enrolment,
    Role,
    YearDecision,
    YearOutcome,
)
from ejournal.domain.records import outcomes
from ejournal.domain.records.outcomes import (
    approve_year_outcomes,
    class_outcomes,
    fill_year_outcomes,
    final_mark,
    outcome_classes,
    return_year_outcomes,
    set_year_outcome,
    suggest_decision,
)
from tests.factories import (
    MSK,
    D,
    TinySchool,
    add_period_mark,
    add_staff,
    add_student,
    make_school,
    staff_actor,
)

pytestmark = pytest.mark.db

JUNE = dt.datetime(2027, 6, 2, 12, 0, tzinfo=MSK)
P = YearDecision.PROMOTED.value
PC = YearDecision.PROMOTED_CONDITIONALLY.value


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    t = make_school(session)
    director, user = add_staff(session, t.school, "director", "Директорова", "Дина")
    t.actors["director"] = staff_actor(t.school, user, director, Role.DIRECTOR)
    session.commit()
    return t


def year_marks(session: Session, tiny: TinySchool, rows: dict[int, tuple[int | None, ...]]) -> None:
    """Student index → (Russian, maths) year marks; None is «н/а»."""
    for i, (ru, ma) in rows.items():
        s = tiny.students[i]
        add_period_mark(
            session, s, tiny.russian, tiny.year_period, ru, author=tiny.actors["russian"]
        )
        add_period_mark(session, s, tiny.maths, tiny.year_period, ma, author=tiny.actors["maths"])


def row(
    session: Session, tiny: TinySchool, i: int, actor: str = "class_teacher"
) -> outcomes.OutcomeRow:
    sid = tiny.students[i].id
    rows = class_outcomes(session, actor=tiny.actors[actor], class_id=tiny.class5.id or 0).rows
    return next(r for r in rows if r.student_id == sid)


def decide(
    session: Session,
    tiny: TinySchool,
    i: int,
    decision: str,
    version: int = 0,
    *,
    actor: str = "class_teacher",
    **kw: str,
) -> outcomes.OutcomeRow:
    return set_year_outcome(
        session,
        actor=tiny.actors[actor],
        class_id=tiny.class5.id or 0,
        student_id=tiny.students[i].id or 0,
        decision=decision,
        expected_version=version,
        now=JUNE,
        **kw,
    )


def audit_count(session: Session, action: str) -> int:
    return session.exec(
        select(func.count()).select_from(AuditLog).where(col(AuditLog.action) == action)
    ).one()


def stored(session: Session) -> list[YearOutcome]:
    return list(session.exec(select(YearOutcome)).all())


# --------------------------------------------------------------------------- rules


def test_final_mark_is_the_mean_rounded_half_up() -> None:
    """Year 4 and exam 5 give 5 (4.5 rounds up); 3 and 4 give 4; no exam keeps the year mark."""
    assert final_mark(4, 5) == 5
    assert final_mark(3, 4) == 4
    assert final_mark(5, 3) == 4
    assert final_mark(4, None) == 4
    assert final_mark(4, None, exam_taken=False) is None


def test_suggestion_follows_the_year_marks() -> None:
    """All ≥ 3 → promoted; a «2» or «н/а» → conditionally with those subjects; grade 9 → ГИА."""
    assert suggest_decision(grade=5, year_marks={"Рус": 3, "Мат": 5}, left=False).decision == P
    s = suggest_decision(grade=5, year_marks={"Рус": 2, "Мат": None, "Физ": 4}, left=False)
    assert (s.decision, s.debt_subjects) == (PC, "Мат, Рус")
    assert (
        suggest_decision(grade=9, year_marks={"Рус": 4}, left=False).decision == "admitted_to_exam"
    )
    assert suggest_decision(grade=9, year_marks={"Рус": 2}, left=False).decision is None
    assert suggest_decision(grade=5, year_marks={}, left=False).decision is None
    assert suggest_decision(grade=5, year_marks={"Рус": 2}, left=True).decision == "left"


# --------------------------------------------------------------------------- the page


def test_page_counts_year_marks_and_suggests(session: Session, tiny: TinySchool) -> None:
    """The class teacher sees each student's «5/4/3/2/н/а» counts and the suggested decision."""
    year_marks(session, tiny, {0: (5, 4), 1: (2, None)})
    r0, r1 = row(session, tiny, 0), row(session, tiny, 1)
    assert r0.counts == {"5": 1, "4": 1, "3": 0, "2": 0, "н/а": 0}
    assert (r0.suggestion, r0.decision, r0.version) == (P, "", 0)
    assert r1.counts["2"] == 1 and r1.counts["н/а"] == 1
    assert (r1.suggestion, r1.suggested_debt) == (PC, "Математика, Русский язык")


def test_class_teacher_saves_a_decision_with_audit(session: Session, tiny: TinySchool) -> None:
    """A saved decision is stored with today's date, the order number and an audit row."""
    year_marks(session, tiny, {0: (5, 4)})
    r = decide(session, tiny, 0, P, order_number="№ 45-у")
    assert (r.decision, r.order_number, r.decided_on, r.version) == (P, "№ 45-у", D(2027, 6, 2), 1)
    assert audit_count(session, "year.outcome.set") == 1
    log = session.exec(select(AuditLog).where(col(AuditLog.action) == "year.outcome.set")).one()
    assert "promoted" in str(log.after) and log.before in (None, "null", "")


def test_conditional_promotion_needs_debt_subjects(session: Session, tiny: TinySchool) -> None:
    """«Переведён условно» without the debt subjects is refused and nothing is stored."""
    with pytest.raises(ValidationError, match="академической задолженности"):
        decide(session, tiny, 1, PC)
    assert stored(session) == []
    r = decide(session, tiny, 1, PC, debt_subjects="Математика")
    assert r.debt_subjects == "Математика"


def test_exam_decisions_are_refused_in_grade_five(session: Session, tiny: TinySchool) -> None:
    """«Допущен к ГИА» in 5 «А» is refused in words."""
    with pytest.raises(ValidationError, match="9 и 11"):
        decide(session, tiny, 0, YearDecision.ADMITTED_TO_EXAM.value)


def test_left_takes_date_and_order_from_the_movement(session: Session, tiny: TinySchool) -> None:
    """A student who left gets the date and the order of the leaving, not what was typed."""
    gone = add_student(session, tiny.class5, "Ушедший", "Уве", ends_on=D(2027, 3, 20))
    stay = session.exec(select(Enrolment).where(Enrolment.student_id == gone.id)).one()
    stay.leave_kind, stay.leave_order_number = "left", "№ 14"
    session.add(stay)
    session.commit()
    tiny.students.append(gone)
    r = row(session, tiny, 4)
    assert (r.suggestion, r.left_on, r.left_order) == ("left", D(2027, 3, 20), "№ 14")
    with pytest.raises(ValidationError, match="выбыл"):
        decide(session, tiny, 4, P)
    saved = decide(session, tiny, 4, "left", order_number="999")
    assert (saved.order_number, saved.decided_on) == ("№ 14", D(2027, 3, 20))
    with pytest.raises(ValidationError, match="движении"):
        decide(session, tiny, 0, "left")


def test_fill_by_marks_only_fills_students_without_a_decision(
    session: Session, tiny: TinySchool
) -> None:
    """«Заполнить по отметкам» stores suggestions, keeps a decision made by hand, skips no-marks."""
    year_marks(session, tiny, {0: (5, 4), 1: (2, 3), 2: (3, 3)})
    decide(session, tiny, 2, YearDecision.RETAINED.value)
    n = fill_year_outcomes(
        session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0, now=JUNE
    )
    assert n == 2
    assert row(session, tiny, 0).decision == P
    assert (row(session, tiny, 1).decision, row(session, tiny, 1).debt_subjects) == (
        PC,
        "Русский язык",
    )
    assert row(session, tiny, 2).decision == YearDecision.RETAINED.value
    assert row(session, tiny, 3).decision == ""  # no year marks: left to the teacher


def test_stale_version_is_a_conflict(session: Session, tiny: TinySchool) -> None:
    """Two people saving the same student from the same page: the second is told, not lost."""
    decide(session, tiny, 0, P)  # the deputy's page also showed version 0
    with pytest.raises(ConflictError, match="другой пользователь"):
        decide(session, tiny, 0, YearDecision.RETAINED.value, 0, actor="deputy")
    assert row(session, tiny, 0).decision == P


# --------------------------------------------------------------------------- approval


def _decide_all(session: Session, tiny: TinySchool) -> None:
    for i in range(4):
        decide(session, tiny, i, P)
    tiny.students.append(tiny.newcomer)
    decide(session, tiny, 4, P)


def test_director_approves_and_the_class_teacher_is_locked(
    session: Session, tiny: TinySchool
) -> None:
    """After approval the decisions carry the protocol; the class teacher cannot change them."""
    with pytest.raises(ValidationError, match="Нет решения"):
        approve_year_outcomes(
            session,
            actor=tiny.actors["director"],
            class_id=tiny.class5.id or 0,
            council_protocol="7",
            council_on=D(2027, 5, 30),
            now=JUNE,
        )
    _decide_all(session, tiny)
    n = approve_year_outcomes(
        session,
        actor=tiny.actors["director"],
        class_id=tiny.class5.id or 0,
        council_protocol="7",
        council_on=D(2027, 5, 30),
        now=JUNE,
    )
    assert n == 5
    page = class_outcomes(session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0)
    assert page.approved and (page.council_protocol, page.council_on) == ("7", D(2027, 5, 30))
    r = row(session, tiny, 0)
    with pytest.raises(ValidationError, match="утверждены директором"):
        decide(session, tiny, 0, YearDecision.RETAINED.value, r.version)
    with pytest.raises(ValidationError, match="утверждены директором"):
        fill_year_outcomes(
            session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id or 0, now=JUNE
        )
    assert audit_count(session, "year.outcome.approve") == 5
    # The director returns them; the class teacher may change them again.
    return_year_outcomes(session, actor=tiny.actors["director"], class_id=tiny.class5.id or 0)
    r = row(session, tiny, 0)
    assert not r.approved
    assert decide(session, tiny, 0, YearDecision.RETAINED.value, r.version).decision == "retained"


def test_approval_needs_protocol_and_a_past_date(session: Session, tiny: TinySchool) -> None:
    """No protocol number or a council date in the future is refused."""
    _decide_all(session, tiny)
    director, cid = tiny.actors["director"], tiny.class5.id or 0
    with pytest.raises(ValidationError, match="протокола"):
        approve_year_outcomes(
            session,
            actor=director,
            class_id=cid,
            council_protocol=" ",
            council_on=D(2027, 5, 30),
            now=JUNE,
        )
    with pytest.raises(ValidationError, match="будущем"):
        approve_year_outcomes(
            session,
            actor=director,
            class_id=cid,
            council_protocol="7",
            council_on=D(2027, 7, 1),
            now=JUNE,
        )
    assert all(o.approved_by is None for o in stored(session))


# --------------------------------------------------------------------------- forged calls


@pytest.mark.parametrize("who", ["russian", "primary", "parent", "student"])
def test_others_cannot_enter_decisions(session: Session, tiny: TinySchool, who: str) -> None:
    """A subject teacher, another class's class teacher, a parent or a student change nothing."""
    with pytest.raises(PermissionDenied):
        decide(session, tiny, 0, P, actor=who)
    with pytest.raises(PermissionDenied):
        fill_year_outcomes(session, actor=tiny.actors[who], class_id=tiny.class5.id or 0, now=JUNE)
    with pytest.raises(PermissionDenied):
        class_outcomes(session, actor=tiny.actors[who], class_id=tiny.class5.id or 0)
    assert stored(session) == []


@pytest.mark.parametrize("who", ["class_teacher", "deputy", "parent"])
def test_only_the_director_approves(session: Session, tiny: TinySchool, who: str) -> None:
    """A class teacher (or the deputy, or a parent) approving or returning is refused."""
    _decide_all(session, tiny)
    with pytest.raises(PermissionDenied):
        approve_year_outcomes(
            session,
            actor=tiny.actors[who],
            class_id=tiny.class5.id or 0,
            council_protocol="7",
            council_on=D(2027, 5, 30),
            now=JUNE,
        )
    with pytest.raises(PermissionDenied):
        return_year_outcomes(session, actor=tiny.actors[who], class_id=tiny.class5.id or 0)
    assert all(o.approved_by is None for o in stored(session))


def test_student_of_another_class_or_school_is_refused(session: Session, tiny: TinySchool) -> None:
    """A first grader sent as a student of 5 «А», or a class id of nowhere, changes nothing."""
    with pytest.raises(ValidationError, match="не числится"):
        set_year_outcome(
            session,
            actor=tiny.actors["class_teacher"],
            class_id=tiny.class5.id or 0,
            student_id=tiny.first_grader.id or 0,
            decision=P,
            expected_version=0,
            now=JUNE,
        )
    with pytest.raises((NotFound, PermissionDenied)):
        set_year_outcome(
            session,
            actor=tiny.actors["deputy"],
            class_id=999_999,
            student_id=tiny.students[0].id or 0,
            decision=P,
            expected_version=0,
            now=JUNE,
        )
    assert stored(session) == []


def test_class_list_per_role(session: Session, tiny: TinySchool) -> None:
    """The class teacher sees the own class; the deputy and the director every class."""
    names = lambda who: [c.name for c in outcome_classes(session, actor=tiny.actors[who])]  # noqa: E731
    assert names("class_teacher") == ["5 «А»"]
    assert names("deputy") == ["1 «А»", "5 «А»"]
    assert names("director") == ["1 «А»", "5 «А»"]
    assert names("russian") == []  # no grade 9/11 class taught
    with pytest.raises(PermissionDenied):
        outcome_classes(session, actor=tiny.actors["student"])


def test_closed_year_is_read_only(session: Session, tiny: TinySchool) -> None:
    """Once the year is closed and archived, decisions can no longer be entered."""
    tiny.year.closed_at = dt.datetime(2027, 7, 1, tzinfo=dt.UTC)
    session.add(tiny.year)
    session.commit()
    with pytest.raises(ValidationError, match="Учебный год закрыт"):
        decide(session, tiny, 0, P)
    assert stored(session) == []
