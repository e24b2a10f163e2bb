"""Forecast services on the tiny school: who may see what, the risk list, the message."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from ejournal.domain.audit.chain import AuditAction
from ejournal.domain.errors import PermissionDenied
from ejournal.domain.forecast import model as model_cache
from ejournal.domain.forecast.need import what_do_i_need
from ejournal.domain.forecast.service import (
    class_forecast,
    message_parents_about_risk,
    risk_list,
    student_forecast,
)
from ejournal.domain.models import AuditLog, Lesson, Message, ThreadParticipant
from tests.factories import (
    NOW,
    TinySchool,
    add_lesson,
    add_mark,
    add_student,
    make_school,
)

pytestmark = pytest.mark.db


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    """The tiny school with Russian marks in the first quarter: Глеб «2», «2», «3»;
    Артём (the parent's and the student account's child) «5», «4»."""
    model_cache.forget()
    t = make_school(session)
    gleb, artem = t.students[0], t.students[1]
    author = t.actors["russian"]
    for day, gleb_mark, artem_mark in ((5, 2, 5), (12, 2, 4), (19, 3, None)):
        lesson = add_lesson(session, t.russian_5a, NOW.date().replace(day=day))
        # Entered in the lesson: a mark entered after the forecast's day is not known to it.
        at = NOW.replace(day=day)
        add_mark(session, lesson, gleb, gleb_mark, author=author, work_type=t.answer, created_at=at)
        if artem_mark is not None:
            add_mark(
                session, lesson, artem, artem_mark, author=author, work_type=t.answer, created_at=at
            )
    return t


def test_a_parent_sees_their_own_childs_forecast(session: Session, tiny: TinySchool) -> None:
    """The parent gets a forecast per marked subject of their child, with method and words."""
    artem = tiny.students[1]
    f = student_forecast(session, actor=tiny.actors["parent"], student_id=artem.id or 0, now=NOW)
    russian = next(s for s in f.subjects if s.subject_name == "Русский язык")
    assert russian.current_mark == 5  # (5 + 4) / 2 = 4.5
    assert russian.likely_mark == 5
    assert sum(russian.probabilities.values()) == pytest.approx(1)
    assert "сбывались" in russian.text or "не измерена" in russian.text
    assert {s.subject_name for s in f.subjects} == {"Русский язык", "Математика"}  # no music


def test_a_family_gets_nothing_for_another_child(session: Session, tiny: TinySchool) -> None:
    """A forged call for a child not theirs is refused for the parent and the student."""
    gleb = tiny.students[0]
    for who in ("parent", "student"):
        with pytest.raises(PermissionDenied):
            student_forecast(session, actor=tiny.actors[who], student_id=gleb.id or 0, now=NOW)


def test_the_forecast_agrees_with_what_is_needed(session: Session, tiny: TinySchool) -> None:
    """Where «что нужно» says a mark cannot be reached, the forecast gives it probability 0."""
    gleb = tiny.students[0]
    f = student_forecast(session, actor=tiny.actors["deputy"], student_id=gleb.id or 0, now=NOW)
    russian = next(s for s in f.subjects if s.subject_name == "Русский язык")
    for target in (3, 4, 5):
        need = what_do_i_need(
            session,
            actor=tiny.actors["deputy"],
            student_id=gleb.id or 0,
            subject_id=tiny.russian.id or 0,
            period_id=tiny.q1.id or 0,
            target=target,
            today=NOW.date(),
        )
        if not need.reachable:
            assert russian.probabilities[target] == 0.0
            assert f"«{target}»" in russian.text or russian.best_reachable is not None
    assert russian.lessons_left == 3  # by the timetable: 21, 22 and 23 October
    assert russian.best_reachable is not None and russian.best_reachable < 5


def test_the_class_teacher_sees_the_student_heading_for_a_two(
    session: Session, tiny: TinySchool
) -> None:
    """Глеб's Russian average is 2.33: he is on his class teacher's risk list with reasons."""
    entries = risk_list(session, actor=tiny.actors["class_teacher"], now=NOW)
    gleb = [e for e in entries if e.student_id == tiny.students[0].id]
    russian = next(e for e in gleb if e.subject_name == "Русский язык")
    assert russian.kind == "two" and russian.probability_2 >= 0.3
    assert "средний балл 2,33" in russian.reasons
    assert "отметок «2» и ниже: 2 из 3" in russian.reasons
    assert not any(e.student_id == tiny.students[1].id and e.kind == "two" for e in entries)
    assert russian.link.startswith(f"/journal?a={tiny.russian_5a.id}&p={tiny.q1.id}")


def test_a_student_with_no_marks_and_most_lessons_missed_may_stay_unattested(
    session: Session, tiny: TinySchool
) -> None:
    """No marks and over 75 % of lessons missed without a valid reason [004 §5.14]."""
    from tests.factories import add_absence

    late = add_student(session, tiny.class5, "Яковлев", "Ян")
    for lesson in session.exec(
        select(Lesson).where(Lesson.assignment_id == tiny.russian_5a.id)
    ).all():
        add_absence(session, lesson, late, author=tiny.actors["russian"])
    entries = risk_list(session, actor=tiny.actors["deputy"], now=NOW)
    mine = next(e for e in entries if e.student_id == late.id and e.subject_name == "Русский язык")
    assert mine.kind == "unattested"
    assert any("больше 75 %" in r for r in mine.reasons)
    assert "нет ни одной отметки за период" in mine.reasons


@pytest.mark.parametrize("who", ["parent", "student", "russian", "maths"])
def test_families_and_teachers_get_no_risk_list(
    session: Session, tiny: TinySchool, who: str
) -> None:
    """The risk list is for the class teacher and the administration only."""
    with pytest.raises(PermissionDenied):
        risk_list(session, actor=tiny.actors[who], now=NOW)


def test_another_class_teacher_gets_nothing_of_this_class(
    session: Session, tiny: TinySchool
) -> None:
    """1 «А»'s class teacher cannot ask for 5 «А»'s list; their own has no marks to forecast."""
    with pytest.raises(PermissionDenied):
        risk_list(session, actor=tiny.actors["primary"], class_id=tiny.class5.id or 0, now=NOW)
    assert risk_list(session, actor=tiny.actors["primary"], now=NOW) == []


def test_the_class_teacher_messages_the_parents_and_it_is_audited(
    session: Session, tiny: TinySchool
) -> None:
    """A templated message goes to the child's parents; the audit records who and why."""
    from ejournal.domain.models import Parent, ParentLink
    from tests.factories import add_user

    gleb = tiny.students[0]
    user = add_user(session, "grigorieva")
    mother = Parent(
        school_id=tiny.school.id or 0, user_id=user.id, last_name="Григорьева", first_name="Галина"
    )
    session.add(mother)
    session.flush()
    session.add(ParentLink(parent_id=mother.id or 0, student_id=gleb.id or 0))
    session.commit()
    sent = message_parents_about_risk(
        session,
        actor=tiny.actors["class_teacher"],
        student_id=gleb.id or 0,
        period_id=tiny.q1.id or 0,
        now=NOW,
    )
    assert sent.recipients == ["Григорьева Галина"]
    assert "Русский язык: риск отметки «2»" in sent.body
    body = session.exec(select(Message.body).where(Message.thread_id == sent.thread_id)).one()
    assert body == sent.body
    people = session.exec(
        select(ThreadParticipant.user_id).where(ThreadParticipant.thread_id == sent.thread_id)
    ).all()
    assert user.id in people
    audit = session.exec(
        select(AuditLog).where(AuditLog.action == AuditAction.RISK_MESSAGE.value)
    ).one()
    assert audit.actor_id == tiny.actors["class_teacher"].user_id
    assert audit.entity_id == sent.thread_id


@pytest.mark.parametrize("who", ["russian", "parent", "primary"])
def test_only_the_class_teacher_or_deputy_sends_the_risk_message(
    session: Session, tiny: TinySchool, who: str
) -> None:
    """A subject teacher, a parent or another class's teacher cannot send it."""
    with pytest.raises(PermissionDenied):
        message_parents_about_risk(
            session,
            actor=tiny.actors[who],
            student_id=tiny.students[0].id or 0,
            period_id=tiny.q1.id or 0,
            now=NOW,
        )


def test_the_class_forecast_gives_a_range_beside_the_figures_so_far(
    session: Session, tiny: TinySchool
) -> None:
    """5 «А»: of the two students with marks, Глеб's «2» fails успеваемость so far."""
    rows = class_forecast(
        session, actor=tiny.actors["deputy"], class_id=None, period_id=tiny.q1.id or 0, now=NOW
    )
    five = next(r for r in rows if r.class_name == "5 «А»")
    assert five.progress_now == 0.5 and five.quality_now == 0.5
    assert 0 <= five.progress_low <= five.progress <= five.progress_high <= 1
    assert five.students == 5
    with pytest.raises(PermissionDenied):
        class_forecast(
            session, actor=tiny.actors["parent"], class_id=None, period_id=tiny.q1.id or 0
        )
