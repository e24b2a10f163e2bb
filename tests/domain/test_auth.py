"""Logging in, throttling, sessions, own password and sessions, role homes, password rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import statistics
import threading
import time

import pytest
from sqlmodel import Session, select

from ejournal.config import get_settings
from ejournal.domain import migrate
from ejournal.domain.errors import PermissionDenied, ValidationError
from ejournal.domain.models import AuditLog, LoginEvent, Role, User, UserSession
from ejournal.domain.people import auth, throttle
from ejournal.domain.people.auth import (
    BAD_CREDENTIALS,
    authenticate,
    change_password,
    end_session,
    list_sessions,
    load_actor,
    logout,
    validate_session,
)
from ejournal.domain.people.passwords import (
    MAX_LENGTH,
    hash_password,
    hash_rounds,
    password_problem,
    verify_password,
)
from ejournal.domain.site_map import home_path
from tests.conftest import BACKENDS
from tests.domain.account_factories import (
    PASSWORD,
    actor_of,
    make_class,
    make_parent,
    make_school,
    make_staff,
    make_student,
    make_user,
)

pytestmark = pytest.mark.db

T0 = dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.UTC)
SETTINGS = get_settings()


def _login(session: Session, login: str, password: str = PASSWORD, **kw: object):
    return authenticate(session, login=login, password=password, **kw)  # type: ignore[arg-type]


def _events(session: Session, kind: str) -> list[LoginEvent]:
    return list(session.exec(select(LoginEvent).where(LoginEvent.kind == kind)).all())


@pytest.fixture()
def school(session):
    return make_school(session)


@pytest.fixture()
def teacher(session, school):
    return make_staff(session, school, [Role.TEACHER])[1]


# --------------------------------------------------------------------------- logging in


def test_unknown_login_and_wrong_password_give_the_same_message(session, teacher):
    """An attacker cannot tell an unknown login from a wrong password."""
    unknown = _login(session, "no.such.user", now=T0)
    wrong = _login(session, teacher.login, "не-тот-пароль", now=T0)
    assert not unknown.ok and not wrong.ok
    assert unknown.message == wrong.message == BAD_CREDENTIALS


def test_unknown_login_still_costs_one_password_check(session, monkeypatch):
    """An unknown login runs one bcrypt verify against a dummy hash, so timing does not tell."""
    calls = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda p, h: calls.append(h) or real(p, h))
    _login(session, "nobody.here", now=T0)
    assert len(calls) == 1
    assert hash_rounds(calls[0]) == SETTINGS.bcrypt_rounds


def _use_settings(monkeypatch: pytest.MonkeyPatch, **changes: object) -> None:
    """Settings changed for authentication and throttling alike."""
    changed = dataclasses.replace(SETTINGS, **changes)  # type: ignore[arg-type]
    for module in (auth, throttle):
        monkeypatch.setattr(module, "get_settings", lambda: changed)


def _failure_cases(session, school, rounds: int) -> dict[str, tuple[str, str]]:
    """Login and address of each kind of failed attempt, the accounts arranged for it."""
    later = T0 + dt.timedelta(hours=1)
    _, normal = make_staff(session, school, rounds=rounds)
    # A one-time password, hashed cheaper as issued slips and the demo seed hash them.
    _, one_time = make_staff(session, school, must_change_password=True, rounds=4)
    _, blocked = make_staff(session, school, rounds=rounds)
    blocked.is_active = False
    _, waiting = make_staff(session, school, rounds=rounds)
    waiting.failed_logins, waiting.locked_until = 50, later
    session.add_all([blocked, waiting])
    crowded = "203.0.113.9"
    session.add_all(
        LoginEvent(at=T0, login="x", kind="failure", ip=crowded)
        for _ in range(SETTINGS.address_free_failures + 10)
    )
    session.commit()
    return {
        "unknown login": ("no.such.user", "198.51.100.1"),
        "one-time password": (one_time.login, "198.51.100.2"),
        "own password": (normal.login, "198.51.100.3"),
        "blocked account": (blocked.login, "198.51.100.4"),
        "account waiting": (waiting.login, "198.51.100.5"),
        "address waiting": (normal.login, crowded),
    }


def test_every_failed_login_does_one_check_at_full_cost(session, school, monkeypatch):
    """Whatever the account's state, a failure runs one verify at the configured cost."""
    _use_settings(monkeypatch, bcrypt_rounds=6, lock_after_failures=100)
    cases = _failure_cases(session, school, rounds=6)
    real = auth.verify_password
    costs: list[int] = []
    monkeypatch.setattr(
        auth, "verify_password", lambda p, h: costs.append(hash_rounds(h)) or real(p, h)
    )
    for case, (login, ip) in cases.items():
        costs.clear()
        result = _login(session, login, "не-тот-пароль", now=T0, ip=ip)
        assert not result.ok, case
        assert costs.count(6) == 1 and all(c < 6 for c in costs if c != 6), (case, costs)


def _medians_ms(session, cases: dict[str, tuple[str, str]], tries: int) -> dict[str, float]:
    times: dict[str, list[float]] = {case: [] for case in cases}
    for _ in range(tries):  # round robin: a busy moment of the machine hits every case
        for case, (login, ip) in cases.items():
            # The thread's own CPU time: what the server works for an answer, undisturbed
            # by other processes on a busy machine (wall time there is mostly their noise).
            start = time.thread_time()
            _login(session, login, "не-тот-пароль", now=T0, ip=ip)
            times[case].append((time.thread_time() - start) * 1000)
    return {case: statistics.median(t) for case, t in times.items()}


def test_failed_logins_take_the_same_time_whatever_the_account(session, school, monkeypatch):
    """Unknown login, one-time password, own password, blocked or waiting account, waiting
    address: the median times of failures agree, so timing tells no account's state."""
    # Cost 9 (about 30 ms here) lets the hash dominate as cost 12 does in production; the
    # one-time password stays at cost 4, as cheap as the seed's (the bug made it ≈ 1 ms).
    _use_settings(monkeypatch, bcrypt_rounds=9, lock_after_failures=100)
    cases = _failure_cases(session, school, rounds=9)
    _medians_ms(session, {"warm-up": ("warm.up", "198.51.100.99")}, 2)  # the dummy hash
    medians = _medians_ms(session, cases, 9)
    print("failed-login medians, ms:", {k: round(v, 1) for k, v in medians.items()})
    # Equal work leaves only noise; the cheap one-time password of the bug answered ≈6
    # times faster than the rest.
    assert max(medians.values()) / min(medians.values()) < 2, medians


def test_blocked_user_is_refused_with_the_same_message(session, school):
    """A blocked user with the right password gets the ordinary refusal."""
    _, user = make_staff(session, school)
    user.is_active = False
    session.add(user)
    result = _login(session, user.login, now=T0)
    assert not result.ok and result.message == BAD_CREDENTIALS and result.token is None


def test_login_ignores_case_and_surrounding_spaces(session, teacher):
    """Phones capitalise the first letter; the login still matches."""
    result = _login(session, f"  {teacher.login.capitalize()} ", now=T0)
    assert result.ok


def test_success_gives_a_long_random_token_and_stores_only_its_hash(session, teacher):
    """The raw token has ≥128 bits and never reaches the database, only its SHA-256 does."""
    result = _login(session, teacher.login, now=T0)
    assert result.ok and result.message == "" and result.user_id == teacher.id
    assert result.token is not None and len(result.token) >= 43  # 32 bytes, base64url
    stored = session.exec(select(UserSession).where(UserSession.user_id == teacher.id)).one()
    assert stored.token_hash == hashlib.sha256(result.token.encode()).hexdigest()
    assert stored.token_hash != result.token


def test_every_login_issues_a_new_token(session, teacher):
    """Two logins of one user get different tokens (a fresh token per login)."""
    first = _login(session, teacher.login, now=T0)
    second = _login(session, teacher.login, now=T0)
    assert first.token != second.token


def test_success_and_failure_are_login_events(session, teacher):
    """Each attempt is recorded with its kind, login, address and browser."""
    _login(session, teacher.login, "неверный-пароль", now=T0, ip="10.0.0.7")
    _login(session, teacher.login, now=T0, ip="10.0.0.7", user_agent="Firefox")
    failure, success = _events(session, "failure"), _events(session, "success")
    assert [(e.user_id, e.ip) for e in failure] == [(teacher.id, "10.0.0.7")]
    assert [(e.user_id, e.user_agent) for e in success] == [(teacher.id, "Firefox")]


def test_success_resets_the_failure_counter(session, teacher):
    """Failures below the threshold are forgotten after a successful login."""
    for _ in range(SETTINGS.lock_after_failures - 1):
        _login(session, teacher.login, "неверный-пароль", now=T0)
    assert _login(session, teacher.login, now=T0).ok
    session.refresh(teacher)
    assert teacher.failed_logins == 0 and teacher.locked_until is None


def test_failures_below_the_threshold_have_no_delay(session, teacher):
    """The first few mistakes cost nothing: the owner may simply retype."""
    for _ in range(SETTINGS.lock_after_failures - 1):
        result = _login(session, teacher.login, "неверный-пароль", now=T0)
        assert result.retry_after_seconds == 0


def test_must_change_password_is_reported(session, school):
    """A one-time password logs in and asks for a new password."""
    _, user = make_staff(session, school, must_change_password=True)
    result = _login(session, user.login, now=T0)
    assert result.ok and result.must_change_password


def test_account_without_roles_is_refused(session, school):
    """A user with no role cannot log in, whatever the password."""
    user = make_user(session, school, [])
    result = _login(session, user.login, now=T0)
    assert not result.ok and result.token is None


def test_cheap_hash_is_upgraded_at_login(session, teacher, monkeypatch):
    """A password hashed below the configured cost is re-hashed at that cost on login."""
    stronger = dataclasses.replace(SETTINGS, bcrypt_rounds=5)
    monkeypatch.setattr(auth, "get_settings", lambda: stronger)
    assert _login(session, teacher.login, now=T0).ok
    session.refresh(teacher)
    assert hash_rounds(teacher.password_hash) == 5
    assert verify_password(PASSWORD, teacher.password_hash)


@pytest.mark.parametrize("empty_db", BACKENDS, indirect=True)
def test_concurrent_logins_in_threads_each_get_a_session(empty_db):
    """authenticate is safe to run in worker threads, each with its own Session."""
    migrate.upgrade(empty_db.engine)
    with Session(empty_db.engine) as s:
        school = make_school(s)
        logins = [make_staff(s, school)[1].login for _ in range(4)]
        s.commit()
    results = []

    def run(login: str) -> None:
        with Session(empty_db.engine) as s:
            results.append(_login(s, login))
            s.commit()  # the boundary's commit (db.run_transaction in the app)

    threads = [threading.Thread(target=run, args=(login,)) for login in logins]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.ok for r in results) == [True] * 4
    with Session(empty_db.engine) as s:
        assert len(s.exec(select(UserSession)).all()) == 4


# --------------------------------------------------------------------------- sessions


def test_staff_session_ends_after_idle_minutes(session, teacher):
    """A staff session idle longer than staff_idle_minutes is refused."""
    token = _login(session, teacher.login, now=T0).token
    idle = dt.timedelta(minutes=SETTINGS.staff_idle_minutes)
    assert validate_session(session, token, now=T0 + idle - dt.timedelta(seconds=1)) is not None
    later = T0 + idle - dt.timedelta(seconds=1) + idle + dt.timedelta(seconds=2)
    assert validate_session(session, token, now=later) is None


def test_staff_session_ends_after_absolute_hours_even_when_busy(session, teacher):
    """Activity keeps a staff session alive only up to staff_absolute_hours."""
    token = _login(session, teacher.login, now=T0).token
    now = T0
    end = T0 + dt.timedelta(hours=SETTINGS.staff_absolute_hours)
    while now + dt.timedelta(minutes=20) < end:
        now += dt.timedelta(minutes=20)
        assert validate_session(session, token, now=now) is not None
    assert validate_session(session, token, now=end) is None


def test_staff_cannot_choose_remember_me(session, teacher):
    """remember=True from a staff member still gets the staff limits."""
    _login(session, teacher.login, now=T0, remember=True)
    row = session.exec(select(UserSession).where(UserSession.user_id == teacher.id)).one()
    assert not row.remember
    assert row.idle_minutes == SETTINGS.staff_idle_minutes
    assert row.expires_at == T0 + dt.timedelta(hours=SETTINGS.staff_absolute_hours)


def test_family_remember_me_lasts_remember_days(session, school):
    """A parent who ticks "remember" stays logged in for days without activity."""
    parent = make_parent(session, school)
    login = session.get(User, parent.user_id).login
    token = _login(session, login, now=T0, remember=True).token
    days = SETTINGS.remember_days
    assert validate_session(session, token, now=T0 + dt.timedelta(days=days - 1)) is not None
    assert validate_session(session, token, now=T0 + dt.timedelta(days=days)) is None


def test_family_without_remember_has_family_idle_limit(session, school):
    """A student who does not tick "remember" is logged out after family_idle_minutes."""
    student = make_student(session, school, make_class(session, school))
    login = session.get(User, student.user_id).login
    token = _login(session, login, now=T0).token
    idle = dt.timedelta(minutes=SETTINGS.family_idle_minutes)
    assert validate_session(session, token, now=T0 + idle, touch=False) is not None
    assert validate_session(session, token, now=T0 + idle + dt.timedelta(seconds=1)) is None


def test_unknown_token_is_refused(session, teacher):
    """A token the server never issued gives no actor."""
    _login(session, teacher.login, now=T0)
    assert validate_session(session, "forged-token-value", now=T0) is None
    assert validate_session(session, "", now=T0) is None


def test_session_of_a_blocked_user_is_refused(session, teacher):
    """Blocking takes effect on the next event even if the session was not ended."""
    token = _login(session, teacher.login, now=T0).token
    teacher.is_active = False
    session.add(teacher)
    assert validate_session(session, token, now=T0) is None


def test_valid_session_gives_the_actor(session, school):
    """validate_session returns who is acting, with their roles and staff record."""
    staff, user = make_staff(session, school, [Role.TEACHER, Role.DEPUTY])
    token = _login(session, user.login, now=T0).token
    actor = validate_session(session, token, now=T0)
    assert actor is not None
    assert (actor.user_id, actor.staff_id, actor.school_id) == (user.id, staff.id, school.id)
    assert actor.roles == {Role.TEACHER, Role.DEPUTY}


def test_last_seen_is_written_at_most_once_a_minute(session, teacher):
    """Frequent events do not write on every call; a minute later they do."""
    token = _login(session, teacher.login, now=T0).token
    row = session.exec(select(UserSession).where(UserSession.user_id == teacher.id)).one()
    validate_session(session, token, now=T0 + dt.timedelta(seconds=30))
    session.refresh(row)
    assert row.last_seen_at == T0
    validate_session(session, token, now=T0 + dt.timedelta(seconds=61))
    session.refresh(row)
    assert row.last_seen_at == T0 + dt.timedelta(seconds=61)


def test_logout_ends_the_session_on_the_server(session, teacher):
    """After logout the same token is refused, and the logout is a login event."""
    token = _login(session, teacher.login, now=T0).token
    logout(session, token, now=T0)
    assert validate_session(session, token, now=T0) is None
    assert [e.user_id for e in _events(session, "logout")] == [teacher.id]


def test_list_sessions_shows_own_live_sessions_and_marks_the_current(session, school):
    """A user sees their own live sessions (not ended ones, not others'), current marked."""
    _, me = make_staff(session, school)
    _, other = make_staff(session, school)
    current = _login(session, me.login, now=T0, user_agent="Телефон").token
    second = _login(session, me.login, now=T0, user_agent="Ноутбук").token
    ended = _login(session, me.login, now=T0).token
    logout(session, ended, now=T0)
    _login(session, other.login, now=T0)
    infos = list_sessions(session, actor=actor_of(session, me), current_token=current, now=T0)
    assert sorted((i.user_agent, i.is_current) for i in infos) == [
        ("Ноутбук", False),
        ("Телефон", True),
    ]
    assert second


def test_user_ends_their_other_session(session, teacher):
    """Ending one's own other session makes its token useless."""
    mine = _login(session, teacher.login, now=T0).token
    other = _login(session, teacher.login, now=T0).token
    actor = actor_of(session, teacher)
    target = next(
        i
        for i in list_sessions(session, actor=actor, current_token=mine, now=T0)
        if not i.is_current
    )
    end_session(session, actor=actor, session_id=target.id, now=T0)
    assert validate_session(session, other, now=T0) is None
    assert validate_session(session, mine, now=T0) is not None


def test_ending_another_users_session_is_refused(session, school):
    """A session id of someone else is refused and that session stays alive."""
    _, me = make_staff(session, school)
    _, victim = make_staff(session, school)
    token = _login(session, victim.login, now=T0).token
    row = session.exec(select(UserSession).where(UserSession.user_id == victim.id)).one()
    with pytest.raises(PermissionDenied):
        end_session(session, actor=actor_of(session, me), session_id=row.id, now=T0)
    assert validate_session(session, token, now=T0) is not None


# --------------------------------------------------------------------------- own password


NEW_PASSWORD = "мой новый пароль для журнала"


def test_change_password_ends_other_sessions_and_keeps_this_one(session, teacher):
    """A new password logs out every other device, not the one that changed it."""
    mine = _login(session, teacher.login, now=T0).token
    other = _login(session, teacher.login, now=T0).token
    change_password(
        session,
        actor=actor_of(session, teacher),
        old_password=PASSWORD,
        new_password=NEW_PASSWORD,
        current_token=mine,
        now=T0,
    )
    assert validate_session(session, mine, now=T0) is not None
    assert validate_session(session, other, now=T0) is None


def test_change_password_replaces_the_password_and_clears_must_change(session, school):
    """After the change only the new password works and nothing more is demanded."""
    _, user = make_staff(session, school, must_change_password=True)
    change_password(
        session, actor=actor_of(session, user), old_password=PASSWORD, new_password=NEW_PASSWORD
    )
    session.refresh(user)
    assert not user.must_change_password and user.password_changed_at is not None
    assert hash_rounds(user.password_hash) == SETTINGS.bcrypt_rounds
    assert _login(session, user.login, NEW_PASSWORD).ok
    assert not _login(session, user.login, PASSWORD).ok


def test_change_password_is_audited_and_a_login_event(session, teacher):
    """The change leaves an audit row (without any password) and a password_change event."""
    change_password(
        session, actor=actor_of(session, teacher), old_password=PASSWORD, new_password=NEW_PASSWORD
    )
    rows = session.exec(select(AuditLog).where(AuditLog.action == "password_change")).all()
    assert [(r.actor_id, r.entity_id) for r in rows] == [(teacher.id, teacher.id)]
    assert NEW_PASSWORD not in rows[0].after and PASSWORD not in rows[0].after
    assert [e.user_id for e in _events(session, "password_change")] == [teacher.id]


def test_change_password_needs_the_current_password(session, teacher):
    """A wrong current password is refused and the password stays."""
    with pytest.raises(ValidationError, match="Текущий пароль"):
        change_password(
            session,
            actor=actor_of(session, teacher),
            old_password="угадываю-пароль",
            new_password=NEW_PASSWORD,
        )
    assert _login(session, teacher.login).ok


@pytest.mark.parametrize("bad", ["короткий", "12345678", "qwertyuiop"])
def test_change_password_applies_the_password_rules(session, teacher, bad):
    """Too short and common passwords are refused with a Russian reason."""
    with pytest.raises(ValidationError):
        change_password(
            session, actor=actor_of(session, teacher), old_password=PASSWORD, new_password=bad[:7]
        )
    assert verify_password(PASSWORD, session.get(User, teacher.id).password_hash)


def test_change_password_to_the_same_password_is_refused(session, teacher):
    """The one-time password cannot be kept by "changing" it to itself."""
    with pytest.raises(ValidationError, match="отличаться"):
        change_password(
            session, actor=actor_of(session, teacher), old_password=PASSWORD, new_password=PASSWORD
        )


# --------------------------------------------------------------------------- actor and homes


def test_load_actor_knows_the_classes_a_user_leads(session, school):
    """class_teacher_of comes from the user's class-teacher grants."""
    group = make_class(session, school)
    staff, user = make_staff(session, school, [Role.TEACHER, Role.CLASS_TEACHER], class_id=group.id)
    actor = load_actor(session, user.id)
    assert actor.class_teacher_of == {group.id} and actor.staff_id == staff.id


def test_active_role_defaults_to_the_most_senior_role(session, school):
    """A deputy who also teaches starts as the deputy."""
    _, user = make_staff(session, school, [Role.TEACHER, Role.DEPUTY])
    assert load_actor(session, user.id).active_role == Role.DEPUTY


def test_active_role_switches_home_but_not_permissions(session, school):
    """Working as a teacher, a deputy keeps the deputy's permissions."""
    _, user = make_staff(session, school, [Role.TEACHER, Role.DEPUTY])
    as_teacher = load_actor(session, user.id, active_role=Role.TEACHER)
    assert as_teacher.active_role == Role.TEACHER
    assert as_teacher.roles == load_actor(session, user.id).roles


def test_active_role_must_be_held(session, teacher):
    """A teacher cannot switch into the administrator's role."""
    with pytest.raises(PermissionDenied):
        load_actor(session, teacher.id, active_role=Role.ADMIN)


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.TEACHER, "/teacher"),
        (Role.CLASS_TEACHER, "/class"),
        (Role.DEPUTY, "/dashboard"),
        (Role.DIRECTOR, "/dashboard"),
        (Role.PARENT, "/diary"),
        (Role.STUDENT, "/diary"),
        (Role.ADMIN, "/admin/users"),
        (Role.SECRETARY, "/setup/people"),
    ],
)
def test_each_role_lands_on_its_home(role, path):
    """After login each role lands on its own page."""
    assert home_path(role) == path


def test_every_role_has_a_home():
    """No role is left without a landing page."""
    assert all(home_path(role).startswith("/") for role in Role)


# --------------------------------------------------------------------------- password rules


def test_long_cyrillic_passwords_differing_in_the_last_letter_do_not_match():
    """80 Cyrillic letters (160 bytes) are not truncated to bcrypt's 72 bytes."""
    first = "д" * 79 + "а"
    second = "д" * 79 + "б"
    assert not verify_password(second, hash_password(first, 4))
    assert verify_password(first, hash_password(first, 4))


def test_composed_and_decomposed_letters_are_the_same_password():
    """«й» typed as one code point or as «и» + breve is one password (NFKC)."""
    composed = "мойпарольй"
    decomposed = "мойпароль" + "и\u0306"
    assert verify_password(decomposed, hash_password(composed, 4))


PHRASE = "съешь же ещё этих мягких французских булок, да выпей чаю "


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("семь123", False),  # 7 characters
        ("восемь12", True),  # 8 characters
        ((PHRASE * 2)[:64], True),  # 64 allowed
        ((PHRASE * 4)[:MAX_LENGTH], True),
        ((PHRASE * 4)[: MAX_LENGTH + 1], False),
        ("только строчные буквы", True),  # no composition rules
        ("password", False),
        ("Qwertyuiop", False),
        ("йцукенгшщз", False),
        ("аааааааааа", False),
    ],
)
def test_password_rules(password, ok):
    """At least 8, up to MAX_LENGTH characters, no composition rules, no common passwords."""
    assert (password_problem(password) is None) is ok


def test_password_equal_to_the_login_is_refused():
    """The login is the first thing an attacker tries."""
    assert password_problem("ivanova.ap", login="ivanova.ap") is not None
