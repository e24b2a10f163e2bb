"""``/risks``: the class teacher sees their class's risks with reasons and writes to the
parents (audited); a subject teacher, a parent and a student get nothing."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from ejournal.domain.models import AuditLog, MessageThread, Student, User
from ejournal.domain.people.passwords import hash_password
from ejournal.state.risks import RiskState
from tests.state import test_journal_state as journal_fixtures
from tests.state.conftest import call
from tests.state.outcomes import toast_text
from tests.state.test_journal_state import LOGINS, PASSWORD, REFUSED, School

seeded_template = journal_fixtures.seeded_template
school = journal_fixtures.school


def counts(school: School) -> tuple[int, int]:
    with school.session() as s:
        return (
            s.exec(select(func.count()).select_from(MessageThread)).one(),
            s.exec(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.action == "forecast.risk.message")
            ).one(),
        )


def test_the_class_teacher_sees_only_own_class(school: School):
    st = school.state(RiskState, "classteacher", "/risks")
    call(RiskState.load, st)
    assert st.error == "" and st.loaded
    assert {r["class_name"] for r in st.rows} <= {"5 «А»"}


def test_the_deputy_sees_the_school_and_writes_to_parents(school: School):
    st = school.state(RiskState, "deputy", "/risks")
    call(RiskState.load, st)
    assert st.error == "" and st.loaded
    assert st.rows, "the seed has students at risk (weak students, «2»s not followed up)"
    row = st.rows[0]
    assert row["items"] and all(i["reasons"] for i in row["items"])
    assert row["name"] in row["template"] and "Здравствуйте" in row["template"]
    threads, audits = counts(school)
    result = call(
        RiskState.send,
        st,
        {
            "student_id": str(row["student_id"]),
            "period_id": str(row["period_id"]),
            "body": row["template"] + "\nЖду вас в среду.",
        },
    )
    assert "отправлено" in toast_text(result)
    assert counts(school) == (threads + 1, audits + 1)
    assert row["student_id"] in st.sent


@pytest.mark.parametrize("who", ["teacher", "parent", "student"])
def test_others_get_no_list_and_send_nothing(school: School, who: str, monkeypatch):
    if who in ("parent", "student"):
        with school.session() as s:
            user = s.exec(select(User).where(User.login == who)).one()
            user.password_hash = hash_password(PASSWORD, 4)
            user.must_change_password = False
            s.add(user)
            s.commit()
            school.users[who] = user.id or 0
            any_student = s.exec(select(Student.id)).first()
        monkeypatch.setitem(LOGINS, who, who)
    else:
        with school.session() as s:
            any_student = s.exec(select(Student.id)).first()
    st = school.state(RiskState, who, "/risks")
    result = call(RiskState.load, st)
    assert st.rows == []
    assert REFUSED in toast_text(result) or st.error
    before = counts(school)
    call(RiskState.send, st, {"student_id": str(any_student), "period_id": "1", "body": "x"})
    assert counts(school) == before


def test_the_parent_sees_each_subjects_forecast_with_its_accuracy(
    school: School, monkeypatch: pytest.MonkeyPatch
):
    from ejournal.state.diary import DiaryMarksState

    with school.session() as s:
        user = s.exec(select(User).where(User.login == "parent")).one()
        user.password_hash = hash_password(PASSWORD, 4)
        user.must_change_password = False
        s.add(user)
        s.commit()
        school.users["parent"] = user.id or 0
    monkeypatch.setitem(LOGINS, "parent", "parent")
    st = school.state(DiaryMarksState, "parent", "/diary/marks")
    call(DiaryMarksState.load, st)
    assert st.subjects and not st.closed
    marked = [str(x["subject_id"]) for x in st.subjects if x["marks"]]
    assert marked and all(k in st.forecasts for k in marked)
    for text in st.forecasts.values():
        assert text.startswith("Прогноз") and "«" in text
        assert "сбывались" in text or "не измерена" in text
