"""Student movement (issue 13): arrived, left, transferred — with the date and the order, the
stays (`Enrolment`) the journal and the summary sheet read, and the movement list.

The tiny school (year 01.09.2026–31.05.2027) has 5 «А» (Григорьев Глеб, Андреев Артём,
Ёлкина Дарья, Белова Вера, Жуков Захар who arrived 01.10.2026) and 1 «А»; here a 5 «Б» is
added. «Today» is 20.10.2026.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from ejournal.domain.errors import PermissionDenied, ValidationError
from ejournal.domain.models import AuditLog, ClassGroup, Enrolment, Role, Student
from ejournal.domain.permissions import Actor
from ejournal.domain.setup import movement
from tests.factories import D, TinySchool, add_staff, make_school, staff_actor

pytestmark = pytest.mark.db

TODAY = D(2026, 10, 20)


def secretary(session: Session, tiny: TinySchool) -> Actor:
    staff, user = add_staff(session, tiny.school, "secretary", "Секретарева", "Светлана")
    return staff_actor(tiny.school, user, staff, Role.SECRETARY)


def class_5b(session: Session, tiny: TinySchool) -> ClassGroup:
    group = ClassGroup(
        school_id=tiny.school.id or 0, year_id=tiny.year.id or 0, grade=5, letter="Б"
    )
    session.add(group)
    session.commit()
    return group


def stays(session: Session, student_id: int | None) -> list[tuple[Any, ...]]:
    rows = session.exec(
        select(Enrolment)
        .where(Enrolment.student_id == student_id)
        .order_by(col(Enrolment.starts_on), col(Enrolment.id))
    ).all()
    return [
        (r.class_id, r.kind, r.starts_on, r.order_number, r.ends_on, r.leave_kind,
         r.leave_order_number)
        for r in rows
    ]  # fmt: skip


def counts(session: Session) -> tuple[int, int, int]:
    return (
        session.exec(select(func.count()).select_from(Student)).one(),
        session.exec(select(func.count()).select_from(Enrolment)).one(),
        session.exec(select(func.count()).select_from(AuditLog)).one(),
    )


def arrive(session: Session, actor: Actor, tiny: TinySchool, **kw: Any) -> int:
    values: dict[str, Any] = {
        "class_id": tiny.class5.id, "on": "12.10.2026", "order_number": "45-у",
        "last_name": "Новикова", "first_name": "Ольга", "middle_name": "Петровна",
        "gender": "f", "birth_date": "12.07.2015", "today": TODAY,
    }  # fmt: skip
    return movement.record_arrival(session, actor=actor, **(values | kw))


def test_an_arrival_enrols_the_student_from_the_date_with_the_order(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    sid = arrive(session, actor, tiny)
    olga = session.get(Student, sid)
    assert olga is not None and (olga.class_id, olga.is_active) == (tiny.class5.id, True)
    assert stays(session, sid) == [
        (tiny.class5.id, "arrived", D(2026, 10, 12), "45-у", None, None, "")
    ]
    row = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
    assert row is not None and (row.action, row.entity) == ("student.move", "enrolment")
    listed = movement.movements(session, actor=actor)
    assert next((m.on, m.student, m.what, m.order_number) for m in listed) == (
        D(2026, 10, 12),
        "Новикова Ольга Петровна",
        "прибыл(а) в 5 «А»",
        "45-у",
    )


def test_a_leaving_ends_the_stay_on_its_last_day(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    vera = tiny.students[3]
    movement.record_leaving(
        session, actor=actor, student_id=vera.id or 0, on="16.10.2026", order_number="51-в",
        today=TODAY,
    )  # fmt: skip
    stored = session.get(Student, vera.id)
    assert stored is not None and (stored.class_id, stored.is_active) == (None, False)
    assert stays(session, vera.id) == [
        (tiny.class5.id, "start", D(2026, 9, 1), "", D(2026, 10, 16), "left", "51-в")
    ]
    listed = movement.movements(session, actor=actor)
    assert [(m.on, m.what, m.order_number) for m in listed if m.student == "Белова Вера"] == [
        (D(2026, 10, 16), "выбыл(а) из 5 «А»", "51-в")
    ]
    # Leaving twice is refused in words.
    with pytest.raises(ValidationError, match="уже выбыл"):
        movement.record_leaving(
            session, actor=actor, student_id=vera.id or 0, on="17.10.2026", order_number="52-в",
            today=TODAY,
        )  # fmt: skip


def test_a_transfer_ends_the_old_stay_the_day_before(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    group = class_5b(session, tiny)
    gleb = tiny.students[0]
    movement.record_transfer(
        session, actor=actor, student_id=gleb.id or 0, class_id=group.id or 0,
        on="19.10.2026", order_number="53-п", today=TODAY,
    )  # fmt: skip
    stored = session.get(Student, gleb.id)
    assert stored is not None and stored.class_id == group.id
    assert stays(session, gleb.id) == [
        (tiny.class5.id, "start", D(2026, 9, 1), "", D(2026, 10, 18), "moved_out", "53-п"),
        (group.id, "moved_in", D(2026, 10, 19), "53-п", None, None, ""),
    ]
    listed = movement.movements(session, actor=actor)
    assert [(m.what, m.order_number) for m in listed if m.student == "Григорьев Глеб"] == [
        ("переведён(а) из 5 «А» в 5 «Б»", "53-п")
    ]


def test_a_student_who_left_comes_back_on_the_same_record(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    vera = tiny.students[3]
    movement.record_leaving(
        session, actor=actor, student_id=vera.id or 0, on="05.10.2026", order_number="40-в",
        today=TODAY,
    )  # fmt: skip
    with pytest.raises(ValidationError, match=r"не позже дня выбытия 05\.10\.2026"):
        arrive(session, actor, tiny, last_name="Белова", first_name="Вера", middle_name="",
               birth_date="01.03.2015", on="05.10.2026")  # fmt: skip
    before = counts(session)
    sid = arrive(session, actor, tiny, last_name="белова", first_name="Вера", middle_name="",
                 birth_date="01.03.2015", on="19.10.2026", order_number="60-у")  # fmt: skip
    assert sid == vera.id
    assert counts(session)[0] == before[0]  # no second Белова
    assert stays(session, vera.id)[-1] == (
        tiny.class5.id,
        "arrived",
        D(2026, 10, 19),
        "60-у",
        None,
        None,
        "",
    )


@pytest.mark.parametrize(
    ("what", "kw", "message"),
    [
        ("arrive", {"on": "21.10.2026"}, "ещё не наступила"),
        ("arrive", {"on": "20.08.2026"}, "вне текущего учебного года"),
        ("arrive", {"on": "12/10/26"}, "введите дату в виде ДД.ММ.ГГГГ"),
        ("arrive", {"order_number": " "}, "Укажите номер приказа"),
        ("arrive", {"last_name": "Григорьев", "first_name": "Глеб", "middle_name": "",
                    "birth_date": "01.03.2015"}, "уже учится в школе \\(5 «А»\\)"),
        ("leave", {"on": "30.09.2026"}, "раньше зачисления в класс \\(01.10.2026\\)"),
        ("leave", {"kind": "moved_out"}, "Выберите, как ученик выбывает"),
        ("transfer", {"class_id": "same"}, "Ученик уже в классе 5 «А»"),
        ("transfer", {"on": "25.09.2026"}, "раньше зачисления в нынешний класс"),
    ],
)  # fmt: skip
def test_movement_rules_refuse_in_words_and_change_nothing(
    session: Session, what: str, kw: dict[str, str], message: str
) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    group = class_5b(session, tiny)
    zhukov = tiny.newcomer  # in 5 «А» since 01.10.2026
    before = counts(session)
    with pytest.raises(ValidationError, match=message):
        if what == "arrive":
            arrive(session, actor, tiny, **kw)
        elif what == "leave":
            values = {"on": "16.10.2026", "order_number": "1", "kind": "left"} | kw
            movement.record_leaving(
                session, actor=actor, student_id=zhukov.id or 0, today=TODAY, **values
            )
        else:
            target = tiny.class5.id if kw.get("class_id") == "same" else group.id
            values = {"on": "16.10.2026", "order_number": "1"} | kw
            values.pop("class_id", None)
            movement.record_transfer(
                session, actor=actor, student_id=zhukov.id or 0, class_id=target or 0,
                today=TODAY, **values,
            )  # fmt: skip
    assert counts(session) == before
    stored = session.get(Student, zhukov.id)
    assert stored is not None and stored.class_id == tiny.class5.id


@pytest.mark.parametrize("who", ["russian", "class_teacher", "deputy", "parent", "student"])
def test_others_cannot_record_movement(session: Session, who: str) -> None:
    tiny = make_school(session)
    group = class_5b(session, tiny)
    actor = tiny.actors[who]
    before = counts(session)
    gleb = tiny.students[0]
    with pytest.raises(PermissionDenied):
        arrive(session, actor, tiny)
    with pytest.raises(PermissionDenied):
        movement.record_leaving(
            session, actor=actor, student_id=gleb.id or 0, on="16.10.2026", order_number="1",
            today=TODAY,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        movement.record_transfer(
            session, actor=actor, student_id=gleb.id or 0, class_id=group.id or 0,
            on="16.10.2026", order_number="1", today=TODAY,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        movement.movements(session, actor=actor)
    assert counts(session) == before
    assert stays(session, gleb.id)[-1][4] is None


def test_the_movement_list_is_latest_first(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    arrive(session, actor, tiny, on="05.10.2026", order_number="1-у")
    movement.record_leaving(
        session, actor=actor, student_id=tiny.students[0].id or 0, on="15.10.2026",
        order_number="2-в", today=TODAY,
    )  # fmt: skip
    dates = [m.on for m in movement.movements(session, actor=actor)]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == D(2026, 10, 15)
    assert dt.date(2026, 10, 1) in dates  # Жуков's arrival, made by the factory
