"""``/dashboard``: the deputy's control room — headline figures, charts, the checklist
of the regulations and the reports with their exports; a class teacher sees it for their
class. Every figure comes from `ejournal.domain.control`, scoped there by the actor's
analytics permission; this State only keeps the filters and shapes the rows.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import plotly.graph_objects as go
import reflex as rx

from ejournal.domain.control import (
    Filters,
    Finding,
    Report,
    Window,
    checklist,
    choices,
    export,
    reports,
)
from ejournal.domain.control import table as control_table
from ejournal.domain.db import read_only
from ejournal.domain.errors import DomainError
from ejournal.domain.numbers import int_or_none
from ejournal.domain.permissions import Actor, Permission
from ejournal.state import control_charts as charts
from ejournal.state.base import SessionState, requires, run_service
from ejournal.state.control_rows import (
    ColumnRow,
    FindingRow,
    ForecastRow,
    Option,
    RuleRow,
    TileRow,
    cell_text,
    column_row,
    finding_row,
    forecast_row,
    option_list,
    share_text,
)

log = logging.getLogger(__name__)

ALL = "all"
#: How many findings of one group, and how many report rows, the page lists at first
#: and adds with «Показать ещё»; the exports hold them all.
SHOWN_FINDINGS = 20
SHOWN_ROWS = 50
GROUPINGS = {"rule": "по правилам", "teacher": "по учителям", "class": "по классам"}


def _window(session: Any, actor: Actor, view: str, month: str, period: str) -> Window:
    on = choices.school_today_for_actor(session, actor)
    if view == "period":
        pid = int_or_none(period)
        if pid is None:
            raise DomainError("Выберите период.")
        return control_table.period_window(session, actor.school_id, pid, on=on)
    return control_table.month_window(session, actor.school_id, month, on=on)


@read_only
def _overview(
    session: Any,
    *,
    actor: Actor,
    view: str,
    month: str,
    period: str,
    filters: Filters,
    report_name: str,
) -> tuple[Window, list[Any], Report, list[Finding], Report, Report]:
    """Everything the page shows for one choice of filters, read in one transaction."""
    window = _window(session, actor, view, month, period)
    tiles = reports.headline(session, actor=actor, window=window, filters=filters)
    fill = reports.fill_report(session, actor=actor, window=window, filters=filters)
    findings = checklist.run_checklist(session, actor=actor, window=window, filters=filters)
    progress = reports.progress_report(session, actor=actor, window=window, filters=filters)
    table = (
        fill
        if report_name == "fill"
        else reports.build_report(session, report_name, actor=actor, window=window, filters=filters)
    )
    return window, tiles, fill, findings, table, progress


@read_only
def _one_report(
    session: Any,
    *,
    actor: Actor,
    view: str,
    month: str,
    period: str,
    filters: Filters,
    name: str,
) -> Report:
    window = _window(session, actor, view, month, period)
    return reports.build_report(session, name, actor=actor, window=window, filters=filters)


def _tile(t: Any, previous_label: str) -> TileRow:
    value = t.value
    shown = share_text(value) if t.kind == "share" else ("—" if value is None else f"{value:g}")
    delta, trend = "", ""
    if value is not None and t.previous is not None:
        diff = value - t.previous
        if t.kind == "share":
            points = round(100 * diff)
            delta = f"{points:+d} п.п. {previous_label}".replace("-", "−")
            trend = "up" if points > 0 else "down" if points < 0 else "same"
        else:
            delta = f"{diff:+g} {previous_label}".replace("-", "−")
            trend = "up" if diff > 0 else "down" if diff < 0 else "same"
    return {
        "key": t.key,
        "title": t.title,
        "value": shown,
        "delta": delta,
        "trend": trend,
        "definition": t.definition,
        "counts": t.counts,
    }


class DashboardState(SessionState):
    """The control page: filters, tiles, charts, checklist and the chosen report."""

    view: str = "month"  # "month" or "period"
    month: str = ""
    period: str = ""
    grade: str = ALL
    class_id: str = ALL
    subject_id: str = ALL
    teacher_id: str = ALL
    months: list[Option] = []
    periods: list[Option] = []
    grades: list[Option] = []
    classes: list[Option] = []
    subjects: list[Option] = []
    teachers: list[Option] = []
    whole_school: bool = False

    window_label: str = ""
    tiles: list[TileRow] = []
    heat: go.Figure = go.Figure()
    bars: go.Figure = go.Figure()
    bars_height: str = "420px"
    trend: go.Figure = go.Figure()
    has_charts: bool = False

    group_by: str = "rule"
    groups: list[RuleRow] = []
    group: str = ""
    findings: list[FindingRow] = []
    findings_total: int = 0
    findings_note: str = ""
    findings_more: bool = False
    _findings_limit: int = SHOWN_FINDINGS

    report_name: str = "fill"
    report_titles: list[Option] = []
    report_title: str = ""
    columns: list[ColumnRow] = []
    rows: list[list[str]] = []
    rows_note: str = ""
    rows_more: bool = False
    _rows_limit: int = SHOWN_ROWS
    _report: Report | None = None

    loaded: bool = False
    busy: bool = False
    error: str = ""

    forecasts: list[ForecastRow] = []
    forecast_note: str = ""
    forecast_busy: bool = False

    _findings: list[Finding] = []
    _rule_titles: dict[str, str] = {}

    # ------------------------------------------------------------------ loading

    def _filters(self) -> Filters:
        def pick(v: str) -> int | None:
            return None if v == ALL else int_or_none(v)

        return Filters(
            grade=pick(self.grade),
            class_id=pick(self.class_id),
            subject_id=pick(self.subject_id),
            teacher_id=pick(self.teacher_id),
        )

    @requires(Permission.ANALYTICS_READ)
    async def load(self) -> Any:
        """Open the page: the filters' options, then the current month's figures."""
        actor = self._actor()
        try:
            found = await run_service(choices.control_choices, actor=actor)
        except DomainError as e:
            self.error = e.message
            return
        self.months = option_list(found.months)
        self.periods = option_list(found.periods)
        self.grades = option_list(found.grades)
        self.classes = option_list(found.classes)
        self.subjects = option_list(found.subjects)
        self.teachers = option_list(found.teachers)
        self.whole_school = found.whole_school
        if not self.month or self.month not in {m["value"] for m in self.months}:
            self.month = found.current_month
        if not self.period or self.period not in {p["value"] for p in self.periods}:
            self.period = found.current_period
        self.report_titles = [{"value": k, "label": v} for k, v in reports.REPORT_NAMES.items()]
        self._rule_titles = {r.code: r.title for r in checklist.RULES}
        self.busy = True
        yield
        await self._refresh()
        self.forecast_busy = True
        yield
        await self._load_forecasts()

    async def _load_forecasts(self) -> None:
        """The classes' forecast for the running term (after the figures: it takes longer)."""
        try:
            found = await run_service(choices.running_class_forecasts, actor=self._actor())
        except DomainError as e:
            self.forecasts, self.forecast_note = [], e.message
            return
        finally:
            self.forecast_busy = False
        self.forecasts = [forecast_row(f) for f in found]
        self.forecast_note = (
            f"{found[0].period_name}: {found[0].accuracy_words}; диапазон — от 10 до 90 % "
            "возможных исходов."
            if found
            else "Прогноз появится, когда в периоде будут отметки."
        )

    async def _refresh(self) -> None:
        """Recompute the figures for the chosen filters (the caller shows «Считаю…»)."""
        actor = self._actor()
        try:
            window, tiles, fill, findings, table, progress = await run_service(
                _overview,
                actor=actor,
                view=self.view,
                month=self.month,
                period=self.period,
                filters=self._filters(),
                report_name=self.report_name,
            )
        except DomainError as e:
            self.error = e.message
            return
        finally:
            self.busy = False
        self.error = ""
        self.loaded = True
        self.window_label = window.label
        previous = "к прошлому месяцу" if window.month else "к прошлому периоду"
        self.tiles = [_tile(t, previous) for t in tiles]
        self.heat = charts.fill_heat_map(fill)
        self.bars = charts.teacher_bars(fill)
        self.bars_height = f"{charts.figure_height(self.bars)}px"
        self.trend = charts.progress_trend(progress)
        self.has_charts = bool(fill.rows)
        self._findings = findings
        self._group_findings()
        self._show_report(table)

    # ------------------------------------------------------------------ the checklist

    def _group_key(self, f: Finding) -> tuple[str, str]:
        if self.group_by == "teacher":
            return (str(f.teacher_id or 0), f.teacher or "Без учителя")
        if self.group_by == "class":
            return (str(f.class_id or 0), f.class_name or "Без класса")
        return (f.rule, self._rule_titles.get(f.rule, f.rule))

    def _group_findings(self) -> None:
        counts: Counter[str] = Counter()
        titles: dict[str, str] = {}
        for f in self._findings:
            key, title = self._group_key(f)
            counts[key] += 1
            titles[key] = title
        rules = {r.code: r for r in checklist.RULES}
        if self.group_by == "rule":
            keys = [r.code for r in checklist.RULES]
        else:
            keys = sorted(counts, key=lambda k: (-counts[k], titles[k]))
        self.groups = [
            {
                "key": k,
                "title": titles.get(k) or (rules[k].title if k in rules else k),
                "clause": rules[k].clause if self.group_by == "rule" and k in rules else "",
                "description": (
                    rules[k].description if self.group_by == "rule" and k in rules else ""
                ),
                "count": counts.get(k, 0),
            }
            for k in keys
        ]
        self.findings_total = len(self._findings)
        if self.group not in counts:
            self.group = next((g["key"] for g in self.groups if g["count"]), "")
        self._list_group()

    def _list_group(self) -> None:
        chosen = [
            (i, f) for i, f in enumerate(self._findings) if self._group_key(f)[0] == self.group
        ]
        limit = self._findings_limit
        self.findings = [
            finding_row(i, f, self._rule_titles.get(f.rule, f.rule)) for i, f in chosen[:limit]
        ]
        self.findings_more = len(chosen) > limit
        self.findings_note = (
            f"Показано {limit} из {len(chosen)}. Все замечания — в отчёте «Проверка ведения "
            "журнала» ниже (XLSX, PDF)."
            if len(chosen) > limit
            else ""
        )

    @requires(Permission.ANALYTICS_READ)
    def group_findings(self, value: str | list[str]) -> None:
        """Group the checklist by rule, teacher or class."""
        if isinstance(value, str) and value in GROUPINGS:
            self.group_by = value
            self.group = ""
            self._findings_limit = SHOWN_FINDINGS
            self._group_findings()

    @requires(Permission.ANALYTICS_READ)
    def open_group(self, key: str) -> None:
        """List the findings of one group."""
        self.group = str(key)
        self._findings_limit = SHOWN_FINDINGS
        self._list_group()

    @requires(Permission.ANALYTICS_READ)
    def more_findings(self) -> None:
        """«Показать ещё»: the next findings of the open group."""
        self._findings_limit += 5 * SHOWN_FINDINGS
        self._list_group()

    @requires(Permission.ANALYTICS_READ)
    async def send_finding(self, form: dict[str, Any]) -> Any:
        """Send a finding to its teacher as a message (deputy, director) [000 §6.4]."""
        index = int_or_none(form.get("index"))
        if index is None or not 0 <= index < len(self._findings):
            return rx.toast.error("Замечание не найдено: обновите страницу.")
        f = self._findings[index]
        if not f.teacher_id:
            return rx.toast.error("У этого замечания нет учителя.")
        note = str(form.get("note") or "").strip()
        body = f"{f.text}\n\nСтраница журнала: {f.link}" if f.link else f.text
        if note:
            body = f"{note}\n\n{body}"
        title = self._rule_titles.get(f.rule, "Замечание по журналу")
        try:
            await run_service(
                choices.send_to_teacher,
                actor=self._actor(),
                staff_id=f.teacher_id,
                subject=f"Контроль журнала: {title}",
                body=body,
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        return rx.toast.success(f"Замечание отправлено: {f.teacher}.")

    # ------------------------------------------------------------------ filters

    @requires(Permission.ANALYTICS_READ)
    async def choose_view(self, value: str | list[str]) -> Any:
        """Month or period."""
        if isinstance(value, str) and value in ("month", "period"):
            self.view = value
            self.busy = True
            yield
            await self._refresh()

    @requires(Permission.ANALYTICS_READ)
    async def choose_month(self, value: str) -> Any:
        self.view, self.month = "month", str(value)
        self.busy = True
        yield
        await self._refresh()

    @requires(Permission.ANALYTICS_READ)
    async def choose_period(self, value: str) -> Any:
        self.view, self.period = "period", str(value)
        self.busy = True
        yield
        await self._refresh()

    @requires(Permission.ANALYTICS_READ)
    async def narrow(self, key: str, value: str) -> Any:
        """Narrow to a grade, class, subject or teacher ("all" clears)."""
        if key in ("grade", "class_id", "subject_id", "teacher_id"):
            setattr(self, key, str(value) if value else ALL)
            self.busy = True
            yield
            await self._refresh()

    @requires(Permission.ANALYTICS_READ)
    async def clear_filters(self) -> Any:
        self.grade = self.class_id = self.subject_id = self.teacher_id = ALL
        self.busy = True
        yield
        await self._refresh()

    # ------------------------------------------------------------------ reports

    def _show_report(self, report: Report, *, limit: int = SHOWN_ROWS) -> None:
        self._report = report
        self._rows_limit = limit
        self.report_title = f"{report.title} — {report.window.label}"
        self.columns = [column_row(c) for c in report.columns]
        self.rows = [
            [cell_text(c, row.get(c.key)) for c in report.columns] for row in report.rows[:limit]
        ]
        self.rows_more = len(report.rows) > limit
        self.rows_note = (
            f"Показано {limit} строк из {len(report.rows)}; все — в выгрузке."
            if len(report.rows) > limit
            else ("Нет данных за выбранный период." if not report.rows else "")
        )

    @requires(Permission.ANALYTICS_READ)
    def more_rows(self) -> None:
        """«Показать ещё»: the next rows of the report on screen."""
        if self._report is not None:
            self._show_report(self._report, limit=self._rows_limit + 4 * SHOWN_ROWS)

    @requires(Permission.ANALYTICS_READ)
    async def choose_report(self, name: str) -> Any:
        if name not in reports.REPORT_NAMES:
            return rx.toast.error("Такого отчёта нет.")
        self.report_name = name
        try:
            report = await run_service(
                _one_report,
                actor=self._actor(),
                view=self.view,
                month=self.month,
                period=self.period,
                filters=self._filters(),
                name=name,
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        self._show_report(report)
        return None

    @requires(Permission.ANALYTICS_READ)
    async def download(self, fmt: str) -> Any:
        """The chosen report as XLSX, PDF or CSV, built for this user's scope."""
        if fmt not in ("xlsx", "pdf", "csv"):
            return rx.toast.error("Неизвестный формат выгрузки.")
        actor = self._actor()
        try:
            report = await run_service(
                _one_report,
                actor=actor,
                view=self.view,
                month=self.month,
                period=self.period,
                filters=self._filters(),
                name=self.report_name,
            )
            if fmt == "pdf":
                signer = await run_service(choices.signer_name, actor=actor)
                data = export.to_pdf(report, signer=signer, printed_on=report.window.on)
            elif fmt == "xlsx":
                data = export.to_xlsx(report)
            else:
                data = export.to_csv(report)
        except DomainError as e:
            return rx.toast.error(e.message)
        stamp = report.window.month or f"period-{report.window.period_id}"
        return rx.download(data=data, filename=f"{report.name}-{stamp}.{fmt}")
