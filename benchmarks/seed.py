"""Time ``seed_demo`` on a scratch database and print orders/s and peak memory.

    .venv/bin/python benchmarks/seed.py --orders 100000                  # SQLite
    .venv/bin/python benchmarks/seed.py --orders 100000 --postgres        # PostgreSQL

PostgreSQL uses a scratch database ``ooe_bench_seed`` on 127.0.0.1:5432 (user postgres),
created and dropped by the script.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(ROOT / "sandbox" / "manage.py")]
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DB = "ooe_bench_seed"


def run(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(MANAGE + args, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG_SERVER}/postgres", "-qc", sql], check=True,
                   stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--bulk-threshold", type=int, default=500)
    parser.add_argument("--postgres", action="store_true")
    options = parser.parse_args()

    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as scratch:
        if options.postgres:
            psql(f"DROP DATABASE IF EXISTS {PG_DB}")
            psql(f"CREATE DATABASE {PG_DB}")
            env["DATABASE_URL"] = f"{PG_SERVER}/{PG_DB}"
        else:
            env["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
        try:
            run(["migrate", "--noinput"], env)
            run(["seed_demo", "--orders", "0"], env)  # catalogue and people, not timed
            seconds = run(["seed_demo", "--orders", str(options.orders),
                           "--bulk-threshold", str(options.bulk_threshold)], env)
        finally:
            if options.postgres:
                psql(f"DROP DATABASE IF EXISTS {PG_DB}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    path = "bulk" if options.orders > options.bulk_threshold else "Oscar checkout"
    database = "PostgreSQL" if options.postgres else "SQLite"
    print(f"seed_demo --orders {options.orders} ({path} path, {database})")
    print(f"  wall time   {seconds:8.1f} s")
    print(f"  throughput  {options.orders / seconds:8.0f} orders/s")
    print(f"  peak RSS    {peak_mb:8.0f} MB (largest child process)")


if __name__ == "__main__":
    main()
