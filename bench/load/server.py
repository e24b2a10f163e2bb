"""The production server under test: ``reflex run --env prod`` on a free loopback port.

Its front end is built into ``var/web-load`` (not the shared ``.web``: the build bakes the
port in) under an exclusive lock on ``var/web-load.lock`` held while the server runs, so two
load tests never build or serve that folder at once. The log goes to ``var/load/server.log``.

The pieces of starting a live server (a free port, its environment, the process in its own
group, waiting for it to answer, stopping the group) are shared with the browser tests'
servers (``tests/browser/conftest.py``, ``tests/browser/test_server_pg_redis.py``).
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from ejournal.config import PROJECT_ROOT

WEB_DIR = PROJECT_ROOT / "var" / "web-load"
WEB_LOCK = PROJECT_ROOT / "var" / "web-load.lock"
LOG_DIR = PROJECT_ROOT / "var" / "load"
BUN_BIN = PROJECT_ROOT / ".tools" / "bun" / "node_modules" / ".bin"
REFLEX = PROJECT_ROOT / ".venv" / "bin" / "reflex"
START_TIMEOUT_S = 900


@dataclass
class Server:
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    _cpu_start: float = field(default=0.0)

    def processes(self) -> list[psutil.Process]:
        """The server's Python processes (the supervisor and its workers)."""
        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        alive = []
        for p in procs:
            try:
                if "python" in p.name().lower() or "reflex" in " ".join(p.cmdline()[:2]):
                    alive.append(p)
            except psutil.Error:
                continue
        return alive

    def rss_mb(self) -> tuple[float, list[float]]:
        """Resident memory of the server processes: total and each one, in MB."""
        each = []
        for p in self.processes():
            try:
                each.append(p.memory_info().rss / 2**20)
            except psutil.Error:
                continue
        return sum(each), each

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server processes."""
        total = 0.0
        for p in self.processes():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                continue
        return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(url: str) -> tuple[int, str]:
    """GET `url` (a loopback server): the status and the body."""
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return int(response.status), response.read().decode("utf-8", "replace")


class ServerNotUp(RuntimeError):
    """The server exited or did not answer in time."""


def server_env(
    *,
    port: int,
    url: str,
    db_url: str,
    web_dir: Path,
    work_dir: Path,
    redis_url: str = "",
    extra_env: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of ``reflex run --env prod`` on `port`: its database, Redis (or none),
    its own front-end folder and state folders under `work_dir`, both loopback origins."""
    other_host = "localhost" if "127.0.0.1" in url else "127.0.0.1"
    env = {
        **os.environ,
        "EJOURNAL_PORT": str(port),
        "EJOURNAL_CORS_ORIGINS": f"{url},http://{other_host}:{port}",
        "REFLEX_DB_URL": db_url,
        "EJOURNAL_VAR_DIR": str(work_dir / "var"),
        "PATH": f"{BUN_BIN}{os.pathsep}{PROJECT_ROOT / '.venv' / 'bin'}{os.pathsep}"
        + os.environ.get("PATH", ""),
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_WEB_WORKDIR": str(web_dir),
        "REFLEX_STATES_WORKDIR": str(work_dir / "states"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "EJOURNAL_BACKUP_SCHEDULE": "0",  # a measured or tested server takes no nightly backup
        **(extra_env or {}),
    }
    if redis_url:
        env["REFLEX_REDIS_URL"] = redis_url
    else:
        env.pop("REFLEX_REDIS_URL", None)
    return env


def start_reflex(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``reflex run --env prod`` in its own process group (stopped as a whole), output to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own reflex binary
            [str(REFLEX), "run", "--env", "prod"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_up(
    url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = START_TIMEOUT_S
) -> None:
    """Wait until `/ping` and `/` answer 200; ``ServerNotUp`` if the server exits or is late."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerNotUp(f"the server exited with {proc.returncode}; see {log}")
        try:
            if http_get(f"{url}/ping")[0] == 200 and http_get(f"{url}/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    raise ServerNotUp(f"the server did not answer within {timeout:.0f} s; see {log}")


def stop(proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM the server's process group; SIGKILL it if the server outlives `timeout`."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextmanager
def production_server(
    db_url: str, *, redis_url: str = "", extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Build and start the production server on a free port; stop it (its whole process
    group) on exit."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = server_env(
        port=port,
        url=url,
        db_url=db_url,
        web_dir=WEB_DIR,
        work_dir=LOG_DIR,
        redis_url=redis_url,
        extra_env=extra_env,
    )
    log = LOG_DIR / "server.log"
    with WEB_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held until the server is stopped
        proc = start_reflex(env, log)
        try:
            wait_until_up(url, proc, log)
            yield Server(url, port, proc, log)
        finally:
            stop(proc)
