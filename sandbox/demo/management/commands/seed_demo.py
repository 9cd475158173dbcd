"""``seed_demo``: fill the sandbox shop with a catalogue, people and a year of orders."""

from __future__ import annotations

import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from oscar.core.loading import get_model

from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.services.customer_summaries import backfill_customers

from ... import data
from ...bulk import create_orders_in_bulk
from ...checkout import create_orders_with_oscar, place_due_subscription
from ...planning import check_workflow, placement_ages, plan_order
from ...setup import ensure_demo_world


Order = get_model("order", "Order")


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def _not_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = _(
        "Create the demo catalogue, customers, operators, tags and funnels (once), then add "
        "N orders spread over the last year. Up to --bulk-threshold orders go through "
        "Oscar's checkout code; more are written in bulk.")

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the command's options."""
        parser.add_argument("--orders", type=_not_negative, default=200,
                            help=_("Number of orders to add (default 200)."))
        parser.add_argument("--seed", type=int, default=42,
                            help=_("Random seed; the same seed gives the same orders."))
        parser.add_argument("--bulk-threshold", type=_not_negative, default=500,
                            help=_("Above this many orders, write them in bulk (default 500)."))
        parser.add_argument("--batch-size", type=_positive, default=2000,
                            help=_("Orders per bulk batch (default 2000)."))
        parser.add_argument("--only-if-empty", action="store_true",
                            help=_("Add orders only when the shop has none (for `make run`)."))

    def handle(self, *args: Any, **options: Any) -> None:
        """Set up the demo shop and add the requested orders."""
        problems = check_workflow()
        if problems:
            raise CommandError(_("The configured workflow lacks what the demo orders use: %s")
                               % ", ".join(problems))
        count: int = options["orders"]
        rng = random.Random(options["seed"])

        world = ensure_demo_world()
        created = world.created
        self.stdout.write(_("Demo shop ready: %(products)d products, %(customers)d customers, "
                            "%(operators)d operators, %(tags)d tags, 2 funnels "
                            "(new this run: %(new_products)d products, %(new_users)d users, "
                            "%(new_tags)d tags).") % {
            "products": len(world.products), "customers": len(world.customers),
            "operators": len(world.operators), "tags": len(world.tags),
            "new_products": created.get("products", 0), "new_users": created.get("users", 0),
            "new_tags": created.get("tags", 0)})
        # One way to name the demo login, as the README and `make run` do.
        self.stdout.write(
            _("Log in at /dashboard/ or /cms/ as %(email)s / %(password)s (username "
              "%(username)s); customers and operators also use the password %(password)s.")
            % {"email": data.ADMIN_EMAIL, "username": data.ADMIN_USERNAME,
               "password": data.ADMIN_PASSWORD})
        if options["only_if_empty"] and Order.objects.exists():
            self.stdout.write(_("The shop already has orders: none added."))
            return
        if not count:
            return

        now = timezone.now()
        plans = (plan_order(rng, world, age, now) for age in placement_ages(rng, count))
        bulk = count > options["bulk_threshold"]
        started = time.monotonic()
        step = options["batch_size"] if bulk else max(1, min(100, count // 10))

        def progress(done: int) -> None:
            if done % step and done != count:
                return
            elapsed = max(time.monotonic() - started, 1e-6)
            self.stdout.write(_("  %(done)d/%(total)d orders (%(rate).0f orders/s)")
                              % {"done": done, "total": count, "rate": done / elapsed})

        if bulk:
            self.stdout.write(ngettext("Writing %(count)d order in bulk, %(batch)d per batch…",
                                       "Writing %(count)d orders in bulk, %(batch)d per batch…",
                                       count) % {"count": count, "batch": options["batch_size"]})
            done = create_orders_in_bulk(plans, world, batch_size=options["batch_size"],
                                         progress=progress)
            # Bulk rows skip the receivers: count the customer directory as a shop's
            # backfill would (orders_backfill_customers).
            backfill_customers()
        else:
            self.stdout.write(ngettext("Placing %(count)d order through Oscar's checkout…",
                                       "Placing %(count)d orders through Oscar's checkout…",
                                       count) % {"count": count})
            try:
                done = create_orders_with_oscar(plans, world, run_started=now,
                                                progress=progress)
                place_due_subscription(world, now)
            except OrderWorkflowError as error:
                raise CommandError(error.message) from error
        elapsed = max(time.monotonic() - started, 1e-6)
        self.stdout.write(self.style.SUCCESS(
            ngettext("Added %(count)d order in %(seconds).1f s (%(rate).0f orders/s).",
                     "Added %(count)d orders in %(seconds).1f s (%(rate).0f orders/s).", done)
            % {"count": done, "seconds": elapsed, "rate": done / elapsed}))
