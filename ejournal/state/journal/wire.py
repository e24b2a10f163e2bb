"""What the journal pages send to the browser: the shapes of their rows and the cell code.

Every row is a TypedDict of strings (Reflex sends it as a JSON object; the components
read it by key), and a yes/no field is ``"1"`` or ``""`` so the page can test it as is.

How the grid stays cheap on the wire: Reflex sends the whole value of every var an event
changed, so the grid is NOT one big dict. Each student row has its own var: ``c<i>`` (the
row's cell codes, aligned with ``lessons``) and ``f<i>`` (the row's figures, a `Figures`).
One edit re-sends one row (a few hundred bytes), never the page. A cell code is
``"text~version~flags~title"`` (`cell_code`, `code_parts`, `with_flags`): flags ``x`` not
enrolled that day, ``e`` excused absence, ``m`` control work without a mark, ``s`` just
saved, ``!`` refused, ``c`` conflict, ``u`` typed but not saved.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TypedDict

from ejournal.domain import journal
from ejournal.domain.journal import CellState, LessonColumn, LessonItem, PageRef, StudentRow
from ejournal.domain.numbers import decimal_text

SEP = "~"
#: Flags that describe the last write to a cell (dropped when the cell changes again).
WRITE_FLAGS = "s!cu"
ATTENDANCE_NOT_TAKEN = "Посещаемость не отмечена"
WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


class LessonCol(TypedDict):
    """A lesson column of the grid (``lessons``), aligned with every row's cell codes."""

    id: str
    date: str  # ISO
    label: str
    number: str
    wt: str  # work type code
    wt_id: str
    wt_name: str
    topic: str
    plan_id: str
    homework: str
    links: str  # one per line
    editable: str  # "1" or ""
    lock: str  # why the column cannot be written
    reason: str  # "1": a change needs a reason (older than the edit lock)
    control: str  # "1": control work (a missing mark is flagged)
    cancelled: str  # "1"
    two: str  # "1": two marks allowed in a cell
    version: str
    title: str  # the header's hover text
    hw_none: str  # "1": the teacher said «не задано»
    att: str  # "1": attendance taken; "0": a held lesson without it; "" not yet due
    att_at: str  # when attendance was taken, "dd.mm hh:mm" school time ("" when not)
    hw_due: str  # ISO day the homework is due, chosen by the teacher ("" : the next lesson)


class StudentHead(TypedDict):
    """A student row's head (``students``): its figures and codes are in ``f<i>``, ``c<i>``."""

    id: str
    num: str
    name: str
    short: str


class Figures(TypedDict):
    """A student's figures on the page (``f<i>``); an empty dict for an unused row slot."""

    n: str  # marks count
    a: str  # absences
    au: str  # absences without a valid reason
    avg: str  # "4,25"
    s: str  # suggested period mark
    pm: str  # period mark text
    pm_title: str  # its justification
    pm_off: str  # "1": departs from the suggestion
    pv: str  # period mark version
    ym: str  # year mark text
    yv: str  # year mark version
    ys: str  # suggested year mark
    na: str  # "1": may be «не аттестован»


class PlanItemRow(TypedDict):
    """A КТП line offered as a lesson's topic."""

    id: str
    label: str
    topic: str
    when: str
    used: str  # "1"


class WorkTypeOption(TypedDict):
    id: str
    label: str


class LessonItemRow(TypedDict):
    """One of today's lessons on ``/teacher``."""

    lesson_id: str  # "" for a timetable slot without a lesson yet
    assignment_id: str
    period_id: str
    number: str
    time: str
    place: str
    subject: str
    topic: str
    room: str
    note: str
    href: str


class PeriodLink(TypedDict):
    label: str
    href: str
    current: str  # "1": the period holds today


class PageGroup(TypedDict):
    """A class × subject card with a link per period."""

    title: str
    teacher: str
    periods: list[PeriodLink]


#: An unexcused absence on the class teacher's list ("class": the class, when several).
AbsenceRow = TypedDict(
    "AbsenceRow",
    {
        "id": str,
        "version": str,
        "student": str,
        "class": str,
        "date": str,
        "weekday": str,
        "number": str,
        "subject": str,
    },
)


class ClassChoice(TypedDict):
    id: str
    name: str


class BulkMarkRow(TypedDict):
    """A row of «выставить расчётные»: a student's suggestion, stored mark and the choice."""

    sid: str
    num: str
    name: str
    avg: str
    suggested: str  # "" when the student has no marks
    current: str  # the stored period mark as shown ("не атт." too), "" when none
    version: str  # the stored mark's version the preview saw
    status: str  # new, same, differs, no_marks
    note: str  # what the row means, in Russian
    value: str  # the chosen mark: "2"–"5", or "" to leave the row as it is
    just: str  # the stored justification, kept when the stored mark is kept
    need: str  # "1": the choice departs from the suggestion, a justification is needed
    error: str  # why this row stopped the save


# --------------------------------------------------------------------------- the cell code


def cell_code(
    cell: CellState, *, enrolled: bool, missing: bool, write: str = "", note: str = ""
) -> str:
    """One cell for the browser: ``text~version~flags~title``."""
    flags = ("" if enrolled else "x") + ("e" if cell.excused else "") + ("m" if missing else "")
    flags += write
    title = note
    if not title and cell.excused and cell.attendance is not None:
        title = f"Уважительная причина: {cell.attendance.reason}"
    elif not title and not enrolled:
        title = "Учащийся не числился в классе в этот день"
    return SEP.join((cell.text, str(cell.version), flags, title.replace(SEP, "-")))


def code_parts(code: str) -> tuple[str, int, str, str]:
    """A cell code's (text, version, flags, title)."""
    text, version, flags, title = [*code.split(SEP, 3), "", "0", "", ""][:4]
    return text, int(version or 0), flags, title


def with_write_flag(code: str, write: str, note: str, *, text: str | None = None) -> str:
    """The cell code with its last-write flag replaced by `write` and its title by `note`
    (and its text by `text`, a value typed but not saved)."""
    old_text, version, flags, _ = code_parts(code)
    flags = "".join(f for f in flags if f not in WRITE_FLAGS) + write
    shown = old_text if text is None else text.replace(SEP, "")
    return SEP.join((shown, str(version), flags, note.replace(SEP, "-")))


# --------------------------------------------------------------------------- rows


def num(value: Decimal | None) -> str:
    """4.25 → "4,25" (Russian decimal comma); None → ""."""
    return decimal_text(value, empty="")


def date_ru(d: dt.date) -> str:
    return d.strftime("%d.%m.%Y")


def period_mark_text(value: int | None, not_attested: bool) -> str:
    if not_attested:
        return "не атт."
    return "" if value is None else str(value)


def lesson_dict(c: LessonColumn, *, two_marks: bool) -> LessonCol:
    """A lesson column for the browser (strings only)."""
    hover = [f"{date_ru(c.date)}, {c.number}-й урок"]
    if c.work_type_name:
        hover.append(c.work_type_name)
    hover.append(f"Тема: {c.topic}" if c.topic else "Тема не записана")
    if c.homework:
        hover.append(f"Д/з: {c.homework}")
    elif c.homework_none:
        hover.append("Д/з: не задано")
    if c.cancelled:
        hover.append("Урок отменён")
    elif c.attendance_missing:
        hover.append(ATTENDANCE_NOT_TAKEN)
    return {
        "id": str(c.id),
        "date": c.date.isoformat(),
        "label": c.label,
        "number": str(c.number),
        "wt": c.work_type,
        "wt_id": str(c.work_type_id or ""),
        "wt_name": c.work_type_name,
        "topic": c.topic,
        "plan_id": str(c.plan_item_id or ""),
        "homework": c.homework,
        "links": "\n".join(c.homework_links),
        "editable": "1" if c.editable else "",
        "lock": c.lock_reason,
        "reason": "1" if c.needs_reason else "",
        "control": "1" if c.is_control else "",
        "cancelled": "1" if c.cancelled else "",
        "two": "1" if two_marks else "",
        "version": str(c.version),
        "title": "\n".join(hover),
        "hw_none": "1" if c.homework_none else "",
        "att": "1" if c.attendance_taken_at is not None else "0" if c.attendance_missing else "",
        "att_at": c.attendance_taken_at.strftime("%d.%m %H:%M") if c.attendance_taken_at else "",
        "hw_due": c.homework_due_on.isoformat() if c.homework_due_on else "",
    }


def student_head(s: StudentRow) -> StudentHead:
    return {"id": str(s.id), "num": str(s.number), "name": s.full_name, "short": s.short_name}


def figures_dict(s: StudentRow) -> Figures:
    pm = s.period_mark
    ym = s.year_mark
    return {
        "n": str(s.marks_count) if s.marks_count else "",
        "a": str(s.absences) if s.absences else "",
        "au": str(s.absences_unexcused),
        "avg": num(s.average),
        "s": str(s.suggested or ""),
        "pm": period_mark_text(pm.value, pm.not_attested) if pm else "",
        "pm_title": pm.justification if pm else "",
        "pm_off": "1" if pm and pm.value is not None and pm.value != s.suggested else "",
        "pv": str(pm.version) if pm else "0",
        "ym": period_mark_text(ym.value, ym.not_attested) if ym else "",
        "yv": str(ym.version) if ym else "0",
        "ys": str(s.year_suggested or ""),
        "na": "1" if s.may_be_unattested else "",
    }


def with_period_mark(figures: Figures, result: journal.PeriodMarkResult, *, year: bool) -> Figures:
    """A row's figures with a stored period (or year) mark and its version; edits `figures`."""
    text = period_mark_text(result.value, result.not_attested)
    if year:
        figures["ym"], figures["yv"] = text, str(result.version)
    else:
        figures["pm"], figures["pv"] = text, str(result.version)
        figures["pm_title"] = result.justification
        figures["pm_off"] = (
            "1" if result.value is not None and result.value != result.suggested else ""
        )
    return figures


def lesson_item_dict(i: LessonItem) -> LessonItemRow:
    place = f"{i.class_name}" + (f", {i.subgroup_name}" if i.subgroup_name else "")
    note = ""
    if i.is_substitute:
        note = "Замена"
    elif i.substituted_by is not None:
        note = "Вас заменяют"
    if i.cancelled:
        note = "Отменён"
    return {
        "lesson_id": str(i.lesson_id or ""),
        "assignment_id": str(i.assignment_id),
        "period_id": str(i.period_id or ""),
        "number": str(i.number),
        "time": i.starts_at.strftime("%H:%M") if i.starts_at else "",
        "place": place,
        "subject": i.subject_name,
        "topic": i.topic,
        "room": i.room,
        "note": note,
        "href": (
            f"/journal?a={i.assignment_id}&p={i.period_id}"
            + (f"&l={i.lesson_id}" if i.lesson_id else "")
            if i.period_id
            else ""
        ),
    }


def page_groups(pages: list[PageRef], today: dt.date) -> list[PageGroup]:
    """Pages grouped by class × subject, each with its periods (the current one marked)."""
    groups: dict[int, PageGroup] = {}
    for p in pages:
        g = groups.setdefault(
            p.assignment_id,
            {
                "title": f"{p.class_name}"
                + (f", {p.subgroup_name}" if p.subgroup_name else "")
                + f" — {p.subject_name}",
                "teacher": p.teacher_name,
                "periods": [],
            },
        )
        g["periods"].append(
            {
                "label": p.period_name,
                "href": f"/journal?a={p.assignment_id}&p={p.period_id}",
                "current": "1" if p.starts_on <= today <= p.ends_on else "",
            }
        )
    return list(groups.values())


def absence_dict(a: journal.AbsenceItem, class_label: str) -> AbsenceRow:
    """An unexcused absence for the class teacher's list (strings only)."""
    return {
        "id": str(a.attendance_id),
        "version": str(a.version),
        "student": a.student_name,
        "class": class_label,
        "date": a.date.strftime("%d.%m"),
        "weekday": WEEKDAYS[a.date.weekday()],
        "number": str(a.number),
        "subject": a.subject_name,
    }


def bulk_mark_row(p: journal.PeriodMarkProposal) -> BulkMarkRow:
    """A preview row of «выставить расчётные»: the suggestion is chosen where nothing
    different is stored; a different stored mark is kept until the teacher changes it."""
    current = p.current
    shown = period_mark_text(current.value, current.not_attested) if current else ""
    suggested = str(p.suggested or "")
    if p.status == "differs":
        value = str(current.value) if current and current.value is not None else ""
        note = f"Уже выставлена «{shown}»" + (
            f", расчётная {suggested}: оставлена; выберите {suggested}, чтобы заменить."
            if suggested
            else "."
        )
    elif p.status == "no_marks":
        value, note = "", "Нет текущих отметок: отметку выставляют вручную, с обоснованием."
    elif p.status == "same":
        value, note = suggested, "Уже выставлена расчётная."
    else:
        value, note = suggested, ""
    return {
        "sid": str(p.student_id),
        "num": str(p.number),
        "name": p.full_name,
        "avg": num(p.average),
        "suggested": suggested,
        "current": shown,
        "version": str(current.version) if current else "0",
        "status": p.status,
        "note": note,
        "value": value,
        "just": current.justification if current else "",
        "need": "1" if value and value != suggested else "",
        "error": "",
    }
