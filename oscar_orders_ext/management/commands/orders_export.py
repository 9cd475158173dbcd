from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.exports.service import ExportOptions, purge_expired_exports, write_export


class Command(BaseCommand):
    help = _("Export orders to XLSX or CSV, with the workspace's filters and columns.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", nargs="?", help=_("File to write (.xlsx or .csv)."))
        parser.add_argument("--filter", default="",
                            help=_('The workspace filter as a query string, e.g. "state=new".'))
        parser.add_argument("--columns", default="", help=_("Comma-separated column keys."))
        parser.add_argument("--lines-sheet", action="store_true")
        parser.add_argument("--delimiter", default=",", choices=[",", ";", "tab"])
        parser.add_argument("--bom", action="store_true")
        parser.add_argument("--purge-expired", action="store_true",
                            help=_("Delete expired background export files (orders_tick does it "
                                   "every hour)."))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["purge_expired"]:
            count = purge_expired_exports()
            self.stdout.write(ngettext("%(count)d expired export deleted.",
                                       "%(count)d expired exports deleted.", count)
                              % {"count": count})
            if not options["output"]:
                return
        if not options["output"]:
            raise CommandError(_("Name the file to write."))
        path = Path(options["output"])
        fmt = path.suffix.lstrip(".").lower()
        try:
            export = ExportOptions(format=fmt, query=options["filter"],
                                   columns=[c for c in options["columns"].split(",") if c],
                                   delimiter=options["delimiter"], bom=options["bom"],
                                   lines_sheet=options["lines_sheet"])
        except OrderWorkflowError as error:
            raise CommandError(error.message) from error
        with path.open("wb") as target:
            count = write_export(export, None, target)
        self.stdout.write(self.style.SUCCESS(
            ngettext("%(count)d order written to %(path)s.",
                     "%(count)d orders written to %(path)s.", count)
            % {"count": count, "path": path}))
