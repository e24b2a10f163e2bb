"""The review of a КТП (issue 13, [002 §7.4–7.5]) in the tiny school: Смирнова («russian»)
imports her plan for Russian in 5 «А» (170 h = 5 h × 34 weeks), sends it for review, the
deputy approves or returns it; the journal's topic pick-list offers only an approved plan."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from openpyxl import Workbook
from sqlmodel import Session, col, func, select

from ejournal.domain import db, migrate
from ejournal.domain.errors import ConflictError, PermissionDenied, ValidationError
from ejournal.domain.journal import search_plan_items
from ejournal.domain.models import (
    AuditLog,
    KtpStatus,
    Role,
    School,
    Staff,
    TeachingAssignment,
    User,
)
from ejournal.domain.permissions import Actor
from ejournal.domain.setup.ktp import import_ktp
from ejournal.domain.setup.ktp_review import (
    approve_plan,
    my_plans,
    plan_detail,
    plans_for_review,
    return_plan,
    submit_plan,
)
from tests import conftest
from tests.concurrency import together as _together
from tests.conftest import BACKENDS
from tests.factories import D, TinySchool, add_staff, make_school, staff_actor

pytestmark = pytest.mark.db

NOW = dt.datetime(2026, 8, 28, 9, 30, tzinfo=dt.UTC)
HEADER: list[Any] = ["№", "Тема урока", "Часы", "Дата", "Вид работы"]
PLAN: list[list[Any]] = [
    HEADER,
    [1, "Язык и общение", 2, "01.09.2026", ""],
    [2, "Звуки и буквы", 1, "03.09.2026", ""],
    [3, "Контрольная работа по теме «Фонетика»", 1, "04.09.2026", "К.р."],
    [4, "Повторение", 166, "", ""],
]


def xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(session: Session, tiny: TinySchool, rows: Sequence[Sequence[Any]] = PLAN) -> Any:
    return import_ktp(
        session,
        actor=tiny.actors["russian"],
        assignment_id=tiny.russian_5a.id or 0,
        data=xlsx(rows),
        filename="ktp.xlsx",
    )


def _status(session: Session, tiny: TinySchool) -> tuple[str, int | None, str]:
    a = session.get(TeachingAssignment, tiny.russian_5a.id)
    assert a is not None
    session.refresh(a)
    return a.ktp_status, a.ktp_reviewed_by, a.ktp_review_note


def _reviews(session: Session) -> list[AuditLog]:
    return list(
        session.exec(
            select(AuditLog).where(AuditLog.action == "ktp.review").order_by(col(AuditLog.id))
        )
    )


def _pick_list(session: Session, tiny: TinySchool) -> list[str]:
    return [
        i.topic
        for i in search_plan_items(
            session,
            actor=tiny.actors["russian"],
            assignment_id=tiny.russian_5a.id or 0,
            query="",
        )
    ]


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


@pytest.fixture()
def submitted(session: Session, tiny: TinySchool) -> TinySchool:
    """The plan imported and sent for review."""
    _import(session, tiny)
    submit_plan(session, actor=tiny.actors["russian"], assignment_id=tiny.russian_5a.id or 0)
    session.commit()
    return tiny


# --------------------------------------------------------------------------- the status machine


def test_submitted_then_approved_plan_feeds_the_pick_list(
    session: Session, tiny: TinySchool
) -> None:
    """Draft → submitted → approved; only then does the journal offer the plan's topics."""
    aid = tiny.russian_5a.id or 0
    _import(session, tiny)
    assert _status(session, tiny) == ("draft", None, "")
    assert _pick_list(session, tiny) == []

    detail = submit_plan(session, actor=tiny.actors["russian"], assignment_id=aid, now=NOW)
    assert detail.summary.status == "submitted"
    assert detail.summary.status_title == "на согласовании"
    assert _pick_list(session, tiny) == []

    detail = approve_plan(session, actor=tiny.actors["deputy"], assignment_id=aid, now=NOW)
    assert _status(session, tiny) == ("approved", tiny.actors["deputy"].user_id, "")
    assert detail.summary.reviewed_by == "Орлов П."
    a = session.get(TeachingAssignment, aid)
    assert a is not None and a.ktp_reviewed_at is not None
    assert a.ktp_reviewed_at.replace(tzinfo=dt.UTC) == NOW
    assert _pick_list(session, tiny) == [
        "Язык и общение",
        "Звуки и буквы",
        "Контрольная работа по теме «Фонетика»",
        "Повторение",
    ]
    reviews = _reviews(session)
    assert [(r.entity, r.entity_id) for r in reviews] == [("teaching_assignment", aid)] * 2
    assert '"ktp_status":"draft"' in reviews[0].before.replace(" ", "")
    assert '"ktp_status":"submitted"' in reviews[0].after.replace(" ", "")
    assert '"ktp_status":"approved"' in reviews[1].after.replace(" ", "")


def test_returned_plan_carries_the_note_and_can_be_sent_again(
    session: Session, submitted: TinySchool
) -> None:
    """Returning needs a note; the teacher fixes the plan and sends it again."""
    tiny, aid = submitted, submitted.russian_5a.id or 0
    with pytest.raises(ValidationError, match="Напишите, что исправить"):
        return_plan(session, actor=tiny.actors["deputy"], assignment_id=aid, note="  \n ")
    assert _status(session, tiny)[0] == "submitted"

    return_plan(
        session,
        actor=tiny.actors["deputy"],
        assignment_id=aid,
        note="Добавьте контрольный диктант в конце четверти",
    )
    status, reviewer, note = _status(session, tiny)
    assert (status, reviewer) == ("returned", tiny.actors["deputy"].user_id)
    assert note == "Добавьте контрольный диктант в конце четверти"
    assert _pick_list(session, tiny) == []
    (mine,) = my_plans(session, actor=tiny.actors["russian"])[:1]
    assert (mine.status_title, mine.note) == ("возвращён", note)

    fixed = [*PLAN[:4], [4, "Повторение", 165, "", ""], [5, "Контрольный диктант", 1, "", "К.р."]]
    _import(session, tiny, fixed)
    assert _status(session, tiny)[0] == "returned"  # still the deputy's note on screen
    submit_plan(session, actor=tiny.actors["russian"], assignment_id=aid)
    assert _status(session, tiny)[0] == "submitted"


def test_plan_without_topics_or_with_wrong_hours_is_not_sent(
    session: Session, tiny: TinySchool
) -> None:
    """An empty plan, or one whose hours differ from the curriculum, stays a draft."""
    aid = tiny.russian_5a.id or 0
    with pytest.raises(ValidationError, match="нет ни одной темы"):
        submit_plan(session, actor=tiny.actors["russian"], assignment_id=aid)
    short = [*PLAN[:4], [4, "Повторение", 100, "", ""]]
    _import(session, tiny, short)
    with pytest.raises(ValidationError) as caught:
        submit_plan(session, actor=tiny.actors["russian"], assignment_id=aid)
    assert "в плане 104 ч, по учебному плану 170 ч (5 ч в неделю × 34 учебных недель)" in str(
        caught.value
    )
    assert _status(session, tiny)[0] == "draft" and _reviews(session) == []


def test_a_new_plan_over_an_approved_one_must_be_approved_again(
    session: Session, submitted: TinySchool
) -> None:
    """Re-importing the same file changes nothing; a changed file puts the plan back to draft
    and empties the pick-list until the deputy approves it again."""
    tiny, aid = submitted, submitted.russian_5a.id or 0
    approve_plan(session, actor=tiny.actors["deputy"], assignment_id=aid)
    _import(session, tiny)  # the same file: nothing written
    assert _status(session, tiny)[0] == "approved"
    assert len(_pick_list(session, tiny)) == 4

    changed = [*PLAN[:4], [4, "Повторение изученного", 166, "", ""]]
    report = _import(session, tiny, changed)
    assert report.written
    assert _status(session, tiny) == ("draft", None, "")
    assert _pick_list(session, tiny) == []
    last = _reviews(session)[-1]
    assert '"ktp_status":"approved"' in last.before.replace(" ", "")
    assert '"ktp_status":"draft"' in last.after.replace(" ", "")


def test_a_plan_under_review_changed_by_the_teacher_is_not_approved_unseen(
    session: Session, submitted: TinySchool
) -> None:
    """The deputy's approval names the version shown: a plan changed since is refused."""
    tiny, aid = submitted, submitted.russian_5a.id or 0
    shown = plan_detail(session, actor=tiny.actors["deputy"], assignment_id=aid)
    _import(session, tiny, [*PLAN[:4], [4, "Повторение изученного", 166, "", ""]])
    submit_plan(session, actor=tiny.actors["russian"], assignment_id=aid)
    with pytest.raises(ConflictError, match="изменился"):
        approve_plan(
            session, actor=tiny.actors["deputy"], assignment_id=aid, fingerprint=shown.fingerprint
        )
    assert _status(session, tiny)[0] == "submitted"


def test_a_plan_already_reviewed_is_not_reviewed_again(
    session: Session, submitted: TinySchool
) -> None:
    """A second decision on the same plan is refused with «уже рассмотрен»."""
    tiny, aid = submitted, submitted.russian_5a.id or 0
    approve_plan(session, actor=tiny.actors["deputy"], assignment_id=aid)
    with pytest.raises(ConflictError, match="уже рассмотрен: согласован"):
        return_plan(session, actor=tiny.actors["deputy"], assignment_id=aid, note="Поздно")
    with pytest.raises(ConflictError, match="уже согласован"):
        submit_plan(session, actor=tiny.actors["russian"], assignment_id=aid)
    assert _status(session, tiny)[:2] == ("approved", tiny.actors["deputy"].user_id)


# --------------------------------------------------------------------------- reading


def test_the_teacher_sees_own_plans_and_the_deputy_all_submitted_first(
    session: Session, submitted: TinySchool
) -> None:
    """«Мои КТП» lists only the teacher's assignments; the deputy's list starts with plans
    waiting for review, with teacher, class, subject and the hours check."""
    tiny = submitted
    mine = my_plans(session, actor=tiny.actors["russian"])
    assert [(p.class_name, p.subject, p.status) for p in mine] == [
        ("5 «А»", "Русский язык", "submitted")
    ]
    assert (mine[0].items, mine[0].total_hours, mine[0].hours_ok) == (4, 170, True)
    assert mine[0].hours_check == (
        "Часы сходятся: в плане 170 ч, по учебному плану 170 ч (5 ч в неделю × 34 учебных недель)."
    )
    review = plans_for_review(session, actor=tiny.actors["deputy"])
    assert (review[0].teacher, review[0].class_name, review[0].status) == (
        "Смирнова А. П.",
        "5 «А»",
        "submitted",
    )
    assert {p.status for p in review[1:]} == {"draft"} and len(review) == 4
    assert review[1].hours_check == "План не загружен."

    detail = plan_detail(
        session, actor=tiny.actors["deputy"], assignment_id=tiny.russian_5a.id or 0
    )
    assert [(x.number, x.hours, x.planned_on, x.work_type) for x in detail.lines] == [
        (1, 2, D(2026, 9, 1), ""),
        (2, 1, D(2026, 9, 3), ""),
        (3, 1, D(2026, 9, 4), "Контрольная работа"),
        (4, 166, None, ""),
    ]


def test_a_teacher_does_not_read_a_colleagues_plan(session: Session, submitted: TinySchool) -> None:
    """Another teacher, a parent or a student cannot open the plan."""
    for who in ("maths", "parent", "student"):
        with pytest.raises(PermissionDenied):
            plan_detail(
                session, actor=submitted.actors[who], assignment_id=submitted.russian_5a.id or 0
            )
    with pytest.raises(PermissionDenied):
        plans_for_review(session, actor=submitted.actors["russian"])


# --------------------------------------------------------------------------- forged calls


def _audit_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditLog)).one()


@pytest.mark.parametrize(
    ("who", "action"),
    [
        ("russian", "approve"),  # the teacher approving her own plan
        ("russian", "return"),
        ("maths", "approve"),
        ("parent", "approve"),
        ("parent", "return"),
        ("student", "approve"),
        ("class_teacher", "return"),
        ("other_deputy", "approve"),  # the deputy of another school
        ("other_deputy", "return"),
    ],
)
def test_forged_decisions_change_nothing(
    session: Session, submitted: TinySchool, who: str, action: str
) -> None:
    """Only a deputy of the school decides on a plan: anyone else is refused, nothing written."""
    tiny, aid = submitted, submitted.russian_5a.id or 0
    if who == "other_deputy":
        other = School(name="Школа № 2", short_name="Школа № 2")
        session.add(other)
        session.flush()
        staff, user = add_staff(session, other, "deputy2", "Иванов", "Иван")
        actor = staff_actor(other, user, staff, Role.DEPUTY)
    else:
        actor = tiny.actors[who]
    before = (_status(session, tiny), _audit_count(session))
    with pytest.raises(PermissionDenied):
        if action == "approve":
            approve_plan(session, actor=actor, assignment_id=aid)
        else:
            return_plan(session, actor=actor, assignment_id=aid, note="Переделать")
    assert (_status(session, tiny), _audit_count(session)) == before


@pytest.mark.parametrize("who", ["maths", "deputy", "parent", "student", "class_teacher"])
def test_forged_submissions_change_nothing(session: Session, tiny: TinySchool, who: str) -> None:
    """Only the plan's own teacher sends it for review."""
    _import(session, tiny)
    before = (_status(session, tiny), _audit_count(session))
    with pytest.raises(PermissionDenied):
        submit_plan(session, actor=tiny.actors[who], assignment_id=tiny.russian_5a.id or 0)
    assert (_status(session, tiny), _audit_count(session)) == before


# --------------------------------------------------------------------------- concurrency


@pytest.fixture(params=BACKENDS)
def committed(
    request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TinySchool, list[Any]]]:
    """The tiny school with the plan sent for review, committed to a fresh database that the
    services use, and two deputies."""
    database = conftest.new_database(request.param, tmp_path)
    migrate.upgrade(database.engine)
    with Session(database.engine, expire_on_commit=False) as session:
        tiny = make_school(session)
        _import(session, tiny)
        submit_plan(session, actor=tiny.actors["russian"], assignment_id=tiny.russian_5a.id or 0)
        staff, user = add_staff(session, tiny.school, "zavuch2", "Петрова", "Нина")
        second = staff_actor(tiny.school, user, staff, Role.DEPUTY)
        session.commit()
    monkeypatch.setattr(db, "get_engine", lambda url=None: database.engine)
    yield tiny, [tiny.actors["deputy"], second]
    conftest.dispose_database(database)


def test_two_deputies_deciding_at_once_one_wins(committed: tuple[TinySchool, list[Any]]) -> None:
    """One deputy approves while another returns the same plan: exactly one decision is
    stored and audited; the other is told the plan was already reviewed."""
    tiny, (first, second) = committed
    aid = tiny.russian_5a.id or 0
    results = _together(
        [
            lambda: db.run_transaction(approve_plan, actor=first, assignment_id=aid),
            lambda: db.run_transaction(
                return_plan, actor=second, assignment_id=aid, note="Мало часов на повторение"
            ),
        ]
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    wins = [r for r in results if not isinstance(r, BaseException)]
    assert len(wins) == 1 and len(errors) == 1, results
    assert isinstance(errors[0], ConflictError) and "уже рассмотрен" in errors[0].message
    with db.session_scope() as session:
        a = session.get(TeachingAssignment, aid)
        assert a is not None and a.ktp_status == wins[0].summary.status
        assert a.ktp_status in (KtpStatus.APPROVED, KtpStatus.RETURNED)
        decisions = session.exec(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "ktp.review", col(AuditLog.after).contains(a.ktp_status))
        ).one()
        assert decisions == 1


# --------------------------------------------------------------------------- the demo school


def test_the_demo_deputy_has_plans_to_review_and_the_demo_teacher_a_working_pick_list(
    seeded_session: Session,
) -> None:
    """In the seeded demo two plans wait for the deputy; the demo teacher's are approved."""
    s = seeded_session

    def actor(login: str, role: Role) -> Actor:
        user = s.exec(select(User).where(User.login == login)).one()
        staff = s.exec(select(Staff).where(Staff.user_id == user.id)).one()
        return Actor(
            user_id=user.id or 0,
            school_id=staff.school_id,
            roles=frozenset({role}),
            staff_id=staff.id,
        )

    review = plans_for_review(s, actor=actor("deputy", Role.DEPUTY))
    assert [p.status for p in review[:3]] == ["submitted", "submitted", "approved"]
    assert all(p.items > 0 for p in review[:2])
    teacher = actor("teacher", Role.TEACHER)
    mine = my_plans(s, actor=teacher)
    assert mine and {p.status for p in mine} == {"approved"}
    assert mine[0].reviewed_by  # approved by the demo's deputy
    assert search_plan_items(s, actor=teacher, assignment_id=mine[0].assignment_id, query="")
