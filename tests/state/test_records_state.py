"""``/records`` called as a browser would: the deputy and the class teacher download the
class's summary sheet and printed journal; a teacher, a parent or a student forging the
calls gets no file; a class id outside the actor's reach is refused by the service."""

from __future__ import annotations

import base64
import io
from typing import Any

from openpyxl import load_workbook
from pypdf import PdfReader

from ejournal.domain.models import Role
from ejournal.state.records import RecordsState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import toast_text


def _file(result: Any) -> bytes:
    assert "_download" in repr(result), result
    args = {str(name): str(value) for name, value in result.args}
    return base64.b64decode(args["url"].split("base64,")[1].strip('"'))


def _loaded(world: StateWorld, role: Role) -> RecordsState:
    st = world.state(RecordsState, world.token(role))
    call(RecordsState.load, st)
    return st


def test_the_deputy_downloads_the_summary_sheet_and_the_journal(world: StateWorld) -> None:
    st = _loaded(world, Role.DEPUTY)
    assert [c["name"] for c in st.classes][:1] and st.class_id == st.classes[0]["id"]
    five_a = next(c for c in st.classes if c["name"] == "5 «А»")
    call(RecordsState.choose_class, st, five_a["id"])
    text = " ".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(_file(call(RecordsState.download_summary, st, "pdf")))).pages
    )
    assert "Сводная ведомость учёта результатов: 5 «А» класс" in " ".join(text.split())
    book = load_workbook(io.BytesIO(_file(call(RecordsState.download_summary, st, "xlsx"))))
    assert "5 «А»" in str(book.active["A2"].value)
    journal = PdfReader(io.BytesIO(_file(call(RecordsState.download_journal, st))))
    assert "КЛАССНЫЙ ЖУРНАЛ" in journal.pages[0].extract_text()
    assert "ЛИСТ ЗАВЕРЕНИЯ" in journal.pages[-1].extract_text()


def test_the_class_teacher_sees_only_their_class(world: StateWorld) -> None:
    st = _loaded(world, Role.CLASS_TEACHER)
    assert [c["name"] for c in st.classes] == ["5 «А»"]
    # A forged class id is not taken, and the download stays with the own class.
    call(RecordsState.choose_class, st, "999")
    assert st.class_id == st.classes[0]["id"]
    st.class_id = "999"  # as if the client's state were forged
    assert "не найден" in toast_text(call(RecordsState.download_journal, st))


def test_others_get_no_file(world: StateWorld) -> None:
    for role in (Role.PARENT, Role.STUDENT, Role.ADMIN):
        st = world.state(RecordsState, world.token(role))
        result = call(RecordsState.download_summary, st, "pdf")
        assert "_download" not in repr(result)
    five_a = next(c["id"] for c in _loaded(world, Role.DEPUTY).classes if c["name"] == "5 «А»")
    teacher = _loaded(world, Role.TEACHER)  # teaches in 5 «А», but not the whole journal
    assert teacher.classes == []
    teacher.class_id = five_a
    result = call(RecordsState.download_journal, teacher)
    assert "_download" not in repr(result)
    assert toast_text(result)


def test_one_class_picker_drives_the_period_close_and_the_decisions(world: StateWorld) -> None:
    st = _loaded(world, Role.DEPUTY)
    five_a = next(c["id"] for c in st.classes if c["name"] == "5 «А»")
    events = call(RecordsState.choose_class, st, five_a)
    names = " ".join(repr(e) for e in events)
    assert "PeriodCloseState.choose_class" in names and "YearOutcomesState.choose_class" in names
    assert call(RecordsState.choose_class, st, "999") is None  # not a class of the list
