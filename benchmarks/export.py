"""Export throughput and memory against raw writers and Oscar's own CSV download.

    .venv/bin/python benchmarks/export.py --keep --reuse        # reuses the workspace database

Uses the scratch database of ``workspace.py`` (``ooe_bench_workspace_<N>``), seeding it if
needed. Each figure comes from its own child process (``_measure_export.py``), so peak memory
is that run's alone. Prints figures; the targets are shown, never asserted: XLSX at least 0.8×
the raw openpyxl writer's rows/s including the database read, peak memory flat in row count,
CSV at least 10× the rows/s of Oscar's dashboard CSV download.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workspace import database_url, prepare, psql  # noqa: E402

HERE = Path(__file__).resolve().parent


def child(mode: str, limit: int, database: str) -> dict[str, Any]:
    """One measurement in a fresh process."""
    env = dict(os.environ, DATABASE_URL=database_url(database),
               DJANGO_SETTINGS_MODULE="sandbox.settings")
    output = subprocess.run([sys.executable, str(HERE / "_measure_export.py"), mode, str(limit)],
                            env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--oscar-limit", type=int, default=1000,
                        help="Oscar's download posts one field per order: 1,000 is its ceiling")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--database", help="scratch database name (default: the workspace "
                                           "benchmark's, ooe_bench_workspace_<N>)")
    options = parser.parse_args()

    name = prepare(options.orders, options.reuse, options.database)
    try:
        figures = {}
        for mode, limit in [("ours-xlsx", options.small), ("ours-xlsx", options.orders),
                            ("raw-xlsx", options.orders), ("ours-csv", options.orders),
                            ("raw-csv", options.orders), ("oscar-csv", options.oscar_limit),
                            ("ours-csv", options.oscar_limit)]:
            result = child(mode, limit, name)
            figures[(mode, limit)] = result
            print(f"{mode:10} {limit:>8} rows  {result['seconds']:8.2f} s  "
                  f"{result['rows'] / result['seconds']:9.0f} rows/s  "
                  f"peak {result['peak_mb']:6.0f} MB", flush=True)

        def rate(key: tuple[str, int]) -> float:
            return figures[key]["rows"] / figures[key]["seconds"]

        n = options.orders
        print()
        xlsx_ratio = rate(("ours-xlsx", n)) / rate(("raw-xlsx", n))
        print(f"XLSX ours / raw openpyxl write-only: {xlsx_ratio:.2f}  (target >= 0.8)")
        print(f"XLSX peak memory {options.small} vs {n} rows: "
              f"{figures[('ours-xlsx', options.small)]['peak_mb']:.0f} MB vs "
              f"{figures[('ours-xlsx', n)]['peak_mb']:.0f} MB  (target: flat)")
        print(f"CSV ours / raw csv module: {rate(('ours-csv', n)) / rate(('raw-csv', n)):.2f}")
        print(f"CSV ours ({n} rows) / Oscar's download ({options.oscar_limit} rows), rows/s: "
              f"{rate(('ours-csv', n)) / rate(('oscar-csv', options.oscar_limit)):.1f}"
              "  (target >= 10)")
    finally:
        if not options.keep:
            psql(f"DROP DATABASE IF EXISTS {name}")


if __name__ == "__main__":
    main()
