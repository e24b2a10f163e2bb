"""E-mail to families through a real SMTP server started by the test (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session

from ejournal.cli import main as cli_main
from ejournal.config import Settings
from ejournal.domain.diary.news import set_notice_choices
from ejournal.domain.models import Parent, Role, RoleGrant
from ejournal.domain.notify import MailServer, send_new_item_notices, send_weekly_digest
from tests.domain.diary_factories import A_MONDAY, World, build_world

pytestmark = pytest.mark.db

NOW = dt.datetime(2026, 9, 18, 15, 0, tzinfo=dt.UTC)


class _Inbox:
    def __init__(self) -> None:
        self.letters: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=default_policy)
        self.letters.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def smtp() -> Iterator[tuple[_Inbox, MailServer]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, MailServer(host="127.0.0.1", port=port, sender="school@example.org")
    finally:
        controller.stop()


@pytest.fixture()
def world(session: Session) -> World:
    w = build_world(session)
    parent = session.get(Parent, w.anna_mother.actor.parent_id)
    assert parent is not None
    parent.email = "olga@example.org"
    session.add(parent)
    # The letters load the user's roles as a login does.
    session.add(
        RoleGrant(user_id=w.anna_mother.user_id, role=Role.PARENT.value, school_id=w.school.id)
    )
    session.flush()
    return w


def _mark_at(w: World, value: int, at: dt.datetime) -> None:
    m = w.mark(w.anna, w.lesson(w.math_a, A_MONDAY, number=value), value)
    m.created_at = at
    w.session.add(m)
    w.session.flush()


def _text(msg: Message) -> str:
    body = msg.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    return str(body.get_content())


def test_a_new_mark_is_mailed_once_to_who_turned_letters_on(
    world: World, smtp: tuple[_Inbox, MailServer]
) -> None:
    """The mother gets one letter naming the 5; a second run sends nothing more."""
    inbox, server = smtp
    set_notice_choices(
        world.session,
        actor=world.anna_mother.actor,
        email_new=True,
        email_digest=False,
        now=NOW - dt.timedelta(hours=2),
    )
    _mark_at(world, 5, NOW - dt.timedelta(hours=1))

    first = send_new_item_notices(world.session, server=server, now=NOW)
    again = send_new_item_notices(world.session, server=server, now=NOW + dt.timedelta(minutes=10))

    assert (first.sent, again.sent) == (1, 0)
    assert len(inbox.letters) == 1
    to, msg = inbox.letters[0]
    assert to == ["olga@example.org"]
    assert msg["Subject"] == "Новое в дневнике: 1"
    assert "Математика: 5" in _text(msg)


def test_no_letter_without_consent_or_without_a_server(
    world: World, smtp: tuple[_Inbox, MailServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody subscribed: nothing is sent; no server configured: nothing is even tried."""
    inbox, server = smtp
    monkeypatch.delenv("EJOURNAL_SMTP_HOST", raising=False)
    assert MailServer.from_settings(Settings()) is None
    monkeypatch.setenv("EJOURNAL_SMTP_HOST", "127.0.0.1")
    assert MailServer.from_settings(Settings()) is not None
    _mark_at(world, 5, NOW - dt.timedelta(hours=1))
    assert send_new_item_notices(world.session, server=server, now=NOW).sent == 0
    set_notice_choices(
        world.session, actor=world.anna_mother.actor, email_new=True, email_digest=True
    )
    assert send_new_item_notices(world.session, server=None, now=NOW).sent == 0
    assert send_weekly_digest(world.session, server=None, now=NOW).sent == 0
    assert inbox.letters == []


def test_weekly_digest_lists_the_week_and_is_sent_once_a_week(
    world: World, smtp: tuple[_Inbox, MailServer]
) -> None:
    """Two marks of the week in one letter; a rerun the next day sends nothing; a week
    later, with nothing new, no letter either."""
    inbox, server = smtp
    set_notice_choices(
        world.session, actor=world.anna_mother.actor, email_new=False, email_digest=True
    )
    _mark_at(world, 4, NOW - dt.timedelta(days=3))
    _mark_at(world, 5, NOW - dt.timedelta(days=1))
    _mark_at(world, 3, NOW - dt.timedelta(days=9))  # the week before: not in the digest

    first = send_weekly_digest(world.session, server=server, now=NOW)
    next_day = send_weekly_digest(world.session, server=server, now=NOW + dt.timedelta(days=1))
    next_week = send_weekly_digest(world.session, server=server, now=NOW + dt.timedelta(days=7))

    assert (first.sent, next_day.sent, next_week.sent) == (1, 0, 0)
    text = _text(inbox.letters[0][1])
    assert inbox.letters[0][1]["Subject"] == "Дневник за неделю"
    assert "Математика: 5" in text and "Математика: 4" in text
    assert "Математика: 3" not in text


def test_cli_digest_is_quiet_without_a_mail_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ejournal notify digest` with no EJOURNAL_SMTP_HOST says so and exits 0."""
    from ejournal.config import get_settings

    monkeypatch.delenv("EJOURNAL_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    try:
        assert cli_main(["notify", "digest"]) == 0
    finally:
        get_settings.cache_clear()
    assert "Почта не настроена" in capsys.readouterr().err
