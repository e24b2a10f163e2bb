"""The `ejournal` command: migrate, seed, export, report, create-admin, audit, banner,
backup, restore, archive.

A wrong argument or an unreachable database gives one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from ejournal.config import get_settings
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import get_engine
from ejournal.domain.errors import DomainError

EXIT_USAGE = 2


class CliError(Exception):
    """A one-line, user-facing failure (exit code 2)."""


#: argparse's own messages (Python 3.11) that a user can see, in Russian.
ARGPARSE_RU: dict[str, str] = {
    "usage: ": "использование: ",
    "positional arguments": "команды и аргументы",
    "options": "параметры",
    "show this help message and exit": "показать эту справку и выйти",
    "argument %(argument_name)s: %(message)s": "аргумент %(argument_name)s: %(message)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "неизвестная команда %(parser_name)r (есть: %(choices)s)"
    ),
    "can't open '%(filename)s': %(error)s": "не удаётся открыть «%(filename)s»: %(error)s",
    "unrecognized arguments: %s": "лишние аргументы: %s",
    "not allowed with argument %s": "нельзя вместе с аргументом %s",
    "ignored explicit argument %r": "этот параметр не принимает значения: %r",
    "the following arguments are required: %s": "не хватает обязательных аргументов: %s",
    "one of the arguments %s is required": "нужен один из аргументов: %s",
    "expected one argument": "нужно одно значение",
    "expected at most one argument": "нужно не больше одного значения",
    "expected at least one argument": "нужно хотя бы одно значение",
    "expected %s argument": "нужно значений: %s",
    "expected %s arguments": "нужно значений: %s",
    "ambiguous option: %(option)s could match %(matches)s": (
        "неоднозначный параметр %(option)s: подходят %(matches)s"
    ),
    "unexpected option string: %s": "неожиданный параметр: %s",
    "invalid %(type)s value: %(value)r": "недопустимое значение (%(type)s): %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "недопустимое значение %(value)r (допустимы: %(choices)s)"
    ),
    "%(prog)s: error: %(message)s\n": "%(prog)s: ошибка: %(message)s\n",
}


def _ru_gettext(message: str) -> str:
    return ARGPARSE_RU.get(message, message)


def _ru_ngettext(singular: str, plural: str, n: int) -> str:
    return _ru_gettext(singular if n == 1 else plural)


@contextlib.contextmanager
def _russian_argparse() -> Iterator[None]:
    """While inside, argparse words its messages in Russian.

    argparse looks its messages up through the module-level ``_`` and ``ngettext``
    (gettext's), so these are swapped for the table above and put back on exit. Not
    thread-safe; the command line is single-threaded.
    """
    saved = (argparse._, argparse.ngettext)  # type: ignore[attr-defined]
    argparse._ = _ru_gettext  # type: ignore[attr-defined]
    argparse.ngettext = _ru_ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that speaks Russian and reports errors as ``CliError``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with _russian_argparse():  # the -h help text and group titles are made here
            super().__init__(*args, **kwargs)

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        with _russian_argparse():
            return super().parse_known_args(*args, **kwargs)

    def parse_args(self, *args: Any, **kwargs: Any) -> Any:
        with _russian_argparse():  # "unrecognized arguments" is raised here
            return super().parse_args(*args, **kwargs)

    def format_usage(self) -> str:
        with _russian_argparse():
            return super().format_usage()

    def format_help(self) -> str:
        with _russian_argparse():
            return super().format_help()

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(f"неверные аргументы: {message}")


def _integer(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ожидается целое число, получено «{value}»") from None


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ожидается дата ГГГГ-ММ-ДД, получено «{value}»") from None


def cmd_migrate(args: argparse.Namespace) -> int:
    from ejournal.domain import migrate

    migrate.upgrade(get_engine())
    print("База данных обновлена до последней версии схемы.")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from ejournal.domain import migrate
    from ejournal.domain.seed import run_seed

    if args.if_empty and os.environ.get("EJOURNAL_DEMO", "").strip() == "0":
        print("EJOURNAL_DEMO=0: демо-школа не создаётся (своя школа: ejournal init-school).")
        return 0
    engine = get_engine()
    if args.if_empty and not migrate.is_empty(engine):
        print("Демо-школа уже есть в базе данных: заполнение пропущено.")
        return cmd_banner(args)
    if not args.if_empty and not args.force and not migrate.is_empty(engine):
        raise CliError("база данных не пуста; добавьте --force, чтобы пересоздать демо-школу")
    run_seed(
        engine,
        size=args.size,
        seed=args.seed,
        today=args.today,
        credentials_path=get_settings().var_dir / "demo-credentials.csv",
        replace=args.force,
    )
    return 0


def cmd_banner(args: argparse.Namespace) -> int:
    from ejournal.domain.seed import credentials_banner

    settings = get_settings()
    print(credentials_banner(settings.var_dir / "demo-credentials.csv", port=settings.port))
    return 0


def _require_schema(engine: Engine) -> None:
    """Refuse to work on a database that was never migrated (one clear line, not SQL)."""
    if not inspect(engine).has_table("audit_log"):
        raise CliError("схема базы данных не создана: сначала выполните «ejournal migrate»")


def cmd_export(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from ejournal.domain.exchange import export_school

    engine = get_engine()
    _require_schema(engine)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # One snapshot for every file: marks never point at lessons the export missed.
            connection = connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with Session(bind=connection) as session:
            result = export_school(session, out_dir=args.out, school_id=args.school)
            session.rollback()
    for f in result.files:
        print(f"{f.name:<26} строк: {f.rows}")
    print(f"Выгрузка записана в {result.out_dir} (описание: {result.manifest_path.name}).")
    return 0


#: The reports of `ejournal report`: the keys of control/reports.py REPORT_NAMES, listed here
#: so that building the parser does not import pandas (a test keeps the two equal).
REPORT_NAMES = (
    "fill",
    "fill_teachers",
    "checklist",
    "progress",
    "attendance",
    "participation",
    "objectivity",
    "ktp",
)


def school_deputy(session: Any, school_id: int) -> tuple[int, int | None, str]:
    """(user id, staff id, short name) of the school's first deputy (lowest user id of an
    active Staff with a deputy role grant), or (0, None, "") when the school has none."""
    from sqlmodel import col, select

    from ejournal.domain.models import Role, RoleGrant, Staff
    from ejournal.domain.people.naming import person_short

    staff = session.exec(
        select(Staff)
        .join(RoleGrant, col(RoleGrant.user_id) == col(Staff.user_id))
        .where(
            RoleGrant.school_id == school_id,
            RoleGrant.role == Role.DEPUTY.value,
            Staff.school_id == school_id,
            col(Staff.is_active).is_(True),
        )
        .order_by(col(Staff.user_id))
    ).first()
    if staff is None or staff.user_id is None:
        return 0, None, ""
    return staff.user_id, staff.id, person_short(staff)


def _check_out(path: Path) -> None:
    """Refuse, before any work, a --out that cannot become a file."""
    if path.is_dir():
        raise CliError(f"«{path}» — каталог; укажите имя файла")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CliError(f"не удаётся записать «{path}»: каталога «{parent}» нет")


def _write_atomically(path: Path, data: bytes) -> None:
    """Write through a temporary file beside `path`: a failure leaves no half-written file."""
    import os

    from ejournal.domain.exchange import os_error_reason

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CliError(f"не удаётся записать «{path}»: {os_error_reason(exc)}") from None


def cmd_notify(args: argparse.Namespace) -> int:
    """E-mail families: `new` (what appeared since the previous letter) or `digest` (the
    week, once a week); quiet when no mail server is configured (EJOURNAL_SMTP_HOST)."""
    from ejournal.domain import notify
    from ejournal.domain.db import run_transaction

    server = notify.MailServer.from_settings(get_settings())
    if server is None:
        print("Почта не настроена (EJOURNAL_SMTP_HOST): письма не отправлялись.", file=sys.stderr)
        return 0
    _require_schema(get_engine())
    now = None
    if args.now is not None:
        now = dt.datetime.fromisoformat(args.now)
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.UTC)
    fn = (
        notify.send_weekly_digest
        if args.notify_command == "digest"
        else notify.send_new_item_notices
    )
    result = run_transaction(fn, server=server, now=now)
    print(
        f"Отправлено писем: {result.sent}; не удалось: {result.failed}; "
        f"без новостей: {result.quiet}."
    )
    return 1 if result.failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from ejournal.domain.control.export import export
    from ejournal.domain.control.table import month_window, period_window
    from ejournal.domain.models import Role, School
    from ejournal.domain.permissions import Actor
    from ejournal.domain.school.clock import local_day_bounds, school_today

    out: Path = args.out
    _check_out(out)
    engine = get_engine()
    _require_schema(engine)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":  # one snapshot for the whole report
            connection = connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with Session(bind=connection) as session:
            school = session.get(School, args.school)
            if school is None or school.id is None:
                raise CliError(f"школа с идентификатором {args.school} не найдена")
            on = args.on or school_today(school)
            # --on makes the output reproducible: "now" is the last instant of that school day.
            now = None
            if args.on is not None:
                now = local_day_bounds(school, on, on)[1] - dt.timedelta(microseconds=1)
            if args.month is not None:
                window = month_window(session, school.id, args.month, on=on)
            else:
                window = period_window(session, school.id, args.period, on=on)
            user_id, staff_id, signer = school_deputy(session, school.id)
            actor = Actor(
                user_id=user_id,
                school_id=school.id,
                roles=frozenset({Role.DEPUTY}),
                staff_id=staff_id,
                active_role=Role.DEPUTY,
            )
            from ejournal.domain.control.reports import build_report

            report = build_report(session, args.name, actor=actor, window=window, now=now)
            session.rollback()
    data = export(report, args.format, signer=signer, printed_on=on)
    _write_atomically(out, data)
    print(
        f"{report.title} — {report.school_name}, {window.label}: строк {len(report.rows)}; "
        f"записано в {out}"
    )
    return 0


def create_admin(
    *,
    login: str,
    password: str | None,
    last_name: str,
    first_name: str,
    middle_name: str,
    school_id: int | None,
) -> tuple[int, str | None]:
    """Create a Staff + User with the admin role; (user id, the one-time password or None)."""
    from sqlmodel import col, func, select

    from ejournal.domain import audit
    from ejournal.domain.db import session_scope
    from ejournal.domain.models import Role, RoleGrant, School, Staff, User, utcnow
    from ejournal.domain.people import passwords

    login = login.strip().lower()  # logins are matched lower-cased at sign-in
    if not login or len(login) > 64 or any(ch.isspace() for ch in login):
        raise CliError("логин должен быть от 1 до 64 символов без пробелов")
    one_time = password is None
    if password is None:
        password = passwords.one_time_password()
    else:
        problem = passwords.password_problem(password, login=login)
        if problem:
            raise CliError(problem.rstrip("."))
    engine = get_engine()
    _require_schema(engine)
    password_hash = passwords.hash_password(password, get_settings().bcrypt_rounds)
    try:
        with session_scope(engine, write=True) as session:
            taken = session.exec(select(User.id).where(func.lower(User.login) == login)).first()
            if taken is not None:
                raise CliError(f"пользователь с логином «{login}» уже есть")
            if school_id is not None:
                school = session.get(School, school_id)
                if school is None:
                    raise CliError(f"школа с идентификатором {school_id} не найдена")
            else:
                school = session.exec(select(School).order_by(col(School.id))).first()
                if school is None:  # a fresh install: the school gets its name in settings
                    school = School(name="Школа", short_name="Школа")
                    session.add(school)
                    session.flush()
            assert school.id is not None
            now = utcnow()
            user = User(
                login=login,
                password_hash=password_hash,
                must_change_password=one_time,
                password_changed_at=None if one_time else now,
            )
            session.add(user)
            session.flush()
            assert user.id is not None
            staff = Staff(
                school_id=school.id,
                user_id=user.id,
                last_name=last_name,
                first_name=first_name,
                middle_name=middle_name,
                position="Администратор электронного журнала",
            )
            session.add(staff)
            session.add(RoleGrant(user_id=user.id, school_id=school.id, role=Role.ADMIN.value))
            session.flush()
            audit.record(
                session,
                actor_id=None,
                action=AuditAction.USER_CREATE_CLI,
                entity=AuditEntity.USER,
                entity_id=user.id,
                after={
                    "login": login,
                    "roles": [Role.ADMIN.value],
                    "staff_id": staff.id,
                    "school_id": school.id,
                    "must_change_password": one_time,
                },
                reason="ejournal create-admin",
            )
            user_id = user.id
    except IntegrityError:  # a concurrent create-admin took the login first
        raise CliError(f"пользователь с логином «{login}» уже есть") from None
    return user_id, password if one_time else None


def cmd_create_admin(args: argparse.Namespace) -> int:
    login = args.login.strip().lower()
    user_id, one_time = create_admin(
        login=args.login,
        password=args.password,
        last_name=args.last_name,
        first_name=args.first_name,
        middle_name=args.middle_name,
        school_id=args.school,
    )
    print(f"Администратор создан: логин «{login}» (пользователь №{user_id}).")
    if one_time:
        print(f"Одноразовый пароль: {one_time}")
        print("Его нужно сменить при первом входе.")
    return 0


def cmd_init_school(args: argparse.Namespace) -> int:
    """An empty school (no demo data) and, with --admin-login, its first administrator."""
    import zoneinfo

    from sqlmodel import func, select

    from ejournal.domain import audit
    from ejournal.domain.db import session_scope
    from ejournal.domain.models import School, User, WorkType
    from ejournal.domain.seed.curriculum import WORK_TYPES

    name, short_name = " ".join(args.name.split()), " ".join(args.short_name.split())
    if not name or len(name) > 300:
        raise CliError("название школы должно быть от 1 до 300 символов")
    if not short_name or len(short_name) > 100:
        raise CliError("краткое название должно быть от 1 до 100 символов")
    try:
        zoneinfo.ZoneInfo(args.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise CliError(
            f"неизвестный часовой пояс «{args.timezone}» (например, Europe/Moscow)"
        ) from None
    login = args.admin_login.strip().lower() if args.admin_login else None
    engine = get_engine()
    _require_schema(engine)
    with session_scope(engine, write=True) as session:
        if login is not None:  # refused before the school is made
            taken = session.exec(select(User.id).where(func.lower(User.login) == login)).first()
            if taken is not None:
                raise CliError(f"пользователь с логином «{login}» уже есть")
        school = School(name=name, short_name=short_name, timezone=args.timezone)
        session.add(school)
        session.flush()
        assert school.id is not None
        # The standard kinds of work with their weights and deadlines [003 §3.2], which the
        # settings page then adjusts: the journal needs «Ответ на уроке» from the first mark.
        for order, w in enumerate(WORK_TYPES):
            session.add(
                WorkType(
                    school_id=school.id,
                    code=w.code,
                    name=w.name,
                    abbreviation=w.abbreviation,
                    weight=w.weight,
                    is_control=w.is_control,
                    allows_two_marks=w.allows_two_marks,
                    deadline_lessons=w.deadline_lessons,
                    deadline_days=w.deadline_days,
                    sort_order=order,
                )
            )
        audit.record(
            session,
            actor_id=None,
            action=AuditAction.SETTINGS_UPDATE,
            entity=AuditEntity.SCHOOL,
            entity_id=school.id,
            after={"name": name, "short_name": short_name, "timezone": args.timezone},
            reason="ejournal init-school",
        )
        school_id = school.id
    print(f"Школа создана: «{name}» (идентификатор {school_id}).")
    if login is not None:
        user_id, one_time = create_admin(
            login=login,
            password=None,
            last_name="Администратор",
            first_name="",
            middle_name="",
            school_id=school_id,
        )
        print(f"Администратор создан: логин «{login}» (пользователь №{user_id}).")
        print(f"Одноразовый пароль: {one_time}")
        print("Его нужно сменить при первом входе.")
    print(
        f"Дальше: учебный год и классы, затем «ejournal import students ФАЙЛ --school {school_id}»."
    )
    return 0


def _import_actor(session: Any, school_id: int) -> Any:
    """The operator acts as the school's first administrator (or secretary); with neither,
    as an administrator without an account (the audit row then names no user)."""
    from sqlmodel import col, select

    from ejournal.domain.models import Role, RoleGrant, School
    from ejournal.domain.permissions import Actor

    if session.get(School, school_id) is None:
        raise CliError(f"школа с идентификатором {school_id} не найдена")
    user_id = session.exec(
        select(RoleGrant.user_id)
        .where(
            RoleGrant.school_id == school_id,
            col(RoleGrant.role).in_([Role.ADMIN.value, Role.SECRETARY.value]),
        )
        .order_by(col(RoleGrant.role), col(RoleGrant.user_id))
    ).first()
    return Actor(user_id=user_id or 0, school_id=school_id, roles=frozenset({Role.ADMIN}))


def cmd_import(args: argparse.Namespace) -> int:
    """`import students FILE --school ID [--dry-run]`: problems by row (exit 1, nothing
    written) or what was (or, with --dry-run, would be) changed."""
    from ejournal.domain.db import session_scope
    from ejournal.domain.setup import students

    if args.import_command == "staff":
        return _cmd_import_staff(args)
    if args.import_command == "ktp":
        return _cmd_import_ktp(args)
    path: Path = args.file
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"файл не найден: {path}") from None
    except IsADirectoryError:
        raise CliError(f"«{path}» — каталог; укажите файл") from None
    engine = get_engine()
    _require_schema(engine)
    with session_scope(engine, write=not args.dry_run) as session:
        actor = _import_actor(session, args.school)
        report = students.preview_students_import(
            session, actor=actor, data=data, filename=path.name
        )
        if report.ok and not args.dry_run:
            report = students.import_students(session, actor=actor, data=data, filename=path.name)
        if args.dry_run:
            session.rollback()
    if not report.ok:
        for problem in report.problems:
            print(problem.text()[:1].upper() + problem.text()[1:])
        print(f"Ошибок: {len(report.problems)}. Ничего не записано: исправьте файл.")
        return 1
    for line in students.summary_lines(report):
        print(line)
    if args.dry_run:
        print("Пробный прогон: ничего не записано.")
    elif report.written:
        print("Записано. Учётные записи ученикам и родителям пока не создаются.")
    else:
        print("Изменений нет: ничего не записано.")
    return 0


def _read_import_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"файл не найден: {path}") from None
    except IsADirectoryError:
        raise CliError(f"«{path}» — каталог; укажите файл") from None


def _print_problems(problems: Sequence[Any]) -> int:
    for problem in problems:
        print(problem.text()[:1].upper() + problem.text()[1:])
    print(f"Ошибок: {len(problems)}. Ничего не записано: исправьте файл.")
    return 1


def _cmd_import_staff(args: argparse.Namespace) -> int:
    """`import staff FILE --school ID [--dry-run]`, like `import students`."""
    from ejournal.domain.db import session_scope
    from ejournal.domain.setup import staff

    data = _read_import_file(args.file)
    name = args.file.name
    engine = get_engine()
    _require_schema(engine)
    with session_scope(engine, write=not args.dry_run) as session:
        actor = _import_actor(session, args.school)
        report = staff.preview_staff_import(session, actor=actor, data=data, filename=name)
        if report.ok and not args.dry_run:
            report = staff.import_staff(session, actor=actor, data=data, filename=name)
        if args.dry_run:
            session.rollback()
    if not report.ok:
        return _print_problems(report.problems)
    for line in staff.summary_lines(report):
        print(line)
    if args.dry_run:
        print("Пробный прогон: ничего не записано.")
    elif report.written:
        print("Записано. Учётные записи сотрудникам пока не создаются.")
    else:
        print("Изменений нет: ничего не записано.")
    return 0


def _deputy_actor(session: Any, school_id: int) -> Any:
    """The operator importing a КТП acts as the school's first deputy director."""
    from sqlmodel import col, select

    from ejournal.domain.models import Role, RoleGrant, School, Staff
    from ejournal.domain.permissions import Actor

    if session.get(School, school_id) is None:
        raise CliError(f"школа с идентификатором {school_id} не найдена")
    row = session.exec(
        select(RoleGrant.user_id, Staff.id)
        .join(Staff, col(Staff.user_id) == col(RoleGrant.user_id), isouter=True)
        .where(RoleGrant.school_id == school_id, RoleGrant.role == Role.DEPUTY.value)
        .order_by(col(RoleGrant.user_id))
    ).first()
    if row is None:
        raise CliError("в школе нет заместителя директора: назначьте его роль и повторите")
    return Actor(
        user_id=row[0], school_id=school_id, roles=frozenset({Role.DEPUTY}), staff_id=row[1]
    )


def _cmd_import_ktp(args: argparse.Namespace) -> int:
    """`import ktp FILE --school ID --assignment ID [--dry-run]`: the plan's problems by row
    (exit 1, nothing written) or what was (would be) changed, with the hours check."""
    from ejournal.domain.db import session_scope
    from ejournal.domain.setup import ktp

    data = _read_import_file(args.file)
    name = args.file.name
    engine = get_engine()
    _require_schema(engine)
    with session_scope(engine, write=not args.dry_run) as session:
        actor = _deputy_actor(session, args.school)
        report = ktp.preview_ktp_import(
            session, actor=actor, assignment_id=args.assignment, data=data, filename=name
        )
        if report.ok and not args.dry_run:
            report = ktp.import_ktp(
                session, actor=actor, assignment_id=args.assignment, data=data, filename=name
            )
        if args.dry_run:
            session.rollback()
    if not report.ok:
        return _print_problems(report.problems)
    for line in ktp.summary_lines(report):
        print(line)
    if args.dry_run:
        print("Пробный прогон: ничего не записано.")
    elif report.written:
        print("Записано.")
    else:
        print("Изменений нет: ничего не записано.")
    return 0


def _read_anchor(path: Path) -> Any:
    from ejournal.domain import audit

    try:
        return audit.Anchor.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise CliError(f"файл якоря «{path}» не найден") from None
    except (ValueError, UnicodeDecodeError):
        raise CliError(f"«{path}» — не файл якоря журнала аудита") from None


def cmd_audit(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from ejournal.domain import audit

    anchor = _read_anchor(args.anchor) if getattr(args, "anchor", None) else None
    engine = get_engine()
    _require_schema(engine)
    with Session(engine) as session:
        checked, chain_break = audit.verify_chain(session)
        if chain_break is None and args.audit_command == "anchor":
            return _write_anchor(audit.make_anchor(session), args.out)
        anchor_break = None if anchor is None else audit.check_anchor(session, anchor)
    if chain_break is not None:
        print(
            f"Журнал аудита нарушен: запись №{chain_break.row_id} — {chain_break.problem} "
            f"(проверено записей: {checked})"
        )
        if args.audit_command == "anchor":
            print("Якорь не записан.")
        return 1
    if anchor_break is not None:
        print(f"Журнал аудита не сходится с якорем: {anchor_break.problem}")
        return 1
    print(f"Журнал аудита цел: {checked} записей проверено")
    if anchor is not None:
        print(f"Якорь сходится: запись №{anchor.row_id}, записей в якоре: {anchor.rows}")
    return 0


def _write_anchor(anchor: Any, out: Path | None) -> int:
    path = out or get_settings().var_dir / "audit-anchor.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**anchor.to_dict(), "made_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    print(f"Якорь журнала аудита записан в {path}: запись №{anchor.row_id}, записей: {anchor.rows}")
    print("Храните копию вне сервера, вместе с резервными копиями.")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """`backup --out DIR`: a consistent copy of the app's database with its manifest."""
    from ejournal.domain.records import backup

    url = get_settings().effective_database_url
    engine = get_engine()
    _require_schema(engine)
    result = backup.make_backup(url, args.out)
    m = result.manifest
    head = m["audit_head"]
    dump = m["files"][m["dump_file"]]
    backend = "SQLite" if m["backend"] == "sqlite" else "PostgreSQL"
    print(f"Резервная копия записана в {result.path}")
    print(f"  база: {backend}, версия схемы {m['schema_revision'] or '—'}")
    print(f"  таблиц: {len(m['tables'])}, строк: {m['rows']}")
    print(f"  журнал аудита: записей {head['rows']}, последняя №{head['row_id']}")
    print(
        f"  файл {m['dump_file']}: {dump['bytes'] / 1_000_000:.1f} МБ; "
        f"контрольные суммы SHA-256 — в {backup.MANIFEST_NAME}"
    )
    print(f"  за {result.seconds:.1f} с")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """`restore DIR --to URL [--force]`: check the backup, restore it, check the result."""
    from ejournal.domain.records import backup

    result = backup.restore_backup(args.folder, args.to, force=args.force)
    m = result.manifest
    print("Резервная копия проверена: все файлы целы (SHA-256 сходится).")
    print(
        f"Восстановлено в {result.url} за {result.seconds:.1f} с: таблиц {len(result.tables)}, "
        f"строк {sum(result.tables.values())} (копия от {m['created_at']})."
    )
    if result.mismatches:
        print("Восстановленная база не сходится с описанием копии:")
        for line in result.mismatches:
            print(f"  — {line}")
    else:
        print("Число строк в каждой таблице и версия схемы совпадают с описанием копии.")
    if result.audit_break is not None:
        print(
            f"Журнал аудита нарушен: запись №{result.audit_break.row_id} — "
            f"{result.audit_break.problem} (проверено записей: {result.audit_checked})"
        )
    elif not result.mismatches:
        print(
            f"Журнал аудита цел: проверено записей {result.audit_checked}, последняя "
            f"№{m['audit_head']['row_id']} — как в копии."
        )
    return 0 if result.ok else 1


def _school_director(session: Any, school_id: int) -> Any:
    """The school's director as the actor of `archive build` (refused when it has none)."""
    import dataclasses

    from sqlmodel import col, select

    from ejournal.domain.models import Role, RoleGrant, School
    from ejournal.domain.people.auth import load_actor

    if session.get(School, school_id) is None:
        raise CliError(f"школа с идентификатором {school_id} не найдена")
    user_id = session.exec(
        select(RoleGrant.user_id)
        .where(RoleGrant.school_id == school_id, RoleGrant.role == Role.DIRECTOR.value)
        .order_by(col(RoleGrant.user_id))
    ).first()
    if user_id is None:
        raise CliError("в школе нет директора: архив формируется от его имени")
    actor = load_actor(session, user_id, active_role=Role.DIRECTOR)
    # The operator acts for the director: a one-time password not yet changed does not matter.
    return dataclasses.replace(actor, must_change_password=False)


def cmd_archive(args: argparse.Namespace) -> int:
    """`archive build|verify`: the year's archive (journals, summary sheets, CSV, sums)."""
    from ejournal.domain.records import archive

    if args.archive_command == "verify":
        try:
            check = archive.verify_archive(args.folder)
        except archive.ArchiveError as e:
            raise CliError(e.message) from None
        print(f"Архив: {check.school}, {check.year} учебный год ({check.folder})")
        if check.ok:
            print(f"Архив цел: проверено файлов {check.checked}, контрольные суммы совпадают.")
            return 0
        print(f"Архив повреждён (проверено файлов {check.checked}):")
        for line in check.problems:
            print(f"  — {line}")
        return 1

    from sqlmodel import Session, select

    from ejournal.domain.errors import DomainError
    from ejournal.domain.models import AcademicYear

    engine = get_engine()
    _require_schema(engine)
    if not args.out.is_dir():
        raise CliError(f"каталога «{args.out}» нет")
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with Session(bind=connection) as session:
            actor = _school_director(session, args.school)
            year = session.exec(
                select(AcademicYear).where(
                    AcademicYear.school_id == args.school, AcademicYear.name == args.year
                )
            ).first()
            if year is None or year.id is None:
                raise CliError(f"учебного года «{args.year}» в школе нет (например, 2026/2027)")
            try:
                result = archive.build_archive(
                    session, actor=actor, year_id=year.id, out_dir=args.out
                )
            except DomainError as e:
                raise CliError(e.message) from None
            session.rollback()
    print(f"Архив {args.year} записан в {result.folder}")
    print(f"  файлов: {result.files}, {result.bytes / 1_000_000:.1f} МБ")
    print(f"  проверка: ejournal archive verify {result.folder} (или sha256sum -c SHA256SUMS)")
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    """`forecast evaluate`: the forecast's backtest on a school's CSV archive (no database)."""
    from ejournal.domain.forecast.archive import evaluate_archive, read_text

    texts = []
    for path in (args.marks, args.outcomes):
        try:
            texts.append(read_text(path))
        except FileNotFoundError:
            raise CliError(f"файл не найден: {path}") from None
    doc = evaluate_archive(texts[0], texts[1], known_share=args.known_share)
    print(json.dumps(doc, ensure_ascii=False, indent=2))
    return 0


def _share(value: str) -> float:
    try:
        share = float(value.replace(",", "."))
    except ValueError:
        share = -1.0
    if not 0 < share <= 1:
        raise argparse.ArgumentTypeError(
            f"ожидается доля больше 0 и не больше 1, получено «{value}»"
        )
    return share


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "migrate": cmd_migrate,
    "seed": cmd_seed,
    "banner": cmd_banner,
    "export": cmd_export,
    "create-admin": cmd_create_admin,
    "init-school": cmd_init_school,
    "import": cmd_import,
    "audit": cmd_audit,
    "report": cmd_report,
    "notify": cmd_notify,
    "forecast": cmd_forecast,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "archive": cmd_archive,
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ejournal", description="Электронный журнал: служебные команды")
    sub = parser.add_subparsers(
        dest="command", metavar="команда", required=True, parser_class=_Parser
    )
    sub.add_parser("migrate", help="применить миграции базы данных")
    seed = sub.add_parser("seed", help="заполнить демо-школу")
    seed.add_argument(
        "--size", choices=["small", "demo", "large"], default="demo", help="размер демо-школы"
    )
    seed.add_argument(
        "--seed", type=_integer, default=2026, metavar="ЧИСЛО", help="зерно случайных данных"
    )
    seed.add_argument(
        "--today",
        type=_date,
        default=None,
        metavar="ГГГГ-ММ-ДД",
        help="какой день считать сегодняшним",
    )
    seed.add_argument("--if-empty", action="store_true", help="только если база пуста")
    seed.add_argument("--force", action="store_true", help="удалить данные и заполнить заново")
    sub.add_parser("banner", help="напечатать адрес и демо-логины")
    export = sub.add_parser("export", help="выгрузить данные школы в CSV с описанием")
    export.add_argument(
        "--out", type=Path, required=True, metavar="КАТАЛОГ", help="каталог для файлов"
    )
    export.add_argument(
        "--school", type=_integer, default=None, metavar="ID", help="id школы (по умолчанию все)"
    )
    admin = sub.add_parser("create-admin", help="создать администратора ЭЖ")
    admin.add_argument("--login", required=True, metavar="ЛОГИН", help="логин администратора")
    admin.add_argument(
        "--password", default=None, metavar="ПАРОЛЬ", help="иначе выдаётся одноразовый пароль"
    )
    admin.add_argument("--last-name", default="Администратор", metavar="ФАМИЛИЯ", help="фамилия")
    admin.add_argument("--first-name", default="", metavar="ИМЯ", help="имя")
    admin.add_argument("--middle-name", default="", metavar="ОТЧЕСТВО", help="отчество")
    admin.add_argument(
        "--school", type=_integer, default=None, metavar="ID", help="id школы (по умолчанию первая)"
    )
    init = sub.add_parser("init-school", help="создать пустую школу (без демо-данных)")
    init.add_argument("--name", required=True, metavar="НАЗВАНИЕ", help="полное название")
    init.add_argument("--short-name", required=True, metavar="КРАТКО", help="краткое название")
    init.add_argument(
        "--timezone", default="Europe/Moscow", metavar="ПОЯС", help="часовой пояс школы"
    )
    init.add_argument(
        "--admin-login", default=None, metavar="ЛОГИН", help="создать и первого администратора"
    )
    imports = sub.add_parser("import", help="импорт списков из XLSX или CSV")
    import_sub = imports.add_subparsers(
        dest="import_command", metavar="students|staff|ktp", required=True, parser_class=_Parser
    )
    import_students = import_sub.add_parser("students", help="списки учащихся и их родителей")
    import_students.add_argument("file", type=Path, metavar="ФАЙЛ", help="XLSX или CSV")
    import_students.add_argument(
        "--school", type=_integer, required=True, metavar="ID", help="id школы"
    )
    import_students.add_argument(
        "--dry-run", action="store_true", help="только проверить и показать изменения"
    )
    import_staff = import_sub.add_parser("staff", help="список сотрудников")
    import_staff.add_argument("file", type=Path, metavar="ФАЙЛ", help="XLSX или CSV")
    import_staff.add_argument(
        "--school", type=_integer, required=True, metavar="ID", help="id школы"
    )
    import_staff.add_argument(
        "--dry-run", action="store_true", help="только проверить и показать изменения"
    )
    import_ktp = import_sub.add_parser("ktp", help="календарно-тематический план (КТП)")
    import_ktp.add_argument("file", type=Path, metavar="ФАЙЛ", help="XLSX или CSV")
    import_ktp.add_argument("--school", type=_integer, required=True, metavar="ID", help="id школы")
    import_ktp.add_argument(
        "--assignment", type=_integer, required=True, metavar="ID", help="id нагрузки"
    )
    import_ktp.add_argument(
        "--dry-run", action="store_true", help="только проверить и показать изменения"
    )
    audit = sub.add_parser("audit", help="журнал аудита")
    audit_sub = audit.add_subparsers(
        dest="audit_command", metavar="verify|anchor", required=True, parser_class=_Parser
    )
    verify = audit_sub.add_parser("verify", help="проверить целостность цепочки записей")
    verify.add_argument(
        "--anchor",
        type=Path,
        default=None,
        metavar="ФАЙЛ",
        help="ещё сверить с якорем: не удалены ли записи с конца",
    )
    anchor = audit_sub.add_parser(
        "anchor", help="записать якорь (последняя запись, её хеш, число записей)"
    )
    anchor.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="ФАЙЛ",
        help="куда записать (по умолчанию var/audit-anchor.json)",
    )
    report = sub.add_parser("report", help="отчёт заместителя директора в файл")
    report.add_argument("name", choices=REPORT_NAMES, metavar="ОТЧЁТ", help=", ".join(REPORT_NAMES))
    report.add_argument("--school", type=_integer, required=True, metavar="ID", help="id школы")
    window = report.add_mutually_exclusive_group(required=True)
    window.add_argument("--month", default=None, metavar="ГГГГ-ММ", help="календарный месяц")
    window.add_argument("--period", type=_integer, default=None, metavar="ID", help="id периода")
    report.add_argument(
        "--format", choices=["json", "csv", "xlsx", "pdf"], required=True, help="формат файла"
    )
    report.add_argument("--out", type=Path, required=True, metavar="ФАЙЛ", help="куда записать")
    report.add_argument(
        "--on",
        type=_date,
        default=None,
        metavar="ГГГГ-ММ-ДД",
        help="день отчёта и дата печати (по умолчанию сегодня в школе)",
    )
    notify = sub.add_parser("notify", help="письма семьям: новое и недельная сводка")
    notify.add_argument(
        "notify_command",
        choices=["new", "digest"],
        metavar="new|digest",
        help="new — новое с прошлого письма (cron раз в 10 минут); digest — сводка за неделю",
    )
    notify.add_argument(
        "--now", default=None, metavar="ГГГГ-ММ-ДДTЧЧ:ММ", help="какой момент считать текущим (UTC)"
    )
    backup = sub.add_parser("backup", help="резервная копия базы данных с описанием")
    backup.add_argument(
        "--out", type=Path, required=True, metavar="КАТАЛОГ",
        help="куда записать (внутри появится папка ejournal-ДАТА)",
    )  # fmt: skip
    restore = sub.add_parser("restore", help="восстановить резервную копию в пустую базу")
    restore.add_argument("folder", type=Path, metavar="КАТАЛОГ", help="папка резервной копии")
    restore.add_argument(
        "--to", required=True, metavar="АДРЕС",
        help="адрес базы данных (sqlite:///файл.db или postgresql://…)",
    )  # fmt: skip
    restore.add_argument("--force", action="store_true", help="заменить содержимое непустой базы")
    archive = sub.add_parser("archive", help="архив учебного года: журналы, ведомости, CSV")
    archive_sub = archive.add_subparsers(
        dest="archive_command", metavar="build|verify", required=True, parser_class=_Parser
    )
    build = archive_sub.add_parser("build", help="сформировать архив года")
    build.add_argument("--school", type=int, required=True, metavar="ID", help="школа")
    build.add_argument(
        "--year", required=True, metavar="ГОД", help="учебный год, например 2026/2027"
    )
    build.add_argument(
        "--out", type=Path, required=True, metavar="КАТАЛОГ",
        help="куда записать (внутри появится папка archive-ГОД-ДАТА)",
    )  # fmt: skip
    check = archive_sub.add_parser("verify", help="проверить архив по контрольным суммам")
    check.add_argument("folder", type=Path, metavar="КАТАЛОГ", help="папка архива")
    forecast = sub.add_parser("forecast", help="прогноз итоговых отметок")
    forecast_sub = forecast.add_subparsers(
        dest="forecast_command", metavar="evaluate", required=True, parser_class=_Parser
    )
    evaluate = forecast_sub.add_parser(
        "evaluate", help="проверить точность прогноза на архиве школы (CSV)"
    )
    evaluate.add_argument(
        "--marks", type=Path, required=True, metavar="MARKS.csv",
        help="текущие отметки: student,subject,period,date,mark,weight",
    )  # fmt: skip
    evaluate.add_argument(
        "--outcomes", type=Path, required=True, metavar="OUTCOMES.csv",
        help="итоговые отметки: student,subject,period,period_mark",
    )  # fmt: skip
    evaluate.add_argument(
        "--known-share", type=_share, default=0.5, metavar="ДОЛЯ",
        help="какая доля дат периода известна прогнозу (по умолчанию 0.5)",
    )  # fmt: skip
    evaluate.add_argument("--format", choices=["json"], default="json", help="формат вывода")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except CliError as exc:
        print(f"ejournal: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OperationalError as exc:
        print(f"ejournal: база данных недоступна: {_first_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except SQLAlchemyError as exc:
        print(f"ejournal: ошибка базы данных: {_first_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except DomainError as exc:
        print(f"ejournal: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # e.g. a SQLite file in a directory that cannot be created
        from ejournal.domain.exchange import os_error_reason

        where = f" «{exc.filename}»" if exc.filename else ""
        print(f"ejournal: ошибка файловой системы{where}: {os_error_reason(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ejournal: прервано", file=sys.stderr)
        return 130


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


if __name__ == "__main__":
    sys.exit(main())
