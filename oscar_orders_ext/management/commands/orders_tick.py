import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from oscar_orders_ext import tick
from oscar_orders_ext.models import TickRun


class Command(BaseCommand):
    help = _("Run the due work registered on the scheduler tick (expired files, stale jobs, …), "
             "on one host at a time. Run it from cron every minute, or with --loop.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=float, metavar="SECONDS",
                            help=_("Tick every SECONDS until stopped (a container without "
                                   "cron)."))
        parser.add_argument("--force", action="store_true",
                            help=_("Run every piece of work now, due or not."))
        parser.add_argument("--only", metavar="NAME", help=_("Run this piece of work only."))
        parser.add_argument("--list", action="store_true",
                            help=_("List the registered work and when it last ran."))
        parser.add_argument("--quiet", action="store_true",
                            help=_("Print only what did something or failed."))

    def handle(self, *args: Any, **options: Any) -> None:
        autodiscover_modules("tick")
        names = [work.name for work in tick.registered()]
        if options["only"] and options["only"] not in names:
            raise CommandError(_("No tick work is named “%(name)s”; registered: %(names)s.")
                               % {"name": options["only"], "names": ", ".join(names)})
        if options["list"]:
            self._list()
            return
        if options["loop"] is None:
            self._tick(options)
            return
        if options["loop"] <= 0:
            raise CommandError(_("--loop needs a number of seconds above 0."))
        try:
            while True:
                started = time.monotonic()
                try:
                    self._tick(options)
                except DatabaseError as error:  # the database restarting: try next time
                    self.stderr.write(_("Tick failed: %(error)s") % {"error": error})
                close_old_connections()
                time.sleep(max(0.0, options["loop"] - (time.monotonic() - started)))
        except KeyboardInterrupt:
            return

    def _tick(self, options: dict[str, Any]) -> None:
        outcomes = tick.run_due(force=options["force"], only=options["only"])
        if outcomes is None:
            self.stdout.write(_("Another host is running the tick; nothing done."))
            return
        for outcome in outcomes:
            if outcome.failed:
                self.stderr.write(_("%(name)s failed: %(error)s")
                                  % {"name": outcome.name, "error": outcome.result})
            elif not options["quiet"] or outcome.result not in ("", "0"):
                self.stdout.write(_("%(name)s: %(result)s")
                                  % {"name": outcome.name, "result": outcome.result or _("done")})
        if not outcomes and not options["quiet"]:
            self.stdout.write(_("Nothing due."))

    def _list(self) -> None:
        runs = {run.name: run for run in TickRun.objects.all()}
        for work in tick.registered():
            run = runs.get(work.name)
            last = run.last_started_at.isoformat(timespec="seconds") if (
                run and run.last_started_at) else _("never")
            self.stdout.write(_("%(name)s, every %(every)s, last run %(last)s: %(description)s")
                              % {"name": work.name, "every": work.every, "last": last,
                                 "description": work.description})
