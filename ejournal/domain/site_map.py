"""The site map: every page's route, title, who may open it, where it sits in whose
menu, and each role's home page — the one place these are written.

Pure data (no Reflex): the app (`ejournal/ejournal.py`) adds a component and loaders to
each route; the header's menu and the landing page after login are read from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ejournal.domain.models import Role
from ejournal.domain.permissions import Permission

LOGIN_PATH = "/login"
CHANGE_PASSWORD_PATH = "/account/password"

_STAFF_LEADS = frozenset({Role.DEPUTY, Role.DIRECTOR})
_FAMILY = frozenset({Role.PARENT, Role.STUDENT})


@dataclass(frozen=True)
class PageSpec:
    """One page: its route and title; `permission` None means any logged-in user; `menu`
    is the header label shown to the roles in `menu_roles` (in the order of `PAGES`)."""

    route: str
    title: str
    permission: Permission | None
    menu: str = ""
    menu_roles: frozenset[Role] = field(default_factory=frozenset)
    allow_before_password_change: bool = False


#: Every logged-in page, in the order the header's menu lists them.
PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "/teacher", "Мои уроки", Permission.MARK_WRITE, "Мои уроки", frozenset({Role.TEACHER})
    ),
    PageSpec(
        "/class",
        "Мой класс",
        Permission.ATTENDANCE_EXCUSE,
        "Мой класс",
        frozenset({Role.CLASS_TEACHER}),
    ),
    PageSpec(
        "/class/confirmations",
        "Ознакомление с неделей",
        Permission.DIARY_READ,
        "Ознакомление",
        frozenset({Role.CLASS_TEACHER}),
    ),
    PageSpec(
        "/dashboard",
        "Контроль",
        Permission.ANALYTICS_READ,
        "Контроль",
        frozenset({Role.CLASS_TEACHER, *_STAFF_LEADS}),
    ),
    PageSpec("/journal", "Журнал", Permission.JOURNAL_READ, "Журнал", _STAFF_LEADS),
    PageSpec(
        "/risks",
        "Риски за период",
        Permission.DIARY_READ,
        "Риски",
        frozenset({Role.CLASS_TEACHER, *_STAFF_LEADS}),
    ),
    PageSpec(
        "/admin/users",
        "Пользователи",
        Permission.USER_MANAGE,
        "Пользователи",
        frozenset({Role.ADMIN}),
    ),
    PageSpec(
        "/admin/audit",
        "Журнал аудита",
        Permission.AUDIT_READ,
        "Журнал аудита",
        frozenset({Role.ADMIN, Role.DIRECTOR}),
    ),
    PageSpec(
        "/announcements",
        "Объявления",
        Permission.ANNOUNCEMENT_WRITE,
        "Объявления",
        frozenset({Role.CLASS_TEACHER, *_STAFF_LEADS}),
    ),
    PageSpec(
        "/class/students",
        "Учащиеся класса",
        Permission.STUDENT_MANAGE,
        "Учащиеся",
        frozenset({Role.CLASS_TEACHER, Role.SECRETARY}),
    ),
    PageSpec("/ktp", "КТП", Permission.JOURNAL_READ, "КТП", frozenset({Role.TEACHER, Role.DEPUTY})),
    PageSpec(
        "/setup/people",
        "Учащиеся и сотрудники",
        Permission.IMPORT_LISTS,
        "Списки",
        frozenset({Role.ADMIN, Role.SECRETARY}),
    ),
    PageSpec(
        "/setup/school",
        "Учебный год и классы",
        Permission.SETTINGS_MANAGE,
        "Учебный год",
        frozenset({Role.ADMIN, *_STAFF_LEADS}),
    ),
    PageSpec(
        "/setup/curriculum",
        "Учебный план и нагрузка",
        Permission.TIMETABLE_MANAGE,
        "Учебный план",
        frozenset({Role.DEPUTY}),
    ),
    PageSpec(
        "/setup/timetable",
        "Расписание и замены",
        Permission.TIMETABLE_MANAGE,
        "Расписание",
        frozenset({Role.DEPUTY}),
    ),
    PageSpec(
        "/records",
        "Периоды и итоги года",
        Permission.JOURNAL_READ,
        "Итоги",
        frozenset({Role.CLASS_TEACHER, *_STAFF_LEADS}),
    ),
    PageSpec(
        "/admin/backups",
        "Резервные копии",
        Permission.BACKUP_MANAGE,
        "Резервные копии",
        frozenset({Role.ADMIN}),
    ),
    PageSpec("/settings", "Настройки школы", Permission.SETTINGS_MANAGE, "Настройки", _STAFF_LEADS),
    PageSpec("/diary", "Дневник", Permission.DIARY_READ, "Дневник", _FAMILY),
    PageSpec("/diary/marks", "Отметки", Permission.DIARY_READ, "Отметки", _FAMILY),
    PageSpec(
        "/messages",
        "Сообщения",
        Permission.MESSAGE_SEND,
        "Сообщения",
        frozenset({Role.TEACHER, Role.CLASS_TEACHER, *_STAFF_LEADS, *_FAMILY}),
    ),
    PageSpec("/lesson", "Урок", Permission.JOURNAL_READ),
    PageSpec("/student", "Личное дело учащегося", Permission.STUDENT_PERSONAL_READ),
    PageSpec("/account", "Мой профиль", Permission.OWN_ACCOUNT),
    PageSpec(
        CHANGE_PASSWORD_PATH,
        "Смена пароля",
        Permission.OWN_ACCOUNT,
        allow_before_password_change=True,
    ),
)

#: Where each role lands after login.
HOME_BY_ROLE: dict[Role, str] = {
    Role.TEACHER: "/teacher",
    Role.CLASS_TEACHER: "/class",
    Role.DEPUTY: "/dashboard",
    Role.DIRECTOR: "/dashboard",
    Role.PARENT: "/diary",
    Role.STUDENT: "/diary",
    Role.ADMIN: "/admin/users",
    # The secretary keeps the class lists and the staff list [000 §4.7].
    Role.SECRETARY: "/setup/people",
}

_BY_ROUTE = {p.route: p for p in PAGES}


def page(route: str) -> PageSpec:
    """The page at `route` (KeyError for a route that is not in the map)."""
    return _BY_ROUTE[route]


def home_path(role: Role | str) -> str:
    """The page a user working in `role` lands on."""
    return HOME_BY_ROLE[Role(role)]


def menu(role: Role | str) -> list[tuple[str, str]]:
    """The header's links for `role`: (label, route) in menu order."""
    r = Role(role)
    return [(p.menu, p.route) for p in PAGES if r in p.menu_roles]
