"""The control checklist: the regulations as code.

Each rule is a small named function over the window's rows (`rows.JournalRows`, loaded in a
dozen queries) that returns findings; `RULES` shows each with its clause and how it is
checked; thresholds come from the school's settings. A «held» lesson is one of the window,
not cancelled, on or before the last counted day (the window's end, the report day or
today, whichever is first).
"""

from __future__ import annotations

import bisect
import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from ejournal.domain.control.ktp import NO_FILTERS, ktp_lines
from ejournal.domain.control.rows import (
    ABSENT,
    ORAL_CODE,
    TERM_KINDS,
    AssignmentRow,
    Deadline,
    JournalRows,
    LessonRow,
    MarkRow,
    closed_periods,
    load_rows,
)
from ejournal.domain.control.table import Column, Filters, Finding, Report, Window
from ejournal.domain.db import read_only
from ejournal.domain.grading import Thresholds, weighted_average
from ejournal.domain.models import PeriodKind
from ejournal.domain.permissions import Actor, Permission, require_some


@dataclass(frozen=True)
class Rule:
    """A checklist rule: its code, Russian title, the regulation clause and how it is checked."""

    code: str
    title: str
    clause: str
    description: str


RULES: tuple[Rule, ...] = (
    Rule(
        "mark_gap",
        "Текущая отметка не реже раза в две недели",
        "[000 §4.3.1]",
        "Для каждого учащегося по каждому предмету с отметками (кроме 1 классов): промежуток "
        "без текущих отметок длиннее установленного числа дней (по умолчанию 14) — от последней "
        "отметки перед окном (или от зачисления), между отметками и до последнего учтённого "
        "дня, — если в нём были проведённые уроки; дни каникул не считаются.",
    ),
    Rule(
        "marks_late",
        "Отметки выставлены в срок",
        "[003 §3.2], [002 §3.3], [004 §4.4.1]",
        "Время внесения отметки (когда её записали в журнал) сравнивается со сроком её вида "
        "работы: работа на уроке — в день урока до установленного часа (17:00); "
        "самостоятельные, тесты — до конца дня второго следующего урока; контрольные, "
        "лабораторные, диктанты — до конца дня следующего урока; сочинения и изложения — "
        "в течение 10 дней. Одно замечание на урок.",
    ),
    Rule(
        "topic_homework",
        "Тема и домашнее задание записаны",
        "[004 §5.18–5.23]",
        "У проведённого урока записана тема, и записана до установленного часа (17:00) дня "
        "урока; домашнее задание записано или отмечено «не задано». В 1 классах домашнее "
        "задание не задаётся [004 §3.7], [001 §1.3] — там проверяется только тема.",
    ),
    Rule(
        "attendance_taken",
        "Посещаемость отмечена",
        "[003 §3.2], [004 §4.4.2]",
        "У проведённого урока отмечено, что посещаемость проверена («все присутствуют» или "
        "хотя бы одна отметка «н»/опоздание).",
    ),
    Rule(
        "control_complete",
        "Отметки за контрольную работу у всех присутствовавших",
        "[004 §5.7]",
        "На проведённом уроке с контрольным видом работы у каждого учащегося, который был "
        "зачислен и присутствовал (опоздавший — присутствовал), стоит отметка.",
    ),
    Rule(
        "two_followup",
        "После «2» — повторный опрос в течение двух уроков",
        "[004 §5.6]",
        "За отметкой 1 или 2 у учащегося по тому же предмету следует другая отметка не позже "
        "установленного числа (по умолчанию 2) следующих уроков, на которых он присутствовал; "
        "проверяется, когда столько уроков уже прошло (в том числе после окна).",
    ),
    Rule(
        "oral_share",
        "Устный опрос — около 20 % класса за урок",
        "[004 §5.10]",
        "На проведённых уроках без контрольного вида работы считается доля зачисленных "
        "учащихся с отметкой «Ответ на уроке»; одно замечание на класс и предмет, если "
        "есть уроки с долей меньше установленной (по умолчанию 20 %). Уроки усвоения новых "
        "знаний журнал не различает.",
    ),
    Rule(
        "period_marks",
        "Отметки за период выставлены в срок и обоснованы",
        "[003 §3.2], [004 §5.13]",
        "За каждый закончившийся период, пересекающий окно: у учащегося, зачисленного в "
        "последний день периода, есть отметка (или «не аттестован»), выставленная не позже "
        "последнего дня периода; отметка, отличающаяся от рассчитанной по средневзвешенному "
        "(за год — по отметкам за четверти или полугодия), имеет обоснование.",
    ),
    Rule(
        "ktp_hours",
        "КТП: проведено не меньше запланированного",
        "[004 §5.24]",
        "Уроков с начала года по последний учтённый день проведено не меньше, чем часов в "
        "строках КТП на эту дату, и прогноз (проведено плюс уроки по расписанию до конца "
        "года без каникул) не меньше часов всего КТП.",
    ),
    Rule(
        "ktp_control",
        "Контрольные работы КТП проведены и оценены",
        "[000 §6.3], [004 §6.2]",
        "Каждая строка КТП с контрольным видом работы, запланированная в окне по последний "
        "учтённый день, связана с проведённым уроком, и на нём у каждого присутствовавшего "
        "есть отметка.",
    ),
)
RULE_BY_CODE = {r.code: r for r in RULES}


# --------------------------------------------------------------------------- text helpers


def _d(day: dt.date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def _days(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} день"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return f"{n} дня"
    return f"{n} дней"


def _names(rows: JournalRows, students: list[int]) -> str:
    return ", ".join(rows.students.get(s, str(s)) for s in students)


# --------------------------------------------------------------------------- 1 mark_gap


def _school_days(first: int, last: int, breaks: list[tuple[int, int]]) -> int:
    """Days from `first` to `last` (ordinals, inclusive) less the holidays among them."""
    off = sum(max(0, min(last, b) - max(first, f) + 1) for f, b in breaks)
    return last - first + 1 - off


def mark_gap(rows: JournalRows) -> list[Finding]:
    """Students with a stretch of more than N days without a current mark [000 §4.3.1]."""
    gap = rows.school.control_mark_gap_days
    start, stop = rows.window.starts_on, rows.last
    out: list[Finding] = []
    for a in rows.assignments.values():
        if not a.marked:
            continue
        held = rows.held_lessons(a.id)
        if not held:
            continue
        # Days as ordinals: plain integer arithmetic for every student's stretches.
        held_days = sorted({x.date.toordinal() for x in held})
        # Holidays do not count towards a stretch: «once in two weeks» means school weeks.
        breaks = [
            (h_from.toordinal(), h_to.toordinal())
            for year, h_from, h_to, g1, g2 in rows.holidays
            if year == a.year_id and g1 <= a.grade <= g2
        ]

        mark_days: dict[int, set[int]] = defaultdict(set)
        for x in rows.lessons_of.get(a.id, ()):
            if start <= x.date <= stop and x.id in rows.marks_of:
                day = x.date.toordinal()
                for student in rows.marked(x.id):
                    mark_days[student].add(day)
        for student, stays in rows.members(a).items():
            days = sorted(mark_days.get(student, ()))
            # A stretch that reaches the window's start began after the last earlier mark.
            before = rows.last_mark_before.get((a.id, student))
            if len(stays) == 1 and stays[0][0] <= start and (stays[0][1] or stop) >= stop:
                # Enrolled all through the window (most are): no stretch is long enough when
                # no two neighbouring marks (or the window's ends) are more than N days apart.
                opening = before.toordinal() if before is not None else start.toordinal() - 1
                bounds = [opening, *days, stop.toordinal() + 1]
                if max(map(operator.sub, bounds[1:], bounds)) <= gap:
                    continue
            runs: list[tuple[int, int, int]] = []  # first and last day, lessons held
            for begun, ended in stays:
                first = max(begun, start).toordinal()
                last = min(ended or stop, stop).toordinal()
                if first > last:
                    continue
                begin = first
                if before is not None and begun < start:
                    begin = max(before.toordinal() + 1, begun.toordinal())
                for end in [*(d for d in days if first <= d <= last), last + 1]:
                    # The stretch from `begin` to the day before `end` has no mark.
                    if end - begin >= gap and _school_days(begin, end - 1, breaks) > gap:
                        lessons = bisect.bisect_left(held_days, end) - bisect.bisect_left(
                            held_days, begin
                        )
                        if lessons:
                            runs.append((begin, end - 1, lessons))
                    begin = end + 1
            if not runs:
                continue
            first, last, lessons_count = max(runs, key=lambda r: (r[1] - r[0], r[0]))
            begin_day, end_day = dt.date.fromordinal(first), dt.date.fromordinal(last)
            school_days = _school_days(first, last, breaks)
            text = (
                f"Нет текущих отметок {_days(school_days)} подряд (без каникул): с {_d(begin_day)} по "
                f"{_d(end_day)} (уроков за это время: {lessons_count})"
            )
            if len(runs) > 1:
                text += f"; таких промежутков в окне: {len(runs)}"
            out.append(
                rows.finding(
                    "mark_gap",
                    a,
                    text + ".",
                    student_id=student,
                    day=begin_day,
                    period_id=rows.term_id(a, end_day),
                    gap_days=school_days,
                    starts_on=begin_day,
                    ends_on=end_day,
                )
            )
    return out


# --------------------------------------------------------------------------- 2 marks_late


def marks_late(rows: JournalRows) -> list[Finding]:
    """Held lessons with marks entered after their work type's deadline."""
    out: list[Finding] = []
    for a in rows.assignments.values():
        for lesson in rows.held_lessons(a.id):
            marks = rows.marks_of.get(lesson.id)
            if not marks:
                continue
            dues: dict[int | None, Deadline | None] = {}
            late = 0
            worst: tuple[MarkRow, Deadline] | None = None  # the last entered of the late
            for m in marks:
                wt, at = m[3], m[4]
                if wt in dues:
                    due = dues[wt]
                else:
                    due = dues[wt] = rows.mark_deadline(lesson, wt)
                if due is not None and at > due.ts:
                    late += 1
                    if worst is None or at > worst[0][4]:
                        worst = (m, due)
            if worst is None:
                continue
            mark, due = worst
            entered = rows.local(mark[4])
            out.append(
                rows.finding(
                    "marks_late",
                    a,
                    f"Отметки за урок {_d(lesson.date)} внесены позже срока: {late}; "
                    f"последняя — {entered:%d.%m.%Y в %H:%M} (срок — {due.label}).",
                    lesson=lesson,
                    late_marks=late,
                    entered_at=entered,
                    deadline=due.at,
                )
            )
    return out


# --------------------------------------------------------------------------- 3 topic_homework


def topic_homework(rows: JournalRows) -> list[Finding]:
    """Held lessons without a topic, with a topic written late, or without homework."""
    hour = rows.school.marks_deadline_hour
    out: list[Finding] = []
    for a in rows.assignments.values():
        for lesson in rows.held_lessons(a.id):
            if not rows.day_closed(lesson.date):
                continue  # the teacher has until the deadline hour
            problems: list[str] = []
            if not lesson.has_topic:
                problems.append("не записана тема урока")
            elif lesson.topic_set_at is not None:
                due = dt.datetime.combine(lesson.date, dt.time(hour), tzinfo=rows.zone)
                if lesson.topic_set_at > due.timestamp():
                    written = rows.local(lesson.topic_set_at)
                    problems.append(
                        f"тема записана {written:%d.%m.%Y в %H:%M} (срок — {hour}:00 дня урока)"
                    )
            if a.grade >= 2 and not lesson.has_homework and not lesson.homework_none:
                problems.append("не записано домашнее задание и не отмечено «не задано»")
            if problems:
                text = f"Урок {_d(lesson.date)}: " + "; ".join(problems) + "."
                out.append(rows.finding("topic_homework", a, text, lesson=lesson))
    return out


# --------------------------------------------------------------------------- 4 attendance_taken


def attendance_taken(rows: JournalRows) -> list[Finding]:
    """Held lessons where nobody recorded attendance."""
    return [
        rows.finding(
            "attendance_taken",
            a,
            f"Урок {_d(lesson.date)}: посещаемость не отмечена.",
            lesson=lesson,
        )
        for a in rows.assignments.values()
        for lesson in rows.held_lessons(a.id)
        if not lesson.attendance_taken
        and lesson.id not in rows.attendance_lessons
        and rows.day_closed(lesson.date)
    ]


# --------------------------------------------------------------------------- 5 control_complete


def _is_control(rows: JournalRows, work_type_id: int | None) -> bool:
    wt = rows.work_types.get(work_type_id) if work_type_id is not None else None
    return wt is not None and wt.is_control


def control_complete(rows: JournalRows) -> list[Finding]:
    """Control lessons where a present student has no mark [004 §5.7]."""
    out: list[Finding] = []
    for a in rows.assignments.values():
        if not a.marked:
            continue
        for lesson in rows.held_lessons(a.id):
            if not _is_control(rows, lesson.work_type_id) or not rows.marks_due(lesson):
                continue
            missing = rows.present_without_mark(a, lesson)
            if missing:
                out.append(
                    rows.finding(
                        "control_complete",
                        a,
                        f"Контрольный урок {_d(lesson.date)}: нет отметки у присутствовавших — "
                        f"{_names(rows, missing)}.",
                        lesson=lesson,
                        students=missing,
                    )
                )
    return out


# --------------------------------------------------------------------------- 6 two_followup


def two_followup(rows: JournalRows) -> list[Finding]:
    """A «1» or «2» not followed by another mark within N lessons the student attended."""
    n = rows.school.control_retest_lessons
    out: list[Finding] = []
    for a in rows.assignments.values():
        if not a.marked:
            continue
        given = [
            x for x in rows.lessons_of.get(a.id, ()) if not x.cancelled and x.date <= rows.today
        ]
        members = rows.members(a)
        for i, lesson in enumerate(given):
            if not rows.held(lesson):
                continue
            low = sorted(
                {m[0] for m in rows.marks_of.get(lesson.id, ()) if m[2] <= 2},
                key=lambda s: rows.students.get(s, ""),
            )
            for student in low:
                stays = members.get(student, [])
                seen: list[LessonRow] = []
                followed = False
                for j in range(i + 1, len(given)):
                    nxt = given[j]
                    if student in rows.marked(nxt.id):
                        followed = True
                        break
                    if (
                        rows.in_stays(stays, nxt.date)
                        and rows.absent.get((student, nxt.id)) not in ABSENT
                    ):
                        seen.append(nxt)
                        if len(seen) == n:
                            break
                if followed or len(seen) < n or not rows.day_closed(seen[-1].date):
                    continue
                value = min(m[2] for m in rows.marks_of[lesson.id] if m[0] == student)
                dates = ", ".join(f"{x.date:%d.%m}" for x in seen)
                out.append(
                    rows.finding(
                        "two_followup",
                        a,
                        f"«{value}» за {_d(lesson.date)} не исправлялась: на следующих уроках "
                        f"({dates}) учащийся был, но отметок не получил.",
                        lesson=lesson,
                        student_id=student,
                    )
                )
    return out


# --------------------------------------------------------------------------- 7 oral_share


def oral_share(rows: JournalRows) -> list[Finding]:
    """Assignments with lessons where fewer than P % of the class answered orally."""
    percent = rows.school.control_oral_percent
    oral = {w.id for w in rows.work_types.values() if w.code == ORAL_CODE}
    out: list[Finding] = []
    for a in rows.assignments.values():
        if not a.marked:
            continue
        counted = short = 0
        short_days: list[dt.date] = []
        for lesson in rows.held_lessons(a.id):
            if _is_control(rows, lesson.work_type_id):
                continue
            enrolled = rows.enrolled_on(a, lesson.date)
            if not enrolled:
                continue
            counted += 1
            asked = {m[0] for m in rows.marks_of.get(lesson.id, ()) if m[3] is None or m[3] in oral}
            if len(asked) * 100 < percent * len(enrolled):
                short += 1
                short_days.append(lesson.date)
        if short:
            out.append(
                rows.finding(
                    "oral_share",
                    a,
                    f"В {short} из {counted} уроков опрошено меньше {percent} % класса "
                    f"(последний — {_d(short_days[-1])}).",
                    day=short_days[-1],
                    lessons=counted,
                    short_lessons=short,
                    short_days=short_days,
                )
            )
    return out


# --------------------------------------------------------------------------- 8 period_marks


def period_marks(rows: JournalRows) -> list[Finding]:
    """Missing, late or unjustified period marks of periods that ended [003 §3.2], [004 §5.13]."""
    thresholds = Thresholds.of(rows.school)
    report_day = min(rows.window.on, rows.today)
    ended = closed_periods(rows.periods, rows.window, report_day)
    out: list[Finding] = []
    for a in rows.assignments.values():
        if not a.marked:
            continue
        terms = rows.terms(a.year_id, a.grade)
        for p in ended:
            if p.year_id != a.year_id or not p.covers(a.grade):
                continue
            if p.kind not in (*TERM_KINDS, PeriodKind.YEAR.value):
                continue
            next_day = rows.day_start(p.ends_on + dt.timedelta(days=1))
            link_period = p.id if p.kind in TERM_KINDS else (terms[-1].id if terms else None)
            for student in rows.enrolled_on(a, p.ends_on):
                if p.kind in TERM_KINDS:
                    avg = rows.term_average(p.id, a.id, student)
                else:
                    avg = weighted_average(
                        (pm.value, Decimal(1))
                        for t in terms
                        if (pm := rows.period_marks.get((student, a.subject_id, t.id))) is not None
                        and pm.value is not None
                    )
                suggested = thresholds.mark(avg)
                pm = rows.period_marks.get((student, a.subject_id, p.id))
                problems: list[str] = []
                if pm is None:
                    problems.append("отметка не выставлена")
                else:
                    if pm.entered >= next_day:
                        entered = rows.local(pm.entered).date()
                        problems.append(
                            f"выставлена {_d(entered)}, после окончания периода ({_d(p.ends_on)})"
                        )
                    if (
                        pm.value is not None
                        and pm.value != suggested
                        and not pm.justification.strip()
                    ):
                        shown = (
                            "нет текущих отметок"
                            if suggested is None
                            else f"рассчитана {suggested}"
                        )
                        problems.append(f"«{pm.value}» без обоснования ({shown})")
                if problems:
                    out.append(
                        rows.finding(
                            "period_marks",
                            a,
                            f"{p.name}: " + "; ".join(problems) + ".",
                            student_id=student,
                            day=p.ends_on,
                            period_id=link_period,
                            period=p.name,
                            suggested=suggested,
                        )
                    )
    return out


# --------------------------------------------------------------------------- 9, 10 КТП


def ktp_hours(rows: JournalRows) -> list[Finding]:
    """Assignments behind their КТП to date, or heading to fall short by the year's end."""
    out: list[Finding] = []
    for line in ktp_lines(rows):
        if not line.has_plan:
            continue
        problems: list[str] = []
        if line.held_to_date < line.planned_to_date:
            problems.append(
                f"проведено {line.held_to_date} ур., по КТП на {_d(line.on)} — "
                f"{line.planned_to_date} (отставание {-line.difference})"
            )
        if line.projected < line.planned_total:
            problems.append(
                f"прогноз на конец года {line.projected} ур. при {line.planned_total} по КТП"
            )
        if problems:
            out.append(
                rows.finding(
                    "ktp_hours",
                    line.assignment,
                    "КТП: " + "; ".join(problems) + ".",
                    day=line.on,
                    planned_to_date=line.planned_to_date,
                    held_to_date=line.held_to_date,
                    planned_total=line.planned_total,
                    projected=line.projected,
                )
            )
    return out


def ktp_control(rows: JournalRows) -> list[Finding]:
    """КТП control works of the window not held, or held with present students unmarked."""
    out: list[Finding] = []
    for line in ktp_lines(rows, control_from=rows.window.starts_on):
        a = line.assignment
        for work in line.control:
            item = work.item
            planned = item.planned_on or line.on
            name = f"«{item.topic}» (строка КТП {item.number}, по плану {_d(planned)})"
            if not work.held:
                out.append(
                    rows.finding(
                        "ktp_control",
                        a,
                        f"Контрольная работа {name} не проведена: с этой строкой КТП не связан "
                        "ни один проведённый урок.",
                        day=planned,
                        plan_item_id=item.id,
                    )
                )
                continue
            for lesson in work.lessons:
                missing = list(work.unmarked.get(lesson.id, ()))
                if missing:
                    out.append(
                        rows.finding(
                            "ktp_control",
                            a,
                            f"Контрольная работа {name} проведена {_d(lesson.date)}, но нет "
                            f"отметок у присутствовавших — {_names(rows, missing)}.",
                            lesson=lesson,
                            plan_item_id=item.id,
                            students=missing,
                        )
                    )
    return out


# --------------------------------------------------------------------------- the service

CHECKS: dict[str, Callable[[JournalRows], list[Finding]]] = {
    "mark_gap": mark_gap,
    "marks_late": marks_late,
    "topic_homework": topic_homework,
    "attendance_taken": attendance_taken,
    "control_complete": control_complete,
    "two_followup": two_followup,
    "oral_share": oral_share,
    "period_marks": period_marks,
    "ktp_hours": ktp_hours,
    "ktp_control": ktp_control,
}
_ORDER = {r.code: i for i, r in enumerate(RULES)}


def check_rows(rows: JournalRows, rules: frozenset[str] | None = None) -> list[Finding]:
    """Run the chosen rules (all by default) over loaded rows, in rule, class, subject, day
    and student order."""
    findings: list[Finding] = []
    for code, check in CHECKS.items():
        if rules is None or code in rules:
            findings.extend(check(rows))

    def key(f: Finding) -> tuple[int, tuple[int, str, int, str], dt.date, str]:
        a: AssignmentRow | None = rows.assignments.get(f.assignment_id or 0)
        order = a.order if a is not None else (0, "", 0, "")
        return (_ORDER[f.rule], order, f.day or dt.date.min, str(f.extra.get("student", "")))

    return sorted(findings, key=key)


@read_only
def run_checklist(
    session: Session,
    *,
    actor: Actor,
    window: Window,
    filters: Filters = NO_FILTERS,
    rules: frozenset[str] | None = None,
    now: dt.datetime | None = None,
) -> list[Finding]:
    """The findings of the checklist over `window` for the assignments the actor's analytics
    reach (the school for the deputy and director, their class for a class teacher, their
    own lessons for a teacher), narrowed by `filters`; `rules` picks rule codes."""
    require_some(actor, Permission.ANALYTICS_READ)
    rows = load_rows(session, actor=actor, window=window, filters=filters, now=now)
    return check_rows(rows, rules)


CHECKLIST_COLUMNS = (
    Column("rule_title", "Правило"),
    Column("clause", "Пункт положения"),
    Column("teacher", "Учитель"),
    Column("class", "Класс"),
    Column("subject", "Предмет"),
    Column("student", "Учащийся"),
    Column("day", "Дата", "date"),
    Column("text", "Замечание"),
    Column("link", "Страница журнала"),
)


def finding_row(f: Finding) -> dict[str, object]:
    """A finding as a report row (with the ids of what it is about)."""
    rule = RULE_BY_CODE[f.rule]
    return {
        "rule": f.rule,
        "rule_title": rule.title,
        "clause": rule.clause,
        "teacher": f.teacher,
        "class": f.class_name,
        "subject": f.subject,
        "student": str(f.extra.get("student", "")),
        "day": f.day,
        "text": f.text,
        "link": f.link,
        "teacher_id": f.teacher_id,
        "class_id": f.class_id,
        "subject_id": f.subject_id,
        "student_id": f.student_id,
        "lesson_id": f.lesson_id,
        "period_id": f.period_id,
    }


@read_only
def checklist_report(
    session: Session,
    *,
    actor: Actor,
    window: Window,
    filters: Filters = NO_FILTERS,
    now: dt.datetime | None = None,
) -> Report:
    """«Проверка ведения журнала»: one row per finding, with its rule and clause."""
    require_some(actor, Permission.ANALYTICS_READ)
    rows = load_rows(session, actor=actor, window=window, filters=filters, now=now)
    findings = check_rows(rows)
    return Report(
        name="checklist",
        title="Проверка ведения журнала",
        window=window,
        school_name=rows.school.name,
        columns=CHECKLIST_COLUMNS,
        rows=[finding_row(f) for f in findings],
        notes=tuple(f"{r.title} {r.clause}: {r.description}" for r in RULES),
    )
