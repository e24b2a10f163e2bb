"""The text rules: what is removed from typed text, and the one table of limits."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column

from ejournal.domain.errors import ValidationError
from ejournal.domain.models import (
    Announcement,
    Attendance,
    AuditLog,
    DiaryRemark,
    Lesson,
    Message,
    MessageThread,
    Parent,
    ParentLink,
    PeriodMark,
    Staff,
    Student,
    ThematicPlanItem,
    User,
)
from ejournal.domain.text_rules import (
    BIDI_CONTROLS,
    TextField,
    clean_text,
    limits_markdown,
    too_long_message,
)


def _col(model: type, name: str) -> Column:
    return model.__table__.c[name]  # type: ignore[attr-defined]


#: Where each field is stored (a reason also lands in the audit row's reason).
COLUMNS: dict[TextField, list[Column]] = {
    TextField.LAST_NAME: [_col(m, "last_name") for m in (Staff, Student, Parent)],
    TextField.FIRST_NAME: [_col(m, "first_name") for m in (Staff, Student, Parent)],
    TextField.MIDDLE_NAME: [_col(m, "middle_name") for m in (Staff, Student, Parent)],
    TextField.POSITION: [_col(Staff, "position")],
    TextField.RELATION: [_col(ParentLink, "relation")],
    TextField.PHONE: [_col(Parent, "phone")],
    TextField.EMAIL: [_col(Parent, "email")],
    TextField.LOGIN: [_col(User, "login")],
    TextField.LESSON_TOPIC: [_col(Lesson, "topic"), _col(ThematicPlanItem, "topic")],
    TextField.HOMEWORK: [_col(Lesson, "homework")],
    TextField.HOMEWORK_LINKS: [_col(Lesson, "homework_links")],
    TextField.CORRECTION_REASON: [_col(AuditLog, "reason")],
    TextField.ABSENCE_REASON: [_col(Attendance, "reason"), _col(AuditLog, "reason")],
    TextField.JUSTIFICATION: [_col(PeriodMark, "justification"), _col(AuditLog, "reason")],
    TextField.REMARK: [_col(DiaryRemark, "text")],
    TextField.MESSAGE_SUBJECT: [_col(MessageThread, "subject")],
    TextField.MESSAGE_BODY: [_col(Message, "body")],
    TextField.ANNOUNCEMENT_TITLE: [_col(Announcement, "title")],
    TextField.ANNOUNCEMENT_BODY: [_col(Announcement, "body")],
}

INVISIBLE = [*sorted(BIDI_CONTROLS), "\u200b", "\ufeff", "\u00ad", "\u2060", "\U000e0041"]
CONTROLS = ["\x00", "\x07", "\x1b", "\x1f", "\x7f", "\x85", "\x9b", "\ud800", "\r", "\u2028"]


def test_every_field_knows_its_columns() -> None:
    """Each field of the table is mapped to the columns that store it (so none is forgotten)."""
    assert set(COLUMNS) == set(TextField)


@pytest.mark.parametrize("field", list(TextField), ids=lambda f: f.name)
def test_no_limit_is_wider_than_its_column(field: TextField) -> None:
    """A text within its limit always fits its database column (PostgreSQL would refuse it)."""
    for column in COLUMNS[field]:
        width = getattr(column.type, "length", None)
        assert width is None or field.limit <= width, column


def test_too_long_text_is_refused_naming_the_field_and_the_limit() -> None:
    """900 000 characters of homework are refused in Russian; nothing is cut."""
    with pytest.raises(ValidationError) as refused:
        clean_text("я" * 900_000, field=TextField.HOMEWORK)
    assert refused.value.message == ("Домашнее задание длиннее 2000 знаков (сейчас 900\u00a0000).")


def test_text_exactly_at_the_limit_is_kept_whole() -> None:
    """A topic of exactly 500 characters is stored as typed."""
    topic = "ы" * 500
    assert clean_text(topic, field=TextField.LESSON_TOPIC) == topic


def test_the_limit_counts_what_remains_after_cleaning() -> None:
    """Invisible characters and surrounding spaces do not count towards the limit."""
    name = "  " + "\u202e".join("Иванова") + "\u200b" * 200 + "  "
    assert clean_text(name, field=TextField.LAST_NAME) == "Иванова"


@pytest.mark.parametrize("ch", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_characters_are_removed(ch: str) -> None:
    """Bidirectional controls, zero-width and other format characters are dropped."""
    assert clean_text(f"Оценка {ch}отлично{ch}: 5", field=TextField.REMARK) == "Оценка отлично: 5"


def test_a_reversed_remark_reads_as_typed() -> None:
    """The «Оценка оплаит: 5» trick: after cleaning the letters show in their real order."""
    assert clean_text("Оценка \u202eтиалпо\u202c: 5", field=TextField.REMARK) == (
        "Оценка тиалпо: 5"
    )


@pytest.mark.parametrize("ch", ["\x00", "\x07", "\x1b", "\x1f", "\x7f", "\x9b", "\ud800"])
def test_control_characters_and_lone_surrogates_are_removed(ch: str) -> None:
    """NUL (refused by PostgreSQL), ESC, DEL, the C1 range and lone surrogates go."""
    assert clean_text(f"§12{ch}, упр. 5", field=TextField.HOMEWORK) == "§12, упр. 5"


def test_emoji_joiners_are_kept() -> None:
    """The zero-width joiner of a family emoji is no hidden trick: it stays."""
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_text(f"Спасибо! {family}", field=TextField.MESSAGE_BODY) == f"Спасибо! {family}"


def test_one_line_fields_turn_line_breaks_and_tabs_into_one_space() -> None:
    """A name pasted with a tab and a line break becomes one line with single spaces."""
    assert clean_text(" Римская-\tКорсакова\r\n  ", field=TextField.LAST_NAME) == (
        "Римская- Корсакова"
    )


def test_multi_line_fields_keep_lines_and_unify_line_breaks() -> None:
    """Homework keeps its lines; CR LF, CR and U+2028 become LF; tabs stay."""
    text = "  §12\r\nупр. 5\rупр. 6\u2028\tустно  \n"
    assert clean_text(text, field=TextField.HOMEWORK) == "§12\nупр. 5\nупр. 6\n\tустно"


def test_text_is_put_in_nfc() -> None:
    """«й» typed as и + combining breve is stored as the one letter."""
    assert clean_text("Серги\u0438\u0306", field=TextField.FIRST_NAME) == "Сергий"


def test_empty_after_cleaning_is_empty() -> None:
    """Only invisible characters and spaces leave nothing; the service decides if that is allowed."""
    assert clean_text(" \u202e\u200b \n", field=TextField.MESSAGE_BODY) == ""


def test_message_names_the_field_for_every_field() -> None:
    """Every field's refusal starts with its Russian name and gives its limit."""
    for field in TextField:
        message = too_long_message(field, field.limit + 1)
        assert message.startswith(field.label) and str(field.limit) in message.replace("\xa0", "")


def test_limits_table_lists_every_field() -> None:
    """The README table has one row per field with its limit."""
    table = limits_markdown()
    for field in TextField:
        assert f"| {field.label} | {field.limit} |" in table


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(st.one_of(st.characters(), st.sampled_from([*INVISIBLE, *CONTROLS]))),
    field=st.sampled_from(list(TextField)),
)
def test_cleaned_text_is_clean_and_cleaning_twice_changes_nothing(
    text: str, field: TextField
) -> None:
    """Any text either is refused or comes out within its limit, without invisible or
    control characters (line breaks and tabs only in multi-line fields), and stable."""
    try:
        cleaned = clean_text(text, field=field)
    except ValidationError as refused:
        assert refused.message.startswith(field.label)
        return
    assert len(cleaned) <= field.limit
    assert not BIDI_CONTROLS & set(cleaned)
    allowed = {"\n", "\t"} if field.multiline else set()
    for ch in cleaned:
        category = unicodedata.category(ch)
        assert category not in ("Cc", "Cs") or ch in allowed, repr(ch)
        assert category != "Cf" or ch in "\u200c\u200d", repr(ch)
    assert cleaned == cleaned.strip()
    assert clean_text(cleaned, field=field) == cleaned
