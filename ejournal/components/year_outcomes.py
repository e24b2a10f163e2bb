"""The year's results section: promotion decisions per student with their approval, and
the exam and final marks of grades 9 and 11. Its State is `YearOutcomesState`; a page
includes `year_outcomes_section()`; the section calls `YearOutcomesState.load` on mount."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.state.year_outcomes import YearOutcomesState as S


def _decision_select(row: Any) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(
            placeholder="выберите",
            aria_label="Решение: " + row["full_name"].to(str),
            min_width="190px",
        ),
        rx.select.content(
            rx.foreach(S.decision_choices, lambda c: rx.select.item(c["label"], value=c["value"]))
        ),
        value=row["decision"].to(str),
        on_change=lambda v: S.edit_decision(row["student_id"], v),
        disabled=row["approved"].to(str) != "",
    )


def _decision_row(row: Any) -> rx.Component:
    locked = row["approved"].to(str) != ""
    return rx.table.row(
        rx.table.cell(row["number"]),
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(row["full_name"]),
                rx.cond(
                    row["left"].to(str) != "", rx.text(row["left"], size="1", color_scheme="gray")
                ),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["summary"], size="2")),
        rx.table.cell(
            rx.vstack(
                rx.text(row["suggestion"], size="2"),
                rx.cond(
                    row["note"].to(str) != "", rx.text(row["note"], size="1", color_scheme="gray")
                ),
                spacing="0",
            )
        ),
        rx.table.cell(_decision_select(row)),
        rx.table.cell(
            rx.input(
                value=row["debt"].to(str),
                on_change=lambda v: S.edit_debt(row["student_id"], v),
                aria_label="Предметы задолженности: " + row["full_name"].to(str),
                placeholder="предметы",
                disabled=locked,
                min_width="160px",
            )
        ),
        rx.table.cell(
            rx.input(
                value=row["order"].to(str),
                on_change=lambda v: S.edit_order(row["student_id"], v),
                aria_label="Номер приказа: " + row["full_name"].to(str),
                placeholder="№ приказа",
                disabled=locked,
                width="110px",
            )
        ),
        rx.table.cell(
            rx.cond(
                locked,
                rx.badge("утверждено", color_scheme="green"),
                rx.button(
                    "Сохранить",
                    on_click=S.save_row(row["student_id"]),
                    size="1",
                    disabled=~S.may_write,
                    aria_label="Сохранить решение: " + row["full_name"].to(str),
                ),
            )
        ),
    )


def _approval() -> rx.Component:
    return rx.cond(
        S.approved,
        rx.flex(
            rx.callout(S.approval_text, icon="circle_check", color_scheme="green"),
            rx.cond(
                S.may_approve,
                rx.button(
                    "Вернуть на доработку",
                    on_click=S.return_decisions,
                    variant="soft",
                    color_scheme="gray",
                ),
            ),
            gap="12px",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            S.may_approve,
            rx.flex(
                rx.text("Протокол педсовета №", as_="label", html_for="council-protocol"),
                rx.input(
                    id="council-protocol",
                    value=S.protocol,
                    on_change=S.edit_protocol,
                    aria_label="Номер протокола педсовета",
                    width="100px",
                ),
                rx.text("от", as_="label", html_for="council-on"),
                rx.input(
                    id="council-on",
                    type="date",
                    value=S.council_on,
                    on_change=S.edit_council_on,
                    aria_label="Дата педсовета",
                    width="160px",
                ),
                rx.button("Утвердить решения класса", on_click=S.approve),
                gap="8px",
                align="center",
                wrap="wrap",
            ),
            rx.text("Решения ещё не утверждены директором.", size="2", color_scheme="gray"),
        ),
    )


def _decisions() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Решения педагогического совета", size="4", as_="h2"),
            rx.text(
                "Предложение считается по годовым отметкам: все не ниже «3» — перевод; есть "
                "«2» или «н/а» — условный перевод с этими предметами. Выбывшим дата и приказ "
                "берутся из движения учащихся.",
                size="2",
                color_scheme="gray",
            ),
            rx.cond(
                S.may_write & ~S.approved,
                rx.button("Заполнить по отметкам", on_click=S.fill_by_marks, variant="soft"),
            ),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("№"),
                            rx.table.column_header_cell("Учащийся"),
                            rx.table.column_header_cell("Годовые отметки"),
                            rx.table.column_header_cell("Предложение"),
                            rx.table.column_header_cell("Решение"),
                            rx.table.column_header_cell("Задолженность"),
                            rx.table.column_header_cell("Приказ"),
                            rx.table.column_header_cell(""),
                        )
                    ),
                    rx.table.body(rx.foreach(S.rows, _decision_row)),
                    size="1",
                ),
                overflow_x="auto",
                width="100%",
            ),
            _approval(),
            spacing="3",
            align="start",
            width="100%",
        ),
        width="100%",
    )


def _exam_row(row: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["number"]),
        rx.table.row_header_cell(row["full_name"]),
        rx.table.cell(row["year_mark"]),
        rx.table.cell(
            rx.input(
                value=row["exam"].to(str),
                on_change=lambda v: S.edit_exam(row["student_id"], v),
                aria_label="Экзамен: " + row["full_name"].to(str),
                placeholder="2–5 / не сдавал",
                width="120px",
            )
        ),
        rx.table.cell(row["suggested"]),
        rx.table.cell(
            rx.input(
                value=row["final"].to(str),
                on_change=lambda v: S.edit_final(row["student_id"], v),
                aria_label="Итоговая: " + row["full_name"].to(str),
                placeholder=row["suggested"].to(str),
                width="70px",
            )
        ),
        rx.table.cell(
            rx.button(
                "Сохранить",
                on_click=S.save_exam(row["student_id"]),
                size="1",
                disabled=~S.exam_open,
                aria_label="Сохранить отметки: " + row["full_name"].to(str),
            )
        ),
    )


def _exams() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Экзаменационные и итоговые отметки", size="4", as_="h2"),
            rx.flex(
                rx.text("Предмет", as_="label", html_for="exam-subject", weight="medium"),
                rx.select.root(
                    rx.select.trigger(id="exam-subject", aria_label="Предмет экзамена"),
                    rx.select.content(
                        rx.foreach(S.subjects, lambda s: rx.select.item(s["name"], value=s["id"]))
                    ),
                    value=S.subject_id,
                    on_change=S.choose_subject,
                ),
                gap="12px",
                align="center",
            ),
            rx.text(
                "Итоговая предлагается как среднее годовой и экзаменационной, округлённое по "
                "правилам математики; без экзамена — годовая.",
                size="2",
                color_scheme="gray",
            ),
            rx.cond(S.exam_note != "", rx.callout(S.exam_note, icon="info")),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("№"),
                            rx.table.column_header_cell("Учащийся"),
                            rx.table.column_header_cell("Год"),
                            rx.table.column_header_cell("Экзамен"),
                            rx.table.column_header_cell("Предложено"),
                            rx.table.column_header_cell("Итоговая"),
                            rx.table.column_header_cell(""),
                        )
                    ),
                    rx.table.body(rx.foreach(S.exam_rows, _exam_row)),
                    size="1",
                ),
                overflow_x="auto",
                width="100%",
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        width="100%",
    )


def year_outcomes_section() -> rx.Component:
    """Итоги года: the class picker, the decisions and (grades 9/11) the exam marks."""
    return rx.vstack(
        rx.heading("Итоги года", size="5", as_="h2"),
        rx.cond(
            S.loaded & (S.classes.length() == 0),  # type: ignore[attr-defined]
            rx.text(
                "Нет классов, по которым вы принимаете решения или ставите экзаменационные "
                "отметки.",
                color_scheme="gray",
            ),
            rx.vstack(
                # The class is chosen once, at the top of /records.
                rx.cond(S.may_decide, _decisions()),
                rx.cond(S.may_exam, _exams()),
                spacing="4",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
        # Loads itself, so a page includes it with one line (no on-load change needed).
        on_mount=S.load,
    )
