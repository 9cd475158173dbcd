from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from oscar_orders_ext.services.processes import backfill_processes


class Command(BaseCommand):
    help = _("Attach the workspace to every existing Oscar order that lacks it (idempotent).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        verbosity = options["verbosity"]

        def progress(done: int) -> None:
            if verbosity > 1:
                self.stdout.write(ngettext("%(count)d order attached…",
                                           "%(count)d orders attached…", done)
                                  % {"count": done})

        result = backfill_processes(batch_size=batch_size, progress=progress)
        attached = ngettext("%(count)d order attached.", "%(count)d orders attached.",
                            result.created) % {"count": result.created}
        existing = ngettext("%(count)d already had its workspace record.",
                            "%(count)d already had their workspace record.",
                            result.existing) % {"count": result.existing}
        self.stdout.write(self.style.SUCCESS(f"{attached} {existing}"))
