"""Slowing down guessing by account and by address; never a lock; the admin's view."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import pytest
from sqlmodel import Session, select

from ejournal.config import get_settings
from ejournal.domain import migrate
from ejournal.domain.errors import NotFound, PermissionDenied
from ejournal.domain.models import AuditLog, LoginEvent, Role, User
from ejournal.domain.people import auth, throttle
from ejournal.domain.people.auth import BAD_CREDENTIALS, authenticate
from ejournal.domain.people.passwords import hash_rounds
from ejournal.domain.people.throttle import (
    DELAY_BASE_SECONDS,
    account_delay,
    address_delay,
    clear_account,
    clear_address,
    client_address,
    slowed_accounts,
    slowed_addresses,
)
from tests.conftest import BACKENDS
from tests.domain.account_factories import PASSWORD, actor_of, make_school, make_staff

pytestmark = pytest.mark.db

T0 = dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.UTC)
SETTINGS = get_settings()
N = SETTINGS.lock_after_failures
FREE = SETTINGS.address_free_failures
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.20"
WRONG = "не-тот-пароль"


def _login(session: Session, login: str, password: str = PASSWORD, **kw: object):
    return authenticate(session, login=login, password=password, **kw)  # type: ignore[arg-type]


def _at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture()
def school(session):
    return make_school(session)


@pytest.fixture()
def teacher(session, school):
    return make_staff(session, school, [Role.TEACHER])[1]


@pytest.fixture()
def admin(session, school):
    return actor_of(session, make_staff(session, school, [Role.ADMIN])[1])


def _fail(session, user, times: int, *, ip: str = ATTACKER, now: dt.datetime = T0):
    result = None
    for _ in range(times):
        result = _login(session, user.login, WRONG, ip=ip, now=now)
    return result


# --------------------------------------------------------------------------- the rules


def test_account_delay_doubles_from_the_threshold_up_to_the_maximum():
    """No delay below the threshold, then 5, 10, 20, 40 s, and never above the maximum."""
    delays = [account_delay(n) for n in range(N + 8)]
    assert delays[:N] == [0] * N
    assert delays[N : N + 4] == [5, 10, 20, 40]
    assert max(delays) == SETTINGS.login_max_delay_seconds


def test_address_delay_doubles_after_the_free_failures_up_to_the_maximum():
    """An address's first free failures cost nothing; then 1, 2, 4… s, capped."""
    assert address_delay(FREE - 1) == 0
    assert [address_delay(FREE + i) for i in range(3)] == [1, 2, 4]
    assert address_delay(FREE + 40) == SETTINGS.address_max_delay_seconds


# --------------------------------------------------------------------------- the account


def test_failures_below_the_threshold_have_no_delay(session, teacher):
    """The first few mistakes cost nothing: the owner may simply retype."""
    for _ in range(N - 1):
        result = _login(session, teacher.login, WRONG, now=T0)
        assert result.retry_after_seconds == 0


def test_threshold_failures_start_a_delay(session, teacher):
    """The failure that reaches the threshold returns the delay before the next attempt."""
    result = _fail(session, teacher, N)
    assert result.retry_after_seconds == DELAY_BASE_SECONDS
    assert result.message == BAD_CREDENTIALS


def test_attempt_within_the_delay_is_refused_without_checking_the_password(
    session, teacher, monkeypatch
):
    """During a delay even the right password is refused: its hash is not consulted, only
    the dummy hash, so the refusal costs what a check costs."""
    _fail(session, teacher, N)
    checked: list[str] = []
    monkeypatch.setattr(auth, "verify_password", lambda p, h: checked.append(h) or False)
    result = _login(session, teacher.login, ip=ATTACKER, now=_at(1))
    assert not result.ok and "Повторите через" in result.message
    assert 0 < result.retry_after_seconds <= DELAY_BASE_SECONDS
    assert teacher.password_hash not in checked and len(checked) == 1
    assert hash_rounds(checked[0]) == SETTINGS.bcrypt_rounds


def test_delay_grows_with_each_failure_and_stops_at_the_maximum(session, teacher):
    """Each failure past the threshold doubles the delay, up to login_max_delay_seconds."""
    now = T0
    delays = [_fail(session, teacher, N).retry_after_seconds]
    for _ in range(6):
        now += dt.timedelta(seconds=delays[-1])
        delays.append(_fail(session, teacher, 1, now=now).retry_after_seconds)
    assert delays == [5, 10, 20, 40, 60, 60, 60]


def test_no_lock_the_right_password_logs_in_once_the_delay_has_passed(session, teacher):
    """However many failures, the owner's right password works after at most a minute."""
    now = T0
    result = _fail(session, teacher, N)
    for _ in range(20):
        now += dt.timedelta(seconds=result.retry_after_seconds)
        result = _fail(session, teacher, 1, now=now)
        assert "заблокирована" not in result.message
    assert result.retry_after_seconds <= SETTINGS.login_max_delay_seconds
    now += dt.timedelta(seconds=result.retry_after_seconds)
    assert _login(session, teacher.login, ip=ATTACKER, now=now).ok
    session.refresh(teacher)
    assert teacher.failed_logins == 0 and teacher.locked_until is None


def test_refused_attempts_do_not_lengthen_the_delay(session, teacher):
    """Hammering during a delay is refused unchecked and counted as 'throttled', not as
    failures: the delay ends when it said it would."""
    _fail(session, teacher, N)
    for second in (1, 2, 3, 4):
        assert not _login(session, teacher.login, WRONG, ip=ATTACKER, now=_at(second)).ok
    session.refresh(teacher)
    assert teacher.failed_logins == N
    assert teacher.locked_until == _at(DELAY_BASE_SECONDS)
    kinds = session.exec(select(LoginEvent.kind).where(LoginEvent.user_id == teacher.id)).all()
    assert kinds.count("throttled") == 4 and kinds.count("failure") == N


def test_owner_at_another_address_is_not_kept_out_by_a_guesser(session, teacher):
    """Someone guessing from one address slows that address down, not the owner at home."""
    _fail(session, teacher, N + 3)
    assert not _login(session, teacher.login, ip=ATTACKER, now=_at(1)).ok
    assert _login(session, teacher.login, ip=OWNER, now=_at(1)).ok


def test_a_wrong_guess_from_another_address_is_counted_and_then_waits(session, teacher):
    """The other address gets its one check; having failed, it waits like the first."""
    _fail(session, teacher, N)
    assert _login(session, teacher.login, WRONG, ip=OWNER, now=_at(1)).message == BAD_CREDENTIALS
    result = _login(session, teacher.login, ip=OWNER, now=_at(2))
    assert not result.ok and "Повторите через" in result.message


def test_failures_from_many_addresses_slow_every_address(session, teacher):
    """Guessing spread over several addresses makes the delay bind everyone."""
    for i in range(throttle.SPREAD_ADDRESSES):
        _fail(session, teacher, N, ip=f"203.0.113.{i + 1}")
    result = _login(session, teacher.login, ip=OWNER, now=_at(1))
    assert not result.ok and result.retry_after_seconds > 0


def test_an_attempt_without_an_address_is_never_let_past_a_delay(session, teacher):
    """A caller that knows no address (a script) gets no address-based exception."""
    _fail(session, teacher, N, ip="")
    assert not _login(session, teacher.login, now=_at(1)).ok


# --------------------------------------------------------------------------- the address


def _spray(session, count: int, *, ip: str = ATTACKER) -> dt.datetime:
    """`count` failures from `ip`, each on a different (unknown) login, those past the
    allowance each after the address's wait; returns the time of the last one."""
    now = T0
    for i in range(count):
        now += dt.timedelta(seconds=address_delay(i))
        result = _login(session, f"guess{i}", WRONG, ip=ip, now=now)
        assert result.message == BAD_CREDENTIALS
    return now


def test_many_failures_across_accounts_from_one_address_are_slowed(session, teacher):
    """After the free failures, the address's next attempt waits, even on a real account."""
    _spray(session, FREE)
    result = _login(session, teacher.login, ip=ATTACKER, now=_at(0.5))
    assert not result.ok and result.retry_after_seconds == 1
    assert result.message == (
        "Слишком много неудачных попыток входа с этого адреса. Подождите 1 с."
    )


def test_another_address_is_not_slowed_by_one_addresses_failures(session, teacher):
    """Only the failing address waits."""
    _spray(session, FREE + 5)
    assert _login(session, teacher.login, ip=OWNER, now=T0).ok


def test_address_delay_grows_and_an_attempt_after_it_is_checked(session, teacher):
    """Each failure past the allowance doubles the address's wait; after it, a check."""
    _spray(session, FREE)
    assert _login(session, "guess-a", WRONG, ip=ATTACKER, now=_at(1)).message == BAD_CREDENTIALS
    result = _login(session, teacher.login, ip=ATTACKER, now=_at(2))
    assert result.retry_after_seconds == 1  # 2 s after the failure at 1 s
    assert _login(session, teacher.login, ip=ATTACKER, now=_at(3)).ok


def test_address_failures_leave_the_window(session, teacher):
    """Failures older than the window no longer count."""
    _spray(session, FREE + 5)
    later = T0 + dt.timedelta(minutes=SETTINGS.address_window_minutes, seconds=60)
    assert _login(session, teacher.login, ip=ATTACKER, now=later).ok


def test_refusals_do_not_count_as_failures_of_the_address(session, teacher):
    """Refusals are recorded as 'throttled' and do not count as failures of the address."""
    _spray(session, FREE)
    for _ in range(5):
        _login(session, teacher.login, WRONG, ip=ATTACKER, now=_at(0.5))
    failures = session.exec(
        select(LoginEvent).where(LoginEvent.ip == ATTACKER, LoginEvent.kind == "failure")
    ).all()
    assert len(failures) == FREE


# --------------------------------------------------------------------------- concurrency


@pytest.mark.parametrize("empty_db", BACKENDS, indirect=True)
def test_parallel_guesses_get_one_check_per_delay(empty_db):
    """Guesses fired at once from one address at an account on its last free failure: one
    is checked (and starts the delay), the rest are refused unchecked."""
    migrate.upgrade(empty_db.engine)
    with Session(empty_db.engine) as s:
        user = make_staff(s, make_school(s))[1]
        user.failed_logins = N - 1
        s.add(user)
        s.commit()
        login, user_id = user.login, user.id
    results = []

    def guess() -> None:
        with Session(empty_db.engine) as s:
            results.append(_login(s, login, WRONG, ip=ATTACKER, now=T0))

    threads = [threading.Thread(target=guess) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.message == BAD_CREDENTIALS for r in results) == [False] * 5 + [True]
    with Session(empty_db.engine) as s:
        assert s.get(User, user_id).failed_logins == N  # type: ignore[union-attr]


# --------------------------------------------------------------------------- the client address


def test_the_socket_peer_is_the_address_when_no_proxy_is_trusted():
    """A client's own X-Forwarded-For is ignored: it could name any address."""
    assert client_address("198.51.100.7", "1.2.3.4", trusted_proxies=()) == "198.51.100.7"


def test_forwarded_for_is_ignored_from_an_untrusted_peer():
    """Only the configured proxy may tell the client's address."""
    got = client_address("198.51.100.7", "1.2.3.4", trusted_proxies=("127.0.0.1",))
    assert got == "198.51.100.7"


def test_a_trusted_proxy_gives_the_nearest_untrusted_address():
    """Read from the right: what the client wrote before the proxy's entry is not believed."""
    got = client_address(
        "127.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.5", trusted_proxies=("127.0.0.1", "10.0.0.0/8")
    )
    assert got == "198.51.100.7"


def test_a_trusted_proxy_without_forwarded_for_is_the_address():
    """No header from the proxy: the proxy itself is all we know."""
    assert client_address("127.0.0.1", "", trusted_proxies=("127.0.0.1",)) == "127.0.0.1"


def test_garbage_in_forwarded_for_stops_the_walk():
    """A malformed entry is not an address: the last good hop is taken."""
    got = client_address(
        "127.0.0.1", "evil, 10.0.0.5", trusted_proxies=("127.0.0.0/8", "10.0.0.0/8")
    )
    assert got == "10.0.0.5"


def test_a_bad_trusted_proxy_setting_is_refused(monkeypatch):
    """EJOURNAL_TRUSTED_PROXIES must list addresses or networks."""
    from ejournal.config import Settings

    monkeypatch.setenv("EJOURNAL_TRUSTED_PROXIES", "proxy.local")
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        Settings()


# --------------------------------------------------------------------------- the administrator


def test_admin_sees_slowed_accounts_with_failure_counts(session, teacher, admin):
    """Accounts with failures show their count and, while it runs, the delay's end."""
    _fail(session, teacher, N)
    _fail(session, teacher, 1, now=_at(DELAY_BASE_SECONDS))
    rows = slowed_accounts(session, actor=admin, now=_at(6))
    assert [(r.login, r.failures) for r in rows] == [(teacher.login, N + 1)]
    assert rows[0].delayed_until == _at(15) and rows[0].full_name == "Петрова Мария Ивановна"
    assert slowed_accounts(session, actor=admin, now=_at(16))[0].delayed_until is None


def test_admin_does_not_see_other_schools_accounts(session, teacher):
    """Another school's administrator sees none of this school's failures."""
    _fail(session, teacher, 2)
    other = make_school(session)
    stranger = actor_of(session, make_staff(session, other, [Role.ADMIN])[1])
    assert slowed_accounts(session, actor=stranger, now=T0) == []
    with pytest.raises(NotFound):
        clear_account(session, actor=stranger, user_id=teacher.id, now=T0)


def test_admin_clears_an_account_and_it_is_audited(session, teacher, admin):
    """Clearing forgets the failures and the delay at once, with an audit entry."""
    _fail(session, teacher, N + 2)
    clear_account(session, actor=admin, user_id=teacher.id, now=_at(1))
    session.refresh(teacher)
    assert teacher.failed_logins == 0 and teacher.locked_until is None
    assert _login(session, teacher.login, ip=ATTACKER, now=_at(1)).ok
    entry = session.exec(select(AuditLog).where(AuditLog.action == "login_failures_clear")).one()
    assert entry.entity_id == teacher.id and entry.actor_id == admin.user_id


def test_admin_sees_and_clears_a_slowed_address(session, teacher, admin):
    """A crowded address (a school's shared one) is listed and can be let through."""
    last = _spray(session, FREE + 2)  # the last two at 1 s and 3 s
    now = last + dt.timedelta(seconds=1)
    rows = slowed_addresses(session, actor=admin, now=now)
    assert [(r.ip, r.failures) for r in rows] == [(ATTACKER, FREE + 2)]
    assert rows[0].delayed_until == last + dt.timedelta(seconds=address_delay(FREE + 2))
    clear_address(session, actor=admin, ip=ATTACKER, now=now)
    assert slowed_addresses(session, actor=admin, now=now) == []
    assert _login(session, teacher.login, ip=ATTACKER, now=now).ok
    entry = session.exec(select(AuditLog).where(AuditLog.entity == "login_address")).one()
    assert ATTACKER in entry.after


def test_only_user_managers_see_or_clear_failures(session, teacher):
    """A teacher may not read the list or clear anything."""
    actor = actor_of(session, teacher)
    with pytest.raises(PermissionDenied):
        slowed_accounts(session, actor=actor)
    with pytest.raises(PermissionDenied):
        clear_address(session, actor=actor, ip=ATTACKER)


def test_settings_override_reaches_the_rules(monkeypatch):
    """The delays follow the settings (here a stricter account threshold)."""
    stricter = dataclasses.replace(SETTINGS, lock_after_failures=2, login_max_delay_seconds=7)
    assert account_delay(2, stricter) == 5 and account_delay(3, stricter) == 7
