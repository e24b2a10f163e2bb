"""The year's results section, called as a browser would: the class teacher fills and saves
decisions, two sessions editing one student get a conflict in words, the director approves
and the class teacher is then locked; forged calls change nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlmodel import col, func, select

from ejournal.domain.models import (
    AuditLog,
    ClassGroup,
    Enrolment,
    Period,
    PeriodMark,
    Role,
    Staff,
    Student,
    Subject,
    TeachingAssignment,
    YearOutcome,
)
from ejournal.domain.records import outcomes
from ejournal.state.year_outcomes import YearOutcomesState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import toast_text

S = YearOutcomesState


@dataclass
class Year:
    student_id: int
    nine_id: int
    nine_student_id: int


@pytest.fixture()
def year(world: StateWorld) -> Year:
    """5 «А»'s student has year marks 4 (maths) and 2 (Russian); a 9 «Б» has one student."""
    with world.session() as s:
        school_id, class_id = world.school.school_id, world.school.class_id
        group = s.get(ClassGroup, class_id)
        assert group is not None
        period = Period(
            year_id=group.year_id,
            kind="year",
            number=1,
            name="Год",
            starts_on=dt.date(2026, 9, 1),
            ends_on=dt.date(2027, 5, 31),
        )
        maths = Subject(school_id=school_id, name="Математика")
        russian = Subject(school_id=school_id, name="Русский язык")
        nine = ClassGroup(school_id=school_id, year_id=group.year_id, grade=9, letter="Б")
        s.add_all([period, maths, russian, nine])
        s.flush()
        teacher = s.exec(select(Staff).where(Staff.last_name == "Учителева")).one()
        for cid, subj in ((class_id, maths), (class_id, russian), (nine.id, maths)):
            s.add(
                TeachingAssignment(
                    year_id=group.year_id,
                    teacher_id=teacher.id or 0,
                    class_id=cid or 0,
                    subject_id=subj.id or 0,
                    hours_per_week=Decimal("4"),
                )
            )
        pupil = Student(
            school_id=school_id,
            last_name="Девятов",
            first_name="Денис",
            gender="m",
            birth_date=dt.date(2011, 2, 2),
            class_id=nine.id,
        )
        s.add(pupil)
        s.flush()
        sid = world.school.student_id
        for st, cid in ((sid, class_id), (pupil.id or 0, nine.id or 0)):
            s.add(Enrolment(student_id=st, class_id=cid, starts_on=dt.date(2026, 9, 1)))
        author = world.school.accounts[Role.TEACHER].user_id
        for subj, value in ((maths, 4), (russian, 2)):
            s.add(
                PeriodMark(
                    student_id=sid,
                    subject_id=subj.id or 0,
                    period_id=period.id or 0,
                    value=value,
                    author_id=author,
                )
            )
        s.commit()
        return Year(sid, nine.id or 0, pupil.id or 0)


def loaded(world: StateWorld, role: Role) -> YearOutcomesState:
    st = world.state(S, world.token(role))
    call(S.load, st)
    return st


def outcome(world: StateWorld, student_id: int) -> YearOutcome | None:
    with world.session() as s:
        return s.exec(select(YearOutcome).where(YearOutcome.student_id == student_id)).first()


def audit_rows(world: StateWorld, action: str) -> int:
    with world.session() as s:
        return s.exec(
            select(func.count()).select_from(AuditLog).where(col(AuditLog.action) == action)
        ).one()


def test_class_teacher_fills_by_marks(world: StateWorld, year: Year) -> None:
    """The own class is chosen; the suggestion is a conditional promotion with Russian."""
    st = loaded(world, Role.CLASS_TEACHER)
    assert [c["name"] for c in st.classes] == ["5 «А»"]
    row = st.rows[0]
    assert row["summary"] == "«4»: 1 · «2»: 1"
    assert row["suggestion"] == "переведён(а) условно (Русский язык)"
    assert toast_text(call(S.fill_by_marks, st)) == "Заполнено решений: 1."
    assert st.rows[0]["decision"] == "promoted_conditionally"
    saved = outcome(world, year.student_id)
    assert saved is not None and saved.debt_subjects == "Русский язык"
    assert audit_rows(world, "year.outcome.set") == 1


def test_two_sessions_editing_one_student_conflict(world: StateWorld, year: Year) -> None:
    """The class teacher and the deputy open the page; the second save is refused in words
    and keeps what the deputy chose on screen."""
    teacher, deputy = loaded(world, Role.CLASS_TEACHER), loaded(world, Role.DEPUTY)
    deputy_class = next(c["id"] for c in deputy.classes if c["name"] == "5 «А»")
    call(S.choose_class, deputy, deputy_class)
    sid = str(year.student_id)
    call(S.edit_decision, teacher, sid, "retained")
    call(S.edit_order, teacher, sid, "№ 12")
    assert toast_text(call(S.save_row, teacher, sid)).startswith("Решение сохранено")
    call(S.edit_decision, deputy, sid, "promoted")
    text = toast_text(call(S.save_row, deputy, sid))
    assert "другой пользователь" in text
    assert deputy.rows[0]["decision"] == "promoted"  # the input stays
    saved = outcome(world, year.student_id)
    assert saved is not None and (saved.decision, saved.order_number) == ("retained", "№ 12")


def test_director_approves_then_class_teacher_is_locked(world: StateWorld, year: Year) -> None:
    """After «Утвердить решения класса» the status shows the protocol and saves are refused."""
    teacher = loaded(world, Role.CLASS_TEACHER)
    call(S.fill_by_marks, teacher)
    director = loaded(world, Role.DIRECTOR)
    call(S.choose_class, director, str(world.school.class_id))
    call(S.edit_protocol, director, "7")
    call(S.edit_council_on, director, "2026-11-01")
    assert toast_text(call(S.approve, director)) == "Утверждено решений: 1."
    assert director.approval_text == "Утверждено директором: протокол № 7, 01.11.2026"
    call(S.load, teacher)
    assert teacher.approved and teacher.rows[0]["approved"] == "1"
    sid = str(year.student_id)
    call(S.edit_decision, teacher, sid, "retained")
    assert "утверждены директором" in toast_text(call(S.save_row, teacher, sid))
    saved = outcome(world, year.student_id)
    assert saved is not None and saved.decision == "promoted_conditionally"
    assert saved.council_protocol == "7"


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PARENT, Role.STUDENT])
def test_forged_decisions_change_nothing(world: StateWorld, year: Year, role: Role) -> None:
    """A subject teacher, a parent or a student calling the handlers stores nothing."""
    st = world.state(S, world.token(role))
    st.class_id = str(world.school.class_id)
    st.rows = [
        {
            "student_id": str(year.student_id),
            "decision": "promoted",
            "version": "0",
            "debt": "",
            "order": "",
        }
    ]
    assert "Недостаточно прав" in toast_text(call(S.save_row, st, str(year.student_id)))
    assert "Недостаточно прав" in toast_text(call(S.fill_by_marks, st))
    assert outcome(world, year.student_id) is None


def test_class_teacher_cannot_approve(world: StateWorld, year: Year) -> None:
    """The class teacher calling «Утвердить» (no button for them) is refused."""
    st = loaded(world, Role.CLASS_TEACHER)
    call(S.fill_by_marks, st)
    st.class_id, st.protocol, st.council_on = str(world.school.class_id), "7", "2026-11-01"
    assert "Недостаточно прав" in toast_text(call(S.approve, st))
    saved = outcome(world, year.student_id)
    assert saved is not None and saved.approved_by is None


def test_other_class_id_is_ignored_for_class_teacher(world: StateWorld, year: Year) -> None:
    """A class teacher sending the other class's id keeps their own class chosen."""
    st = loaded(world, Role.CLASS_TEACHER)
    call(S.choose_class, st, str(world.school.other_class_id))
    assert st.class_id == str(world.school.class_id)
    st.class_id = str(world.school.other_class_id)  # forged straight into the state
    st.rows = [
        {
            "student_id": str(year.student_id),
            "decision": "promoted",
            "version": "0",
            "debt": "",
            "order": "",
        }
    ]
    assert "Недостаточно прав" in toast_text(call(S.save_row, st, str(year.student_id)))
    assert outcome(world, year.student_id) is None


def test_exam_marks_wait_for_the_year_end(
    world: StateWorld, year: Year, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The teacher of 9 «Б» sees the exam table; in May a save is refused with the date, in
    June the exam and final marks are stored."""
    today = {"d": dt.date(2027, 5, 20)}
    monkeypatch.setattr(outcomes, "school_today", lambda school, now=None: today["d"])
    st = loaded(world, Role.TEACHER)
    assert [c["name"] for c in st.classes] == ["9 «Б»"]
    assert not st.may_decide and st.may_exam
    assert st.exam_rows[0]["full_name"] == "Девятов Денис"
    assert "01.06.2027" in st.exam_note
    pid = str(year.nine_student_id)
    call(S.edit_exam, st, pid, "5")
    assert "01.06.2027" in toast_text(call(S.save_exam, st, pid))
    assert st.exam_rows[0]["exam"] == "5"  # the input stays
    today["d"] = dt.date(2027, 6, 15)
    call(S.edit_final, st, pid, "5")
    assert toast_text(call(S.save_exam, st, pid)) == "Отметки сохранены: Девятов Денис."
    assert (st.exam_rows[0]["exam"], st.exam_rows[0]["final"]) == ("5", "5")
    with world.session() as s:
        kinds = s.exec(
            select(Period.kind, PeriodMark.value)
            .join(Period, col(Period.id) == PeriodMark.period_id)
            .where(PeriodMark.student_id == year.nine_student_id)
        ).all()
    assert sorted(kinds) == [("exam", 5), ("final", 5)]
