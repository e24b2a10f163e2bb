"""«Выставить расчётные»: the suggested period marks of a whole page, previewed and saved at once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from ejournal.domain.errors import PermissionDenied
from ejournal.domain.journal import (
    PeriodMarkChoice,
    propose_period_marks,
    set_cell,
    set_period_mark,
    set_period_marks,
)
from ejournal.domain.models import AuditLog, PeriodMark
from tests.factories import NOW, D, TinySchool, add_lesson, make_school

pytestmark = pytest.mark.db


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    """Russian in 5 «А», first quarter, by hand:

    Григорьев 4 4 4 (suggested 4, nothing stored); Андреев 5 5 (suggested 5, a 4 stored
    with a justification); Ёлкина no marks; Белова 3 3 (suggested 3, a 3 stored);
    Жуков (arrived 1 October) 2 2 (suggested 2).
    """
    tiny = make_school(session)
    marks = {0: "444", 1: "55", 3: "33", None: "22"}
    lessons = [add_lesson(session, tiny.russian_5a, D(2026, 10, day), 1) for day in (13, 14, 15)]
    for index, texts in marks.items():
        student = tiny.newcomer if index is None else tiny.students[index]
        for lesson, text in zip(lessons, texts, strict=False):
            set_cell(
                session,
                actor=tiny.actors["russian"],
                lesson_id=lesson.id or 0,
                student_id=student.id or 0,
                text=text,
                expected_version=None,
                now=NOW,
                reason="ввод за прошлые уроки",
            )
    _single(session, tiny, 1, 4, justification="контрольная на 3")
    _single(session, tiny, 3, 3)
    session.commit()
    return tiny


def _single(session: Session, tiny: TinySchool, index: int, value: int, **kw: Any) -> Any:
    return set_period_mark(
        session,
        actor=tiny.actors["russian"],
        student_id=tiny.students[index].id or 0,
        assignment_id=tiny.russian_5a.id or 0,
        period_id=tiny.q1.id or 0,
        value=value,
        expected_version=kw.pop("expected_version", 0),
        now=NOW,
        **kw,
    )


def _propose(session: Session, tiny: TinySchool, who: str = "russian") -> Any:
    return propose_period_marks(
        session,
        actor=tiny.actors[who],
        assignment_id=tiny.russian_5a.id or 0,
        period_id=tiny.q1.id or 0,
        now=NOW,
    )


def _save(session: Session, tiny: TinySchool, choices: list[PeriodMarkChoice], **kw: Any) -> Any:
    return set_period_marks(
        session,
        actor=tiny.actors[kw.pop("who", "russian")],
        assignment_id=tiny.russian_5a.id or 0,
        period_id=tiny.q1.id or 0,
        choices=choices,
        now=NOW,
    )


def _take_suggestions(proposals: Any) -> list[PeriodMarkChoice]:
    """What the preview offers by default: the suggestion where there is one and nothing
    different is stored."""
    return [
        PeriodMarkChoice(p.student_id, p.suggested, p.current.version if p.current else 0)
        for p in proposals
        if p.status in ("new", "same")
    ]


def _stored(session: Session, tiny: TinySchool) -> dict[str, tuple[int | None, str]]:
    names = {s.id: s.last_name for s in [*tiny.students, tiny.newcomer]}
    rows = session.exec(select(PeriodMark).where(PeriodMark.period_id == tiny.q1.id)).all()
    return {names[p.student_id]: (p.value, p.justification) for p in rows}


def _audit_rows(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(AuditLog).where(col(AuditLog.entity) == "period_mark")
    ).one()


def test_the_preview_shows_who_gets_what(session: Session, tiny: TinySchool) -> None:
    """Each student with the suggestion, what is stored, and whether they differ."""
    rows = {p.full_name.split()[0]: p for p in _propose(session, tiny)}
    assert [
        (n, p.suggested, p.current.value if p.current else None, p.status) for n, p in rows.items()
    ] == [
        ("Андреев", 5, 4, "differs"),
        ("Белова", 3, 3, "same"),
        ("Григорьев", 4, None, "new"),
        ("Ёлкина", None, None, "no_marks"),
        ("Жуков", 2, None, "new"),
    ]
    assert rows["Григорьев"].average is not None and str(rows["Григорьев"].average) == "4.00"


def test_taking_the_suggestions_saves_them_all_each_audited(
    session: Session, tiny: TinySchool
) -> None:
    """Григорьев's 4 and Жуков's 2 are stored, two audit rows; Белова's same 3 is not rewritten;
    Андреев's different 4 and Ёлкина (no marks) are left alone."""
    before = _audit_rows(session)
    result = _save(session, tiny, _take_suggestions(_propose(session, tiny)))
    assert result.saved and result.changed == 2
    assert _stored(session, tiny) == {
        "Андреев": (4, "контрольная на 3"),
        "Белова": (3, ""),
        "Григорьев": (4, ""),
        "Жуков": (2, ""),
    }
    assert _audit_rows(session) == before + 2


def test_a_changed_row_without_justification_saves_nothing(
    session: Session, tiny: TinySchool
) -> None:
    """Григорьев given a 5 (suggested 4) without a justification: the whole batch is refused."""
    choices = _take_suggestions(_propose(session, tiny))
    grigoriev = tiny.students[0].id
    choices = [
        PeriodMarkChoice(c.student_id, 5, c.expected_version) if c.student_id == grigoriev else c
        for c in choices
    ]
    before = _audit_rows(session)
    result = _save(session, tiny, choices)
    assert not result.saved
    assert [(e.student_id, "обоснование" in e.message) for e in result.errors] == [
        (grigoriev, True)
    ]
    assert "Жуков" not in _stored(session, tiny) and "Григорьев" not in _stored(session, tiny)
    assert _audit_rows(session) == before
    fixed = [
        PeriodMarkChoice(c.student_id, c.value, c.expected_version, "олимпиада")
        if c.student_id == grigoriev
        else c
        for c in choices
    ]
    assert _save(session, tiny, fixed).saved
    assert _stored(session, tiny)["Григорьев"] == (5, "олимпиада")


def test_a_mark_someone_changed_meanwhile_is_reported_not_overwritten(
    session: Session, tiny: TinySchool
) -> None:
    """Another screen stores Жуков's 3 after the preview: the batch is refused, the 3 stays,
    and the row says what is stored now."""
    choices = _take_suggestions(_propose(session, tiny))
    zhukov = tiny.newcomer.id
    set_period_mark(
        session,
        actor=tiny.actors["russian"],
        student_id=zhukov or 0,
        assignment_id=tiny.russian_5a.id or 0,
        period_id=tiny.q1.id or 0,
        value=3,
        expected_version=0,
        justification="пересдал",
        now=NOW,
    )
    result = _save(session, tiny, choices)
    assert not result.saved
    [error] = result.errors
    assert error.student_id == zhukov and "другой пользователь" in error.message
    assert error.current is not None and error.current.value == 3
    assert _stored(session, tiny)["Жуков"] == (3, "пересдал")
    assert "Григорьев" not in _stored(session, tiny)


@pytest.mark.parametrize("who", ["maths", "class_teacher", "deputy", "parent"])
def test_only_the_pages_teacher_may(session: Session, tiny: TinySchool, who: str) -> None:
    """Anyone but the assignment's teacher is refused the preview and the save; nothing stored."""
    choices = _take_suggestions(_propose(session, tiny))
    with pytest.raises(PermissionDenied):
        _propose(session, tiny, who)
    with pytest.raises(PermissionDenied):
        _save(session, tiny, choices, who=who)
    assert "Григорьев" not in _stored(session, tiny)
