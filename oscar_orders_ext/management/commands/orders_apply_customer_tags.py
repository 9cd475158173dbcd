from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from oscar_orders_ext.services.customer_tags import apply_to_past_orders


class Command(BaseCommand):
    help = _("Apply the customer tag rules to every past order (idempotent).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--paid-only", action="store_true", default=None,
                            help=_("Only paid orders (the default when rules apply on "
                                   "payment)."))

    def handle(self, *args: Any, paid_only: bool | None, **options: Any) -> None:
        added = apply_to_past_orders(paid_only=paid_only)
        self.stdout.write(self.style.SUCCESS(
            _("%(count)d customer tags added.") % {"count": added}))
