"""The load test's client against a real production server (a few clients, no timing):
it opens the diary the way the browser does, notices a refusal, and logs in."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ejournal.bench.load import fixtures, scenarios
from ejournal.bench.load.__main__ import percentile
from ejournal.bench.load.client import FrontendContract
from ejournal.bench.load.server import WEB_DIR, Server, production_server
from ejournal.domain.db import make_engine

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("load")]

PASSWORD = "Пароль-для-входа-1"
PARENTS = 6


@dataclass(frozen=True)
class LoadSetup:
    server: Server
    contract: FrontendContract
    families: list[fixtures.Family]
    logins: list[str]


@pytest.fixture(scope="module")
def load_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadSetup]:
    """The small demo school with remembered parents, served by ``reflex run --env prod``."""
    path: Path = tmp_path_factory.mktemp("load") / "load.db"
    db_url = f"sqlite:///{path}"
    engine = make_engine(db_url)
    fixtures.seed_demo(engine, size="small")
    families = fixtures.open_remembered_sessions(engine, PARENTS)
    logins = fixtures.login_accounts(engine, 2, PASSWORD, rounds=4)
    engine.dispose()
    with production_server(db_url, extra_env={"EJOURNAL_BCRYPT_ROUNDS": "4"}) as server:
        yield LoadSetup(server, FrontendContract.read(WEB_DIR), families, logins)


def _run(coro: object) -> object:
    # Playwright's sync API keeps an event loop running in this thread: use another thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()  # type: ignore[arg-type]


def test_remembered_parents_see_their_childs_week(load_setup: LoadSetup) -> None:
    """Each remembered parent's socket gets the week of their own first child and stays open."""
    s = load_setup

    async def go() -> list[object]:
        tally = scenarios.Tally("week")
        opened = [
            await tally.time(scenarios.open_diary(s.server.url, s.contract, f)) for f in s.families
        ]
        still_open = [o for o in opened if o is not None and not o.socket.closed]
        for o in still_open:
            await o.socket.close()
        return [tally, opened, len(still_open)]

    tally, opened, still_open = _run(go())  # type: ignore[misc]
    assert dict(tally.errors) == {}
    assert [o.student_id for o in opened] == [f.student_id for f in s.families]
    assert still_open == len(s.families)


def test_an_earlier_week_opens_on_a_held_connection(load_setup: LoadSetup) -> None:
    """«Previous week» on an open diary comes back as that week, not a refusal."""
    s = load_setup

    async def go() -> scenarios.Tally:
        tally = scenarios.Tally("week")
        opened = await scenarios.open_diary(s.server.url, s.contract, s.families[0])
        await tally.time(scenarios.open_week(opened[1], 2))
        await opened[1].socket.close()
        return tally

    tally = _run(go())
    assert (len(tally.times_ms), dict(tally.errors)) == (1, {})  # type: ignore[attr-defined]


def test_a_forged_cookie_is_counted_as_an_error(load_setup: LoadSetup) -> None:
    """A cookie the server never issued is sent to the login page, and the client says so."""
    s = load_setup
    forged = dataclasses.replace(s.families[0], token="not-a-session-token")

    async def go() -> scenarios.Tally:
        tally = scenarios.Tally("week")
        await tally.time(scenarios.open_diary(s.server.url, s.contract, forged))
        return tally

    tally = _run(go())
    assert tally.times_ms == []  # type: ignore[attr-defined]
    assert any("отказ" in reason for reason in tally.errors)  # type: ignore[attr-defined]


def test_logins_succeed_and_a_wrong_password_fails(load_setup: LoadSetup) -> None:
    """The login form over the socket reaches home with the right password, not with a wrong one."""
    s = load_setup

    async def go() -> tuple[scenarios.Tally, scenarios.Tally]:
        good, bad = scenarios.Tally("ok"), scenarios.Tally("bad")
        await good.time(scenarios.log_in(s.server.url, s.contract, s.logins[0], PASSWORD))
        await bad.time(scenarios.log_in(s.server.url, s.contract, s.logins[1], "неверный"))
        return good, bad

    good, bad = _run(go())  # type: ignore[misc]
    assert (len(good.times_ms), dict(good.errors)) == (1, {})
    assert bad.times_ms == [] and sum(bad.errors.values()) == 1


def test_server_memory_is_read_from_its_processes(load_setup: LoadSetup) -> None:
    """The server's resident memory is summed over its Python processes."""
    total, each = load_setup.server.rss_mb()
    assert each and total == pytest.approx(sum(each))


def test_percentile_takes_the_nearest_rank() -> None:
    """p50 of 1..10 is 5, p95 and p99 are 10, and no values give 0."""
    values = [float(v) for v in range(10, 0, -1)]
    assert [percentile(values, q) for q in (0.5, 0.95, 0.99)] == [5.0, 10.0, 10.0]
    assert percentile([], 0.95) == 0.0
