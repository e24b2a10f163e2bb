"""``/risks``: who may get a «2» or be left unattested, why, and a message to the parents."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.layout import layout
from ejournal.state.risks import RiskState

S = RiskState


def _item(i: Any) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(i["subject"], weight="medium"),
            rx.badge(i["kind"], color_scheme="red", variant="soft", high_contrast=True),
            wrap="wrap",
            align="center",
        ),
        rx.text(i["reasons"], size="2", color_scheme="gray", high_contrast=True),
        rx.link("Страница журнала", href=i["link"], size="2"),
        spacing="1",
        width="100%",
    )


def _message(r: Any) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.cond(
                    S.sent.contains(r["student_id"]),  # type: ignore[attr-defined]
                    "Отправлено ✓",
                    "Написать родителям",
                ),
                variant="soft",
                min_height="40px",
            )
        ),
        rx.dialog.content(
            rx.dialog.title("Сообщение родителям: " + r["name"]),
            rx.dialog.description(
                "Текст можно изменить. Сообщение уйдёт родителям с учётной записью и будет "
                "записано в журнал аудита.",
                size="2",
            ),
            rx.form(
                rx.vstack(
                    rx.text_area(
                        name="body",
                        default_value=r["template"],
                        rows="10",
                        width="100%",
                        aria_label="Текст сообщения",
                    ),
                    rx.input(type="hidden", name="student_id", value=r["student_id"].to(str)),
                    rx.input(type="hidden", name="period_id", value=r["period_id"].to(str)),
                    rx.hstack(
                        rx.dialog.close(rx.button("Отмена", variant="soft", color_scheme="gray")),
                        rx.dialog.close(rx.button("Отправить", type="submit")),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=S.send,
            ),
            max_width="560px",
        ),
    )


def _student(r: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(r["name"], weight="bold", size="3"),
                rx.badge(r["class_name"], variant="outline"),
                rx.spacer(),
                _message(r),
                width="100%",
                wrap="wrap",
                align="center",
            ),
            rx.foreach(r["items"], _item),
            spacing="3",
            width="100%",
        ),
        width="100%",
        data_testid="risk-student",
    )


def page() -> rx.Component:
    """``/risks``."""
    return layout(
        "Риски за период",
        rx.text(
            "Прогноз журнала: кому грозит «2» или неаттестация",
            rx.cond(S.period_name != "", " — " + S.period_name, ""),
            ". Причины — из отметок, пропусков и оставшихся уроков; прогноз ошибается, "
            "его точность указана в дневнике у каждого предмета.",
            size="2",
            color_scheme="gray",
            high_contrast=True,
        ),
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red")),
        rx.cond(
            S.loaded & (S.rows.length() == 0),  # type: ignore[attr-defined]
            rx.callout(
                "По прогнозу рисков нет.", icon="check", color_scheme="green", high_contrast=True
            ),
        ),
        rx.cond(~S.loaded & (S.error == ""), rx.hstack(rx.spinner(), rx.text("Считаю прогноз…"))),
        rx.vstack(rx.foreach(S.rows, _student), spacing="3", width="100%", max_width="860px"),
    )
