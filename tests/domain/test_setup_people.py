"""«Учащиеся и сотрудники» (issue 13): people one by one, accounts for imported people, and
imports that are safe to repeat and to run twice at once.

The tiny school's 5 «А» holds Григорьев Глеб, Андреев Артём Сергеевич (with his mother
Андреева Анна, who has an account), Ёлкина Дарья, Белова Вера, Жуков Захар; 1 «А» holds
Иванова Ирина — all born 01.03.2015.
"""

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
from ejournal.domain.models import (
    AcademicYear,
    AuditLog,
    ClassGroup,
    Consent,
    Enrolment,
    Parent,
    ParentLink,
    Role,
    RoleGrant,
    School,
    Staff,
    Student,
    User,
)
from ejournal.domain.permissions import Actor
from ejournal.domain.setup import people
from ejournal.domain.setup.staff import import_staff, preview_staff_import
from ejournal.domain.setup.students import import_students
from tests import conftest
from tests.concurrency import together as _together
from tests.conftest import BACKENDS
from tests.factories import D, TinySchool, add_staff, make_school, staff_actor

pytestmark = pytest.mark.db

TODAY = D(2026, 10, 20)


def xlsx(rows: Sequence[Sequence[Any]], merges: Sequence[str] = ()) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    for merge in merges:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def secretary(session: Session, tiny: TinySchool) -> Actor:
    staff, user = add_staff(session, tiny.school, "secretary", "Секретарева", "Светлана")
    return staff_actor(tiny.school, user, staff, Role.SECRETARY)


def admin(session: Session, tiny: TinySchool) -> Actor:
    staff, user = add_staff(session, tiny.school, "admin", "Админова", "Анна")
    return staff_actor(tiny.school, user, staff, Role.ADMIN)


def counts(session: Session) -> dict[str, int]:
    tables: dict[str, Any] = {
        "students": Student, "enrolments": Enrolment, "parents": Parent, "links": ParentLink,
        "staff": Staff, "users": User, "audit": AuditLog,
    }  # fmt: skip
    return {
        name: session.exec(select(func.count()).select_from(model)).one()
        for name, model in tables.items()
    }


def last_audit(session: Session) -> AuditLog:
    row = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
    assert row is not None
    return row


def student_named(session: Session, last: str) -> Student:
    return session.exec(select(Student).where(Student.last_name == last)).one()


def add_student(session: Session, actor: Actor, tiny: TinySchool, **kw: Any) -> people.StudentInfo:
    values: dict[str, Any] = {
        "student_id": None,
        "last_name": "Новикова",
        "first_name": "Ольга",
        "middle_name": "Петровна",
        "gender": "f",
        "birth_date": "12.07.2015",
        "class_id": tiny.class5.id,
        "today": TODAY,
    }
    return people.save_student(session, actor=actor, **(values | kw))


# --------------------------------------------------------------------------- students


def test_a_student_added_by_hand_is_enrolled_from_today_and_audited(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    info = add_student(session, actor, tiny)
    olga = student_named(session, "Новикова")
    assert (olga.first_name, olga.gender, olga.birth_date) == ("Ольга", "f", D(2015, 7, 12))
    assert olga.class_id == tiny.class5.id and info.class_name == "5 «А»"
    stay = session.exec(select(Enrolment).where(Enrolment.student_id == olga.id)).one()
    assert (stay.class_id, stay.starts_on, stay.kind) == (tiny.class5.id, TODAY, "start")
    row = last_audit(session)
    assert (row.action, row.entity, row.entity_id) == ("student.update", "student", olga.id)
    names = [
        s.full_name
        for s in people.class_students(session, actor=actor, class_id=tiny.class5.id or 0)
    ]
    assert "Новикова Ольга Петровна" in names


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"birth_date": "2015.07.12"}, "Дата рождения: введите дату в виде ДД.ММ.ГГГГ"),
        ({"birth_date": "31.02.2015"}, "введено «31.02.2015»"),
        ({"birth_date": "12.07.1960"}, "не похожа на дату рождения ученика"),
        ({"last_name": "  "}, "Укажите: фамилия"),
        ({"gender": "x"}, "Укажите пол"),
        ({"last_name": "Ёлкина", "first_name": "Дарья", "middle_name": "",
          "birth_date": "01.03.2015"}, "Такой ученик уже есть: Ёлкина Дарья, 01.03.2015, 5 «А»"),
    ],
)  # fmt: skip
def test_a_bad_student_form_is_refused_in_russian_and_changes_nothing(
    session: Session, changes: dict[str, str], message: str
) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    before = counts(session)
    with pytest.raises(ValidationError, match=message):
        add_student(session, actor, tiny, **changes)
    assert counts(session) == before


def test_the_duplicate_check_ignores_case_and_yo(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    with pytest.raises(ValidationError, match="Такой ученик уже есть"):
        add_student(
            session, actor, tiny, last_name="елкина ", first_name="ДАРЬЯ", middle_name="",
            birth_date="01.03.2015",
        )  # fmt: skip


def test_editing_a_student_saves_only_over_what_the_form_showed(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    listed = people.class_students(session, actor=actor, class_id=tiny.class5.id or 0)
    vera = next(s for s in listed if s.last_name == "Белова")
    form: dict[str, Any] = {
        "student_id": vera.id, "last_name": "Белова", "first_name": "Вера",
        "middle_name": "Андреевна", "gender": "f", "birth_date": "02.03.2015",
        "class_id": tiny.class5.id,
    }  # fmt: skip
    people.save_student(session, actor=actor, expected=vera.fingerprint, today=TODAY, **form)
    stored = student_named(session, "Белова")
    assert (stored.middle_name, stored.birth_date) == ("Андреевна", D(2015, 3, 2))
    row = last_audit(session)
    assert row.action == "student.update"
    assert '"middle_name":""' in row.before and '"Андреевна"' in row.after
    # A second form opened before that save is refused: nothing is overwritten silently.
    with pytest.raises(ConflictError, match="уже изменил другой пользователь"):
        people.save_student(
            session, actor=actor, expected=vera.fingerprint, today=TODAY,
            **(form | {"middle_name": "Ивановна"}),
        )  # fmt: skip
    assert student_named(session, "Белова").middle_name == "Андреевна"


def test_a_new_class_in_the_student_form_is_a_transfer_from_today(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    class5b = ClassGroup(
        school_id=tiny.school.id or 0, year_id=tiny.year.id or 0, grade=5, letter="Б"
    )
    session.add(class5b)
    session.commit()
    vera = next(
        s
        for s in people.class_students(session, actor=actor, class_id=tiny.class5.id or 0)
        if s.last_name == "Белова"
    )
    people.save_student(
        session, actor=actor, student_id=vera.id, last_name="Белова", first_name="Вера",
        middle_name="", gender="f", birth_date="01.03.2015", class_id=class5b.id or 0,
        expected=vera.fingerprint, today=TODAY,
    )  # fmt: skip
    stays = session.exec(
        select(Enrolment).where(Enrolment.student_id == vera.id).order_by(col(Enrolment.starts_on))
    ).all()
    assert [(s.class_id, s.ends_on, s.leave_kind) for s in stays] == [
        (tiny.class5.id, TODAY - dt.timedelta(days=1), "moved_out"),
        (class5b.id, None, None),
    ]
    assert last_audit(session).action == "student.move"


# --------------------------------------------------------------------------- parents


def test_a_parent_needs_a_phone_or_an_email(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    before = counts(session)
    base: dict[str, Any] = {
        "student_id": tiny.students[0].id, "parent_id": None, "last_name": "Григорьева",
        "first_name": "Галина", "middle_name": "", "relation": "мать",
    }  # fmt: skip
    with pytest.raises(ValidationError, match="Укажите телефон или e-mail"):
        people.save_parent(session, actor=actor, phone="", email="", **base)
    with pytest.raises(ValidationError, match="не похож на номер"):
        people.save_parent(session, actor=actor, phone="12-34", email="", **base)
    with pytest.raises(ValidationError, match="E-mail «g@» неверный"):
        people.save_parent(session, actor=actor, phone="", email="g@", **base)
    assert counts(session) == before

    people.save_parent(session, actor=actor, phone="+7 900 123-45-67", email="", **base)
    listed = people.class_students(session, actor=actor, class_id=tiny.class5.id or 0)
    gleb = next(s for s in listed if s.last_name == "Григорьев")
    assert [(p.full_name, p.phone, p.relation) for p in gleb.parents] == [
        ("Григорьева Галина", "+7 900 123-45-67", "мать")
    ]
    assert last_audit(session).action == "parent.update"


def test_a_sibling_s_parent_is_linked_not_made_twice(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    form: dict[str, Any] = {
        "parent_id": None, "last_name": "Белова", "first_name": "Богдана", "middle_name": "",
        "phone": "8 (900) 555-44-33", "email": "", "relation": "мать",
    }  # fmt: skip
    people.save_parent(session, actor=actor, student_id=tiny.students[3].id or 0, **form)
    before = counts(session)
    people.save_parent(
        session, actor=actor, student_id=tiny.students[0].id or 0,
        **(form | {"phone": "+79005554433", "last_name": "белова"}),
    )  # fmt: skip
    after = counts(session)
    assert (after["parents"], after["links"]) == (before["parents"], before["links"] + 1)
    with pytest.raises(ValidationError, match="уже указан"):
        people.save_parent(session, actor=actor, student_id=tiny.students[0].id or 0, **form)


def test_editing_a_parent_changes_contacts_and_relation(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    artyom = tiny.students[1]
    listed = people.class_students(session, actor=actor, class_id=tiny.class5.id or 0)
    mother = next(s for s in listed if s.id == artyom.id).parents[0]
    people.save_parent(
        session, actor=actor, student_id=artyom.id or 0, parent_id=mother.id,
        last_name="Андреева", first_name="Анна", middle_name="Ивановна",
        phone="", email="Anna@Mail.ru", relation="мама", expected=mother.fingerprint,
    )  # fmt: skip
    stored = session.get(Parent, mother.id)
    assert stored is not None and (stored.middle_name, stored.email) == ("Ивановна", "anna@mail.ru")
    link = session.exec(select(ParentLink).where(ParentLink.parent_id == mother.id)).one()
    assert link.relation == "мама"
    with pytest.raises(ConflictError):
        people.save_parent(
            session, actor=actor, student_id=artyom.id or 0, parent_id=mother.id,
            last_name="Андреева", first_name="Анна", middle_name="", phone="", email="a@b.ru",
            relation="", expected=mother.fingerprint,
        )  # fmt: skip


# --------------------------------------------------------------------------- staff


def test_staff_added_and_edited_by_hand(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    added = people.save_staff(
        session, actor=actor, staff_id=None, last_name="Павлова", first_name="Полина",
        middle_name="Петровна", position="учитель истории", phone="", email="p@school.ru",
    )  # fmt: skip
    assert (added.position, added.login) == ("учитель истории", "")
    assert last_audit(session).action == "staff.update"
    people.save_staff(
        session, actor=actor, staff_id=added.id, last_name="Павлова", first_name="Полина",
        middle_name="Петровна", position="заместитель директора", phone="+7 900 000-00-01",
        email="p@school.ru", expected=added.fingerprint,
    )  # fmt: skip
    stored = session.get(Staff, added.id)
    assert stored is not None and stored.position == "заместитель директора"
    with pytest.raises(ValidationError, match="Такой сотрудник уже есть"):
        people.save_staff(
            session, actor=actor, staff_id=None, last_name="Смирнова", first_name="Анна",
            middle_name="Петровна", position="", phone="", email="",
        )  # fmt: skip


def test_a_school_s_staff_spreadsheet_imports_once(session: Session) -> None:
    """Merged title rows, a blank row, trailing spaces and «Е» written for «Ё»: imported once;
    the same file again changes nothing."""
    tiny = make_school(session)
    actor = secretary(session, tiny)
    data = xlsx(
        [
            ["МБОУ «Школа № 1»"],
            ["Список педагогических работников"],
            [],
            ["№", "ФИО ", "Должность", "Преподаваемые предметы", "Телефон"],
            [1, "Ежова  Елена Петровна ", "учитель ", "Русский язык; Музыка", "+7 900 1"],
            [],
            [2, "Смирнова Анна Петровна", "учитель русского языка", "русский язык", ""],
        ],
        merges=["A1:E1", "A2:E2"],
    )
    preview = preview_staff_import(session, actor=actor, data=data, filename="kadry.xlsx")
    assert preview.problems == []
    assert preview.added == ["Ежова Елена Петровна, учитель"]
    assert preview.updated == ["Смирнова Анна Петровна: должность «» → «учитель русского языка»"]
    import_staff(session, actor=actor, data=data, filename="kadry.xlsx")
    before = counts(session)
    again = import_staff(session, actor=actor, data=data, filename="kadry.xlsx")
    assert (again.added, again.updated, again.written) == ([], [], False)
    assert counts(session) == before


# --------------------------------------------------------------------------- accounts


def test_imported_staff_get_teacher_accounts_and_slips(session: Session) -> None:
    tiny = make_school(session)
    actor = admin(session, tiny)
    for last in ("Павлова", "Ёжикова"):
        people.save_staff(
            session, actor=actor, staff_id=None, last_name=last, first_name="Полина",
            middle_name="", position="учитель", phone="", email="",
        )  # fmt: skip
    result = people.issue_staff_accounts(session, actor=actor)
    assert result.pdf.startswith(b"%PDF")
    assert [x.split(" — ")[0] for x in result.issued] == ["Ёжикова Полина", "Павлова Полина"]
    for last in ("Павлова", "Ёжикова"):
        staff = session.exec(select(Staff).where(Staff.last_name == last)).one()
        user = session.get(User, staff.user_id)
        assert user is not None and user.must_change_password
        grants = session.exec(select(RoleGrant.role).where(RoleGrant.user_id == user.id)).all()
        assert list(grants) == ["teacher"]
    # The one-time passwords are nowhere but in the PDF: not in the audit rows.
    texts = [f"{r.before} {r.after}" for r in session.exec(select(AuditLog)).all()]
    assert not any("password" in t and "must_change" not in t for t in texts)
    with pytest.raises(ValidationError, match="У всех сотрудников уже есть учётные записи"):
        people.issue_staff_accounts(session, actor=actor)


def test_a_class_s_accounts_skip_families_that_refused_consent(session: Session) -> None:
    tiny = make_school(session)
    actor = admin(session, tiny)
    gleb, vera = tiny.students[0], tiny.students[3]
    for student, last, phone in (
        (gleb, "Григорьева", "+79001110000"),
        (vera, "Белова", "+79002220000"),
    ):
        people.save_parent(
            session, actor=actor, student_id=student.id or 0, parent_id=None, last_name=last,
            first_name="Мария", middle_name="", phone=phone, email="", relation="мать",
        )  # fmt: skip
    refusing = session.exec(select(Parent).where(Parent.last_name == "Белова")).one()
    session.add(
        Consent(parent_id=refusing.id or 0, student_id=vera.id or 0, given=False, signed_on=TODAY)
    )
    session.commit()
    result = people.issue_class_accounts(session, actor=actor, class_id=tiny.class5.id or 0)
    assert result.pdf.startswith(b"%PDF")
    assert result.skipped == ["Белова Вера, 5 «А» — нет согласия: бумажные копии"]
    assert student_named(session, "Белова").user_id is None
    assert refusing.user_id is None
    assert student_named(session, "Григорьев").user_id is not None
    issued = " ".join(result.issued)
    assert "Григорьева Мария (родитель)" in issued and "Белова" not in issued
    # Артём and his mother had accounts already: not issued again.
    assert "Андреев" not in issued


@pytest.mark.parametrize("who", ["secretary", "russian", "class_teacher", "parent"])
def test_staff_accounts_are_for_the_administrator_only(session: Session, who: str) -> None:
    tiny = make_school(session)
    people.save_staff(
        session, actor=admin(session, tiny), staff_id=None, last_name="Павлова",
        first_name="Полина", middle_name="", position="", phone="", email="",
    )  # fmt: skip
    actor = secretary(session, tiny) if who == "secretary" else tiny.actors[who]
    before = counts(session)
    with pytest.raises(PermissionDenied):
        people.issue_staff_accounts(session, actor=actor)
    if who != "class_teacher":  # a class teacher issues their own class's (on its page)
        with pytest.raises(PermissionDenied):
            people.issue_class_accounts(session, actor=actor, class_id=tiny.class5.id or 0)
    assert counts(session) == before


# --------------------------------------------------------------------------- forged calls


@pytest.mark.parametrize("who", ["russian", "class_teacher", "deputy", "parent", "student"])
def test_others_cannot_read_or_change_people(session: Session, who: str) -> None:
    tiny = make_school(session)
    actor = tiny.actors[who]
    before = counts(session)
    with pytest.raises(PermissionDenied):
        people.class_students(session, actor=actor, class_id=tiny.class5.id or 0)
    with pytest.raises(PermissionDenied):
        people.staff_list(session, actor=actor)
    with pytest.raises(PermissionDenied):
        add_student(session, actor, tiny)
    with pytest.raises(PermissionDenied):
        people.save_staff(
            session, actor=actor, staff_id=tiny.staff["russian"].id, last_name="Взломова",
            first_name="Анна", middle_name="", position="", phone="", email="",
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        people.save_parent(
            session, actor=actor, student_id=tiny.students[1].id or 0, parent_id=None,
            last_name="Чужой", first_name="Иван", middle_name="", phone="+79000000000",
            email="", relation="",
        )  # fmt: skip
    assert counts(session) == before


def test_another_school_s_student_is_refused(session: Session) -> None:
    tiny = make_school(session)
    actor = secretary(session, tiny)
    school = School(name="Школа № 2", short_name="Школа № 2")
    session.add(school)
    session.flush()
    year = AcademicYear(
        school_id=school.id or 0, name="2026/2027", starts_on=D(2026, 9, 1),
        ends_on=D(2027, 5, 31), is_current=True,
    )  # fmt: skip
    session.add(year)
    session.flush()
    theirs = ClassGroup(school_id=school.id or 0, year_id=year.id or 0, grade=5, letter="А")
    session.add(theirs)
    session.commit()
    before = counts(session)
    with pytest.raises(PermissionDenied):
        add_student(session, actor, tiny, class_id=theirs.id)
    with pytest.raises(PermissionDenied):
        people.class_students(session, actor=actor, class_id=theirs.id or 0)
    assert counts(session) == before


# --------------------------------------------------------------------------- two writers


STUDENTS_FILE = xlsx(
    [
        ["Класс", "Фамилия", "Имя", "Отчество", "Дата рождения", "Родитель 1 ФИО",
         "Родитель 1 телефон"],
        *[["5А", f"Новиков{n}", "Олег", "", "01.02.2015", f"Новикова{n} Ольга",
           f"+7900000{n:04d}"] for n in range(20)],
    ]
)  # fmt: skip


@pytest.fixture(params=BACKENDS)
def fresh_school(
    request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[conftest.TestDatabase, TinySchool, Actor]]:
    """The tiny school committed to its own database, which the app's services use."""
    database = conftest.new_database(request.param, tmp_path)
    migrate.upgrade(database.engine)
    with Session(database.engine, expire_on_commit=False) as s:
        tiny = make_school(s)
        actor = secretary(s, tiny)
        s.commit()
    monkeypatch.setattr(db, "get_engine", lambda url=None: database.engine)
    yield database, tiny, actor
    conftest.dispose_database(database)


def test_two_secretaries_importing_the_same_file_at_once_write_it_once(
    fresh_school: tuple[conftest.TestDatabase, TinySchool, Actor],
) -> None:
    """Both imports finish; one wrote the twenty students, the other found nothing to do."""
    database, _tiny, actor = fresh_school

    def job() -> Any:
        return db.run_transaction(
            import_students, actor=actor, data=STUDENTS_FILE, filename="a.xlsx", today=TODAY
        )

    results = _together([job, job])
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], errors
    assert sorted(len(r.added) for r in results) == [0, 20]
    assert sorted(r.written for r in results) == [False, True]
    with Session(database.engine) as s:
        names = s.exec(
            select(Student.last_name).where(col(Student.last_name).startswith("Новиков"))
        ).all()
        assert sorted(names) == sorted(f"Новиков{n}" for n in range(20))
        parents = s.exec(
            select(func.count())
            .select_from(Parent)
            .where(col(Parent.last_name).startswith("Новикова"))
        ).one()
        assert parents == 20
