"""Free text a user types: one table of limits and one cleaning rule for every write service.

Every service that stores typed text passes it through `clean_text` before it writes
anything, so a refusal changes nothing. The rule, in order:

1. Invisible characters are removed, not refused: the bidirectional controls (U+202A–U+202E,
   U+2066–U+2069, U+200E, U+200F, U+061C) that can make a remark read backwards
   («Оценка оплаит: 5»), every other Unicode format character (category Cf: zero-width
   space, byte-order mark, soft hyphen, tag characters…) except the zero-width joiner and
   non-joiner that emoji and some scripts need, control characters (Cc: NUL, ESC, the C1
   range) other than line breaks and tabs, and lone surrogates. They arrive unseen with text
   pasted from Word, a PDF or a messenger; the writer cannot see them to delete them, and
   dropping them changes nothing a reader can see — so a refusal would only puzzle.
2. Unicode NFC: a «й» typed as «и» + combining breve becomes the one letter.
3. Line breaks and spaces. One-line fields (names, topics, subjects, titles, reasons) turn
   every run of white space, line breaks and tabs included, into one space. Multi-line fields
   (homework, links, remarks, messages, announcement texts) keep their lines (CR LF, CR and
   U+2028 become LF) and tabs. Both are stripped at the ends.
4. What remains is counted in characters; text over the field's limit is refused with a
   ValidationError naming the field and the limit, e.g. «Домашнее задание длиннее 2000 знаков
   (сейчас 900 000).» Nothing is ever cut.

The limits are the `TextField` table below (README «Ограничения полей» is generated from
it; a test checks that no limit is wider than its database column). Names, positions,
topics and reasons keep the widths their columns always had; homework and its links, which
had none, get 2000 characters each — a full page of exercises, and a school week of 30
lessons then holds at most 60 000 characters of homework, where one unchecked homework of
900 000 characters made every family of the class download 912 KB a week.
Messages (4000) and announcements (5000) keep the limits they had.
"""

from __future__ import annotations

import unicodedata
from enum import Enum, unique

from ejournal.domain.errors import ValidationError

#: The bidirectional controls; all are category Cf and so removed by the rule above.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
#: Format characters that carry meaning: emoji sequences and Persian or Indic spelling.
_KEPT_FORMAT = frozenset("\u200c\u200d")


@unique
class TextField(Enum):
    """A free-text field: its Russian name (as a sentence starts), limit and line mode."""

    LAST_NAME = ("Фамилия", 100, False)
    FIRST_NAME = ("Имя", 100, False)
    MIDDLE_NAME = ("Отчество", 100, False)
    POSITION = ("Должность", 100, False)
    RELATION = ("Степень родства", 32, False)
    PHONE = ("Телефон", 32, False)
    EMAIL = ("Электронная почта", 200, False)
    LOGIN = ("Логин", 64, False)
    LESSON_TOPIC = ("Тема урока", 500, False)
    HOMEWORK = ("Домашнее задание", 2000, True)
    HOMEWORK_LINKS = ("Ссылки к домашнему заданию", 2000, True)
    CORRECTION_REASON = ("Причина исправления", 300, False)
    ABSENCE_REASON = ("Причина пропуска", 300, False)
    JUSTIFICATION = ("Обоснование отметки за период", 300, False)
    REMARK = ("Запись в дневник", 1000, True)
    MESSAGE_SUBJECT = ("Тема сообщения", 200, False)
    MESSAGE_BODY = ("Сообщение", 4000, True)
    ANNOUNCEMENT_TITLE = ("Заголовок объявления", 200, False)
    ANNOUNCEMENT_BODY = ("Текст объявления", 5000, True)

    def __init__(self, label: str, limit: int, multiline: bool) -> None:
        self.label = label
        self.limit = limit
        self.multiline = multiline


def _number(n: int) -> str:
    """12345 → «12 345» (a no-break space between thousands from five digits on)."""
    return f"{n:,}".replace(",", "\u00a0") if n >= 10_000 else str(n)


def too_long_message(field: TextField, length: int) -> str:
    """The Russian refusal of a text of `length` characters in `field`."""
    return f"{field.label} длиннее {_number(field.limit)} знаков (сейчас {_number(length)})."


#: Control characters that are white space: kept until rule 3 makes them spaces or lines.
_SPACE_CONTROLS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x85")


def _visible(ch: str) -> bool:
    """Keep `ch`? False for the invisible characters of rule 1."""
    if ch.isprintable() or ch in _SPACE_CONTROLS or ch in _KEPT_FORMAT:
        return True
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs")


def _strip_line(line: str) -> str:
    if line.isprintable():  # the common case: nothing to look at character by character
        return line
    return "".join(ch for ch in line if _visible(ch))


def strip_invisible(text: str) -> str:
    """`text` without the invisible characters of rule 1 (spaces, tabs, line breaks kept)."""
    return "\n".join(_strip_line(line) for line in text.split("\n"))


def normalise(text: str, *, multiline: bool) -> str:
    """Rules 1–3 without the limit: what would be stored for `text`."""
    text = unicodedata.normalize("NFC", strip_invisible(text))
    if not multiline:
        return " ".join(text.split())
    # CR LF, CR, VT, FF, U+001C–U+001E, U+0085, U+2028 and U+2029 all end a line.
    return "\n".join(text.splitlines()).strip()


def clean_text(value: str, *, field: TextField) -> str:
    """`value` as it is to be stored in `field`; ValidationError (Russian) if over the limit.

    Empty results are returned as "": whether a field may be empty is the service's rule.
    """
    text = normalise(value, multiline=field.multiline)
    if len(text) > field.limit:
        raise ValidationError(too_long_message(field, len(text)))
    return text


def limits_markdown() -> str:
    """The limits as a Markdown table in Russian, for the README."""
    rows = [
        f"| {f.label} | {_number(f.limit)} | {'несколько' if f.multiline else 'одна'} |"
        for f in TextField
    ]
    return "\n".join(["| поле | не длиннее, знаков | строк |", "|---|---|---|", *rows])
