"""The administrator's pages: users (``/admin/users``) and the audit log (``/admin/audit``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import reflex as rx

from ejournal.config import get_settings
from ejournal.domain.audit import query as audit_query
from ejournal.domain.errors import DomainError
from ejournal.domain.models import Role
from ejournal.domain.numbers import int_or_none
from ejournal.domain.people import profile, slips, throttle, users
from ejournal.domain.permissions import ROLE_TITLES, Permission
from ejournal.state.admin_rows import (
    AdminUserRow,
    AuditLogRow,
    ChoiceOption,
    FailedAccountRow,
    FailedAddressRow,
    NoUser,
    audit_row,
    failed_account_row,
    failed_address_row,
    user_row,
)
from ejournal.state.base import SessionState, requires, run_service

#: Roles an administrator can give to staff here (family roles come with their accounts).
STAFF_ROLE_CHOICES: list[ChoiceOption] = [
    {"value": r.value, "label": ROLE_TITLES[r]}
    for r in (
        Role.TEACHER,
        Role.CLASS_TEACHER,
        Role.DEPUTY,
        Role.DIRECTOR,
        Role.SECRETARY,
        Role.ADMIN,
    )
]


class AdminUsersState(SessionState):
    """Search, create, block, reset, roles, parent links, credential slips."""

    query: str = ""
    rows: list[AdminUserRow] = []
    classes: list[ChoiceOption] = []
    selected: AdminUserRow | NoUser = {}
    # The one-time password just issued: shown once, cleared on the next action.
    issued_login: str = ""
    issued_password: str = ""
    issued_name: str = ""
    form_error: str = ""
    # Staff accounts ticked in the search results for printing slips together.
    checked: list[int] = []
    # Failed logins: accounts with failures since their last success, crowded addresses.
    failed_accounts: list[FailedAccountRow] = []
    failed_addresses: list[FailedAddressRow] = []
    address_window_minutes: int = 0

    def _clear_issued(self) -> None:
        self.issued_login = self.issued_password = self.issued_name = ""
        self.form_error = ""

    async def _refresh(self) -> None:
        actor = self._actor()
        found = await run_service(users.search_users, actor=actor, query=self.query, limit=100)
        self.rows = [user_row(r) for r in found]
        if self.selected:
            again = [r for r in self.rows if r["user_id"] == self.selected.get("user_id")]
            self.selected = again[0] if again else {}

    @requires(Permission.USER_MANAGE)
    async def load(self) -> Any:
        """On page load: the first users and the class list."""
        self._clear_issued()
        actor = self._actor()

        classes = await run_service(
            profile.class_choices, actor=actor, permission=Permission.USER_MANAGE
        )
        self.classes = [{"value": str(i), "label": n} for i, n in classes]
        await self._refresh()
        await self._refresh_failures()

    async def _refresh_failures(self) -> None:
        actor = self._actor()
        accounts = await run_service(throttle.slowed_accounts, actor=actor)
        addresses = await run_service(throttle.slowed_addresses, actor=actor)
        self.failed_accounts = [failed_account_row(r) for r in accounts]
        self.failed_addresses = [failed_address_row(r) for r in addresses]
        self.address_window_minutes = get_settings().address_window_minutes

    @requires(Permission.USER_MANAGE)
    async def refresh_failures(self) -> Any:
        """Read the failed-login lists again."""
        await self._refresh_failures()

    @requires(Permission.USER_MANAGE)
    async def clear_account_failures(self, user_id: int) -> Any:
        """Forget an account's failed logins and its delay (audited)."""
        uid = int_or_none(user_id)
        if uid is None:
            return None
        try:
            await run_service(throttle.clear_account, actor=self._actor(), user_id=uid)
        except DomainError as e:
            return rx.toast.error(e.message)
        await self._refresh_failures()
        await self._refresh()
        return rx.toast.success("Счётчик неудачных входов сброшен.")

    @requires(Permission.USER_MANAGE)
    async def clear_address_failures(self, ip: str) -> Any:
        """Forget an address's recent failed logins (audited)."""
        try:
            await run_service(throttle.clear_address, actor=self._actor(), ip=str(ip))
        except DomainError as e:
            return rx.toast.error(e.message)
        await self._refresh_failures()
        return rx.toast.success("Ограничение для адреса снято.")

    @requires(Permission.USER_MANAGE)
    async def search(self, form: dict[str, Any]) -> Any:
        """Find accounts whose name or login contains every typed word."""
        self.query = str(form.get("query", "")).strip()[:100]
        await self._refresh()

    @requires(Permission.USER_MANAGE)
    async def select_user(self, user_id: int) -> Any:
        """Open one account's card (roles, parent link, actions)."""
        self._clear_issued()
        match = [r for r in self.rows if r["user_id"] == int_or_none(user_id)]
        self.selected = match[0] if match else {}

    @requires(Permission.USER_MANAGE)
    async def close_user(self) -> Any:
        """Close the account card."""
        self.selected = {}
        self._clear_issued()

    async def _act(self, fn: Any, success: str, **kwargs: Any) -> Any:
        try:
            result = await run_service(fn, actor=self._actor(), **kwargs)
        except DomainError as e:
            self.form_error = e.message
            return None, rx.toast.error(e.message)
        await self._refresh()
        return result, rx.toast.success(success)

    @requires(Permission.USER_MANAGE)
    async def create_staff(self, form: dict[str, Any]) -> Any:
        """Create a staff account; its one-time password is shown once."""
        self._clear_issued()
        role = str(form.get("role", "") or Role.TEACHER.value)
        class_id = int_or_none(form.get("class_id")) if role == Role.CLASS_TEACHER else None
        if role == Role.CLASS_TEACHER and class_id is None:
            self.form_error = "Выберите класс классного руководителя."
            return None
        issued, toast = await self._act(
            users.create_staff_user,
            "Учётная запись создана.",
            last_name=str(form.get("last_name", "")),
            first_name=str(form.get("first_name", "")),
            middle_name=str(form.get("middle_name", "")),
            roles=[Role(role)] if role in {r.value for r in Role} else [],
            class_id=class_id,
            position=str(form.get("position", "")),
        )
        if issued is not None:
            self._show_issued(issued)
        return toast

    def _show_issued(self, issued: users.IssuedCredentials) -> None:
        self.issued_login = issued.login
        self.issued_password = issued.one_time_password
        row = [r for r in self.rows if r["user_id"] == issued.user_id]
        self.issued_name = row[0]["full_name"] if row else issued.login

    @requires(Permission.USER_MANAGE)
    async def block_user(self, user_id: int) -> Any:
        """Block an account: its sessions end at once."""
        self._clear_issued()
        _, toast = await self._act(
            users.set_active, "Учётная запись заблокирована.", user_id=int(user_id), active=False
        )
        return toast

    @requires(Permission.USER_MANAGE)
    async def unblock_user(self, user_id: int) -> Any:
        """Unblock an account."""
        self._clear_issued()
        _, toast = await self._act(
            users.set_active, "Учётная запись разблокирована.", user_id=int(user_id), active=True
        )
        return toast

    @requires(Permission.USER_MANAGE)
    async def reset_password(self, user_id: int) -> Any:
        """Issue a new one-time password (shown once); the user's sessions end."""
        self._clear_issued()
        issued, toast = await self._act(
            users.reset_password, "Выдан новый одноразовый пароль.", user_id=int(user_id)
        )
        if issued is not None:
            self._show_issued(issued)
        return toast

    @requires(Permission.USER_MANAGE)
    async def grant_role(self, form: dict[str, Any]) -> Any:
        """Give the selected staff member a role (class teacher: with a class)."""
        self._clear_issued()
        user_id = int_or_none(self.selected.get("user_id"))
        role = str(form.get("role", ""))
        if user_id is None or role not in {r.value for r in Role}:
            self.form_error = "Выберите пользователя и роль."
            return None
        class_id = int_or_none(form.get("class_id")) if role == Role.CLASS_TEACHER else None
        _, toast = await self._act(
            users.grant_role, "Роль назначена.", user_id=user_id, role=Role(role), class_id=class_id
        )
        return toast

    @requires(Permission.USER_MANAGE)
    async def revoke_role(self, role: str) -> Any:
        """Take a role away from the selected user (all its classes, for a class teacher)."""
        self._clear_issued()
        user_id = int_or_none(self.selected.get("user_id"))
        if user_id is None or role not in {r.value for r in Role}:
            return None
        _, toast = await self._act(
            users.revoke_role, "Роль снята.", user_id=user_id, role=Role(role)
        )
        return toast

    @requires(Permission.USER_MANAGE)
    async def link_child(self, form: dict[str, Any]) -> Any:
        """Link the selected parent to a child given by the child's login."""
        self._clear_issued()
        parent_id = self.selected.get("person_id")
        if self.selected.get("kind") != "parent" or parent_id is None:
            self.form_error = "Выберите учётную запись родителя."
            return None
        child_login = str(form.get("child_login", "")).strip()
        found = await run_service(
            users.search_users, actor=self._actor(), query=child_login, role=Role.STUDENT
        )
        exact = [r for r in found if r.login == child_login and r.person_id is not None]
        if not exact:
            self.form_error = "Учащийся с таким логином не найден."
            return None
        _, toast = await self._act(
            users.link_parent,
            "Родитель связан с ребёнком.",
            parent_id=parent_id,
            student_id=int(exact[0].person_id or 0),
            relation=str(form.get("relation", "")),
        )
        return toast

    @requires(Permission.USER_MANAGE)
    async def download_slip(self, user_id: int) -> Any:
        """A printable credential slip (PDF); the account gets a new one-time password."""
        self._clear_issued()
        try:
            pdf = await run_service(
                slips.staff_slips_pdf, actor=self._actor(), user_ids=[int(user_id)]
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        await self._refresh()
        return rx.download(data=pdf, filename=f"rekvizity-{int(user_id)}.pdf")

    @requires(Permission.USER_MANAGE)
    async def toggle_checked(self, user_id: int, on: bool) -> Any:
        """Tick or untick an account in the results for printing slips together."""
        uid = int(user_id)
        rest = [u for u in self.checked if u != uid]
        self.checked = [*rest, uid] if on else rest

    @requires(Permission.USER_MANAGE)
    async def clear_checked(self) -> Any:
        """Untick every account."""
        self.checked = []

    async def _slips_download(self, user_ids: list[int], filename: str) -> Any:
        self._clear_issued()
        if not user_ids:
            return rx.toast.info("Нет отмеченных сотрудников.")
        try:
            pdf = await run_service(slips.staff_slips_pdf, actor=self._actor(), user_ids=user_ids)
        except DomainError as e:
            return rx.toast.error(e.message)
        self.checked = []
        await self._refresh()
        return rx.download(data=pdf, filename=filename)

    @requires(Permission.USER_MANAGE)
    async def download_checked_slips(self) -> Any:
        """Slips for every ticked account (PDF); each gets a new one-time password."""
        return await self._slips_download([int(u) for u in self.checked], "rekvizity.pdf")

    @requires(Permission.USER_MANAGE)
    async def download_waiting_slips(self) -> Any:
        """Slips for all staff still waiting for their first password change."""
        waiting = await run_service(slips.waiting_staff_ids, actor=self._actor())
        if not waiting:
            self._clear_issued()
            return rx.toast.info("Все сотрудники уже сменили одноразовый пароль.")
        return await self._slips_download(waiting, "rekvizity-novye.pdf")


AUDIT_PAGE_SIZE = 50


def _parse_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _local(row: AuditLogRow, found: audit_query.AuditRow) -> AuditLogRow:
    """The moment in the school's time zone, as the diary shows times (not the server's)."""
    if found.local_at is not None:
        row["at"] = found.local_at.strftime("%d.%m.%Y %H:%M")
    return row


class AdminAuditState(SessionState):
    """The audit log with filters and keyset paging ("Ещё")."""

    rows: list[AuditLogRow] = []
    has_more: bool = False
    filter_error: str = ""
    _filters: dict[str, Any] = {}
    _last_id: int | None = None

    async def _fetch(self, *, more: bool) -> None:
        kwargs = dict(self._filters)
        if more and self._last_id is not None:
            kwargs["before_id"] = self._last_id
        found = await run_service(
            audit_query.search_audit, actor=self._actor(), limit=AUDIT_PAGE_SIZE + 1, **kwargs
        )
        self.has_more = len(found) > AUDIT_PAGE_SIZE
        found = found[:AUDIT_PAGE_SIZE]
        # The raw JSON stays on the server: the page shows the sides in words.
        new_rows = [_local(audit_row(r), r) for r in found]
        self.rows = [*self.rows, *new_rows] if more else new_rows
        if found:
            self._last_id = found[-1].id

    @requires(Permission.AUDIT_READ)
    async def load(self) -> Any:
        """On page load: the newest entries, no filters."""
        self._filters = {}
        self._last_id = None
        self.filter_error = ""
        await self._fetch(more=False)

    @requires(Permission.AUDIT_READ)
    async def apply_filters(self, form: dict[str, Any]) -> Any:
        """Filter by person (login or ФИО), entity, action and dates (inclusive, the
        school's days)."""
        self.filter_error = ""
        filters: dict[str, Any] = {}
        person = str(form.get("person", "")).strip()[:100]
        if person:
            filters["person"] = person
        for key in ("entity", "action"):
            if value := str(form.get(key, "")).strip()[:64]:
                filters[key] = value
        since = _parse_date(form.get("since", ""))
        until = _parse_date(form.get("until", ""))
        if since:
            filters["since_day"] = since
        if until:
            filters["until_day"] = until
        self._filters = filters
        self._last_id = None
        try:
            await self._fetch(more=False)
        except DomainError as e:
            self.filter_error = e.message
            self.rows, self.has_more = [], False

    @requires(Permission.AUDIT_READ)
    async def more(self) -> Any:
        """The next page of older entries."""
        await self._fetch(more=True)
