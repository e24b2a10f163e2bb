"""A small school for the diary tests: two classes of grade 5, families, staff, a timetable.

`build_world(session)` returns every object by a readable name; `lesson()`, `mark()` and
friends add records with only the fields a test cares about.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, select

from ejournal.domain.models import (
    AcademicYear,
    Attendance,
    BellSlot,
    ClassGroup,
    DiaryRemark,
    Holiday,
    Lesson,
    Mark,
    Parent,
    ParentLink,
    Period,
    PeriodMark,
    Role,
    RoleGrant,
    School,
    Staff,
    Student,
    Subgroup,
    SubgroupMember,
    Subject,
    TeachingAssignment,
    ThematicPlanItem,
    TimetableSlot,
    User,
    WorkType,
)
from ejournal.domain.permissions import Actor

D = Decimal
_seq = itertools.count(1)

#: Dates of the test school year (2026/2027): the first quarter ends on Friday 23 October.
Q1_START = dt.date(2026, 9, 1)
Q1_END = dt.date(2026, 10, 23)
Q2_START = dt.date(2026, 11, 5)
Q2_END = dt.date(2026, 12, 26)
A_MONDAY = dt.date(2026, 9, 14)


def _id(obj: object) -> int:
    value = getattr(obj, "id", None)
    assert isinstance(value, int)
    return value


def add(session: Session, obj: object) -> object:
    session.add(obj)
    session.flush()
    return obj


def user(session: Session, prefix: str) -> User:
    u = User(login=f"{prefix}{next(_seq)}", password_hash="x", must_change_password=False)
    add(session, u)
    return u


@dataclass
class Person:
    """A record (Staff, Student, Parent) with the Actor that acts as them."""

    record: Staff | Student | Parent
    actor: Actor

    @property
    def id(self) -> int:
        return _id(self.record)

    @property
    def user_id(self) -> int:
        return self.actor.user_id


def staff(
    session: Session,
    school: School,
    last: str,
    first: str,
    roles: set[Role],
    *,
    class_id: int | None = None,
) -> Person:
    u = user(session, "staff")
    s = Staff(
        school_id=_id(school), user_id=_id(u), last_name=last, first_name=first, middle_name="И"
    )
    add(session, s)
    for role in roles:
        add(
            session,
            RoleGrant(
                user_id=_id(u),
                school_id=_id(school),
                role=role.value,
                class_id=class_id if role is Role.CLASS_TEACHER else None,
            ),
        )
    actor = Actor(
        user_id=_id(u),
        school_id=_id(school),
        roles=frozenset(roles),
        staff_id=_id(s),
        class_teacher_of=frozenset({class_id} if class_id and Role.CLASS_TEACHER in roles else ()),
    )
    return Person(s, actor)


def student(
    session: Session,
    school: School,
    group: ClassGroup,
    last: str,
    first: str,
    *,
    account: bool = True,
) -> Person:
    u = user(session, "student") if account else None
    s = Student(
        school_id=_id(school),
        user_id=None if u is None else _id(u),
        last_name=last,
        first_name=first,
        gender="f" if first.endswith("а") else "m",
        birth_date=dt.date(2015, 3, 1),
        class_id=_id(group),
    )
    add(session, s)
    actor = Actor(
        user_id=-1 if u is None else _id(u),
        school_id=_id(school),
        roles=frozenset({Role.STUDENT}),
        student_id=_id(s),
    )
    return Person(s, actor)


def parent(
    session: Session, school: School, last: str, first: str, children: list[Person]
) -> Person:
    u = user(session, "parent")
    p = Parent(school_id=_id(school), user_id=_id(u), last_name=last, first_name=first)
    add(session, p)
    for child in children:
        add(session, ParentLink(parent_id=_id(p), student_id=child.id, relation="мать"))
    actor = Actor(
        user_id=_id(u), school_id=_id(school), roles=frozenset({Role.PARENT}), parent_id=_id(p)
    )
    return Person(p, actor)


@dataclass
class World:
    session: Session
    school: School
    year: AcademicYear
    q1: Period
    q2: Period
    answer: WorkType
    control: WorkType
    independent: WorkType
    math: Subject
    russian: Subject
    english: Subject
    music: Subject
    class_a: ClassGroup
    class_b: ClassGroup
    group1: Subgroup
    group2: Subgroup
    director: Person
    deputy: Person
    admin: Person
    math_teacher: Person
    class_teacher_a: Person  # teaches Russian and music in 5 «А»
    class_teacher_b: Person
    english1_teacher: Person
    english2_teacher: Person
    outsider_teacher: Person  # teaches maths in 5 «Б» only
    math_a: TeachingAssignment
    russian_a: TeachingAssignment
    english_a1: TeachingAssignment
    english_a2: TeachingAssignment
    music_a: TeachingAssignment
    math_b: TeachingAssignment
    anna: Person  # 5 «А», English group 1
    boris: Person  # 5 «А», English group 2
    classmates: list[Person]  # 5 «А», no accounts
    victor: Person  # 5 «Б»
    anna_mother: Person
    boris_father: Person
    victor_mother: Person  # another family

    # ----------------------------------------------------------------- helpers

    def lesson(
        self,
        assignment: TeachingAssignment,
        date: dt.date,
        number: int = 1,
        **fields: object,
    ) -> Lesson:
        row = Lesson(assignment_id=_id(assignment), date=date, number=number, **fields)  # type: ignore[arg-type]
        add(self.session, row)
        return row

    def mark(
        self,
        who: Person,
        lesson: Lesson,
        value: int,
        *,
        work_type: WorkType | None = None,
        slot: int = 1,
    ) -> Mark:
        wt = work_type or self.answer
        row = Mark(
            student_id=who.id,
            lesson_id=_id(lesson),
            value=value,
            slot=slot,
            work_type_id=_id(wt),
            weight=wt.weight,
            author_id=self.math_teacher.user_id,
        )
        add(self.session, row)
        return row

    def marks_on(
        self,
        who: Person,
        assignment: TeachingAssignment,
        values: list[int],
        *,
        start: dt.date = Q1_START,
        work_type: WorkType | None = None,
        number: int = 1,
    ) -> list[Mark]:
        """One lesson a day from `start` (weekdays only), one mark each; reuses lessons."""
        result = []
        day = start
        for value in values:
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            lesson = self.session.exec(
                select(Lesson).where(
                    Lesson.assignment_id == _id(assignment),
                    Lesson.date == day,
                    Lesson.number == number,
                )
            ).first() or self.lesson(assignment, day, number)
            result.append(self.mark(who, lesson, value, work_type=work_type))
            day += dt.timedelta(days=1)
        return result

    def absence(
        self, who: Person, lesson: Lesson, status: str = "absent", reason: str = ""
    ) -> Attendance:
        row = Attendance(
            student_id=who.id,
            lesson_id=_id(lesson),
            status=status,
            reason=reason,
            author_id=self.math_teacher.user_id,
        )
        add(self.session, row)
        return row

    def remark(
        self, who: Person, text: str, *, lesson: Lesson | None = None, kind: str = "remark"
    ) -> DiaryRemark:
        row = DiaryRemark(
            student_id=who.id,
            author_id=self.math_teacher.user_id,
            lesson_id=None if lesson is None else _id(lesson),
            subject_id=_id(self.math),
            kind=kind,
            text=text,
        )
        add(self.session, row)
        return row

    def period_mark(self, who: Person, subject: Subject, period: Period, value: int) -> PeriodMark:
        row = PeriodMark(
            student_id=who.id,
            subject_id=_id(subject),
            period_id=_id(period),
            value=value,
            author_id=self.math_teacher.user_id,
        )
        add(self.session, row)
        return row

    def slot(
        self, assignment: TeachingAssignment, weekday: int, number: int, room: str = ""
    ) -> TimetableSlot:
        row = TimetableSlot(
            assignment_id=_id(assignment),
            weekday=weekday,
            number=number,
            room=room,
            valid_from=self.year.starts_on,
        )
        add(self.session, row)
        return row

    def plan_item(
        self,
        assignment: TeachingAssignment,
        planned_on: dt.date,
        work_type: WorkType | None,
        topic: str = "Тема",
    ) -> ThematicPlanItem:
        row = ThematicPlanItem(
            assignment_id=_id(assignment),
            number=next(_seq),
            topic=topic,
            work_type_id=None if work_type is None else _id(work_type),
            planned_on=planned_on,
        )
        add(self.session, row)
        return row


def build_world(session: Session, *, days_per_week: int = 5) -> World:
    """The test school, with no lessons yet: tests add what they need."""
    school = School(name=f"Школа №{next(_seq)}", short_name="Школа", days_per_week=days_per_week)
    add(session, school)
    sid = _id(school)
    for n, (h, m) in enumerate([(8, 30), (9, 25), (10, 20), (11, 25), (12, 20), (13, 15)], 1):
        start = dt.time(h, m)
        end = (dt.datetime.combine(dt.date.min, start) + dt.timedelta(minutes=45)).time()
        add(session, BellSlot(school_id=sid, number=n, starts_at=start, ends_at=end))
    answer = WorkType(
        school_id=sid, code="answer", name="Ответ на уроке", weight=D("1.00"), sort_order=1
    )
    control = WorkType(
        school_id=sid,
        code="control",
        name="Контрольная работа",
        abbreviation="К.р.",
        weight=D("2.00"),
        is_control=True,
        sort_order=2,
    )
    independent = WorkType(
        school_id=sid,
        code="independent",
        name="Самостоятельная работа",
        abbreviation="С.р.",
        weight=D("1.50"),
        sort_order=3,
    )
    for w in (answer, control, independent):
        add(session, w)
    year = AcademicYear(
        school_id=sid,
        name="2026/2027",
        starts_on=Q1_START,
        ends_on=dt.date(2027, 5, 31),
        is_current=True,
    )
    add(session, year)
    q1 = Period(
        year_id=_id(year),
        kind="quarter",
        number=1,
        name="1 четверть",
        starts_on=Q1_START,
        ends_on=Q1_END,
    )
    q2 = Period(
        year_id=_id(year),
        kind="quarter",
        number=2,
        name="2 четверть",
        starts_on=Q2_START,
        ends_on=Q2_END,
    )
    add(session, q1)
    add(session, q2)
    add(
        session,
        Holiday(
            year_id=_id(year),
            name="Осенние каникулы",
            starts_on=dt.date(2026, 10, 26),
            ends_on=dt.date(2026, 11, 4),
        ),
    )
    math = Subject(school_id=sid, name="Математика", sort_order=1)
    russian = Subject(school_id=sid, name="Русский язык", sort_order=2, allows_two_marks=True)
    english = Subject(school_id=sid, name="Английский язык", sort_order=3)
    music = Subject(school_id=sid, name="Музыка", sort_order=4, marked=False)
    for s in (math, russian, english, music):
        add(session, s)
    class_a = ClassGroup(school_id=sid, year_id=_id(year), grade=5, letter="А", room="21")
    class_b = ClassGroup(school_id=sid, year_id=_id(year), grade=5, letter="Б", room="22")
    add(session, class_a)
    add(session, class_b)
    group1 = Subgroup(class_id=_id(class_a), subject_id=_id(english), name="1 группа")
    group2 = Subgroup(class_id=_id(class_a), subject_id=_id(english), name="2 группа")
    add(session, group1)
    add(session, group2)

    director = staff(session, school, "Директорова", "Елена", {Role.DIRECTOR})
    deputy = staff(session, school, "Завучева", "Ольга", {Role.DEPUTY})
    admin = staff(session, school, "Админов", "Пётр", {Role.ADMIN})
    math_teacher = staff(session, school, "Числова", "Мария", {Role.TEACHER})
    ct_a = staff(
        session,
        school,
        "Словесникова",
        "Анна",
        {Role.TEACHER, Role.CLASS_TEACHER},
        class_id=_id(class_a),
    )
    ct_b = staff(
        session,
        school,
        "Бэшкина",
        "Вера",
        {Role.TEACHER, Role.CLASS_TEACHER},
        class_id=_id(class_b),
    )
    en1 = staff(session, school, "Инглишева", "Ирина", {Role.TEACHER})
    en2 = staff(session, school, "Лондонов", "Игорь", {Role.TEACHER})
    outsider = staff(session, school, "Чужакова", "Нина", {Role.TEACHER})
    class_a.class_teacher_id = ct_a.id
    class_b.class_teacher_id = ct_b.id
    add(session, class_a)
    add(session, class_b)

    def assign(
        group: ClassGroup, subject: Subject, teacher: Person, subgroup: Subgroup | None = None
    ) -> TeachingAssignment:
        a = TeachingAssignment(
            year_id=_id(year),
            teacher_id=teacher.id,
            class_id=_id(group),
            subgroup_id=None if subgroup is None else _id(subgroup),
            subject_id=_id(subject),
            hours_per_week=D("3"),
        )
        add(session, a)
        return a

    math_a = assign(class_a, math, math_teacher)
    russian_a = assign(class_a, russian, ct_a)
    english_a1 = assign(class_a, english, en1, group1)
    english_a2 = assign(class_a, english, en2, group2)
    music_a = assign(class_a, music, ct_a)
    math_b = assign(class_b, math, outsider)

    anna = student(session, school, class_a, "Петрова", "Анна")
    boris = student(session, school, class_a, "Сидоров", "Борис")
    add(session, SubgroupMember(subgroup_id=_id(group1), student_id=anna.id))
    add(session, SubgroupMember(subgroup_id=_id(group2), student_id=boris.id))
    classmates = [
        student(session, school, class_a, last, first, account=False)
        for last, first in [
            ("Алексеев", "Денис"),
            ("Белова", "Галина"),
            ("Власов", "Егор"),
            ("Гусева", "Жанна"),
            ("Данилов", "Захар"),
        ]
    ]
    victor = student(session, school, class_b, "Кузнецов", "Виктор")
    world = World(
        session=session,
        school=school,
        year=year,
        q1=q1,
        q2=q2,
        answer=answer,
        control=control,
        independent=independent,
        math=math,
        russian=russian,
        english=english,
        music=music,
        class_a=class_a,
        class_b=class_b,
        group1=group1,
        group2=group2,
        director=director,
        deputy=deputy,
        admin=admin,
        math_teacher=math_teacher,
        class_teacher_a=ct_a,
        class_teacher_b=ct_b,
        english1_teacher=en1,
        english2_teacher=en2,
        outsider_teacher=outsider,
        math_a=math_a,
        russian_a=russian_a,
        english_a1=english_a1,
        english_a2=english_a2,
        music_a=music_a,
        math_b=math_b,
        anna=anna,
        boris=boris,
        classmates=classmates,
        victor=victor,
        anna_mother=parent(session, school, "Петрова", "Ольга", [anna]),
        boris_father=parent(session, school, "Сидоров", "Иван", [boris]),
        victor_mother=parent(session, school, "Кузнецова", "Светлана", [victor]),
    )
    return world
