"""Exports of a control report: JSON, CSV, XLSX and PDF, each read back as a user's tool would."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import numpy as np
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from ejournal.domain.control.export import FORMATS, export, to_csv, to_json, to_pdf, to_xlsx
from ejournal.domain.control.table import Column, Report, Window

PRINTED = dt.date(2026, 12, 1)
WINDOW = Window(
    dt.date(2026, 11, 1),
    dt.date(2026, 11, 30),
    "ноябрь 2026",
    dt.date(2026, 11, 30),
    month="2026-11",
)
COLUMNS = (
    Column("class", "Класс"),
    Column("subject", "Предмет"),
    Column("lessons_held", "Проведено уроков", "int", "Уроки месяца, которые не отменены."),
    Column("marks", "Текущих отметок", "int", "Отметки за уроки месяца."),
    Column("fill_rate", "Наполняемость", "decimal", "Отметок на ученика за урок."),
    Column("no_marks_share", "Без отметок", "share", "Доля учащихся без единой отметки."),
    Column("last_lesson", "Последний урок", "date"),
)


def _row(class_id: int, subject_id: int, subject: str, **counts: object) -> dict[str, object]:
    return {
        "class_id": class_id,
        "subject_id": subject_id,
        "class": "5 «А»",
        "subject": subject,
        **counts,
    }


def fill_report(rows: list[dict[str, object]] | None = None) -> Report:
    """Two rows of 5 «А» for November: Russian counted in full, music with nothing held."""
    if rows is None:
        rows = [
            _row(
                11, 21, "Русский язык",
                lessons_held=4, marks=15, students=5, fill_rate=Decimal("0.75"),
                no_marks_share=Decimal("0.2"), last_lesson=dt.date(2026, 11, 27),
            ),
            _row(
                11, 23, "Музыка",
                lessons_held=0, marks=0, students=5, fill_rate=None,
                no_marks_share=None, last_lesson=None,
            ),
        ]  # fmt: skip
    return Report(
        name="fill",
        title="Наполняемость журнала",
        window=WINDOW,
        school_name="МБОУ «Средняя школа № 7»",
        columns=COLUMNS,
        rows=rows,
        notes=("Считаются только проведённые уроки.",),
    )


# --- JSON


def test_json_is_exactly_the_rows_with_ids_and_raw_counts():
    """Every row comes back as an object with its ids, counts, ISO dates and numbers."""
    rows = json.loads(to_json(fill_report()))

    assert rows == [
        {
            "class_id": 11, "subject_id": 21, "class": "5 «А»", "subject": "Русский язык",
            "lessons_held": 4, "marks": 15, "students": 5, "fill_rate": 0.75,
            "no_marks_share": 0.2, "last_lesson": "2026-11-27",
        },
        {
            "class_id": 11, "subject_id": 23, "class": "5 «А»", "subject": "Музыка",
            "lessons_held": 0, "marks": 0, "students": 5, "fill_rate": None,
            "no_marks_share": None, "last_lesson": None,
        },
    ]  # fmt: skip


def test_json_keeps_cyrillic_readable():
    """The bytes are UTF-8 with the Cyrillic as it is, not \\u-escaped."""
    data = to_json(fill_report())

    assert "Русский язык".encode() in data
    assert b"\\u04" not in data


def test_json_takes_numbers_from_a_pandas_aggregate():
    """numpy numbers become plain numbers, a count that pandas made 7.0 is written 7, and a
    NaN share becomes null (JSON has no NaN)."""
    row = _row(11, 21, "Русский язык", marks=np.float64(7.0), lessons_held=np.int64(3))
    row.update(class_id=np.int64(11), no_marks_share=float("nan"), fill_rate=np.float64(0.5))

    text = to_json(fill_report([row])).decode()
    rows = json.loads(text)

    assert '"marks": 7,' in text
    assert (rows[0]["marks"], rows[0]["lessons_held"], rows[0]["class_id"]) == (7, 3, 11)
    assert rows[0]["fill_rate"] == 0.5
    assert rows[0]["no_marks_share"] is None


def test_json_of_an_empty_report_is_an_empty_list():
    """No rows: an empty JSON list, not an error."""
    assert json.loads(to_json(fill_report([]))) == []


# --- CSV


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_csv_starts_with_a_bom_and_russian_headers():
    """Excel sees the BOM (so reads UTF-8) and the header row is the Russian titles."""
    data = to_csv(fill_report())

    assert data.startswith(b"\xef\xbb\xbf")
    assert _csv_rows(data)[0] == [
        "Класс", "Предмет", "Проведено уроков", "Текущих отметок", "Наполняемость",
        "Без отметок", "Последний урок",
    ]  # fmt: skip


def test_csv_writes_numbers_with_a_decimal_comma_separated_by_semicolons():
    """A row reads back as Russian Excel shows it: «0,75», «20,0%», «27.11.2026», empty for none."""
    rows = _csv_rows(to_csv(fill_report()))

    assert rows[1] == ["5 «А»", "Русский язык", "4", "15", "0,75", "20,0%", "27.11.2026"]
    assert rows[2] == ["5 «А»", "Музыка", "0", "0", "", "", ""]
    assert len(rows) == 3


def test_csv_does_not_let_text_become_a_formula():
    """A text cell that starts with «=» is written with a leading apostrophe, as text."""
    report = fill_report([_row(11, 21, '=HYPERLINK("http://x")', marks=1)])

    assert _csv_rows(to_csv(report))[1][1] == '\'=HYPERLINK("http://x")'


# --- XLSX


def _workbook(report: Report):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(to_xlsx(report, printed_on=PRINTED)))


def test_xlsx_has_a_title_line_and_russian_headers():
    """Row 1 names the school, the report, the month and the printing date; row 2 the columns."""
    sheet = _workbook(fill_report()).worksheets[0]

    title = sheet["A1"].value
    assert "МБОУ «Средняя школа № 7»" in title
    assert "Наполняемость журнала" in title
    assert "ноябрь 2026" in title
    assert "01.12.2026" in title
    assert [c.value for c in sheet[2]] == [c.title for c in COLUMNS]


def test_xlsx_keeps_numbers_as_numbers_and_a_share_as_a_percent():
    """Counts are integers, the share is the number 0.2 shown with a percent format."""
    sheet = _workbook(fill_report()).worksheets[0]

    assert sheet["C3"].value == 4
    assert sheet["D3"].value == 15
    assert sheet["E3"].value == pytest.approx(0.75)
    share = sheet["F3"]
    assert share.value == pytest.approx(0.2)
    assert share.data_type == "n"
    assert "%" in share.number_format
    assert sheet["G3"].value == dt.datetime(2026, 11, 27)
    assert sheet["G3"].is_date
    assert sheet["F4"].value is None


def test_xlsx_freezes_the_header_filters_it_and_widens_the_columns():
    """Scrolling keeps the header in view, the header has a filter, long titles get room."""
    sheet = _workbook(fill_report()).worksheets[0]

    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:G4"
    assert sheet.column_dimensions["B"].width >= len("Русский язык")
    assert sheet.column_dimensions["C"].width >= len("Проведено")


def test_xlsx_explains_every_column_on_a_second_sheet():
    """The sheet «Как считается» lists each defined column with its definition, and the notes."""
    book = _workbook(fill_report())

    assert book.sheetnames[1] == "Как считается"
    values = [tuple(r) for r in book["Как считается"].iter_rows(values_only=True)]
    assert ("Наполняемость", "Отметок на ученика за урок.") in values
    assert ("Без отметок", "Доля учащихся без единой отметки.") in values
    assert ("Считаются только проведённые уроки.", None) in values
    assert not any(r[0] == "Класс" for r in values)  # no definition, no line


def test_xlsx_keeps_a_formula_looking_text_as_text():
    """A topic that starts with «=» stays a string in the cell, never a formula."""
    report = fill_report([_row(11, 21, "=1+1", marks=1)])

    cell = _workbook(report).worksheets[0]["B3"]

    assert cell.value == "=1+1"
    assert cell.data_type == "s"


# --- PDF


def _pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_pdf_shows_title_window_rows_and_the_signature_line():
    """The printed report names the school and report, the month, a row and the deputy."""
    data = to_pdf(fill_report(), signer="Орлов П. И.", printed_on=PRINTED)

    assert data.startswith(b"%PDF")
    text = " ".join(_pdf_text(data))
    assert "МБОУ «Средняя школа № 7»" in text
    assert "Наполняемость журнала" in text
    assert "ноябрь 2026" in text
    assert "Дата печати: 01.12.2026" in text
    assert "Русский язык" in text
    assert "20,0" in text
    assert "Доля учащихся без единой отметки." in text
    assert "Заместитель директора по УВР ______________ / Орлов П. И. /" in text


def test_pdf_is_landscape_a4():
    """The page is wider than tall: A4 turned for a wide table."""
    page = PdfReader(io.BytesIO(to_pdf(fill_report(), printed_on=PRINTED))).pages[0]

    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width), round(height)) == (842, 595)


def test_pdf_without_a_deputy_leaves_the_name_blank():
    """No signer: the line still prints, with a blank to write the name in."""
    text = " ".join(_pdf_text(to_pdf(fill_report(), printed_on=PRINTED)))

    assert "Заместитель директора по УВР ______________ / ________________________ /" in text


def test_pdf_repeats_the_header_on_every_page():
    """A long report spills onto more pages and each one starts with the column titles."""
    rows = [_row(11, 100 + n, f"Предмет {n:03d}", marks=n) for n in range(120)]

    pages = _pdf_text(to_pdf(fill_report(rows), printed_on=PRINTED))

    assert len(pages) >= 3
    assert all("Текущих" in page for page in pages[:-1])
    assert "Предмет 119" in pages[-1] or "Предмет 119" in pages[-2]


def test_pdf_fits_a_wide_report_without_breaking_header_words():
    """21 columns (as wide as the fill report) fit the page and «Наполняемость» stays whole."""
    titles = [
        "Класс", "Предмет", "Учитель",
        "Проведено уроков", "Учащихся", "Клеток", "Отметок", "Наполняемость", "Без отметок",
        "Доля без отметок", "С одной отметкой", "Доля с одной отметкой", "Отметок вовремя",
        "Доля вовремя", "Темы записаны", "Доля с темой", "Темы вовремя", "Д/з записано",
        "Посещаемость отмечена", "Доля с посещаемостью",
    ]  # fmt: skip
    columns = tuple(
        Column(f"c{n}", t, "text" if n < 3 else ("share" if "Доля" in t else "int"))
        for n, t in enumerate(titles)
    )
    row = {"c0": "11 «Б»", "c1": "Основы безопасности жизнедеятельности", "c2": "Кузнецова А. П."}
    row |= {c.key: (0.875 if c.kind == "share" else 1234) for c in columns[3:]}
    report = Report("fill", "Наполняемость журнала", WINDOW, "Школа", columns, [row] * 3)

    words = " ".join(_pdf_text(to_pdf(report, printed_on=PRINTED))).split()

    assert "Наполняемость" in words
    assert "Посещаемость" in words
    assert "Кузнецова" in words
    assert words.count("87,5") == 3 * 5  # five share columns, three rows


def test_pdf_of_an_empty_report_says_there_is_no_data():
    """No rows: the page says so instead of printing an empty table."""
    text = " ".join(_pdf_text(to_pdf(fill_report([]), printed_on=PRINTED)))

    assert "Нет данных за выбранный период." in text


def test_export_dispatches_every_format():
    """Each named format gives its own kind of file."""
    heads = {fmt: export(fill_report(), fmt, printed_on=PRINTED)[:4] for fmt in FORMATS}

    assert heads == {"json": b"[\n  ", "csv": "\ufeffК".encode()[:4], "xlsx": b"PK\x03\x04",
                     "pdf": b"%PDF"}  # fmt: skip
