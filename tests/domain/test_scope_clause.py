"""A scoped list shows exactly the objects the per-object check allows.

`permissions.scope_clause(actor, permission, over)` is the SQL every list filters with;
`permissions.allowed(...)` is the check every service makes on one object. For every actor
of the tiny school, every permission and every kind of row, the two must agree.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from ejournal.domain.models import ClassGroup, Student, TeachingAssignment
from ejournal.domain.permissions import Permission, Target, allowed, scope_clause
from tests.factories import TinySchool, make_school

pytestmark = pytest.mark.db

KINDS = {
    TeachingAssignment: lambda i: Target(assignment_id=i),
    ClassGroup: lambda i: Target(class_id=i),
    Student: lambda i: Target(student_id=i),
}


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


@pytest.mark.parametrize(
    "permission",
    [
        Permission.JOURNAL_READ,
        Permission.MARK_WRITE,
        Permission.DIARY_READ,
        Permission.ATTENDANCE_EXCUSE,
        Permission.ANNOUNCEMENT_WRITE,
        Permission.STUDENT_PERSONAL_READ,
    ],
)
def test_the_scoped_list_is_what_the_object_check_allows(
    session: Session, tiny: TinySchool, permission: Permission
) -> None:
    """Teacher, class teacher, deputy, parent, student: list and check agree on every row."""
    for name, actor in tiny.actors.items():
        for kind, target in KINDS.items():
            listed = set(
                session.exec(
                    select(kind.id).where(scope_clause(actor, permission, kind))  # type: ignore[attr-defined]
                ).all()
            )
            every = session.exec(select(kind.id).order_by(col(kind.id))).all()  # type: ignore[attr-defined]
            checked = {i for i in every if allowed(session, actor, permission, target(i))}
            assert listed == checked, (name, kind.__name__, permission.value)


def test_a_parent_lists_only_their_own_children(session: Session, tiny: TinySchool) -> None:
    """The family scope over students is the parent's links, nothing of the class."""
    parent = tiny.actors["parent"]
    listed = session.exec(
        select(Student.id).where(scope_clause(parent, Permission.DIARY_READ, Student))
    ).all()
    assert listed and all(
        allowed(session, parent, Permission.DIARY_READ, Target(student_id=i)) for i in listed
    )
    assert len(listed) < len(session.exec(select(Student.id)).all())
