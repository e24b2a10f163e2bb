"""The role × permission matrix and object scope: who may do what to which object."""

from __future__ import annotations

import pytest

from ejournal.domain.errors import PermissionDenied
from ejournal.domain.models import Role, RoleGrant, User
from ejournal.domain.permissions import (
    MATRIX,
    Permission,
    Scope,
    Target,
    allowed,
    matrix_markdown,
    require,
)
from tests.domain.account_factories import (
    actor_of,
    make_assignment,
    make_class,
    make_lesson,
    make_parent,
    make_school,
    make_staff,
    make_student,
)

pytestmark = pytest.mark.db

P = Permission


# --------------------------------------------------------------------------- the matrix


@pytest.mark.parametrize(
    ("role", "permission", "scope"),
    [
        (Role.ADMIN, P.USER_MANAGE, Scope.ALL),
        (Role.ADMIN, P.AUDIT_READ, Scope.ALL),
        (Role.ADMIN, P.CREDENTIALS_ISSUE, Scope.ALL),
        (Role.DIRECTOR, P.JOURNAL_READ, Scope.ALL),
        (Role.DIRECTOR, P.AUDIT_READ, Scope.ALL),
        (Role.DEPUTY, P.JOURNAL_READ, Scope.ALL),
        (Role.DEPUTY, P.ANALYTICS_READ, Scope.ALL),
        (Role.DEPUTY, P.TIMETABLE_MANAGE, Scope.ALL),
        (Role.TEACHER, P.MARK_WRITE, Scope.OWN_TEACHING),
        (Role.TEACHER, P.LESSON_WRITE, Scope.OWN_TEACHING),
        (Role.TEACHER, P.JOURNAL_READ, Scope.OWN_TEACHING),
        (Role.CLASS_TEACHER, P.JOURNAL_READ, Scope.OWN_CLASS),
        (Role.CLASS_TEACHER, P.ATTENDANCE_EXCUSE, Scope.OWN_CLASS),
        (Role.CLASS_TEACHER, P.CREDENTIALS_ISSUE, Scope.OWN_CLASS),
        (Role.SECRETARY, P.IMPORT_LISTS, Scope.ALL),
        (Role.PARENT, P.DIARY_READ, Scope.OWN_CHILDREN),
        (Role.PARENT, P.WEEK_CONFIRM, Scope.OWN_CHILDREN),
        (Role.STUDENT, P.DIARY_READ, Scope.SELF),
    ],
)
def test_matrix_grants(role, permission, scope):
    """Each role holds the permissions domain.md gives it, with the stated scope."""
    assert MATRIX[role][permission] is scope


@pytest.mark.parametrize(
    ("role", "permission"),
    [
        (Role.STUDENT, P.JOURNAL_READ),
        (Role.PARENT, P.JOURNAL_READ),
        (Role.STUDENT, P.MARK_WRITE),
        (Role.PARENT, P.MARK_WRITE),
        (Role.DIRECTOR, P.MARK_WRITE),
        (Role.DEPUTY, P.MARK_WRITE),
        (Role.ADMIN, P.JOURNAL_READ),
        (Role.ADMIN, P.MARK_WRITE),
        (Role.SECRETARY, P.JOURNAL_READ),
        (Role.CLASS_TEACHER, P.MARK_WRITE),
        (Role.TEACHER, P.USER_MANAGE),
        (Role.DEPUTY, P.AUDIT_READ),
    ],
)
def test_matrix_denies(role, permission):
    """What a role is not given, it does not have (deny by default)."""
    assert permission not in MATRIX[role]


def test_every_role_manages_its_own_account():
    """Everybody may change their own password and end their own sessions."""
    assert all(MATRIX[role][P.OWN_ACCOUNT] is Scope.SELF for role in Role)


def test_matrix_markdown_lists_every_permission_and_role():
    """The README table has a row per permission and a column per role."""
    table = matrix_markdown()
    for permission in Permission:
        assert f"`{permission.value}`" in table
    header = table.splitlines()[0]
    assert header.count("|") == len(MATRIX) + 2


# --------------------------------------------------------------------------- object scope


@pytest.fixture()
def world(session):
    """Two classes of one school, a teacher of each, a substitute, a family; another school."""
    school = make_school(session)
    a, b = make_class(session, school, 5, "А"), make_class(session, school, 6, "Б")
    teacher_a, t_a_user = make_staff(session, school, [Role.TEACHER])
    teacher_b, t_b_user = make_staff(session, school, [Role.TEACHER])
    sub, sub_user = make_staff(session, school, [Role.TEACHER])
    _, head_a = make_staff(session, school, [Role.TEACHER, Role.CLASS_TEACHER], class_id=a.id)
    assignment_a = make_assignment(session, teacher_a, a)
    assignment_b = make_assignment(session, teacher_b, b)
    lesson_a = make_lesson(session, assignment_a)
    lesson_b = make_lesson(session, assignment_b)
    lesson_b_substituted = make_lesson(session, assignment_b, substitute=sub)
    child_a = make_student(session, school, a)
    child_b = make_student(session, school, b)
    parent = make_parent(session, school, [child_a])
    other = make_school(session, "Другая школа")
    other_class = make_class(session, other)
    other_child = make_student(session, other, other_class)
    return {
        "school": school,
        "a": a,
        "b": b,
        "teacher_a": actor_of(session, t_a_user),
        "teacher_b": actor_of(session, t_b_user),
        "substitute": actor_of(session, sub_user),
        "head_a": actor_of(session, head_a),
        "assignment_a": assignment_a,
        "lesson_a": lesson_a,
        "lesson_b": lesson_b,
        "lesson_b_substituted": lesson_b_substituted,
        "child_a": child_a,
        "child_b": child_b,
        "parent_record": parent,
        "other_class": other_class,
        "other_child": other_child,
    }


def _user_actor(session, person):
    return actor_of(session, session.get(User, person.user_id))


def test_teacher_writes_the_lessons_of_their_own_assignment(session, world):
    """A teacher may write marks and topics in their own assignment's lessons."""
    t = world["teacher_a"]
    assert allowed(session, t, P.MARK_WRITE, Target(lesson_id=world["lesson_a"].id))
    assert allowed(session, t, P.LESSON_WRITE, Target(assignment_id=world["assignment_a"].id))


def test_teacher_cannot_write_another_teachers_lessons(session, world):
    """Another teacher's lesson is refused."""
    t = world["teacher_a"]
    assert not allowed(session, t, P.MARK_WRITE, Target(lesson_id=world["lesson_b"].id))
    with pytest.raises(PermissionDenied):
        require(session, t, P.LESSON_WRITE, Target(lesson_id=world["lesson_b"].id))


def test_substitute_writes_only_the_lesson_they_substitute(session, world):
    """A substitute reaches the substituted lesson, not the rest of that assignment."""
    sub = world["substitute"]
    assert allowed(session, sub, P.MARK_WRITE, Target(lesson_id=world["lesson_b_substituted"].id))
    assert not allowed(session, sub, P.MARK_WRITE, Target(lesson_id=world["lesson_b"].id))


def test_class_teacher_reads_their_class_only(session, world):
    """A class teacher reads their own class's journal and students, not another class."""
    head = world["head_a"]
    assert allowed(session, head, P.JOURNAL_READ, Target(class_id=world["a"].id))
    assert allowed(session, head, P.STUDENT_PERSONAL_READ, Target(student_id=world["child_a"].id))
    assert not allowed(session, head, P.JOURNAL_READ, Target(class_id=world["b"].id))
    assert not allowed(session, head, P.DIARY_READ, Target(student_id=world["child_b"].id))


def test_class_teacher_does_not_write_marks(session, world):
    """Leading a class does not open its lessons for marks."""
    assert not allowed(
        session, world["head_a"], P.MARK_WRITE, Target(lesson_id=world["lesson_a"].id)
    )


def test_parent_reads_only_linked_children(session, world):
    """A parent reads their own child's diary and nobody else's."""
    parent = _user_actor(session, world["parent_record"])
    assert allowed(session, parent, P.DIARY_READ, Target(student_id=world["child_a"].id))
    assert not allowed(session, parent, P.DIARY_READ, Target(student_id=world["child_b"].id))


def test_parent_never_reads_the_journal(session, world):
    """Even their own child's class journal is closed to a parent."""
    parent = _user_actor(session, world["parent_record"])
    assert not allowed(session, parent, P.JOURNAL_READ, Target(class_id=world["a"].id))


def test_student_reads_only_themself(session, world):
    """A student reads their own diary, not a classmate's."""
    student = _user_actor(session, world["child_a"])
    assert allowed(session, student, P.DIARY_READ, Target(student_id=world["child_a"].id))
    assert not allowed(session, student, P.DIARY_READ, Target(student_id=world["child_b"].id))


@pytest.mark.parametrize("target", ["class", "lesson", "self", "none"])
def test_student_never_reads_the_journal(session, world, target):
    """No target at all opens the journal to a student."""
    student = _user_actor(session, world["child_a"])
    targets = {
        "class": Target(class_id=world["a"].id),
        "lesson": Target(lesson_id=world["lesson_a"].id),
        "self": Target(student_id=world["child_a"].id),
        "none": Target(),
    }
    assert not allowed(session, student, P.JOURNAL_READ, targets[target])


@pytest.mark.parametrize("role", [Role.DEPUTY, Role.DIRECTOR])
def test_deputy_and_director_read_every_class(session, world, role):
    """The deputy and the director read the journal and diary of every class."""
    _, user = make_staff(session, world["school"], [role])
    actor = actor_of(session, user)
    for group in (world["a"], world["b"]):
        assert allowed(session, actor, P.JOURNAL_READ, Target(class_id=group.id))
    assert allowed(session, actor, P.DIARY_READ, Target(student_id=world["child_b"].id))


@pytest.mark.parametrize("role", [Role.DEPUTY, Role.DIRECTOR])
def test_another_schools_class_and_student_are_refused(session, world, role):
    """Scope "all" means all of one's own school: another school's objects are refused."""
    _, user = make_staff(session, world["school"], [role])
    actor = actor_of(session, user)
    assert not allowed(session, actor, P.JOURNAL_READ, Target(class_id=world["other_class"].id))
    assert not allowed(session, actor, P.DIARY_READ, Target(student_id=world["other_child"].id))


def test_anonymous_is_asked_to_log_in(session):
    """No actor: refused with a request to log in."""
    with pytest.raises(PermissionDenied, match="Войдите"):
        require(session, None, P.DIARY_READ)


def test_one_time_password_allows_only_own_account(session, world):
    """Until a one-time password is changed, everything but the own account is refused."""
    _, user = make_staff(session, world["school"], [Role.DIRECTOR], must_change_password=True)
    actor = actor_of(session, user)
    assert allowed(session, actor, P.OWN_ACCOUNT)
    with pytest.raises(PermissionDenied, match="смените"):
        require(session, actor, P.JOURNAL_READ, Target(class_id=world["a"].id))


def test_teacher_who_is_a_parent_keeps_both_scopes(session, world):
    """Permissions come from all roles, each confined by its own scope."""
    t = world["teacher_a"]
    parent = world["parent_record"]
    parent.user_id = t.user_id
    session.add(parent)
    session.add(RoleGrant(user_id=t.user_id, school_id=world["school"].id, role=Role.PARENT))
    session.flush()
    both = actor_of(session, session.get(User, t.user_id))
    assert allowed(session, both, P.DIARY_READ, Target(student_id=world["child_a"].id))
    assert allowed(session, both, P.MARK_WRITE, Target(lesson_id=world["lesson_a"].id))
    assert not allowed(session, both, P.DIARY_READ, Target(student_id=world["child_b"].id))
