"""Marks by subject: marks, the weighted average, the class spread, the trend, «Что нужно».

The spread and the trend are plain CSS bars: a phone on a slow connection loads no chart
library for them.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.diary_nav import TAP, mark_chip, mark_color, section_title
from ejournal.state.diary import DiaryMarksState

TARGETS = ("3", "4", "5")


def _bucket(b: Any) -> rx.Component:
    return rx.flex(
        rx.text(b.label, size="1", width="84px", flex_shrink="0", color_scheme="gray"),
        rx.box(
            rx.box(
                height="100%",
                width=b.width,
                background_color=rx.cond(b.mine, "var(--indigo-9)", "var(--gray-a6)"),
                border_radius="3px",
            ),
            flex="1",
            height="14px",
            min_width="0",
        ),
        rx.text(
            b.count,
            rx.cond(b.mine, " · ваш", ""),
            size="1",
            width="52px",
            flex_shrink="0",
            text_align="right",
            weight=rx.cond(b.mine, "bold", "regular"),
        ),
        gap="8px",
        align="center",
        width="100%",
    )


def _trend_bar(t: Any) -> rx.Component:
    return rx.box(
        rx.box(
            height=t.height,
            width="100%",
            background_color="var(--indigo-a8)",
            border_radius="2px 2px 0 0",
            position="absolute",
            bottom="0",
        ),
        title=t.label + ": " + t.value,
        position="relative",
        flex="1",
        height="100%",
        max_width="18px",
    )


def _need(subject: Any) -> rx.Component:
    sid = subject.subject_id.to_string()
    return rx.vstack(
        rx.flex(
            rx.text("Что нужно для", size="2"),
            *[
                rx.button(
                    t,
                    on_click=DiaryMarksState.what_do_i_need(
                        DiaryMarksState.student_id,
                        DiaryMarksState.period_id,
                        subject.subject_id,
                        int(t),
                    ),
                    variant=rx.cond(DiaryMarksState.need_target[sid] == t, "solid", "outline"),
                    color_scheme=mark_color(t),
                    min_width=TAP,
                    min_height=TAP,
                    size="3",
                    aria_label=f"Что нужно для «{t}»",
                )
                for t in TARGETS
            ],
            gap="8px",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            DiaryMarksState.need.contains(sid),  # type: ignore[attr-defined]
            rx.text(
                DiaryMarksState.need[sid],
                size="2",
                class_name="need-answer",
                overflow_wrap="anywhere",
            ),
        ),
        spacing="2",
        width="100%",
    )


def _compact_mark(mark: Any) -> rx.Component:
    """A mark in the table's row: the value, a small abbreviation of its work type."""
    return rx.badge(
        rx.text(mark.value, weight="bold", as_="span"),
        rx.cond(mark.heavy, rx.text(mark.work_type, as_="span", size="1")),
        color_scheme=mark_color(mark.value),
        variant="soft",
        high_contrast=True,
        size="2",
        class_name="marks-value",
        padding_x="4px",
        title=mark.detail,
    )


def _final(subject: Any) -> rx.Component:
    return rx.cond(
        subject.final != "",
        rx.cond(
            subject.final_is_suggested,
            rx.text(
                subject.final,
                size="3",
                color_scheme="gray",
                title="Столько выходит за период по текущим отметкам",
            ),
            rx.badge(
                subject.final,
                color_scheme=mark_color(subject.final),
                variant="solid",
                size="2",
                class_name="marks-final",
            ),
        ),
        rx.text("—", color_scheme="gray"),
    )


#: Subject | marks in a row | average | period mark.
ROW_COLUMNS = "minmax(0, 6.5rem) minmax(0, 1fr) 2.4rem 3.6rem"


def _details(subject: Any) -> rx.Component:
    """What a tap on a subject's row opens: marks with dates and names, trend, spread."""
    return rx.box(
        rx.flex(
            rx.foreach(subject.marks, mark_chip),
            rx.cond(
                subject.marks.length() == 0,
                rx.text("Отметок пока нет", size="2", color_scheme="gray"),
            ),
            gap="6px",
            wrap="wrap",
            margin_bottom="8px",
        ),
        rx.cond(
            subject.suggested != "",
            rx.text(
                "Сейчас за период выходит «",
                subject.suggested,
                "»",
                size="2",
                color_scheme="gray",
            ),
        ),
        rx.cond(
            subject.trend.length() > 1,
            rx.flex(
                rx.text("Динамика", size="1", color_scheme="gray", width="84px", flex_shrink="0"),
                rx.flex(
                    rx.foreach(subject.trend, _trend_bar),
                    gap="3px",
                    align="end",
                    height="28px",
                    flex="1",
                    min_width="0",
                ),
                rx.text(subject.trend_text, size="1", white_space="nowrap"),
                gap="8px",
                align="center",
                margin_top="8px",
            ),
        ),
        rx.cond(
            subject.spread.length() > 0,
            rx.vstack(
                rx.text(
                    "Средние баллы класса (сколько учеников в каждом диапазоне)",
                    size="1",
                    color_scheme="gray",
                ),
                rx.foreach(subject.spread, _bucket),
                spacing="1",
                width="100%",
                margin_top="8px",
            ),
            rx.text(subject.spread_note, size="1", color_scheme="gray", margin_top="8px"),
        ),
        rx.cond(
            ~DiaryMarksState.closed,
            rx.box(
                rx.separator(size="4", margin_y="10px"),
                rx.cond(
                    DiaryMarksState.forecasts.contains(  # type: ignore[attr-defined]
                        subject.subject_id.to_string()
                    ),
                    rx.text(
                        DiaryMarksState.forecasts[subject.subject_id.to_string()],
                        size="2",
                        margin_bottom="8px",
                        class_name="forecast-text",
                    ),
                ),
                _need(subject),
            ),
        ),
        padding="8px 4px 12px",
        class_name="subject-card",
    )


def subject_row(subject: Any) -> rx.Component:
    """A subject's row of the table; a tap opens its details under it."""
    return rx.el.details(
        rx.el.summary(
            rx.grid(
                rx.text(subject.name, size="2", weight="medium", overflow_wrap="anywhere"),
                rx.flex(
                    rx.foreach(subject.marks, _compact_mark),
                    rx.cond(
                        subject.marks.length() == 0,
                        rx.text("нет отметок", size="1", color_scheme="gray"),
                    ),
                    gap="2px",
                    wrap="wrap",
                    min_width="0",
                ),
                rx.text(subject.average, size="2", weight="bold", text_align="right"),
                rx.box(_final(subject), text_align="center"),
                grid_template_columns=ROW_COLUMNS,
                gap="6px",
                align_items="center",
                width="100%",
            ),
            class_name="marks-summary",
            cursor="pointer",
            list_style="none",
            padding_y="8px",
            min_height=TAP,
        ),
        _details(subject),
        class_name="marks-row",
        border_top="1px solid var(--gray-a4)",
    )


def legend() -> rx.Component:
    """The work types' abbreviations used in the marks, with their names."""
    return rx.cond(
        DiaryMarksState.legend.length() > 0,  # type: ignore[attr-defined]
        rx.flex(
            rx.foreach(
                DiaryMarksState.legend,
                lambda w: rx.text(
                    rx.text(w.abbreviation, weight="bold", as_="span"),
                    " — ",
                    w.name,
                    size="1",
                    color_scheme="gray",
                ),
            ),
            gap="4px 12px",
            wrap="wrap",
            class_name="marks-legend",
        ),
    )


def marks_table() -> rx.Component:
    """Subjects as rows: marks in a row, the average, the period mark; details on tap."""
    return rx.box(
        rx.grid(
            rx.text("Предмет", size="1", color_scheme="gray"),
            rx.text("Отметки", size="1", color_scheme="gray"),
            rx.text("Ср.", size="1", color_scheme="gray", text_align="right"),
            rx.text(
                DiaryMarksState.final_title, size="1", color_scheme="gray", text_align="center"
            ),
            grid_template_columns=ROW_COLUMNS,
            gap="6px",
            padding_bottom="4px",
            aria_hidden="true",
        ),
        rx.foreach(DiaryMarksState.subjects, subject_row),
        rx.cond(
            DiaryMarksState.period_note != "",
            rx.text(
                DiaryMarksState.period_note,
                size="1",
                color_scheme="gray",
                padding_top="8px",
                border_top="1px solid var(--gray-a4)",
                class_name="marks-period-note",
            ),
        ),
        legend(),
        width="100%",
        max_width="720px",
        class_name="marks-table",
    )


def period_picker() -> rx.Component:
    return rx.flex(
        rx.select.root(
            rx.select.trigger(aria_label="Учебный период", min_height=TAP),
            rx.select.content(
                rx.foreach(
                    DiaryMarksState.periods,
                    lambda p: rx.select.item(p.label, value=p.value),
                )
            ),
            value=DiaryMarksState.period_id,
            on_change=lambda v: DiaryMarksState.open_marks(DiaryMarksState.student_id, v),
            size="3",
        ),
        rx.button(
            rx.icon("printer"),
            "Выписка (PDF)",
            on_click=DiaryMarksState.download_extract(
                DiaryMarksState.student_id, DiaryMarksState.period_id
            ),
            variant="outline",
            size="3",
            min_height=TAP,
        ),
        gap="8px",
        wrap="wrap",
        align="center",
    )


def _published(p: Any) -> rx.Component:
    return rx.card(
        rx.heading(p.name, size="3", as_="h3"),
        rx.vstack(
            rx.foreach(
                p.marks,
                lambda m: rx.flex(
                    rx.text(m.subject, size="2", flex="1", min_width="0"),
                    rx.badge(m.value, color_scheme=mark_color(m.value), size="2"),
                    justify="between",
                    align="center",
                    width="100%",
                    gap="8px",
                ),
            ),
            spacing="1",
            margin_top="6px",
            width="100%",
        ),
        width="100%",
    )


def published_marks() -> rx.Component:
    return rx.cond(
        DiaryMarksState.published.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(
            section_title("Отметки за периоды"),
            rx.grid(
                rx.foreach(DiaryMarksState.published, _published),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                gap="12px",
                width="100%",
            ),
            width="100%",
        ),
    )
