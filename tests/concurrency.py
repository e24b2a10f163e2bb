"""Several users at one moment: the tests' way to start writers together."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def together(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs in threads released at one moment; each job's result or exception."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(k: int) -> None:
        barrier.wait()
        try:
            results[k] = jobs[k]()
        except BaseException as exc:  # reported to the test
            results[k] = exc

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results
