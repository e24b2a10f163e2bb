"""The period-close section of ``/records`` (deputy: close a term; director: close the year).

Include it in a page with ``period_close_section()``; it loads itself when mounted and
hides itself for anyone who closes neither terms nor the year.
"""

from __future__ import annotations

import reflex as rx

from ejournal.components.layout import error_callout, field_label
from ejournal.state.period_close import PeriodCloseState as S


def _pickers() -> rx.Component:
    # The class is chosen once, at the top of /records (RecordsState.choose_class).
    return rx.flex(
        rx.flex(
            field_label("Период", "period-close-term"),
            rx.el.select(
                rx.foreach(
                    S.terms,
                    lambda t: rx.el.option(
                        t["name"] + rx.cond(t["sealed"] == "1", " (закрыт)", ""), value=t["id"]
                    ),
                ),
                id="period-close-term",
                aria_label="Четверть или полугодие",
                value=S.period_id,
                on_change=S.choose_period,
                class_name="ej-select",
            ),
            gap="8px",
            align="center",
        ),
        gap="16px",
        wrap="wrap",
        align="center",
    )


def _readiness() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Предмет"),
                    rx.table.column_header_cell("Учитель"),
                    rx.table.column_header_cell("Учащихся"),
                    rx.table.column_header_cell("Без отметки за период"),
                    rx.table.column_header_cell("Состояние"),
                )
            ),
            rx.table.body(
                rx.foreach(
                    S.pages,
                    lambda p: rx.table.row(
                        rx.table.cell(p["subject"]),
                        rx.table.cell(p["teacher"]),
                        rx.table.cell(p["students"]),
                        rx.table.cell(p["missing"]),
                        rx.table.cell(p["status"]),
                    ),
                )
            ),
            size="1",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
    )


def _seal_button() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Закрыть период", disabled=S.year_closed)),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Закрыть период?"),
            rx.alert_dialog.description(
                "Отметки, посещаемость и отметки за период будут заверены контрольной суммой "
                "в журнале изменений. Исправления после закрытия — только с указанием причины.",
                size="2",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Отмена", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Да, закрыть период", on_click=S.seal),
                ),
                gap="8px",
                justify="end",
                margin_top="12px",
            ),
            max_width="420px",
        ),
    )


def _seals() -> rx.Component:
    return rx.vstack(
        rx.heading("Закрытые периоды", size="3", as_="h3"),
        rx.cond(
            S.has_seals,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Период"),
                            rx.table.column_header_cell("Закрыт"),
                            rx.table.column_header_cell("Кем"),
                            rx.table.column_header_cell("Контрольная сумма"),
                            rx.table.column_header_cell("Действия"),
                        )
                    ),
                    rx.table.body(
                        rx.foreach(
                            S.seals,
                            lambda s: rx.table.row(
                                rx.table.cell(s["period"]),
                                rx.table.cell(s["at"]),
                                rx.table.cell(s["by"]),
                                rx.table.cell(rx.code(s["short"], title=s["digest"])),
                                rx.table.cell(
                                    rx.flex(
                                        rx.button(
                                            "Проверить",
                                            size="1",
                                            variant="soft",
                                            on_click=S.verify(s["id"]),
                                        ),
                                        rx.button(
                                            "Изменения после закрытия",
                                            size="1",
                                            variant="soft",
                                            on_click=S.show_amendments(s["id"]),
                                        ),
                                        gap="6px",
                                        wrap="wrap",
                                    )
                                ),
                            ),
                        )
                    ),
                    size="1",
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.text("Ни один период этого класса ещё не закрыт.", size="2", color_scheme="gray"),
        ),
        rx.cond(
            S.check_text != "",
            rx.callout(
                S.check_text,
                icon=rx.cond(S.check_ok, "check", "triangle_alert"),
                color_scheme=rx.cond(S.check_ok, "green", "red"),
                role="status",
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
    )


def _amendments_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(S.amend_title),
            rx.cond(
                S.has_amendments,
                rx.box(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("Когда"),
                                rx.table.column_header_cell("Кто"),
                                rx.table.column_header_cell("Что"),
                                rx.table.column_header_cell("Было"),
                                rx.table.column_header_cell("Стало"),
                                rx.table.column_header_cell("Причина"),
                            )
                        ),
                        rx.table.body(
                            rx.foreach(
                                S.amendments,
                                lambda a: rx.table.row(
                                    rx.table.cell(a["at"]),
                                    rx.table.cell(a["who"]),
                                    rx.table.cell(a["action"] + ": " + a["subject"]),
                                    rx.table.cell(a["before"]),
                                    rx.table.cell(a["after"]),
                                    rx.table.cell(a["reason"]),
                                ),
                            )
                        ),
                        size="1",
                        width="100%",
                    ),
                    overflow_x="auto",
                    width="100%",
                ),
                rx.text("После закрытия записи периода не изменялись.", size="2"),
            ),
            rx.flex(
                rx.dialog.close(rx.button("Закрыть", variant="soft")),
                justify="end",
                margin_top="12px",
            ),
            max_width="900px",
        ),
        open=S.amend_open,
        on_open_change=S.close_amendments,
    )


def _year() -> rx.Component:
    return rx.vstack(
        rx.heading("Учебный год " + S.year_name, size="3", as_="h3"),
        rx.cond(
            S.year_closed,
            rx.callout(S.year_closed_text, icon="lock", width="100%"),
            rx.vstack(
                rx.cond(
                    S.has_blockers,
                    rx.vstack(
                        rx.text("Закрыть год нельзя, пока не закрыты периоды:", size="2"),
                        rx.el.ul(rx.foreach(S.year_blockers, lambda b: rx.el.li(b))),
                        spacing="1",
                    ),
                    rx.text("Все периоды всех классов закрыты.", size="2"),
                ),
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(
                        rx.button("Закрыть учебный год", color_scheme="red", variant="outline")
                    ),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title("Закрыть учебный год?"),
                        rx.alert_dialog.description(
                            "После закрытия журнал этого года доступен только для чтения: "
                            "отметки, посещаемость, темы и отметки за период изменить нельзя.",
                            size="2",
                        ),
                        rx.flex(
                            rx.alert_dialog.cancel(
                                rx.button("Отмена", variant="soft", color_scheme="gray")
                            ),
                            rx.alert_dialog.action(
                                rx.button(
                                    "Да, закрыть год", color_scheme="red", on_click=S.close_year
                                )
                            ),
                            gap="8px",
                            justify="end",
                            margin_top="12px",
                        ),
                        max_width="420px",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
        ),
        error_callout(S.year_error),
        spacing="2",
        width="100%",
    )


def period_close_section() -> rx.Component:
    """The card: pickers, readiness, «Закрыть период», the closed terms, the year.

    It loads itself when shown (``on_mount``), so the page needs no extra on_load.
    """
    return rx.box(_card(), on_mount=S.load, width="100%")


def _card() -> rx.Component:
    return rx.cond(
        S.allowed,
        rx.card(
            rx.vstack(
                rx.heading("Закрытие периодов", size="4", as_="h2"),
                rx.text(
                    "Когда выставлены все отметки за период, заместитель директора закрывает "
                    "период: записи заверяются контрольной суммой, а исправления после этого "
                    "требуют указания причины и показываются как изменения после закрытия.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.cond(
                    S.has_classes,
                    rx.vstack(
                        _pickers(),
                        _readiness(),
                        rx.cond(
                            S.sealed_text != "",
                            rx.callout(S.sealed_text, icon="lock", width="100%"),
                            rx.cond(
                                S.can_seal,
                                rx.flex(
                                    rx.cond(
                                        S.ready,
                                        rx.text("Все отметки за период выставлены.", size="2"),
                                        rx.text(
                                            "Не хватает отметок за период: ",
                                            S.missing_count,
                                            size="2",
                                        ),
                                    ),
                                    _seal_button(),
                                    gap="12px",
                                    align="center",
                                    wrap="wrap",
                                ),
                            ),
                        ),
                        error_callout(S.error),
                        _seals(),
                        rx.cond(S.can_close_year, _year()),
                        spacing="3",
                        width="100%",
                    ),
                    rx.text("В текущем учебном году нет классов.", size="2"),
                ),
                _amendments_dialog(),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )
