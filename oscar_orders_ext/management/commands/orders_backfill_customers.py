from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from oscar_orders_ext.services.customer_summaries import CHUNK, backfill_customers


class Command(BaseCommand):
    help = _("Recount every customer of the customer directory from their orders and "
             "accounts (idempotent).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=CHUNK)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        count = backfill_customers(batch_size=batch_size)
        self.stdout.write(self.style.SUCCESS(
            _("%(count)d customers in the directory.") % {"count": count}))
