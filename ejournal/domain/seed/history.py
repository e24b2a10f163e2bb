"""The previous school year: history for forecasts to learn from and to be checked against.

Last year's school is this year's one grade lower: every current class of grade 2 or above
was last year's class of the same letter one grade below, with the same students except
those who arrived this year. This year's 1st grades did not exist; last year's leavers
(its 11th grade) are left out, so every student of last year is a student of today.
Teachers mostly follow their class into the next grade; a primary teacher whose 4th grade
went on to the 5th now leads a 1st grade.

Everything is drawn from a generator of its own, after the current year is built: the
current year's rows are exactly those of a seed without history. Students keep their
ability (with a little drift) and their liking for each subject, so last year's marks
predict this year's. Periods are all closed, with quarter, half-year and year marks, and
a summary-sheet decision (promoted) for every student.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING

from ejournal.domain.grading import Thresholds
from ejournal.domain.models import EnrolmentKind, KtpStatus, PeriodKind, YearDecision
from ejournal.domain.seed.curriculum import HOURS, SUBJECT_BY_NAME, SUBJECTS
from ejournal.domain.seed.records import (
    AssignmentInfo,
    JournalBuilder,
    StudentInfo,
    local_time,
    period_marks,
)
from ejournal.domain.seed.schoolyear import SchoolYear, build_year
from ejournal.domain.seed.timetable import (
    PRIMARY_SPECIALISTS,
    AssignmentPlan,
    ClassPlan,
    Placed,
    Staffing,
    TimetableError,
    plan_timetable,
)
from ejournal.domain.seed.topics import build_plan

if TYPE_CHECKING:
    from ejournal.domain.seed.build import SchoolBuilder

#: How much a student's ability moved since last year (its spread is 1).
ABILITY_DRIFT = 0.3


class HistoryBuilder:
    """Adds the previous academic year's rows to a built school (`SchoolBuilder.rows`)."""

    def __init__(self, school: SchoolBuilder, rng: random.Random) -> None:
        self.s = school
        self.rng = rng
        self.year: SchoolYear = build_year(school.year.start_year - 1)

    def build(self) -> None:
        self._calendar()
        self._classes()
        self._students()
        self._staffing()
        self._teaching()
        self._journal()
        self._outcomes()

    # ------------------------------------------------------------------ the calendar
    def _calendar(self) -> None:
        s, year = self.s, self.year
        self.year_id = s._add(
            "academic_year",
            school_id=s.school_id,
            name=year.name,
            starts_on=year.starts_on,
            ends_on=year.ends_on,
            is_current=False,
        )
        self.periods: list[tuple[int, str, dt.date, dt.date, int, int]] = []
        for p in year.periods:
            pid = s._add(
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
        for h in year.holidays:
            s._add(
                "holiday",
                year_id=self.year_id,
                name=h.name,
                starts_on=h.starts_on,
                ends_on=h.ends_on,
                grade_from=h.grade_from,
                grade_to=h.grade_to,
            )

    # ------------------------------------------------------------------ classes
    def _classes(self) -> None:
        """Last year's classes, in grade order: each current class of grade ≥ 2, one lower."""
        s = self.s
        self.classes: list[ClassPlan] = []
        self.successor: dict[int, int] = {}  # last year's class index → this year's
        for c in s.classes:
            if c.grade < 2:
                continue
            self.successor[len(self.classes)] = c.index
            self.classes.append(ClassPlan(len(self.classes), c.grade - 1, c.letter))
        self.class_ids = [s._id("class_group") for _ in self.classes]
        self.grades = {c.index: c.grade for c in self.classes}
        for order, spec in enumerate(SUBJECTS):  # subjects only last year's grades had
            if spec.name in s.subject_ids or not any(
                spec.name in HOURS[c.grade] for c in self.classes
            ):
                continue
            s.subject_ids[spec.name] = s._add(
                "subject",
                school_id=s.school_id,
                name=spec.name,
                short_name=spec.short_name,
                marked=spec.marked,
                allows_two_marks=spec.two_marks,
                sort_order=order,
            )
        for g in sorted({c.grade for c in self.classes}):
            for subject, hours in HOURS[g].items():
                s._add(
                    "curriculum_hours",
                    year_id=self.year_id,
                    grade=g,
                    subject_id=s.subject_ids[subject],
                    hours_per_week=Decimal(hours),
                    split_into_subgroups=SUBJECT_BY_NAME[subject].split,
                )

    # ------------------------------------------------------------------ students
    def _students(self) -> None:
        """Who was in which class (everyone but this year's arrivals), subgroups, enrolments."""
        s, rng, year = self.s, self.rng, self.year
        previous = {now: before for before, now in self.successor.items()}
        self.class_of: dict[int, int] = {}  # student index → last year's class index
        self.members: dict[int, list[int]] = defaultdict(list)
        for st in s.students:
            if st.arrived_on is not None or st.class_index not in previous:
                continue
            self.class_of[st.index] = previous[st.class_index]
        self.subgroup: dict[int, int] = {}
        by_class: dict[int, list[int]] = defaultdict(list)
        for i, c in self.class_of.items():
            by_class[c].append(i)
        for c in sorted(by_class):
            items = sorted(by_class[c], key=lambda i: (s.students[i].name.last,
                                                       s.students[i].name.first, i))  # fmt: skip
            self.members[c] = items
            half = (len(items) + 1) // 2
            for pos, i in enumerate(items):
                self.subgroup[i] = 1 if pos < half else 2
        self.ability = {
            i: s.students[i].ability + rng.gauss(0.0, ABILITY_DRIFT) for i in sorted(self.class_of)
        }
        order_day = year.starts_on - dt.timedelta(days=3)
        for i in sorted(self.class_of):
            s._add(
                "enrolment",
                student_id=s.student_ids[i],
                class_id=self.class_ids[self.class_of[i]],
                kind=EnrolmentKind.START,
                starts_on=year.starts_on,
                order_number=f"№ {rng.randrange(20, 240)}-у от {order_day:%d.%m.%Y}",
                ends_on=year.ends_on,
                leave_kind=None,
                leave_order_number="",
            )

    # ------------------------------------------------------------------ who taught what
    def _staffing(self) -> None:
        """Teachers follow their class: last year's 6 «А» maths teacher is this year's 7 «А»
        one where the subject goes on; otherwise the least loaded teacher of the subject."""
        s, rng = self.s, self.rng
        teachers = s.staffing.teachers
        now: dict[tuple[int, str, int], int] = {
            (a.class_index, a.subject, a.subgroup): a.teacher for a in s.staffing.assignments
        }
        by_subject: dict[str, list[int]] = defaultdict(list)
        for a in s.staffing.assignments:
            if teachers[a.teacher].family != "primary" and a.teacher not in by_subject[a.subject]:
                by_subject[a.subject].append(a.teacher)
        by_family: dict[str, list[int]] = defaultdict(list)
        for t in teachers:
            by_family[t.family].append(t.index)
        primary_of = {t.primary_class: t.index for t in teachers if t.primary_class is not None}
        current_by_label = {(c.grade, c.letter): c.index for c in s.classes}
        # Primary teachers whose class is a 1st grade now were free to lead last year's 4th.
        free = [primary_of[c.index] for c in s.classes if c.grade == 1 and c.index in primary_of]
        load: Counter[int] = Counter()
        self.primary: dict[int, int] = {}
        for c in self.classes:
            if c.grade > 4:
                continue
            nxt = s.classes[self.successor[c.index]]
            teacher = primary_of.get(nxt.index) if nxt.grade <= 4 else None
            if teacher is None:
                first = current_by_label.get((1, c.letter))
                teacher = primary_of.get(first) if first is not None else None
                if teacher is None or teacher not in free:
                    teacher = free[0] if free else min(by_family["primary"], key=load.__getitem__)
                if teacher in free:
                    free.remove(teacher)
            self.primary[c.index] = teacher
        # The class teacher: the primary teacher in grades 1–4, else this year's, who followed.
        self.class_teacher: dict[int, int] = {}
        for c in self.classes:
            leader = (
                self.primary[c.index] if c.grade <= 4 else s.class_teacher[self.successor[c.index]]
            )
            self.class_teacher[c.index] = leader
            s.rows["class_group"].append(
                {
                    "id": self.class_ids[c.index],
                    "school_id": s.school_id,
                    "year_id": self.year_id,
                    "grade": c.grade,
                    "letter": c.letter,
                    "class_teacher_id": s.teacher_staff[leader],
                    "room": teachers[leader].room,
                }
            )
        plans: list[AssignmentPlan] = []
        for c in self.classes:
            successor = self.successor[c.index]
            for subject, hours in HOURS[c.grade].items():
                spec = SUBJECT_BY_NAME[subject]
                groups = (1, 2) if spec.split else (0,)
                first_teacher = -1
                for g in groups:
                    if c.grade <= 4 and subject not in PRIMARY_SPECIALISTS:
                        teacher = self.primary[c.index]
                    else:
                        found = now.get((successor, subject, g))
                        if found is None or teachers[found].family == "primary":
                            pool = (
                                by_subject.get(subject)
                                or by_family.get(spec.family)
                                or [t.index for t in teachers if t.family != "primary"]
                            )
                            others = [t for t in pool if t != first_teacher] or pool
                            found = min(others, key=lambda t: (load[t], t))
                        teacher = found
                    if g == 1:
                        first_teacher = teacher
                    load[teacher] += hours
                    plans.append(AssignmentPlan(len(plans), c.index, subject, g, teacher, hours))
        self.staffing = Staffing(teachers, plans)
        try:
            self.timetable = plan_timetable(self.classes, self.staffing, rng)
        except TimetableError:  # never seen; a plain round-robin week keeps the seed going
            self.timetable = self._plain_week()

    def _plain_week(self) -> list[Placed]:
        per_class: dict[int, list[int]] = defaultdict(list)
        for a in self.staffing.assignments:
            per_class[a.class_index].extend([a.index] * a.hours)
        week: list[Placed] = []
        for c, items in per_class.items():
            for k, ai in enumerate(items):
                week.append((c, 1 + k % 5, 1 + k // 5, (ai,)))
        return week

    # ------------------------------------------------------------------ assignments and КТП
    def _teaching(self) -> None:
        s, rng, year = self.s, self.rng, self.year
        subgroup_ids: dict[tuple[int, str, int], int] = {}
        for c in self.classes:
            for subject in HOURS[c.grade]:
                if not SUBJECT_BY_NAME[subject].split:
                    continue
                for g in (1, 2):
                    sid = s._add(
                        "subgroup",
                        class_id=self.class_ids[c.index],
                        subject_id=s.subject_ids[subject],
                        name=f"Группа {g}",
                    )
                    subgroup_ids[(c.index, subject, g)] = sid
                    for i in self.members.get(c.index, []):
                        if self.subgroup[i] == g:
                            s._add("subgroup_member", subgroup_id=sid, student_id=s.student_ids[i])
        slots: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for _, day, number, assignment_ids in self.timetable:
            for ai in assignment_ids:
                slots[ai].append((day, number))
        days_of: dict[int, list[dt.date]] = {}
        self.infos: list[AssignmentInfo] = []
        self.teacher_for: dict[tuple[int, str], int] = {}
        for a in self.staffing.assignments:
            c = self.classes[a.class_index]
            spec = SUBJECT_BY_NAME[a.subject]
            teacher = self.staffing.teachers[a.teacher]
            aid = s._add(
                "teaching_assignment",
                year_id=self.year_id,
                teacher_id=s.teacher_staff[a.teacher],
                class_id=self.class_ids[c.index],
                subgroup_id=subgroup_ids.get((c.index, a.subject, a.subgroup)),
                subject_id=s.subject_ids[a.subject],
                hours_per_week=Decimal(a.hours),
            )
            if c.grade not in days_of:
                days_of[c.grade] = year.school_days(c.grade)
            own = sorted(slots[a.index])
            weekdays = {d for d, _ in own}
            dates = [
                (d, n)
                for d in days_of[c.grade]
                if d.isoweekday() in weekdays
                for wd, n in own
                if wd == d.isoweekday()
            ]
            marked = spec.marked and c.grade >= 2
            plan: list[tuple[int, str, str | None]] = []
            for line, (planned, _) in zip(
                build_plan(a.subject, c.grade, len(dates), marked=marked, rng=rng),
                dates,
                strict=False,
            ):
                pid = s._add(
                    "thematic_plan_item",
                    assignment_id=aid,
                    number=line.number,
                    topic=line.topic,
                    hours=1,
                    work_type_id=s.work_types[line.work_type].id if line.work_type else None,
                    planned_on=planned,
                )
                plan.append((pid, line.topic, line.work_type))
            if plan:  # a past year's plans were all approved before it began [002 §7.5]
                row = s.rows["teaching_assignment"][-1]
                assert row["id"] == aid
                row["ktp_status"] = KtpStatus.APPROVED.value
                row["ktp_reviewed_by"] = s.deputy_user_id
                row["ktp_reviewed_at"] = local_time(year.starts_on - dt.timedelta(days=3), 11)
            members = [
                i
                for i in self.members.get(c.index, [])
                if a.subgroup == 0 or self.subgroup[i] == a.subgroup
            ]
            for i in members:
                self.teacher_for[(i, a.subject)] = s.teacher_user[a.teacher]
            self.infos.append(
                AssignmentInfo(
                    id=aid,
                    class_index=c.index,
                    grade=c.grade,
                    subject=a.subject,
                    subject_id=s.subject_ids[a.subject],
                    marked=marked,
                    two_marks=spec.two_marks,
                    difficulty=spec.difficulty,
                    teacher_user_id=s.teacher_user[a.teacher],
                    room=teacher.room,
                    severity=s.severity[a.teacher],
                    members=members,
                    slots=own,
                    plan=plan,
                )
            )

    # ------------------------------------------------------------------ the journal
    def _journal(self) -> None:
        s, year = self.s, self.year
        self.students = [
            StudentInfo(
                id=s.student_ids[st.index],
                class_index=self.class_of.get(st.index, 0),
                ability=self.ability.get(st.index, st.ability),
                frailty=st.frailty,
                first_day=year.starts_on,
                last_day=year.ends_on,
            )
            for st in s.students
        ]
        after = s.year.starts_on  # every period of last year is closed
        builder = JournalBuilder(
            year=year,
            today=after,
            assignments=self.infos,
            students=self.students,
            class_grades=self.grades,
            work_types=s.work_types,
            next_id=s.ids,
            rng=self.rng,
        )
        # A student's liking for a subject carries over from this year's journal.
        builder.affinity.update(s.affinity)
        journal = builder.build()
        marked = {name: sid for name, sid in s.subject_ids.items() if SUBJECT_BY_NAME[name].marked}
        period_marks(
            journal=journal,
            periods=self.periods,
            today=after,
            students=self.students,
            class_grades=self.grades,
            subjects=marked,
            teacher_for=self.teacher_for,
            thresholds=Thresholds.of(SimpleNamespace(**s.rows["school"][0])),
            next_id=s.ids,
            rng=self.rng,
        )
        s.rows["lesson"].extend(journal.lessons)
        s.rows["attendance"].extend(journal.attendance)
        s.rows["mark"].extend(journal.marks)
        s.rows["period_mark"].extend(journal.period_marks)
        self.year_marks: dict[int, list[int]] = defaultdict(list)
        year_period = next(pid for pid, kind, *_ in self.periods if kind == PeriodKind.YEAR)
        for row in journal.period_marks:
            if row["period_id"] == year_period and isinstance(row["value"], int):
                self.year_marks[int(str(row["student_id"]))].append(row["value"])

    # ------------------------------------------------------------------ the summary sheet
    def _outcomes(self) -> None:
        """The teachers' council promoted everyone (conditionally with a «2» for the year);
        the 9th grade completed basic education and went on to the 10th."""
        s, rng = self.s, self.rng
        council = self.year.ends_on + dt.timedelta(days=3)
        order = f"№ {rng.randrange(60, 160)}-о от {council:%d.%m.%Y}"
        for i in sorted(self.class_of):
            c = self.classes[self.class_of[i]]
            student_id = s.student_ids[i]
            if c.grade == 9:
                decision = YearDecision.GRADUATED
            elif 2 in self.year_marks.get(student_id, []):
                decision = YearDecision.PROMOTED_CONDITIONALLY
            else:
                decision = YearDecision.PROMOTED
            s._add(
                "year_outcome",
                student_id=student_id,
                year_id=self.year_id,
                decision=str(decision),
                order_number=order,
                decided_on=council,
                author_id=s.teacher_user[self.class_teacher[c.index]],
            )
