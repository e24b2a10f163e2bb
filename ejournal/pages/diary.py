"""``/diary`` (the week) and ``/diary/marks`` (marks by subject): the family's diary."""

from __future__ import annotations

import reflex as rx

from ejournal.components import diary_marks, diary_week
from ejournal.components.diary_nav import TAB_BAR_SPACE, child_switch, tab_bar
from ejournal.components.layout import error_callout, layout
from ejournal.components.news import news_panel
from ejournal.state.diary import DiaryMarksState, DiaryState


def _frame(*children: rx.Component, active: str) -> rx.Component:
    return rx.box(
        rx.box(*children, padding_bottom=TAB_BAR_SPACE, width="100%"),
        tab_bar(active),
        width="100%",
    )


def week() -> rx.Component:
    """The week, day by day, of the chosen child."""
    return _frame(
        layout(
            "Дневник",
            child_switch(DiaryState.children, DiaryState.student_id, DiaryState.choose_child),
            rx.cond(
                DiaryState.child_name != "",
                rx.text(DiaryState.child_name, color_scheme="gray", size="2"),
            ),
            error_callout(DiaryState.error, icon="info"),
            news_panel(),
            rx.cond(
                DiaryState.loaded,
                rx.vstack(
                    diary_week.tomorrow(),
                    diary_week.week_switch(),
                    diary_week.announcements(),
                    diary_week.week_days(),
                    diary_week.confirm_section(),
                    spacing="3",
                    width="100%",
                ),
                rx.center(rx.spinner(size="3"), width="100%", padding="24px"),
            ),
        ),
        active="week",
    )


def marks() -> rx.Component:
    """Marks by subject for a period, period marks, «Что нужно», the printable extract."""
    return _frame(
        layout(
            "Отметки",
            child_switch(
                DiaryMarksState.children, DiaryMarksState.student_id, DiaryMarksState.choose_child
            ),
            error_callout(DiaryMarksState.error, icon="info"),
            rx.cond(
                DiaryMarksState.loaded,
                rx.vstack(
                    diary_marks.period_picker(),
                    diary_marks.marks_table(),
                    diary_marks.published_marks(),
                    spacing="3",
                    width="100%",
                ),
                rx.center(rx.spinner(size="3"), width="100%", padding="24px"),
            ),
        ),
        active="marks",
    )
