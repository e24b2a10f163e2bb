"""The load test's client against a real production server (a few clients, no timing):
it opens the diary the way the browser does, notices a refusal, logs in, and runs the
many-writers phase (teachers typing marks while parents open weeks) small."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.load import fixtures, scenarios
from bench.load.__main__ import Figures, Options, percentile, writers_phase
from bench.load.client import FrontendContract
from bench.load.server import WEB_DIR, Server, production_server
from ejournal.domain.db import make_engine

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("load")]

PASSWORD = "Пароль-для-входа-1"
PARENTS = 6
TEACHERS = 3


@dataclass(frozen=True)
class LoadSetup:
    server: Server
    contract: FrontendContract
    families: list[fixtures.Family]
    logins: list[str]
    db_url: str
    teachers: list[fixtures.TeacherPage]


@pytest.fixture(scope="module")
def load_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadSetup]:
    """The small demo school with remembered parents, served by ``reflex run --env prod``."""
    path: Path = tmp_path_factory.mktemp("load") / "load.db"
    db_url = f"sqlite:///{path}"
    engine = make_engine(db_url)
    fixtures.seed_demo(engine, size="small")
    families = fixtures.open_remembered_sessions(engine, PARENTS)
    logins = fixtures.login_accounts(engine, 2, PASSWORD, rounds=4)
    teachers = fixtures.teacher_pages(engine, TEACHERS, cells_each=6)
    engine.dispose()
    with production_server(db_url, extra_env={"EJOURNAL_BCRYPT_ROUNDS": "4"}) as server:
        yield LoadSetup(server, FrontendContract.read(WEB_DIR), families, logins, db_url, teachers)


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


def test_teachers_write_while_parents_read_and_every_mark_is_stored(
    load_setup: LoadSetup,
) -> None:
    """The many-writers phase, small: three teachers type six marks each into their own
    journals while parents open earlier weeks. Every save comes back saved, none is an
    error, and each mark reported saved is in the database with the reported version."""
    s = load_setup
    assert len(s.teachers) == TEACHERS, "the small school has fewer teachers with a lesson"
    options = Options(parents=len(s.families), week_rate=5.0, mark_interval=0.3, write_s=10.0)
    figures = Figures(options)

    async def go() -> None:
        tally = scenarios.Tally("week")
        held = [
            o
            for o in [
                await tally.time(scenarios.open_diary(s.server.url, s.contract, f))
                for f in s.families[:3]
            ]
            if o is not None
        ]
        engine = make_engine(s.db_url)
        tokens = fixtures.open_staff_sessions(engine, s.teachers)
        engine.dispose()
        try:
            await writers_phase(s.server, s.contract, held, s.teachers, tokens, options, figures)
        finally:
            for o in held:
                await o.socket.close()

    _run(go())
    writes = figures.tallies["writes"]
    assert dict(figures.tallies["journal"].errors) == {}
    assert dict(writes.errors) == {}
    assert len(writes.times_ms) == sum(len(t.cells) for t in s.teachers) == TEACHERS * 6
    assert figures.tallies["weeks_writes"].times_ms
    assert dict(figures.tallies["weeks_writes"].errors) == {}
    engine = make_engine(s.db_url)
    stored = fixtures.check_stored(engine, s.teachers, figures.saved)
    engine.dispose()
    assert (stored.checked, stored.lost) == (TEACHERS * 6, [])


def test_a_stale_version_is_counted_as_a_conflict(load_setup: LoadSetup) -> None:
    """A save sent with an older version than the cell's is a conflict: an error, not a save."""
    s = load_setup
    teacher = s.teachers[0]
    student_id, lesson_id = teacher.cells[-1]

    async def go() -> scenarios.Tally:
        tally = scenarios.Tally("write")
        engine = make_engine(s.db_url)
        (token,) = fixtures.open_staff_sessions(engine, [teacher])
        engine.dispose()
        _, opened = await scenarios.open_journal(s.server.url, s.contract, teacher, token)
        try:
            await tally.time(scenarios.save_mark(opened, student_id, lesson_id))
            i, j = opened.rows[student_id], opened.cols[lesson_id]
            text, version, flags, title = scenarios.code_parts(opened.codes[i][j])
            opened.codes[i][j] = "~".join((text, str(version - 1), flags, title))
            await tally.time(scenarios.save_mark(opened, student_id, lesson_id))
        finally:
            await opened.socket.close()
        return tally

    tally = _run(go())
    assert len(tally.times_ms) == 1  # type: ignore[attr-defined]
    assert [r.split(":")[0] for r in tally.errors] == ["конфликт"]  # type: ignore[attr-defined]


def test_server_memory_is_read_from_its_processes(load_setup: LoadSetup) -> None:
    """The server's resident memory is summed over its Python processes."""
    total, each = load_setup.server.rss_mb()
    assert each and total == pytest.approx(sum(each))


def test_percentile_takes_the_nearest_rank() -> None:
    """p50 of 1..10 is 5, p95 and p99 are 10, and no values give 0."""
    values = [float(v) for v in range(10, 0, -1)]
    assert [percentile(values, q) for q in (0.5, 0.95, 0.99)] == [5.0, 10.0, 10.0]
    assert percentile([], 0.95) == 0.0
