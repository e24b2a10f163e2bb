"""``/dashboard``: the control room of the deputy and the director (a class teacher sees
their class): headline figures, charts, the regulations' checklist and the reports with
their XLSX / PDF / CSV exports."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.layout import layout
from ejournal.state.control import ALL, GROUPINGS, DashboardState
from ejournal.state.control_rows import FindingRow, Option, RuleRow, TileRow

S = DashboardState
TAP = "40px"


def _select(
    label: str, options: Any, value: Any, on_change: Any, *, all_label: str = ""
) -> rx.Component:
    items = [rx.select.item(all_label, value=ALL)] if all_label else []
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.select.root(
            rx.select.trigger(aria_label=label, min_height=TAP, width="100%"),
            rx.select.content(
                *items,
                rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["value"])),
            ),
            value=value,
            on_change=on_change,
        ),
        spacing="1",
        min_width="150px",
        flex="1 1 150px",
    )


def _filters() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text("Показывать за", size="1", color_scheme="gray"),
                rx.segmented_control.root(
                    rx.segmented_control.item("Месяц", value="month"),
                    rx.segmented_control.item("Период", value="period"),
                    value=S.view,
                    on_change=S.choose_view,
                    size="2",
                ),
                spacing="1",
            ),
            rx.cond(
                S.view == "month",
                _select("Месяц", S.months, S.month, S.choose_month),
                _select("Период", S.periods, S.period, S.choose_period),
            ),
            rx.cond(
                S.grades.length() > 1,  # type: ignore[attr-defined]
                _select(
                    "Параллель",
                    S.grades,
                    S.grade,
                    lambda v: S.narrow("grade", v),
                    all_label="Все параллели",
                ),
            ),
            rx.cond(
                S.classes.length() > 1,  # type: ignore[attr-defined]
                _select(
                    "Класс",
                    S.classes,
                    S.class_id,
                    lambda v: S.narrow("class_id", v),
                    all_label="Все классы",
                ),
            ),
            _select(
                "Предмет",
                S.subjects,
                S.subject_id,
                lambda v: S.narrow("subject_id", v),
                all_label="Все предметы",
            ),
            _select(
                "Учитель",
                S.teachers,
                S.teacher_id,
                lambda v: S.narrow("teacher_id", v),
                all_label="Все учителя",
            ),
            rx.button(
                "Сбросить фильтры",
                variant="soft",
                color_scheme="gray",
                on_click=S.clear_filters,
                min_height=TAP,
                align_self="end",
            ),
            gap="3",
            wrap="wrap",
            align="end",
            width="100%",
        ),
        width="100%",
    )


def _how(text: Any) -> rx.Component:
    """The «как считается» of a figure: a small question mark with the definition."""
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                "как считается",
                variant="ghost",
                size="1",
                color_scheme="gray",
                aria_label="Как считается",
            )
        ),
        rx.popover.content(rx.text(text, size="2"), max_width="320px"),
    )


def _tile(t: TileRow) -> rx.Component:
    color = rx.match(t["trend"], ("up", "green"), ("down", "red"), "gray")
    return rx.card(
        rx.vstack(
            rx.text(t["title"], size="2", color_scheme="gray"),
            rx.text(t["value"], size="7", weight="bold", data_testid="tile-value"),
            rx.cond(t["delta"] != "", rx.text(t["delta"], size="1", color_scheme=color)),
            rx.text(t["counts"], size="1", color_scheme="gray"),
            _how(t["definition"]),
            spacing="1",
        ),
        data_testid="tile",
    )


def _tiles() -> rx.Component:
    return rx.grid(
        rx.foreach(S.tiles, _tile),
        columns=rx.breakpoints(initial="2", sm="3", md="5"),
        spacing="3",
        width="100%",
    )


def _charts() -> rx.Component:
    # No mode bar: its tooltips are English; the hover labels are written in Russian.
    config = {"displayModeBar": False, "responsive": True}
    return rx.cond(
        S.has_charts,
        rx.grid(
            rx.card(
                rx.plotly.cartesian(data=S.heat, config=config, width="100%", height="420px"),
                data_testid="chart-heat",
            ),
            rx.card(
                rx.plotly.cartesian(data=S.bars, config=config, width="100%", height=S.bars_height),
                data_testid="chart-bars",
            ),
            rx.card(
                rx.plotly.cartesian(data=S.trend, config=config, width="100%", height="360px"),
                data_testid="chart-trend",
                grid_column=rx.breakpoints(initial="auto", md="span 2"),
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="3",
            width="100%",
        ),
    )


def _group_button(g: RuleRow) -> rx.Component:
    return rx.button(
        rx.hstack(
            rx.text(g["title"], size="2", text_align="left"),
            rx.spacer(),
            rx.badge(
                g["count"],
                color_scheme=rx.cond(g["count"] > 0, "red", "green"),
                # On the chosen (dark) button a soft badge is dark on dark: solid there.
                variant=rx.cond(S.group == g["key"], "solid", "soft"),
                high_contrast=True,
            ),
            width="100%",
            align="center",
        ),
        variant=rx.cond(S.group == g["key"], "solid", "soft"),
        color_scheme="gray",
        # Solid gray-9 under white text is below 4.5:1: the dark high-contrast scale.
        high_contrast=True,
        on_click=S.open_group(g["key"]),
        width="100%",
        min_height=TAP,
        height="auto",
        padding_y="6px",
        white_space="normal",
        data_testid="finding-group",
    )


def _send_form(f: FindingRow) -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(
            rx.button("Написать учителю", size="1", variant="soft", min_height="32px")
        ),
        rx.popover.content(
            rx.form(
                rx.vstack(
                    rx.text("Сообщение учителю с этим замечанием и ссылкой", size="2"),
                    rx.text_area(name="note", placeholder="Ваш комментарий (необязательно)"),
                    rx.input(type="hidden", name="index", value=f["key"]),
                    rx.popover.close(rx.button("Отправить", type="submit")),
                    spacing="2",
                ),
                on_submit=S.send_finding,
                reset_on_submit=True,
            ),
            max_width="340px",
        ),
    )


def _finding(f: FindingRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.cond(f["student"] != "", rx.text(f["student"], size="2", weight="bold")),
            rx.text(f["text"], size="2"),
            rx.flex(
                rx.cond(f["class_name"] != "", rx.badge(f["class_name"], variant="soft")),
                rx.cond(f["subject"] != "", rx.badge(f["subject"], variant="soft")),
                rx.cond(f["teacher"] != "", rx.badge(f["teacher"], variant="outline")),
                rx.cond(
                    f["day"] != "",
                    rx.text(f["day"], size="1", color_scheme="gray", margin_left="4px"),
                ),
                gap="2",
                wrap="wrap",
                align="center",
            ),
            rx.flex(
                rx.cond(
                    f["link"] != "",
                    rx.link("Открыть в журнале", href=f["link"], size="2", weight="medium"),
                ),
                rx.cond(S.whole_school & (f["teacher_id"] > 0), _send_form(f)),
                gap="3",
                wrap="wrap",
                align="center",
            ),
            spacing="2",
        ),
        width="100%",
        data_testid="finding",
    )


def _checklist() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.heading("Проверка ведения журнала", size="4"),
            rx.spacer(),
            rx.select.root(
                rx.select.trigger(aria_label="Группировать", min_height=TAP),
                rx.select.content(
                    *[rx.select.item(f"Группировать {v}", value=k) for k, v in GROUPINGS.items()]
                ),
                value=S.group_by,
                on_change=S.group_findings,
            ),
            wrap="wrap",
            gap="2",
            width="100%",
            align="center",
        ),
        rx.text(
            "Всего замечаний: ",
            rx.text.strong(S.findings_total),
            ". Правила — из положений о ведении журнала; пороги меняются в настройках школы.",
            size="2",
            color_scheme="gray",
        ),
        rx.grid(
            rx.vstack(rx.foreach(S.groups, _group_button), spacing="2", width="100%"),
            rx.vstack(
                rx.foreach(
                    S.groups,
                    lambda g: rx.cond(
                        (S.group == g["key"]) & (g["description"] != ""),
                        rx.callout(
                            rx.text(g["description"], " ", rx.text.em(g["clause"])),
                            icon="book-open",
                            size="1",
                            width="100%",
                        ),
                    ),
                ),
                rx.foreach(S.findings, _finding),
                rx.cond(
                    S.findings_more,
                    rx.button(
                        "Показать ещё",
                        variant="soft",
                        on_click=S.more_findings,
                        min_height=TAP,
                        width="100%",
                    ),
                ),
                rx.cond(
                    S.findings_note != "",
                    rx.text(S.findings_note, size="1", color_scheme="gray"),
                ),
                rx.cond(
                    S.findings.length() == 0,  # type: ignore[attr-defined]
                    rx.text("Замечаний нет.", size="2", color_scheme="green", high_contrast=True),
                ),
                spacing="2",
                width="100%",
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="3",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _report_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.foreach(
                        S.columns,
                        lambda c: rx.table.column_header_cell(
                            rx.tooltip(rx.text(c["title"]), content=c["definition"]),
                            text_align=rx.cond(c["numeric"], "right", "left"),
                        ),
                    )
                )
            ),
            rx.table.body(
                rx.foreach(
                    S.rows,
                    lambda row: rx.table.row(
                        rx.foreach(row, lambda v: rx.table.cell(v, white_space="nowrap"))
                    ),
                )
            ),
            size="1",
            variant="surface",
            data_testid="report-table",
            # As wide as its columns: the box below scrolls, not Radix's inner viewport
            # (which the keyboard cannot reach).
            width="max-content",
            min_width="100%",
        ),
        overflow_x="auto",
        width="100%",
        # A scrolling region the keyboard can reach and a screen reader can name.
        tab_index=0,
        role="region",
        aria_label="Таблица отчёта",
    )


def _forecasts() -> rx.Component:
    """The classes' успеваемость and качество forecast for the end of the running term."""
    head = ("Класс", "Учащихся", "Успеваемость сейчас", "Прогноз", "Качество сейчас", "Прогноз")
    return rx.vstack(
        rx.heading("Прогноз на конец периода", size="4"),
        rx.text(S.forecast_note, size="2", color_scheme="gray", high_contrast=True),
        rx.cond(S.forecast_busy, rx.hstack(rx.spinner(size="1"), rx.text("Считаю прогноз…"))),
        rx.cond(
            S.forecasts.length() > 0,  # type: ignore[attr-defined]
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in head])),
                    rx.table.body(
                        rx.foreach(
                            S.forecasts,
                            lambda f: rx.table.row(
                                rx.table.cell(f["class_name"]),
                                rx.table.cell(f["students"]),
                                rx.table.cell(f["progress_now"]),
                                rx.table.cell(f["progress"], white_space="nowrap"),
                                rx.table.cell(f["quality_now"]),
                                rx.table.cell(f["quality"], white_space="nowrap"),
                            ),
                        )
                    ),
                    size="1",
                    variant="surface",
                    data_testid="class-forecast",
                ),
                overflow_x="auto",
                width="100%",
                tab_index=0,
                aria_label="Прогноз по классам",
            ),
        ),
        spacing="2",
        width="100%",
    )


def _reports() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.heading("Отчёты", size="4"),
            rx.spacer(),
            rx.select.root(
                rx.select.trigger(aria_label="Отчёт", min_height=TAP),
                rx.select.content(
                    rx.foreach(
                        S.report_titles,
                        lambda o: rx.select.item(o["label"], value=o["value"]),
                    )
                ),
                value=S.report_name,
                on_change=S.choose_report,
            ),
            rx.button("XLSX", on_click=S.download("xlsx"), variant="soft", min_height=TAP),
            rx.button("PDF", on_click=S.download("pdf"), variant="soft", min_height=TAP),
            rx.button("CSV", on_click=S.download("csv"), variant="soft", min_height=TAP),
            gap="2",
            wrap="wrap",
            align="center",
            width="100%",
        ),
        rx.text(S.report_title, weight="medium"),
        rx.text(
            "Наведите на заголовок столбца, чтобы увидеть, как он считается; "
            "в XLSX определения — на листе «Как считается».",
            size="1",
            color_scheme="gray",
        ),
        _report_table(),
        rx.cond(S.rows_note != "", rx.text(S.rows_note, size="1", color_scheme="gray")),
        rx.cond(
            S.rows_more,
            rx.button("Показать ещё", variant="soft", on_click=S.more_rows, min_height=TAP),
        ),
        spacing="2",
        width="100%",
    )


def dashboard() -> rx.Component:
    """``/dashboard``."""
    return layout(
        "Контроль ведения журнала",
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red")),
        _filters(),
        rx.hstack(
            rx.text(S.window_label, weight="medium", data_testid="window-label"),
            rx.cond(S.busy, rx.hstack(rx.spinner(size="1"), rx.text("Считаю…", size="1"))),
            align="center",
            spacing="2",
        ),
        _tiles(),
        _charts(),
        rx.divider(),
        _checklist(),
        rx.divider(),
        _forecasts(),
        rx.divider(),
        _reports(),
    )


__all__ = ["Option", "dashboard"]
