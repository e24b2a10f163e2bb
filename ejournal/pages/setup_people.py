"""``/setup/people``: Учащиеся и сотрудники.

The secretary (or the administrator) imports the class lists and the staff list from XLSX
or CSV — a dry run first lists the problems by row and column or what will change, then
«Записать» writes it — keeps the lists one person at a time (students by class with their
parents, the staff), records movement (прибыл, выбыл, перевод) and, as administrator, issues
accounts with their slips (PDF).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.diary_nav import TAP
from ejournal.components.layout import error_callout, field_label, layout
from ejournal.components.uploads import labelled_upload
from ejournal.state.setup_people import (
    STAFF_UPLOAD_ID,
    STUDENTS_UPLOAD_ID,
    PeopleSetupState,
)

S = PeopleSetupState

ACCEPT = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
    "text/csv": [".csv"],
}


def _scroll(table: rx.Component) -> rx.Component:
    return rx.box(table, overflow_x="auto", width="100%")


def _button(text: Any, on_click: Any, *, label: Any = None, **props: Any) -> rx.Component:
    props.setdefault("variant", "soft")
    props.setdefault("size", "2")
    return rx.button(
        text,
        on_click=on_click,
        min_height=TAP,
        type="button",
        **({"aria_label": label} if label is not None else {}),
        **props,
    )


# --------------------------------------------------------------------------- imports


def _preview(
    done: Any, ok: Any, name: Any, problems: Any, lines: Any, changes: Any, write: Any, label: str
) -> rx.Component:
    return rx.cond(
        done,
        rx.vstack(
            rx.cond(name != "", rx.text("Файл: ", rx.text.strong(name), size="2")),
            rx.cond(
                ok,
                rx.callout(
                    rx.vstack(
                        rx.text("Ошибок нет. Что изменится (ничего ещё не записано):"),
                        rx.foreach(lines, lambda t: rx.text(t, size="2")),
                        spacing="1",
                    ),
                    icon="circle_check",
                    color_scheme="green",
                    high_contrast=True,
                    width="100%",
                ),
                rx.callout(
                    rx.vstack(
                        rx.text(
                            "В файле ошибки — ничего не записано. Исправьте их и выберите "
                            "файл снова:"
                        ),
                        rx.el.ul(
                            rx.foreach(problems, lambda t: rx.el.li(rx.text(t, size="2"))),
                            padding_left="1.2em",
                        ),
                        spacing="1",
                    ),
                    icon="triangle_alert",
                    color_scheme="red",
                    high_contrast=True,
                    role="alert",
                    width="100%",
                ),
            ),
            rx.cond(
                ok,
                rx.button(
                    "Записать",
                    on_click=write,
                    size="3",
                    min_height=TAP,
                    disabled=changes == 0,
                    aria_label=label,
                ),
            ),
            spacing="2",
            width="100%",
        ),
    )


def _upload(upload_id: str, button: str, handler: Any) -> rx.Component:
    return labelled_upload(_drop_zone(upload_id, button, handler), button)


def _drop_zone(upload_id: str, button: str, handler: Any) -> rx.Component:
    return rx.upload(
        rx.vstack(
            rx.button(button, type="button", variant="outline", size="3", min_height=TAP),
            rx.text("или перетащите файл сюда", size="2", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
        id=upload_id,
        accept=ACCEPT,
        multiple=False,
        max_files=1,
        no_keyboard=True,
        on_drop=handler(rx.upload_files(upload_id=upload_id)),
        border="1px dashed var(--gray-a7)",
        border_radius="8px",
        padding="16px",
        width="100%",
    )


def _imports() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Загрузка из файлов", size="4", as_="h2"),
            rx.text(
                "XLSX или CSV. Столбцы узнаются по заголовкам (по-русски или по-английски, в "
                "любом порядке). Сначала файл проверяется, записывается только по кнопке "
                "«Записать» — целиком или никак. Повторная загрузка того же файла ничего не "
                "меняет.",
                size="2",
                color_scheme="gray",
            ),
            rx.grid(
                rx.vstack(
                    rx.heading("Списки классов", size="3", as_="h3"),
                    rx.text(
                        "Класс, Фамилия, Имя, Отчество, Дата рождения; до двух родителей: "
                        "ФИО, телефон, e-mail.",
                        size="2",
                        color_scheme="gray",
                    ),
                    _upload(
                        STUDENTS_UPLOAD_ID, "Выбрать файл со списками классов", S.upload_students
                    ),
                    _preview(
                        S.students_done,
                        S.students_ok,
                        S.students_file,
                        S.students_problems,
                        S.students_lines,
                        S.students_changes,
                        S.write_students,
                        "Записать списки классов",
                    ),
                    spacing="2",
                    width="100%",
                ),
                rx.vstack(
                    rx.heading("Сотрудники", size="3", as_="h3"),
                    rx.text(
                        "Фамилия, Имя, Отчество (или ФИО), Должность, Предметы, e-mail, телефон.",
                        size="2",
                        color_scheme="gray",
                    ),
                    _upload(STAFF_UPLOAD_ID, "Выбрать файл с сотрудниками", S.upload_staff),
                    _preview(
                        S.staff_done,
                        S.staff_ok,
                        S.staff_file,
                        S.staff_problems,
                        S.staff_lines,
                        S.staff_changes,
                        S.write_staff,
                        "Записать список сотрудников",
                    ),
                    spacing="2",
                    width="100%",
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                S.import_result != "",
                rx.callout(
                    S.import_result, icon="circle_check", color_scheme="green", width="100%"
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


# --------------------------------------------------------------------------- lists


def _parent(student: Any, p: Any) -> rx.Component:
    return rx.hstack(
        rx.text(
            p.name,
            rx.cond(p.relation != "", rx.text.span(" (", p.relation, ")")),
            rx.cond(p.contacts != "", rx.text.span(", ", p.contacts)),
            size="2",
        ),
        _button(
            "Изменить",
            S.edit_parent(student.id, p.id),
            label="Изменить родителя: " + p.name,
            variant="ghost",
            size="1",
        ),
        align="center",
        wrap="wrap",
        spacing="2",
    )


def _student_row(s: Any) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(s.name),
        rx.table.cell(s.birth_date, white_space="nowrap"),
        rx.table.cell(s.gender),
        rx.table.cell(
            rx.vstack(
                rx.foreach(s.parents, lambda p: _parent(s, p)),
                _button(
                    "Добавить родителя",
                    S.new_parent(s.id),
                    label="Добавить родителя: " + s.name,
                    variant="ghost",
                    size="1",
                ),
                spacing="1",
            )
        ),
        rx.table.cell(s.account),
        rx.table.cell(
            rx.flex(
                _button("Изменить", S.edit_student(s.id), label="Изменить ученика: " + s.name),
                _button("Перевести", S.open_transfer(s.id), label="Перевести: " + s.name),
                _button(
                    "Выбыл",
                    S.open_leaving(s.id),
                    label="Выбыл: " + s.name,
                    color_scheme="red",
                ),
                gap="6px",
                wrap="wrap",
            )
        ),
    )


def _students() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Учащиеся по классам", size="4", as_="h2"),
            rx.flex(
                rx.vstack(
                    field_label("Класс", "people-class"),
                    rx.el.select(
                        rx.foreach(S.classes, lambda c: rx.el.option(c.label, value=c.value)),
                        id="people-class",
                        aria_label="Класс",
                        value=S.class_id,
                        on_change=S.pick_class,
                        style={"min_height": TAP, "padding": "0 8px", "min_width": "120px"},
                    ),
                    spacing="1",
                ),
                _button("Добавить ученика", S.new_student, variant="solid"),
                _button("Прибыл из другой школы", S.open_arrival),
                rx.cond(
                    S.can_issue,
                    _button(
                        "Выдать учётные записи классу",
                        S.issue_class_accounts,
                        label="Выдать учётные записи классу: учащимся и родителям",
                    ),
                ),
                gap="12px",
                align="end",
                wrap="wrap",
            ),
            _accounts_result(),
            rx.cond(
                S.students.length() > 0,  # type: ignore[attr-defined]
                _scroll(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("ФИО"),
                                rx.table.column_header_cell("Дата рождения"),
                                rx.table.column_header_cell("Пол"),
                                rx.table.column_header_cell("Родители"),
                                rx.table.column_header_cell("Учётная запись"),
                                rx.table.column_header_cell("Действия"),
                            )
                        ),
                        rx.table.body(rx.foreach(S.students, _student_row)),
                        width="100%",
                    )
                ),
                rx.text("В классе пока нет учащихся.", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _accounts_result() -> rx.Component:
    return rx.fragment(
        rx.cond(
            S.accounts_result.length() > 0,  # type: ignore[attr-defined]
            rx.callout(
                rx.vstack(
                    rx.foreach(S.accounts_result, lambda t: rx.text(t, size="2")),
                    spacing="1",
                ),
                icon="info",
                color_scheme="blue",
                high_contrast=True,
                width="100%",
            ),
        ),
        rx.cond(
            S.accounts_skipped.length() > 0,  # type: ignore[attr-defined]
            rx.callout(
                rx.vstack(
                    rx.text(
                        "Без учётной записи (семья отказалась от обработки персональных данных):"
                    ),
                    rx.foreach(S.accounts_skipped, lambda t: rx.text(t, size="2")),
                    spacing="1",
                ),
                icon="triangle_alert",
                color_scheme="orange",
                high_contrast=True,
                width="100%",
            ),
        ),
    )


def _staff_row(s: Any) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(s.name),
        rx.table.cell(s.position),
        rx.table.cell(s.contacts),
        rx.table.cell(rx.cond(s.login != "", s.login, "нет")),
        rx.table.cell(
            _button("Изменить", S.edit_staff(s.id), label="Изменить сотрудника: " + s.name)
        ),
    )


def _staff() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Сотрудники", size="4", as_="h2"),
            rx.flex(
                _button("Добавить сотрудника", S.new_staff, variant="solid"),
                rx.cond(
                    S.can_issue,
                    _button(
                        "Выдать учётные записи",
                        S.issue_staff_accounts,
                        label="Выдать учётные записи сотрудникам",
                    ),
                ),
                gap="12px",
                wrap="wrap",
            ),
            rx.cond(
                S.can_issue,
                rx.text(
                    "Сотрудникам без учётной записи выдаётся роль «Учитель»; одноразовые пароли "
                    "печатаются только в скачанном PDF. Другие роли — на странице пользователей.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            rx.cond(
                S.staff.length() > 0,  # type: ignore[attr-defined]
                _scroll(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("ФИО"),
                                rx.table.column_header_cell("Должность"),
                                rx.table.column_header_cell("Телефон, e-mail"),
                                rx.table.column_header_cell("Логин"),
                                rx.table.column_header_cell("Действия"),
                            )
                        ),
                        rx.table.body(rx.foreach(S.staff, _staff_row)),
                        width="100%",
                    )
                ),
                rx.text("Сотрудников пока нет.", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _movement() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Движение учащихся", size="4", as_="h2"),
            rx.cond(
                S.moves.length() > 0,  # type: ignore[attr-defined]
                _scroll(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("Дата"),
                                rx.table.column_header_cell("Ученик"),
                                rx.table.column_header_cell("Что"),
                                rx.table.column_header_cell("Приказ"),
                            )
                        ),
                        rx.table.body(
                            rx.foreach(
                                S.moves,
                                lambda m: rx.table.row(
                                    rx.table.cell(m.on, white_space="nowrap"),
                                    rx.table.row_header_cell(m.student),
                                    rx.table.cell(m.what),
                                    rx.table.cell(m.order_number),
                                ),
                            )
                        ),
                        width="100%",
                    )
                ),
                rx.text("В этом учебном году движения ещё не было.", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


# --------------------------------------------------------------------------- the form


def _input(name: str, label: str, *, placeholder: str = "", **props: Any) -> rx.Component:
    field_id = f"people-form-{name}"
    return rx.vstack(
        field_label(label, field_id),
        rx.input(
            id=field_id,
            name=name,
            aria_label=label,
            default_value=S.form_values.get(name, ""),
            placeholder=placeholder,
            auto_complete="off",
            size="3",
            min_height=TAP,
            width="100%",
            **props,
        ),
        spacing="1",
        width="100%",
    )


def _native_select(name: str, label: str, options: rx.Component) -> rx.Component:
    field_id = f"people-form-{name}"
    return rx.vstack(
        field_label(label, field_id),
        rx.el.select(
            options,
            id=field_id,
            name=name,
            aria_label=label,
            default_value=S.form_values.get(name, ""),
            style={"min_height": TAP, "padding": "0 8px", "width": "100%"},
        ),
        spacing="1",
        width="100%",
    )


def _class_options() -> rx.Component:
    return rx.fragment(
        rx.el.option("— выберите класс —", value=""),
        rx.foreach(S.classes, lambda c: rx.el.option(c.label, value=c.value)),
    )


def _gender_select() -> rx.Component:
    return _native_select(
        "gender",
        "Пол",
        rx.fragment(
            rx.el.option("— выберите —", value=""),
            rx.el.option("мужской", value="m"),
            rx.el.option("женский", value="f"),
        ),
    )


def _names() -> list[rx.Component]:
    return [
        _input("last_name", "Фамилия"),
        _input("first_name", "Имя"),
        _input("middle_name", "Отчество"),
    ]


def _date(name: str, label: str) -> rx.Component:
    return _input(name, label, placeholder="ДД.ММ.ГГГГ", input_mode="numeric")


def _fields() -> rx.Component:
    return rx.match(
        S.form,
        (
            "student",
            rx.fragment(
                *_names(),
                _gender_select(),
                _date("birth_date", "Дата рождения"),
                _native_select("class_id", "Класс", _class_options()),
                rx.text(
                    "Новый ученик зачисляется с сегодняшнего дня. Смена класса здесь — перевод "
                    "с сегодняшнего дня без приказа; перевод по приказу и с другой даты — "
                    "кнопкой «Перевести».",
                    size="2",
                    color_scheme="gray",
                ),
            ),
        ),
        (
            "parent",
            rx.fragment(
                *_names(),
                _input("phone", "Телефон", input_mode="tel"),
                _input("email", "E-mail", input_mode="email"),
                _input("relation", "Кем приходится (мать, отец, опекун)"),
                rx.text(
                    "Нужен телефон или e-mail. Родитель, уже известный школе (брат или сестра "
                    "ученика), с тем же ФИО и телефоном или e-mail не создаётся второй раз.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
        ),
        (
            "staff",
            rx.fragment(
                *_names(),
                _input("position", "Должность"),
                _input("phone", "Телефон", input_mode="tel"),
                _input("email", "E-mail", input_mode="email"),
            ),
        ),
        (
            "arrive",
            rx.fragment(
                *_names(),
                _gender_select(),
                _date("birth_date", "Дата рождения"),
                _native_select("class_id", "В класс", _class_options()),
                _date("on", "Дата прибытия"),
                _input("order_number", "Номер приказа"),
            ),
        ),
        (
            "leave",
            rx.fragment(
                _date("on", "Дата выбытия (последний день в классе)"),
                _input("order_number", "Номер приказа"),
                _native_select(
                    "kind",
                    "Причина",
                    rx.fragment(
                        rx.el.option("выбыл из школы", value="left"),
                        rx.el.option("окончил школу", value="graduated"),
                    ),
                ),
            ),
        ),
        (
            "transfer",
            rx.fragment(
                _native_select("class_id", "В класс", _class_options()),
                _date("on", "С даты (первый день в новом классе)"),
                _input("order_number", "Номер приказа"),
            ),
        ),
        rx.fragment(),
    )


def _form_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(S.form_title),
            rx.dialog.description(
                "Поля даты — в виде ДД.ММ.ГГГГ. Изменение записывается в журнал аудита.",
                size="2",
                color_scheme="gray",
            ),
            rx.form(
                rx.vstack(
                    error_callout(S.form_error),
                    _fields(),
                    rx.flex(
                        rx.button("Сохранить", type="submit", size="3", min_height=TAP),
                        _button("Отмена", S.close_form, variant="soft", color_scheme="gray"),
                        gap="12px",
                        wrap="wrap",
                    ),
                    spacing="3",
                    width="100%",
                ),
                key=S.form_key,
                on_submit=S.save_form,
                reset_on_submit=False,
                width="100%",
            ),
            max_width="520px",
        ),
        open=S.form != "",
        on_open_change=S.form_open_change,
    )


def page() -> rx.Component:
    return layout(
        "Учащиеся и сотрудники",
        rx.cond(
            S.loaded,
            rx.vstack(
                _imports(),
                _students(),
                _staff(),
                _movement(),
                _form_dialog(),
                spacing="4",
                width="100%",
            ),
            rx.text("Загрузка…", color_scheme="gray"),
        ),
        subtitle="Списки классов и сотрудников, движение учащихся, учётные записи.",
    )
