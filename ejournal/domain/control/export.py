"""A control report as a file: JSON for machines, CSV and XLSX for Excel, PDF for signature.

Every export takes a `Report` (table.py) and returns bytes; the CLI writes them to a file and
the dashboard hands them to the browser [002 §5.5], [004 §6.4].

Values in a report's rows are typed by their column's kind:
- ``share`` — a fraction in [0, 1] (float or Decimal); XLSX writes it as a number with a
  percent format, CSV and PDF as «33,3%»;
- ``int`` / ``decimal`` — numbers (XLSX keeps them numbers; CSV and PDF write a decimal comma);
- ``date`` / ``datetime`` — dates and times; an aware time is written as the wall-clock time
  of its own zone, so a report gives times in the school's zone;
- ``None`` (or NaN) is an empty cell. numpy/pandas scalars from a pandas aggregate are accepted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import numbers
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ejournal.domain.control.table import Column, Report
from ejournal.domain.people.slips import register_fonts

FORMATS = ("json", "csv", "xlsx", "pdf")

#: The file name extension and MIME type of each format (for downloads).
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}

#: Russian Excel splits a CSV on the list separator of the Windows regional settings, which
#: is «;» in ru-RU (the comma is the decimal separator there), so `;` opens in columns.
CSV_DELIMITER = ";"

SIGNATURE_ROLE = "Заместитель директора по УВР"
BLANK_NAME = "_" * 24  # a blank for a handwritten name when the school has no deputy

_NUMBER_FORMATS = {
    "int": "0",
    "decimal": "0.00",
    "share": "0.0%",
    "date": "DD.MM.YYYY",
    "datetime": "DD.MM.YYYY HH:MM",
}
# Text a spreadsheet would run as a formula (CSV/formula injection): kept as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- values -----------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A row value as a plain Python value: numpy/pandas scalars unwrapped, NaN/NA as None."""
    module = type(value).__module__
    if module.startswith("pandas"):
        if type(value).__name__ in ("NAType", "NaTType"):
            return None
        if isinstance(value, dt.datetime) and hasattr(value, "to_pydatetime"):
            return value.to_pydatetime()
    if module == "numpy" and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Decimal) and value.is_nan():
        return None
    return value


def _json_default(value: Any) -> Any:
    value = plain(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def _json_value(value: Any) -> Any:
    """Recursively plain: json's `default` is not consulted for floats (NaN) or numpy ints."""
    value = plain(value)
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _number(value: Any) -> float | int | None:
    value = plain(value)
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, Decimal | numbers.Real):
        return float(value)
    return None


def _comma(value: float, places: int) -> str:
    return f"{value:.{places}f}".replace(".", ",")


def _wall_clock(value: dt.datetime) -> dt.datetime:
    """A naive datetime of the same wall-clock time (Excel has no time zones)."""
    return value.replace(tzinfo=None)


def cell_text(value: Any, kind: str, *, percent_space: str = "") -> str:
    """One value as the school writes it: «4,50», «33,3%», «01.11.2026», «да»; '' for None."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if kind in ("int", "decimal", "share"):
        number = _number(value)
        if number is not None:
            if kind == "share":
                return _comma(number * 100, 1) + percent_space + "%"
            if kind == "int" or isinstance(number, int):
                return str(round(number))
            return _comma(number, 2)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float | Decimal):
        return _comma(float(value), 2)
    return str(value)


# --- JSON and CSV -------------------------------------------------------------------------


def _json_row(row: dict[str, Any], counts: set[str]) -> dict[str, Any]:
    """A row for JSON; a count that pandas turned into a float (3.0) is written as 3."""
    out: dict[str, Any] = _json_value(row)
    for key in counts & out.keys():
        value = out[key]
        if isinstance(value, float) and value.is_integer():
            out[key] = int(value)
    return out


def to_json(report: Report) -> bytes:
    """The rows as a JSON list of objects: every key of every row (ids, raw counts as integers,
    shares as fractions), dates ISO 8601, Decimals as numbers; UTF-8, Cyrillic not escaped."""
    counts = {c.key for c in report.columns if c.kind == "int"}
    rows = [_json_row(row, counts) for row in report.rows]
    text = json.dumps(rows, ensure_ascii=False, indent=2, default=_json_default)
    return (text + "\n").encode("utf-8")


def _csv_text(value: Any, kind: str) -> str:
    text = cell_text(value, kind)
    if kind not in ("int", "decimal", "share") and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv(report: Report) -> bytes:
    """The table for Excel: UTF-8 with a BOM, `;`-separated (what Russian Excel splits on),
    a header row of the Russian column titles, decimal commas and «33,3%» shares."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([c.title for c in report.columns])
    for row in report.rows:
        writer.writerow([_csv_text(row.get(c.key), c.kind) for c in report.columns])
    return buffer.getvalue().encode("utf-8-sig")


# --- XLSX ---------------------------------------------------------------------------------


def title_line(report: Report, printed_on: dt.date) -> str:
    """«Школа № 1 — Наполняемость журнала — ноябрь 2026 — дата печати 01.12.2026»."""
    parts = [report.school_name, report.title, report.window.label]
    parts.append(f"дата печати {printed_on:%d.%m.%Y}")
    return " — ".join(p for p in parts if p)


def _xlsx_value(value: Any, kind: str) -> Any:
    value = plain(value)
    if value is None:
        return None
    if kind in ("int", "decimal", "share"):
        number = _number(value)
        if number is not None:
            return number
    if isinstance(value, dt.datetime):
        return _wall_clock(value)
    if isinstance(value, dt.date) or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return cell_text(value, kind)


def _width(column: Column, rows: Sequence[dict[str, Any]]) -> float:
    """A column width in characters: the longest value or the longest header word, capped."""
    longest_word = max((len(w) for w in column.title.split()), default=4)
    longest_value = max((len(cell_text(r.get(column.key), column.kind)) for r in rows), default=0)
    return float(min(50, max(8, longest_word + 2, longest_value + 2)))


def to_xlsx(report: Report, *, printed_on: dt.date | None = None) -> bytes:
    """A workbook: the report sheet (title line, Russian headers, typed cells — shares as
    numbers with a percent format —, frozen header, widths, autofilter) and the sheet
    «Как считается» with every column's definition and the report's notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    printed_on = printed_on or dt.date.today()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(report.title)
    sheet.cell(row=1, column=1, value=title_line(report, printed_on)).font = Font(
        bold=True, size=12
    )
    header_row = 2
    fill = PatternFill("solid", fgColor="EEEEEE")
    widths = [_width(c, report.rows) for c in report.columns]
    header_lines = 1
    for index, column in enumerate(report.columns, start=1):
        cell = sheet.cell(row=header_row, column=index, value=column.title)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(index)].width = widths[index - 1]
        header_lines = max(header_lines, math.ceil(len(column.title) / widths[index - 1]))
    sheet.row_dimensions[header_row].height = 15 * header_lines
    for offset, row in enumerate(report.rows, start=1):
        for index, column in enumerate(report.columns, start=1):
            value = _xlsx_value(row.get(column.key), column.kind)
            cell = sheet.cell(row=header_row + offset, column=index, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, never a formula
            elif value is not None and column.kind in _NUMBER_FORMATS:
                cell.number_format = _NUMBER_FORMATS[column.kind]
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    if report.columns:
        last = get_column_letter(len(report.columns))
        sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + max(1, len(report.rows))}"

    notes = workbook.create_sheet("Как считается")
    notes.cell(row=1, column=1, value="Показатель").font = Font(bold=True)
    notes.cell(row=1, column=2, value="Как считается").font = Font(bold=True)
    line = 2
    for title, definition in report.definitions():
        notes.cell(row=line, column=1, value=title)
        notes.cell(row=line, column=2, value=definition).alignment = Alignment(wrap_text=True)
        line += 1
    for note in report.notes:
        line += 1
        notes.cell(row=line, column=1, value=note)
    notes.column_dimensions["A"].width = 36
    notes.column_dimensions["B"].width = 100
    notes.freeze_panes = "A2"

    stamp = dt.datetime.combine(printed_on, dt.time(0))
    workbook.properties.creator = "ejournal"
    workbook.properties.title = report.title
    workbook.properties.created = stamp
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "Отчёт")[:31]


# --- PDF ----------------------------------------------------------------------------------


def signature_line(signer: str) -> str:
    """«Заместитель директора по УВР ______________ / Орлов П. /» (a blank without a name)."""
    return f"{SIGNATURE_ROLE} ______________ / {signer.strip() or BLANK_NAME} /"


_PDF_SIZES = (8.0, 7.0, 6.5, 6.0, 5.5, 5.0)  # table font sizes, tried until the table fits
_PAD = 5.0  # left + right cell padding and the grid, in points
_SAMPLE = 300  # rows measured for the widths (a long report is alike further down)


def _pdf_layout(
    report: Report, available: float, font: str, bold: str
) -> tuple[float, list[float]]:
    """The table's font size and column widths in points: the largest size at which no
    header word and no number has to break, then the spare width given to the columns
    whose text would otherwise wrap most."""
    rows = report.rows[:_SAMPLE]
    texts = {
        c.key: [cell_text(r.get(c.key), c.kind, percent_space="\u00a0") for r in rows]
        for c in report.columns
    }
    mins: list[float] = []
    wants: list[float] = []
    size = _PDF_SIZES[-1]
    for size in _PDF_SIZES:

        def width(text: str, face: str = font, at: float = size) -> float:
            return float(stringWidth(text, face, at))

        mins, wants = [], []
        for c in report.columns:
            head = max((width(w, bold) for w in c.title.split()), default=0.0)
            values = texts[c.key]
            if c.kind in ("text",):
                value_min = max((width(w) for t in values for w in t.split()), default=0.0)
                value_min = min(value_min, 130.0)  # a longer word (a link) breaks
            else:  # numbers and dates never break
                value_min = max((width(t) for t in values), default=0.0)
            want = max((width(t) for t in values), default=0.0)
            want = max(min(want, 200.0), width(c.title, bold) / 2)
            mins.append(max(head, value_min) + _PAD)
            wants.append(max(want + _PAD, mins[-1]))
        if sum(mins) <= available:
            break
    if sum(mins) >= available:  # even the smallest size is too wide: squeeze evenly
        return size, [available * m / sum(mins) for m in mins]
    if sum(wants) <= available:
        return size, [available * w / sum(wants) for w in wants]
    return size, _share_out(mins, wants, available)


def _share_out(mins: list[float], wants: list[float], available: float) -> list[float]:
    """Widths from `mins` up towards `wants`, the spare split fairly: a column that needs less
    than an equal share gets all it wants (names, dates stay on one line), and what is left
    goes equally to the long texts, which wrap."""
    widths = list(mins)
    spare = available - sum(mins)
    hungry = [i for i in range(len(mins)) if wants[i] > mins[i]]
    while hungry and spare > 0.5:
        share = spare / len(hungry)
        full = [i for i in hungry if wants[i] - widths[i] <= share]
        if not full:
            for i in hungry:
                widths[i] += share
            return widths
        for i in full:
            spare -= wants[i] - widths[i]
            widths[i] = wants[i]
        hungry = [i for i in hungry if i not in full]
    return widths


def to_pdf(report: Report, *, signer: str = "", printed_on: dt.date) -> bytes:
    """The report on landscape A4 for signature: school, title, window, date of printing, the
    table (header repeated on every page, long text wrapped), the definitions and the line
    «Заместитель директора по УВР ______ / ФИО /»."""
    font, bold = register_fonts()
    page = landscape(A4)
    margin = 12 * mm
    available = page[0] - 2 * margin
    size, widths = _pdf_layout(report, available, font, bold)
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=11)
    cell = ParagraphStyle("cell", fontName=font, fontSize=size, leading=size + 2)
    number = ParagraphStyle("number", parent=cell, alignment=TA_RIGHT)
    head = ParagraphStyle("head", parent=cell, fontName=bold)
    h1 = ParagraphStyle("h1", parent=base, fontName=bold, fontSize=14, leading=18, spaceAfter=4)
    h2 = ParagraphStyle(
        "h2", parent=base, fontName=bold, fontSize=11, leading=14, spaceBefore=10, spaceAfter=4
    )

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    story: list[Flowable] = [
        p(report.school_name),
        p(report.title, h1),
        p(
            f"Период: {report.window.label} "
            f"({report.window.starts_on:%d.%m.%Y} – {report.window.ends_on:%d.%m.%Y})"
        ),
        p(f"Дата печати: {printed_on:%d.%m.%Y}"),
        Spacer(1, 4 * mm),
    ]
    if report.columns and report.rows:
        numeric = [c.kind in ("int", "decimal", "share") for c in report.columns]
        room = [w - _PAD for w in widths]

        def fitted(text: str, index: int) -> Any:
            # A plain string lays out far faster than a Paragraph; wrap only what is too wide.
            if "\n" not in text and stringWidth(text, font, size) <= room[index]:
                return text
            return p(text, number if numeric[index] else cell)

        data: list[list[Any]] = [[p(c.title, head) for c in report.columns]]
        for row in report.rows:
            data.append(
                [
                    fitted(cell_text(row.get(c.key), c.kind, percent_space="\u00a0"), index)
                    for index, c in enumerate(report.columns)
                ]
            )
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("FONTNAME", (0, 1), (-1, -1), font),
                    ("FONTSIZE", (0, 1), (-1, -1), size),
                    ("LEADING", (0, 1), (-1, -1), size + 2),
                    ("TOPPADDING", (0, 1), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 1), (-1, -1), 2),
                    *[
                        ("ALIGN", (index, 1), (index, -1), "RIGHT")
                        for index, is_number in enumerate(numeric)
                        if is_number
                    ],
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        story.append(table)
    else:
        story.append(p("Нет данных за выбранный период."))

    definitions = report.definitions()
    if definitions or report.notes:
        story.append(p("Как считается", h2))
        for title, definition in definitions:
            story.append(
                Paragraph(
                    f'<font name="{bold}">{escape(title)}</font> — {escape(definition)}', base
                )
            )
        for note in report.notes:
            story.append(p(note))
    story += [Spacer(1, 14 * mm), p(signature_line(signer))]

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=report.title,
        author=report.school_name,
        invariant=True,
    )
    doc.build(story)
    return buffer.getvalue()


def export(report: Report, fmt: str, *, signer: str = "", printed_on: dt.date) -> bytes:
    """The report in `fmt` (one of FORMATS)."""
    if fmt == "json":
        return to_json(report)
    if fmt == "csv":
        return to_csv(report)
    if fmt == "xlsx":
        return to_xlsx(report, printed_on=printed_on)
    if fmt == "pdf":
        return to_pdf(report, signer=signer, printed_on=printed_on)
    raise ValueError(f"unknown format {fmt!r}")
