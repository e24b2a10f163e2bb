"""Issue 12 in the handlers: the family's «Новое» count, the audit filter by name in the
school's time, and the searchable «Кому» list."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from ejournal.domain import audit
from ejournal.domain.models import DiaryRemark, Role, Staff
from ejournal.state.admin import AdminAuditState
from ejournal.state.diary_rows import option
from ejournal.state.messages import MessagesState
from ejournal.state.news import NewsState
from tests.state.conftest import StateWorld, call


def test_a_parent_sees_a_new_remark_counted_and_a_teacher_sees_none(world: StateWorld) -> None:
    """A remark written an hour ago is one new thing for the parent, nothing for staff."""
    teacher = world.school.accounts[Role.TEACHER]
    with world.session() as s:
        s.add(
            DiaryRemark(
                student_id=world.school.student_id,
                author_id=teacher.user_id,
                kind="remark",
                text="Забыл форму",
                created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
            )
        )
        s.commit()
    parent = world.state(NewsState, world.token(Role.PARENT))
    call(NewsState.load, parent)
    assert parent.count == 1
    assert [(r.kind, r.text) for r in parent.items] == [("Замечание", "Забыл форму")]

    staff = world.state(NewsState, world.token(Role.TEACHER))
    call(NewsState.load_count, staff)
    assert staff.count == 0


def test_the_audit_who_filter_takes_a_name_and_shows_moscow_time(world: StateWorld) -> None:
    """The teacher's surname finds their entry; 21:30 UTC shows as 00:30 the next day."""
    teacher = world.school.accounts[Role.TEACHER]
    with world.session() as s:
        staff = s.exec(select(Staff).where(Staff.user_id == teacher.user_id)).one()
        audit.record(
            s,
            actor_id=teacher.user_id,
            action="update",
            entity="mark",
            entity_id=1,
            at=dt.datetime(2026, 11, 2, 21, 30, tzinfo=dt.UTC),
        )
        s.commit()
        surname = staff.last_name
    st = world.state(AdminAuditState, world.token(Role.ADMIN))
    call(AdminAuditState.apply_filters, st, {"person": surname.upper()})
    assert st.filter_error == ""
    assert [r["at"] for r in st.rows] == ["03.11.2026 00:30"]

    call(AdminAuditState.apply_filters, st, {"person": "Никтоевский"})
    assert st.filter_error == "Нет пользователя с таким логином или ФИО."
    assert st.rows == []


def test_the_recipient_search_keeps_one_line_per_matching_person(world: StateWorld) -> None:
    """«матем» keeps the maths teacher only; an empty search shows everyone."""
    st = world.state(MessagesState, world.token(Role.PARENT))
    st.recipients = [
        option(1, "Иванова Мария Петровна", "Математика · Петя"),
        option(2, "Сидоров Олег Ильич", "Классный руководитель · Петя"),
    ]
    call(MessagesState.search_recipients, st, "МАТЕМ")
    assert [r["label"] for r in st.shown_recipients] == ["Иванова Мария Петровна"]
    call(MessagesState.search_recipients, st, "")
    assert len(st.shown_recipients) == 2
