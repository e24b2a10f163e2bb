"""``/messages``: threads with unread counts, one open thread with a reply, a new thread."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.diary_nav import TAP, tab_bar, tab_bar_spacer
from ejournal.components.layout import error_callout, field_label, layout
from ejournal.state.base import SessionState
from ejournal.state.messages import MessagesState


def _family() -> Any:
    """The user works as a parent or a student now (they get the diary's tab bar)."""
    return (SessionState.active_role == "parent") | (SessionState.active_role == "student")


def _thread_row(t: Any) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(t.subject, weight="bold", size="3", overflow_wrap="anywhere"),
                rx.text(t.with_whom, size="1", color_scheme="gray"),
                rx.text(t.preview, size="2", overflow_wrap="anywhere"),
                rx.text(t.when, size="1", color_scheme="gray"),
                spacing="1",
                flex="1",
                min_width="0",
            ),
            rx.cond(
                t.unread > 0,
                rx.badge(t.unread, color_scheme="red", variant="solid", radius="full"),
            ),
            gap="8px",
            align="start",
        ),
        as_child=False,
        on_click=MessagesState.open_thread(t.thread_id),
        cursor="pointer",
        role="button",
        aria_label="Открыть переписку: " + t.subject,
        width="100%",
        class_name="thread-row",
    )


def _message(m: Any) -> rx.Component:
    return rx.flex(
        rx.box(
            rx.text(m.author, size="1", weight="bold"),
            rx.text(m.body, size="2", white_space="pre-wrap", overflow_wrap="anywhere"),
            rx.text(m.when, size="1", color_scheme="gray"),
            background_color=rx.cond(m.mine, "var(--indigo-a3)", "var(--color-panel-solid)"),
            border="1px solid var(--gray-a4)",
            border_radius="10px",
            padding="8px 12px",
            max_width="85%",
        ),
        justify=rx.cond(m.mine, "end", "start"),
        width="100%",
        class_name="message",
    )


def _open_thread() -> rx.Component:
    thread = MessagesState.thread
    return rx.vstack(
        rx.button(
            rx.icon("arrow_left"),
            "Все сообщения",
            on_click=MessagesState.close_thread,
            variant="ghost",
            size="3",
        ),
        rx.heading(thread["subject"], size="4", as_="h2", overflow_wrap="anywhere"),
        rx.text(thread["with_whom"], size="2", color_scheme="gray"),
        rx.vstack(rx.foreach(thread["messages"], _message), spacing="2", width="100%"),
        rx.form(
            rx.vstack(
                rx.el.input(type="hidden", name="thread_id", value=thread["thread_id"]),
                rx.text_area(
                    name="body",
                    placeholder="Ваш ответ",
                    aria_label="Ответ",
                    rows="3",
                    width="100%",
                    required=True,
                ),
                rx.button("Ответить", type="submit", size="3", width="100%", min_height=TAP),
                width="100%",
            ),
            on_submit=MessagesState.send_reply,
            reset_on_submit=True,
            width="100%",
        ),
        error_callout(MessagesState.form_error),
        spacing="3",
        width="100%",
    )


def _subject_body_buttons() -> list[rx.Component]:
    return [
        rx.input(
            name="subject",
            placeholder="Тема",
            aria_label="Тема",
            size="3",
            width="100%",
            max_length=200,
        ),
        rx.text_area(
            name="body",
            placeholder="Текст сообщения",
            aria_label="Текст сообщения",
            rows="5",
            width="100%",
        ),
        error_callout(MessagesState.form_error),
        rx.flex(
            rx.button(
                "Отмена",
                type="button",
                on_click=MessagesState.cancel_composing,
                variant="outline",
                size="3",
                flex="1",
                min_height=TAP,
            ),
            rx.button("Отправить", type="submit", size="3", flex="2", min_height=TAP),
            gap="8px",
            width="100%",
        ),
    ]


def _compose() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Новое сообщение", size="4", as_="h2"),
                rx.cond(
                    MessagesState.children.length() > 1,  # type: ignore[attr-defined]
                    rx.vstack(
                        rx.text("О ком", size="2", weight="medium"),
                        rx.select.root(
                            rx.select.trigger(aria_label="О ком", width="100%"),
                            rx.select.content(
                                rx.foreach(
                                    MessagesState.children,
                                    lambda c: rx.select.item(
                                        c.label + " (" + c.detail + ")", value=c.value
                                    ),
                                )
                            ),
                            value=MessagesState.compose_child,
                            on_change=MessagesState.choose_compose_child,
                            size="3",
                        ),
                        spacing="1",
                        width="100%",
                    ),
                ),
                rx.el.input(type="hidden", name="student_id", value=MessagesState.compose_child),
                _recipient_list(lambda r: _recipient_row(r, multiple=False)),
                *_subject_body_buttons(),
                spacing="2",
                width="100%",
            ),
            on_submit=MessagesState.send_new,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def _labelled_select(
    label: str, options: Any, value: Any, on_change: Any, placeholder: str
) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.select.root(
            rx.select.trigger(placeholder=placeholder, aria_label=label, width="100%"),
            rx.select.content(
                rx.foreach(options, lambda o: rx.select.item(o.label, value=o.value)),
            ),
            value=value,
            on_change=on_change,
            size="3",
        ),
        spacing="1",
        width="100%",
    )


def _recipient_row(r: Any, *, multiple: bool) -> rx.Component:
    """One person per row, thumb-sized: a native radio (a family picks one, sent as
    ``recipient``) or checkbox (staff tick some, sent as ``to_<user id>``), then the name
    and, on the same line, what they are to the child and the child. Long text wraps
    inside the row: rows never overlap."""
    box_id = "to-" + r.value
    control = rx.el.input(
        type="checkbox" if multiple else "radio",
        name=("to_" + r.value) if multiple else "recipient",
        value=r.value,
        id=box_id,
        style={"width": "22px", "height": "22px", "flex-shrink": "0", "margin": "0"},
    )
    return rx.el.label(
        control,
        rx.text(
            rx.text(r.label, weight="medium", as_="span"),
            rx.text(" — ", r.detail, color_scheme="gray", as_="span"),
            size="2",
            overflow_wrap="anywhere",
            min_width="0",
        ),
        html_for=box_id,
        display="flex",
        gap="10px",
        align_items="center",
        min_height=TAP,
        padding_y="4px",
        cursor="pointer",
        width="100%",
        class_name="recipient-row",
    )


def _recipient_list(row: Any) -> rx.Component:
    """«Кому»: a search box over the allowed recipients, then one person per line."""
    s = MessagesState
    return rx.vstack(
        field_label("Кому", "recipient-search"),
        rx.input(
            id="recipient-search",
            placeholder="Поиск: фамилия, предмет, роль",
            value=s.recipient_query,
            on_change=s.search_recipients,
            debounce_timeout=250,
            type="search",
            size="3",
            width="100%",
        ),
        rx.cond(
            (s.recipients.length() > 0) & (s.shown_recipients.length() == 0),  # type: ignore[attr-defined]
            rx.text("Никого не найдено.", size="2", color_scheme="gray"),
        ),
        rx.vstack(
            rx.foreach(s.shown_recipients, row),
            role="group",
            aria_label="Получатели",
            spacing="0",
            width="100%",
            max_height="50vh",
            overflow_y="auto",
        ),
        spacing="1",
        width="100%",
    )


def _compose_staff() -> rx.Component:
    """Staff: class → student → some of the student's parents and the student."""
    s = MessagesState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Новое сообщение", size="4", as_="h2"),
                _labelled_select(
                    "Класс", s.classes, s.compose_class, s.choose_compose_class, "Выберите класс"
                ),
                rx.cond(
                    s.compose_class != "",
                    _labelled_select(
                        "Ученик",
                        s.students,
                        s.compose_child,
                        s.choose_compose_child,
                        "Выберите ученика",
                    ),
                ),
                rx.el.input(type="hidden", name="student_id", value=s.compose_child),
                rx.cond(
                    s.compose_child != "",
                    rx.vstack(
                        rx.cond(
                            s.recipients.length() == 0,  # type: ignore[attr-defined]
                            rx.text(
                                "У ученика и его родителей нет учётных записей.",
                                size="2",
                                color_scheme="gray",
                            ),
                        ),
                        _recipient_list(lambda r: _recipient_row(r, multiple=True)),
                        spacing="1",
                        width="100%",
                    ),
                ),
                *_subject_body_buttons(),
                spacing="2",
                width="100%",
            ),
            on_submit=s.send_new,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def _list() -> rx.Component:
    return rx.vstack(
        rx.button(
            rx.icon("pencil"),
            rx.cond(_family(), "Написать", "Новое сообщение"),
            on_click=MessagesState.start_composing,
            size="3",
            width="100%",
            min_height=TAP,
        ),
        rx.cond(
            MessagesState.loaded & (MessagesState.threads.length() == 0),  # type: ignore[attr-defined]
            rx.text("Сообщений пока нет.", color_scheme="gray"),
        ),
        rx.foreach(MessagesState.threads, _thread_row),
        spacing="2",
        width="100%",
    )


def page() -> rx.Component:
    content = rx.cond(
        MessagesState.is_open,
        _open_thread(),
        rx.cond(
            MessagesState.composing,
            rx.cond(MessagesState.staff_writer, _compose_staff(), _compose()),
            _list(),
        ),
    )
    family = _family()
    return rx.box(
        layout("Сообщения", rx.box(content, max_width="720px", width="100%")),
        rx.cond(family, tab_bar_spacer()),
        rx.cond(family, tab_bar("messages")),
        width="100%",
    )
