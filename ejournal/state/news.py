"""«Новое»: the count on the menu, the list in the diary, the e-mail choices (issue 12)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from ejournal.config import get_settings
from ejournal.domain.diary import calendar as diary_calendar
from ejournal.domain.diary import news
from ejournal.domain.errors import DomainError
from ejournal.domain.permissions import Permission
from ejournal.state.base import SessionState, requires, run_service
from ejournal.state.diary import TOAST_AT, local_stamp

FAMILY_ROLES = ("parent", "student")


@dataclass
class NewsRow:
    key: str = ""
    kind: str = ""  # «Отметка», «Замечание»…
    child: str = ""
    text: str = ""
    when: str = ""
    href: str = "/diary"


def _href(item: news.NewsItem) -> str:
    if item.kind == "mark":
        return "/diary/marks"
    if item.kind == "message":
        return "/messages"
    return "/diary"


def news_rows(found: news.News, zone: str) -> list[NewsRow]:
    return [
        NewsRow(
            key=f"{i.kind}-{n}",
            kind=i.kind_title + (f" ({i.count})" if i.count > 1 else ""),
            child=i.child_name,
            text=i.text,
            when=local_stamp(i.at, zone),
            href=_href(i),
        )
        for n, i in enumerate(found.items)
    ]


class NewsState(SessionState):
    """What is new since the family's last visit; staff get nothing here."""

    count: int = 0
    items: list[NewsRow] = []
    loaded: bool = False
    email: str = ""
    email_new: bool = False
    email_digest: bool = False
    mail_on: bool = False
    choices_error: str = ""

    def _family_now(self) -> bool:
        return self._active_role in FAMILY_ROLES

    @requires(Permission.OWN_ACCOUNT, before_password_change=True)
    async def load_count(self) -> Any:
        """The number on the menu (the header calls this on every page, for every role:
        staff get 0 without a refusal; the service checks the family's own diary)."""
        if not self._family_now():
            self.count = 0
            return None
        try:
            found = await run_service(news.visit_news, actor=self._actor())
        except DomainError:
            self.count = 0
            return None
        self.count = found.count
        return None

    @requires(Permission.DIARY_READ)
    async def load(self) -> Any:
        """The «Новое» list and the e-mail choices."""
        if not self._family_now():
            self.items, self.count, self.loaded = [], 0, True
            return None
        actor = self._actor()
        try:
            found = await run_service(news.visit_news, actor=actor)
            choices = await run_service(news.notice_choices, actor=actor)
            zone = await run_service(diary_calendar.school_timezone, actor=actor)
        except DomainError as e:
            return rx.toast.error(e.message, position=TOAST_AT)
        self.items = news_rows(found, zone)
        self.count = found.count
        self.email = choices.email
        self.email_new, self.email_digest = choices.email_new, choices.email_digest
        self.mail_on = get_settings().smtp_enabled
        self.loaded = True
        return None

    @requires(Permission.DIARY_READ)
    async def all_seen(self) -> Any:
        """«Всё просмотрено»: the list and the count empty until something new appears."""
        try:
            await run_service(news.mark_all_seen, actor=self._actor())
        except DomainError as e:
            return rx.toast.error(e.message, position=TOAST_AT)
        self.items, self.count = [], 0
        return None

    @requires(Permission.DIARY_READ)
    async def save_choices(self, form: dict[str, Any]) -> Any:
        """Turn the e-mails about new items and the weekly digest on or off."""
        on = (True, "on", "true", "1")
        try:
            choices = await run_service(
                news.set_notice_choices,
                actor=self._actor(),
                email_new=form.get("email_new") in on,
                email_digest=form.get("email_digest") in on,
            )
        except DomainError as e:
            self.choices_error = e.message
            return rx.toast.error(e.message, position=TOAST_AT)
        self.choices_error = ""
        self.email_new, self.email_digest = choices.email_new, choices.email_digest
        return rx.toast.success("Настройки уведомлений сохранены.", position=TOAST_AT)
