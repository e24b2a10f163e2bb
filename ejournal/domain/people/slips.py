"""Printable credential slips (PDF, A4, ten slips a page with cut lines).

Only password hashes are stored, so a slip can only carry a password made for it: printing
a slip gives the account a fresh one-time password (audited as a reset). A class's slips
skip the accounts whose owners have already set their own password, unless asked, so a
class teacher printing slips for a newcomer does not log the rest of the class out.
Families that refused consent to personal-data processing are skipped (`consent`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from sqlmodel import Session, col, select

from ejournal.config import PROJECT_ROOT, get_settings
from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound, ValidationError
from ejournal.domain.models import (
    ClassGroup,
    Parent,
    ParentLink,
    Role,
    RoleGrant,
    School,
    Student,
    User,
)
from ejournal.domain.people import consent
from ejournal.domain.people.auth import STAFF_ROLES
from ejournal.domain.people.naming import full_name, group_name
from ejournal.domain.people.users import (
    IssuedCredentials,
    open_account_unchecked,
    person_of,
    require_credentials_for,
    reset_unchecked,
)
from ejournal.domain.permissions import ROLE_TITLES, Actor, Permission, Target, require
from ejournal.domain.site_map import LOGIN_PATH

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
_FONT_DIRS = (PROJECT_ROOT / "assets" / "fonts", Path("/usr/share/fonts/truetype/dejavu"))

COLUMNS = 2
ROWS = 5
PAD = 6 * mm
STEPS = (
    "1. Откройте адрес входа и введите логин и пароль с этого листка.",
    "2. Придумайте свой пароль: не короче 8 символов, лучше фраза.",
    "3. Никому не сообщайте пароль, а этот листок уничтожьте.",
)


@dataclass(frozen=True)
class Slip:
    """One slip's content."""

    full_name: str
    role_line: str  # "Учащийся, 5 «А»", "Учитель, Классный руководитель 5 «А»"
    login: str
    one_time_password: str


@lru_cache(maxsize=1)
def register_fonts() -> tuple[str, str]:
    """Register the Cyrillic fonts with reportlab once per process."""
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont(FONT, str(regular)))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))
            return FONT, FONT_BOLD
    raise FileNotFoundError("DejaVuSans.ttf not found in assets/fonts")


def default_login_url() -> str:
    origins = get_settings().cors_allowed_origins
    return (origins[0] if origins else "http://localhost:3000").rstrip("/") + LOGIN_PATH


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> float:
    """The largest font size ≤ `size` at which `text` fits into `width`."""
    while size > 5 and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _draw_slip(
    canvas: Canvas, slip: Slip, x: float, y_top: float, w: float, school: str, url: str
) -> None:
    inner = w - 2 * PAD
    left = x + PAD
    y = y_top - PAD - 2 * mm

    def line(text: str, font: str, size: float, gap: float) -> None:
        nonlocal y
        fitted = _fit(canvas, text, font, size, inner)
        canvas.setFont(font, fitted)
        canvas.drawString(left, y, text)
        y -= gap

    line(school, FONT, 7.5, 5 * mm)
    line(slip.full_name, FONT_BOLD, 11, 4.5 * mm)
    line(slip.role_line, FONT, 8.5, 6 * mm)
    line(f"Логин:  {slip.login}", FONT, 11, 5.5 * mm)
    line(f"Пароль:  {slip.one_time_password}", FONT_BOLD, 11, 5.5 * mm)
    line(f"Вход: {url}", FONT, 8, 4.5 * mm)
    for step in STEPS:
        line(step, FONT, 7, 3.4 * mm)


def render_slips(slips: Sequence[Slip], *, school_name: str, login_url: str) -> bytes:
    """The PDF with `slips`, ten an A4 page, cut lines between them."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setTitle("Реквизиты доступа")
    page_w, page_h = A4
    w, h = page_w / COLUMNS, page_h / ROWS
    per_page = COLUMNS * ROWS
    if not slips:
        canvas.setFont(FONT, 12)
        canvas.drawString(20 * mm, page_h - 30 * mm, "Нет учётных записей для выдачи.")
        canvas.showPage()
    for start in range(0, len(slips), per_page):
        canvas.setDash(3, 3)
        canvas.setStrokeGray(0.6)
        canvas.setLineWidth(0.5)
        for c in range(1, COLUMNS):
            canvas.line(c * w, 0, c * w, page_h)
        for r in range(1, ROWS):
            canvas.line(0, r * h, page_w, r * h)
        canvas.setDash()
        for i, slip in enumerate(slips[start : start + per_page]):
            col_i, row_i = i % COLUMNS, i // COLUMNS
            _draw_slip(canvas, slip, col_i * w, page_h - row_i * h, w, school_name, login_url)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _school_name(session: Session, school_id: int) -> str:
    school = session.get(School, school_id)
    return "" if school is None else school.name


def _staff_role_line(session: Session, user_id: int) -> str:
    grants = session.exec(select(RoleGrant).where(RoleGrant.user_id == user_id)).all()
    parts: list[str] = []
    for grant in sorted(grants, key=lambda g: list(Role).index(Role(g.role))):
        title = ROLE_TITLES[Role(grant.role)]
        if grant.class_id is not None:
            group = session.get(ClassGroup, grant.class_id)
            title += f" {group_name(group)}" if group is not None else ""
        parts.append(title)
    return ", ".join(parts)


def _person_name(session: Session, user: User) -> str:
    assert user.id is not None
    person = person_of(session, user.id)
    if person is None:
        return user.login
    return full_name(person.last_name, person.first_name, person.middle_name)


def staff_slips_pdf(
    session: Session, *, actor: Actor, user_ids: Sequence[int], login_url: str | None = None
) -> bytes:
    """Slips for the listed accounts; each gets a fresh one-time password (audited)."""
    if not user_ids:
        raise ValidationError("Выберите пользователей для печати реквизитов.")
    slips: list[Slip] = []
    for user_id in dict.fromkeys(user_ids):
        user = require_credentials_for(session, actor, user_id)
        issued = reset_unchecked(session, actor=actor, user=user)
        slips.append(
            Slip(
                _person_name(session, user),
                _staff_role_line(session, user_id),
                issued.login,
                issued.one_time_password,
            )
        )
    pdf = render_slips(
        slips,
        school_name=_school_name(session, actor.school_id),
        login_url=login_url or default_login_url(),
    )
    return pdf


@read_only
def waiting_staff_ids(session: Session, *, actor: Actor) -> list[int]:
    """Active staff accounts of the actor's school still waiting for their first password
    change (the actor excepted), by login: the administrator's "print all waiting" list."""
    require(session, actor, Permission.USER_MANAGE, Target())
    rows = session.exec(
        select(User.id, User.login)
        .join(RoleGrant, col(RoleGrant.user_id) == User.id)
        .where(
            RoleGrant.school_id == actor.school_id,
            col(RoleGrant.role).in_([r.value for r in STAFF_ROLES]),
            col(User.is_active).is_(True),
            col(User.must_change_password).is_(True),
            User.id != actor.user_id,
        )
        .distinct()
        .order_by(col(User.login))
    ).all()
    return [user_id for user_id, _ in rows if user_id is not None]


def _issue(
    session: Session,
    *,
    actor: Actor,
    person: Student | Parent,
    role: Role,
    include_active_accounts: bool,
) -> IssuedCredentials | None:
    if person.user_id is None:
        return open_account_unchecked(session, actor=actor, person=person, role=role)
    user = session.get(User, person.user_id)
    if user is None or not user.is_active:
        return None
    if not user.must_change_password and not include_active_accounts:
        return None  # the owner already uses their own password
    return reset_unchecked(session, actor=actor, user=user)


def class_slips_pdf(
    session: Session,
    *,
    actor: Actor,
    class_id: int,
    include_parents: bool = True,
    include_active_accounts: bool = False,
    login_url: str | None = None,
) -> bytes:
    """Slips for a class's students (and their parents), each followed by their parents'.

    Students and parents without an account get one; accounts still waiting for their
    first password change get a fresh one-time password; accounts whose owners set their
    own password are left alone unless `include_active_accounts`.
    """
    require(session, actor, Permission.CREDENTIALS_ISSUE, Target(class_id=class_id))
    group = session.get(ClassGroup, class_id)
    if group is None:
        raise NotFound("Класс не найден.")
    label = group_name(group)
    students = session.exec(
        select(Student)
        .where(Student.class_id == class_id, col(Student.is_active).is_(True))
        .order_by(col(Student.last_name), col(Student.first_name), col(Student.id))
    ).all()
    # Families that refused consent get no account: they are skipped, not an error.
    refused = consent.refused_student_ids(session, [s.id for s in students if s.id is not None])
    slips: list[Slip] = []
    seen_parents: set[int] = set()
    for student in students:
        if student.id in refused:
            continue
        name = full_name(student.last_name, student.first_name, student.middle_name)
        issued = _issue(
            session,
            actor=actor,
            person=student,
            role=Role.STUDENT,
            include_active_accounts=include_active_accounts,
        )
        if issued is not None:
            slips.append(Slip(name, f"Учащийся, {label}", issued.login, issued.one_time_password))
        if not include_parents:
            continue
        parents = session.exec(
            select(Parent)
            .join(ParentLink, col(ParentLink.parent_id) == Parent.id)
            .where(ParentLink.student_id == student.id)
            .order_by(col(Parent.id))
        ).all()
        for parent in parents:
            if parent.id is None or parent.id in seen_parents:
                continue
            seen_parents.add(parent.id)
            if consent.parent_family_refused(session, parent.id):
                continue  # another child of theirs is of a refusing family
            issued = _issue(
                session,
                actor=actor,
                person=parent,
                role=Role.PARENT,
                include_active_accounts=include_active_accounts,
            )
            if issued is not None:
                slips.append(
                    Slip(
                        full_name(parent.last_name, parent.first_name, parent.middle_name),
                        f"Родитель: {student.last_name} {student.first_name}, {label}",
                        issued.login,
                        issued.one_time_password,
                    )
                )
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.PRINT_SLIPS,
        entity=AuditEntity.CLASS_GROUP,
        entity_id=class_id,
        after={"slips": len(slips), "include_parents": include_parents},
    )
    pdf = render_slips(
        slips,
        school_name=_school_name(session, actor.school_id),
        login_url=login_url or default_login_url(),
    )
    return pdf
