"""`ejournal notify digest`: the weekly letter, run for real against a local SMTP server."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session

from ejournal.domain import migrate
from ejournal.domain.models import Parent, Role, RoleGrant, UserNotice
from tests.conftest import BACKENDS, dispose_database, new_database
from tests.domain.diary_factories import A_MONDAY, build_world
from tests.domain.test_notify import _free_port
from tests.test_cli import EJOURNAL

pytestmark = pytest.mark.db

NOW = "2026-09-18T15:00"


class _Inbox:
    def __init__(self) -> None:
        self.letters: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.letters.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A school where Anna's mother asked for the digest and Anna got a 5 on Monday."""
    database = new_database(request.param, tmp_path)
    migrate.upgrade(database.engine)
    with Session(database.engine, expire_on_commit=False) as session:
        w = build_world(session)
        parent = session.get(Parent, w.anna_mother.actor.parent_id)
        assert parent is not None
        parent.email = "olga@example.org"
        session.add(parent)
        session.add(
            RoleGrant(user_id=w.anna_mother.user_id, role=Role.PARENT.value, school_id=w.school.id)
        )
        session.add(UserNotice(user_id=w.anna_mother.user_id, email_digest=True))
        mark = w.mark(w.anna, w.lesson(w.math_a, A_MONDAY), 5)
        mark.created_at = dt.datetime(2026, 9, 14, 9, 0, tzinfo=dt.UTC)
        session.add(mark)
        session.commit()
    yield database.url
    dispose_database(database)


def _run(
    db_url: str, tmp: Path, *args: str, smtp_port: int | None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REFLEX_DB_URL": db_url, "EJOURNAL_VAR_DIR": str(tmp / "var")}
    env.pop("EJOURNAL_SMTP_HOST", None)
    if smtp_port is not None:
        env |= {"EJOURNAL_SMTP_HOST": "127.0.0.1", "EJOURNAL_SMTP_PORT": str(smtp_port)}
    return subprocess.run(
        [str(EJOURNAL), *args], env=env, cwd=tmp, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def test_digest_is_mailed_once_by_the_command(db_url: str, tmp_path: Path) -> None:
    """The first run mails the week's 5 to the mother; a second run the same day sends none."""
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        first = _run(db_url, tmp_path, "notify", "digest", "--now", NOW, smtp_port=port)
        second = _run(db_url, tmp_path, "notify", "digest", "--now", NOW, smtp_port=port)
    finally:
        controller.stop()
    assert first.returncode == 0, first.stderr
    assert "Отправлено писем: 1" in first.stdout
    assert "Отправлено писем: 0" in second.stdout
    assert len(inbox.letters) == 1
    assert inbox.letters[0]["To"] == "olga@example.org"
    assert "Математика: 5" in str(inbox.letters[0].get_body(("plain",)).get_content())  # type: ignore[attr-defined]


def test_without_a_mail_server_the_command_sends_nothing(db_url: str, tmp_path: Path) -> None:
    """No EJOURNAL_SMTP_HOST: a one-line notice, exit 0, nothing sent."""
    result = _run(db_url, tmp_path, "notify", "digest", smtp_port=None)
    assert result.returncode == 0
    assert "Почта не настроена" in result.stderr
