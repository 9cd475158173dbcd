"""CPU time of a few pages, measured in one process in rounds (one GET of each page per round),
for a machine too busy for wall-clock ratios: the process's CPU time does not count the time
other processes hold the cores.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded database> \\
        .venv/bin/python benchmarks/pages_cpu.py /dashboard/workspace/ \\
        "/dashboard/workspace/?inbox=true" /dashboard/orders/

Logged in as the first superuser, with the sandbox settings and ``DEBUG`` off (as in
production); prints the median wall and CPU milliseconds of each page. Only Python's side is
counted: PostgreSQL's time is not. ``--profile N`` then prints, per page, the N functions with
the most cumulative time over the rounds (cProfile), ``--sort tottime`` the most own time;
``--templates`` the time spent in each template (with the templates it includes) per drawing.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")


def main() -> None:
    """Time the pages given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="then profile each page and print its N costliest functions")
    parser.add_argument("--sort", default="cumulative", help="pstats order (tottime …)")
    parser.add_argument("--templates", action="store_true",
                        help="then the CPU ms each template takes, includes counted in")
    options = parser.parse_args()
    from django.conf import settings

    settings.DEBUG = False
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(get_user_model().objects.filter(is_superuser=True).first())
    wall: dict[str, list[float]] = {url: [] for url in options.urls}
    cpu: dict[str, list[float]] = {url: [] for url in options.urls}
    for url in options.urls:
        assert client.get(url).status_code == 200, url  # and warm the caches
    for _round in range(options.rounds):
        for url in options.urls:
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            wall[url].append(time.perf_counter() - started)
            cpu[url].append(time.process_time() - started_cpu)
    for url in options.urls:
        print(f"{url:50} wall {statistics.median(wall[url]) * 1000:7.1f} ms   "
              f"cpu {statistics.median(cpu[url]) * 1000:7.1f} ms")
    for url in options.urls if options.profile else ():
        profiler = cProfile.Profile()
        for _round in range(options.rounds):
            profiler.runcall(client.get, url)
        print(f"\n=== {url}: {options.rounds} rounds")
        pstats.Stats(profiler).strip_dirs().sort_stats(options.sort).print_stats(
            options.profile)
    for url in options.urls if options.templates else ():
        print(f"\n=== {url}: CPU ms per drawing in each template (its includes counted in)")
        for name, ms in template_times(client, url, options.rounds):
            print(f"{ms:8.2f}  {name}")


def template_times(client: object, url: str, rounds: int) -> list[tuple[str, float]]:
    """(template name, mean CPU ms per drawing) of every template ``url`` draws, costliest
    first (CPU time: what other processes take of the cores is not counted)."""
    from django.template.base import Template

    spent: dict[str, float] = {}
    original = Template._render

    def timed(self: Template, context: object) -> object:
        started = time.process_time()
        try:
            return original(self, context)
        finally:
            name = str(self.origin.template_name if self.origin else self.name)
            spent[name] = spent.get(name, 0.0) + time.process_time() - started

    Template._render = timed  # type: ignore[method-assign]
    try:
        for _round in range(rounds):
            client.get(url)  # type: ignore[attr-defined]
    finally:
        Template._render = original  # type: ignore[method-assign]
    return sorted(((name, total * 1000 / rounds) for name, total in spent.items()),
                  key=lambda item: -item[1])


if __name__ == "__main__":
    main()
