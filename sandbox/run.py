"""Run the sandbox's processes side by side until Ctrl-C: ``make run`` calls it.

Starts the web server, a task worker (``db_worker``) and the scheduler tick (``orders_tick
--loop``), prefixes each line they print with the process's name, and stops all of them when
one exits or on Ctrl-C (SIGINT/SIGTERM): Ctrl-C to each, then SIGTERM and SIGKILL after 5 s
each for whatever is still running. A few lines of standard library rather than a process
manager dependency (honcho, supervisord): the sandbox needs nothing more.

    python sandbox/run.py [--port 8000] [--no-worker] [--no-tick]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

MANAGE = str(Path(__file__).resolve().parent / "manage.py")


def commands(port: int, *, worker: bool, tick: bool) -> dict[str, list[str]]:
    """The processes to run, by name."""
    python = sys.executable
    chosen = {"web": [python, MANAGE, "runserver", f"127.0.0.1:{port}"]}
    if worker:
        # --reload off: a worker restarting mid-job would leave the job to the stale-job sweep.
        chosen["worker"] = [python, MANAGE, "db_worker", "--no-reload", "--interval", "0.5"]
    if tick:
        chosen["tick"] = [python, MANAGE, "orders_tick", "--loop", "60", "--quiet"]
    return chosen


def point_links_at(port: int, env: dict[str, str]) -> None:
    """Make the demo shop's links (emails, payment links) lead to this port, whichever
    process builds them (``demo_site``); a shop not migrated yet is left to ``make run``."""
    result = subprocess.run([sys.executable, MANAGE, "demo_site", f"127.0.0.1:{port}"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, check=False)
    if result.stdout.strip():
        print(result.stdout.strip() if result.returncode == 0 else
              f"Links keep their address (demo_site failed):\n{result.stdout.strip()}")


def _relay(name: str, stream: object) -> None:
    """Print a child's output with its name in front, line by line."""
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        sys.stdout.write(f"{name:>6} | {line}")
        sys.stdout.flush()


def main() -> int:
    """Start the processes, wait for Ctrl-C or for one to exit, then stop them all."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-worker", action="store_true")
    parser.add_argument("--no-tick", action="store_true")
    options = parser.parse_args()
    # SANDBOX_ADDRESS: the address settings.py gives Wagtail's admin links.
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "SANDBOX_ADDRESS": f"127.0.0.1:{options.port}"}
    point_links_at(options.port, env)
    children: dict[str, subprocess.Popen[str]] = {}
    # Handled here before the children start: they begin with the default handlers (a shell
    # that started this script in the background may have ignored SIGINT).
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    # SANDBOX_TASKS=immediate runs tasks in the request: there is no queue for a worker to read.
    worker = not options.no_worker and os.environ.get("SANDBOX_TASKS") != "immediate"
    for name, command in commands(options.port, worker=worker, tick=not options.no_tick).items():
        # Own process group: the terminal's Ctrl-C reaches this script only, which then stops
        # each child in order rather than all of them at once mid-write.
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, start_new_session=True)
        children[name] = child
        threading.Thread(target=_relay, args=(name, child.stdout), daemon=True).start()

    exited: list[str] = []
    while not stopping.is_set() and not exited:
        exited = [name for name, child in children.items() if child.poll() is not None]
        stopping.wait(0.5)
    # Ctrl-C first (the worker finishes its task), then SIGTERM, then SIGKILL, to each
    # process group (runserver's autoreloader has a child).
    for signum, grace in ((signal.SIGINT, 5), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        running = [child for child in children.values() if child.poll() is None]
        for child in running:
            try:
                os.killpg(child.pid, signum)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while any(child.poll() is None for child in running) and time.monotonic() < deadline:
            time.sleep(0.1)
    if exited:
        print(f"\nStopped: {', '.join(exited)} exited (code "
              f"{children[exited[0]].returncode}).")
        return 1
    print("\nStopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
