"""``demo_site ADDRESS``: the demo shop's links lead to the address it is served on.

``sandbox/run.py`` calls it with its ``--port`` before starting the web server, the worker and
the tick, so emails, payment links and the payment provider's return addresses built by any of
them (or by ``orders_tick`` run by hand later) point at the running sandbox.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...setup import serve_links_at


class Command(BaseCommand):
    help = "Point the demo shop's Site (links in emails, payment links) at ADDRESS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("address", help="host:port the sandbox is served on")

    def handle(self, *args: Any, **options: Any) -> None:
        if serve_links_at(options["address"]):
            self.stdout.write(f"Links in emails and payment links now lead to "
                              f"http://{options['address']}/.")
