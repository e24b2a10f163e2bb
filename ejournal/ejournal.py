"""The Reflex app: routes only. Pages live in ejournal.pages, States in ejournal.state.

Every logged-in page is added with ``guarded_page`` (permission + on-load handlers);
public pages (start, login) with ``app.add_page``.
"""

import reflex as rx

from ejournal import web
from ejournal.components.errors import error_boundary
from ejournal.domain import site_map
from ejournal.pages import (
    account,
    admin_audit,
    admin_users,
    change_password,
    diary,
    diary_staff,
    home,
    index,
    journal,
    messages,
)
from ejournal.state.admin import AdminAuditState, AdminUsersState
from ejournal.state.auth import AccountState, LoginState
from ejournal.state.base import (
    backend_exception_handler,
    frontend_exception_handler,
    guarded_page,
)
from ejournal.state.diary import DiaryMarksState, DiaryState
from ejournal.state.diary_staff import AnnouncementsState, ConfirmationsState
from ejournal.state.journal import ClassHomeState, JournalState, TeacherHomeState
from ejournal.state.messages import DiaryNavState, MessagesState

app = rx.App(
    html_lang="ru",
    # Errors speak Russian: a failed event, a broken page (never Reflex's English text).
    backend_exception_handler=backend_exception_handler,
    frontend_exception_handler=frontend_exception_handler,
    # The HTTP edge: the HttpOnly session cookie, security headers, a quiet /_health.
    api_transformer=web.make_edge(),
)
app.app_wraps[(55, "ErrorBoundary")] = error_boundary

app.add_page(index.page, route="/", title="Электронный журнал", on_load=LoginState.open_start)
app.add_page(
    index.page, route="/login", title="Вход — Электронный журнал", on_load=LoginState.open_start
)
guarded_page(
    app,
    route=site_map.CHANGE_PASSWORD_PATH,
    component=change_password.page,
)
guarded_page(
    app,
    route="/account",
    component=account.page,
    on_load=[AccountState.load_sessions],
)
guarded_page(
    app,
    route="/teacher",
    component=journal.teacher,
    on_load=[TeacherHomeState.load],
)
guarded_page(
    app,
    route="/class",
    component=journal.class_teacher,
    on_load=[ClassHomeState.load],
)
guarded_page(
    app,
    route="/journal",
    component=journal.journal,
    on_load=[JournalState.load],
)
guarded_page(
    app,
    route="/dashboard",
    component=home.dashboard,
)
guarded_page(
    app,
    route="/diary",
    component=diary.week,
    on_load=[DiaryState.load, DiaryNavState.load_unread],
)
guarded_page(
    app,
    route="/diary/marks",
    component=diary.marks,
    on_load=[DiaryMarksState.load, DiaryNavState.load_unread],
)
guarded_page(
    app,
    route="/messages",
    component=messages.page,
    on_load=[MessagesState.load, DiaryNavState.load_unread],
)
guarded_page(
    app,
    route="/class/confirmations",
    component=diary_staff.confirmations,
    on_load=[ConfirmationsState.load],
)
guarded_page(
    app,
    route="/announcements",
    component=diary_staff.announcements,
    on_load=[AnnouncementsState.load],
)
guarded_page(
    app,
    route="/admin/users",
    component=admin_users.page,
    on_load=[AdminUsersState.load],
)
guarded_page(
    app,
    route="/admin/audit",
    component=admin_audit.page,
    on_load=[AdminAuditState.load],
)
