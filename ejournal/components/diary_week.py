"""The week of the diary: day cards with lessons, homework links, marks, absences, remarks."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.diary_nav import TAP, mark_chip, note_box, section_title
from ejournal.state.diary import DiaryState


def homework_link(url: Any) -> rx.Component:
    """A homework link: opens in a new tab without giving that page a handle on ours."""
    return rx.el.a(
        rx.icon("external_link", size=14, flex_shrink="0"),
        rx.text(url, as_="span", overflow_wrap="anywhere"),
        href=url,
        target="_blank",
        rel="noopener noreferrer",
        display="inline-flex",
        align_items="center",
        gap="6px",
        min_height="32px",
        color="var(--accent-11)",
        font_size="14px",
        class_name="homework-link",
    )


def due_item(h: Any, *, with_subject: bool = False) -> rx.Component:
    """Homework to be done for a lesson, with where it was set as a detail."""
    return rx.box(
        rx.text(
            rx.text("ДЗ: ", weight="bold", as_="span"),
            *([rx.text(h.subject + ". ", weight="medium", as_="span")] if with_subject else []),
            h.text,
            size="2",
            overflow_wrap="anywhere",
        ),
        rx.foreach(h.links, homework_link),
        rx.text(h.origin, size="1", color_scheme="gray"),
        class_name="homework-due",
        width="100%",
    )


def _lesson(lesson: Any) -> rx.Component:
    return rx.box(
        rx.flex(
            rx.vstack(
                rx.text(lesson.number, weight="bold", size="3"),
                rx.text(lesson.time, size="1", color_scheme="gray", white_space="nowrap"),
                spacing="0",
                align="center",
                min_width="44px",
            ),
            rx.vstack(
                rx.flex(
                    rx.text(lesson.subject, weight="bold", size="3"),
                    rx.cond(
                        lesson.work_type != "",
                        rx.badge(lesson.work_type, variant="outline", color_scheme="gray"),
                    ),
                    rx.cond(
                        lesson.note != "", rx.badge(lesson.note, color_scheme="orange", size="1")
                    ),
                    gap="6px",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(
                    rx.cond(lesson.room != "", lesson.room + " · ", ""),
                    lesson.teacher,
                    size="1",
                    color_scheme="gray",
                ),
                rx.cond(
                    lesson.topic != "",
                    rx.text(lesson.topic, size="2", overflow_wrap="anywhere"),
                ),
                rx.foreach(lesson.due, due_item),
                rx.cond(
                    lesson.homework != "",
                    rx.text(
                        rx.text("ДЗ: ", weight="bold", as_="span"),
                        lesson.homework,
                        size="2",
                        overflow_wrap="anywhere",
                    ),
                ),
                rx.foreach(lesson.links, homework_link),
                rx.cond(
                    lesson.assigned != "",
                    rx.text(lesson.assigned, size="1", color_scheme="gray"),
                ),
                rx.cond(
                    lesson.absence != "",
                    rx.badge(lesson.absence, color_scheme="red", variant="soft", size="2"),
                ),
                rx.cond(
                    lesson.planned,
                    rx.text("по расписанию", size="1", color_scheme="gray"),
                ),
                spacing="1",
                flex="1",
                min_width="0",
            ),
            rx.flex(
                rx.foreach(lesson.marks, mark_chip),
                gap="6px",
                wrap="wrap",
                justify="end",
                max_width="40%",
            ),
            gap="10px",
            align="start",
        ),
        padding_y="10px",
        border_top="1px solid var(--gray-a4)",
        opacity=rx.cond(lesson.note == "урок отменён", "0.6", "1"),
        id="lesson-" + lesson.key,
        class_name="diary-lesson",
    )


def _remark(r: Any) -> rx.Component:
    return note_box(
        rx.text(rx.cond(r.praise, "Похвала: ", "Замечание: "), r.text, overflow_wrap="anywhere"),
        rx.cond(r.meta != "", rx.text(r.meta, size="1", color_scheme="gray")),
        icon=rx.cond(r.praise, rx.icon("thumbs_up"), rx.icon("message_circle_warning")),
        color=rx.cond(r.praise, "green", "orange"),
        size="1",
    )


def _day(day: Any) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.heading(day.title, size="3", as_="h3"),
            rx.cond(day.is_today, rx.badge("Сегодня", color_scheme="indigo", variant="solid")),
            justify="between",
            align="center",
            gap="8px",
            wrap="wrap",
        ),
        rx.cond(
            day.holiday != "",
            rx.text(day.holiday, color_scheme="gray", size="2", margin_top="6px"),
            rx.cond(
                day.lessons.length() == 0,
                rx.text("Уроков нет", color_scheme="gray", size="2", margin_top="6px"),
            ),
        ),
        rx.box(rx.foreach(day.lessons, _lesson), margin_top="6px"),
        rx.cond(
            day.due_elsewhere.length() > 0,
            rx.vstack(
                rx.text("Задано к этому дню", size="2", weight="bold"),
                rx.foreach(day.due_elsewhere, lambda h: due_item(h, with_subject=True)),
                spacing="1",
                padding_top="8px",
                border_top="1px solid var(--gray-a4)",
                width="100%",
            ),
        ),
        rx.cond(
            day.remarks.length() > 0,
            rx.vstack(rx.foreach(day.remarks, _remark), spacing="2", margin_top="8px"),
        ),
        width="100%",
        id="day-" + day.key,
        data_today=rx.cond(day.is_today, "true", "false"),
        style=rx.cond(
            day.is_today,
            {"outline": "2px solid var(--indigo-9)", "outlineOffset": "-1px"},
            {},
        ),
    )


def week_switch() -> rx.Component:
    """Previous week, the week's dates, next week; «this week» when looking elsewhere."""
    return rx.vstack(
        rx.flex(
            rx.icon_button(
                rx.icon("chevron_left"),
                on_click=DiaryState.open_week(DiaryState.student_id, DiaryState.prev_week),
                variant="soft",
                size="3",
                aria_label="Предыдущая неделя",
            ),
            rx.text(DiaryState.week_label, weight="bold", size="3", text_align="center"),
            rx.icon_button(
                rx.icon("chevron_right"),
                on_click=DiaryState.open_week(DiaryState.student_id, DiaryState.next_week),
                variant="soft",
                size="3",
                aria_label="Следующая неделя",
            ),
            justify="between",
            align="center",
            gap="8px",
            width="100%",
        ),
        rx.cond(
            ~DiaryState.is_current_week,
            rx.button(
                "К текущей неделе",
                on_click=DiaryState.open_week(DiaryState.student_id, ""),
                variant="ghost",
                size="2",
            ),
        ),
        align="center",
        width="100%",
        spacing="1",
    )


def _announcement(a: Any) -> rx.Component:
    return note_box(
        rx.text(a.title, weight="bold"),
        rx.text(a.body, white_space="pre-wrap", overflow_wrap="anywhere"),
        rx.text(a.meta, size="1", color_scheme="gray"),
        icon="megaphone",
        color="blue",
    )


def announcements() -> rx.Component:
    return rx.cond(
        DiaryState.announcements.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(
            section_title("Объявления"),
            rx.foreach(DiaryState.announcements, _announcement),
            spacing="2",
            width="100%",
        ),
    )


def confirm_section() -> rx.Component:
    """«Ознакомлен» for parents; its confirmed state once pressed."""
    return rx.cond(
        DiaryState.confirmed,
        rx.callout(
            DiaryState.confirmed_text,
            icon="circle_check",
            color_scheme="green",
            width="100%",
            id="week-confirmed",
        ),
        rx.cond(
            DiaryState.can_confirm,
            rx.button(
                rx.icon("check"),
                "Ознакомлен",
                on_click=DiaryState.confirm_week(DiaryState.student_id, DiaryState.week_start),
                size="4",
                width="100%",
                min_height=TAP,
            ),
        ),
    )


def week_days() -> rx.Component:
    """Day cards: one column on a phone, side by side on wider screens."""
    return rx.grid(
        rx.foreach(DiaryState.days, _day),
        columns=rx.breakpoints(initial="1", md="2", xl="3"),
        gap="12px",
        width="100%",
        align_items="start",
    )


def tomorrow() -> rx.Component:
    """«На завтра»: homework due on the next school day, subject by subject."""
    return rx.cond(
        DiaryState.tomorrow_title != "",
        rx.card(
            rx.heading(DiaryState.tomorrow_title, size="3", as_="h2"),
            rx.cond(
                DiaryState.tomorrow.length() > 0,  # type: ignore[attr-defined]
                rx.vstack(
                    rx.foreach(
                        DiaryState.tomorrow,
                        lambda h: rx.box(
                            rx.text(h.subject, weight="bold", size="2"),
                            rx.text(h.text, size="2", overflow_wrap="anywhere"),
                            rx.foreach(h.links, homework_link),
                            rx.text(h.origin, size="1", color_scheme="gray"),
                            padding_y="6px",
                            border_top="1px solid var(--gray-a4)",
                            width="100%",
                            class_name="tomorrow-item",
                        ),
                    ),
                    spacing="0",
                    width="100%",
                    margin_top="6px",
                ),
                rx.text(DiaryState.tomorrow_note, size="2", color_scheme="gray", margin_top="6px"),
            ),
            width="100%",
            id="diary-tomorrow",
        ),
    )
