"""``/student?id=N``: the student's personal file, «общие сведения» [004 §5.28–5.32].

The id comes from the URL; every event re-checks the right on the server: `load` needs
STUDENT_PERSONAL_READ on that student (the service checks the student), `save` needs
STUDENT_MANAGE and acts only on the student the last successful `load` opened (a
backend-only var). The values the form was drawn with stay on the server (`_loaded`), so a
stale form never overwrites another user's save («Изменено другим пользователем»).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from ejournal.domain.errors import DomainError
from ejournal.domain.people import personal_file as pf
from ejournal.domain.people.personal_file import (
    HEALTH_GROUPS,
    STUDENT_FIELDS,
    FileConflict,
    FileInvalid,
    PersonalFile,
    parent_key,
)
from ejournal.domain.permissions import Permission
from ejournal.state.base import SessionState, requires, run_service

CONFLICT_NOTE = "Изменено другим пользователем — проверьте."


@dataclass
class FileField:
    """One line of «общие сведения»: its input's name, label, value and error."""

    key: str = ""
    label: str = ""
    value: str = ""
    error: str = ""
    kind: str = "text"  # text | tel | email | health


@dataclass
class ParentForm:
    """A parent's contacts: the inputs' names, values and errors."""

    parent_id: int = 0
    name: str = ""
    relation_key: str = ""
    relation: str = ""
    relation_error: str = ""
    phone_key: str = ""
    phone: str = ""
    phone_error: str = ""
    email_key: str = ""
    email: str = ""
    email_error: str = ""


_KINDS = {"phone": "tel", "email": "email", "health_group": "health"}


def _student_id(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


class StudentFileState(SessionState):
    """Личное дело учащегося: read for those who read, a form for those who manage."""

    loaded: bool = False
    load_error: str = ""
    full_name: str = ""
    class_name: str = ""
    birth_date: str = ""
    documents: bool = False
    can_edit: bool = False
    fields: list[FileField] = []
    parents: list[ParentForm] = []
    health_options: list[str] = list(HEALTH_GROUPS)
    back_href: str = "/"
    back_label: str = "На главную"
    result: str = ""
    form_error: str = ""
    form_key: int = 0

    _student: int = 0  # the student the last successful load opened
    _loaded: dict[str, str] = {}

    def _clear(self) -> None:
        self._student = 0
        self._loaded = {}
        self.full_name = self.class_name = self.birth_date = ""
        self.fields, self.parents = [], []
        self.documents = self.can_edit = False

    def _show(
        self,
        current: PersonalFile,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> None:
        shown = values if values is not None else current.form_values()
        errs = errors or {}
        self._student = current.student_id
        self._loaded = current.form_values()
        self.full_name = current.full_name
        self.class_name = current.class_name
        self.birth_date = current.birth_date
        self.documents = current.documents
        self.can_edit = current.can_edit
        self.fields = [
            FileField(
                key=f.key,
                label=f.label,
                value=shown.get(f.key, ""),
                error=errs.get(f.key, ""),
                kind=_KINDS.get(f.key, "text"),
            )
            for f in STUDENT_FIELDS
            if f.key in current.values
        ]
        self.parents = []
        for p in current.parents:
            keys = {n: parent_key(p.parent_id, n) for n in ("relation", "phone", "email")}
            self.parents.append(
                ParentForm(
                    parent_id=p.parent_id,
                    name=p.full_name,
                    relation_key=keys["relation"],
                    relation=shown.get(keys["relation"], ""),
                    relation_error=errs.get(keys["relation"], ""),
                    phone_key=keys["phone"],
                    phone=shown.get(keys["phone"], ""),
                    phone_error=errs.get(keys["phone"], ""),
                    email_key=keys["email"],
                    email=shown.get(keys["email"], ""),
                    email_error=errs.get(keys["email"], ""),
                )
            )
        self.form_key += 1
        self.loaded = True

    @requires(Permission.STUDENT_PERSONAL_READ)
    async def load(self) -> Any:
        """On page load: the file of the student named by ``?id=N``, if the user may read it."""
        actor = self._actor()
        if actor.can(Permission.STUDENT_MANAGE):
            self.back_href, self.back_label = "/class/students", "К списку класса"
        else:
            self.back_href, self.back_label = self._home(), "На главную"
        self.result = self.form_error = self.load_error = ""
        self._clear()
        student = _student_id(self.router.url.query_parameters.get("id"))
        if student is None:
            self.load_error = "Не указан учащийся: откройте личное дело из списка класса."
            self.loaded = True
            return None
        try:
            current = await run_service(pf.personal_file, actor=actor, student_id=student)
        except DomainError as e:
            self.load_error = e.message
            self.loaded = True
            return None
        self._show(current)
        return None

    @requires(Permission.STUDENT_MANAGE)
    async def save(self, form: dict[str, Any]) -> Any:
        """Save what the form changed (the service re-checks the right, validates, guards
        against a stale form and audits)."""
        if not self._student or not self._loaded:
            self.form_error = "Личное дело не открыто: обновите страницу."
            return rx.toast.error(self.form_error)
        typed = {str(k): str(v if v is not None else "") for k, v in form.items()}
        loaded = dict(self._loaded)
        try:
            saved = await run_service(
                pf.save_personal_file,
                actor=self._actor(),
                student_id=self._student,
                changes=typed,
                loaded=loaded,
            )
        except FileInvalid as e:
            current = await run_service(
                pf.personal_file, actor=self._actor(), student_id=self._student
            )
            # Keep what was typed, and the guard's base: nothing was saved.
            self._show(current, values={**current.form_values(), **typed}, errors=e.errors)
            self._loaded = loaded
            self.result = ""
            self.form_error = e.message
            return rx.toast.error(e.message, duration=15000)
        except FileConflict as e:
            current = e.current
            values = pf.rebase_form(typed, loaded, current, contested=e.keys)
            self._show(current, values=values, errors=dict.fromkeys(e.keys, CONFLICT_NOTE))
            self.result = ""
            self.form_error = e.message
            return rx.toast.error(e.message, duration=15000)
        except DomainError as e:
            self.form_error = e.message
            return rx.toast.error(e.message)
        self._show(saved.file)
        self.form_error = ""
        if not saved.changed:
            self.result = "Изменений нет: сохранять нечего."
            return rx.toast.info(self.result)
        self.result = "Сохранено: " + "; ".join(saved.changed) + "."
        return rx.toast.success("Личное дело сохранено.")
