"""One school, assembled as plain rows ready for bulk inserts (ids assigned here)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from ejournal.domain.grading import Thresholds
from ejournal.domain.models import EnrolmentKind, Gender, KtpStatus, LeaveKind, Role
from ejournal.domain.people.passwords import one_time_password
from ejournal.domain.seed.curriculum import HOURS, SUBJECT_BY_NAME, SUBJECTS, WORK_TYPES
from ejournal.domain.seed.history import HistoryBuilder
from ejournal.domain.seed.names import FullName, NameFactory
from ejournal.domain.seed.people import (
    LoginBook,
    StudentPlan,
    address,
    birth_certificate,
    email_for,
    make_families,
    phone,
    snils,
)
from ejournal.domain.seed.records import (
    AssignmentInfo,
    JournalBuilder,
    Row,
    StudentInfo,
    WorkTypeInfo,
    bell_schedule,
    local_time,
    login_events,
    period_marks,
)
from ejournal.domain.seed.schoolyear import SchoolYear
from ejournal.domain.seed.timetable import (
    FAMILY_TITLES,
    ClassPlan,
    Placed,
    Staffing,
    TeacherPlan,
    plan_staffing,
    plan_timetable,
)
from ejournal.domain.seed.topics import build_plan

LETTERS = "АБВГД"
SCHOOL_NUMBERS = (17, 4, 9, 12, 21, 26, 31, 3, 8, 44)


@dataclass(frozen=True)
class SizeSpec:
    classes_per_grade: dict[int, int]
    students: tuple[int, int]  # per class, min and max
    schools: int = 1


SIZES: dict[str, SizeSpec] = {
    "small": SizeSpec({1: 1, 5: 1, 10: 1}, (12, 12)),
    "demo": SizeSpec(
        {1: 3, 2: 3, 3: 2, 4: 2, 5: 3, 6: 2, 7: 2, 8: 2, 9: 2, 10: 2, 11: 2}, (22, 27)
    ),
    "large": SizeSpec(
        {1: 3, 2: 3, 3: 2, 4: 2, 5: 3, 6: 2, 7: 2, 8: 2, 9: 2, 10: 2, 11: 2}, (22, 27), 10
    ),
}


@dataclass(frozen=True)
class Account:
    user_id: int
    role: str  # for the credentials file: admin, director, …, student, parent
    login: str
    password: str
    full_name: str
    detail: str


@dataclass
class SchoolData:
    number: int  # 1 … 10 in the municipality
    school_id: int
    admin_user_id: int
    rows: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    accounts: list[Account] = field(default_factory=list)


class SchoolBuilder:
    """Builds every row of one school; `ids` holds the next free id of each table."""

    def __init__(
        self,
        *,
        number: int,
        size: SizeSpec,
        year: SchoolYear,
        today: dt.date,
        ids: dict[str, int],
        rng: random.Random,
        login_prefix: str,
        history_rng: random.Random | None = None,
    ) -> None:
        self.number = number
        self.history_rng = history_rng
        self.size = size
        self.year = year
        self.today = today
        self.ids = ids
        self.rng = rng
        self.logins = LoginBook(login_prefix)
        self.names = NameFactory(rng)
        self.school_id = self._id("school")
        self.data = SchoolData(number, self.school_id, 0)
        self.rows = self.data.rows
        self._days_cache: dict[int, list[dt.date]] = {}
        self.created = local_time(year.starts_on - dt.timedelta(days=7), 10)

    def _id(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def _add(self, table: str, **values: object) -> int:
        row_id = self._id(table)
        self.rows[table].append({"id": row_id, **values})
        return row_id

    # ------------------------------------------------------------------ the whole school
    def build(self) -> SchoolData:
        self._settings()
        self._classes_and_staffing()
        self._staff_accounts()
        self._students_and_families()
        self._teaching()
        self._journal()
        self._logins_history()
        if self.history_rng is not None:  # last, so this year's rows stay as they were
            HistoryBuilder(self, self.history_rng).build()
        return self.data

    def _settings(self) -> None:
        n = SCHOOL_NUMBERS[(self.number - 1) % len(SCHOOL_NUMBERS)]
        self.rows["school"].append(
            {
                "id": self.school_id,
                "name": f"Муниципальное бюджетное общеобразовательное учреждение "
                f"«Средняя общеобразовательная школа № {n}»",
                "short_name": f"МБОУ СОШ № {n}",
                "address": address(self.rng).rsplit(", кв.", 1)[0],
                "timezone": "Europe/Moscow",
                "days_per_week": 5,
                "edit_lock_days": 7,
                "period_mark_publish_days": 1,
                "round_to_5": Decimal("4.50"),
                "round_to_4": Decimal("3.50"),
                "round_to_3": Decimal("2.50"),
                "marks_deadline_hour": 17,
            }
        )
        self.work_types: dict[str, WorkTypeInfo] = {}
        for order, w in enumerate(WORK_TYPES):
            wid = self._add(
                "work_type",
                school_id=self.school_id,
                code=w.code,
                name=w.name,
                abbreviation=w.abbreviation,
                weight=w.weight,
                is_control=w.is_control,
                allows_two_marks=w.allows_two_marks,
                deadline_lessons=w.deadline_lessons,
                deadline_days=w.deadline_days,
                sort_order=order,
            )
            self.work_types[w.code] = WorkTypeInfo(
                wid, w.weight, w.allows_two_marks, w.deadline_lessons, w.deadline_days
            )
        for number, starts, ends in bell_schedule():
            self._add(
                "bell_slot", school_id=self.school_id, number=number, starts_at=starts, ends_at=ends
            )
        self.year_id = self._add(
            "academic_year",
            school_id=self.school_id,
            name=self.year.name,
            starts_on=self.year.starts_on,
            ends_on=self.year.ends_on,
            is_current=True,
        )
        self.periods: list[tuple[int, str, dt.date, dt.date, int, int]] = []
        for p in self.year.periods:
            pid = self._add(
                "period",
                year_id=self.year_id,
                kind=p.kind,
                number=p.number,
                name=p.name,
                starts_on=p.starts_on,
                ends_on=p.ends_on,
                grade_from=p.grade_from,
                grade_to=p.grade_to,
            )
            self.periods.append((pid, p.kind, p.starts_on, p.ends_on, p.grade_from, p.grade_to))
        for h in self.year.holidays:
            self._add(
                "holiday",
                year_id=self.year_id,
                name=h.name,
                starts_on=h.starts_on,
                ends_on=h.ends_on,
                grade_from=h.grade_from,
                grade_to=h.grade_to,
            )
        grades = sorted(self.size.classes_per_grade)
        used = {s for g in grades for s in HOURS[g]}
        self.subject_ids: dict[str, int] = {}
        for order, spec in enumerate(SUBJECTS):
            if spec.name not in used:
                continue
            self.subject_ids[spec.name] = self._add(
                "subject",
                school_id=self.school_id,
                name=spec.name,
                short_name=spec.short_name,
                marked=spec.marked,
                allows_two_marks=spec.two_marks,
                sort_order=order,
            )
        for g in grades:
            for subject, hours in HOURS[g].items():
                self._add(
                    "curriculum_hours",
                    year_id=self.year_id,
                    grade=g,
                    subject_id=self.subject_ids[subject],
                    hours_per_week=Decimal(hours),
                    split_into_subgroups=SUBJECT_BY_NAME[subject].split,
                )

    # ------------------------------------------------------------------ classes and staff
    def _classes_and_staffing(self) -> None:
        self.classes: list[ClassPlan] = []
        for grade, count in sorted(self.size.classes_per_grade.items()):
            for i in range(count):
                self.classes.append(ClassPlan(len(self.classes), grade, LETTERS[i]))
        self.class_ids = [self._id("class_group") for _ in self.classes]
        self.staffing: Staffing = plan_staffing(self.classes, self.rng)
        self.timetable: list[Placed] = plan_timetable(self.classes, self.staffing, self.rng)
        teachers = self.staffing.teachers
        hours_in: Counter[tuple[int, int]] = Counter()
        for a in self.staffing.assignments:
            hours_in[(a.teacher, a.class_index)] += a.hours
        weekdays: dict[int, set[int]] = defaultdict(set)
        for _, day, _, assignment_ids in self.timetable:
            for ai in assignment_ids:
                weekdays[self.staffing.assignments[ai].teacher].add(day)
        today_weekday = self.today.isoweekday()
        maths = [t for t in teachers if t.family == "mathematics"]
        self.demo_teacher = max(
            maths,
            key=lambda t: (
                today_weekday in weekdays[t.index],
                len(weekdays[t.index]),
                t.load,
                -t.index,
            ),
        ).index
        # Class teachers: the primary teacher in grades 1–4; otherwise a teacher of the class.
        self.class_teacher: dict[int, int] = {}
        busy: set[int] = {self.demo_teacher}
        for c in self.classes:
            if c.grade <= 4:
                self.class_teacher[c.index] = next(
                    t.index for t in teachers if t.primary_class == c.index
                )
                continue
            options = sorted(
                (t for t in teachers if c.index in t.classes and t.index not in busy),
                key=lambda t: (-hours_in[(t.index, c.index)], t.index),
            )
            chosen = options[0] if options else teachers[self.demo_teacher]
            self.class_teacher[c.index] = chosen.index
            busy.add(chosen.index)
        first_five = next((c for c in self.classes if c.grade == 5), self.classes[0])
        self.demo_class_teacher = self.class_teacher[first_five.index]
        # A few imperfect teachers, so that control reports find something real.
        eligible = [
            t.index
            for t in teachers
            if t.family not in ("primary", "pe", "arts", "technology")
            and t.index not in (self.demo_teacher, self.demo_class_teacher)
        ]
        self.rng.shuffle(eligible)
        self.imperfect = {
            "late_marks": eligible[0] if eligible else -1,
            "missing_topics": eligible[1 % len(eligible)] if eligible else -1,
            "missing_homework": eligible[2 % len(eligible)] if eligible else -1,
            "ill": eligible[3 % len(eligible)] if eligible else -1,
        }

    def _user(self, login: str, *, created: dt.datetime | None = None) -> tuple[int, str]:
        password = one_time_password(self.rng)
        user_id = self._add(
            "app_user",
            login=login,
            password_hash="",  # filled in by the hashing pool
            is_active=True,
            must_change_password=True,
            failed_logins=0,
            locked_until=None,
            password_changed_at=None,
            last_login_at=None,
            created_at=created or self.created,
        )
        return user_id, password

    def _grant(self, user_id: int, role: str, class_id: int | None = None) -> None:
        self._add(
            "role_grant", user_id=user_id, school_id=self.school_id, role=role, class_id=class_id
        )

    def _staff(self, name: FullName, position: str, room: str, login: str) -> tuple[int, int, str]:
        user_id, password = self._user(login)
        staff_id = self._add(
            "staff",
            school_id=self.school_id,
            user_id=user_id,
            last_name=name.last,
            first_name=name.first,
            middle_name=name.middle,
            gender=name.gender,
            position=position,
            email=email_for(name, self.rng),
            phone=phone(self.rng),
            room=room,
            is_active=True,
        )
        return staff_id, user_id, password

    def _staff_accounts(self) -> None:
        rng = self.rng
        admin_roles = (
            ("admin", Role.ADMIN, "Администратор электронного журнала", "admin"),
            ("director", Role.DIRECTOR, "Директор", "director"),
            ("deputy", Role.DEPUTY, "Заместитель директора по УВР", "deputy"),
            ("secretary", Role.SECRETARY, "Секретарь", "secretary"),
        )
        for key, grant, position, fixed in admin_roles:
            gender = (
                Gender.MALE
                if key in ("admin", "director") and rng.random() < 0.5
                else Gender.FEMALE
            )
            name = self.names.adult(gender)
            room = {"director": "Кабинет директора", "deputy": "Учительская"}.get(key, "Канцелярия")
            login = self.logins.fixed(fixed)
            _, user_id, password = self._staff(name, position, room, login)
            self._grant(user_id, grant)
            if key == "admin":
                self.data.admin_user_id = user_id
            if key == "deputy":
                self.deputy_user_id = user_id
            self.data.accounts.append(Account(user_id, key, login, password, name.full, position))
        self.teacher_staff: dict[int, int] = {}
        self.teacher_user: dict[int, int] = {}
        self.teacher_name: dict[int, FullName] = {}
        class_of_teacher = {t: c for c, t in self.class_teacher.items()}
        for t in self.staffing.teachers:
            female_share = 0.5 if t.family in ("pe", "safety", "technology") else 0.85
            gender = Gender.FEMALE if rng.random() < female_share else Gender.MALE
            name = self.names.adult(gender)
            if t.index == self.demo_teacher:
                login = self.logins.fixed("teacher")
            elif t.index == self.demo_class_teacher:
                login = self.logins.fixed("classteacher")
            else:
                login = self.logins.for_name(name)
            csv_role = str(Role.TEACHER)
            staff_id, user_id, password = self._staff(name, FAMILY_TITLES[t.family], t.room, login)
            self.teacher_staff[t.index] = staff_id
            self.teacher_user[t.index] = user_id
            self.teacher_name[t.index] = name
            self._grant(user_id, Role.TEACHER)
            detail = FAMILY_TITLES[t.family]
            if t.index in class_of_teacher:
                own = class_of_teacher[t.index]
                self._grant(user_id, Role.CLASS_TEACHER, self.class_ids[own])
                csv_role = str(Role.CLASS_TEACHER)
                detail = self.classes[own].label
            self.data.accounts.append(
                Account(user_id, csv_role, login, password, name.full, detail)
            )
        for c in self.classes:
            t = self.staffing.teachers[self.class_teacher[c.index]]
            self.rows["class_group"].append(
                {
                    "id": self.class_ids[c.index],
                    "school_id": self.school_id,
                    "year_id": self.year_id,
                    "grade": c.grade,
                    "letter": c.letter,
                    "class_teacher_id": self.teacher_staff[t.index],
                    "room": t.room,
                }
            )

    # ------------------------------------------------------------------ students and families
    def _students_and_families(self) -> None:
        rng = self.rng
        low, high = self.size.students
        sizes = [rng.randint(low, high) for _ in self.classes]
        students, families, demo_family = make_families(
            [(c.index, c.grade) for c in self.classes], sizes, self.year.start_year, rng
        )
        self.students: list[StudentPlan] = students
        protected = set(families[demo_family].children) if demo_family >= 0 else set()
        self._transfers(protected)
        # Subgroups: the class list in alphabetical order, split in two halves.
        by_class: dict[int, list[StudentPlan]] = defaultdict(list)
        for s in students:
            by_class[s.class_index].append(s)
        self.members: dict[int, list[int]] = {}
        for c, items in by_class.items():
            items.sort(key=lambda s: (s.name.last, s.name.first, s.index))
            self.members[c] = [s.index for s in items]
            half = (len(items) + 1) // 2
            for pos, s in enumerate(items):
                s.subgroup = 1 if pos < half else 2
        self.student_ids: list[int] = []
        self.student_user: list[int] = []
        demo_student = -1
        if demo_family >= 0:
            demo_student = max(
                families[demo_family].children,
                key=lambda i: self.classes[students[i].class_index].grade,
            )
        self.demo_student = demo_student
        for s in students:
            cls = self.classes[s.class_index]
            login = (
                self.logins.fixed("student")
                if s.index == demo_student
                else self.logins.for_name(s.name)
            )
            user_id, password = self._user(login)
            s.login = login
            fam = families[s.family]
            student_id = self._add(
                "student",
                school_id=self.school_id,
                user_id=user_id,
                last_name=s.name.last,
                first_name=s.name.first,
                middle_name=s.name.middle,
                gender=s.name.gender,
                birth_date=s.birth_date,
                birth_certificate=birth_certificate(rng) if cls.grade < 9 else "",
                snils=snils(rng),
                address=fam.address,
                phone=phone(rng) if cls.grade >= 5 else "",
                email="",
                health_group=rng.choice(("основная",) * 6 + ("подготовительная", "специальная")),
                class_id=None if s.left_on else self.class_ids[cls.index],
                is_active=s.left_on is None,
            )
            self.student_ids.append(student_id)
            self.student_user.append(user_id)
            self._grant(user_id, Role.STUDENT)
            self.data.accounts.append(
                Account(user_id, "student", login, password, s.name.full, cls.label)
            )
            self._enrolment(s, student_id)
        self.parent_users: list[tuple[int, str]] = []
        users = {row["id"]: row for row in self.rows["app_user"]}
        for fam in families:
            children = [students[i] for i in fam.children]
            detail = "; ".join(
                f"{child.name.last} {child.name.first} ({self.classes[child.class_index].label})"
                for child in children
            )
            consents: list[dict[str, object]] = []
            family_users = [self.student_user[child.index] for child in children]
            for pos, (name, relation) in enumerate(fam.parents):
                if fam.index == demo_family and pos == 0:
                    login = self.logins.fixed("parent")
                else:
                    login = self.logins.for_name(name)
                user_id, password = self._user(login)
                users[user_id] = self.rows["app_user"][-1]
                family_users.append(user_id)
                parent_id = self._add(
                    "parent",
                    school_id=self.school_id,
                    user_id=user_id,
                    last_name=name.last,
                    first_name=name.first,
                    middle_name=name.middle,
                    gender=name.gender,
                    phone=phone(rng),
                    email=email_for(name, rng) if rng.random() < 0.6 else "",
                )
                self._grant(user_id, Role.PARENT)
                self.parent_users.append((user_id, login))
                self.data.accounts.append(
                    Account(user_id, "parent", login, password, name.full, detail)
                )
                for child in children:
                    self._add(
                        "parent_link",
                        parent_id=parent_id,
                        student_id=self.student_ids[child.index],
                        relation=relation,
                    )
                    consents.append(
                        {
                            "parent_id": parent_id,
                            "student_id": self.student_ids[child.index],
                            "given": rng.random() < 0.97,
                            "signed_on": self.year.starts_on
                            - dt.timedelta(days=rng.randrange(1, 10)),
                        }
                    )
            # A family refuses as a whole [003 §5.2]: no diary accounts (they are blocked),
            # paper copies instead. The demo family always consents.
            refused = fam.index != demo_family and not all(row["given"] for row in consents)
            for row in consents:
                self._add(
                    "consent",
                    **{**row, "given": not refused},
                    withdrawn_on=None,
                    document="Отказ от обработки персональных данных"
                    if refused
                    else "Согласие на обработку персональных данных",
                    form="paper",
                )
            if refused:
                for user_id in family_users:
                    users[user_id]["is_active"] = False

    def _transfers(self, protected: set[int]) -> None:
        """A few students arrive during the year and a few leave, with order numbers."""
        rng = self.rng
        days = self.year.school_days(11, self.today)
        if len(days) < 25:
            return
        window = days[10:-5]
        pool = [s for s in self.students if s.index not in protected]
        count = max(1, len(self.students) // 100)
        picks = rng.sample(pool, min(len(pool), 2 * count))
        for s in picks[:count]:
            s.arrived_on = rng.choice(window)
        for s in picks[count:]:
            s.left_on = rng.choice(window)

    def _order(self, day: dt.date, suffix: str) -> str:
        return f"№ {self.rng.randrange(20, 240)}-{suffix} от {day:%d.%m.%Y}"

    def _enrolment(self, s: StudentPlan, student_id: int) -> None:
        start = s.arrived_on or self.year.starts_on
        kind = EnrolmentKind.ARRIVED if s.arrived_on else EnrolmentKind.START
        order_day = start if s.arrived_on else self.year.starts_on - dt.timedelta(days=3)
        self._add(
            "enrolment",
            student_id=student_id,
            class_id=self.class_ids[s.class_index],
            kind=kind,
            starts_on=start,
            order_number=self._order(order_day, "у"),
            ends_on=s.left_on,
            leave_kind=LeaveKind.LEFT if s.left_on else None,
            leave_order_number=self._order(s.left_on, "в") if s.left_on else "",
        )

    # ------------------------------------------------------------------ teaching
    def _teaching(self) -> None:
        rng = self.rng
        subgroup_ids: dict[tuple[int, str, int], int] = {}
        for c in self.classes:
            for subject in HOURS[c.grade]:
                if not SUBJECT_BY_NAME[subject].split:
                    continue
                for g in (1, 2):
                    sid = self._add(
                        "subgroup",
                        class_id=self.class_ids[c.index],
                        subject_id=self.subject_ids[subject],
                        name=f"Группа {g}",
                    )
                    subgroup_ids[(c.index, subject, g)] = sid
                    for s in self.members.get(c.index, []):
                        if self.students[s].subgroup == g:
                            self._add(
                                "subgroup_member", subgroup_id=sid, student_id=self.student_ids[s]
                            )
        slots: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for _, day, number, assignment_ids in self.timetable:
            for ai in assignment_ids:
                slots[ai].append((day, number))
        self.assignment_infos: list[AssignmentInfo] = []
        self.teacher_for: dict[tuple[int, str], int] = {}
        severity = {t.index: rng.gauss(0.0, 0.22) for t in self.staffing.teachers}
        self.severity = severity
        skipped_done = False
        forgetful = (self.imperfect["late_marks"], self.imperfect["missing_homework"])
        ktp_plans: list[tuple[int, int, int, str]] = []  # assignment, teacher, grade, subject
        for a in self.staffing.assignments:
            c = self.classes[a.class_index]
            spec = SUBJECT_BY_NAME[a.subject]
            teacher: TeacherPlan = self.staffing.teachers[a.teacher]
            aid = self._add(
                "teaching_assignment",
                year_id=self.year_id,
                teacher_id=self.teacher_staff[a.teacher],
                class_id=self.class_ids[c.index],
                subgroup_id=subgroup_ids.get((c.index, a.subject, a.subgroup)),
                subject_id=self.subject_ids[a.subject],
                hours_per_week=Decimal(a.hours),
            )
            for day, number in sorted(slots[a.index]):
                self._add(
                    "timetable_slot",
                    assignment_id=aid,
                    weekday=day,
                    number=number,
                    room=teacher.room,
                    valid_from=self.year.starts_on,
                    valid_to=None,
                )
            weekdays = {d for d, _ in slots[a.index]}
            dates = [
                (d, n)
                for d in self._school_days(c.grade)
                if d.isoweekday() in weekdays
                for wd, n in sorted(slots[a.index])
                if wd == d.isoweekday()
            ]
            marked = spec.marked and c.grade >= 2
            plan_lines = build_plan(a.subject, c.grade, len(dates), marked=marked, rng=rng)
            plan: list[tuple[int, str, str | None]] = []
            for line, (planned, _) in zip(plan_lines, dates, strict=False):
                wt = self.work_types[line.work_type].id if line.work_type else None
                pid = self._add(
                    "thematic_plan_item",
                    assignment_id=aid,
                    number=line.number,
                    topic=line.topic,
                    hours=1,
                    work_type_id=wt,
                    planned_on=planned,
                )
                plan.append((pid, line.topic, line.work_type))
            if plan:
                ktp_plans.append((aid, a.teacher, c.grade, a.subject))
            members = [
                s
                for s in self.members.get(c.index, [])
                if a.subgroup == 0 or self.students[s].subgroup == a.subgroup
            ]
            for s in members:
                self.teacher_for[(s, a.subject)] = self.teacher_user[a.teacher]
            skipped = None
            if (
                not skipped_done
                and marked
                and a.teacher == self.imperfect["late_marks"]
                and members
            ):
                candidates = [s for s in members if s != self.demo_student]
                skipped = candidates[len(candidates) // 2] if candidates else None
                skipped_done = skipped is not None
            self.assignment_infos.append(
                AssignmentInfo(
                    id=aid,
                    class_index=c.index,
                    grade=c.grade,
                    subject=a.subject,
                    subject_id=self.subject_ids[a.subject],
                    marked=marked,
                    two_marks=spec.two_marks,
                    difficulty=spec.difficulty,
                    teacher_user_id=self.teacher_user[a.teacher],
                    room=teacher.room,
                    severity=severity[a.teacher],
                    members=members,
                    slots=sorted(slots[a.index]),
                    plan=plan,
                    late_marks=a.teacher == self.imperfect["late_marks"],
                    missing_topics=a.teacher == self.imperfect["missing_topics"],
                    missing_homework=a.teacher == self.imperfect["missing_homework"],
                    skipped_student=skipped,
                    forgets_control_marks=a.teacher in forgetful,
                    skips_control_work=a.teacher == self.imperfect["missing_topics"],
                    ill=a.teacher == self.imperfect["ill"],
                )
            )

        self._ktp_review(ktp_plans)

    def _ktp_review(self, plans: list[tuple[int, int, int, str]]) -> None:
        """The deputy approved every plan before the year [002 §7.5]; two teachers have
        just re-sent theirs for review (a school's usual November), so the deputy's «КТП»
        page has work. The demo accounts' plans stay approved (their pick-lists work)."""
        approved_at = local_time(self.year.starts_on - dt.timedelta(days=3), 11)
        keep = {self.demo_teacher, self.demo_class_teacher, *self.imperfect.values()}
        under_review: set[int] = set()
        teachers: set[int] = set()
        for aid, teacher, grade, subject in plans:
            if (
                len(under_review) < 2
                and teacher not in keep
                and teacher not in teachers
                and grade >= 5
                and not SUBJECT_BY_NAME[subject].split
            ):
                under_review.add(aid)
                teachers.add(teacher)
        rows = {r["id"]: r for r in self.rows["teaching_assignment"]}
        for aid, *_ in plans:
            row = rows[aid]
            if aid in under_review:
                row["ktp_status"] = KtpStatus.SUBMITTED.value
            else:
                row["ktp_status"] = KtpStatus.APPROVED.value
                row["ktp_reviewed_by"] = self.deputy_user_id
                row["ktp_reviewed_at"] = approved_at

    def _school_days(self, grade: int) -> list[dt.date]:
        if grade not in self._days_cache:
            self._days_cache[grade] = self.year.school_days(grade)
        return self._days_cache[grade]

    # ------------------------------------------------------------------ the journal
    def _journal(self) -> None:
        infos = [
            StudentInfo(
                id=self.student_ids[s.index],
                class_index=s.class_index,
                ability=s.ability,
                frailty=s.frailty,
                first_day=s.arrived_on or self.year.starts_on,
                last_day=s.left_on or self.year.ends_on,
            )
            for s in self.students
        ]
        grades = {c.index: c.grade for c in self.classes}
        builder = JournalBuilder(
            year=self.year,
            today=self.today,
            assignments=self.assignment_infos,
            students=infos,
            class_grades=grades,
            work_types=self.work_types,
            next_id=self.ids,
            rng=self.rng,
        )
        journal = builder.build()
        self.affinity = builder.affinity
        marked = {
            name: sid for name, sid in self.subject_ids.items() if SUBJECT_BY_NAME[name].marked
        }
        period_marks(
            journal=journal,
            periods=self.periods,
            today=self.today,
            students=infos,
            class_grades=grades,
            subjects=marked,
            teacher_for=self.teacher_for,
            thresholds=Thresholds.of(SimpleNamespace(**self.rows["school"][0])),
            next_id=self.ids,
            rng=self.rng,
        )
        self.rows["lesson"] = journal.lessons
        self.rows["attendance"] = journal.attendance
        self.rows["mark"] = journal.marks
        self.rows["period_mark"] = journal.period_marks

    def _logins_history(self) -> None:
        users = [(uid, login, "parent") for uid, login in self.parent_users]
        users += [
            (self.student_user[s.index], s.login, "student")
            for s in self.students
            if self.classes[s.class_index].grade >= 3 and s.left_on is None
        ]
        rows, last = login_events(
            users=users,
            start=self.year.starts_on,
            today=min(self.today, self.year.ends_on),
            next_id=self.ids,
            rng=self.rng,
        )
        self.rows["login_event"] = rows
        for row in self.rows["app_user"]:
            uid = row["id"]
            if isinstance(uid, int) and uid in last:
                row["last_login_at"] = last[uid]
