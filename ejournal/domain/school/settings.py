"""The school's settings page in the domain: control thresholds, deadlines, the rounding of
period marks and the work types' weights and deadlines.

`get_settings` reads them; `update_settings` changes the fields a form changed, all or
nothing, audited per changed object in the caller's transaction. The form sends the
values it was loaded with: a field someone else changed since is refused by name
(optimistic guard), so two deputies saving at once never silently overwrite each other.
Fields are named by keys (`round_to_5`, `work_type.<id>.weight`); `FIELDS` holds each
school field's Russian label, range and regulation clause for the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from ejournal.domain import audit
from ejournal.domain.db import read_only
from ejournal.domain.errors import ConflictError, NotFound, ValidationError
from ejournal.domain.models import School, WorkType
from ejournal.domain.numbers import decimal_or_none, decimal_text
from ejournal.domain.permissions import Actor, Permission, require_some

Value = int | Decimal


# --------------------------------------------------------------------------- field rules


@dataclass(frozen=True)
class FieldSpec:
    """One editable number: its Russian label, allowed range and why it exists."""

    key: str
    label: str
    low: Value
    high: Value
    group: str = ""
    unit: str = ""
    clause: str = ""  # the regulation clause, as [000 §4.3.1]
    help: str = ""  # one Russian sentence for the page
    # How the allowed range is said when the plain «от … до …» would mislead (weight > 0).
    range_words: str = ""
    # Digits allowed after the decimal point of a decimal field (the column's scale).
    places: int = 2

    @property
    def is_decimal(self) -> bool:
        return isinstance(self.low, Decimal)

    def allowed(self) -> str:
        """The allowed values in Russian («целое число от 1 до 60»)."""
        if self.range_words:
            return self.range_words
        if self.is_decimal:
            digits = "одного знака" if self.places == 1 else "двух знаков"
            return (
                f"число от {self.text(self.low)} до {self.text(self.high)}"
                f", не больше {digits} после запятой"
            )
        return f"целое число от {self.low} до {self.high}"

    def parse(self, text: Any) -> Value | None:
        """The value typed in `text` when it is allowed, else None («4,5» and «4.5» alike)."""
        number = decimal_or_none(text, places=self.places if self.is_decimal else 2)
        if number is None:
            return None
        if not self.is_decimal:
            if number != number.to_integral_value():
                return None
            value: Value = int(number)
        else:
            value = number
        return value if self.low <= value <= self.high else None

    def text(self, value: Value) -> str:
        """A stored value as the form shows it («4,50», «36,0», «14»)."""
        if not self.is_decimal:
            return str(value)
        if self.places == 1:
            return f"{Decimal(value):.1f}".replace(".", ",")
        return decimal_text(Decimal(value))


GROUP_CONTROL = "Контроль ведения журнала"
GROUP_DEADLINES = "Сроки"
GROUP_ROUNDING = "Отметки за период"
GROUP_BACKUPS = "Резервные копии"

D = Decimal

#: The school's own fields, in the page's order.
FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "control_mark_gap_days",
        "Текущая отметка не реже чем раз в",
        1,
        60,
        GROUP_CONTROL,
        "дней",
        "[000 §4.3.1]",
        "Каждый ученик получает текущую отметку не реже раза в две недели (14 дней); "
        "ученики с более долгим перерывом попадают в замечания.",
    ),
    FieldSpec(
        "control_retest_lessons",
        "Опрос после «2» — не позже чем через",
        1,
        10,
        GROUP_CONTROL,
        "уроков",
        "[004 §5.6]",
        "Получивший «2» опрашивается на следующем уроке или максимум через два урока.",
    ),
    FieldSpec(
        "control_oral_percent",
        "Устный опрос на уроке — не меньше",
        1,
        100,
        GROUP_CONTROL,
        "% класса",
        "[004 §5.10]",
        "Устный опрос охватывает примерно 20 % учащихся за урок (кроме уроков новых знаний).",
    ),
    FieldSpec(
        "control_absence_percent",
        "Много пропусков — больше",
        1,
        100,
        GROUP_CONTROL,
        "% уроков",
        "",
        "В отчёте о посещаемости отмечаются ученики, пропустившие больше этой доли уроков "
        "периода (правило школы).",
    ),
    FieldSpec(
        "max_weekly_load",
        "Недельная нагрузка учителя — не больше",
        D("1.0"),
        D("60.0"),
        GROUP_CONTROL,
        "часов",
        "",
        "Учителя с большей нагрузкой отмечаются предупреждением на странице «Учебный план и "
        "нагрузка» (назначить нагрузку всё равно можно).",
        places=1,
    ),
    FieldSpec(
        "marks_deadline_hour",
        "Отметки, темы и задания — до",
        8,
        23,
        GROUP_DEADLINES,
        "часов в день урока",
        "[003 §3.2], [004 §4.4.1]",
        "Журнал заполняется в день урока, отсроченно — до 17:00; позже запись считается "
        "несвоевременной.",
    ),
    FieldSpec(
        "edit_lock_days",
        "Исправление без причины — в течение",
        0,
        365,
        GROUP_DEADLINES,
        "дней",
        "",
        "Отметки урока старше этого срока меняются только с указанием причины "
        "(0 — без ограничения).",
    ),
    FieldSpec(
        "period_mark_publish_days",
        "Итоговые отметки видны семьям через",
        0,
        1,
        GROUP_DEADLINES,
        "дней после конца периода",
        "[004 §8.2]",
        "Отметки за четверть или полугодие видны родителям и ученикам не позже следующего "
        "дня после окончания периода (0 — в день окончания).",
    ),
    FieldSpec(
        "round_to_5",
        "Средний балл для «5» — от",
        D("2.00"),
        D("5.00"),
        GROUP_ROUNDING,
        "",
        "[004 §5.13]",
        "Отметка за период соответствует текущей успеваемости: средневзвешенный балл от "
        "порога и выше предлагает учителю эту отметку.",
    ),
    FieldSpec(
        "round_to_4",
        "Средний балл для «4» — от",
        D("2.00"),
        D("5.00"),
        GROUP_ROUNDING,
        "",
        "[004 §5.13]",
        "Порог «4» не выше порога «5».",
    ),
    FieldSpec(
        "round_to_3",
        "Средний балл для «3» — от",
        D("2.00"),
        D("5.00"),
        GROUP_ROUNDING,
        "",
        "[004 §5.13]",
        "Порог «3» не выше порога «4»; ниже него предлагается «2».",
    ),
    FieldSpec(
        "backup_hour",
        "Резервная копия каждую ночь в",
        0,
        23,
        GROUP_BACKUPS,
        "часов (время школы)",
        "[004 §9.2.2]",
        "Копия всей базы данных делается по расписанию раз в сутки в этот час; неудачная "
        "копия видна администратору на его главной странице.",
    ),
    FieldSpec(
        "backup_keep_daily",
        "Хранить ежедневные копии за",
        1,
        90,
        GROUP_BACKUPS,
        "последних дней",
        "",
        "От каждого из последних дней остаётся самая свежая копия; более старые удаляются.",
    ),
    FieldSpec(
        "backup_keep_monthly",
        "Хранить ежемесячные копии за",
        0,
        120,
        GROUP_BACKUPS,
        "последних месяцев",
        "",
        "От каждого из последних месяцев остаётся самая свежая копия (0 — не хранить).",
    ),
)

_SCHOOL_FIELDS = {f.key: f for f in FIELDS}

#: A work type's editable fields: key suffix → (label, low, high, range words).
WORK_TYPE_FIELDS: dict[str, tuple[str, Value, Value, str]] = {
    "weight": ("Вес", D("0.01"), D("10.00"), "число больше 0 и не больше 10,00"),
    "deadline_lessons": ("Срок, уроков", 0, 10, ""),
    "deadline_days": ("Срок, дней", 0, 30, ""),
}
WORK_TYPE_CLAUSE = "[003 §3.2]"


def work_type_key(work_type_id: int, name: str) -> str:
    """The form key of a work type's field: `work_type.<id>.weight`."""
    return f"work_type.{work_type_id}.{name}"


def _work_type_spec(work_type_id: int, work_type_name: str, name: str) -> FieldSpec:
    label, low, high, words = WORK_TYPE_FIELDS[name]
    return FieldSpec(
        work_type_key(work_type_id, name),
        f"{label} («{work_type_name}»)",
        low,
        high,
        clause=WORK_TYPE_CLAUSE,
        range_words=words,
    )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class WorkTypeSettings:
    id: int
    name: str
    abbreviation: str
    is_control: bool
    weight: Decimal
    deadline_lessons: int
    deadline_days: int


@dataclass(frozen=True)
class SchoolSettings:
    """The school's settings as stored now."""

    school_id: int
    school_name: str
    control_mark_gap_days: int
    control_retest_lessons: int
    control_oral_percent: int
    control_absence_percent: int
    marks_deadline_hour: int
    edit_lock_days: int
    period_mark_publish_days: int
    round_to_5: Decimal
    round_to_4: Decimal
    round_to_3: Decimal
    max_weekly_load: Decimal = Decimal("36.00")
    backup_hour: int = 2
    backup_keep_daily: int = 7
    backup_keep_monthly: int = 12
    work_types: tuple[WorkTypeSettings, ...] = ()

    def specs(self) -> dict[str, FieldSpec]:
        """Every field's rules by key: the school's, then each work type's."""
        found = {f.key: f for f in FIELDS}
        for w in self.work_types:
            for name in WORK_TYPE_FIELDS:
                spec = _work_type_spec(w.id, w.name, name)
                found[spec.key] = spec
        return found

    def form_values(self) -> dict[str, str]:
        """Every field's value as the form shows it, by key (`update_settings`' `loaded`)."""
        values = {f.key: f.text(getattr(self, f.key)) for f in FIELDS}
        for w in self.work_types:
            values[work_type_key(w.id, "weight")] = decimal_text(w.weight)
            values[work_type_key(w.id, "deadline_lessons")] = str(w.deadline_lessons)
            values[work_type_key(w.id, "deadline_days")] = str(w.deadline_days)
        return values


@dataclass(frozen=True)
class SettingsSaved:
    """What `update_settings` did: the settings now, and the labels of the changed fields."""

    settings: SchoolSettings
    changed: tuple[str, ...] = ()


class SettingsInvalid(ValidationError):
    """Some fields are not allowed; `errors` maps each bad key to its Russian message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("Настройки не сохранены. " + " ".join(errors.values()))
        self.errors = dict(errors)


class SettingsConflict(ConflictError):
    """Someone saved some of the same fields since the form was loaded; `keys` names them
    and `current` holds the settings as stored now."""

    def __init__(self, message: str, current: SchoolSettings, keys: tuple[str, ...]) -> None:
        super().__init__(message, current=current)
        self.keys = keys


# --------------------------------------------------------------------------- services


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _snapshot(school: School, work_types: list[WorkType]) -> SchoolSettings:
    return SchoolSettings(
        school_id=school.id or 0,
        school_name=school.short_name or school.name,
        control_mark_gap_days=school.control_mark_gap_days,
        control_retest_lessons=school.control_retest_lessons,
        control_oral_percent=school.control_oral_percent,
        control_absence_percent=school.control_absence_percent,
        marks_deadline_hour=school.marks_deadline_hour,
        edit_lock_days=school.edit_lock_days,
        period_mark_publish_days=school.period_mark_publish_days,
        round_to_5=_decimal(school.round_to_5),
        round_to_4=_decimal(school.round_to_4),
        round_to_3=_decimal(school.round_to_3),
        max_weekly_load=_decimal(school.max_weekly_load),
        backup_hour=school.backup_hour,
        backup_keep_daily=school.backup_keep_daily,
        backup_keep_monthly=school.backup_keep_monthly,
        work_types=tuple(
            WorkTypeSettings(
                id=w.id or 0,
                name=w.name,
                abbreviation=w.abbreviation,
                is_control=w.is_control,
                weight=_decimal(w.weight),
                deadline_lessons=w.deadline_lessons,
                deadline_days=w.deadline_days,
            )
            for w in work_types
        ),
    )


def _load(session: Session, school_id: int, *, lock: bool) -> tuple[School, list[WorkType]]:
    """The school and its work types; `lock` holds their rows until commit (PostgreSQL
    FOR UPDATE; SQLite writers already hold the database's one write lock)."""
    school_q = select(School).where(School.id == school_id)
    types_q = (
        select(WorkType)
        .where(WorkType.school_id == school_id)
        .order_by(col(WorkType.sort_order), col(WorkType.name), col(WorkType.id))
    )
    if lock:
        school_q = school_q.with_for_update()
        types_q = types_q.with_for_update()
    school = session.exec(school_q).first()
    if school is None:
        raise NotFound("Школа не найдена.")
    return school, list(session.exec(types_q).all())


@read_only
def get_settings(session: Session, *, actor: Actor | None) -> SchoolSettings:
    """The actor's school's settings and work types; needs SETTINGS_MANAGE."""
    actor = require_some(actor, Permission.SETTINGS_MANAGE)
    school, work_types = _load(session, actor.school_id, lock=False)
    return _snapshot(school, work_types)


def _stored(obj: School | WorkType, key: str) -> Value:
    attr = key.rsplit(".", 1)[-1]
    value = getattr(obj, attr)
    return _decimal(value) if isinstance(value, Decimal | float) else int(value)


def update_settings(
    session: Session,
    *,
    actor: Actor | None,
    changes: Mapping[str, str],
    loaded: Mapping[str, str],
) -> SettingsSaved:
    """Save the fields of `changes` (key → typed text) that differ from `loaded` (the
    values the form was loaded with, as `SchoolSettings.form_values()` gave them).

    All or nothing: any field out of its range (or rounding thresholds out of order)
    raises `SettingsInvalid` naming each field and its allowed range; a field whose
    stored value changed since `loaded` (someone else saved it) raises `SettingsConflict`
    naming it. Fields the form did not change are left as stored, so two people editing
    different fields both keep their work. One audit row per changed object (the school,
    each work type) with only the changed keys before and after. Needs SETTINGS_MANAGE.
    """
    actor = require_some(actor, Permission.SETTINGS_MANAGE)
    school, work_types = _load(session, actor.school_id, lock=True)
    objects: dict[str, School | WorkType] = {f.key: school for f in FIELDS}
    specs: dict[str, FieldSpec] = dict(_SCHOOL_FIELDS)
    for w in work_types:
        for name in WORK_TYPE_FIELDS:
            wt_spec = _work_type_spec(w.id or 0, w.name, name)
            specs[wt_spec.key] = wt_spec
            objects[wt_spec.key] = w

    errors: dict[str, str] = {}
    conflicts: list[tuple[FieldSpec, Value]] = []
    pending: dict[str, Value] = {}
    for key, raw in changes.items():
        spec = specs.get(key)
        if spec is None:
            errors[key] = "Такой настройки нет (возможно, вид работы удалён): обновите страницу."
            continue
        new = spec.parse(raw)
        if new is None:
            errors[key] = f"«{spec.label}»: {spec.allowed()}, введено «{str(raw).strip()}»."
            continue
        base = spec.parse(loaded[key]) if key in loaded else None
        if base is None:
            errors[key] = f"«{spec.label}»: форма устарела, обновите страницу."
            continue
        if new == base:
            continue  # not changed in this form
        stored = _stored(objects[key], key)
        if stored == new:
            continue  # someone already saved the same value
        if stored != base:
            conflicts.append((spec, stored))
            continue
        pending[key] = new
    if errors:
        raise SettingsInvalid(errors)
    if conflicts:
        names = "; ".join(f"«{s.label}» — сейчас {s.text(v)}" for s, v in conflicts)
        raise SettingsConflict(
            "Пока вы редактировали, другой пользователь сохранил: "
            f"{names}. Ваши значения этих полей не сохранены; проверьте их и сохраните снова.",
            current=_snapshot(school, work_types),
            keys=tuple(s.key for s, _ in conflicts),
        )
    _check_rounding(school, pending)

    entries: list[audit.Entry] = []
    changed: list[str] = []
    for obj, entity in [(school, audit.AuditEntity.SCHOOL)] + [
        (w, audit.AuditEntity.WORK_TYPE) for w in work_types
    ]:
        keys = [k for k in pending if objects[k] is obj]
        if not keys:
            continue
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for key in keys:
            attr = key.rsplit(".", 1)[-1]
            before[attr] = _stored(obj, key)
            after[attr] = pending[key]
            setattr(obj, attr, pending[key])
            changed.append(specs[key].label)
        session.add(obj)
        entries.append(
            audit.Entry(audit.AuditAction.SETTINGS_UPDATE, entity, obj.id, before, after)
        )
    session.flush()
    audit.record_many(session, actor_id=actor.user_id, entries=entries)
    return SettingsSaved(_snapshot(school, work_types), tuple(changed))


def _check_rounding(school: School, pending: Mapping[str, Value]) -> None:
    """The thresholds as they would be saved must not fall: «3» ≤ «4» ≤ «5» [004 §5.13]."""
    keys = ("round_to_3", "round_to_4", "round_to_5")
    merged = {
        k: Decimal(pending[k]) if k in pending else _decimal(getattr(school, k)) for k in keys
    }
    if merged["round_to_3"] <= merged["round_to_4"] <= merged["round_to_5"]:
        return
    blamed = next((k for k in reversed(keys) if k in pending), keys[1])
    shown = ", ".join(f"«{k[-1]}» от {decimal_text(merged[k])}" for k in reversed(keys))
    raise SettingsInvalid(
        {blamed: f"Пороги отметок должны не убывать: «5» ≥ «4» ≥ «3» (получилось {shown})."}
    )


def rebase_form(
    typed: Mapping[str, str],
    loaded: Mapping[str, str],
    current: SchoolSettings,
    *,
    contested: tuple[str, ...] = (),
) -> dict[str, str]:
    """The form to show after a conflict: the user's own edits (fields whose typed value
    differs from `loaded`) kept, every other field and the `contested` ones showing what
    is stored now, so the next save neither reverts another's change nor loses one's own."""
    now = current.form_values()
    specs = current.specs()
    form: dict[str, str] = {}
    for key, stored in now.items():
        mine = typed.get(key)
        spec = specs[key]
        untouched = mine is not None and (
            mine == loaded.get(key)
            or (spec.parse(mine) is not None and spec.parse(mine) == spec.parse(loaded.get(key)))
        )
        form[key] = stored if key in contested or mine is None or untouched else mine
    return form
