"""Import of a КТП (issue 13) for the tiny school's Russian in 5 «А» (5 h a week, teacher
Смирнова = actor «russian»). School weeks of grade 5, counted from the quarters' weekdays:
39 + 39 + 49 + 44 = 171 school days → 34 weeks, so the curriculum asks for 5 × 34 = 170 h."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pytest
from openpyxl import Workbook
from sqlmodel import Session, col, func, select

from ejournal.domain.errors import PermissionDenied, ValidationError
from ejournal.domain.models import AuditLog, ThematicPlanItem
from ejournal.domain.setup.ktp import import_ktp, preview_ktp_import, school_weeks
from tests.factories import D, TinySchool, add_lesson, add_plan_items, make_school

pytestmark = pytest.mark.db

HEADER = ["№ п/п", "Тема урока", "Кол-во часов", "Дата", "Вид работы"]


def xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def items(session: Session, tiny: TinySchool) -> list[tuple[int, str, int, Any, Any]]:
    rows = session.exec(
        select(ThematicPlanItem)
        .where(ThematicPlanItem.assignment_id == tiny.russian_5a.id)
        .order_by(col(ThematicPlanItem.number))
    ).all()
    return [(i.number, i.topic, i.hours, i.planned_on, i.work_type_id) for i in rows]


def audits(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditLog)).one()


GOOD = [
    ["Календарно-тематическое планирование, русский язык, 5 класс"],
    [],
    HEADER,
    [1, "Язык и общение ", 2, D(2026, 9, 1), ""],
    [2, "Звуки и буквы", 1, "03.09.2026", None],
    [3, "Контрольная работа по теме «Фонетика»", 1, "2026-09-04", "к.р."],
    [4, "Диктант", 166, "", "Диктант с грамматическим заданием"],
]


def test_school_weeks_of_grade_five(session: Session) -> None:
    tiny = make_school(session)
    assert school_weeks(session, tiny.school, tiny.year, 5) == 34


def test_plan_previews_with_hours_warning_then_writes_once(session: Session) -> None:
    tiny = make_school(session)
    actor = tiny.actors["russian"]
    data = xlsx(GOOD)
    report = preview_ktp_import(
        session, actor=actor, assignment_id=tiny.russian_5a.id or 0, data=data, filename="k.xlsx"
    )
    assert report.problems == []
    assert (report.rows, report.total_hours, report.added) == (4, 170, [1, 2, 3, 4])
    assert report.warnings == []  # 2 + 1 + 1 + 166 = 170 = 5 × 34
    assert items(session, tiny) == [] and audits(session) == 0

    short = [list(r) for r in GOOD]
    short[6][2] = 100
    report = preview_ktp_import(
        session,
        actor=actor,
        assignment_id=tiny.russian_5a.id or 0,
        data=xlsx(short),
        filename="k.xlsx",
    )
    assert report.ok
    assert report.warnings == [
        "часов в плане 104, по учебному плану 170 (5 ч в неделю × 34 учебных недель, Русский язык)"
    ]

    report = import_ktp(
        session, actor=actor, assignment_id=tiny.russian_5a.id or 0, data=data, filename="k.xlsx"
    )
    assert report.written
    got = items(session, tiny)
    assert [(n, t, h, d) for n, t, h, d, _ in got] == [
        (1, "Язык и общение", 2, D(2026, 9, 1)),
        (2, "Звуки и буквы", 1, D(2026, 9, 3)),
        (3, "Контрольная работа по теме «Фонетика»", 1, D(2026, 9, 4)),
        (4, "Диктант", 166, None),
    ]
    assert [wt for *_, wt in got] == [None, None, tiny.control.id, tiny.dictation.id]
    assert audits(session) == 1
    row = session.exec(select(AuditLog)).one()
    assert row.action == "import.ktp"

    again = import_ktp(
        session, actor=actor, assignment_id=tiny.russian_5a.id or 0, data=data, filename="k.csv"
    )
    assert (again.written, again.unchanged, again.changes) == (False, 4, 0)
    assert audits(session) == 1


def test_week_numbers_and_csv(session: Session) -> None:
    tiny = make_school(session)
    data = "№;Тема;Часы;Неделя\n1;Введение;1;1\n2;Повторение;1;3\n".encode()
    report = import_ktp(
        session,
        actor=tiny.actors["deputy"],
        assignment_id=tiny.russian_5a.id or 0,
        data=data,
        filename="k.csv",
    )
    assert report.warnings  # 2 of 170 hours
    # the year begins on Tuesday 1.09.2026; week 3 begins on Monday 14.09.2026
    assert [(n, d) for n, _, _, d, _ in items(session, tiny)] == [
        (1, D(2026, 9, 1)),
        (2, D(2026, 9, 14)),
    ]


def test_bad_file_lists_problems_by_row_and_writes_nothing(session: Session) -> None:
    tiny = make_school(session)
    add_plan_items(session, tiny.russian_5a, ["Старая тема"])
    before = items(session, tiny)
    data = xlsx(
        [
            HEADER,
            [1, "Тема", 0, "01.09.2026", ""],
            [1, "Тема", 1.5, "01.09.2025", "Реферат"],
            ["", "", 1, "", ""],
        ]
    )
    report = preview_ktp_import(
        session,
        actor=tiny.actors["russian"],
        assignment_id=tiny.russian_5a.id or 0,
        data=data,
        filename="k.xlsx",
    )
    assert [p.text() for p in report.problems] == [
        "строка 2, столбец «Кол-во часов»: часы «0» — не целое положительное число",
        "строка 3, столбец «Вид работы»: вид работы «Реферат» не найден",
        "строка 3, столбец «Дата»: дата 01.09.2025 вне учебного года 2026/2027 "
        "(01.09.2026–31.05.2027)",
        "строка 3, столбец «Кол-во часов»: часы «1.5» — не целое положительное число",
        "строка 3, столбец «№ п/п»: номер 1 уже есть в строке 2",
        "строка 4, столбец «Тема урока»: не заполнено",
        "строка 4, столбец «№ п/п»: не заполнено",
    ]
    with pytest.raises(ValidationError, match="ошибок: 7"):
        import_ktp(
            session,
            actor=tiny.actors["russian"],
            assignment_id=tiny.russian_5a.id or 0,
            data=data,
            filename="k.xlsx",
        )
    assert items(session, tiny) == before and audits(session) == 0


def test_refused_when_lessons_link_to_items_that_would_go(session: Session) -> None:
    tiny = make_school(session)
    old = add_plan_items(session, tiny.russian_5a, ["Один", "Два", "Три"])
    lesson = add_lesson(session, tiny.russian_5a, D(2026, 9, 8), 2)
    lesson.plan_item_id = old[2].id
    session.add(lesson)
    session.flush()
    before = items(session, tiny)
    data = xlsx([HEADER, [1, "Один", 1, "", ""], [2, "Два (новое)", 1, "", ""]])
    with pytest.raises(ValidationError) as caught:
        import_ktp(
            session,
            actor=tiny.actors["russian"],
            assignment_id=tiny.russian_5a.id or 0,
            data=data,
            filename="k.xlsx",
        )
    assert "тема № 3 «Три» уже выбрана на уроке 08.09.2026 (2-й урок)" in str(caught.value)
    assert items(session, tiny) == before and audits(session) == 0

    # keeping item 3 lets the import through: item 2 changes in place, the link survives
    data = xlsx([HEADER, [1, "Один", 1, "", ""], [2, "Два (новое)", 1, "", ""],
                 [3, "Три", 1, "", ""]])  # fmt: skip
    report = import_ktp(
        session,
        actor=tiny.actors["russian"],
        assignment_id=tiny.russian_5a.id or 0,
        data=data,
        filename="k.xlsx",
    )
    assert (report.changed, report.unchanged, report.removed) == ([2], 2, [])
    session.refresh(lesson)
    assert lesson.plan_item_id == old[2].id
    assert [t for _, t, _, _, _ in items(session, tiny)] == ["Один", "Два (новое)", "Три"]


@pytest.mark.parametrize("who", ["parent", "student", "maths", "primary", "class_teacher"])
def test_forged_calls_are_refused(session: Session, who: str) -> None:
    tiny = make_school(session)
    with pytest.raises(PermissionDenied):
        import_ktp(
            session,
            actor=tiny.actors[who],
            assignment_id=tiny.russian_5a.id or 0,
            data=xlsx(GOOD),
            filename="k.xlsx",
        )
    assert items(session, tiny) == [] and audits(session) == 0
