"""The subgroups section of ``/class/students`` [000 §3.6], [003 §3.2]: the class teacher
splits the class for a subject, moves students between groups, renames, adds and removes
groups.

Every handler is ``@requires(STUDENT_MANAGE)``; the services re-check the class (own class
for the class teacher, any class of the school for the secretary and the administrator).
A move sends the group the screen showed the student in, a rename the name it showed, so a
stale screen is refused («Изменено другим пользователем») and redrawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import reflex as rx

from ejournal.domain.errors import ConflictError, DomainError
from ejournal.domain.permissions import Permission
from ejournal.domain.setup import subgroups as svc
from ejournal.domain.setup.subgroups import ClassSplits, Split
from ejournal.state.base import SessionState, requires, run_service


@dataclass
class MoveTarget:
    """A button «в «2 группа»» of one student: where it moves them."""

    subgroup_id: int = 0
    name: str = ""


@dataclass
class MemberRow:
    student_id: int = 0
    name: str = ""
    href: str = ""
    from_id: int = 0  # the group the screen shows them in (0: not placed)
    targets: list[MoveTarget] = field(default_factory=list)


@dataclass
class GroupRow:
    subgroup_id: int = 0
    name: str = ""
    teachers: str = ""  # «Смирнова А. П.» or «учитель не назначен»
    count: int = 0
    removable: bool = False
    members: list[MemberRow] = field(default_factory=list)


@dataclass
class SplitRow:
    subject_id: int = 0
    subject_name: str = ""
    warnings: list[str] = field(default_factory=list)
    groups: list[GroupRow] = field(default_factory=list)
    unplaced: list[MemberRow] = field(default_factory=list)


def _int(value: Any) -> int:
    """An id or number from the page (0 when it is none)."""
    try:
        return int(str(value).strip())
    except ValueError:
        return 0


def _split_row(split: Split) -> SplitRow:
    def member(student_id: int, name: str, from_id: int) -> MemberRow:
        return MemberRow(
            student_id=student_id,
            name=name,
            href=f"/student?id={student_id}",
            from_id=from_id,
            targets=[
                MoveTarget(g.subgroup_id, g.name) for g in split.groups if g.subgroup_id != from_id
            ],
        )

    return SplitRow(
        subject_id=split.subject_id or 0,
        subject_name=split.subject_name,
        warnings=list(split.warnings),
        groups=[
            GroupRow(
                subgroup_id=g.subgroup_id,
                name=g.name,
                teachers=", ".join(g.teachers) or "учитель не назначен",
                count=len(g.members),
                removable=g.removable,
                members=[member(m.student_id, m.full_name, g.subgroup_id) for m in g.members],
            )
            for g in split.groups
        ],
        unplaced=[member(m.student_id, m.full_name, 0) for m in split.unplaced],
    )


class SubgroupsState(SessionState):
    """Подгруппы класса: one class at a time (the class teacher's own; others pick)."""

    loaded: bool = False
    classes: list[dict[str, str]] = []
    class_id: str = ""
    class_name: str = ""
    splits: list[SplitRow] = []
    subjects: list[dict[str, str]] = []  # what the class may still be split for
    new_subject: str = ""
    new_groups: str = "2"
    error: str = ""
    notice: str = ""  # the last action's result
    warning: str = ""  # the last action's warning (curriculum)
    form_key: int = 0

    def _class(self) -> int:
        try:
            return int(self.class_id)
        except ValueError:
            raise DomainError("Выберите класс.") from None

    def _show(self, view: ClassSplits) -> None:
        self.class_name = view.class_name
        self.splits = [_split_row(s) for s in view.splits]
        self.subjects = [
            {
                "value": str(s.subject_id),
                "label": s.name + (" (делится по учебному плану)" if s.split_in_curriculum else ""),
            }
            for s in view.subjects
        ]
        if self.new_subject not in {s["value"] for s in self.subjects}:
            self.new_subject = self.subjects[0]["value"] if self.subjects else ""
        self.form_key += 1

    async def _refresh(self) -> None:
        view = await run_service(svc.class_splits, actor=self._actor(), class_id=self._class())
        self._show(view)

    async def _act(self, fn: Any, **kwargs: Any) -> Any:
        """Run a write service, then redraw the class's groups; say what happened."""
        try:
            done = await run_service(fn, actor=self._actor(), **kwargs)
        except ConflictError as e:
            self.error = e.message
            self.notice = ""
            try:
                await self._refresh()
            except DomainError:
                pass
            return rx.toast.error(e.message, duration=15000)
        except DomainError as e:
            self.error = e.message
            self.notice = ""
            return rx.toast.error(e.message, duration=15000)
        self.error = ""
        self.notice = done.message
        self.warning = done.warning
        await self._refresh()
        if done.warning:
            return rx.toast.warning(done.warning, duration=15000)
        return rx.toast.success(done.message)

    # ------------------------------------------------------------------ handlers

    @requires(Permission.STUDENT_MANAGE)
    async def load(self) -> Any:
        """On page load: the classes the user sets groups for, and the chosen one's splits."""
        self.error = self.notice = self.warning = ""
        try:
            choices = await run_service(svc.subgroup_classes, actor=self._actor())
        except DomainError as e:
            self.error = e.message
            self.splits = []
            return None
        self.classes = [{"value": str(c.class_id), "label": c.name} for c in choices]
        if not self.classes:
            self.splits, self.subjects, self.class_name = [], [], ""
            self.loaded = True
            return None
        if self.class_id not in {c["value"] for c in self.classes}:
            self.class_id = self.classes[0]["value"]
        try:
            await self._refresh()
        except DomainError as e:
            self.error = e.message
            self.splits = []
        self.loaded = True
        return None

    @requires(Permission.STUDENT_MANAGE)
    async def choose_class(self, class_id: str) -> Any:
        """Another class of the user's (the secretary and the administrator pick any)."""
        if str(class_id) not in {c["value"] for c in self.classes}:
            return rx.toast.error("Класс не найден.")
        self.class_id = str(class_id)
        self.error = self.notice = self.warning = ""
        try:
            await self._refresh()
        except DomainError as e:
            self.error = e.message
            self.splits = []
            return rx.toast.error(e.message)
        return None

    @requires(Permission.STUDENT_MANAGE)
    async def pick_new_subject(self, value: str) -> None:
        self.new_subject = str(value)

    @requires(Permission.STUDENT_MANAGE)
    async def pick_new_groups(self, value: str) -> None:
        self.new_groups = str(value)

    @requires(Permission.STUDENT_MANAGE)
    async def split(self) -> Any:
        """«Разделить класс»: the chosen subject into the chosen number of groups."""
        if not self.new_subject:
            self.error = "Выберите предмет."
            return rx.toast.error(self.error)
        try:
            class_id = self._class()
        except DomainError as e:
            return rx.toast.error(e.message)
        return await self._act(
            svc.split_class,
            class_id=class_id,
            subject_id=_int(self.new_subject),
            groups=_int(self.new_groups),
        )

    @requires(Permission.STUDENT_MANAGE)
    async def move(self, student_id: int, from_id: int, to_id: int) -> Any:
        """Move a student into group `to_id` out of `from_id` (the group shown; 0: none)."""
        return await self._act(
            svc.move_student,
            student_id=_int(student_id),
            to_subgroup_id=_int(to_id),
            from_subgroup_id=_int(from_id) or None,
        )

    @requires(Permission.STUDENT_MANAGE)
    async def rename(self, form: dict[str, Any]) -> Any:
        """A group's new name (form fields ``subgroup_id``, ``old_name``, ``name``)."""
        return await self._act(
            svc.rename_group,
            subgroup_id=_int(form.get("subgroup_id")),
            name=str(form.get("name") or ""),
            expected_name=str(form.get("old_name") or ""),
        )

    @requires(Permission.STUDENT_MANAGE)
    async def add_group(self, subject_id: int) -> Any:
        try:
            class_id = self._class()
        except DomainError as e:
            return rx.toast.error(e.message)
        return await self._act(svc.add_group, class_id=class_id, subject_id=_int(subject_id))

    @requires(Permission.STUDENT_MANAGE)
    async def remove_group(self, subgroup_id: int) -> Any:
        return await self._act(svc.remove_group, subgroup_id=_int(subgroup_id))
