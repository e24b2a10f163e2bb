"""The teacher's journal: the home lists (``/teacher``, ``/class``), the page picker and
the grid (``/journal``).

``home.py`` holds the home pages and the picker, ``grid.py`` the grid (load, live
updates, cells, pastes, reasons), ``dialogs.py`` its dialogs, and ``wire.py`` what they
send to the browser (the rows and the ``text~version~flags~title`` cell code).
`JournalState` is the page's one State, made of the grid and the dialogs mixins; it is
defined here, so its Reflex name stays ``…ejournal___state___journal____journal_state``.
"""

from __future__ import annotations

from ejournal.state.base import SessionState
from ejournal.state.journal.dialogs import JournalDialogs
from ejournal.state.journal.grid import (
    MAX_CELL_TEXT,
    MAX_ROWS,
    MSG_BAD_CELL,
    POLL_SECONDS,
    JournalGrid,
)
from ejournal.state.journal.home import (
    ALL_CLASSES,
    PICKER_ALL_LIMIT,
    ClassHomeState,
    JournalPickerState,
    TeacherHomeState,
)
from ejournal.state.journal.wire import (
    SEP,
    WRITE_FLAGS,
    Figures,
    LessonCol,
    StudentHead,
    cell_code,
    code_parts,
    figures_dict,
    lesson_dict,
)


class JournalState(JournalDialogs, SessionState):
    """One journal page: the grid, its dialogs, and live updates.

    Each student row ``i`` has its own vars ``c<i>`` (cell codes) and ``f<i>`` (figures),
    added below for ``MAX_ROWS`` rows (see ``wire.py``).
    """


for _i in range(MAX_ROWS):
    JournalState.add_var(f"c{_i}", list[str], [])
    JournalState.add_var(f"f{_i}", dict[str, str], {})
del _i

__all__ = [
    "ALL_CLASSES",
    "MAX_CELL_TEXT",
    "MAX_ROWS",
    "MSG_BAD_CELL",
    "PICKER_ALL_LIMIT",
    "POLL_SECONDS",
    "SEP",
    "WRITE_FLAGS",
    "ClassHomeState",
    "Figures",
    "JournalDialogs",
    "JournalGrid",
    "JournalPickerState",
    "JournalState",
    "LessonCol",
    "StudentHead",
    "TeacherHomeState",
    "cell_code",
    "code_parts",
    "figures_dict",
    "lesson_dict",
]
