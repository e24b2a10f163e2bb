"""Administration of accounts: search, create, block, reset, roles, parent links."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import func, select

from ejournal.domain.errors import NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import AuditLog, ClassGroup, ParentLink, Role, RoleGrant, Staff, User
from ejournal.domain.people.auth import authenticate, validate_session
from ejournal.domain.people.users import (
    create_parent,
    create_staff_user,
    create_student,
    grant_role,
    link_parent,
    login_base,
    reset_password,
    revoke_role,
    search_users,
    set_active,
    unlink_parent,
)
from ejournal.domain.permissions import Permission, Target, allowed
from tests.domain.account_factories import (
    PASSWORD,
    actor_of,
    make_class,
    make_parent,
    make_school,
    make_staff,
    make_student,
)

pytestmark = pytest.mark.db


def _audit_count(session) -> int:
    return session.exec(select(func.count()).select_from(AuditLog)).one()


def _login(session, login, password=PASSWORD):
    return authenticate(session, login=login, password=password)


@pytest.fixture()
def school(session):
    return make_school(session)


@pytest.fixture()
def admin(session, school):
    _, user = make_staff(session, school, [Role.ADMIN], last_name="Админова")
    return actor_of(session, user)


@pytest.fixture()
def group(session, school):
    return make_class(session, school, 5, "А")


@pytest.fixture()
def head(session, school, group):
    """The class teacher of `group`."""
    _, user = make_staff(session, school, [Role.TEACHER, Role.CLASS_TEACHER], class_id=group.id)
    return actor_of(session, user)


# --------------------------------------------------------------------------- logins


@pytest.mark.parametrize(
    ("names", "login"),
    [
        (("Иванова", "Анна", "Петровна"), "ivanova.ap"),
        (("Щукин", "Юрий", "Ёжикович"), "shchukin.ie"),
        (("Цой", "Хельга", ""), "tsoi.k"),
        (("Петров-Водкин", "Кузьма", "Сергеевич"), "petrov-vodkin.ks"),
        (("Объедков", "Ян", "Ильич"), "obieedkov.ii"),
    ],
)
def test_login_is_the_transliterated_surname_and_initials(names, login):
    """Logins follow passport transliteration: Иванова Анна Петровна → ivanova.ap."""
    assert login_base(*names) == login


def test_clashing_logins_are_numbered(session, admin):
    """A second Иванова А. П. gets ivanova.ap2, a third ivanova.ap3."""
    logins = [
        create_staff_user(
            session,
            actor=admin,
            last_name="Иванова",
            first_name="Анна",
            middle_name="Петровна",
            roles=[Role.TEACHER],
        ).login
        for _ in range(3)
    ]
    assert logins == ["ivanova.ap", "ivanova.ap2", "ivanova.ap3"]


# --------------------------------------------------------------------------- search


def test_search_finds_cyrillic_names_in_any_case(session, school, admin):
    """ "иВАНОВА" finds Иванова: case-insensitive for Cyrillic on every database."""
    make_staff(session, school, last_name="Иванова", first_name="Анна")
    make_staff(session, school, last_name="Смирнов", first_name="Олег")
    rows = search_users(session, actor=admin, query="иВАНОВА")
    assert [r.full_name for r in rows] == ["Иванова Анна Ивановна"]


def test_search_treats_yo_as_ye(session, school, admin):
    """Typing «е» finds «Королёва»."""
    make_staff(session, school, last_name="Королёва", first_name="Ольга")
    assert [r.full_name for r in search_users(session, actor=admin, query="королева")] == [
        "Королёва Ольга Ивановна"
    ]


def test_search_by_login_and_by_several_words(session, school, admin):
    """A login fragment, or a surname with a first name, narrows the list."""
    _, user = make_staff(session, school, last_name="Иванова", first_name="Анна")
    make_staff(session, school, last_name="Иванова", first_name="Вера")
    assert [r.user_id for r in search_users(session, actor=admin, query=user.login)] == [user.id]
    assert [r.user_id for r in search_users(session, actor=admin, query="анна иванова")] == [
        user.id
    ]


def test_search_filters_by_role_and_shows_roles(session, school, group, admin):
    """The role filter keeps only holders of that role; rows show every role."""
    _, user = make_staff(session, school, [Role.TEACHER, Role.CLASS_TEACHER], class_id=group.id)
    make_staff(session, school, [Role.TEACHER])
    rows = search_users(session, actor=admin, role=Role.CLASS_TEACHER)
    assert [r.user_id for r in rows] == [user.id]
    assert rows[0].roles == (Role.TEACHER, Role.CLASS_TEACHER)
    assert rows[0].class_teacher_of == (group.id,)


def test_search_lists_only_the_actors_school(session, school, admin):
    """Another school's accounts never appear."""
    other = make_school(session, "Другая школа")
    make_staff(session, other, last_name="Чужая")
    assert search_users(session, actor=admin, query="Чужая") == []


def test_search_needs_user_management(session, school):
    """A teacher cannot list accounts."""
    _, teacher = make_staff(session, school)
    with pytest.raises(PermissionDenied):
        search_users(session, actor=actor_of(session, teacher))


# --------------------------------------------------------------------------- creating


def test_new_staff_member_logs_in_with_the_one_time_password(session, admin):
    """The issued password works once and demands a new one."""
    issued = create_staff_user(
        session,
        actor=admin,
        last_name="Кузнецов",
        first_name="Игорь",
        middle_name="Львович",
        roles=[Role.TEACHER],
    )
    result = _login(session, issued.login, issued.one_time_password)
    assert result.ok and result.must_change_password and result.user_id == issued.user_id


def test_new_class_teacher_leads_the_class(session, admin, group):
    """Creating a class teacher grants the class and sets the class's teacher."""
    issued = create_staff_user(
        session,
        actor=admin,
        last_name="Орлова",
        first_name="Нина",
        middle_name="",
        roles=[Role.TEACHER, Role.CLASS_TEACHER],
        class_id=group.id,
    )
    staff = session.exec(select(Staff).where(Staff.user_id == issued.user_id)).one()
    assert session.get(ClassGroup, group.id).class_teacher_id == staff.id
    assert actor_of(session, session.get(User, issued.user_id)).class_teacher_of == {group.id}


def test_creation_is_audited_without_the_password(session, admin):
    """The audit shows who created which login; the password is nowhere in it."""
    issued = create_staff_user(
        session,
        actor=admin,
        last_name="Белов",
        first_name="Ян",
        middle_name="",
        roles=[Role.DEPUTY],
    )
    rows = session.exec(select(AuditLog).where(AuditLog.entity_id == issued.user_id)).all()
    assert {r.action for r in rows} == {"create", "role_grant"}
    assert all(r.actor_id == admin.user_id for r in rows)
    assert all(issued.one_time_password not in r.after for r in rows)


def test_only_the_admin_creates_staff_and_a_refusal_changes_nothing(session, school, head):
    """A class teacher cannot create staff; no user and no audit row appear."""
    users, audits = (
        session.exec(select(func.count()).select_from(User)).one(),
        _audit_count(session),
    )
    with pytest.raises(PermissionDenied):
        create_staff_user(
            session,
            actor=head,
            last_name="Хакер",
            first_name="Ян",
            middle_name="",
            roles=[Role.ADMIN],
        )
    assert session.exec(select(func.count()).select_from(User)).one() == users
    assert _audit_count(session) == audits


def test_staff_cannot_get_family_roles(session, admin):
    """Parent and student roles belong to parent and student records."""
    with pytest.raises(ValidationError):
        create_staff_user(
            session, actor=admin, last_name="А", first_name="Б", middle_name="", roles=[Role.PARENT]
        )


def test_class_teacher_creates_a_student_of_their_class(session, head, group):
    """The class teacher registers a student of their own class with an account."""
    issued = create_student(
        session,
        actor=head,
        last_name="Новиков",
        first_name="Артём",
        middle_name="",
        class_id=group.id,
        gender="m",
        birth_date=dt.date(2015, 1, 1),
    )
    actor = actor_of(session, session.get(User, issued.user_id))
    assert actor.roles == {Role.STUDENT} and actor.student_id is not None


def test_class_teacher_cannot_create_a_student_in_another_class(session, school, head):
    """Another class is refused."""
    other = make_class(session, school, 7, "В")
    with pytest.raises(PermissionDenied):
        create_student(
            session,
            actor=head,
            last_name="Новиков",
            first_name="Артём",
            middle_name="",
            class_id=other.id,
            gender="m",
            birth_date=dt.date(2015, 1, 1),
        )


def test_class_teacher_creates_a_parent_linked_to_a_child(session, school, head, group):
    """A new parent account of an own-class child reads that child's diary."""
    child = make_student(session, school, group)
    issued = create_parent(
        session,
        actor=head,
        last_name="Новикова",
        first_name="Ирина",
        middle_name="",
        student_ids=[child.id],
        relation="мать",
    )
    user = session.get(User, issued.user_id)
    user.must_change_password = False  # as after the first login
    parent = actor_of(session, user)
    assert allowed(session, parent, Permission.DIARY_READ, Target(student_id=child.id))


def test_class_teacher_cannot_create_a_parent_of_another_classs_child(session, school, head):
    """A child of another class is refused."""
    child = make_student(session, school, make_class(session, school, 8, "Г"))
    with pytest.raises(PermissionDenied):
        create_parent(
            session,
            actor=head,
            last_name="Х",
            first_name="Ю",
            middle_name="",
            student_ids=[child.id],
        )


# --------------------------------------------------------------------------- blocking


def test_blocking_ends_the_users_sessions_and_refuses_login(session, school, admin):
    """A blocked user's open session stops working at once and they cannot log in."""
    _, user = make_staff(session, school)
    token = _login(session, user.login).token
    set_active(session, actor=admin, user_id=user.id, active=False)
    assert validate_session(session, token) is None
    assert not _login(session, user.login).ok


def test_unblocking_lets_the_user_in_again(session, school, admin):
    """An unblocked user logs in with their password."""
    _, user = make_staff(session, school)
    set_active(session, actor=admin, user_id=user.id, active=False)
    set_active(session, actor=admin, user_id=user.id, active=True)
    assert _login(session, user.login).ok


def test_blocking_is_audited(session, school, admin):
    """Block and unblock each leave an audit row by the admin."""
    _, user = make_staff(session, school)
    set_active(session, actor=admin, user_id=user.id, active=False)
    set_active(session, actor=admin, user_id=user.id, active=True)
    actions = session.exec(
        select(AuditLog.action).where(AuditLog.entity_id == user.id).order_by(AuditLog.id)
    ).all()
    assert actions == ["block", "unblock"]


def test_admin_cannot_block_themself(session, admin):
    """The last way in is not thrown away by a slip of the mouse."""
    with pytest.raises(ValidationError):
        set_active(session, actor=admin, user_id=admin.user_id, active=False)


def test_only_the_admin_blocks(session, school, head):
    """A class teacher cannot block anyone."""
    _, user = make_staff(session, school)
    with pytest.raises(PermissionDenied):
        set_active(session, actor=head, user_id=user.id, active=False)
    assert session.get(User, user.id).is_active


# --------------------------------------------------------------------------- reset


def test_reset_gives_a_new_one_time_password(session, school, admin):
    """After a reset the old password fails and the new one works once."""
    _, user = make_staff(session, school)
    issued = reset_password(session, actor=admin, user_id=user.id)
    assert not _login(session, user.login).ok
    result = _login(session, user.login, issued.one_time_password)
    assert result.ok and result.must_change_password


def test_reset_lets_a_locked_owner_in(session, school, admin):
    """A lock does not stop the owner: the admin's reset clears it."""
    _, user = make_staff(session, school)
    user.failed_logins, user.locked_until = 8, dt.datetime(2999, 1, 1, tzinfo=dt.UTC)
    session.add(user)
    issued = reset_password(session, actor=admin, user_id=user.id)
    assert _login(session, user.login, issued.one_time_password).ok


def test_reset_ends_the_users_sessions(session, school, admin):
    """Whoever held the old password is logged out by a reset."""
    _, user = make_staff(session, school)
    token = _login(session, user.login).token
    reset_password(session, actor=admin, user_id=user.id)
    assert validate_session(session, token) is None


def test_class_teacher_resets_own_students_and_their_parents(session, school, head, group):
    """A class teacher reissues credentials for their class's families."""
    child = make_student(session, school, group)
    parent = make_parent(session, school, [child])
    assert reset_password(session, actor=head, user_id=child.user_id).login
    assert reset_password(session, actor=head, user_id=parent.user_id).login


def test_class_teacher_cannot_reset_others(session, school, head):
    """Another class's student and any staff member are refused."""
    stranger = make_student(session, school, make_class(session, school, 9, "Д"))
    _, colleague = make_staff(session, school)
    for user_id in (stranger.user_id, colleague.id):
        with pytest.raises(PermissionDenied):
            reset_password(session, actor=head, user_id=user_id)


# --------------------------------------------------------------------------- roles


def test_grant_and_revoke_a_role(session, school, admin):
    """A granted role appears on the actor and is gone after revoking, both audited."""
    _, user = make_staff(session, school)
    grant_role(session, actor=admin, user_id=user.id, role=Role.DEPUTY)
    assert Role.DEPUTY in actor_of(session, user).roles
    revoke_role(session, actor=admin, user_id=user.id, role=Role.DEPUTY)
    assert Role.DEPUTY not in actor_of(session, user).roles
    actions = session.exec(
        select(AuditLog.action).where(AuditLog.entity_id == user.id).order_by(AuditLog.id)
    ).all()
    assert actions == ["role_grant", "role_revoke"]


def test_new_class_teacher_replaces_the_previous_one(session, school, group, head, admin):
    """A class has one class teacher: granting it to another moves it."""
    _, newcomer = make_staff(session, school)
    grant_role(
        session, actor=admin, user_id=newcomer.id, role=Role.CLASS_TEACHER, class_id=group.id
    )
    holders = session.exec(
        select(RoleGrant.user_id).where(
            RoleGrant.role == Role.CLASS_TEACHER, RoleGrant.class_id == group.id
        )
    ).all()
    assert holders == [newcomer.id]


def test_family_roles_are_not_granted_by_hand(session, school, admin):
    """Parent and student roles come only with their records."""
    _, user = make_staff(session, school)
    with pytest.raises(ValidationError):
        grant_role(session, actor=admin, user_id=user.id, role=Role.STUDENT)


def test_the_last_admin_keeps_the_role(session, admin):
    """Revoking the last administrator would lock everybody out of administration."""
    with pytest.raises(ValidationError):
        revoke_role(session, actor=admin, user_id=admin.user_id, role=Role.ADMIN)


def test_granting_a_held_role_is_refused(session, school, admin):
    """A duplicate grant is reported, not silently stored twice."""
    _, user = make_staff(session, school)
    with pytest.raises(ValidationError):
        grant_role(session, actor=admin, user_id=user.id, role=Role.TEACHER)


# --------------------------------------------------------------------------- parent links


def test_linking_opens_and_unlinking_closes_a_childs_diary(session, school, head, group):
    """A parent reads a child's diary exactly while they are linked."""
    child = make_student(session, school, group)
    parent_record = make_parent(session, school)
    parent = actor_of(session, session.get(User, parent_record.user_id))
    target = Target(student_id=child.id)
    assert not allowed(session, parent, Permission.DIARY_READ, target)
    link_parent(
        session, actor=head, parent_id=parent_record.id, student_id=child.id, relation="отец"
    )
    assert allowed(session, parent, Permission.DIARY_READ, target)
    unlink_parent(session, actor=head, parent_id=parent_record.id, student_id=child.id)
    assert not allowed(session, parent, Permission.DIARY_READ, target)
    assert (
        session.exec(select(ParentLink).where(ParentLink.parent_id == parent_record.id)).all() == []
    )


def test_linking_another_classs_child_is_refused(session, school, head):
    """A class teacher links parents only to children of their class."""
    child = make_student(session, school, make_class(session, school, 10, "Е"))
    parent_record = make_parent(session, school)
    with pytest.raises(PermissionDenied):
        link_parent(session, actor=head, parent_id=parent_record.id, student_id=child.id)


def test_unlinking_a_missing_link_is_not_found(session, school, head, group):
    """Removing a link that does not exist says so."""
    child = make_student(session, school, group)
    parent_record = make_parent(session, school)
    with pytest.raises(NotFound):
        unlink_parent(session, actor=head, parent_id=parent_record.id, student_id=child.id)
