"""Parts shared by the family's diary pages: the child switch, marks, the bottom tab bar.

Phone first: the tab bar sits at the bottom of the screen where a thumb reaches, every
tap target is at least 44 px high, and nothing is wider than the screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from ejournal.state.messages import DiaryNavState

#: Room left under the content so the fixed tab bar never covers the last card (phones
#: only: from 48em up the tab bar is hidden and the header's links serve).
TAB_BAR_SPACE = ["76px", "76px", "0"]
ONLY_NARROW = ["block", "block", "none"]
TAP = "44px"


def child_switch(children: Any, current: Any, on_choose: Callable[[Any], Any]) -> rx.Component:
    """Buttons with the children's names (shown when there is more than one child)."""
    return rx.cond(
        children.length() > 1,
        rx.flex(
            rx.foreach(
                children,
                lambda c: rx.button(
                    c.name,
                    # Full strength: at 80 % the small class name fell below 4.5:1.
                    rx.text(c.class_name, size="1", as_="span"),
                    on_click=on_choose(c.student_id),
                    variant=rx.cond(c.student_id == current, "solid", "outline"),
                    aria_pressed=rx.cond(c.student_id == current, "true", "false"),
                    size="3",
                    min_height=TAP,
                    flex="1 1 140px",
                    max_width="240px",
                    padding_x="8px",
                ),
            ),
            gap="8px",
            wrap="wrap",
            width="100%",
            role="group",
            aria_label="Ребёнок",
        ),
    )


def mark_color(value: Any) -> Any:
    """A mark's colour: «1» and «2» both failing (red), «3» amber, «4» teal, «5» green."""
    return rx.match(
        value, ("5", "green"), ("4", "teal"), ("3", "amber"), ("2", "red"), ("1", "red"), "gray"
    )


def mark_chip(mark: Any) -> rx.Component:
    """A mark with its work type; a tap shows the work type's name and weight."""
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                rx.text(mark.value, weight="bold", size="4", as_="span"),
                rx.cond(
                    mark.work_type != "",
                    # The space keeps «5 К.р.» two words for screen readers and axe (a
                    # flex gap shows it anyway).
                    rx.text(" ", mark.work_type, size="1", as_="span"),
                ),
                variant="soft",
                color_scheme=mark_color(mark.value),
                min_width=TAP,
                min_height=TAP,
                padding_x="10px",
                # Contains the visible text («5 К.р.»): what is seen is what is said.
                aria_label="Отметка " + mark.value + " " + mark.work_type,
                class_name="diary-mark",
            ),
        ),
        rx.popover.content(
            rx.vstack(
                rx.cond(mark.date != "", rx.text(mark.date, size="2", color_scheme="gray")),
                rx.text(mark.detail, size="2"),
                spacing="1",
            ),
            side="top",
            max_width="260px",
        ),
    )


def _tab(label: str, href: str, icon: str, active: bool, badge: Any = None) -> rx.Component:
    return rx.link(
        rx.vstack(
            rx.box(
                rx.icon(icon, size=22),
                *(
                    [
                        rx.cond(
                            badge > 0,
                            rx.badge(
                                badge,
                                color_scheme="red",
                                variant="solid",
                                radius="full",
                                position="absolute",
                                top="-6px",
                                right="-14px",
                                aria_label="Непрочитанных: " + badge.to_string(),
                            ),
                        )
                    ]
                    if badge is not None
                    else []
                ),
                position="relative",
            ),
            rx.text(label, size="1", weight="bold" if active else "regular"),
            spacing="1",
            align="center",
        ),
        href=href,
        underline="none",
        color_scheme="indigo" if active else "gray",
        high_contrast=not active,
        flex="1",
        display="flex",
        justify_content="center",
        padding_y="8px",
        min_height="56px",
        aria_current="page" if active else None,
    )


def tab_bar(active: str) -> rx.Component:
    """The bottom bar: week, marks, messages (with the unread count)."""
    return rx.box(
        rx.flex(
            _tab("Неделя", "/diary", "calendar_days", active == "week"),
            _tab("Отметки", "/diary/marks", "chart_column", active == "marks"),
            _tab(
                "Сообщения",
                "/messages",
                "messages_square",
                active == "messages",
                DiaryNavState.unread,
            ),
            max_width="640px",
            margin_x="auto",
        ),
        as_="nav",
        aria_label="Разделы дневника",
        display=ONLY_NARROW,
        position="fixed",
        bottom="0",
        left="0",
        right="0",
        z_index="10",
        border_top="1px solid var(--gray-a5)",
        background_color="var(--color-panel-solid)",
        padding_bottom="env(safe-area-inset-bottom)",
    )


def tab_bar_spacer() -> rx.Component:
    """An empty block as tall as the tab bar, for pages that show the bar only sometimes."""
    return rx.box(height=TAB_BAR_SPACE, aria_hidden="true")


def section_title(text: Any) -> rx.Component:
    return rx.heading(text, size="4", as_="h2", margin_top="8px")


def note_box(*children: rx.Component, icon: Any, color: Any, **props: Any) -> rx.Component:
    """A callout holding several lines (title, text, who and when)."""
    return rx.callout.root(
        rx.callout.icon(rx.icon(icon) if isinstance(icon, str) else icon),
        rx.box(*children),
        color_scheme=color,
        width="100%",
        **props,
    )
