"""`python -m bench.load` (`make load`): the diary's morning peak against the
production server on this machine (loopback only). Prints the figures; asserts nothing.

1. The demo school is seeded into a temporary SQLite file (or the PostgreSQL database of
   ``--pg`` / ``EJOURNAL_LOAD_DB_URL``); it gets 1,000 parent accounts, each with a
   remembered session, and a set of accounts with a real cost-12 password for logins.
2. ``reflex run --env prod`` starts on a free port (several workers with ``--redis`` /
   ``REFLEX_REDIS_URL``).
3. Morning peak: the parents open ``/diary`` ramped over a minute, each on its own
   websocket that stays open; the time per opened week is from the connect to the week
   in the state.
4. On the held connections parents open earlier weeks at a steady rate, first alone,
   then while a burst of logins runs; logins are counted per second against the bcrypt
   limit (cores ÷ hash time, the hash timed on this machine).
5. Many writers: teachers (``--teachers``) open their own journal page on a lesson that takes
   marks and type a mark into a new cell every ``--mark-interval`` seconds while the parents
   keep opening earlier weeks. Each save is timed from the send to the update that shows the
   cell saved (flag ``s``, a new version); a refusal, a conflict, a cell left unsaved
   (``u``), an error message or toast and a timeout are errors. Afterwards every mark
   reported saved is looked up in the database: a mark not stored is an error too.

Every loop is bounded: the ramp, a fixed number of logins, steps that time out, a fixed
number of cells per teacher typed within ``--write-time`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench.load import fixtures, scenarios
from bench.load.client import FrontendContract
from bench.load.fixtures import SavedCell, TeacherPage
from bench.load.scenarios import OpenDiary, OpenJournal, Tally
from bench.load.server import WEB_DIR, Server, production_server
from ejournal.config import get_settings
from ejournal.domain.db import make_engine
from ejournal.domain.people.passwords import hash_password, verify_password

LOGIN_PASSWORD = "Нагрузка-2026!"
PG_URL = "postgresql://postgres@127.0.0.1:5432/ejournal_load"
REDIS_URL = "redis://127.0.0.1:6379/7"
P95_TARGET_MS = 500.0


@dataclass
class Options:
    parents: int = 1000
    ramp_s: float = 60.0
    logins: int = 80
    week_rate: float = 20.0
    db_url: str = ""
    redis_url: str = ""
    keep_db: bool = False
    teachers: int = 8
    mark_interval: float = 2.0  # seconds between two marks of one teacher
    write_s: float = 30.0  # how long the teachers type

    @property
    def cells_each(self) -> int:
        """Cells each teacher may type into: one per interval of the writing time."""
        return max(1, int(self.write_s / self.mark_interval) + 1)


@dataclass
class Figures:
    """Everything the run measured, for the table and for tests."""

    options: Options
    hash_ms: float = 0.0
    cores: int = 1
    tallies: dict[str, Tally] = field(default_factory=dict)
    logins_per_s: dict[str, float] = field(default_factory=dict)
    rss_peak_mb: float = 0.0
    rss_end_mb: float = 0.0
    rss_each_mb: list[float] = field(default_factory=list)
    rss_before_mb: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    wall_s: float = 0.0
    held: int = 0
    workers: int = 0
    load_before: float = 0.0  # the machine's 1-minute load average (others share it)
    login_server_cpu_ms: float = 0.0  # server CPU per login (hydrate, bcrypt, session)
    others_cpu_share: float = 0.0  # share of all cores that other processes used meanwhile
    teachers: list[TeacherPage] = field(default_factory=list)
    saved: list[SavedCell] = field(default_factory=list)  # marks the server reported saved
    stored: fixtures.StoredCheck | None = None  # those marks looked up in the database
    write_spread_ms: float = 0.0  # how long the writing phase lasted

    @property
    def login_limit(self) -> float:
        return self.cores / (self.hash_ms / 1000) if self.hash_ms else 0.0


def percentile(values: list[float], q: float) -> float:
    """The q-quantile by the nearest-rank rule (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 1))))
    return ordered[rank - 1]


def measure_hash_ms(rounds: int, samples: int = 5) -> float:
    """Median CPU time of one bcrypt verify at `rounds` on one core of this machine (ms).

    CPU time of the thread, not wall time: other processes on the machine would otherwise
    inflate the hash time and so lower the limit the logins are compared with.
    """
    hashed = hash_password(LOGIN_PASSWORD, rounds)
    times = []
    for _ in range(samples):
        start = time.thread_time()
        verify_password(LOGIN_PASSWORD, hashed)
        times.append((time.thread_time() - start) * 1000)
    return statistics.median(times)


def _machine_busy_cpu() -> float:
    """CPU seconds every process on the machine has used (all cores, not idle)."""
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0))


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _sample_rss(server: Server, figures: Figures, stop: asyncio.Event) -> None:
    while not stop.is_set():
        total, _ = server.rss_mb()
        figures.rss_peak_mb = max(figures.rss_peak_mb, total)
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass


async def _morning_peak(
    server: Server, contract: FrontendContract, families: list[fixtures.Family], ramp_s: float
) -> tuple[Tally, list[OpenDiary]]:
    tally = Tally("Открытие дневника (/diary, неделя)")
    held: list[OpenDiary] = []
    start = time.monotonic()
    step = ramp_s / max(1, len(families))

    async def one(i: int, family: fixtures.Family) -> None:
        await asyncio.sleep(max(0.0, start + i * step - time.monotonic()))
        opened = await tally.time(scenarios.open_diary(server.url, contract, family))
        if opened is not None:
            held.append(opened)

    await asyncio.gather(*(one(i, f) for i, f in enumerate(families)))
    return tally, held


async def _weeks(held: list[OpenDiary], rate: float, done: asyncio.Event, tally: Tally) -> None:
    """Parents on held connections open earlier weeks, `rate` a second, until `done`."""
    tasks: list[asyncio.Task[Any]] = []
    depth: dict[int, int] = {}
    n = 0
    start = time.monotonic()
    while not done.is_set() and held:
        opened = held[n % len(held)]
        depth[n % len(held)] = depth.get(n % len(held), 0) + 1
        tasks.append(
            asyncio.create_task(tally.time(scenarios.open_week(opened, depth[n % len(held)])))
        )
        n += 1
        try:
            await asyncio.wait_for(done.wait(), max(0.0, start + n / rate - time.monotonic()))
        except TimeoutError:
            pass
    await asyncio.gather(*tasks)


async def _login_burst(
    server: Server, contract: FrontendContract, logins: list[str], tally: Tally
) -> float:
    """Every login at once; returns successful logins per second, from the first submit to
    the last answer (each client first opens ``/login``, which is not part of a login)."""
    spans = await asyncio.gather(
        *(
            tally.time(scenarios.log_in(server.url, contract, login, LOGIN_PASSWORD))
            for login in logins
        )
    )
    done = [s for s in spans if s is not None]
    if not done:
        return 0.0
    elapsed = max(end for _, end in done) - min(start for start, _ in done)
    return len(done) / elapsed if elapsed > 0 else 0.0


async def _teachers_type(
    journals: list[OpenJournal], interval: float, done: asyncio.Event, tally: Tally
) -> list[SavedCell]:
    """Each teacher types a mark into the next of their cells every `interval` seconds (one
    save at a time, as a teacher waits for the cell to confirm) until `done` or out of cells;
    the teachers' starts are spread over one interval."""
    saved: list[SavedCell] = []
    start = time.monotonic()

    async def one(k: int, opened: OpenJournal) -> None:
        offset = k * interval / max(1, len(journals))
        for n, (student_id, lesson_id) in enumerate(opened.teacher.cells):
            wait = start + offset + n * interval - time.monotonic()
            if wait > 0:
                try:
                    await asyncio.wait_for(done.wait(), wait)
                except TimeoutError:
                    pass
            if done.is_set() or opened.socket.closed:
                return
            cell = await tally.time(scenarios.save_mark(opened, student_id, lesson_id))
            if cell is not None:
                saved.append(cell)

    await asyncio.gather(*(one(k, j) for k, j in enumerate(journals)))
    return saved


async def writers_phase(
    server: Server,
    contract: FrontendContract,
    held: list[OpenDiary],
    teachers: list[TeacherPage],
    tokens: list[str],
    options: Options,
    figures: Figures,
) -> None:
    """Teachers type marks on their open journal pages while the parents on `held` open
    earlier weeks at ``options.week_rate``; fills the ``journal``, ``writes`` and
    ``weeks_writes`` tallies and ``figures.saved`` (the database check is the caller's)."""
    opening = Tally("Открытие журнала учителем")
    journals = [
        j
        for j in await asyncio.gather(
            *(
                opening.time(scenarios.open_journal(server.url, contract, t, token))
                for t, token in zip(teachers, tokens, strict=True)
            )
        )
        if j is not None
    ]
    figures.tallies["journal"] = opening
    writes = Tally("Отметка учителя (Enter → «сохранено»)")
    during = Tally("Другая неделя, во время записи отметок")
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.call_later(options.write_s, done.set)
    started = time.monotonic()
    weeks_task = asyncio.create_task(_weeks(held, options.week_rate, done, during))
    try:
        figures.saved = await _teachers_type(journals, options.mark_interval, done, writes)
    finally:
        done.set()
        await weeks_task
        await asyncio.gather(*(j.socket.close() for j in journals))
    figures.write_spread_ms = (time.monotonic() - started) * 1000
    figures.tallies["writes"] = writes
    figures.tallies["weeks_writes"] = during


async def _run(server: Server, options: Options, figures: Figures, data: Any) -> None:
    families, logins, db_url = data
    contract = FrontendContract.read(WEB_DIR)
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sample_rss(server, figures, stop))
    cpu0, scpu0, wall0 = _client_cpu(), server.cpu_seconds(), time.monotonic()
    figures.load_before = os.getloadavg()[0]
    busy0 = _machine_busy_cpu()

    # Warm-up (not counted): the first events import and cache what a process needs.
    warm = Tally("прогрев")
    for family in families[:3]:
        opened = await warm.time(scenarios.open_diary(server.url, contract, family))
        if opened is not None:
            await opened.socket.close()
    print(f"  прогрев: {len(warm.times_ms)} из 3, ошибки {dict(warm.errors)}", flush=True)

    print(f"  утренний пик: {len(families)} родителей за {options.ramp_s:.0f} с…", flush=True)
    tally, held = await _morning_peak(server, contract, families, options.ramp_s)
    figures.tallies["peak"] = tally
    figures.held = sum(1 for h in held if not h.socket.closed)
    print(f"  открыто {len(tally.times_ms)}, держат соединение {figures.held}", flush=True)

    burst_s = max(5.0, len(logins) / max(1.0, figures.login_limit))
    alone = Tally("Другая неделя, без входов")
    done = asyncio.Event()
    asyncio.get_running_loop().call_later(burst_s, done.set)
    await _weeks(held, options.week_rate, done, alone)
    figures.tallies["weeks_alone"] = alone

    login_alone = Tally("Вход (отправка формы → переход домой)")
    before = server.cpu_seconds()
    figures.logins_per_s["alone"] = await _login_burst(server, contract, logins, login_alone)
    figures.tallies["login_alone"] = login_alone
    if login_alone.times_ms:
        figures.login_server_cpu_ms = (
            (server.cpu_seconds() - before) / len(login_alone.times_ms) * 1000
        )

    during = Tally("Другая неделя, во время входов")
    login_busy = Tally("Вход, вместе с неделями")
    done = asyncio.Event()
    weeks_task = asyncio.create_task(_weeks(held, options.week_rate, done, during))
    figures.logins_per_s["busy"] = await _login_burst(server, contract, logins, login_busy)
    done.set()
    await weeks_task
    figures.tallies["weeks_busy"] = during
    figures.tallies["login_busy"] = login_busy

    if figures.teachers:
        print(
            f"  учителя пишут: {len(figures.teachers)} журналов, отметка раз в "
            f"{options.mark_interval:g} с, {options.write_s:.0f} с, родители листают недели…",
            flush=True,
        )
        tokens = await asyncio.to_thread(_open_staff_sessions, db_url, figures.teachers)
        await writers_phase(server, contract, held, figures.teachers, tokens, options, figures)

    figures.rss_end_mb, figures.rss_each_mb = server.rss_mb()
    figures.workers = len(figures.rss_each_mb)
    figures.client_cpu_s = _client_cpu() - cpu0
    figures.server_cpu_s = server.cpu_seconds() - scpu0
    figures.wall_s = time.monotonic() - wall0
    others = _machine_busy_cpu() - busy0 - figures.server_cpu_s - figures.client_cpu_s
    figures.others_cpu_share = max(0.0, others) / (figures.wall_s * figures.cores)
    await asyncio.gather(*(h.socket.close() for h in held))
    stop.set()
    await sampler


def _open_staff_sessions(db_url: str, teachers: list[TeacherPage]) -> list[str]:
    engine = make_engine(db_url)
    try:
        return fixtures.open_staff_sessions(engine, teachers)
    finally:
        engine.dispose()


def run(options: Options) -> Figures:
    """Prepare the data, start the server, run the phases; returns the figures."""
    settings = get_settings()
    figures = Figures(options, cores=os.cpu_count() or 1)
    tmp: Path | None = None
    db_url = options.db_url
    if not db_url:
        tmp = Path(tempfile.mkdtemp(prefix="ejournal-load-"))
        db_url = f"sqlite:///{tmp / 'load.db'}"
    try:
        print(f"База: {db_url.split('@')[-1]}", flush=True)
        engine = make_engine(db_url)
        fixtures.seed_demo(engine)
        fixtures.ensure_parents(engine, options.parents)
        families = fixtures.open_remembered_sessions(engine, options.parents)
        logins = fixtures.login_accounts(
            engine, options.logins, LOGIN_PASSWORD, settings.bcrypt_rounds
        )
        figures.teachers = fixtures.teacher_pages(engine, options.teachers, options.cells_each)
        engine.dispose()
        figures.hash_ms = measure_hash_ms(settings.bcrypt_rounds)
        print(
            f"  {len(families)} родителей с запомненным сеансом, {len(logins)} входов; "
            f"bcrypt {settings.bcrypt_rounds}: {figures.hash_ms:.0f} мс на ядро; "
            f"учителей с журналом {len(figures.teachers)} из {options.teachers}",
            flush=True,
        )
        started = time.monotonic()
        with production_server(db_url, redis_url=options.redis_url) as server:
            figures.rss_before_mb, _ = server.rss_mb()
            print(
                f"Сервер {server.url} готов за {time.monotonic() - started:.0f} с "
                f"(Redis: {'да' if options.redis_url else 'нет'})",
                flush=True,
            )
            asyncio.run(_run(server, options, figures, (families, logins, db_url)))
        engine = make_engine(db_url)
        if figures.teachers:
            figures.stored = fixtures.check_stored(engine, figures.teachers, figures.saved)
            lost = figures.stored.lost
            if lost:
                figures.tallies["writes"].errors["нет в базе после «сохранено»"] += len(lost)
                for line in lost[:5]:
                    print(f"  НЕ В БАЗЕ: {line}", flush=True)
        fixtures.end_load_sessions(engine)
        engine.dispose()
    finally:
        if tmp is not None and not options.keep_db:
            shutil.rmtree(tmp, ignore_errors=True)
    return figures


def table(figures: Figures) -> str:
    """The figures as a plain-text table (Russian)."""
    o = figures.options
    lines = [
        "",
        f"Нагрузка: {o.parents} родителей за {o.ramp_s:.0f} с, {o.logins} входов, "
        f"другие недели {o.week_rate:.0f}/с; ядер {figures.cores}",
        f"{'шаг':<40} {'n':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'макс':>7} {'ошибки':>7}",
    ]
    for tally in figures.tallies.values():
        t = tally.times_ms
        lines.append(
            f"{tally.name:<40} {len(t):>5} {percentile(t, 0.5):>7.0f} {percentile(t, 0.95):>7.0f}"
            f" {percentile(t, 0.99):>7.0f} {max(t, default=0):>7.0f} {sum(tally.errors.values()):>7}"
        )
        for reason, count in tally.errors.most_common(3):
            lines.append(f"    {count} × {reason}")
    peak = figures.tallies.get("peak")
    if peak is not None:
        p95 = percentile(peak.times_ms, 0.95)
        verdict = "да" if p95 <= P95_TARGET_MS and not peak.errors else "нет"
        lines.append(f"Цель p95 ≤ {P95_TARGET_MS:.0f} мс без ошибок при открытии недели: {verdict}")
    lines += _writers_lines(figures)
    limit = figures.login_limit
    for key, label in (("alone", "одни входы"), ("busy", "входы вместе с неделями")):
        rate = figures.logins_per_s.get(key, 0.0)
        share = rate / limit * 100 if limit else 0.0
        lines.append(
            f"Входов в секунду ({label}): {rate:.1f} из предела {limit:.1f} "
            f"({figures.cores} ядра ÷ {figures.hash_ms:.0f} мс) = {share:.0f} %"
        )
    lines.append(
        f"Процессор сервера на один вход: {figures.login_server_cpu_ms:.0f} мс "
        f"(из них bcrypt {figures.hash_ms:.0f} мс)"
    )
    lines += [
        f"Память сервера (RSS): до нагрузки {figures.rss_before_mb:.0f} МБ, "
        f"пик {figures.rss_peak_mb:.0f} МБ, в конце {figures.rss_end_mb:.0f} МБ "
        f"({figures.workers} проц.: {', '.join(f'{m:.0f}' for m in figures.rss_each_mb)})",
        f"Соединений удержано: {figures.held}",
        f"Процессор за {figures.wall_s:.0f} с: сервер {figures.server_cpu_s:.0f} с, "
        f"нагрузочный клиент {figures.client_cpu_s:.0f} с, другие процессы машины "
        f"{figures.others_cpu_share:.0%} всех ядер (средняя загрузка до теста "
        f"{figures.load_before:.1f})",
    ]
    return "\n".join(lines)


def _writers_lines(figures: Figures) -> list[str]:
    """The many-writers summary: saves, errors (must be 0), save times, the parents' p95."""
    writes = figures.tallies.get("writes")
    if writes is None:
        return []
    o = figures.options
    t = writes.times_ms
    errors = sum(writes.errors.values()) + sum(figures.tallies["journal"].errors.values())
    stored = figures.stored
    checked = (
        f"в базе проверено {stored.checked}, не найдено {len(stored.lost)}"
        if stored is not None
        else "в базе не проверено"
    )
    rate = len(t) / (figures.write_spread_ms / 1000) if figures.write_spread_ms else 0.0
    weeks = figures.tallies.get("weeks_writes")
    alone = figures.tallies.get("weeks_alone")
    p95_weeks = percentile(weeks.times_ms, 0.95) if weeks else 0.0
    p95_alone = percentile(alone.times_ms, 0.95) if alone else 0.0
    return [
        f"Учителя пишут ({len(figures.teachers)} учителей, отметка раз в {o.mark_interval:g} с, "
        f"{o.write_s:.0f} с): сохранено {len(t)} ({rate:.1f}/с), {checked}; "
        f"ошибок {errors} (должно быть 0): {'да' if errors == 0 and t else 'НЕТ'}",
        f"Сохранение отметки: p50 {percentile(t, 0.5):.0f} мс, p95 {percentile(t, 0.95):.0f} мс; "
        f"недели родителей во время записи p95 {p95_weeks:.0f} мс (без записи {p95_alone:.0f} мс)",
    ]


def parse(argv: list[str]) -> Options:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    p.add_argument("--parents", type=int, default=1000, help="parents who open the diary")
    p.add_argument("--ramp", type=float, default=60.0, help="seconds over which they arrive")
    p.add_argument("--logins", type=int, default=80, help="logins in each burst")
    p.add_argument("--week-rate", type=float, default=20.0, help="other weeks opened per second")
    p.add_argument("--pg", action="store_true", help=f"PostgreSQL at {PG_URL}")
    p.add_argument("--redis", action="store_true", help=f"Redis at {REDIS_URL} (several workers)")
    p.add_argument("--db-url", default=os.environ.get("EJOURNAL_LOAD_DB_URL", ""))
    p.add_argument("--keep-db", action="store_true", help="keep the temporary SQLite file")
    p.add_argument("--teachers", type=int, default=8, help="teachers typing marks (0: none)")
    p.add_argument(
        "--mark-interval", type=float, default=2.0, help="seconds between one teacher's marks"
    )
    p.add_argument("--write-time", type=float, default=30.0, help="seconds the teachers type")
    a = p.parse_args(argv)
    db_url = a.db_url or (PG_URL if a.pg else "")
    redis_url = os.environ.get("REFLEX_REDIS_URL", "") or (REDIS_URL if a.redis else "")
    if redis_url and not db_url:
        p.error("several workers need PostgreSQL: add --pg or EJOURNAL_LOAD_DB_URL")
    if a.mark_interval <= 0 or a.write_time <= 0 or a.teachers < 0:
        p.error("--teachers ≥ 0, --mark-interval > 0 and --write-time > 0")
    return Options(
        a.parents,
        a.ramp,
        a.logins,
        a.week_rate,
        db_url,
        redis_url,
        a.keep_db,
        a.teachers,
        a.mark_interval,
        a.write_time,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse(sys.argv[1:] if argv is None else argv)
    if options.db_url.startswith("postgresql"):
        _create_pg_database(options.db_url)
    figures = run(options)
    print(table(figures), flush=True)
    return 0


def _create_pg_database(url: str) -> None:
    """Create the PostgreSQL database of `url` when it does not exist yet."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = make_engine(
        target.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        ).first()
        if exists is None:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
