"""The КТП page's handlers, called as a browser would: the teacher uploads a plan file (a
dry run first), writes it and sends it for review; the deputy approves it or returns it
with a note; forged calls by a teacher, another teacher or a parent change nothing."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
import reflex as rx
from sqlmodel import col, func, select

from ejournal.domain.journal import search_plan_items
from ejournal.domain.models import (
    AuditLog,
    ClassGroup,
    Role,
    Staff,
    Subject,
    TeachingAssignment,
    ThematicPlanItem,
)
from ejournal.domain.people import auth
from ejournal.domain.setup.ktp import curriculum_hours
from ejournal.state.ktp import KtpState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import toast_text
from tests.state.people import PASSWORD, add_staff_account


def _staff_of(world: StateWorld, user_id: int) -> int:
    with world.session() as s:
        staff = s.exec(select(Staff).where(Staff.user_id == user_id)).one()
        return staff.id or 0


@pytest.fixture()
def plan(world: StateWorld) -> dict[str, int]:
    """Russian in 5 «А» (2 h a week) for the teacher, maths for a second teacher; the
    curriculum's hours for Russian under `hours`."""
    with world.session() as s:
        teacher2 = add_staff_account(s, world.school, "test.teacher2")
        russian = Subject(school_id=world.school.school_id, name="Русский язык")
        maths = Subject(school_id=world.school.school_id, name="Математика")
        s.add_all([russian, maths])
        s.commit()
        group = s.get(ClassGroup, world.school.class_id)
        assert group is not None
        own = TeachingAssignment(
            year_id=group.year_id,
            teacher_id=_staff_of(world, world.school.accounts[Role.TEACHER].user_id),
            class_id=group.id or 0,
            subject_id=russian.id or 0,
            hours_per_week=Decimal(2),
        )
        other = TeachingAssignment(
            year_id=group.year_id,
            teacher_id=_staff_of(world, teacher2),
            class_id=group.id or 0,
            subject_id=maths.id or 0,
            hours_per_week=Decimal(4),
        )
        s.add_all([own, other])
        s.commit()
        hours, _ = curriculum_hours(s, own)
        return {"own": own.id or 0, "other": other.id or 0, "hours": int(hours)}


def _csv(total: int, *, bad: bool = False) -> bytes:
    rows = ["№;Тема;Часы;Дата", "1;Введение;1;01.09.2026", f"2;Повторение;{total - 1};"]
    if bad:
        rows.append("3;;один;31.02.2027")
    return ("\n".join(rows) + "\n").encode()


def _file(data: bytes, name: str = "ktp.csv") -> rx.UploadFile:
    return rx.UploadFile(file=io.BytesIO(data), path=Path(name), size=len(data))


def _status(world: StateWorld, aid: int) -> tuple[str, str]:
    with world.session() as s:
        a = s.get(TeachingAssignment, aid)
        assert a is not None
        return a.ktp_status, a.ktp_review_note


def _audits(world: StateWorld) -> int:
    with world.session() as s:
        return s.exec(select(func.count()).select_from(AuditLog)).one()


def _items(world: StateWorld, aid: int) -> int:
    with world.session() as s:
        return s.exec(
            select(func.count())
            .select_from(ThematicPlanItem)
            .where(col(ThematicPlanItem.assignment_id) == aid)
        ).one()


def _teacher(world: StateWorld, plan: dict[str, int]) -> KtpState:
    """The teacher with the plan written and sent for review through the page."""
    st = world.state(KtpState, world.token(Role.TEACHER))
    call(KtpState.load, st)
    call(KtpState.show_plan, st, str(plan["own"]))
    call(KtpState.upload, st, [_file(_csv(plan["hours"]))])
    call(KtpState.write, st)
    call(KtpState.submit, st)
    return st


def test_the_teacher_checks_writes_and_sends_the_plan(
    world: StateWorld, plan: dict[str, int]
) -> None:
    """A bad file lists its problems by row and writes nothing; a good one is previewed,
    written with «Записать», then sent with «Отправить на согласование»."""
    st = world.state(KtpState, world.token(Role.TEACHER))
    call(KtpState.load, st)
    assert (st.is_teacher, st.is_deputy) == (True, False)
    assert [(p.class_name, p.subject, p.badge) for p in st.my_plans] == [
        ("5 «А»", "Русский язык", "черновик")
    ]
    call(KtpState.show_plan, st, str(plan["own"]))
    assert st.open_own and st.open_plan.hours_check == "План не загружен."

    call(KtpState.upload, st, [_file(_csv(plan["hours"], bad=True))])
    assert st.preview_done and not st.preview_ok
    assert st.preview_problems == [
        "строка 4, столбец «Дата»: дата «31.02.2027» не в формате ДД.ММ.ГГГГ или ГГГГ-ММ-ДД",
        "строка 4, столбец «Тема»: не заполнено",
        "строка 4, столбец «Часы»: часы «один» — не целое положительное число",
    ]
    assert "Сначала выберите" in toast_text(call(KtpState.write, st))
    assert _items(world, plan["own"]) == 0

    call(KtpState.upload, st, [_file(_csv(plan["hours"]))])
    assert st.preview_ok and st.preview_lines[0].startswith("Тем в файле: 2")
    assert _items(world, plan["own"]) == 0  # a dry run only
    assert "План записан" in toast_text(call(KtpState.write, st))
    assert _items(world, plan["own"]) == 2
    assert [(x.number, x.topic) for x in st.open_lines] == [("1", "Введение"), ("2", "Повторение")]
    assert st.open_plan.hours_ok and st.file_name == ""

    assert "отправлен" in toast_text(call(KtpState.submit, st))
    assert _status(world, plan["own"]) == ("submitted", "")
    assert st.open_plan.badge == "на согласовании"


def test_a_file_that_is_not_a_table_is_refused(world: StateWorld, plan: dict[str, int]) -> None:
    """A picture named .png is refused before reading; nothing is written."""
    st = world.state(KtpState, world.token(Role.TEACHER))
    call(KtpState.load, st)
    call(KtpState.show_plan, st, str(plan["own"]))
    assert "XLSX или CSV" in toast_text(call(KtpState.upload, st, [_file(b"x", "plan.png")]))
    assert not st.preview_done and _items(world, plan["own"]) == 0


def test_the_deputy_approves_and_the_journal_offers_the_topics(
    world: StateWorld, plan: dict[str, int]
) -> None:
    """The deputy sees the plan waiting first, opens it, approves it; the pick-list fills."""
    _teacher(world, plan)
    st = world.state(KtpState, world.token(Role.DEPUTY))
    call(KtpState.load, st)
    assert (st.is_deputy, st.waiting) == (True, 1)
    first = st.review_plans[0]
    assert (first.teacher, first.subject, first.badge) == (
        "Учителева У. С.",
        "Русский язык",
        "на согласовании",
    )
    call(KtpState.show_plan, st, first.id)
    assert len(st.open_lines) == 2 and st.open_plan.hours_ok
    assert "согласован" in toast_text(call(KtpState.approve, st))
    assert _status(world, plan["own"]) == ("approved", "")
    assert st.open_plan.reviewed.startswith("Согласовал(а) Завучева З. Н.")
    with world.session() as s:
        teacher = auth.validate_session(s, world.token(Role.TEACHER))
        assert teacher is not None
        topics = search_plan_items(s, actor=teacher, assignment_id=plan["own"], query="")
    assert [t.topic for t in topics] == ["Введение", "Повторение"]


def test_the_deputy_returns_with_a_note_the_teacher_sees(
    world: StateWorld, plan: dict[str, int]
) -> None:
    """«Вернуть» needs a note; the teacher's list then shows «возвращён: …»."""
    _teacher(world, plan)
    st = world.state(KtpState, world.token(Role.DEPUTY))
    call(KtpState.load, st)
    call(KtpState.show_plan, st, str(plan["own"]))
    assert "Напишите" in toast_text(call(KtpState.send_back, st, {"note": " "}))
    assert _status(world, plan["own"]) == ("submitted", "")
    call(KtpState.send_back, st, {"note": "Нет контрольных работ"})
    assert _status(world, plan["own"]) == ("returned", "Нет контрольных работ")

    teacher = world.state(KtpState, world.token(Role.TEACHER))
    call(KtpState.load, teacher)
    assert teacher.my_plans[0].badge == "возвращён: Нет контрольных работ"


def test_a_second_deputy_is_told_the_plan_was_already_reviewed(
    world: StateWorld, plan: dict[str, int]
) -> None:
    """Two deputies with the plan open: the first decision holds, the second is refused."""
    _teacher(world, plan)
    with world.session() as s:
        add_staff_account(s, world.school, "test.deputy2", Role.DEPUTY)
        s.commit()
    with world.session() as s:
        result = auth.authenticate(s, login="test.deputy2", password=PASSWORD)
        s.commit()
    assert result.token
    one = world.state(KtpState, world.token(Role.DEPUTY))
    two = world.state(KtpState, result.token)
    for st in (one, two):
        call(KtpState.load, st)
        call(KtpState.show_plan, st, str(plan["own"]))
    call(KtpState.approve, one)
    answer = toast_text(call(KtpState.send_back, two, {"note": "Мало часов"}))
    assert "уже рассмотрен" in answer
    assert _status(world, plan["own"]) == ("approved", "")
    assert two.open_plan.badge == "согласован" and two.error.startswith("КТП уже рассмотрен")


# --------------------------------------------------------------------------- forged calls


def test_a_teacher_cannot_approve_or_touch_a_colleagues_plan(
    world: StateWorld, plan: dict[str, int]
) -> None:
    """Approving one's own plan, opening or sending another teacher's: refused, unchanged."""
    st = _teacher(world, plan)
    before = (_status(world, plan["own"]), _status(world, plan["other"]), _audits(world))
    assert "Недостаточно прав" in toast_text(call(KtpState.approve, st))
    assert "Недостаточно прав" in toast_text(call(KtpState.send_back, st, {"note": "x"}))
    assert "Недостаточно прав" in toast_text(call(KtpState.show_plan, st, str(plan["other"])))
    assert st.open_id == str(plan["own"])  # still the own plan
    st._open_id = plan["other"]  # even if the page were tricked into it
    assert "Недостаточно прав" in toast_text(call(KtpState.submit, st))
    call(KtpState.upload, st, [_file(_csv(plan["hours"]))])
    call(KtpState.write, st)
    assert (_status(world, plan["own"]), _status(world, plan["other"]), _audits(world)) == before
    assert _items(world, plan["other"]) == 0


@pytest.mark.parametrize("role", [Role.PARENT, Role.STUDENT, Role.CLASS_TEACHER])
def test_families_and_others_change_nothing(
    world: StateWorld, plan: dict[str, int], role: Role
) -> None:
    """A parent, a student or a class teacher without lessons calling every handler."""
    _teacher(world, plan)
    before = (_status(world, plan["own"]), _audits(world), _items(world, plan["own"]))
    st = world.state(KtpState, world.token(role))
    st._open_id = plan["own"]
    for handler, args in [
        (KtpState.load, ()),
        (KtpState.show_plan, (str(plan["own"]),)),
        (KtpState.upload, ([_file(_csv(4))],)),
        (KtpState.write, ()),
        (KtpState.submit, ()),
        (KtpState.approve, ()),
        (KtpState.send_back, ({"note": "Переделать"},)),
    ]:
        call(handler, st, *args)
    assert st.open_lines == [] and st.review_plans == []
    assert (_status(world, plan["own"]), _audits(world), _items(world, plan["own"])) == before


# --------------------------------------------------------------------------- the review filters


def _add_plan_in_the_other_class(world: StateWorld) -> int:
    """Biology in 5 «Б» for the teacher: a third plan, a draft, in a second class."""
    with world.session() as s:
        biology = Subject(school_id=world.school.school_id, name="Биология")
        s.add(biology)
        s.commit()
        group = s.get(ClassGroup, world.school.other_class_id)
        assert group is not None
        a = TeachingAssignment(
            year_id=group.year_id,
            teacher_id=_staff_of(world, world.school.accounts[Role.TEACHER].user_id),
            class_id=group.id or 0,
            subject_id=biology.id or 0,
            hours_per_week=Decimal(1),
        )
        s.add(a)
        s.commit()
        return a.id or 0


def _shown(st: KtpState) -> list[tuple[str, str, str]]:
    return [(p.class_name, p.subject, p.status) for p in st.review_plans]


def test_the_deputy_sees_the_waiting_plans_first_and_filters_by_status_and_class(
    world: StateWorld, plan: dict[str, int]
) -> None:
    """By default only the plans waiting for review; the select shows the others with their
    counts, «Все» every plan; a class narrows the list; a status with none says so."""
    _teacher(world, plan)  # Russian in 5 «А» sent; maths in 5 «А» a draft
    _add_plan_in_the_other_class(world)  # biology in 5 «Б», a draft
    st = world.state(KtpState, world.token(Role.DEPUTY))
    call(KtpState.load, st)
    assert st.review_status == "submitted" and st.review_empty == ""
    assert _shown(st) == [("5 «А»", "Русский язык", "submitted")]
    assert [o.label for o in st.status_options] == [
        "Ждут согласования (1)",
        "Возвращённые (0)",
        "Черновики (2)",
        "Согласованные (0)",
        "Все (3)",
    ]
    assert [o.label for o in st.class_options] == ["Все классы", "5 «А»", "5 «Б»"]

    call(KtpState.filter_status, st, "returned")
    assert st.review_plans == [] and st.review_empty == "Нет планов с этим состоянием."

    call(KtpState.filter_status, st, "all")
    assert _shown(st) == [
        ("5 «А»", "Русский язык", "submitted"),
        ("5 «А»", "Математика", "draft"),
        ("5 «Б»", "Биология", "draft"),
    ]
    call(KtpState.filter_class, st, "5 «Б»")
    assert _shown(st) == [("5 «Б»", "Биология", "draft")]
    assert [o.label for o in st.status_options][::2] == [
        "Ждут согласования (0)",
        "Черновики (1)",
        "Все (1)",
    ]
    call(KtpState.filter_status, st, "draft")
    call(KtpState.filter_class, st, "all")
    assert [p.subject for p in st.review_plans] == ["Математика", "Биология"]

    # Values no select offers change nothing.
    call(KtpState.filter_status, st, "deleted")
    call(KtpState.filter_class, st, "11 «Я»")
    assert (st.review_status, st.review_class) == ("draft", "all")
    assert len(st.review_plans) == 2


def test_an_approved_plan_leaves_the_waiting_list(world: StateWorld, plan: dict[str, int]) -> None:
    """The filter stays on «Ждут согласования» across a decision: back at the list, the plan
    just approved is no longer there and the list says none are left."""
    _teacher(world, plan)
    st = world.state(KtpState, world.token(Role.DEPUTY))
    call(KtpState.load, st)
    call(KtpState.show_plan, st, st.review_plans[0].id)
    call(KtpState.approve, st)
    call(KtpState.close_plan, st)
    assert (st.review_status, st.waiting) == ("submitted", 0)
    assert st.review_plans == [] and st.review_empty == "Нет планов с этим состоянием."
    call(KtpState.filter_status, st, "approved")
    assert _shown(st) == [("5 «А»", "Русский язык", "approved")]


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PARENT])
def test_the_filters_are_the_deputys_only(
    world: StateWorld, plan: dict[str, int], role: Role
) -> None:
    """A teacher or a parent calling the filters is refused and sees no one's plans."""
    _teacher(world, plan)
    st = world.state(KtpState, world.token(role))
    call(KtpState.load, st)
    for handler, value in [(KtpState.filter_status, "all"), (KtpState.filter_class, "all")]:
        assert "Недостаточно прав" in toast_text(call(handler, st, value))
    assert st.review_plans == [] and st.review_status == "submitted"
