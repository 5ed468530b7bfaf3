"""``python -m bench``: run every benchmark, write bench/results/<name>.json, print a
summary. ``python -m bench ledger_write`` (or ``verify_1m``, ``import_stream``, ``reports``)
runs just one (also ``ledger_concurrent``).

Environment: BENCH_N (transfers per write benchmark, default 2000), BENCH_SECONDS (cap
per write measurement, default 30), BENCH_VERIFY_N (transfers for verify_1m, default
1,000,000), TIMEBANK_BENCH_POSTGRES_URL (default: the test database on 127.0.0.1).
"""

from __future__ import annotations

import os
import sys
import time

from bench import (
    import_stream,
    ledger_concurrent,
    ledger_write,
    load,
    pages,
    pages_at_scale,
    pages_gunicorn,
    reports,
    verify_1m,
)
from bench.common import Figure, write_results

BENCHMARKS = {
    "ledger_write": ledger_write.run,
    "ledger_concurrent": ledger_concurrent.run,
    "verify_1m": verify_1m.run,
    "import_stream": import_stream.run,
    "reports": reports.run,
    "pages": pages.run,
    # Serves the demo with gunicorn for about 40 s: run it by name.
    "pages_gunicorn": pages_gunicorn.run,
    # Builds (once, then keeps) the full-size data set: run it by name.
    "pages_at_scale": pages_at_scale.run,
    # Needs locust (pip install locust); run it by name: python -m bench load.
    "load": load.run,
}
DEFAULT = ["ledger_write", "ledger_concurrent", "verify_1m", "import_stream", "reports", "pages"]


def _line(figure: Figure) -> str:
    text = f"  {figure.name:<42} {figure.value:>12,} {figure.unit}"
    if figure.baseline is not None:
        text += f"   (baseline {figure.baseline:,} {figure.unit}, ratio {figure.ratio})"
    return text


def main(argv: list[str]) -> int:
    names = argv or DEFAULT
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    load = os.getloadavg()[0]
    print(f"host: {os.cpu_count()} CPUs, load average {load:.2f} at start")
    for name in names:
        started = time.perf_counter()
        figures = BENCHMARKS[name]()
        figures.append(Figure("host.load_average_1min_at_start", round(load, 2), "load"))
        path = write_results(name, figures)
        print(f"{name} ({time.perf_counter() - started:.0f} s) -> {path}")
        for figure in figures:
            print(_line(figure))
        failed = [f for f in figures if f.name == "explain.hot_seq_scans" and f.value]
        if failed:
            print(f"{name}: a sequential scan of a hot table (see above)", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
