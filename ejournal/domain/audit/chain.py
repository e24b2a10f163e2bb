"""The audit trail: append-only, hash-chained, written in the caller's transaction.

Each row's hash covers its content and the previous row's hash, so an edited, deleted or
reordered row breaks the chain from that row on; `verify_chain()` finds the first one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any

from sqlalchemy import insert, select, text
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from ejournal.domain.models import AuditLog, utcnow

GENESIS = "0" * 64


# --------------------------------------------------------------------------- vocabulary


class AuditAction(StrEnum):
    """What was done. The values are the codes stored in `audit_log.action` (rows keep the
    code they were written with, so the hash chain stays valid: codes are never renamed)."""

    USER_CREATE = "create"
    USER_CREATE_CLI = "user.create"  # the first administrator, from the command line
    USER_BLOCK = "block"
    USER_UNBLOCK = "unblock"
    PASSWORD_CHANGE = "password_change"
    PASSWORD_RESET = "password_reset"
    ROLE_GRANT = "role_grant"
    ROLE_REVOKE = "role_revoke"
    CLASS_UPDATE = "update"  # a class's class teacher set or removed
    PARENT_LINK = "link"
    PARENT_UNLINK = "unlink"
    PARENT_LINK_OLD = "parent_link"  # written by early versions
    PRINT_SLIPS = "print_slips"
    LOGIN_FAILURES_CLEAR = "login_failures_clear"
    SEED = "seed"
    ANNOUNCEMENT_POST = "announcement.post"
    ANNOUNCEMENT_END = "announcement.end"
    REMARK_CREATE = "diary.remark.create"
    CELL_SET = "journal.cell.set"
    ATTENDANCE_EXCUSE = "journal.attendance.excuse"
    LESSON_CREATE = "journal.lesson.create"
    LESSON_UPDATE = "journal.lesson.update"
    PERIOD_MARK_SET = "journal.period_mark.set"
    PERIOD_MARK_CLEAR = "journal.period_mark.clear"
    SETTINGS_UPDATE = "school.settings.update"  # thresholds, rounding, work types' weights
    RISK_MESSAGE = "forecast.risk.message"  # parents told of a forecast «2» or non-attestation
    NOTICE_SETTINGS = "notice.settings"  # a family's e-mail choices (new items, digest)
    IMPORT_STUDENTS = "import.students"  # class lists imported from a file
    IMPORT_STAFF = "import.staff"  # staff list imported from a file
    IMPORT_KTP = "import.ktp"  # a teacher's calendar-thematic plan imported from a file
    CALENDAR_UPDATE = "setup.calendar"  # the year, periods, holidays, bells, week, classes
    CURRICULUM_UPDATE = "setup.curriculum"  # subjects and hours per week per grade
    ASSIGNMENT_UPDATE = "setup.assignment"  # who teaches what, with hours
    TIMETABLE_UPDATE = "setup.timetable"  # a weekly lesson added, moved or ended
    SUBSTITUTE_SET = "journal.substitute.set"  # a substitute named for a lesson (or removed)
    KTP_REVIEW = "ktp.review"  # a КТП submitted, approved or returned
    SUBGROUP_UPDATE = "setup.subgroup"  # a class split into groups, a student moved
    STUDENT_MOVE = "student.move"  # arrived, left, transferred between classes
    STUDENT_UPDATE = "student.update"  # added or edited one by one; the personal file
    PARENT_UPDATE = "parent.update"  # a parent added or edited one by one
    STAFF_UPDATE = "staff.update"  # a staff member added or edited one by one
    CONSENT_RECORD = "consent.record"  # consent to personal-data processing given or refused
    BACKUP_RUN = "backup.run"  # a backup taken (on demand or by the schedule), or failed
    PERIOD_SEAL = "period.seal"  # a term of a class closed, with the hash of its records
    YEAR_OUTCOME_SET = "year.outcome.set"  # a promotion decision entered or changed
    YEAR_OUTCOME_APPROVE = "year.outcome.approve"  # approved by the director (council)
    YEAR_CLOSE = "year.close"  # a finished year archived and made read-only


class AuditEntity(StrEnum):
    """What kind of record was changed (`audit_log.entity`)."""

    USER = "user"
    SCHOOL = "school"
    CLASS_GROUP = "class_group"
    PARENT_LINK = "parent_link"
    LOGIN_ADDRESS = "login_address"
    ANNOUNCEMENT = "announcement"
    DIARY_REMARK = "diary_remark"
    JOURNAL_CELL = "journal_cell"
    LESSON = "lesson"
    PERIOD_MARK = "period_mark"
    WORK_TYPE = "work_type"
    MESSAGE_THREAD = "message_thread"
    ACADEMIC_YEAR = "academic_year"
    PERIOD = "period"
    HOLIDAY = "holiday"
    BELL_SLOT = "bell_slot"
    SUBJECT = "subject"
    CURRICULUM = "curriculum_hours"
    ASSIGNMENT = "teaching_assignment"
    TIMETABLE_SLOT = "timetable_slot"
    SUBGROUP = "subgroup"
    STUDENT = "student"
    PARENT = "parent"
    STAFF = "staff"
    CONSENT = "consent"
    ENROLMENT = "enrolment"
    PERIOD_SEAL = "period_seal"
    YEAR_OUTCOME = "year_outcome"
    BACKUP = "backup"


#: The Russian name of each action, as the audit viewer shows it.
ACTION_TITLES: dict[AuditAction, str] = {
    AuditAction.USER_CREATE: "Создание",
    AuditAction.USER_CREATE_CLI: "Создание",
    AuditAction.USER_BLOCK: "Блокировка",
    AuditAction.USER_UNBLOCK: "Разблокировка",
    AuditAction.PASSWORD_CHANGE: "Смена пароля",
    AuditAction.PASSWORD_RESET: "Сброс пароля",
    AuditAction.ROLE_GRANT: "Назначение роли",
    AuditAction.ROLE_REVOKE: "Снятие роли",
    AuditAction.CLASS_UPDATE: "Изменение",
    AuditAction.PARENT_LINK: "Связь с ребёнком",
    AuditAction.PARENT_UNLINK: "Связь с ребёнком снята",
    AuditAction.PARENT_LINK_OLD: "Связь с ребёнком",
    AuditAction.PRINT_SLIPS: "Печать бланков с паролями",
    AuditAction.LOGIN_FAILURES_CLEAR: "Сброс неудачных входов",
    AuditAction.SEED: "Заполнение демо-школы",
    AuditAction.ANNOUNCEMENT_POST: "Объявление",
    AuditAction.ANNOUNCEMENT_END: "Объявление снято",
    AuditAction.REMARK_CREATE: "Замечание в дневник",
    AuditAction.CELL_SET: "Отметка / посещаемость",
    AuditAction.ATTENDANCE_EXCUSE: "Причина пропуска",
    AuditAction.LESSON_CREATE: "Урок добавлен",
    AuditAction.LESSON_UPDATE: "Урок изменён",
    AuditAction.PERIOD_MARK_SET: "Итоговая отметка",
    AuditAction.PERIOD_MARK_CLEAR: "Итоговая отметка снята",
    AuditAction.SETTINGS_UPDATE: "Настройки школы изменены",
    AuditAction.RISK_MESSAGE: "Родителям: риск неудовлетворительной отметки",
    AuditAction.NOTICE_SETTINGS: "Уведомления по почте",
    AuditAction.IMPORT_STUDENTS: "Импорт списков учащихся",
    AuditAction.IMPORT_STAFF: "Импорт списка сотрудников",
    AuditAction.IMPORT_KTP: "Импорт КТП",
    AuditAction.CALENDAR_UPDATE: "Учебный год и календарь",
    AuditAction.CURRICULUM_UPDATE: "Учебный план",
    AuditAction.ASSIGNMENT_UPDATE: "Учебная нагрузка",
    AuditAction.TIMETABLE_UPDATE: "Расписание",
    AuditAction.SUBSTITUTE_SET: "Замена урока",
    AuditAction.KTP_REVIEW: "Согласование КТП",
    AuditAction.SUBGROUP_UPDATE: "Подгруппы",
    AuditAction.STUDENT_MOVE: "Движение учащихся",
    AuditAction.STUDENT_UPDATE: "Сведения об учащемся",
    AuditAction.PARENT_UPDATE: "Сведения о родителе",
    AuditAction.STAFF_UPDATE: "Сведения о сотруднике",
    AuditAction.CONSENT_RECORD: "Согласие на обработку персональных данных",
    AuditAction.BACKUP_RUN: "Резервная копия",
    AuditAction.PERIOD_SEAL: "Период закрыт",
    AuditAction.YEAR_OUTCOME_SET: "Решение об итогах года",
    AuditAction.YEAR_OUTCOME_APPROVE: "Решение утверждено",
    AuditAction.YEAR_CLOSE: "Учебный год закрыт",
}

#: The Russian name of each kind of record.
ENTITY_TITLES: dict[AuditEntity, str] = {
    AuditEntity.USER: "пользователь",
    AuditEntity.SCHOOL: "школа",
    AuditEntity.CLASS_GROUP: "класс",
    AuditEntity.PARENT_LINK: "связь родителя",
    AuditEntity.LOGIN_ADDRESS: "адрес входа",
    AuditEntity.ANNOUNCEMENT: "объявление",
    AuditEntity.DIARY_REMARK: "замечание",
    AuditEntity.JOURNAL_CELL: "клетка журнала",
    AuditEntity.LESSON: "урок",
    AuditEntity.PERIOD_MARK: "итоговая отметка",
    AuditEntity.WORK_TYPE: "вид работы",
    AuditEntity.MESSAGE_THREAD: "переписка",
    AuditEntity.ACADEMIC_YEAR: "учебный год",
    AuditEntity.PERIOD: "учебный период",
    AuditEntity.HOLIDAY: "каникулы",
    AuditEntity.BELL_SLOT: "звонок",
    AuditEntity.SUBJECT: "предмет",
    AuditEntity.CURRICULUM: "часы учебного плана",
    AuditEntity.ASSIGNMENT: "нагрузка",
    AuditEntity.TIMETABLE_SLOT: "урок расписания",
    AuditEntity.SUBGROUP: "подгруппа",
    AuditEntity.STUDENT: "учащийся",
    AuditEntity.PARENT: "родитель",
    AuditEntity.STAFF: "сотрудник",
    AuditEntity.CONSENT: "согласие",
    AuditEntity.ENROLMENT: "зачисление",
    AuditEntity.PERIOD_SEAL: "закрытие периода",
    AuditEntity.YEAR_OUTCOME: "итоги года",
    AuditEntity.BACKUP: "резервная копия",
}


def action_title(code: str) -> str:
    """The Russian name of a stored action code (the code itself when unknown)."""
    try:
        return ACTION_TITLES[AuditAction(code)]
    except ValueError:
        return code


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces) or '' for None."""
    if value is None:
        return ""
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default
    )


def _timestamp(at: dt.datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def _digest(
    prev_hash: str,
    at: dt.datetime,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    before: str,
    after: str,
    reason: str,
) -> str:
    payload = "\x1f".join(
        [
            prev_hash,
            _timestamp(at),
            str(actor_id or ""),
            action,
            entity,
            str(entity_id if entity_id is not None else ""),
            before,
            after,
            reason,
        ]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def row_digest(row: AuditLog, prev_hash: str) -> str:
    """The hash of one row's content chained to `prev_hash`."""
    return _digest(
        prev_hash,
        row.at,
        row.actor_id,
        row.action,
        row.entity,
        row.entity_id,
        row.before,
        row.after,
        row.reason,
    )


def _lock_chain(session: Session) -> None:
    """Take the chain's write lock before reading its last hash, held until commit.

    Two writers that both read the same last hash would fork the chain. PostgreSQL: a
    transaction-scoped advisory lock. SQLite: a write statement that changes nothing still
    takes the database's single write lock (a plain SELECT would only take a read
    snapshot), so the last hash read after it is the real last one until we commit.
    If the caller's transaction already read and another writer committed since, SQLite
    refuses with "database is locked": an error, never a forked chain.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7260411)"))
    elif dialect == "sqlite":
        session.execute(text("UPDATE audit_log SET id = id WHERE 0"))


def last_hash(session: Session) -> str:
    row = session.exec(
        sm_select(AuditLog.row_hash).order_by(col(AuditLog.id).desc()).limit(1)
    ).first()
    return row or GENESIS


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: AuditAction,
    entity: AuditEntity,
    entity_id: int | None,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    at: dt.datetime | None = None,
) -> AuditLog:
    """Append one audit row in the session's transaction (commit is the caller's)."""
    _lock_chain(session)
    row = AuditLog(
        at=at or utcnow(),
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=to_json(before),
        after=to_json(after),
        reason=reason,
    )
    row.prev_hash = last_hash(session)
    row.row_hash = row_digest(row, row.prev_hash)
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Entry:
    """One row for `record_many`: what changed and why (the actor and time are shared)."""

    action: AuditAction
    entity: AuditEntity
    entity_id: int | None
    before: Any = None
    after: Any = None
    reason: str = ""


def record_many(
    session: Session,
    *,
    actor_id: int | None,
    entries: Sequence[Entry],
    at: dt.datetime | None = None,
) -> list[int]:
    """Append `entries` in order, chained as `record` would chain them; return their ids.

    One chain lock, one read of the last hash and one INSERT for the lot (a pasted block
    writes dozens of rows). The ids ascend in the order of `entries`, so the chain reads
    back in that order; commit is the caller's.
    """
    if not entries:
        return []
    _lock_chain(session)
    stamp = at or utcnow()
    prev = last_hash(session)
    params: list[dict[str, Any]] = []
    for e in entries:
        before, after = to_json(e.before), to_json(e.after)
        row_hash = _digest(
            prev, stamp, actor_id, e.action, e.entity, e.entity_id, before, after, e.reason
        )
        params.append(
            {
                "at": stamp,
                "actor_id": actor_id,
                "action": e.action,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "before": before,
                "after": after,
                "reason": e.reason,
                "prev_hash": prev,
                "row_hash": row_hash,
            }
        )
        prev = row_hash
    table = AuditLog.__table__  # type: ignore[attr-defined]
    # sort_by_parameter_order: PostgreSQL draws the SERIAL values in the rows' order (one
    # INSERT … SELECT … ORDER BY); SQLite falls back to one INSERT a row, in order.
    ids = list(
        session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), params
        ).scalars()
    )
    if any(later <= earlier for earlier, later in pairwise(ids)):
        raise RuntimeError("audit rows were numbered out of order; the chain would break")
    return ids


@dataclass(frozen=True)
class ChainBreak:
    row_id: int
    problem: str  # Russian, for the CLI and the viewer


_COLUMNS = (
    "id",
    "prev_hash",
    "row_hash",
    "at",
    "actor_id",
    "action",
    "entity",
    "entity_id",
    "before",
    "after",
    "reason",
)


def _rows(session: Session, batch: int = 5000) -> Iterator[tuple[Any, ...]]:
    """Plain column tuples in id order (ORM objects would be several times slower)."""
    last_id = 0
    table = AuditLog.__table__  # type: ignore[attr-defined]
    while True:
        chunk = session.execute(
            select(*(table.c[name] for name in _COLUMNS))
            .where(table.c.id > last_id)
            .order_by(table.c.id)
            .limit(batch)
        ).all()
        if not chunk:
            return
        yield from (tuple(r) for r in chunk)
        last_id = chunk[-1][0]


def verify_chain(session: Session) -> tuple[int, ChainBreak | None]:
    """Check every row in order: (rows checked, the first break or None).

    Finds an edited, deleted or reordered row. Not detectable by a chain alone: rows cut
    off the end, or a chain rewritten wholesale from some row on; `check_anchor()` with
    an anchor kept off the machine (`make_anchor()`) finds those up to the anchored row.
    """
    prev = GENESIS
    count = 0
    for row in _rows(session):
        row_id, prev_hash, row_hash, content = row[0], row[1], row[2], row[3:]
        count += 1
        if prev_hash != prev:
            return count, ChainBreak(row_id, "запись удалена или переставлена перед этой строкой")
        if _digest(prev, *content) != row_hash:
            return count, ChainBreak(row_id, "содержимое строки изменено")
        prev = row_hash
    return count, None


@dataclass(frozen=True)
class Anchor:
    """The chain's tail as it was: kept off the machine, it shows rows cut off the end."""

    row_id: int  # 0 for an empty log
    row_hash: str
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"row_id": self.row_id, "row_hash": self.row_hash, "rows": self.rows}

    @classmethod
    def from_dict(cls, data: Any) -> Anchor:
        """Read an anchor file's content; ValueError when it is not one."""
        if not isinstance(data, dict):
            raise ValueError("not an object")
        row_id, row_hash, rows = data.get("row_id"), data.get("row_hash"), data.get("rows")
        if not (isinstance(row_id, int) and isinstance(rows, int) and isinstance(row_hash, str)):
            raise ValueError("row_id, row_hash and rows are required")
        if row_id < 0 or rows < 0 or len(row_hash) != 64:
            raise ValueError("out of range")
        return cls(row_id, row_hash, rows)


def _row_count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM audit_log")).scalar_one())


def make_anchor(session: Session) -> Anchor:
    """The last row's id and hash and the number of rows, now."""
    last = session.execute(
        text("SELECT id, row_hash FROM audit_log ORDER BY id DESC LIMIT 1")
    ).first()
    if last is None:
        return Anchor(0, GENESIS, 0)
    return Anchor(int(last[0]), str(last[1]), _row_count(session))


def check_anchor(session: Session, anchor: Anchor) -> ChainBreak | None:
    """Does the log still reach the anchored tail? The first problem found, or None."""
    if anchor.row_id:
        row_hash = session.execute(
            text("SELECT row_hash FROM audit_log WHERE id = :id"), {"id": anchor.row_id}
        ).scalar_one_or_none()
        if row_hash is None:
            return ChainBreak(anchor.row_id, f"запись №{anchor.row_id} удалена")
        if row_hash != anchor.row_hash:
            return ChainBreak(anchor.row_id, f"хеш записи №{anchor.row_id} другой")
    rows = _row_count(session)
    if rows < anchor.rows:
        return ChainBreak(
            anchor.row_id,
            f"записей в журнале: {rows}, в якоре: {anchor.rows} — конец журнала удалён",
        )
    return None


__all__ = [
    "ACTION_TITLES",
    "ENTITY_TITLES",
    "GENESIS",
    "Anchor",
    "AuditAction",
    "AuditEntity",
    "ChainBreak",
    "Entry",
    "action_title",
    "check_anchor",
    "last_hash",
    "make_anchor",
    "record",
    "record_many",
    "row_digest",
    "to_json",
    "verify_chain",
]
