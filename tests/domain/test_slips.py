"""Printable credential slips: a real PDF with Cyrillic names, logins and working passwords."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlmodel import select

from ejournal.domain.errors import PermissionDenied
from ejournal.domain.models import AuditLog, Role, User
from ejournal.domain.people.auth import authenticate
from ejournal.domain.people.slips import (
    Slip,
    class_slips_pdf,
    render_slips,
    staff_slips_pdf,
    waiting_staff_ids,
)
from tests.domain.account_factories import (
    actor_of,
    make_class,
    make_parent,
    make_school,
    make_staff,
    make_student,
    make_user,
)

pytestmark = pytest.mark.db


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _credentials(text: str) -> list[tuple[str, str]]:
    """(login, password) pairs as printed on the slips."""
    logins = re.findall(r"Логин:\s*(\S+)", text)
    passwords = re.findall(r"Пароль:\s*(\S+)", text)
    assert len(logins) == len(passwords)
    return list(zip(logins, passwords, strict=True))


@pytest.fixture()
def school(session):
    return make_school(session, "Гимназия № 7 имени А. С. Пушкина")


@pytest.fixture()
def group(session, school):
    return make_class(session, school, 3, "Б")


@pytest.fixture()
def family(session, school, group):
    """Two students of the class without accounts and a parent of the first."""
    first = make_student(
        session, school, group, account=False, last_name="Ёлкина", first_name="Дарья"
    )
    second = make_student(
        session, school, group, account=False, last_name="Щербаков", first_name="Илья"
    )
    parent = make_parent(
        session, school, [first], account=False, last_name="Ёлкин", first_name="Степан"
    )
    return first, second, parent


@pytest.fixture()
def head(session, school, group):
    _, user = make_staff(session, school, [Role.TEACHER, Role.CLASS_TEACHER], class_id=group.id)
    return actor_of(session, user)


def test_class_slips_are_a_pdf_with_cyrillic_names(session, head, group, family):
    """The PDF opens with pypdf and shows the school, the names and the class."""
    text = "\n".join(_pages(class_slips_pdf(session, actor=head, class_id=group.id)))
    for name in ("Ёлкина Дарья", "Щербаков Илья", "Ёлкин Степан", "3 «Б»", "Пушкина"):
        assert name in text


def test_printed_passwords_log_in(session, head, group, family):
    """Every login and one-time password on the slips actually logs in."""
    text = "\n".join(_pages(class_slips_pdf(session, actor=head, class_id=group.id)))
    pairs = _credentials(text)
    assert len(pairs) == 3
    for login, password in pairs:
        result = authenticate(session, login=login, password=password)
        assert result.ok and result.must_change_password


def test_slips_tell_how_to_log_in(session, head, group, family):
    """Each slip has the login address and the steps to change the password."""
    text = "\n".join(
        _pages(
            class_slips_pdf(
                session, actor=head, class_id=group.id, login_url="https://school7.example/login"
            )
        )
    )
    assert text.count("https://school7.example/login") == 3
    assert "Придумайте свой пароль" in text


def test_parents_can_be_left_out(session, head, group, family):
    """include_parents=False prints only the students."""
    text = "\n".join(
        _pages(class_slips_pdf(session, actor=head, class_id=group.id, include_parents=False))
    )
    assert "Ёлкин Степан" not in text and len(_credentials(text)) == 2


def test_accounts_in_use_are_left_alone(session, school, head, group):
    """A student who set their own password gets no slip, and their password still works."""
    student = make_student(session, school, group, last_name="Занятов")
    text = "\n".join(_pages(class_slips_pdf(session, actor=head, class_id=group.id)))
    assert "Занятов" not in text
    login = session.get(User, student.user_id).login
    assert authenticate(session, login=login, password="верный-пароль-42").ok


def test_class_slips_of_another_class_are_refused(session, school, head):
    """A class teacher prints only their own class's slips."""
    other = make_class(session, school, 4, "В")
    make_student(session, school, other, account=False)
    with pytest.raises(PermissionDenied):
        class_slips_pdf(session, actor=head, class_id=other.id)


def test_staff_slips_reset_and_audit_each_account(session, school):
    """The admin's staff slips carry fresh passwords, each reset audited."""
    _, admin = make_staff(session, school, [Role.ADMIN])
    _, teacher = make_staff(session, school, last_name="Жукова", first_name="Светлана")
    pdf = staff_slips_pdf(session, actor=actor_of(session, admin), user_ids=[teacher.id])
    text = "\n".join(_pages(pdf))
    assert "Жукова Светлана" in text and "Учитель" in text
    [(login, password)] = _credentials(text)
    assert login == teacher.login
    assert authenticate(session, login=login, password=password).ok
    resets = session.exec(select(AuditLog).where(AuditLog.action == "password_reset")).all()
    assert [(r.actor_id, r.entity_id) for r in resets] == [(admin.id, teacher.id)]


def test_class_teacher_cannot_print_staff_slips(session, school, head):
    """Staff credentials come only from the administrator."""
    _, colleague = make_staff(session, school)
    with pytest.raises(PermissionDenied):
        staff_slips_pdf(session, actor=head, user_ids=[colleague.id])


def test_waiting_staff_are_the_schools_active_staff_with_a_one_time_password(session, school):
    """The "all waiting" list: active staff of this school who still must change the password."""
    _, admin = make_staff(session, school, [Role.ADMIN])
    _, waiting = make_staff(session, school, must_change_password=True)
    make_staff(session, school)  # already set their own password
    _, blocked = make_staff(session, school, must_change_password=True)
    blocked.is_active = False
    session.add(blocked)
    make_user(session, school, [Role.STUDENT], must_change_password=True)
    make_staff(session, make_school(session, "Другая школа"), must_change_password=True)
    session.flush()
    assert waiting_staff_ids(session, actor=actor_of(session, admin)) == [waiting.id]


def test_class_teacher_cannot_list_waiting_staff(session, school, head):
    """Only the administrator sees whom to print staff slips for."""
    with pytest.raises(PermissionDenied):
        waiting_staff_ids(session, actor=head)


def test_ten_slips_a_page():
    """Eleven slips take two A4 pages."""
    slips = [Slip(f"Учащийся {i}", "Учащийся, 1 «А»", f"login{i}", "pw") for i in range(11)]
    pdf = render_slips(slips, school_name="Школа", login_url="http://x/login")
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 2
    assert "login10" in pages[1].extract_text() and "login10" not in pages[0].extract_text()
