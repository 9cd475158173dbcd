"""``orders_import FILE [--commit]``: the dry-run report of an order file, then the import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from oscar_orders_ext.imports.jobs import purge_expired_imports
from oscar_orders_ext.imports.service import (ImportPlan, ImportRefused, commit_import,
                                              plan_import)
from oscar_orders_ext.imports.sources import ImportFileError, check_size

#: Row errors printed; the rest are counted.
ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = ("Import orders from a Shopify, WooCommerce or Etsy export (CSV or XLSX). "
            "Prints what would happen; --commit imports the file (all or nothing).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="Path to the CSV or XLSX file.")
        parser.add_argument("--purge-expired", action="store_true",
                            help="Delete expired dashboard uploads and their dry runs.")
        parser.add_argument("--commit", action="store_true",
                            help="Import the file (otherwise only the dry run is printed).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["purge_expired"]:
            count = purge_expired_imports()
            self.stdout.write(ngettext("%(count)d expired import deleted.",
                                       "%(count)d expired imports deleted.", count)
                              % {"count": count})
            if not options["file"]:
                return
        if not options["file"]:
            raise CommandError(_("Give the file to import."))
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        try:
            check_size(path.stat().st_size)
            plan = plan_import(path.read_bytes(), path.name)
        except ImportFileError as error:
            raise CommandError(error.message) from error
        self.report(plan)
        if not options["commit"]:
            return
        try:
            result = commit_import(plan)
        except ImportRefused as error:
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(
            _("Imported %(orders)d orders (%(lines)d lines); %(created)d customers created, "
              "%(updated)d updated; %(existing)d already imported.") % {
                "orders": result.orders_created, "lines": result.lines_created,
                "created": result.customers_created, "updated": result.customers_updated,
                "existing": result.orders_already_imported}))

    def report(self, plan: ImportPlan) -> None:
        """Print the dry run."""
        counts = plan.counts
        self.stdout.write(_("%(file)s: %(format)s export, %(rows)d rows, %(orders)d orders "
                            "(encoding %(encoding)s, delimiter %(delimiter)r)") % {
            "file": plan.filename, "format": plan.reader.label, "rows": plan.rows,
            "orders": len(plan.orders), "encoding": plan.encoding or "-",
            "delimiter": plan.delimiter})
        for label, value in (
            (_("orders to create"), counts.orders_to_create),
            (_("already imported"), counts.orders_already_imported),
            (_("customers to create"), counts.customers_to_create),
            (_("customers to update"), counts.customers_to_update),
            (_("lines to create"), counts.lines_to_create),
            (_("lines matched to products"), counts.lines_matched_to_products),
            (_("lines without product"), counts.lines_without_product),
        ):
            self.stdout.write(f"  {label + ':':<28}{value}")
        for warning in plan.warnings:
            self.stdout.write(self.style.WARNING("  " + _("warning: %(text)s")
                                                 % {"text": warning}))
        for error in plan.errors[:ERRORS_SHOWN]:
            self.stdout.write(self.style.ERROR("  " + _("row %(row)d, column “%(column)s”: "
                                                        "%(reason)s") % {
                "row": error.row, "column": error.column, "reason": error.reason}))
        if len(plan.errors) > ERRORS_SHOWN:
            more = len(plan.errors) - ERRORS_SHOWN
            self.stdout.write(self.style.ERROR("  " + ngettext(
                "… and %(count)d more error", "… and %(count)d more errors", more)
                % {"count": more}))
