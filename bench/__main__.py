"""`python -m bench [NAME …]`: run every benchmark (or the named ones) and print figures."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

#: Benchmarks named without the `_bench` suffix (they also run alone: `python -m bench.control`).
EXTRA = ("control", "forecast")


def bench_modules() -> list[str]:
    """The `*_bench` modules of this package and the EXTRA ones, in name order."""
    here = Path(__file__).resolve().parent
    return sorted(
        m.name
        for m in pkgutil.iter_modules([str(here)])
        if m.name.endswith("_bench") or m.name in EXTRA
    )


def main(argv: Sequence[str] | None = None) -> int:
    wanted = list(argv if argv is not None else sys.argv[1:])
    names = [
        n
        for n in bench_modules()
        if not wanted or n in wanted or n.removesuffix("_bench") in wanted
    ]
    failed = 0
    for name in names:
        print(f"=== {name}", flush=True)
        start = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        try:
            module.run()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed += 1
            print(f"  ошибка: {type(exc).__name__}: {exc}", flush=True)
        print(f"  ({time.perf_counter() - start:.1f} с)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
