"""The Reflex app: routes only. Pages live in ejournal.pages, States in ejournal.state.

Every logged-in page is added with ``guarded_page`` (permission + on-load handlers);
public pages (start, login) with ``app.add_page``.
"""

from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.style import resolved_color_mode

from ejournal import web
from ejournal.components.errors import error_boundary
from ejournal.domain import site_map
from ejournal.pages import (
    account,
    admin_audit,
    admin_backups,
    admin_users,
    change_password,
    class_students,
    dashboard,
    diary,
    diary_staff,
    index,
    journal,
    ktp,
    lesson,
    messages,
    records,
    risks,
    settings,
    setup_curriculum,
    setup_people,
    setup_school,
    setup_timetable,
    student_file,
)
from ejournal.state import backup_task
from ejournal.state.admin import AdminAuditState, AdminUsersState
from ejournal.state.admin_backups import BackupsState
from ejournal.state.auth import AccountState, LoginState
from ejournal.state.backup_alert import BackupAlertState
from ejournal.state.base import (
    backend_exception_handler,
    frontend_exception_handler,
    guarded_page,
)
from ejournal.state.class_students import ClassStudentsState
from ejournal.state.control import DashboardState
from ejournal.state.diary import DiaryMarksState, DiaryState
from ejournal.state.diary_staff import AnnouncementsState, ConfirmationsState
from ejournal.state.journal import ClassHomeState, JournalState, TeacherHomeState
from ejournal.state.journal.phone import LessonMarkingState
from ejournal.state.ktp import KtpState
from ejournal.state.messages import DiaryNavState, MessagesState
from ejournal.state.records import RecordsState
from ejournal.state.risks import RiskState
from ejournal.state.settings import SettingsState
from ejournal.state.setup_curriculum import CurriculumState
from ejournal.state.setup_people import PeopleSetupState
from ejournal.state.setup_school import SchoolSetupState
from ejournal.state.setup_timetable import TimetableState
from ejournal.state.student_file import StudentFileState
from ejournal.state.subgroups import SubgroupsState

#: Sonner's light rich colours are below 4.5:1 (error text 4.3:1, warning 3:1): darker text
#: on the same backgrounds, as the toaster's own inline CSS variables (no global sheet).
TOAST_TEXT_LIGHT = {
    "--error-text": "hsl(360, 100%, 38%)",
    "--success-text": "hsl(140, 100%, 22%)",
    "--warning-text": "hsl(31, 92%, 30%)",
    "--info-text": "hsl(210, 92%, 38%)",
}

app = rx.App(
    html_lang="ru",
    # Errors speak Russian: a failed event, a broken page (never Reflex's English text).
    backend_exception_handler=backend_exception_handler,
    frontend_exception_handler=frontend_exception_handler,
    # The HTTP edge: the HttpOnly session cookie, security headers, a quiet /_health.
    api_transformer=web.make_edge(),
    # Sonner names its region «Notifications alt+T» by default: a Russian name for screen
    # readers (sonner appends the shortcut itself).
    toaster=rx.toast.provider(
        custom_attrs={
            "containerAriaLabel": "Уведомления, клавиши",
            "style": rx.cond(resolved_color_mode == "light", TOAST_TEXT_LIGHT, {}),
        }
    ),
)
app.app_wraps[(55, "ErrorBoundary")] = error_boundary
# Nightly backups (EJOURNAL_BACKUP_SCHEDULE=0 turns them off; see domain/records/schedule.py).
backup_task.register(app)

app.add_page(index.page, route="/", title="Электронный журнал", on_load=LoginState.open_start)
app.add_page(
    index.page, route="/login", title="Вход — Электронный журнал", on_load=LoginState.open_start
)
#: Each page of the site map with its component and what loads it (title, permission and
#: menu come from ejournal/domain/site_map.py; a test checks every route there is here).
PAGES: dict[str, tuple[Callable[[], rx.Component], list[Any]]] = {
    site_map.CHANGE_PASSWORD_PATH: (change_password.page, []),
    "/account": (account.page, [AccountState.load_sessions]),
    "/teacher": (journal.teacher, [TeacherHomeState.load]),
    "/class": (journal.class_teacher, [ClassHomeState.load]),
    "/journal": (journal.journal, [JournalState.load]),
    "/lesson": (lesson.page, [LessonMarkingState.load]),
    "/risks": (risks.page, [RiskState.load]),
    "/dashboard": (dashboard.dashboard, [DashboardState.load]),
    "/diary": (diary.week, [DiaryState.load, DiaryNavState.load_unread]),
    "/diary/marks": (diary.marks, [DiaryMarksState.load, DiaryNavState.load_unread]),
    "/messages": (messages.page, [MessagesState.load, DiaryNavState.load_unread]),
    "/class/confirmations": (diary_staff.confirmations, [ConfirmationsState.load]),
    "/announcements": (diary_staff.announcements, [AnnouncementsState.load]),
    "/admin/users": (admin_users.page, [AdminUsersState.load, BackupAlertState.load]),
    "/admin/audit": (admin_audit.page, [AdminAuditState.load]),
    "/settings": (settings.page, [SettingsState.load]),
    "/setup/school": (setup_school.page, [SchoolSetupState.load]),
    "/setup/people": (setup_people.page, [PeopleSetupState.load]),
    "/setup/curriculum": (setup_curriculum.page, [CurriculumState.load]),
    "/setup/timetable": (setup_timetable.page, [TimetableState.load]),
    "/ktp": (ktp.page, [KtpState.load]),
    "/class/students": (class_students.page, [ClassStudentsState.load, SubgroupsState.load]),
    "/student": (student_file.page, [StudentFileState.load]),
    "/records": (records.page, [RecordsState.load]),
    "/admin/backups": (admin_backups.page, [BackupsState.load]),
}
for route, (component, loaders) in PAGES.items():
    guarded_page(app, route=route, component=component, on_load=loaders)
