"""The deputy's control page (``/dashboard``) called as a browser would, on the seeded small
school: figures for the whole school, the checklist by rule and by teacher, a finding sent
to its teacher; a class teacher sees their class, a teacher their own lessons, a parent and
a student nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, func, select

from ejournal.domain.control import checklist
from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    Message,
    MessageThread,
    TeachingAssignment,
    ThreadParticipant,
    User,
)
from ejournal.domain.people.passwords import hash_password
from ejournal.state.control import DashboardState
from tests.state import test_journal_state as journal_fixtures
from tests.state.conftest import call
from tests.state.outcomes import toast_text
from tests.state.test_journal_state import LOGINS, PASSWORD, REFUSED, School

# The seeded small school, one copy per test (the journal state tests' fixtures).
seeded_template = journal_fixtures.seeded_template
school = journal_fixtures.school

FAMILY = {"parent": "parent", "student": "student"}


@pytest.fixture()
def family(school: School, monkeypatch: pytest.MonkeyPatch) -> School:
    """The seed's demo parent and student with the test password."""
    with school.session() as s:
        for who, login in FAMILY.items():
            user = s.exec(select(User).where(User.login == login)).one()
            user.password_hash = hash_password(PASSWORD, 4)
            user.must_change_password = False
            s.add(user)
            school.users[who] = user.id or 0
        s.commit()
    monkeypatch.setitem(LOGINS, "parent", "parent")
    monkeypatch.setitem(LOGINS, "student", "student")
    return school


def opened(school: School, who: str) -> Any:
    st = school.state(DashboardState, who, "/dashboard")
    call(DashboardState.load, st)
    return st


def threads(school: School) -> int:
    with school.session() as s:
        return s.exec(select(func.count()).select_from(MessageThread)).one()


def test_the_deputy_sees_figures_charts_and_the_checklist(school: School):
    st = opened(school, "deputy")
    assert st.error == "" and st.loaded
    assert [t["title"] for t in st.tiles] == [
        "Наполняемость",
        "Отметки вовремя",
        "Успеваемость",
        "Качество",
        "Посещаемость",
    ]
    assert all(t["value"].endswith("%") and t["definition"] for t in st.tiles)
    assert st.whole_school and len(st.classes) > 2
    # The heat map has a row per class with lessons and a column per subject.
    heat = st.heat.data[0]
    assert len(heat.y) >= 2 and len(heat.x) >= 3
    # Every rule is listed with its clause; the seed's careless teachers give findings.
    assert [g["key"] for g in st.groups] == [r.code for r in checklist.RULES]
    assert all(g["clause"].startswith("[") for g in st.groups)
    assert st.findings_total == sum(g["count"] for g in st.groups) > 0
    assert st.findings and all(f["rule"] == st.group for f in st.findings)
    assert all(f["link"].startswith("/journal?a=") for f in st.findings if f["link"])
    assert st.columns and st.rows  # the fill report's table
    # The running term's forecast per class, with a range and its accuracy in words.
    assert st.forecasts and not st.forecast_busy
    assert all("(" in f["progress"] and "%" in f["quality"] for f in st.forecasts)
    assert "сбывались" in st.forecast_note or "не измерена" in st.forecast_note
    # The trend: успеваемость and качество over the periods that have ended (1st quarter).
    assert [t.name for t in st.trend.data] == ["успеваемость", "качество"]
    assert "1 четверть" in list(st.trend.data[0].x)


def test_grouping_by_teacher_lists_teachers_with_their_counts(school: School):
    st = opened(school, "deputy")
    total = st.findings_total
    call(DashboardState.group_findings, st, "teacher")
    assert sum(g["count"] for g in st.groups) == total
    counts = [g["count"] for g in st.groups]
    assert counts == sorted(counts, reverse=True)
    chosen = st.groups[0]
    call(DashboardState.open_group, st, chosen["key"])
    assert st.findings and {f["teacher"] for f in st.findings} == {chosen["title"]}


def test_a_narrowed_class_shows_only_that_class(school: School):
    st = opened(school, "deputy")
    five_a = next(c for c in st.classes if c["label"] == "5 «А»")
    call(DashboardState.narrow, st, "class_id", five_a["value"])
    call(DashboardState.group_findings, st, "class")
    assert [g["title"] for g in st.groups if g["count"]] in ([], ["5 «А»"])
    assert {row[0] for row in st.rows} <= {"5 «А»"}


def test_the_deputy_sends_a_finding_to_its_teacher(school: School):
    st = opened(school, "deputy")
    call(DashboardState.group_findings, st, "teacher")
    finding = next(f for f in st.findings if f["teacher_id"])
    result = call(
        DashboardState.send_finding, st, {"index": finding["key"], "note": "Прошу исправить"}
    )
    assert "отправлено" in toast_text(result)
    with school.session() as s:
        thread = s.exec(select(MessageThread).order_by(col(MessageThread.id).desc())).first()
        assert thread is not None and thread.subject.startswith("Контроль журнала")
        body = s.exec(select(Message.body).where(Message.thread_id == thread.id)).one()
        people = set(
            s.exec(
                select(ThreadParticipant.user_id).where(ThreadParticipant.thread_id == thread.id)
            ).all()
        )
    assert body.startswith("Прошу исправить") and finding["text"] in body
    assert school.users["deputy"] in people and len(people) == 2


def test_a_teacher_sees_only_own_lessons_and_cannot_send(school: School):
    st = opened(school, "teacher")
    assert st.error == "" and not st.whole_school
    actor = school.actor("teacher")
    with school.session() as s:
        own = set(
            s.exec(
                select(ClassGroup.grade, ClassGroup.letter)
                .join(TeachingAssignment, col(TeachingAssignment.class_id) == ClassGroup.id)
                .join(AcademicYear, col(AcademicYear.id) == ClassGroup.year_id)
                .where(
                    TeachingAssignment.teacher_id == actor.staff_id,
                    col(AcademicYear.is_current).is_(True),
                )
            ).all()
        )
    assert {c["label"] for c in st.classes} == {f"{g} «{letter}»" for g, letter in own}
    before = threads(school)
    result = call(DashboardState.send_finding, st, {"index": "0", "note": ""})
    assert threads(school) == before
    assert toast_text(result)  # refused with a message (no finding of another teacher)


def test_a_class_teacher_sees_their_class_and_the_classes_they_teach(school: School):
    """`classteacher` leads 5 «А» and also teaches in 10 «А»: those two, no others."""
    st = opened(school, "classteacher")
    assert [c["label"] for c in st.classes] == ["5 «А»", "10 «А»"]
    assert not st.whole_school
    call(DashboardState.group_findings, st, "class")
    assert {g["title"] for g in st.groups if g["count"]} <= {"5 «А»", "10 «А»"}


@pytest.mark.parametrize("who", ["parent", "student"])
def test_a_family_gets_nothing(family: School, who: str):
    st = family.state(DashboardState, who, "/dashboard")
    result = call(DashboardState.load, st)
    assert REFUSED in toast_text(result)
    assert st.tiles == [] and st.groups == [] and st.rows == [] and not st.loaded
    before = threads(family)
    result = call(DashboardState.send_finding, st, {"index": "0", "note": "x"})
    assert REFUSED in toast_text(result) and threads(family) == before
    result = call(DashboardState.download, st, "xlsx")
    assert REFUSED in toast_text(result)


def test_a_teacher_home_lists_my_findings_naming_only_them(school: School):
    """«Мои замечания» on /teacher: the checklist's findings that name this teacher."""
    from ejournal.state.journal import TeacherHomeState

    st = school.state(TeacherHomeState, "teacher", "/teacher")
    call(TeacherHomeState.load, st)
    assert st.my_findings_label == "за последние 30 дней"
    assert st.my_findings_total == sum(int(c["value"]) for c in st.my_rule_counts) > 0
    assert 0 < len(st.my_findings) <= 10
    me = school.actor("teacher").staff_id
    assert {f["teacher_id"] for f in st.my_findings} == {me}
    assert all(f["link"].startswith("/journal?a=") for f in st.my_findings)
