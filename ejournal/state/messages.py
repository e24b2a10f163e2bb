"""Messages (``/messages``) and the unread count on the diary's tab bar.

The services decide everything: whom a parent may write to (the child's teachers, class
teacher, administration), who may read a thread (its participants). Handlers pass the
ids the browser sends straight to them and show their refusals.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.domain import diary
from ejournal.domain.diary import calendar as diary_calendar
from ejournal.domain.diary import messages
from ejournal.domain.errors import DomainError
from ejournal.domain.permissions import Permission
from ejournal.state.base import SessionState, requires, run_service
from ejournal.state.diary import TOAST_AT, local_stamp
from ejournal.state.diary_rows import MessageRow, OpenThread, Option, ThreadRow, no_thread, option


def _as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class DiaryNavState(SessionState):
    """The unread count shown on the tab bar (loaded with each diary page)."""

    unread: int = 0

    @requires(Permission.MESSAGE_SEND)
    async def load_unread(self) -> Any:
        """Count the messages by others the user has not read yet."""
        try:
            self.unread = await run_service(messages.unread_count, actor=self._actor())
        except DomainError:
            self.unread = 0


def _thread_row(t: messages.ThreadSummary, zone: str) -> ThreadRow:
    return ThreadRow(
        thread_id=t.thread_id,
        subject=t.subject,
        with_whom=", ".join(p for p in t.participants if p),
        preview=t.preview,
        when=local_stamp(t.last_message_at, zone),
        unread=t.unread,
    )


def _open_thread(v: messages.ThreadView, zone: str) -> OpenThread:
    return OpenThread(
        thread_id=v.thread_id,
        subject=v.subject,
        with_whom=", ".join(p for p in v.participants if p),
        messages=[
            MessageRow(
                key=str(m.message_id),
                author="Вы" if m.mine else m.author_name,
                body=m.body,
                when=local_stamp(m.created_at, zone),
                mine=m.mine,
            )
            for m in v.messages
        ],
    )


class MessagesState(SessionState):
    """Threads with unread counts, one open thread, a reply, a new thread."""

    threads: list[ThreadRow] = []
    unread_total: int = 0
    thread: OpenThread = no_thread()
    is_open: bool = False
    # The new-thread form: a family picks the child, then one of the allowed recipients;
    # staff pick a class, a student, then some of the student's parents and the student.
    composing: bool = False
    staff_writer: bool = False
    classes: list[Option] = []
    compose_class: str = ""
    students: list[Option] = []
    children: list[Option] = []
    compose_child: str = ""
    recipients: list[Option] = []
    # The «Кому» list's search box: by name, role or subject, any case.
    recipient_query: str = ""
    form_error: str = ""
    loaded: bool = False
    _school_zone: str = ""

    async def _zone(self) -> str:
        if not self._school_zone:
            self._school_zone = await run_service(
                diary_calendar.school_timezone, actor=self._actor()
            )
        return self._school_zone

    async def _refresh(self) -> None:
        found = await run_service(messages.threads, actor=self._actor())
        zone = await self._zone()
        self.threads = [_thread_row(t, zone) for t in found]
        self.unread_total = sum(t.unread for t in found)
        self.loaded = True

    @requires(Permission.MESSAGE_SEND)
    async def load(self) -> Any:
        """On page load: my threads, latest first."""
        self.is_open = False
        self.composing = False
        try:
            await self._refresh()
        except DomainError as e:
            return rx.toast.error(e.message, position=TOAST_AT)
        return None

    @requires(Permission.MESSAGE_SEND)
    async def open_thread(self, thread_id: int) -> Any:
        """Open a thread I take part in (marks it read)."""
        tid = _as_int(thread_id)
        if tid is None:
            return None
        try:
            view = await run_service(messages.read_thread, actor=self._actor(), thread_id=tid)
            await self._refresh()
        except DomainError as e:
            return rx.toast.error(e.message, position=TOAST_AT)
        self.thread = _open_thread(view, await self._zone())
        self.is_open = True
        self.composing = False
        self.form_error = ""
        return DiaryNavState.load_unread

    @requires(Permission.MESSAGE_SEND)
    async def close_thread(self) -> Any:
        """Back to the list of threads."""
        self.is_open = False
        self.thread = no_thread()
        self.form_error = ""

    @requires(Permission.MESSAGE_SEND)
    async def send_reply(self, form: dict[str, Any]) -> Any:
        """Reply in a thread (the service checks that I take part in it)."""
        tid = _as_int(form.get("thread_id"))
        body = str(form.get("body", ""))
        if tid is None:
            return rx.toast.error("Переписка не выбрана.", position=TOAST_AT)
        try:
            await run_service(messages.reply, actor=self._actor(), thread_id=tid, body=body)
            view = await run_service(messages.read_thread, actor=self._actor(), thread_id=tid)
            await self._refresh()
        except DomainError as e:
            self.form_error = e.message
            return rx.toast.error(e.message, position=TOAST_AT)
        self.thread = _open_thread(view, await self._zone())
        self.form_error = ""
        return rx.toast.success("Сообщение отправлено.", position=TOAST_AT)

    @rx.var
    def shown_recipients(self) -> list[Option]:
        """The recipients whose name, role or child holds every word typed in the search."""
        words = self.recipient_query.casefold().split()
        return [
            r
            for r in self.recipients
            if all(w in f"{r['label']} {r['detail']}".casefold() for w in words)
        ]

    @requires(Permission.MESSAGE_SEND)
    async def search_recipients(self, text: str) -> Any:
        """Filter the «Кому» list (display only: the service checks the chosen one)."""
        self.recipient_query = str(text)[:100]

    def _clear_form(self) -> None:
        self.recipient_query = ""
        self.form_error = ""
        self.classes, self.compose_class, self.students = [], "", []
        self.children, self.compose_child, self.recipients = [], "", []

    @requires(Permission.MESSAGE_SEND)
    async def start_composing(self) -> Any:
        """Open the new-message form: a family picks the child then the recipient; staff
        pick a class, a student, then the student's parents or the student."""
        self._clear_form()
        actor = self._actor()
        if not messages.writes_as_family(actor):
            try:
                classes = await run_service(messages.message_classes, actor=actor)
            except DomainError as e:
                return rx.toast.error(e.message, position=TOAST_AT)
            if not classes:
                return rx.toast.error("Нет классов, в которых вы ведёте уроки.", position=TOAST_AT)
            self.staff_writer = True
            self.classes = [option(c.value, c.label) for c in classes]
            self.is_open = False
            self.composing = True
            if len(classes) == 1:
                return await self._load_students(classes[0].value)
            return None
        self.staff_writer = False
        try:
            kids = await run_service(diary.children_of, actor=self._actor())
        except DomainError as e:
            return rx.toast.error(e.message, position=TOAST_AT)
        if not kids:
            return rx.toast.error(
                "Новую переписку начинают из карточки ученика.", position=TOAST_AT
            )
        self.children = [option(c.student_id, c.first_name, c.class_name) for c in kids]
        self.is_open = False
        self.composing = True
        return await self._load_recipients(kids[0].student_id)

    async def _load_recipients(self, student_id: Any) -> Any:
        sid = _as_int(student_id)
        if sid is None:
            return rx.toast.error("Не выбран ученик.", position=TOAST_AT)
        try:
            found = await run_service(
                messages.allowed_recipients, actor=self._actor(), student_id=sid
            )
        except DomainError as e:
            self.compose_child, self.recipients = "", []
            return rx.toast.error(e.message, position=TOAST_AT)
        self.compose_child = str(sid)
        self.recipient_query = ""
        child = self._child_label(sid)
        # One line each: the person, what they are to the child, and the child.
        self.recipients = [
            option(r.user_id, r.name, f"{r.detail} · {child}" if child else r.detail) for r in found
        ]
        return None

    def _child_label(self, student_id: int) -> str:
        for c in [*self.children, *self.students]:
            if c["value"] == str(student_id):
                return c["label"]
        return ""

    async def _load_students(self, class_id: Any) -> Any:
        cid = _as_int(class_id)
        self.compose_child, self.recipients = "", []
        if cid is None:
            return rx.toast.error("Не выбран класс.", position=TOAST_AT)
        try:
            found = await run_service(messages.message_students, actor=self._actor(), class_id=cid)
        except DomainError as e:
            self.compose_class, self.students = "", []
            return rx.toast.error(e.message, position=TOAST_AT)
        self.compose_class = str(cid)
        self.students = [option(c.value, c.label) for c in found]
        return None

    @requires(Permission.MESSAGE_SEND)
    async def choose_compose_class(self, class_id: str) -> Any:
        """Staff: the class's students I may write about (the service checks the class)."""
        return await self._load_students(class_id)

    @requires(Permission.MESSAGE_SEND)
    async def choose_compose_child(self, student_id: str) -> Any:
        """Whom I may write to about this child (the service checks the child is mine)."""
        return await self._load_recipients(student_id)

    @requires(Permission.MESSAGE_SEND)
    async def cancel_composing(self) -> Any:
        """Close the new-message form."""
        self.composing = False
        self._clear_form()

    @requires(Permission.MESSAGE_SEND)
    async def send_new(self, form: dict[str, Any]) -> Any:
        """Start a thread about a child with the chosen recipients (a family: one, from
        the «Кому» list; staff: the ticked ``to_<user id>`` boxes)."""
        sid = _as_int(form.get("student_id") or self.compose_child)
        chosen = [form.get("recipient")] + [
            key[3:] for key, value in form.items() if key.startswith("to_") and value
        ]
        recipients = [r for r in (_as_int(c) for c in chosen) if r is not None]
        if sid is None:
            self.form_error = "Выберите ученика."
            return None
        if not recipients:
            self.form_error = "Выберите получателя."
            return None
        try:
            view = await run_service(
                messages.start_thread,
                actor=self._actor(),
                student_id=sid,
                recipient_user_ids=recipients,
                subject=str(form.get("subject", "")),
                body=str(form.get("body", "")),
            )
            await self._refresh()
        except DomainError as e:
            self.form_error = e.message
            return rx.toast.error(e.message, position=TOAST_AT)
        self.composing = False
        self.form_error = ""
        self.thread = _open_thread(view, await self._zone())
        self.is_open = True
        return rx.toast.success("Сообщение отправлено.", position=TOAST_AT)
