"""The journal's home pages: ``/teacher`` (today's lessons and own pages), ``/class`` (the
class teacher's class and its recent absences) and the page picker (``/journal`` without
a page). «Today» is the school's date (its time zone), never the server's."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import reflex as rx

from ejournal.domain import journal
from ejournal.domain.control import RULES
from ejournal.domain.control import choices as control_choices
from ejournal.domain.errors import ConflictError, DomainError
from ejournal.domain.journal import PageRef
from ejournal.domain.numbers import int_or_none
from ejournal.domain.people import profile, slips
from ejournal.domain.permissions import Permission
from ejournal.domain.school.today import school_today_for
from ejournal.state.base import SessionState, requires, run_service
from ejournal.state.control_rows import FindingRow, Option, finding_row
from ejournal.state.journal.wire import (
    AbsenceRow,
    ClassChoice,
    LessonItemRow,
    PageGroup,
    absence_dict,
    date_ru,
    lesson_item_dict,
    page_groups,
)

#: How many of their findings a teacher's home page lists (all are on «Контроль»).
MY_FINDINGS = 10


class TeacherHomeState(SessionState):
    """``/teacher``: today's lessons and the picker of the teacher's own pages."""

    day_label: str = ""
    lessons: list[LessonItemRow] = []
    groups: list[PageGroup] = []
    home_error: str = ""
    my_findings: list[FindingRow] = []
    my_findings_total: int = 0
    my_findings_label: str = ""
    my_rule_counts: list[Option] = []  # rule title → how many findings
    _today: str = ""  # the school's date of the last load (ISO)

    @requires(Permission.JOURNAL_READ)
    async def load(self) -> Any:
        """Today's lessons (own, substitutions, slots not yet opened) and own pages."""
        actor = self._actor()
        try:
            today = await run_service(school_today_for, actor=actor)
        except DomainError as e:
            self.home_error = e.message
            return None
        self._today = today.isoformat()
        weekdays = (
            "понедельник",
            "вторник",
            "среда",
            "четверг",
            "пятница",
            "суббота",
            "воскресенье",
        )
        self.day_label = f"Сегодня {weekdays[today.weekday()]}, {date_ru(today)}"
        try:
            items = await run_service(journal.list_teacher_lessons, actor=actor, on=today)
            pages = await run_service(journal.list_pages, actor=actor)
        except DomainError as e:
            self.home_error = e.message
            return None
        self.home_error = ""
        self.lessons = [lesson_item_dict(i) for i in items]
        self.groups = page_groups([p for p in pages if p.own], today)
        await self._load_findings()
        return None

    async def _load_findings(self) -> None:
        """«Мои замечания»: what the deputy's checklist finds in the teacher's own lessons."""
        actor = self._actor()
        if not actor.can(Permission.ANALYTICS_READ):
            return
        window, found = await run_service(control_choices.own_findings, actor=actor)
        titles = {r.code: r.title for r in RULES}
        self.my_findings = [
            finding_row(i, f, titles.get(f.rule, f.rule)) for i, f in enumerate(found[:MY_FINDINGS])
        ]
        self.my_findings_total = len(found)
        self.my_findings_label = window.label
        counts = Counter(f.rule for f in found)
        self.my_rule_counts = [
            {"value": str(counts[r.code]), "label": r.title} for r in RULES if counts[r.code]
        ]

    @requires(Permission.LESSON_WRITE)
    async def open_slot(self, assignment_id: str, number: str) -> Any:
        """Open today's lesson for a timetable slot that has none yet, then go to its page."""
        actor = self._actor()
        a, n = int_or_none(assignment_id), int_or_none(number)
        if a is None or n is None:
            return rx.toast.error("Неверный урок.")
        try:
            today = (
                dt.date.fromisoformat(self._today)
                if self._today
                else await run_service(school_today_for, actor=actor)
            )
            column = await run_service(
                journal.create_lesson, actor=actor, assignment_id=a, on=today, number=n
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        period = next((x["period_id"] for x in self.lessons if x["assignment_id"] == str(a)), "")
        return rx.redirect(f"/journal?a={a}&p={period}&l={column.id}")


class ClassHomeState(SessionState):
    """``/class``: the class teacher's class, every subject's page (read-only), the
    recent absences without a valid reason, excused right from the list, and excusing a
    student's days at once (one reason, a preview first)."""

    groups: list[PageGroup] = []
    own_classes: list[ClassChoice] = []
    home_error: str = ""
    absences: list[AbsenceRow] = []
    absences_since: str = ""

    # Excusing a student's days: the students to pick, the previewed absences.
    range_students: list[ClassChoice] = []
    range_rows: list[AbsenceRow] = []
    range_summary: str = ""
    range_error: str = ""
    # What the preview covered: student, dates, reason and [attendance id, version] pairs.
    _range: dict[str, Any] = {}

    @requires(Permission.ATTENDANCE_EXCUSE)
    async def load(self) -> Any:
        """Every page of the actor's own class(es)."""
        actor = self._actor()
        try:
            today = await run_service(school_today_for, actor=actor)
            pages = await run_service(journal.list_pages, actor=actor)
            classes = await run_service(
                profile.class_choices, actor=actor, permission=Permission.ATTENDANCE_EXCUSE
            )
        except DomainError as e:
            self.home_error = e.message
            return None
        self.home_error = ""
        own = [p for p in pages if p.class_id in actor.class_teacher_of]
        self.groups = page_groups(own, today)
        self.own_classes = [
            {"id": str(cid), "name": name} for cid, name in classes if cid in actor.class_teacher_of
        ]
        try:
            await self._load_absences(today)
            students: list[ClassChoice] = []
            for c in self.own_classes:
                found = await run_service(
                    journal.class_students, actor=actor, class_id=int(c["id"])
                )
                several = len(self.own_classes) > 1
                students += [
                    {"id": str(x.id), "name": x.name + (f" ({c['name']})" if several else "")}
                    for x in found
                ]
            self.range_students = students
        except DomainError as e:
            self.home_error = e.message
        return None

    async def _load_absences(self, today: dt.date | None = None) -> None:
        """The own classes' absences without a valid reason for the last few weeks
        (up to the school's `today`, read from the school's clock when not given)."""
        actor = self._actor()
        if today is None:
            today = await run_service(school_today_for, actor=actor)
        since = today - dt.timedelta(weeks=journal.ABSENCE_WEEKS)
        several = len(self.own_classes) > 1
        rows: list[AbsenceRow] = []
        for c in self.own_classes:
            items = await run_service(
                journal.unexcused_absences, actor=actor, class_id=int(c["id"]), since=since
            )
            rows += [absence_dict(a, c["name"] if several else "") for a in items]
        self.absences = rows
        self.absences_since = since.strftime("%d.%m.%Y")

    @requires(Permission.ATTENDANCE_EXCUSE)
    async def excuse(self, form: dict[str, Any]) -> Any:
        """Excuse one listed absence with the reason typed next to it."""
        attendance_id = int_or_none(form.get("id"))
        listed = next((a for a in self.absences if a["id"] == str(attendance_id)), None)
        if attendance_id is None or listed is None:
            return rx.toast.error("Пропуск не найден в списке: обновите страницу.")
        try:
            await run_service(
                journal.excuse_absence,
                actor=self._actor(),
                attendance_id=attendance_id,
                reason=str(form.get("reason", "")),
                expected_version=int_or_none(listed["version"]) or 0,
            )
        except ConflictError as e:
            await self._load_absences()
            return rx.toast.error(e.message)
        except DomainError as e:
            return rx.toast.error(e.message)
        self.absences = [a for a in self.absences if a["id"] != listed["id"]]
        return rx.toast.success(
            f"Пропуск {listed['date']} ({listed['subject']}) отмечен как уважительный: "
            f"{listed['student']}."
        )

    def _drop_range(self) -> None:
        self._range = {}
        self.range_rows = []
        self.range_summary = ""

    @requires(Permission.ATTENDANCE_EXCUSE)
    async def preview_range(self, form: dict[str, Any]) -> Any:
        """Show the absences a student's days would excuse (date, lesson, subject)."""
        self._drop_range()
        sid = str(form.get("student", ""))
        student = next((x for x in self.range_students if x["id"] == sid), None)
        if student is None:
            self.range_error = "Выберите учащегося своего класса."
            return None
        try:
            date_from = dt.date.fromisoformat(str(form.get("date_from", "")))
            date_to = dt.date.fromisoformat(str(form.get("date_to", "")))
        except ValueError:
            self.range_error = "Укажите даты «с» и «по»."
            return None
        reason = str(form.get("reason", "")).strip()
        if not reason:
            self.range_error = "Укажите уважительную причину (справка, заявление родителей…)."
            return None
        try:
            items = await run_service(
                journal.absences_between,
                actor=self._actor(),
                student_id=int(sid),
                date_from=date_from,
                date_to=date_to,
            )
        except DomainError as e:
            self.range_error = e.message
            return None
        self.range_error = ""
        self._show_range(student["name"], date_from, date_to, reason, items)
        return None

    def _show_range(
        self,
        name: str,
        date_from: dt.date,
        date_to: dt.date,
        reason: str,
        items: list[journal.AbsenceItem],
    ) -> None:
        self.range_rows = [absence_dict(a, "") for a in items]
        span = f"с {date_ru(date_from)} по {date_ru(date_to)}"
        if not items:
            self._range = {}
            self.range_summary = f"{name}: {span} пропусков без уважительной причины нет."
            return
        self._range = {
            "sid": items[0].student_id,
            "name": name,
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "reason": reason,
            "expected": [[a.attendance_id, a.version] for a in items],
        }
        self.range_summary = (
            f"{name}, {span}: уроков с пропуском — {len(items)}. "
            f"Все будут отмечены по уважительной причине «{reason}»."
        )

    @requires(Permission.ATTENDANCE_EXCUSE)
    async def excuse_range(self) -> Any:
        """Excuse every previewed absence with the one reason, in one transaction."""
        r = self._range
        if not r:
            self.range_error = "Сначала покажите пропуски за эти дни."
            return None
        date_from, date_to = dt.date.fromisoformat(r["from"]), dt.date.fromisoformat(r["to"])
        try:
            cells = await run_service(
                journal.excuse_absences,
                actor=self._actor(),
                student_id=int(r["sid"]),
                date_from=date_from,
                date_to=date_to,
                reason=r["reason"],
                expected={int(a): int(v) for a, v in r["expected"]},
            )
        except ConflictError as e:
            current = e.current if isinstance(e.current, list) else []
            self._show_range(r["name"], date_from, date_to, r["reason"], current)
            self.range_error = e.message
            return None
        except DomainError as e:
            self.range_error = e.message
            return None
        self._drop_range()
        self.range_error = ""
        try:
            await self._load_absences()
        except DomainError:
            pass  # the list refreshes on the next visit
        return rx.toast.success(
            f"{r['name']}: отмечено пропусков по уважительной причине — {len(cells)}."
        )

    @requires(Permission.ATTENDANCE_EXCUSE)
    async def cancel_range(self) -> Any:
        """Drop the preview."""
        self._drop_range()
        self.range_error = ""
        return None

    @requires(Permission.CREDENTIALS_ISSUE)
    async def download_class_slips(self, class_id: int) -> Any:
        """Credential slips (PDF) for the students and parents of the actor's class."""
        try:
            pdf = await run_service(
                slips.class_slips_pdf, actor=self._actor(), class_id=int(class_id)
            )
        except (DomainError, TypeError, ValueError) as e:
            return rx.toast.error(getattr(e, "message", "Неверный класс."))
        return rx.download(data=pdf, filename=f"rekvizity-klass-{int(class_id)}.pdf")


#: Up to this many class × subject cards the picker shows them all at once; more (the
#: deputy and director read some 300) are shown one class at a time.
PICKER_ALL_LIMIT = 24
ALL_CLASSES = ""


class JournalPickerState(SessionState):
    """``/journal`` without a page: every page the viewer may read (deputy, director),
    one class at a time when there are many."""

    groups: list[PageGroup] = []
    classes: list[str] = []
    chosen_class: str = ALL_CLASSES
    show_all_allowed: bool = True
    picker_error: str = ""
    _by_class: dict[str, list[PageGroup]] = {}

    @requires(Permission.JOURNAL_READ)
    async def load(self) -> Any:
        """Pages visible to the actor, grouped by class and subject."""
        actor = self._actor()
        try:
            today = await run_service(school_today_for, actor=actor)
            pages = await run_service(journal.list_pages, actor=actor)
        except DomainError as e:
            self.picker_error = e.message
            return None
        self.picker_error = ""
        by_class: dict[str, list[PageRef]] = {}
        for p in pages:
            by_class.setdefault(p.class_name, []).append(p)
        self._by_class = {name: page_groups(refs, today) for name, refs in by_class.items()}
        self.classes = list(self._by_class)
        total = sum(len(g) for g in self._by_class.values())
        self.show_all_allowed = total <= PICKER_ALL_LIMIT
        if self.chosen_class not in self._by_class:
            self.chosen_class = (
                ALL_CLASSES if self.show_all_allowed or not self.classes else self.classes[0]
            )
        self._show()
        return None

    def _show(self) -> None:
        if self.chosen_class == ALL_CLASSES:
            self.groups = [g for groups in self._by_class.values() for g in groups]
        else:
            self.groups = self._by_class.get(self.chosen_class, [])

    @requires(Permission.JOURNAL_READ)
    async def choose_class(self, class_name: str) -> Any:
        """Show the pages of one class (or of every class, where they are few)."""
        name = str(class_name)
        if name == ALL_CLASSES and self.show_all_allowed:
            self.chosen_class = ALL_CLASSES
        elif name in self._by_class:
            self.chosen_class = name
        else:
            return rx.toast.error("Такого класса нет среди доступных страниц журнала.")
        self._show()
        return None
