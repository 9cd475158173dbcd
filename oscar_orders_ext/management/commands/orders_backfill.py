from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from oscar_orders_ext.services.processes import backfill_processes


class Command(BaseCommand):
    help = _("Attach the workspace to every existing Oscar order that lacks it (idempotent).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        verbosity = options["verbosity"]

        def progress(done: int) -> None:
            if verbosity > 1:
                self.stdout.write(_("%(count)d orders attached…") % {"count": done})

        result = backfill_processes(batch_size=batch_size, progress=progress)
        self.stdout.write(self.style.SUCCESS(
            _("%(created)d orders attached, %(existing)d already had their workspace record.")
            % {"created": result.created, "existing": result.existing}))
