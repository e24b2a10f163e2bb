"""The school settings page (``/settings``): control thresholds, deadlines, the rounding of
period marks and the work types' weights and deadlines, saved with one button.

The values the form was loaded with stay on the server (``_loaded``); the service compares
them with what is stored, so a deputy's stale form never overwrites another's save.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from ejournal.domain.errors import DomainError
from ejournal.domain.permissions import Permission
from ejournal.domain.school import settings as school_settings
from ejournal.domain.school.settings import (
    GROUP_BACKUPS,
    GROUP_CONTROL,
    GROUP_DEADLINES,
    GROUP_ROUNDING,
    SchoolSettings,
    SettingsConflict,
    SettingsInvalid,
    work_type_key,
)
from ejournal.state.base import SessionState, requires, run_service


@dataclass
class SettingField:
    """One threshold on the page: its input's name and value, and what it means."""

    key: str = ""
    label: str = ""
    unit: str = ""
    clause: str = ""
    help: str = ""
    allowed: str = ""
    value: str = ""
    error: str = ""
    decimal: bool = False


@dataclass
class WorkTypeRow:
    """One work type's row: weight and the two deadlines (input names, values, errors)."""

    name: str = ""
    abbreviation: str = ""
    is_control: bool = False
    weight_key: str = ""
    weight: str = ""
    weight_error: str = ""
    lessons_key: str = ""
    lessons: str = ""
    lessons_error: str = ""
    days_key: str = ""
    days: str = ""
    days_error: str = ""


def _fields(group: str, values: dict[str, str], errors: dict[str, str]) -> list[SettingField]:
    return [
        SettingField(
            key=f.key,
            label=f.label,
            unit=f.unit,
            clause=f.clause,
            help=f.help,
            allowed=f.allowed(),
            value=values.get(f.key, ""),
            error=errors.get(f.key, ""),
            decimal=f.is_decimal,
        )
        for f in school_settings.FIELDS
        if f.group == group
    ]


def _work_type_rows(
    current: SchoolSettings, values: dict[str, str], errors: dict[str, str]
) -> list[WorkTypeRow]:
    rows = []
    for w in current.work_types:
        keys = [work_type_key(w.id, n) for n in ("weight", "deadline_lessons", "deadline_days")]
        rows.append(
            WorkTypeRow(
                name=w.name,
                abbreviation=w.abbreviation,
                is_control=w.is_control,
                weight_key=keys[0],
                weight=values.get(keys[0], ""),
                weight_error=errors.get(keys[0], ""),
                lessons_key=keys[1],
                lessons=values.get(keys[1], ""),
                lessons_error=errors.get(keys[1], ""),
                days_key=keys[2],
                days=values.get(keys[2], ""),
                days_error=errors.get(keys[2], ""),
            )
        )
    return rows


class SettingsState(SessionState):
    """The settings form of the user's school (deputy, director, administrator)."""

    control_fields: list[SettingField] = []
    deadline_fields: list[SettingField] = []
    rounding_fields: list[SettingField] = []
    backup_fields: list[SettingField] = []
    work_types: list[WorkTypeRow] = []
    loaded: bool = False
    result: str = ""  # the last save's outcome, in words
    form_error: str = ""
    # Bumped whenever the values to show change, so the form is drawn afresh with them.
    form_key: int = 0

    # The values the form was drawn with, as stored then (the service's optimistic guard).
    _loaded: dict[str, str] = {}

    def _show(
        self,
        current: SchoolSettings,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> None:
        """Draw the form from `current`, showing `values` (default: what is stored)."""
        shown = values if values is not None else current.form_values()
        errs = errors or {}
        self.control_fields = _fields(GROUP_CONTROL, shown, errs)
        self.deadline_fields = _fields(GROUP_DEADLINES, shown, errs)
        self.rounding_fields = _fields(GROUP_ROUNDING, shown, errs)
        self.backup_fields = _fields(GROUP_BACKUPS, shown, errs)
        self.work_types = _work_type_rows(current, shown, errs)
        self._loaded = current.form_values()
        self.form_key += 1
        self.loaded = True

    @requires(Permission.SETTINGS_MANAGE)
    async def load(self) -> Any:
        """On page load: the school's settings as stored now."""
        current = await run_service(school_settings.get_settings, actor=self._actor())
        self.result = ""
        self.form_error = ""
        self._show(current)
        return None

    @requires(Permission.SETTINGS_MANAGE)
    async def save(self, form: dict[str, Any]) -> Any:
        """Save what the form changed (the service validates, guards and audits)."""
        typed = {str(k): str(v if v is not None else "") for k, v in form.items()}
        loaded = dict(self._loaded)
        if not loaded:
            self.form_error = "Страница ещё не загружена: обновите её."
            return rx.toast.error(self.form_error)
        try:
            saved = await run_service(
                school_settings.update_settings,
                actor=self._actor(),
                changes=typed,
                loaded=loaded,
            )
        except SettingsInvalid as e:
            current = await run_service(school_settings.get_settings, actor=self._actor())
            # Keep what was typed, the guard's base too: nothing was saved.
            self._show(current, values={**current.form_values(), **typed}, errors=e.errors)
            self._loaded = loaded
            self.result = ""
            self.form_error = e.message
            return rx.toast.error(e.message, duration=15000)
        except SettingsConflict as e:
            current = e.current
            values = school_settings.rebase_form(typed, loaded, current, contested=e.keys)
            errors = {k: "Изменено другим пользователем — проверьте." for k in e.keys}
            self._show(current, values=values, errors=errors)
            self.result = ""
            self.form_error = e.message
            return rx.toast.error(e.message, duration=15000)
        except DomainError as e:
            self.form_error = e.message
            return rx.toast.error(e.message)
        self._show(saved.settings)
        self.form_error = ""
        if not saved.changed:
            self.result = "Изменений нет: сохранять нечего."
            return rx.toast.info(self.result)
        self.result = "Сохранено: " + "; ".join(saved.changed) + "."
        return rx.toast.success(f"Настройки сохранены ({len(saved.changed)}).")
