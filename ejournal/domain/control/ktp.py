"""The КТП (calendar-thematic plan) against the journal: hours planned and held per class ×
subject, a projection to the end of the year, and the control works the plan requires
[004 §5.24], [000 §6.3], [004 §6.2].

`ktp_lines` is the one computation; the report (`ktp_report`) and the checklist's rules
«ktp_hours» and «ktp_control» read it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session

from ejournal.domain.control.rows import (
    AssignmentRow,
    JournalRows,
    LessonRow,
    PlanRow,
    PlanSums,
    load_rows,
)
from ejournal.domain.control.table import Column, Filters, Report, Window
from ejournal.domain.db import read_only
from ejournal.domain.permissions import Actor, Permission, require_some

#: No narrowing: the whole scope of the actor.
NO_FILTERS = Filters()
#: An assignment without a КТП.
NO_PLAN = PlanSums(0, 0, 0)


@dataclass(frozen=True)
class ControlWork:
    """A control work the КТП plans: the lessons that held it and who has no mark there."""

    item: PlanRow
    lessons: tuple[LessonRow, ...]  # held lessons linked to the plan line
    unmarked: dict[int, tuple[int, ...]] = field(default_factory=dict)  # lesson → students

    @property
    def held(self) -> bool:
        return bool(self.lessons)

    @property
    def marked(self) -> bool:
        """Held, and every student present there has a mark [004 §5.7]."""
        return self.held and not any(self.unmarked.values())


@dataclass(frozen=True)
class KtpLine:
    """Plan against fact for one assignment (class or subgroup × subject) as of `on`."""

    assignment: AssignmentRow
    on: dt.date
    has_plan: bool
    planned_to_date: int  # hours of plan lines planned on or before `on`
    held_to_date: int  # lessons not cancelled, on or before `on`
    planned_total: int  # hours of the whole plan
    remaining: int  # timetable lessons on school days after `on` to the year's end
    control: tuple[ControlWork, ...]  # control works planned on or before `on`

    @property
    def difference(self) -> int:
        """Held minus planned to date (negative: behind the plan)."""
        return self.held_to_date - self.planned_to_date

    @property
    def projected(self) -> int:
        """Held to date plus the timetable's remaining lessons (holidays left out)."""
        return self.held_to_date + self.remaining


def _control_work(
    rows: JournalRows,
    a: AssignmentRow,
    item: PlanRow,
    linked: list[LessonRow],
    on: dt.date,
) -> ControlWork:
    lessons = tuple(x for x in linked if not x.cancelled and x.date <= on)
    unmarked: dict[int, tuple[int, ...]] = {}
    if a.marked:
        for x in lessons:
            # Marks older than what was loaded, or not due yet, are not judged.
            if x.date >= rows.marks_from and rows.marks_due(x):
                unmarked[x.id] = tuple(rows.present_without_mark(a, x))
    return ControlWork(item, lessons, unmarked)


def ktp_lines(
    rows: JournalRows,
    *,
    control_from: dt.date | None = None,
) -> list[KtpLine]:
    """Plan against fact for every assignment of `rows` as of its last counted day, in class
    and subject order; control works planned from `control_from` (default: the year's start),
    their marks judged once they are due."""
    on = rows.last
    out: list[KtpLine] = []
    for a in sorted(rows.assignments.values(), key=lambda x: x.order):
        sums = rows.plan_sums.get(a.id, NO_PLAN)
        items = [
            item
            for item in rows.control_items.get(a.id, ())
            if item.planned_on is not None
            and item.planned_on <= on
            and (control_from is None or item.planned_on >= control_from)
        ]
        lessons = rows.lessons_of.get(a.id, [])
        held = sum(1 for x in lessons if not x.cancelled and x.date <= on)
        by_item: dict[int, list[LessonRow]] = defaultdict(list)
        if items:
            for x in lessons:
                if x.plan_item_id is not None:
                    by_item[x.plan_item_id].append(x)
        out.append(
            KtpLine(
                assignment=a,
                on=on,
                has_plan=sums.lines > 0,
                planned_to_date=sums.hours_to_date,
                held_to_date=held,
                planned_total=sums.hours,
                remaining=rows.remaining_timetable(a, on),
                control=tuple(
                    _control_work(rows, a, item, by_item.get(item.id, []), on) for item in items
                ),
            )
        )
    return out


COLUMNS = (
    Column("class", "Класс"),
    Column("subject", "Предмет"),
    Column("teacher", "Учитель"),
    Column(
        "planned_to_date",
        "По КТП на дату",
        "int",
        "Часы строк КТП, запланированных на последний день окна или раньше.",
    ),
    Column(
        "held_to_date",
        "Проведено",
        "int",
        "Уроки с начала года по последний день окна (отменённые не считаются).",
    ),
    Column("difference", "Разница", "int", "Проведено минус «по КТП на дату»; минус — отставание."),
    Column("planned_total", "По КТП за год", "int", "Часы всех строк КТП («по программе»)."),
    Column(
        "projected",
        "Прогноз на конец года",
        "int",
        "Проведено плюс уроки по расписанию в учебные дни до конца года, без каникул "
        "и праздников («по факту», ожидаемое).",
    ),
    Column(
        "control_planned",
        "К.р. по КТП",
        "int",
        "Строки КТП с контрольным видом работы, запланированные на дату.",
    ),
    Column(
        "control_held",
        "К.р. проведено",
        "int",
        "Из них те, к которым привязан проведённый урок.",
    ),
    Column(
        "control_marked",
        "К.р. с отметками",
        "int",
        "Из проведённых — те, где отметка есть у каждого присутствовавшего [004 §5.7].",
    ),
)


def _row(rows: JournalRows, line: KtpLine) -> dict[str, object]:
    a = line.assignment
    return {
        "class": a.class_name,
        "subject": a.subject,
        "teacher": rows.staff.get(a.teacher_id, ""),
        "planned_to_date": line.planned_to_date,
        "held_to_date": line.held_to_date,
        "difference": line.difference,
        "planned_total": line.planned_total,
        "projected": line.projected,
        "control_planned": len(line.control),
        "control_held": sum(1 for c in line.control if c.held),
        "control_marked": sum(1 for c in line.control if c.marked),
        "assignment_id": a.id,
        "class_id": a.class_id,
        "subject_id": a.subject_id,
        "teacher_id": a.teacher_id,
        "period_id": rows.term_id(a, line.on),
    }


@read_only
def ktp_report(
    session: Session,
    *,
    actor: Actor,
    window: Window,
    filters: Filters = NO_FILTERS,
    now: dt.datetime | None = None,
) -> Report:
    """«КТП: план и факт»: per class × subject, from the year's start to the window's last
    day (or today), with the projection to the year's end [004 §5.24]."""
    require_some(actor, Permission.ANALYTICS_READ)
    rows = _rows_for_year(session, actor=actor, window=window, filters=filters, now=now)
    lines = ktp_lines(rows)
    return Report(
        name="ktp",
        title="КТП: план и факт",
        window=window,
        school_name=rows.school.name,
        columns=COLUMNS,
        rows=[_row(rows, line) for line in lines],
        notes=(
            f"На {rows.last:%d.%m.%Y}: часы с начала учебного года; прогноз — по расписанию "
            "до конца года без каникул [004 §5.24].",
        ),
    )


def _rows_for_year(
    session: Session, *, actor: Actor, window: Window, filters: Filters, now: dt.datetime | None
) -> JournalRows:
    # Control works are judged from the year's start: only their lessons' marks are needed.
    return load_rows(
        session,
        actor=actor,
        window=window,
        filters=filters,
        now=now,
        marks_from=dt.date(1, 1, 1),
        control_plan_only=True,
        with_period_marks=False,
    )
