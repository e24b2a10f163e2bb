"""The exchange format: CSV files Excel and pandas open, described by a manifest."""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pytest
from sqlmodel import Session

from ejournal.domain import exchange
from ejournal.domain.exchange import ExportError, export_school
from ejournal.domain.models import (
    AcademicYear,
    Attendance,
    ClassGroup,
    Lesson,
    Mark,
    Parent,
    ParentLink,
    Period,
    PeriodMark,
    RoleGrant,
    School,
    Staff,
    Student,
    Subgroup,
    Subject,
    TeachingAssignment,
    TimetableSlot,
    User,
    UserSession,
    WorkType,
)
from ejournal.domain.people.passwords import hash_password

pytestmark = pytest.mark.db

BOM = b"\xef\xbb\xbf"

#: The columns issue 2 §4 promises, in order, at the start of each file.
SPEC_COLUMNS = {
    "students.csv": ["id", "last_name", "first_name", "middle_name", "birth_date", "class_id"],
    "classes.csv": ["id", "grade", "letter", "class_teacher_id"],
    "staff.csv": ["id", "last_name", "first_name", "middle_name"],
    "subjects.csv": ["id", "name", "marked"],
    "lessons.csv": [
        "id",
        "date",
        "number",
        "class_id",
        "subgroup_id",
        "subject_id",
        "teacher_id",
        "topic",
        "homework",
        "work_type",
        "cancelled",
    ],
    "marks.csv": [
        "id",
        "student_id",
        "lesson_id",
        "slot",
        "value",
        "work_type",
        "weight",
        "author_id",
        "created_at",
    ],
    "attendance.csv": ["id", "student_id", "lesson_id", "status", "reason"],
    "period_marks.csv": ["student_id", "subject_id", "period", "value"],
    "parents.csv": ["id", "last_name", "first_name", "middle_name", "student_ids"],
    "timetable.csv": [
        "class_id",
        "subgroup_id",
        "weekday",
        "number",
        "subject_id",
        "teacher_id",
        "room",
    ],
}

TRICKY_TOPIC = 'Правописание «жи-ши», "ча-ща"; повторение\nвторая строка'
SECRET_PASSWORD = "Секретный-пароль-42"
SECRET_TOKEN_HASH = "f" * 64


@dataclass
class TinySchool:
    """A school small enough to reason about row by row."""

    school: School
    teacher: Staff
    substitute: Staff
    teacher_user: User
    group: ClassGroup
    subgroup: Subgroup
    russian: Subject
    english: Subject
    music: Subject
    control: WorkType
    answer: WorkType
    students: list[Student] = field(default_factory=list)
    parents: list[Parent] = field(default_factory=list)
    links: list[ParentLink] = field(default_factory=list)
    lessons: list[Lesson] = field(default_factory=list)
    slots: list[TimetableSlot] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    absences: list[Attendance] = field(default_factory=list)
    period_marks: list[PeriodMark] = field(default_factory=list)


T = TypeVar("T")


def _add(session: Session, obj: T) -> T:
    session.add(obj)
    session.flush()
    return obj


def build_tiny_school(session: Session, *, tag: str = "") -> TinySchool:
    """One class 5 «А», three subjects, a subgroup, three lessons and their records."""
    school = _add(session, School(name=f"Школа №1 «Радуга»{tag}", short_name=f"Радуга{tag}"))
    assert school.id is not None
    sid = school.id
    control = _add(
        session,
        WorkType(
            school_id=sid,
            code="control",
            name="Контрольная работа",
            abbreviation="К.р.",
            weight=Decimal("2.00"),
            is_control=True,
        ),
    )
    answer = _add(session, WorkType(school_id=sid, code="answer", name="Ответ на уроке"))
    year = _add(
        session,
        AcademicYear(
            school_id=sid,
            name="2026/2027",
            starts_on=dt.date(2026, 9, 1),
            ends_on=dt.date(2027, 5, 31),
            is_current=True,
        ),
    )
    quarter = _add(
        session,
        Period(
            year_id=year.id,
            kind="quarter",
            number=1,
            name="1 четверть",
            starts_on=dt.date(2026, 9, 1),
            ends_on=dt.date(2026, 10, 24),
            grade_to=9,
        ),
    )
    half = _add(
        session,
        Period(
            year_id=year.id,
            kind="half_year",
            number=2,
            name="2 полугодие",
            starts_on=dt.date(2027, 1, 9),
            ends_on=dt.date(2027, 5, 31),
            grade_from=10,
        ),
    )
    teacher_user = _add(
        session,
        User(login=f"ivanova{tag}", password_hash=hash_password(SECRET_PASSWORD, 4)),
    )
    _add(
        session,
        UserSession(
            user_id=teacher_user.id,
            token_hash=SECRET_TOKEN_HASH[: 64 - len(tag)] + tag,
            expires_at=dt.datetime(2026, 9, 2, tzinfo=dt.UTC),
        ),
    )
    teacher = _add(
        session,
        Staff(
            school_id=sid,
            user_id=teacher_user.id,
            last_name="Иванова",
            first_name="Мария",
            middle_name="Петровна",
        ),
    )
    _add(session, RoleGrant(user_id=teacher_user.id, school_id=sid, role="teacher"))
    substitute = _add(
        session, Staff(school_id=sid, last_name="Щербаков", first_name="Фёдор", middle_name="")
    )
    group = _add(
        session,
        ClassGroup(
            school_id=sid, year_id=year.id, grade=5, letter="А", class_teacher_id=teacher.id
        ),
    )
    russian = _add(session, Subject(school_id=sid, name="Русский язык", allows_two_marks=True))
    english = _add(session, Subject(school_id=sid, name="Английский язык"))
    music = _add(session, Subject(school_id=sid, name="Музыка", marked=False))
    subgroup = _add(
        session, Subgroup(class_id=group.id, subject_id=english.id, name="Группа 1 «Ёж»")
    )
    built = TinySchool(
        school, teacher, substitute, teacher_user, group, subgroup, russian, english, music,
        control, answer,
    )  # fmt: skip
    for last, first, middle, gender, born in [
        ("Ёлкина", "Дарья", "Сергеевна", "f", dt.date(2015, 3, 8)),
        ("Щукин", "Пётр", "Ильич", "m", dt.date(2014, 12, 31)),
        ("Д'Артаньян", "Анна-Мария", "", "f", dt.date(2015, 1, 1)),
    ]:
        built.students.append(
            _add(
                session,
                Student(
                    school_id=sid,
                    last_name=last,
                    first_name=first,
                    middle_name=middle,
                    gender=gender,
                    birth_date=born,
                    class_id=group.id,
                ),
            )
        )
    mother = _add(
        session,
        Parent(school_id=sid, last_name="Ёлкина", first_name="Ольга", middle_name="Ивановна"),
    )
    lonely = _add(session, Parent(school_id=sid, last_name="Петров", first_name="Пётр"))
    built.parents += [mother, lonely]
    for child in built.students[:2]:
        built.links.append(_add(session, ParentLink(parent_id=mother.id, student_id=child.id)))

    ru = _add(
        session,
        TeachingAssignment(
            year_id=year.id,
            teacher_id=teacher.id,
            class_id=group.id,
            subject_id=russian.id,
            hours_per_week=Decimal("5"),
        ),
    )
    en = _add(
        session,
        TeachingAssignment(
            year_id=year.id,
            teacher_id=teacher.id,
            class_id=group.id,
            subgroup_id=subgroup.id,
            subject_id=english.id,
            hours_per_week=Decimal("3"),
        ),
    )
    for assignment, weekday, number, room in [(ru, 1, 1, "204"), (en, 2, 3, "310 «Б»")]:
        built.slots.append(
            _add(
                session,
                TimetableSlot(
                    assignment_id=assignment.id,
                    weekday=weekday,
                    number=number,
                    room=room,
                    valid_from=dt.date(2026, 9, 1),
                ),
            )
        )
    built.lessons = [
        _add(
            session,
            Lesson(
                assignment_id=ru.id,
                date=dt.date(2026, 9, 7),
                number=1,
                topic=TRICKY_TOPIC,
                homework="§ 3, упр. 15",
                work_type_id=control.id,
            ),
        ),
        _add(
            session,
            Lesson(
                assignment_id=en.id,
                date=dt.date(2026, 9, 8),
                number=3,
                topic="Present Simple",
                work_type_id=answer.id,
                substitute_teacher_id=substitute.id,
            ),
        ),
        _add(
            session,
            Lesson(assignment_id=ru.id, date=dt.date(2026, 9, 14), number=1, cancelled=True),
        ),
    ]
    control_lesson, english_lesson, _ = built.lessons
    for student, value, slot in [
        (built.students[0], 5, 1),
        (built.students[0], 4, 2),
        (built.students[1], 3, 1),
    ]:
        built.marks.append(
            _add(
                session,
                Mark(
                    student_id=student.id,
                    lesson_id=control_lesson.id,
                    slot=slot,
                    value=value,
                    work_type_id=control.id,
                    weight=Decimal("2.00"),
                    author_id=teacher_user.id,
                    created_at=dt.datetime(2026, 9, 7, 9, 30, tzinfo=dt.UTC),
                ),
            )
        )
    built.marks.append(
        _add(
            session,
            Mark(
                student_id=built.students[1].id,
                lesson_id=english_lesson.id,
                value=2,
                author_id=teacher_user.id,
                comment="Не выучил слова",
            ),
        )
    )
    built.absences = [
        _add(
            session,
            Attendance(
                student_id=built.students[2].id,
                lesson_id=control_lesson.id,
                status="excused",
                reason="Справка из поликлиники",
                author_id=teacher_user.id,
            ),
        ),
        _add(
            session,
            Attendance(
                student_id=built.students[1].id,
                lesson_id=english_lesson.id,
                status="late",
                author_id=teacher_user.id,
            ),
        ),
    ]
    built.period_marks = [
        _add(
            session,
            PeriodMark(
                student_id=built.students[0].id,
                subject_id=russian.id,
                period_id=quarter.id,
                value=5,
                author_id=teacher_user.id,
            ),
        ),
        _add(
            session,
            PeriodMark(
                student_id=built.students[2].id,
                subject_id=russian.id,
                period_id=half.id,
                value=None,
                not_attested=True,
                author_id=teacher_user.id,
            ),
        ),
    ]
    return built


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return build_tiny_school(session)


@pytest.fixture()
def exported(session: Session, tiny: TinySchool, tmp_path: Path) -> Path:
    """The tiny school exported into a fresh directory."""
    out = tmp_path / "export"
    export_school(session, out_dir=out)
    return out


def _dict_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(SPEC_COLUMNS))
def test_each_required_file_starts_with_the_bom_and_the_promised_columns(exported, name):
    """Every file of the format starts with a UTF-8 BOM and exactly the promised columns."""
    raw = (exported / name).read_bytes()
    assert raw.startswith(BOM)
    with (exported / name).open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert header[: len(SPEC_COLUMNS[name])] == SPEC_COLUMNS[name]


def test_row_counts_match_what_the_school_holds(exported, tiny):
    """Each file has one row per record of the school."""
    expected = {
        "students.csv": len(tiny.students),
        "classes.csv": 1,
        "staff.csv": 2,
        "subjects.csv": 3,
        "lessons.csv": len(tiny.lessons),
        "marks.csv": len(tiny.marks),
        "attendance.csv": len(tiny.absences),
        "period_marks.csv": len(tiny.period_marks),
        "parents.csv": len(tiny.parents),
        "timetable.csv": len(tiny.slots),
    }
    actual = {name: len(_dict_rows(exported / name)) for name in expected}
    assert actual == expected


@pytest.mark.parametrize("name", sorted(SPEC_COLUMNS))
def test_pandas_reads_each_file_with_the_same_columns_and_rows(exported, name):
    """pandas opens every file with encoding utf-8-sig and sees the csv module's table."""
    frame = pd.read_csv(exported / name, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    rows = _dict_rows(exported / name)
    assert list(frame.columns[: len(SPEC_COLUMNS[name])]) == SPEC_COLUMNS[name]
    assert frame.to_dict("records") == rows


def test_cyrillic_names_round_trip_through_pandas(exported, tiny):
    """Russian names, ё and apostrophes come back from pandas exactly as stored."""
    frame = pd.read_csv(exported / "students.csv", encoding="utf-8-sig", keep_default_na=False)
    got = set(zip(frame["last_name"], frame["first_name"], frame["middle_name"], strict=True))
    assert got == {(s.last_name, s.first_name, s.middle_name) for s in tiny.students}


def test_quotes_commas_and_line_breaks_in_text_survive(exported, tiny):
    """A topic with quotes, commas, a semicolon and a line break is one cell, unchanged."""
    rows = {int(r["id"]): r for r in _dict_rows(exported / "lessons.csv")}
    assert rows[tiny.lessons[0].id]["topic"] == TRICKY_TOPIC
    frame = pd.read_csv(exported / "lessons.csv", encoding="utf-8-sig", keep_default_na=False)
    assert TRICKY_TOPIC in set(frame["topic"])


def test_dates_are_iso_and_booleans_are_true_or_false(exported, tiny):
    """Birth dates read back as ISO dates; `cancelled` and `marked` are true/false."""
    students = {int(r["id"]): r for r in _dict_rows(exported / "students.csv")}
    for student in tiny.students:
        assert dt.date.fromisoformat(students[student.id]["birth_date"]) == student.birth_date
    lessons = {int(r["id"]): r["cancelled"] for r in _dict_rows(exported / "lessons.csv")}
    assert lessons == {lesson.id: str(lesson.cancelled).lower() for lesson in tiny.lessons}
    marked = {r["name"]: r["marked"] for r in _dict_rows(exported / "subjects.csv")}
    assert marked["Музыка"] == "false"
    assert marked["Русский язык"] == "true"


def test_created_at_is_an_iso_utc_time(exported, tiny):
    """A mark's creation time reads back as the same aware UTC instant."""
    rows = {int(r["id"]): r for r in _dict_rows(exported / "marks.csv")}
    first = tiny.marks[0]
    assert dt.datetime.fromisoformat(rows[first.id]["created_at"]) == first.created_at


def test_lessons_take_class_subject_and_teacher_from_the_assignment(exported, tiny):
    """A subgroup lesson names its class, subgroup, subject and the assignment's teacher."""
    rows = {int(r["id"]): r for r in _dict_rows(exported / "lessons.csv")}
    english = rows[tiny.lessons[1].id]
    assert english["class_id"] == str(tiny.group.id)
    assert english["subgroup_id"] == str(tiny.subgroup.id)
    assert english["subject_id"] == str(tiny.english.id)
    assert english["teacher_id"] == str(tiny.teacher.id)
    assert english["substitute_teacher_id"] == str(tiny.substitute.id)
    assert rows[tiny.lessons[0].id]["subgroup_id"] == ""
    assert rows[tiny.lessons[0].id]["substitute_teacher_id"] == ""


def test_work_type_is_the_abbreviation_or_else_the_code(exported, tiny):
    """К.р. is written by its abbreviation; a work type without one by its code."""
    lessons = {int(r["id"]): r["work_type"] for r in _dict_rows(exported / "lessons.csv")}
    assert lessons[tiny.lessons[0].id] == tiny.control.abbreviation
    assert lessons[tiny.lessons[1].id] == tiny.answer.code
    assert lessons[tiny.lessons[2].id] == ""
    marks = {int(r["id"]): r for r in _dict_rows(exported / "marks.csv")}
    assert marks[tiny.marks[0].id]["work_type"] == "К.р."
    assert Decimal(marks[tiny.marks[0].id]["weight"]) == tiny.marks[0].weight
    assert marks[tiny.marks[-1].id]["work_type"] == ""


def test_period_marks_use_readable_period_keys_and_mark_the_unattested(exported, tiny):
    """Periods read "quarter-1" or "half_year-2"; an unattested student has no value."""
    rows = {
        (r["student_id"], r["period"]): (r["value"], r["not_attested"])
        for r in _dict_rows(exported / "period_marks.csv")
    }
    assert rows == {
        (str(tiny.students[0].id), "quarter-1"): ("5", "false"),
        (str(tiny.students[2].id), "half_year-2"): ("", "true"),
    }


def test_parents_list_their_children_joined_with_semicolons(exported, tiny):
    """A parent of two lists both ids with ";"; a parent with no linked child lists none."""
    rows = {int(r["id"]): r["student_ids"] for r in _dict_rows(exported / "parents.csv")}
    mother, lonely = tiny.parents
    assert rows[mother.id].split(";") == [str(s.id) for s in tiny.students[:2]]
    assert rows[lonely.id] == ""


def test_timetable_names_the_class_subgroup_subject_teacher_and_room(exported, tiny):
    """A timetable row carries what its assignment says, with the slot's day and room."""
    rows = _dict_rows(exported / "timetable.csv")
    english = next(r for r in rows if r["subgroup_id"] == str(tiny.subgroup.id))
    assert (english["weekday"], english["number"], english["room"]) == ("2", "3", "310 «Б»")
    assert english["subject_id"] == str(tiny.english.id)
    assert english["teacher_id"] == str(tiny.teacher.id)


def test_manifest_describes_every_file_with_its_columns_and_row_count(exported):
    """The manifest lists each CSV in the directory, its header and its data row count."""
    manifest = _manifest(exported)
    described = {f["name"]: f for f in manifest["files"]}
    on_disk = {p.name for p in exported.glob("*.csv")}
    assert set(described) == on_disk
    assert set(SPEC_COLUMNS) <= on_disk
    for name, entry in described.items():
        with (exported / name).open(encoding="utf-8-sig", newline="") as handle:
            header, *rows = list(csv.reader(handle))
        assert [c["name"] for c in entry["columns"]] == header
        assert entry["rows"] == len(rows)
        assert all(c["type"] and c["description"] for c in entry["columns"])


def test_manifest_marks_exactly_the_promised_columns_as_required(exported):
    """Columns the format promises are "required"; additions come after them."""
    for entry in _manifest(exported)["files"]:
        required = [c["name"] for c in entry["columns"] if c["required"]]
        assert required == SPEC_COLUMNS.get(entry["name"], [])


def test_manifest_names_the_format_version_school_and_export_time(session, tiny, tmp_path):
    """The manifest carries format version 1.0, the school's name and the export time."""
    at = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC)
    export_school(session, out_dir=tmp_path, now=at)
    manifest = _manifest(tmp_path)
    assert manifest["format_version"] == "1.0"
    assert manifest["school"]["name"] == tiny.school.name
    assert dt.datetime.fromisoformat(manifest["exported_at"]) == at


def test_column_descriptions_are_russian(exported):
    """Every column description is written in Russian (it contains Cyrillic letters)."""
    for entry in _manifest(exported)["files"]:
        for column in entry["columns"]:
            assert any("а" <= ch.lower() <= "я" for ch in column["description"]), column


def test_password_hashes_and_session_tokens_are_never_exported(exported, tiny):
    """No file of the export contains a password hash or a session token hash."""
    hidden = [tiny.teacher_user.password_hash, SECRET_TOKEN_HASH]
    for path in exported.iterdir():
        text = path.read_text(encoding="utf-8-sig")
        assert not any(value in text for value in hidden), path.name
        assert "password" not in text.lower(), path.name


def test_a_table_larger_than_one_batch_is_streamed_whole(session, tiny, tmp_path, monkeypatch):
    """With batches smaller than the table every row arrives once, in id order."""
    monkeypatch.setattr(exchange, "STREAM_BATCH", 2)
    export_school(session, out_dir=tmp_path)
    ids = [int(r["id"]) for r in _dict_rows(tmp_path / "marks.csv")]
    assert ids == sorted(m.id for m in tiny.marks)


def test_a_school_filter_exports_only_that_schools_records(session, tiny, tmp_path):
    """Exporting one of two schools leaves the other school's people and marks out."""
    other = build_tiny_school(session, tag="-2")
    result = export_school(session, out_dir=tmp_path, school_id=other.school.id)
    students = {int(r["id"]) for r in _dict_rows(tmp_path / "students.csv")}
    marks = {int(r["id"]) for r in _dict_rows(tmp_path / "marks.csv")}
    assert students == {s.id for s in other.students}
    assert marks == {m.id for m in other.marks}
    assert result.rows("lessons.csv") == len(other.lessons)
    assert _manifest(tmp_path)["school"]["id"] == other.school.id


def test_an_unknown_school_is_refused(session, tiny, tmp_path):
    """Asking for a school that does not exist raises a Russian error and writes nothing."""
    with pytest.raises(ExportError, match="не найдена"):
        export_school(session, out_dir=tmp_path / "out", school_id=10**9)
    assert not (tmp_path / "out").exists()


def test_an_output_path_under_a_file_is_a_clear_error(session, tiny, tmp_path):
    """A directory that cannot be created gives an ExportError naming the path."""
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    with pytest.raises(ExportError, match=r"file\.txt"):
        export_school(session, out_dir=blocker / "export")
