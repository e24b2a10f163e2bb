"""The journal's records: lessons, attendance, marks, period marks and login history.

Everything is generated as plain dicts ready for a bulk insert; one seeded random
generator drives it, so a seed always gives the same journal.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from ejournal.domain.grading import Thresholds, weighted_average
from ejournal.domain.models import AttendanceStatus, LoginEventKind
from ejournal.domain.seed.curriculum import WORK_TYPES
from ejournal.domain.seed.schoolyear import SchoolYear
from ejournal.domain.seed.topics import homework

SCHOOL_TZ = ZoneInfo("Europe/Moscow")
FIRST_BELL = dt.time(8, 30)
LESSON_MINUTES = 45
BREAKS = (10, 20, 20, 10, 10, 10, 10, 10)  # minutes after lessons 1, 2, …

Row = dict[str, object]


def bell_schedule() -> list[tuple[int, dt.time, dt.time]]:
    """(number, starts, ends) for lessons 1–8: 8:30, 45-minute lessons, two long breaks."""
    rows = []
    start = dt.datetime.combine(dt.date(2000, 1, 1), FIRST_BELL)
    for number, pause in enumerate(BREAKS, start=1):
        end = start + dt.timedelta(minutes=LESSON_MINUTES)
        rows.append((number, start.time(), end.time()))
        start = end + dt.timedelta(minutes=pause)
    return rows


_BELLS = {n: (s, e) for n, s, e in bell_schedule()}


def local_time(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A school-local wall time as an aware UTC datetime."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SCHOOL_TZ).astimezone(
        dt.UTC
    )


def lesson_end(day: dt.date, number: int) -> dt.datetime:
    end = _BELLS[number][1]
    return local_time(day, end.hour, end.minute)


@dataclass
class AssignmentInfo:
    """What the journal generator needs to know about one teaching assignment."""

    id: int
    class_index: int
    grade: int
    subject: str
    subject_id: int
    marked: bool  # the subject is marked and the grade is 2 or above
    two_marks: bool
    difficulty: float
    teacher_user_id: int
    room: str
    severity: float
    members: list[int]  # student indices (the class or the subgroup)
    slots: list[tuple[int, int]]  # (weekday, number)
    plan: list[tuple[int, str, str | None]]  # (plan item id, topic, work type code)
    late_marks: bool = False
    missing_topics: bool = False
    missing_homework: bool = False
    skipped_student: int | None = None  # a student the teacher forgot to mark
    forgets_control_marks: bool = False  # leaves one present student unmarked at control works
    skips_control_work: bool = False  # the year's first control work gave way to revision
    ill: bool = False  # the teacher was ill for a week: those lessons were cancelled


@dataclass
class StudentInfo:
    id: int
    class_index: int
    ability: float
    frailty: float
    first_day: dt.date
    last_day: dt.date


@dataclass
class WorkTypeInfo:
    id: int
    weight: Decimal
    allows_two_marks: bool
    deadline_lessons: int
    deadline_days: int


@dataclass
class Journal:
    lessons: list[Row] = field(default_factory=list)
    attendance: list[Row] = field(default_factory=list)
    marks: list[Row] = field(default_factory=list)
    period_marks: list[Row] = field(default_factory=list)
    # (student index, subject) → [(date, value, weight)] for period marks
    scores: dict[tuple[int, str], list[tuple[dt.date, int, Decimal]]] = field(
        default_factory=lambda: defaultdict(list)
    )


#: What `topics.homework` writes when a lesson has no homework on purpose.
NO_HOMEWORK = "не задано"
#: Work types that are control works: every present student gets a mark [004 §5.7].
CONTROL_CODES = frozenset(w.code for w in WORK_TYPES if w.is_control)
#: What a lesson planned for a control work was used for instead.
REVISION_TOPIC = "Повторение и обобщение изученного"


def spread(n: int) -> int:
    """A well-mixed number from an id (Knuth's multiplicative hash), for choices that must
    not draw from the shared generator."""
    return (n * 2_654_435_761) % 4_294_967_296


EXCUSE_ILLNESS = ("болезнь", "справка", "болезнь, справка от врача")
EXCUSE_OTHER = ("семейные обстоятельства", "соревнования", "заявление родителей", "олимпиада")


class JournalBuilder:
    def __init__(
        self,
        *,
        year: SchoolYear,
        today: dt.date,
        assignments: list[AssignmentInfo],
        students: list[StudentInfo],
        class_grades: dict[int, int],
        work_types: dict[str, WorkTypeInfo],
        next_id: dict[str, int],
        rng: random.Random,
    ) -> None:
        self.year = year
        self.today = today
        self.assignments = assignments
        self.students = students
        self.class_grades = class_grades
        self.work_types = work_types
        self.ids = next_id
        self.rng = rng
        self.journal = Journal()
        self.last_day = min(today, year.ends_on)
        # lesson skeleton: assignment → [(lesson id, date, number)]
        self.by_assignment: dict[int, list[tuple[int, dt.date, int]]] = defaultdict(list)
        self.absent: dict[tuple[int, int], str] = {}  # (student index, lesson id) → status
        self.affinity: dict[tuple[int, str], float] = {}
        self.index_of = {a.id: i for i, a in enumerate(assignments)}
        # Students who got a 2 in the lesson being marked (False: the mark was not kept).
        self.twos: list[tuple[int, bool]] = []
        self.first_absence: dict[int, dt.datetime] = {}  # lesson id → first attendance row
        self.ill_days = self._ill_week()
        self.cancelled: set[int] = set()  # lessons cancelled while their teacher was ill
        # Marks drawn while this is set are not kept: the generator draws exactly as if they
        # were, so the rest of the journal stays as it was.
        self.discarding = False

    def _id(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def build(self) -> Journal:
        self._skeleton()
        self.cancelled = {
            lesson_id
            for i, a in enumerate(self.assignments)
            if a.ill
            for lesson_id, day, _ in self.by_assignment[i]
            if day in self.ill_days
        }
        self._attendance()
        if self.cancelled:  # drawn as if held (same generator state); nobody was marked there
            self.journal.attendance = [
                r for r in self.journal.attendance if r["lesson_id"] not in self.cancelled
            ]
        for row in self.journal.attendance:
            lesson_id, created = row["lesson_id"], row["created_at"]
            assert isinstance(lesson_id, int) and isinstance(created, dt.datetime)
            first = self.first_absence.get(lesson_id)
            if first is None or created < first:
                self.first_absence[lesson_id] = created
        for a in self.assignments:
            self._lessons_and_marks(a)
        return self.journal

    def _ill_week(self) -> frozenset[dt.date]:
        """Monday to Friday of the year's sixth week, when the ill teacher was away: only
        days more than a week before today (today's lessons are never cancelled)."""
        first = self.year.starts_on
        monday = first - dt.timedelta(days=first.weekday()) + dt.timedelta(weeks=5)
        cutoff = self.today - dt.timedelta(days=7)
        days = (monday + dt.timedelta(days=i) for i in range(5))
        return frozenset(d for d in days if d < cutoff)

    # ------------------------------------------------------------------ lessons
    def _skeleton(self) -> None:
        days_by_grade: dict[int, frozenset[dt.date]] = {}
        for a in self.assignments:
            if a.grade not in days_by_grade:
                days_by_grade[a.grade] = frozenset(self.year.school_days(a.grade, self.last_day))
        by_weekday: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        for i, a in enumerate(self.assignments):
            for weekday, number in a.slots:
                by_weekday[a.class_index][weekday].append(number * 10_000 + i)
        # Lessons get ids in date order, then class, then lesson number.
        all_days = sorted({d for days in days_by_grade.values() for d in days})
        classes = sorted(by_weekday)
        for day in all_days:
            for c in classes:
                if day not in days_by_grade[self.class_grades[c]]:
                    continue
                for key in sorted(by_weekday[c].get(day.isoweekday(), [])):
                    number, i = divmod(key, 10_000)
                    self.by_assignment[i].append((self._id("lesson"), day, number))

    # ------------------------------------------------------------------ attendance
    def _attendance(self) -> None:
        """5–8% absences per class: illness streaks of a few days, single skips, some late."""
        rng = self.rng
        # student index → day → [lesson ids]
        cells: dict[int, dict[dt.date, list[int]]] = defaultdict(lambda: defaultdict(list))
        for i, a in enumerate(self.assignments):
            for lesson_id, day, _ in self.by_assignment[i]:
                for s in a.members:
                    st = self.students[s]
                    if st.first_day <= day <= st.last_day:
                        cells[s][day].append(lesson_id)
        by_class: dict[int, list[int]] = defaultdict(list)
        for s in sorted(cells):
            by_class[self.students[s].class_index].append(s)
        teacher_of_lesson = {
            lesson_id: a.teacher_user_id
            for i, a in enumerate(self.assignments)
            for lesson_id, _, _ in self.by_assignment[i]
        }
        week_ago = self.last_day - dt.timedelta(days=7)
        for c in sorted(by_class):
            members = by_class[c]
            total = sum(len(v) for s in members for v in cells[s].values())
            if total == 0:
                continue
            target = total * rng.uniform(0.058, 0.072)
            missed = 0
            weights = [self.students[s].frailty for s in members]
            guard = 0
            while missed < 0.82 * target and guard < 10_000:
                guard += 1
                s = rng.choices(members, weights)[0]
                days = sorted(cells[s])
                start = rng.randrange(len(days))
                length = rng.choice((2, 3, 3, 4, 5, 5, 6, 8))
                streak = days[start : start + length]
                if any((s, cells[s][d][0]) in self.absent for d in streak):
                    continue
                recent = streak[-1] >= week_ago
                excused = not recent and rng.random() < 0.8
                reason = rng.choice(EXCUSE_ILLNESS) if excused else ""
                for d in streak:
                    for lesson_id in cells[s][d]:
                        self._absence(s, lesson_id, excused, reason, teacher_of_lesson, d)
                        missed += 1
            while missed < target and guard < 20_000:
                guard += 1
                s = rng.choice(members)
                d = rng.choice(sorted(cells[s]))
                lesson_id = rng.choice(cells[s][d])
                if (s, lesson_id) in self.absent:
                    continue
                excused = d < week_ago and rng.random() < 0.2
                reason = rng.choice(EXCUSE_OTHER) if excused else ""
                self._absence(s, lesson_id, excused, reason, teacher_of_lesson, d)
                missed += 1
            lates = max(1, int(total * 0.004))
            for _ in range(lates):
                s = rng.choice(members)
                d = rng.choice(sorted(cells[s]))
                lesson_id = cells[s][d][0]
                if (s, lesson_id) in self.absent:
                    continue
                self.absent[(s, lesson_id)] = AttendanceStatus.LATE
                self.journal.attendance.append(
                    self._attendance_row(
                        s, lesson_id, AttendanceStatus.LATE, "", d, teacher_of_lesson[lesson_id], 1
                    )
                )

    def _absence(
        self,
        s: int,
        lesson_id: int,
        excused: bool,
        reason: str,
        teachers: dict[int, int],
        day: dt.date,
    ) -> None:
        status = AttendanceStatus.EXCUSED if excused else AttendanceStatus.ABSENT
        self.absent[(s, lesson_id)] = status
        self.journal.attendance.append(
            self._attendance_row(
                s, lesson_id, status, reason, day, teachers[lesson_id], 2 if excused else 1
            )
        )

    def _attendance_row(
        self,
        s: int,
        lesson_id: int,
        status: str,
        reason: str,
        day: dt.date,
        author: int,
        version: int,
    ) -> Row:
        created = local_time(day, 9 + lesson_id % 6, lesson_id % 50)
        updated = created if version == 1 else local_time(day + dt.timedelta(days=3), 15)
        return {
            "id": self._id("attendance"),
            "student_id": self.students[s].id,
            "lesson_id": lesson_id,
            "status": str(status),
            "reason": reason,
            "author_id": author,
            "created_at": created,
            "updated_at": updated,
            "version": version,
        }

    # ------------------------------------------------------------------ lessons and marks
    def _lessons_and_marks(self, a: AssignmentInfo) -> None:
        rng = self.rng
        lessons = self.by_assignment[self.index_of[a.id]]
        no_homework = a.grade == 1
        retest: dict[int, int] = {}  # student → lessons left to re-assess a 2
        # student → the day of their last mark here: teachers catch up those they have not
        # asked for a while (most students get a mark at least every two weeks).
        last_marked: dict[int, dt.date] = {}
        unkept: set[int] = set()  # students whose pending re-assessment follows an unkept 2
        controls = 0  # control works held so far
        skipped_control = False
        for k, (lesson_id, day, number) in enumerate(lessons):
            plan_id, topic, wt_code = (
                a.plan[k] if k < len(a.plan) else (None, "Резервный урок", None)
            )
            if not a.marked:
                wt_code = None
            elif wt_code is None and rng.random() < 0.06:
                wt_code = "independent"
            ends = lesson_end(day, number)
            topic_at: dt.datetime | None = ends + dt.timedelta(minutes=rng.randrange(1, 120))
            if a.missing_topics and rng.random() < 0.15:
                plan_id, topic, topic_at = None, "", None
            if no_homework:
                hw, links = "", ""
            elif a.missing_homework and rng.random() < 0.3:
                hw, links = "", ""  # forgotten: no «не задано» either, the checklist finds it
            else:
                hw, links = homework(a.subject, rng, k)
            # «не задано» on purpose is a flag, not homework text.
            hw_none = no_homework or hw == NO_HOMEWORK
            if hw == NO_HOMEWORK:
                hw = ""
            wt = self.work_types[wt_code] if wt_code else None
            # Imperfections decided from ids and dates, not the generator: the lessons of the
            # ill teacher's week were cancelled; a teacher gave the year's first control work
            # up for revision (its КТП line stays without a lesson); two careless ones left a
            # present student without a mark at every other control work.
            cancelled = lesson_id in self.cancelled
            control = wt_code in CONTROL_CODES and not cancelled
            replaced = control and a.skips_control_work and not skipped_control
            forgets = control and not replaced and a.forgets_control_marks and controls % 2 == 0
            skipped_control = skipped_control or replaced
            if control and not replaced:
                controls += 1
            shown_wt = None if cancelled or replaced else wt
            taken_at = self._attendance_taken_at(a, lesson_id, day, number)
            if cancelled:
                plan_id, topic, topic_at, taken_at = None, "", None, None
                hw, links, hw_none = "", "", no_homework
            elif replaced:
                plan_id, topic = None, REVISION_TOPIC
            self.journal.lessons.append(
                {
                    "id": lesson_id,
                    "assignment_id": a.id,
                    "date": day,
                    "number": number,
                    "room": a.room,
                    "plan_item_id": plan_id,
                    "topic": topic,
                    "homework": hw,
                    "homework_links": links,
                    "work_type_id": shown_wt.id if shown_wt else None,
                    "substitute_teacher_id": None,
                    "cancelled": cancelled,
                    "topic_set_at": topic_at,
                    "homework_set_at": topic_at if hw or hw_none else None,
                    "homework_none": hw_none,
                    "attendance_taken_at": taken_at,
                    "created_at": local_time(self.year.starts_on - dt.timedelta(days=3), 10),
                    "updated_at": local_time(day, 8) if cancelled else topic_at or ends,
                    "version": 2 if topic_at or cancelled else 1,
                }
            )
            if not a.marked:
                continue
            present = [
                s
                for s in a.members
                if self.students[s].first_day <= day <= self.students[s].last_day
                and self.absent.get((s, lesson_id))
                not in (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)
                and s != a.skipped_student
            ]
            forgotten = present[spread(lesson_id) % len(present)] if forgets and present else None
            marks_before = len(self.journal.marks)
            for s in present:
                self.discarding = cancelled or replaced or s == forgotten
                if wt is not None and wt_code is not None:
                    self._mark(a, s, lesson_id, day, number, 1, wt_code, control=True)
                    if a.two_marks and wt.allows_two_marks and rng.random() < 0.92:
                        self._mark(a, s, lesson_id, day, number, 2, wt_code, control=True)
                    continue
                if s in retest and (retest[s] == 1 or rng.random() < 0.6):
                    retest.pop(s)
                    self.discarding = self.discarding or s in unkept
                    unkept.discard(s)
                    self._mark(a, s, lesson_id, day, number, 1, "answer", retake=True)
                    continue
                waited = (day - last_marked.get(s, self.year.starts_on)).days
                if rng.random() < (0.3 if waited < 6 else 0.6 if waited < 10 else 0.92):
                    code = "answer" if rng.random() < 0.65 else "homework"
                    self._mark(a, s, lesson_id, day, number, 1, code)
            self.discarding = False
            marked_now = {m["student_id"] for m in self.journal.marks[marks_before:]}
            for s in present:
                if self.students[s].id in marked_now:
                    last_marked[s] = day
            for s in list(retest):
                retest[s] -= 1
                if retest[s] <= 0:
                    retest.pop(s)
                    unkept.discard(s)
            for s, kept in self.twos:
                if rng.random() < 0.88:
                    retest[s] = 2
                    if kept:
                        unkept.discard(s)
                    else:
                        unkept.add(s)  # drawn as usual; its re-assessment is not kept either
            self.twos.clear()

    def _attendance_taken_at(
        self, a: AssignmentInfo, lesson_id: int, day: dt.date, number: int
    ) -> dt.datetime | None:
        """When attendance was taken: with the first absence, else shortly after the lesson;
        a careless teacher leaves about one lesson in ten without it (no absence there).

        Decided from the lesson id, not the shared generator, so the rest of the journal
        stays as it was."""
        first = self.first_absence.get(lesson_id)
        if first is not None:
            return first
        if (a.late_marks or a.missing_topics) and (lesson_id * 2_654_435_761) % 1000 < 100:
            return None
        return lesson_end(day, number) + dt.timedelta(minutes=1 + lesson_id % 15)

    def _mark(
        self,
        a: AssignmentInfo,
        s: int,
        lesson_id: int,
        day: dt.date,
        number: int,
        slot: int,
        code: str,
        *,
        control: bool = False,
        retake: bool = False,
    ) -> None:
        rng = self.rng
        st = self.students[s]
        key = (s, a.subject)
        if key not in self.affinity:
            self.affinity[key] = rng.gauss(0.0, 0.45)
        mu = 4.05 + 0.72 * (st.ability + self.affinity[key]) - a.difficulty - a.severity
        if retake:
            value = max(3, min(5, round(mu + 0.3 + rng.gauss(0.0, 0.6))))
        else:
            value = round(mu - (0.2 if control else 0.0) + rng.gauss(0.0, 0.8))
            value = max(2, min(5, value))
            if value == 2 and rng.random() < 0.03:
                value = 1
        if value <= 2 and slot == 1:
            self.twos.append((s, not self.discarding))
        wt = self.work_types[code]
        created = self._entered_at(a, day, number, wt)
        if self.discarding:
            return
        self.journal.marks.append(
            {
                "id": self._id("mark"),
                "student_id": st.id,
                "lesson_id": lesson_id,
                "slot": slot,
                "value": value,
                "work_type_id": wt.id,
                "weight": wt.weight,
                "comment": "исправление неудовлетворительной отметки" if retake else "",
                "author_id": a.teacher_user_id,
                "created_at": created,
                "updated_at": created,
                "version": 1,
            }
        )
        self.journal.scores[(s, a.subject)].append((day, value, wt.weight))

    def _entered_at(
        self, a: AssignmentInfo, day: dt.date, number: int, wt: WorkTypeInfo
    ) -> dt.datetime:
        """Marks go in after the lesson, mostly before 17:00; written works a day or more later."""
        rng = self.rng
        if a.late_marks and rng.random() < 0.45:
            later = day + dt.timedelta(days=rng.randrange(1, 6))
            return local_time(later, rng.randrange(19, 23), rng.randrange(60))
        if wt.deadline_days:
            later = day + dt.timedelta(days=rng.randrange(1, wt.deadline_days))
            return local_time(later, rng.randrange(14, 17), rng.randrange(60))
        if wt.deadline_lessons and rng.random() < 0.5:
            return local_time(day + dt.timedelta(days=1), rng.randrange(13, 17), rng.randrange(60))
        start = lesson_end(day, number)
        latest = local_time(day, 16, 55)
        span = max(60, int((latest - start).total_seconds()))
        moment = start + dt.timedelta(seconds=rng.randrange(-1500, span))
        # Now and then a teacher enters a whole lesson's marks in the evening (one lesson in
        # thirty, chosen by the lesson, not per mark).
        if spread(a.id * 1_000_003 + day.toordinal() * 10 + number) % 30 == 0:
            moment = local_time(day, 17 + spread(a.id + day.toordinal()) % 4, 5)
        return moment


def period_marks(
    *,
    journal: Journal,
    periods: Sequence[tuple[int, str, dt.date, dt.date, int, int]],  # id, kind, start, end, g1, g2
    today: dt.date,
    students: list[StudentInfo],
    class_grades: dict[int, int],
    subjects: dict[str, int],  # marked subject → id
    teacher_for: dict[tuple[int, str], int],  # (student index, subject) → teacher user id
    thresholds: Thresholds,
    next_id: dict[str, int],
    rng: random.Random,
) -> None:
    """Period marks for every closed period, as the journal suggests them (a few justified departures)."""
    for period_id, _kind, start, end, g1, g2 in periods:
        if end >= today:
            continue
        for (s, subject), scores in sorted(journal.scores.items()):
            grade = class_grades[students[s].class_index]
            if not g1 <= grade <= g2 or subject not in subjects:
                continue
            inside = [(v, w) for d, v, w in scores if start <= d <= end]
            if not inside:
                continue
            avg = weighted_average(inside)
            suggested = thresholds.mark(avg)
            if avg is None or suggested is None:
                continue
            value = suggested
            justification = ""
            near = min(abs(avg - thresholds.threshold(m)) for m in (5, 4, 3))
            if near < Decimal("0.12") and value < 5 and rng.random() < 0.15:
                value += 1
                justification = "учтены результаты контрольных работ"
            at = local_time(end, 14, rng.randrange(60))
            next_id["period_mark"] += 1
            journal.period_marks.append(
                {
                    "id": next_id["period_mark"] - 1,
                    "student_id": students[s].id,
                    "subject_id": subjects[subject],
                    "period_id": period_id,
                    "value": value,
                    "not_attested": False,
                    "justification": justification,
                    "author_id": teacher_for[(s, subject)],
                    "created_at": at,
                    "updated_at": at,
                    "version": 1,
                }
            )


_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 Chrome/125.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 YaBrowser/24.6 Safari/537.36",
)


def login_events(
    *,
    users: Sequence[tuple[int, str, str]],  # (user id, login, "parent" | "student")
    start: dt.date,
    today: dt.date,
    next_id: dict[str, int],
    rng: random.Random,
) -> tuple[list[Row], dict[int, dt.datetime]]:
    """Most parents look weekly, some rarely, some never; students a little more often."""
    rows: list[Row] = []
    last: dict[int, dt.datetime] = {}
    weeks = max(1, (today - start).days // 7 + 1)
    for user_id, login, kind in users:
        habit = rng.random()
        if kind == "parent":
            per_week = 1.6 if habit < 0.65 else 0.3 if habit < 0.85 else 0.0
            hours: tuple[int, ...] = (7, 19, 20, 21, 22)
        else:
            per_week = 3.0 if habit < 0.55 else 0.4 if habit < 0.85 else 0.0
            hours = (15, 16, 18, 19, 20, 21)
        if per_week == 0.0:
            continue
        agent = rng.choice(_AGENTS)
        ip = f"10.{rng.randrange(1, 250)}.{rng.randrange(1, 250)}.{rng.randrange(2, 250)}"
        for week in range(weeks):
            count = int(per_week) + (1 if rng.random() < per_week - int(per_week) else 0)
            for _ in range(count):
                day = start + dt.timedelta(days=7 * week + rng.randrange(7))
                if day > today:
                    continue
                at = local_time(day, rng.choice(hours), rng.randrange(60))
                if rng.random() < 0.03:
                    rows.append(
                        _event(
                            next_id,
                            at - dt.timedelta(minutes=1),
                            user_id,
                            login,
                            LoginEventKind.FAILURE,
                            ip,
                            agent,
                        )
                    )
                rows.append(_event(next_id, at, user_id, login, LoginEventKind.SUCCESS, ip, agent))
                if user_id not in last or at > last[user_id]:
                    last[user_id] = at
    return rows, last


def _event(
    next_id: dict[str, int],
    at: dt.datetime,
    user_id: int,
    login: str,
    kind: str,
    ip: str,
    agent: str,
) -> Row:
    next_id["login_event"] += 1
    return {
        "id": next_id["login_event"] - 1,
        "at": at,
        "user_id": user_id,
        "login": login,
        "kind": str(kind),
        "ip": ip,
        "user_agent": agent,
    }
