"""The «Резервные копии» page's handlers, called as a browser would: the administrator
takes a backup, checks and downloads it; a failed backup shows on the admin's home page;
anyone else calling the handlers gets nothing and no backup is taken."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from ejournal.domain.models import BackupRun, Role
from ejournal.domain.records import schedule
from ejournal.domain.records.backup import BackupError
from ejournal.state.admin_backups import BackupsState
from ejournal.state.backup_alert import BackupAlertState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import toast_text

REFUSED = "Недостаточно прав"


@pytest.fixture(autouse=True)
def backups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "backups"
    monkeypatch.setenv("EJOURNAL_BACKUP_DIR", str(folder))
    return folder


def _runs(world: StateWorld) -> list[BackupRun]:
    with world.session() as s:
        return list(s.exec(select(BackupRun).order_by(col(BackupRun.id))).all())


def _download(result: Any) -> bytes:
    """The bytes of an rx.download answer (a data: URL)."""
    import base64
    import re

    text = repr(result)
    assert "_download" in text, result
    found = re.search(r"base64,([A-Za-z0-9+/=]+)", text)
    assert found, text[:300]
    return base64.b64decode(found.group(1))


def test_the_admin_takes_a_backup_and_sees_it_ready(world: StateWorld):
    """«Сделать копию сейчас»: the list shows today's backup «вручную», «готово», its size."""
    st = world.state(BackupsState, world.token(Role.ADMIN))
    call(BackupsState.load, st)
    assert st.rows == [] and "02:00" in st.schedule_text and "7" in st.keep_text
    result = call(BackupsState.take_backup, st)
    assert "создана" in toast_text(result) and not st.creating
    (row,) = st.rows
    assert (row.kind, row.status, row.available) == ("вручную", "готово", True)
    assert row.size.endswith("МБ")


def test_the_admin_checks_and_downloads_a_backup(world: StateWorld):
    """«Проверить» says the copy is whole; «Скачать» gives a zip with the manifest."""
    st = world.state(BackupsState, world.token(Role.ADMIN))
    call(BackupsState.load, st)
    call(BackupsState.take_backup, st)
    rid = st.rows[0].id
    assert "Копия цела" in toast_text(call(BackupsState.verify, st, rid))
    assert st.rows[0].check.startswith("Копия цела")
    names = zipfile.ZipFile(io.BytesIO(_download(call(BackupsState.download, st, rid)))).namelist()
    assert any(n.endswith("/manifest.json") for n in names)


def test_a_damaged_backup_fails_its_check_in_words(world: StateWorld):
    """One changed byte: «Проверить» names the damaged file."""
    st = world.state(BackupsState, world.token(Role.ADMIN))
    call(BackupsState.load, st)
    call(BackupsState.take_backup, st)
    (run,) = _runs(world)
    dump = Path(run.path) / "ejournal.sqlite3"
    data = bytearray(dump.read_bytes())
    data[200] ^= 1
    dump.write_bytes(bytes(data))
    said = toast_text(call(BackupsState.verify, st, run.id))
    assert "повреждена" in said and "ejournal.sqlite3" in said
    assert "_download" not in repr(call(BackupsState.download, st, run.id))


def test_a_deleted_backup_is_not_downloaded(world: StateWorld):
    """A backup pruned from the folder, or an id that never existed: a message, no file."""
    st = world.state(BackupsState, world.token(Role.ADMIN))
    call(BackupsState.load, st)
    call(BackupsState.take_backup, st)
    (run,) = _runs(world)
    shutil.rmtree(run.path)
    for rid in (run.id, 4242, "../../etc"):
        result = call(BackupsState.download, st, rid)
        assert "_download" not in repr(result)
        assert "нет" in toast_text(result)
    call(BackupsState.load, st)
    assert st.rows[0].status == "готово, удалена по сроку хранения"
    assert not st.rows[0].available


def test_a_failed_backup_shows_on_the_admins_home_page(
    world: StateWorld, monkeypatch: pytest.MonkeyPatch
):
    """A failure: the list says «ошибка: …», the home page's callout names it and its date."""

    def fails(*args: Any, **kwargs: Any) -> Any:
        raise BackupError("резервная копия не записана: нет места на диске")

    monkeypatch.setattr(schedule, "make_backup", fails)
    token = world.token(Role.ADMIN)
    st = world.state(BackupsState, token)
    call(BackupsState.load, st)
    result = call(BackupsState.take_backup, st)
    assert "нет места на диске" in toast_text(result)
    assert st.rows[0].status == "ошибка: резервная копия не записана: нет места на диске"
    assert st.alert.startswith("Последняя резервная копия не удалась")
    home = world.state(BackupAlertState, token)
    call(BackupAlertState.load, home)
    assert home.text.startswith(
        "Последняя резервная копия не удалась: резервная копия не записана: нет места на диске ("
    )


def test_no_alert_when_backups_succeed(world: StateWorld):
    """After a good backup the home page shows nothing."""
    token = world.token(Role.ADMIN)
    st = world.state(BackupsState, token)
    call(BackupsState.take_backup, st)
    home = world.state(BackupAlertState, token)
    call(BackupAlertState.load, home)
    assert home.text == ""


@pytest.mark.parametrize("role", [Role.DEPUTY, Role.DIRECTOR, Role.TEACHER, Role.PARENT])
def test_others_calling_the_handlers_get_nothing(world: StateWorld, role: Role):
    """Forged calls: refused in words, no backup taken, no list, no check, no file."""
    admin = world.state(BackupsState, world.token(Role.ADMIN))
    call(BackupsState.take_backup, admin)
    (run,) = _runs(world)
    st = world.state(BackupsState, world.token(role))
    for handler, args in (
        (BackupsState.load, ()),
        (BackupsState.take_backup, ()),
        (BackupsState.verify, (run.id,)),
        (BackupsState.download, (run.id,)),
    ):
        result = call(handler, st, *args)
        assert REFUSED in toast_text(result), (handler, result)
        assert "_download" not in repr(result)
    assert st.rows == [] and not st.loaded
    home = world.state(BackupAlertState, world.token(role))
    assert REFUSED in toast_text(call(BackupAlertState.load, home))
    assert len(_runs(world)) == 1
