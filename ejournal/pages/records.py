"""``/records``: periods and the year's results — the class's summary sheet and printed
journal to download, the period close and the year's decisions."""

from __future__ import annotations

import reflex as rx

from ejournal.components.layout import layout
from ejournal.components.period_close import period_close_section
from ejournal.components.year_outcomes import year_outcomes_section
from ejournal.state.records import RecordsState


def _picker() -> rx.Component:
    return rx.flex(
        rx.text("Класс", as_="label", html_for="records-class", weight="medium"),
        rx.select.root(
            rx.select.trigger(id="records-class", aria_label="Класс", min_width="140px"),
            rx.select.content(
                rx.foreach(
                    RecordsState.classes,
                    lambda c: rx.select.item(c["name"], value=c["id"]),
                )
            ),
            value=RecordsState.class_id,
            on_change=RecordsState.choose_class,
        ),
        rx.cond(
            RecordsState.year_name != "",
            rx.text(RecordsState.year_name, " учебный год", color_scheme="gray"),
        ),
        rx.cond(RecordsState.year_closed, rx.badge("год закрыт", color_scheme="gray")),
        gap="12px",
        align="center",
        wrap="wrap",
    )


def _downloads() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Документы класса", size="4", as_="h2"),
            rx.text(
                "Сводная ведомость учёта результатов — для подписи и хранения; классный журнал "
                "для печати — все предметы и периоды, с листом заверения.",
                size="2",
                color_scheme="gray",
            ),
            rx.flex(
                rx.button(
                    "Сводная ведомость (PDF)",
                    on_click=RecordsState.download_summary("pdf"),
                    variant="soft",
                ),
                rx.button(
                    "Сводная ведомость (XLSX)",
                    on_click=RecordsState.download_summary("xlsx"),
                    variant="soft",
                ),
                rx.button(
                    "Классный журнал для печати (PDF)",
                    on_click=RecordsState.download_journal,
                    variant="soft",
                ),
                gap="8px",
                wrap="wrap",
            ),
            spacing="3",
            align="start",
        ),
        width="100%",
    )


def page() -> rx.Component:
    return layout(
        "Периоды и итоги года",
        rx.cond(
            RecordsState.loaded & (RecordsState.classes.length() == 0),  # type: ignore[attr-defined]
            rx.callout(
                "Нет классов текущего учебного года, документы которых вам доступны.",
                icon="info",
            ),
            rx.vstack(
                _picker(),
                _downloads(),
                period_close_section(),
                year_outcomes_section(),
                spacing="4",
                width="100%",
                max_width="1100px",
            ),
        ),
    )
