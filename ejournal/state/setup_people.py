"""``/setup/people``: Учащиеся и сотрудники — the secretary's (and the administrator's) page.

Two imports (class lists, staff) from XLSX/CSV: the chosen file is read in memory, checked
without writing (the dry run), and kept server-side (``_students_file``, ``_staff_file``);
«Записать» writes those same bytes, which the service checks again — nothing the browser
sends is trusted. Then the lists (students of a class with their parents, the staff), forms
to add or correct one person, student movement (arrived, left, transferred) and, for the
administrator, the accounts of imported people with their slips (PDF, the only place the
one-time passwords appear).

The record a form was opened with is kept server-side (``_editing_*``, ``_expected``): the
service refuses a save over a record someone else changed meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import reflex as rx

from ejournal.domain.errors import ConflictError, DomainError
from ejournal.domain.models import LeaveKind
from ejournal.domain.permissions import Permission
from ejournal.domain.setup import movement, people
from ejournal.domain.setup import staff as staff_import
from ejournal.domain.setup import students as students_import
from ejournal.state.base import SessionState, requires, run_service

#: The largest list file accepted (1,000 students with parents take about 100 KB).
MAX_FILE_BYTES = 2 * 1024 * 1024
FILE_TYPES = (".xlsx", ".csv")
STUDENTS_UPLOAD_ID = "students_upload"
STAFF_UPLOAD_ID = "staff_upload"


@dataclass
class ParentRowView:
    id: str = ""
    name: str = ""
    contacts: str = ""
    relation: str = ""
    account: str = ""


@dataclass
class StudentRowView:
    id: str = ""
    name: str = ""
    birth_date: str = ""
    gender: str = ""
    account: str = ""
    parents: list[ParentRowView] = field(default_factory=list)


@dataclass
class StaffRowView:
    id: str = ""
    name: str = ""
    position: str = ""
    contacts: str = ""
    login: str = ""


@dataclass
class Choice:
    value: str = ""
    label: str = ""


@dataclass
class MovementView:
    on: str = ""
    student: str = ""
    what: str = ""
    order_number: str = ""


def _contacts(phone: str, email: str) -> str:
    return ", ".join(x for x in (phone, email) if x)


EMPTY_STUDENT = {
    "last_name": "",
    "first_name": "",
    "middle_name": "",
    "gender": "",
    "birth_date": "",
}
EMPTY_PARENT = {
    "last_name": "",
    "first_name": "",
    "middle_name": "",
    "phone": "",
    "email": "",
    "relation": "",
}
EMPTY_STAFF = {
    "last_name": "",
    "first_name": "",
    "middle_name": "",
    "position": "",
    "phone": "",
    "email": "",
}


class PeopleSetupState(SessionState):
    """Imports, lists, one-by-one forms, movement and accounts of the user's school."""

    loaded: bool = False
    can_issue: bool = False  # the administrator: accounts and slips

    # ---- imports (one block per kind)
    students_file: str = ""
    students_done: bool = False
    students_ok: bool = False
    students_problems: list[str] = []
    students_lines: list[str] = []
    students_changes: int = 0
    staff_file: str = ""
    staff_done: bool = False
    staff_ok: bool = False
    staff_problems: list[str] = []
    staff_lines: list[str] = []
    staff_changes: int = 0
    import_result: str = ""

    # ---- lists
    classes: list[Choice] = []
    class_id: str = ""
    students: list[StudentRowView] = []
    staff: list[StaffRowView] = []
    moves: list[MovementView] = []

    # ---- forms: which is open ("student", "parent", "staff", "arrive", "leave",
    # "transfer") and what it shows (kept as typed when a save is refused)
    form: str = ""
    form_title: str = ""
    form_values: dict[str, str] = {}
    form_error: str = ""
    form_key: int = 0

    # ---- accounts
    accounts_result: list[str] = []
    accounts_skipped: list[str] = []

    # Server-side only: the checked files, and what the open form edits.
    _students_file: bytes = b""
    _students_name: str = ""
    _staff_file: bytes = b""
    _staff_name: str = ""
    _class_id: int = 0
    _editing_student: int = 0
    _editing_parent: int = 0
    _editing_staff: int = 0
    _expected: str = ""

    # ------------------------------------------------------------------ helpers

    def _clear_students_file(self) -> None:
        self._students_file, self._students_name = b"", ""
        self.students_file = ""
        self.students_done = self.students_ok = False
        self.students_problems, self.students_lines = [], []
        self.students_changes = 0

    def _clear_staff_file(self) -> None:
        self._staff_file, self._staff_name = b"", ""
        self.staff_file = ""
        self.staff_done = self.staff_ok = False
        self.staff_problems, self.staff_lines = [], []
        self.staff_changes = 0

    def _close_form(self) -> None:
        self.form = self.form_title = self.form_error = ""
        self.form_values = {}
        self._editing_student = self._editing_parent = self._editing_staff = 0
        self._expected = ""

    def _open_form(self, kind: str, title: str, values: dict[str, str]) -> None:
        self.form, self.form_title, self.form_error = kind, title, ""
        self.form_values = values
        self.form_key += 1

    async def _refresh(self) -> None:
        actor = self._actor()
        choices = await run_service(people.current_classes, actor=actor)
        self.classes = [Choice(str(c.id), c.name) for c in choices]
        ids = [c.id for c in choices]
        if self._class_id not in ids:
            self._class_id = ids[0] if ids else 0
        self.class_id = str(self._class_id) if self._class_id else ""
        await self._refresh_students()
        staff = await run_service(people.staff_list, actor=actor)
        self.staff = [
            StaffRowView(
                id=str(s.id),
                name=s.full_name,
                position=s.position,
                contacts=_contacts(s.phone, s.email),
                login=s.login,
            )
            for s in staff
        ]
        moves = await run_service(movement.movements, actor=actor)
        self.moves = [
            MovementView(f"{m.on:%d.%m.%Y}", m.student, m.what, m.order_number) for m in moves
        ]

    async def _refresh_students(self) -> None:
        if not self._class_id:
            self.students = []
            return
        found = await run_service(
            people.class_students, actor=self._actor(), class_id=self._class_id
        )
        self.students = [
            StudentRowView(
                id=str(s.id),
                name=s.full_name,
                birth_date=f"{s.birth_date:%d.%m.%Y}",
                gender=people.GENDER_TITLES.get(s.gender, ""),
                account="есть" if s.has_account else "нет",
                parents=[
                    ParentRowView(
                        id=str(p.id),
                        name=p.full_name,
                        contacts=_contacts(p.phone, p.email),
                        relation=p.relation,
                        account="есть" if p.has_account else "нет",
                    )
                    for p in s.parents
                ],
            )
            for s in found
        ]

    async def _read_upload(self, files: list[rx.UploadFile]) -> tuple[bytes, str] | str:
        """The chosen file's bytes and name, or a refusal in words."""
        if not files:
            return "Файл не выбран."
        upload = files[0]
        name = (upload.name or upload.filename or "").rsplit("/", 1)[-1]
        if not name.lower().endswith(FILE_TYPES):
            return "Нужен файл XLSX или CSV."
        data = await upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            return "Файл больше 2 МБ: это не похоже на список."
        return data, name

    @staticmethod
    def _id(value: Any) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            return 0

    @staticmethod
    def _text(form: dict[str, Any], key: str) -> str:
        value = form.get(key)
        return "" if value is None else str(value)

    def _form_refused(self, e: DomainError, form: dict[str, Any]) -> Any:
        """A refused save: the message by the form, what was typed stays on screen."""
        self.form_error = e.message
        self.form_values = {k: self._text(form, k) for k in form}
        return rx.toast.error(e.message, duration=15000)

    # ------------------------------------------------------------------ load

    @requires(Permission.IMPORT_LISTS)
    async def load(self) -> Any:
        """On page load: classes, the first class's students, the staff, the movement."""
        self._clear_students_file()
        self._clear_staff_file()
        self._close_form()
        self.import_result = ""
        self.accounts_result, self.accounts_skipped = [], []
        self.can_issue = self._actor().can(Permission.USER_MANAGE)
        await self._refresh()
        self.loaded = True
        return None

    @requires(Permission.IMPORT_LISTS)
    async def pick_class(self, class_id: str) -> Any:
        """Show another class's students (the service checks the class is the school's)."""
        cid = self._id(class_id)
        if not cid:
            return rx.toast.error("Класс не найден.")
        previous = self._class_id
        self._class_id = cid
        try:
            await self._refresh_students()
        except DomainError as e:
            self._class_id = previous
            return rx.toast.error(e.message)
        self.class_id = str(cid)
        self.accounts_result, self.accounts_skipped = [], []
        return None

    # ------------------------------------------------------------------ imports

    @requires(Permission.IMPORT_LISTS)
    async def upload_students(self, files: list[rx.UploadFile]) -> Any:
        """The class-list file, read in memory and checked without writing (the dry run)."""
        self._clear_students_file()
        self.import_result = ""
        got = await self._read_upload(files)
        if isinstance(got, str):
            self.students_problems = [got]
            self.students_done = True
            return rx.toast.error(got)
        data, name = got
        try:
            report = await run_service(
                students_import.preview_students_import,
                actor=self._actor(),
                data=data,
                filename=name,
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        self.students_file = name
        self.students_done = True
        self.students_ok = report.ok
        self.students_problems = [p.text() for p in report.problems]
        self.students_lines = students_import.summary_lines(report) if report.ok else []
        self.students_changes = report.changes
        if report.ok:
            self._students_file, self._students_name = data, name
        return None

    @requires(Permission.IMPORT_LISTS)
    async def write_students(self) -> Any:
        """Write the checked class-list file (one transaction; the service checks it again)."""
        if not self._students_file:
            return rx.toast.error("Сначала выберите и проверьте файл со списками.")
        try:
            report = await run_service(
                students_import.import_students,
                actor=self._actor(),
                data=self._students_file,
                filename=self._students_name,
            )
        except DomainError as e:
            return rx.toast.error(e.message, duration=15000)
        self._clear_students_file()
        self.import_result = (
            f"Списки записаны: добавлено {len(report.added)}, переведено {len(report.moved)}, "
            f"новых родителей {report.parents_added}."
            if report.written
            else "Изменений нет: списки уже такие."
        )
        await self._refresh()
        return rx.toast.success(self.import_result)

    @requires(Permission.IMPORT_LISTS)
    async def upload_staff(self, files: list[rx.UploadFile]) -> Any:
        """The staff file, read in memory and checked without writing (the dry run)."""
        self._clear_staff_file()
        self.import_result = ""
        got = await self._read_upload(files)
        if isinstance(got, str):
            self.staff_problems = [got]
            self.staff_done = True
            return rx.toast.error(got)
        data, name = got
        try:
            report = await run_service(
                staff_import.preview_staff_import, actor=self._actor(), data=data, filename=name
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        self.staff_file = name
        self.staff_done = True
        self.staff_ok = report.ok
        self.staff_problems = [p.text() for p in report.problems]
        self.staff_lines = staff_import.summary_lines(report) if report.ok else []
        self.staff_changes = report.changes
        if report.ok:
            self._staff_file, self._staff_name = data, name
        return None

    @requires(Permission.IMPORT_LISTS)
    async def write_staff(self) -> Any:
        """Write the checked staff file (one transaction; the service checks it again)."""
        if not self._staff_file:
            return rx.toast.error("Сначала выберите и проверьте файл с сотрудниками.")
        try:
            report = await run_service(
                staff_import.import_staff,
                actor=self._actor(),
                data=self._staff_file,
                filename=self._staff_name,
            )
        except DomainError as e:
            return rx.toast.error(e.message, duration=15000)
        self._clear_staff_file()
        self.import_result = (
            f"Сотрудники записаны: добавлено {len(report.added)}, изменено {len(report.updated)}."
            if report.written
            else "Изменений нет: список сотрудников уже такой."
        )
        await self._refresh()
        return rx.toast.success(self.import_result)

    @requires(Permission.IMPORT_LISTS)
    async def clear_students_file(self) -> Any:
        """Forget the chosen class-list file."""
        self._clear_students_file()
        return None

    @requires(Permission.IMPORT_LISTS)
    async def clear_staff_file(self) -> Any:
        """Forget the chosen staff file."""
        self._clear_staff_file()
        return None

    # ------------------------------------------------------------------ forms

    @requires(Permission.IMPORT_LISTS)
    async def close_form(self) -> Any:
        """Close the open form without saving."""
        self._close_form()
        return None

    @requires(Permission.IMPORT_LISTS)
    async def form_open_change(self, open_: bool) -> Any:
        """The dialog was closed (Esc, the cross, outside): close the form unsaved."""
        if not open_:
            self._close_form()
        return None

    @requires(Permission.IMPORT_LISTS)
    async def new_student(self) -> Any:
        """An empty student form for the chosen class."""
        self._close_form()
        self._open_form("student", "Новый ученик", dict(EMPTY_STUDENT, class_id=self.class_id))
        return None

    @requires(Permission.IMPORT_LISTS)
    async def edit_student(self, student_id: str) -> Any:
        """The form of one student of the shown class, as stored now."""
        sid = self._id(student_id)
        found = await run_service(
            people.class_students, actor=self._actor(), class_id=self._class_id
        )
        student = next((s for s in found if s.id == sid), None)
        if student is None:
            return rx.toast.error("Ученик не найден в этом классе.")
        self._close_form()
        self._editing_student = student.id
        self._expected = student.fingerprint
        self._open_form(
            "student",
            f"Ученик: {student.full_name}",
            {
                "last_name": student.last_name,
                "first_name": student.first_name,
                "middle_name": student.middle_name,
                "gender": student.gender,
                "birth_date": f"{student.birth_date:%d.%m.%Y}",
                "class_id": str(student.class_id or ""),
            },
        )
        return None

    @requires(Permission.IMPORT_LISTS)
    async def save_student(self, form: dict[str, Any]) -> Any:
        """See ``_save_student``."""
        return await self._save_student(form)

    async def _save_student(self, form: dict[str, Any]) -> Any:
        """Add or correct the student of the open form (a new class is a transfer)."""
        if self.form != "student":
            return rx.toast.error("Форма ученика не открыта.")
        try:
            await run_service(
                people.save_student,
                actor=self._actor(),
                student_id=self._editing_student or None,
                last_name=self._text(form, "last_name"),
                first_name=self._text(form, "first_name"),
                middle_name=self._text(form, "middle_name"),
                gender=self._text(form, "gender"),
                birth_date=self._text(form, "birth_date"),
                class_id=self._id(form.get("class_id")),
                expected=self._expected,
            )
        except ConflictError as e:
            await self._refresh()
            return self._form_refused(e, form)
        except DomainError as e:
            return self._form_refused(e, form)
        self._close_form()
        await self._refresh()
        return rx.toast.success("Ученик сохранён.")

    @requires(Permission.IMPORT_LISTS)
    async def new_parent(self, student_id: str) -> Any:
        """An empty parent form for a student of the shown class."""
        sid = self._id(student_id)
        student = next((s for s in self.students if s.id == str(sid)), None)
        if student is None:
            return rx.toast.error("Ученик не найден в этом классе.")
        self._close_form()
        self._editing_student = sid
        self._open_form("parent", f"Новый родитель: {student.name}", dict(EMPTY_PARENT))
        return None

    @requires(Permission.IMPORT_LISTS)
    async def edit_parent(self, student_id: str, parent_id: str) -> Any:
        """The form of one parent of a student of the shown class, as stored now."""
        sid, pid = self._id(student_id), self._id(parent_id)
        found = await run_service(
            people.class_students, actor=self._actor(), class_id=self._class_id
        )
        student = next((s for s in found if s.id == sid), None)
        parent = next((p for p in student.parents if p.id == pid), None) if student else None
        if student is None or parent is None:
            return rx.toast.error("Родитель не найден у этого ученика.")
        self._close_form()
        self._editing_student, self._editing_parent = sid, pid
        self._expected = parent.fingerprint
        self._open_form(
            "parent",
            f"Родитель: {parent.full_name} ({student.full_name})",
            {
                "last_name": parent.last_name,
                "first_name": parent.first_name,
                "middle_name": parent.middle_name,
                "phone": parent.phone,
                "email": parent.email,
                "relation": parent.relation,
            },
        )
        return None

    @requires(Permission.IMPORT_LISTS)
    async def save_parent(self, form: dict[str, Any]) -> Any:
        """See ``_save_parent``."""
        return await self._save_parent(form)

    async def _save_parent(self, form: dict[str, Any]) -> Any:
        """Add (and link) or correct the parent of the open form."""
        if self.form != "parent" or not self._editing_student:
            return rx.toast.error("Форма родителя не открыта.")
        try:
            await run_service(
                people.save_parent,
                actor=self._actor(),
                student_id=self._editing_student,
                parent_id=self._editing_parent or None,
                last_name=self._text(form, "last_name"),
                first_name=self._text(form, "first_name"),
                middle_name=self._text(form, "middle_name"),
                phone=self._text(form, "phone"),
                email=self._text(form, "email"),
                relation=self._text(form, "relation"),
                expected=self._expected,
            )
        except ConflictError as e:
            await self._refresh()
            return self._form_refused(e, form)
        except DomainError as e:
            return self._form_refused(e, form)
        self._close_form()
        await self._refresh()
        return rx.toast.success("Родитель сохранён.")

    @requires(Permission.IMPORT_LISTS)
    async def new_staff(self) -> Any:
        """An empty staff form."""
        self._close_form()
        self._open_form("staff", "Новый сотрудник", dict(EMPTY_STAFF))
        return None

    @requires(Permission.IMPORT_LISTS)
    async def edit_staff(self, staff_id: str) -> Any:
        """The form of one staff member, as stored now."""
        sid = self._id(staff_id)
        found = await run_service(people.staff_list, actor=self._actor())
        member = next((s for s in found if s.id == sid), None)
        if member is None:
            return rx.toast.error("Сотрудник не найден.")
        self._close_form()
        self._editing_staff = member.id
        self._expected = member.fingerprint
        self._open_form(
            "staff",
            f"Сотрудник: {member.full_name}",
            {
                "last_name": member.last_name,
                "first_name": member.first_name,
                "middle_name": member.middle_name,
                "position": member.position,
                "phone": member.phone,
                "email": member.email,
            },
        )
        return None

    @requires(Permission.IMPORT_LISTS)
    async def save_staff(self, form: dict[str, Any]) -> Any:
        """See ``_save_staff``."""
        return await self._save_staff(form)

    async def _save_staff(self, form: dict[str, Any]) -> Any:
        """Add or correct the staff member of the open form."""
        if self.form != "staff":
            return rx.toast.error("Форма сотрудника не открыта.")
        try:
            await run_service(
                people.save_staff,
                actor=self._actor(),
                staff_id=self._editing_staff or None,
                last_name=self._text(form, "last_name"),
                first_name=self._text(form, "first_name"),
                middle_name=self._text(form, "middle_name"),
                position=self._text(form, "position"),
                phone=self._text(form, "phone"),
                email=self._text(form, "email"),
                expected=self._expected,
            )
        except ConflictError as e:
            await self._refresh()
            return self._form_refused(e, form)
        except DomainError as e:
            return self._form_refused(e, form)
        self._close_form()
        await self._refresh()
        return rx.toast.success("Сотрудник сохранён.")

    # ------------------------------------------------------------------ movement

    @requires(Permission.IMPORT_LISTS)
    async def open_arrival(self) -> Any:
        """The «Прибыл» form: a student from another school into the shown class."""
        self._close_form()
        self._open_form(
            "arrive",
            "Прибыл из другой школы",
            dict(EMPTY_STUDENT, class_id=self.class_id, on="", order_number=""),
        )
        return None

    @requires(Permission.IMPORT_LISTS)
    async def open_leaving(self, student_id: str) -> Any:
        """The «Выбыл» form for a student of the shown class."""
        sid = self._id(student_id)
        student = next((s for s in self.students if s.id == str(sid)), None)
        if student is None:
            return rx.toast.error("Ученик не найден в этом классе.")
        self._close_form()
        self._editing_student = sid
        self._open_form(
            "leave",
            f"Выбыл: {student.name}",
            {"on": "", "order_number": "", "kind": LeaveKind.LEFT.value},
        )
        return None

    @requires(Permission.IMPORT_LISTS)
    async def open_transfer(self, student_id: str) -> Any:
        """The «Перевести» form for a student of the shown class."""
        sid = self._id(student_id)
        student = next((s for s in self.students if s.id == str(sid)), None)
        if student is None:
            return rx.toast.error("Ученик не найден в этом классе.")
        self._close_form()
        self._editing_student = sid
        self._open_form(
            "transfer",
            f"Перевод в другой класс: {student.name}",
            {"on": "", "order_number": "", "class_id": ""},
        )
        return None

    @requires(Permission.IMPORT_LISTS)
    async def save_movement(self, form: dict[str, Any]) -> Any:
        """See ``_save_movement``."""
        return await self._save_movement(form)

    async def _save_movement(self, form: dict[str, Any]) -> Any:
        """Record the open movement form (arrived, left or transferred)."""
        actor = self._actor()
        on, order = self._text(form, "on"), self._text(form, "order_number")
        try:
            if self.form == "arrive":
                await run_service(
                    movement.record_arrival,
                    actor=actor,
                    class_id=self._id(form.get("class_id")),
                    on=on,
                    order_number=order,
                    last_name=self._text(form, "last_name"),
                    first_name=self._text(form, "first_name"),
                    middle_name=self._text(form, "middle_name"),
                    gender=self._text(form, "gender"),
                    birth_date=self._text(form, "birth_date"),
                )
                done = "Прибытие записано."
            elif self.form == "leave" and self._editing_student:
                await run_service(
                    movement.record_leaving,
                    actor=actor,
                    student_id=self._editing_student,
                    on=on,
                    order_number=order,
                    kind=self._text(form, "kind") or LeaveKind.LEFT.value,
                )
                done = "Выбытие записано."
            elif self.form == "transfer" and self._editing_student:
                await run_service(
                    movement.record_transfer,
                    actor=actor,
                    student_id=self._editing_student,
                    class_id=self._id(form.get("class_id")),
                    on=on,
                    order_number=order,
                )
                done = "Перевод записан."
            else:
                return rx.toast.error("Форма движения не открыта.")
        except DomainError as e:
            return self._form_refused(e, form)
        self._close_form()
        await self._refresh()
        return rx.toast.success(done)

    @requires(Permission.IMPORT_LISTS)
    async def save_form(self, form: dict[str, Any]) -> Any:
        """The open form's «Сохранить»: the save of its kind."""
        if self.form == "student":
            return await self._save_student(form)
        if self.form == "parent":
            return await self._save_parent(form)
        if self.form == "staff":
            return await self._save_staff(form)
        return await self._save_movement(form)

    # ------------------------------------------------------------------ accounts

    @requires(Permission.USER_MANAGE)
    async def issue_staff_accounts(self) -> Any:
        """Accounts («Учитель») for every staff member without one; their slips (PDF)."""
        self.accounts_result, self.accounts_skipped = [], []
        try:
            result = await run_service(people.issue_staff_accounts, actor=self._actor())
        except DomainError as e:
            return rx.toast.error(e.message, duration=15000)
        self.accounts_result = [
            f"Выданы учётные записи: {len(result.issued)}. Пароли — только в скачанном PDF.",
            *result.issued,
        ]
        await self._refresh()
        return rx.download(data=result.pdf, filename="rekvizity-sotrudniki.pdf")

    @requires(Permission.IMPORT_LISTS)
    async def issue_class_accounts(self) -> Any:
        """Accounts for the shown class's students and parents without one; their slips
        (PDF). Families that refused consent are skipped and listed. The service needs
        CREDENTIALS_ISSUE on the class (the administrator; not the secretary)."""
        self.accounts_result, self.accounts_skipped = [], []
        if not self._class_id:
            return rx.toast.error("Сначала выберите класс.")
        try:
            result = await run_service(
                people.issue_class_accounts, actor=self._actor(), class_id=self._class_id
            )
        except DomainError as e:
            return rx.toast.error(e.message, duration=15000)
        self.accounts_skipped = result.skipped
        await self._refresh_students()
        if not result.pdf:
            self.accounts_result = ["Новых учётных записей нет: всем уже выданы."]
            return rx.toast.info(self.accounts_result[0])
        self.accounts_result = [
            f"Выданы учётные записи: {len(result.issued)}. Пароли — только в скачанном PDF.",
            *result.issued,
        ]
        return rx.download(data=result.pdf, filename=f"rekvizity-klass-{self._class_id}.pdf")
