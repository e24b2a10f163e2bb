"""E-mail to families: new marks, remarks, announcements and messages, and a weekly digest.

Only users who turned the letters on get them (`UserNotice.email_new`/`email_digest`), at
the address the school keeps for them, and only when a mail server is configured
(`EJOURNAL_SMTP_HOST`): without one nothing is sent and nothing is marked as sent. A cron
calls `ejournal notify new` every few minutes and `ejournal notify digest` once a week.
A letter that fails to go is retried by the next run: its marker moves only on success.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlmodel import Session, col, select

from ejournal.config import Settings
from ejournal.domain.diary.news import NewsItem, collect_news, user_email
from ejournal.domain.errors import DomainError
from ejournal.domain.models import School, UserNotice, utcnow
from ejournal.domain.people.auth import load_actor
from ejournal.domain.school.clock import local_date

#: The digest covers this many days and is not sent twice within DIGEST_MIN_GAP.
DIGEST_DAYS = 7
DIGEST_MIN_GAP = dt.timedelta(days=6)
#: A letter lists at most this many items (the rest: «и ещё N»).
LETTER_ITEMS = 30


@dataclass(frozen=True)
class MailServer:
    """Where letters go; `None` from `from_settings` means e-mail is off."""

    host: str
    port: int
    user: str = ""
    password: str = ""
    security: str = ""  # "", "starttls", "ssl"
    sender: str = "ejournal@localhost"
    public_url: str = "http://localhost:3000"
    timeout: float = 20.0

    @classmethod
    def from_settings(cls, settings: Settings) -> MailServer | None:
        if not settings.smtp_enabled:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            security=settings.smtp_security,
            sender=settings.smtp_sender,
            public_url=settings.public_url.rstrip("/"),
        )


@dataclass(frozen=True)
class Letter:
    to: str
    subject: str
    body: str


Sender = Callable[[MailServer, Letter], None]


def send_letter(server: MailServer, letter: Letter) -> None:
    """Deliver one plain-text letter over SMTP (STARTTLS or SSL when configured)."""
    msg = EmailMessage()
    msg["From"] = server.sender
    msg["To"] = letter.to
    msg["Subject"] = letter.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=server.sender.rpartition("@")[2] or None)
    msg.set_content(letter.body)
    smtp: smtplib.SMTP
    if server.security == "ssl":
        smtp = smtplib.SMTP_SSL(
            server.host, server.port, timeout=server.timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    with smtp:
        if server.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if server.user:
            smtp.login(server.user, server.password)
        smtp.send_message(msg)


@dataclass(frozen=True)
class SendResult:
    sent: int  # letters delivered
    failed: int  # letters the server refused or could not take (retried next run)
    quiet: int  # users with nothing to tell


def _aware(at: dt.datetime | None) -> dt.datetime | None:
    if at is None:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def _lines(items: Sequence[NewsItem], school: School | None) -> list[str]:
    lines = []
    for item in items[:LETTER_ITEMS]:
        who = f" — {item.child_name}" if item.child_name else ""
        day = "" if school is None else local_date(school, item.at).strftime("%d.%m")
        count = f" ({item.count})" if item.count > 1 else ""
        lines.append(f"• {day} {item.kind_title}{who}: {item.text}{count}".replace("  ", " "))
    if len(items) > LETTER_ITEMS:
        lines.append(f"…и ещё {len(items) - LETTER_ITEMS}")
    return lines


def _letter(
    to: str,
    subject: str,
    intro: str,
    items: Sequence[NewsItem],
    server: MailServer,
    school: School | None,
) -> Letter:
    body = "\n".join(
        [
            intro,
            "",
            *_lines(items, school),
            "",
            f"Открыть дневник: {server.public_url}/diary",
            "",
            "Письма можно отключить в дневнике: «Новое» → «Уведомления по почте».",
        ]
    )
    return Letter(to=to, subject=subject, body=body)


def _subscribers(session: Session, *, digest: bool) -> list[UserNotice]:
    flag = UserNotice.email_digest if digest else UserNotice.email_new
    return list(
        session.exec(
            select(UserNotice).where(col(flag).is_(True)).order_by(col(UserNotice.id))
        ).all()
    )


def send_new_item_notices(
    session: Session,
    *,
    server: MailServer | None,
    now: dt.datetime | None = None,
    deliver: Sender = send_letter,
) -> SendResult:
    """One letter per subscribed user listing what appeared since their previous letter."""
    if server is None:
        return SendResult(0, 0, 0)
    now = _aware(now) or utcnow()
    sent = failed = quiet = 0
    for row in _subscribers(session, digest=False):
        since = _aware(row.notified_until) or now
        try:
            actor = load_actor(session, row.user_id)
        except DomainError:
            quiet += 1
            continue
        email = user_email(session, actor)
        # Unread messages stay unread for days: only those with a new message count.
        items = [
            i
            for i in collect_news(session, actor, since, today=now)
            if i.kind != "message" or i.at > since
        ]
        if not email or not items:
            quiet += 1
            row.notified_until = now
            session.add(row)
            continue
        school = session.get(School, actor.school_id)
        letter = _letter(
            email,
            f"Новое в дневнике: {len(items)}",
            "Что появилось в электронном дневнике с прошлого письма:",
            items,
            server,
            school,
        )
        try:
            deliver(server, letter)
        except (OSError, smtplib.SMTPException):
            failed += 1
            continue
        sent += 1
        row.notified_until = now
        session.add(row)
    session.flush()
    return SendResult(sent, failed, quiet)


def send_weekly_digest(
    session: Session,
    *,
    server: MailServer | None,
    now: dt.datetime | None = None,
    deliver: Sender = send_letter,
) -> SendResult:
    """The week's marks, remarks, announcements and unread messages, once a week per user
    (a second run within six days sends nothing again); a quiet week sends no letter."""
    if server is None:
        return SendResult(0, 0, 0)
    now = _aware(now) or utcnow()
    since = now - dt.timedelta(days=DIGEST_DAYS)
    sent = failed = quiet = 0
    for row in _subscribers(session, digest=True):
        last = _aware(row.digest_sent_at)
        if last is not None and now - last < DIGEST_MIN_GAP:
            quiet += 1
            continue
        try:
            actor = load_actor(session, row.user_id)
        except DomainError:
            quiet += 1
            continue
        email = user_email(session, actor)
        items = collect_news(session, actor, since, today=now)
        if not email or not items:
            quiet += 1
            continue
        school = session.get(School, actor.school_id)
        first = since if school is None else local_date(school, since)
        last_day = now if school is None else local_date(school, now)
        letter = _letter(
            email,
            "Дневник за неделю",
            f"Неделя в электронном дневнике ({first:%d.%m}–{last_day:%d.%m}):",
            items,
            server,
            school,
        )
        try:
            deliver(server, letter)
        except (OSError, smtplib.SMTPException):
            failed += 1
            continue
        sent += 1
        row.digest_sent_at = now
        session.add(row)
    session.flush()
    return SendResult(sent, failed, quiet)
