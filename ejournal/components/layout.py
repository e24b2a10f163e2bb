"""The common page frame: a header (school, user, role switch, links, logout) and content.

Use it for every logged-in page::

    def page() -> rx.Component:
        return layout("Мои уроки", rx.text("…"), subtitle="Сегодня")

The header reads ``SessionState`` vars that the page guard fills, so the page must be
added with ``ejournal.state.base.guarded_page``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.state.base import SessionState
from ejournal.state.news import NewsState

CONTENT_MAX_WIDTH = "1200px"


def _role_switch() -> rx.Component:
    """A role selector, shown only to users with more than one role."""
    return rx.cond(
        SessionState.role_options.length() > 1,  # type: ignore[attr-defined]
        rx.select.root(
            rx.select.trigger(aria_label="Роль", variant="soft"),
            rx.select.content(
                rx.foreach(
                    SessionState.role_options,
                    lambda o: rx.select.item(o["label"], value=o["value"]),
                )
            ),
            value=SessionState.active_role,
            on_change=SessionState.switch_role,
            size="2",
        ),
        rx.cond(
            SessionState.role_options.length() == 1,  # type: ignore[attr-defined]
            rx.badge(SessionState.role_options[0]["label"], variant="soft", size="2"),
        ),
    )


def _news_count(**props: Any) -> rx.Component:
    """The number of new things since the family's last visit (nothing when none)."""
    return rx.cond(
        NewsState.count > 0,
        rx.badge(
            NewsState.count,
            color_scheme="orange",
            variant="solid",
            high_contrast=True,
            radius="full",
            aria_label="Нового: " + NewsState.count.to_string(),  # type: ignore[attr-defined]
            **props,
        ),
    )


def _news_link() -> rx.Component:
    """«Новое» with its count, for a family (the list is at the top of the diary)."""
    return rx.cond(
        NewsState.count > 0,
        rx.link(
            rx.flex("Новое", _news_count(), gap="4px", align="center"),
            href="/diary",
            weight="medium",
            class_name="news-link",
        ),
    )


def _nav() -> rx.Component:
    return rx.hstack(
        rx.foreach(
            SessionState.nav_items,
            lambda item: rx.link(item["label"], href=item["href"], weight="medium"),
        ),
        _news_link(),
        rx.link("Мой профиль", href="/account", weight="medium"),
        spacing="4",
        wrap="wrap",
        align="center",
    )


#: Phones and narrow tablets (< 48em) get the compact header; wider screens the full one.
ON_PHONE = ["flex", "flex", "none"]
ON_WIDE = ["none", "none", "flex"]


def _menu() -> rx.Component:
    """The phone's menu: the user's name, the role's links, the profile and logout."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.box(
                rx.icon_button(
                    rx.icon("menu"), variant="soft", size="3", aria_label="Меню", flex_shrink="0"
                ),
                _news_count(position="absolute", top="-4px", right="-6px", pointer_events="none"),
                position="relative",
            ),
        ),
        rx.menu.content(
            rx.box(
                rx.text(SessionState.school_name, size="1", weight="bold"),
                rx.text(SessionState.user_name, size="1", color_scheme="gray"),
                padding="4px 12px 8px",
                max_width="280px",
            ),
            rx.foreach(
                SessionState.nav_items,
                lambda item: rx.menu.item(item["label"], on_select=rx.redirect(item["href"])),
            ),
            rx.cond(
                NewsState.count > 0,
                rx.menu.item(
                    "Новое: " + NewsState.count.to_string(),  # type: ignore[attr-defined]
                    on_select=rx.redirect("/diary"),
                ),
            ),
            rx.menu.item("Мой профиль", on_select=rx.redirect("/account")),
            rx.menu.separator(),
            rx.menu.item("Выйти", on_select=SessionState.logout, color_scheme="red"),
            size="2",
        ),
    )


def _phone_header() -> rx.Component:
    """One row: home, the role (switch), the menu; the school's long name is in the menu."""
    return rx.flex(
        rx.link(
            rx.icon("house", size=22),
            href="/",
            aria_label="На главную",
            color_scheme="gray",
            high_contrast=True,
            display="flex",
            align_items="center",
            justify_content="center",
            min_width="44px",
            min_height="44px",
            flex_shrink="0",
        ),
        rx.box(_role_switch(), min_width="0", overflow="hidden"),
        rx.spacer(),
        _menu(),
        gap="8px",
        align="center",
        padding_x="12px",
        padding_y="6px",
        display=ON_PHONE,
    )


def header() -> rx.Component:
    """The top bar: school name, links, the user's name, role switch and logout; on a
    phone one row (home, role, a menu holding the school, the user, links and logout)."""
    return rx.box(
        _phone_header(),
        rx.flex(
            rx.link(
                rx.text(SessionState.school_name, weight="bold", size="3"),
                href="/",
                underline="none",
                color_scheme="gray",
                high_contrast=True,
            ),
            _nav(),
            rx.spacer(),
            rx.hstack(
                rx.text(SessionState.user_name, size="2", color_scheme="gray"),
                _role_switch(),
                rx.button(
                    "Выйти",
                    on_click=SessionState.logout,
                    variant="outline",
                    size="2",
                ),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            column_gap="24px",
            row_gap="8px",
            align="center",
            wrap="wrap",
            max_width=CONTENT_MAX_WIDTH,
            margin_x="auto",
            padding_x="16px",
            padding_y="10px",
            display=ON_WIDE,
        ),
        as_="header",
        class_name="app-header",
        # A family's count of new things, loaded with every page.
        on_mount=NewsState.load_count,
        border_bottom="1px solid var(--gray-a5)",
        background_color="var(--color-panel-solid)",
        width="100%",
    )


def layout(title: str, *children: rx.Component, subtitle: str = "") -> rx.Component:
    """A logged-in page: header, a heading, then ``children``."""
    return rx.box(
        header(),
        rx.box(
            rx.vstack(
                rx.heading(title, size="6", as_="h1"),
                *([rx.text(subtitle, color_scheme="gray")] if subtitle else []),
                *children,
                spacing="4",
                width="100%",
            ),
            as_="main",
            max_width=CONTENT_MAX_WIDTH,
            margin_x="auto",
            padding_x="16px",
            padding_y="24px",
            width="100%",
        ),
        min_height="100vh",
        background_color="var(--gray-2)",
    )


def public_frame(*children: rx.Component) -> rx.Component:
    """A page without a header (start page, login): content centred on the screen."""
    return rx.center(
        rx.box(*children, width="100%", max_width="420px", padding="16px"),
        min_height="100vh",
        background_color="var(--gray-2)",
    )


def error_callout(message: Any, *, icon: str = "triangle_alert") -> rx.Component:
    """A red message box (role="alert") shown when ``message`` is not empty."""
    return rx.cond(
        message != "",
        rx.callout(message, icon=icon, color_scheme="red", role="alert", width="100%"),
    )


LABEL_SIZES = {"1": "var(--font-size-1)", "2": "var(--font-size-2)", "3": "var(--font-size-3)"}


def field_label(text: Any, for_id: str, *, size: str = "2") -> rx.Component:
    """A real ``<label for=…>`` naming the field with id `for_id` for screen readers and
    clicks (``rx.text(as_="label", html_for=…)`` puts «for» into CSS, tying nothing)."""
    return rx.el.label(
        text,
        html_for=for_id,
        style={"font-size": LABEL_SIZES.get(size, LABEL_SIZES["2"]), "font-weight": "500"},
    )
