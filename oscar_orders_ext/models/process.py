"""The order's companion row: state, funnel, payment, people and tags; and its tallies."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest, Least
from django.db.models.signals import post_init
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, Transition

from ..constants import OrderType, PaymentStatus, StockStatus, amount_due
from ..workflow import State, Workflow, get_workflow
from .funnels import Funnel, Stage

ORDER_MODEL = "order.Order"


class Tag(models.Model):
    """A coloured label operators put on orders ("VIP", "gift", "fragile")."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    colour = models.CharField(_("colour"), max_length=7, default="#6c757d",
                              help_text=_("A CSS colour such as #ff8800."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name



def amount_due_expression() -> models.Expression:
    """``amount_due()`` of an ``OrderProcess`` row in SQL (to filter on it)."""
    money: models.DecimalField[Any, Any] = models.DecimalField(max_digits=12, decimal_places=2)
    zero = Value(0, output_field=money)
    owed = F("total") - F("amount_paid")
    return Case(
        When(Q(payment_status=PaymentStatus.PAID, amount_paid=0, amount_refunded=0), then=zero),
        default=Least(owed, Greatest(owed - F("amount_refunded"), zero), output_field=money),
        output_field=money)


class OrderProcessQuerySet(models.QuerySet["OrderProcess"]):
    def for_orders(self, orders: models.QuerySet[Any]) -> OrderProcessQuerySet:
        """The processes of the given orders."""
        return self.filter(order__in=orders)


# The workflow class named by OSCAR_ORDERS_EXT_WORKFLOW is mixed in here, so its django-fsm
# transitions become methods of this model. The migration lists plain models.Model as the base:
# Django does not track bases, and the workflow is code, not schema.
class OrderProcess(FSMModelMixin, get_workflow(), models.Model):  # type: ignore[misc]
    """How an Oscar order is being worked: state, funnel, payment, people and tags."""

    order = models.OneToOneField(ORDER_MODEL, on_delete=models.CASCADE, related_name="process",
                                 verbose_name=_("order"))
    # No index of its own: ooe_process_state_recent starts with the state.
    state = FSMField(_("state"), max_length=50, protected=True)
    # No index of its own either: ooe_process_stage_recent starts with the funnel.
    funnel = models.ForeignKey(Funnel, on_delete=models.PROTECT, related_name="processes",
                               verbose_name=_("funnel"), db_index=False)
    stage = models.ForeignKey(Stage, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="processes", verbose_name=_("stage"))
    order_type = models.CharField(_("order type"), max_length=20, choices=OrderType.choices,
                                  default=OrderType.STANDARD)
    payment_status = models.CharField(_("payment status"), max_length=20,
                                      choices=PaymentStatus.choices,
                                      default=PaymentStatus.UNPAID)
    # Received less refunded, from Oscar's payment sources (oscar_orders_ext.payments keeps it);
    # db_default: raw writers (the COPY importer) leave the column out.
    amount_paid = models.DecimalField(_("amount paid"), max_digits=12, decimal_places=2,
                                      default=0, db_default=0)
    # Refunded so far (Oscar's sources): with amount_paid it gives the amount due
    # (``amount_due()``), where a refund of goods or a goodwill refund owes the shop nothing.
    amount_refunded = models.DecimalField(_("amount refunded"), max_digits=12,
                                          decimal_places=2, default=0, db_default=0)
    # No index of its own: ooe_process_operator_sort starts with it.
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("operator"),
                                 db_index=False)
    source = models.CharField(_("source"), max_length=64, blank=True,
                              help_text=_("Where the order came from: web, phone, shopify…"))
    # The customer's language when they placed the order: their documents and emails use it
    # (i18n.order_language). Empty when staff or a file created the order.
    # db_default: raw writers (the PostgreSQL COPY importer) leave the column out.
    language = models.CharField(
        _("language"), max_length=15, blank=True, default="", db_default="",
        help_text=_("The customer's language for emails and documents; empty: the shop's "
                    "default language."))
    tags = models.ManyToManyField(Tag, blank=True, related_name="processes",
                                  verbose_name=_("tags"))
    stock_status = models.CharField(_("stock"), max_length=20, choices=StockStatus.choices,
                                    default=StockStatus.ALLOCATED)
    # A snapshot of the Oscar order's list fields, so the workspace filters, sorts, searches and
    # totals on one narrow indexed table instead of joining orders, users and addresses.
    # services.processes.order_snapshot() writes it; receivers keep it current.
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    number = models.CharField(_("order number"), max_length=128, blank=True)
    currency = models.CharField(_("currency"), max_length=12, blank=True)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=0)
    customer_name = models.CharField(_("customer"), max_length=255, blank=True)
    customer_email = models.CharField(_("customer email"), max_length=254, blank=True)
    customer_phone = models.CharField(_("customer phone"), max_length=64, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=128, blank=True)
    shipping_method = models.CharField(_("shipping method"), max_length=128, blank=True)
    state_changed_at = models.DateTimeField(_("in state since"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    # Optimistic concurrency: every change increments it; a form or a card that shows an older
    # version is refused instead of silently overwriting someone else's change.
    version = models.PositiveIntegerField(_("version"), default=1)
    # The conversation's unread messages per side (services/conversations.py keeps them):
    # customer messages staff have not read, staff messages the customer has not read.
    staff_unread = models.PositiveIntegerField(_("unread by staff"), default=0, db_default=0)
    customer_unread = models.PositiveIntegerField(_("unread by customer"), default=0,
                                                  db_default=0)

    objects = OrderProcessQuerySet.as_manager()

    class Meta:
        verbose_name = _("order process")
        verbose_name_plural = _("order processes")
        permissions = [
            ("change_order_state", _("Can move orders through the workflow")),
            ("cancel_order", _("Can cancel and reject orders")),
            ("refund_order", _("Can refund orders")),
            ("reopen_order", _("Can reopen cancelled orders")),
            ("bulk_edit_orders", _("Can edit orders in bulk")),
            ("manage_funnels", _("Can manage funnels and stages")),
            ("import_orders", _("Can import orders from files")),
            ("create_manual_order", _("Can create orders by hand (phone, in-store)")),
            ("edit_order_lines", _("Can edit the lines of placed orders")),
            ("edit_shipped_order_lines", _("Can edit the lines of shipped orders")),
            ("edit_order_details", _("Can edit buyer details and addresses of orders")),
            ("manage_carriers", _("Can manage carriers")),
        ]
        indexes = [
            # The id closes the order, so deep pages are read off the index alone.
            models.Index(fields=["-placed_at", "-id"], name="ooe_process_placed"),
            # varchar_pattern_ops lets PostgreSQL use the index for number-prefix searches.
            models.Index(fields=["number"], name="ooe_process_number",
                         opclasses=["varchar_pattern_ops"]),
            # Email prefix searches, and a customer's first and last orders read off the
            # index (the directory's upkeep when one of them leaves the count).
            models.Index(fields=["customer_email", "placed_at"], name="ooe_process_email_placed",
                         opclasses=["varchar_pattern_ops", "timestamptz_ops"]),
            # The id closes the newest-first order (placed_at, then id): the first rows of a
            # state or stage are read straight off the index, so PostgreSQL never prefers
            # walking ooe_process_placed past thousands of newer orders of other states.
            models.Index(fields=["state", "-placed_at", "-id"], name="ooe_process_state_recent"),
            models.Index(fields=["funnel", "stage", "-placed_at", "-id"],
                         name="ooe_process_stage_recent"),
            # Plain btrees for the filters on exact values. Not db_index=True: on PostgreSQL
            # Django adds a varchar_pattern_ops twin to each, which no query uses (no LIKE on
            # these columns) and every insert maintains (imports write 100,000s of rows).
            models.Index(fields=["order_type"], name="ooe_process_order_type"),
            # Also sorts by payment status (columns.NEWEST_FIRST_WITHIN).
            models.Index(fields=["payment_status", "-placed_at", "-id"],
                         name="ooe_process_payment_status"),
            models.Index(fields=["source"], name="ooe_process_source"),
            models.Index(fields=["payment_method"], name="ooe_process_payment_method"),
            models.Index(fields=["shipping_method"], name="ooe_process_shipping_method"),
            # The table's sorts (either way: read backwards for the other direction).
            models.Index(fields=["-total", "-id"], name="ooe_process_total"),
            models.Index(fields=["number", "id"], name="ooe_process_number_sort"),
            models.Index(fields=["customer_name", "id"], name="ooe_process_customer_sort"),
            models.Index(fields=["-last_activity_at", "-id"], name="ooe_process_activity"),
            # Sorting by operator reads each operator's orders (and the unassigned ones) in id
            # order (selectors.operator_sorted_ids); also the operator filter.
            models.Index(fields=["operator", "id"], name="ooe_process_operator_sort"),
            # The inbox: the few orders with unread customer messages, newest first.
            models.Index(fields=["-placed_at", "-id"], name="ooe_process_staff_unread",
                         condition=models.Q(staff_unread__gt=0)),
        ]

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        """Reload from the database; what was noted at loading (``post_init``: what the order
        contributes to its customer) is noted again from the fresh values."""
        super().refresh_from_db(*args, **kwargs)
        post_init.send(sender=type(self), instance=self)

    def __str__(self) -> str:
        return f"{self.order_id}: {self.state}"

    @property
    def amount_due(self) -> Any:
        """What the customer still owes (negative: a refund is owed); see ``amount_due()``."""
        return amount_due(self.total, self.amount_paid, self.amount_refunded,
                          self.payment_status)

    @property
    def workflow(self) -> type[Workflow]:
        return get_workflow()

    @property
    def state_info(self) -> State:
        """The current state's label, colour and behaviour."""
        return get_workflow().get_state(self.state)

    def get_transition(self, name: str) -> Transition | None:
        """The declared transition called ``name`` leaving the current state, if any."""
        for transition in self.get_all_state_transitions():
            if transition.name == name and transition.source in {self.state, "*", "+"}:
                return transition
        return None

    def transition_names(self) -> set[str]:
        """Names of every transition the workflow declares."""
        return {t.name for t in self.get_all_state_transitions()}



class ProcessTally(models.Model):
    """Running counts and totals per (funnel, stage, state, currency, payment status, order
    type), kept by PostgreSQL triggers on ``OrderProcess``, so summaries of the whole workspace
    or of those filters cost the same at any size.

    Only PostgreSQL maintains it (see migration 0004); elsewhere summaries are computed live.
    """

    funnel_id = models.BigIntegerField()
    stage_id = models.BigIntegerField(help_text="0 when the order has no stage")
    state = models.CharField(max_length=50)
    currency = models.CharField(max_length=12)
    payment_status = models.CharField(max_length=20)
    order_type = models.CharField(max_length=20)
    count = models.BigIntegerField(default=0)
    total = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("tally")
        verbose_name_plural = _("tallies")
        constraints = [models.UniqueConstraint(
            fields=["funnel_id", "stage_id", "state", "currency", "payment_status", "order_type"],
            name="ooe_tally_key")]

    def __str__(self) -> str:
        return (f"{self.funnel_id}/{self.stage_id}/{self.state}/{self.currency}/"
                f"{self.payment_status}/{self.order_type}: {self.count}")


class FunnelTally(models.Model):
    """The columns the tag and day tallies share: a count and total per (funnel, stage, state,
    currency) of whatever key the concrete tally adds."""

    funnel_id = models.BigIntegerField()
    stage_id = models.BigIntegerField(help_text="0 when the order has no stage")
    state = models.CharField(max_length=50)
    currency = models.CharField(max_length=12)
    count = models.BigIntegerField(default=0)
    total = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        abstract = True
        verbose_name = _("tally")
        verbose_name_plural = _("tallies")


class TagTally(FunnelTally):
    """Running counts and totals per (tag, funnel, stage, state, currency), kept by PostgreSQL
    triggers on the tag links and on ``OrderProcess`` (migration 0021), so the summary and the
    board of one tag read a few rows whatever the number of tagged orders."""

    tag_id = models.BigIntegerField()

    class Meta(FunnelTally.Meta):
        constraints = [models.UniqueConstraint(
            fields=["tag_id", "funnel_id", "stage_id", "state", "currency"],
            name="ooe_tag_tally_key")]

    def __str__(self) -> str:
        return f"tag {self.tag_id}/{self.funnel_id}/{self.stage_id}/{self.state}: {self.count}"


class DayTally(FunnelTally):
    """Running counts and totals per (UTC day placed, funnel, stage, state, currency), kept by
    PostgreSQL triggers on ``OrderProcess`` (migration 0021): a date range's summary reads its
    whole days here and counts only the hours at its edges live."""

    day = models.DateField()

    class Meta(FunnelTally.Meta):
        constraints = [models.UniqueConstraint(
            fields=["day", "funnel_id", "stage_id", "state", "currency"],
            name="ooe_day_tally_key")]

    def __str__(self) -> str:
        return f"{self.day}/{self.funnel_id}/{self.stage_id}/{self.state}: {self.count}"


#: The filters ``FacetTally`` answers (its ``facet`` column): one value per order each, except
#: ``amount_due``, whose "partly" orders are also "due".
TALLY_FACETS = ("payment_method", "shipping_method", "source", "operator", "amount_due")


class FacetTally(FunnelTally):
    """Running counts and totals per (facet, value, funnel, stage, state, currency), kept by
    PostgreSQL triggers on ``OrderProcess`` (migration 0023): the summary and the board of a
    payment or shipping method, a source, an operator or an amount-due class read a few rows
    whatever the number of matching orders. ``value`` is the column's value (the operator's
    id, or "none"), or the amount-due class ("due", "partly", "paid", "owed")."""

    facet = models.CharField(max_length=20)
    value = models.CharField(max_length=254)

    class Meta(FunnelTally.Meta):
        constraints = [models.UniqueConstraint(
            fields=["facet", "value", "funnel_id", "stage_id", "state", "currency"],
            name="ooe_facet_tally_key")]

    def __str__(self) -> str:
        return f"{self.facet}={self.value}/{self.funnel_id}/{self.stage_id}: {self.count}"


class CustomerTally(FunnelTally):
    """Running counts and totals per (customer name, email, phone, funnel, stage, state,
    currency), kept by PostgreSQL triggers on ``OrderProcess`` (migration 0023). Its customer
    columns are named as the process's, so a search on them (a name, the start of an email, a
    phone) or the customer filter applies to it as it is: the summary reads a row per customer
    and stage instead of every matching order. Trigram and pattern indexes serve the searches
    when a shop has many customers."""

    customer_name = models.CharField(max_length=255)
    customer_email = models.CharField(max_length=254)
    customer_phone = models.CharField(max_length=64)

    class Meta(FunnelTally.Meta):
        constraints = [models.UniqueConstraint(
            fields=["customer_email", "customer_name", "customer_phone", "funnel_id",
                    "stage_id", "state", "currency"],
            name="ooe_customer_tally_key")]
        indexes = [models.Index(fields=["customer_email"], name="ooe_customer_tally_email",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.customer_email}/{self.funnel_id}/{self.stage_id}: {self.count}"


class ProductTally(FunnelTally):
    """Running counts and totals of orders per (facet, value, funnel, stage, state, currency),
    where the facet is "sku" or "title" and the value one of the order's lines' SKUs or titles:
    an order counts once per distinct value, however many of its lines hold it. Kept by
    PostgreSQL triggers on Oscar's order lines and on ``OrderProcess`` (migration 0024), so
    every path that writes lines (checkout, imports' COPY, manual orders, line edits, the
    seed's bulk path) keeps it without code of its own. A product search matching one value
    (a SKU, its start, a word of one product's title) reads its summary here; a search matching
    two values is counted live, since an order holding both would be counted twice."""

    facet = models.CharField(max_length=5)
    value = models.CharField(max_length=255)

    class Meta(FunnelTally.Meta):
        constraints = [models.UniqueConstraint(
            fields=["facet", "value", "funnel_id", "stage_id", "state", "currency"],
            name="ooe_product_tally_key")]

    def __str__(self) -> str:
        return f"{self.facet}={self.value}/{self.funnel_id}/{self.stage_id}: {self.count}"


# --- Documents ------------------------------------------------------------------------------


def total_bucket(total: Decimal) -> Decimal:
    """The lowest total of the ``TotalTally`` bucket holding ``total``: whole units below 100,
    then two significant digits (100, 110, …, 990, 1000, 1100, …), so every bucket is at most
    a tenth of its lowest total wide. Migration 0024's triggers compute the same in SQL."""
    if total < 100:
        return total.to_integral_value(rounding=ROUND_FLOOR)
    unit = Decimal(10) ** (len(str(int(total))) - 2)
    return (total / unit).to_integral_value(rounding=ROUND_DOWN) * unit


def next_total_bucket(bucket: Decimal) -> Decimal:
    """The lowest total of the bucket after the one starting at ``bucket``."""
    if bucket < 100:
        return bucket + 1
    return bucket + Decimal(10) ** (len(str(int(bucket))) - 2)


class TotalTally(FunnelTally):
    """Running counts and totals per (order-total bucket, funnel, stage, state, currency),
    kept by PostgreSQL triggers on ``OrderProcess`` (migration 0024): a total range's summary
    and board read its whole buckets here (``total_bucket``) and count only the orders in the
    buckets at its edges live."""

    bucket = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta(FunnelTally.Meta):
        constraints = [models.UniqueConstraint(
            fields=["bucket", "funnel_id", "stage_id", "state", "currency"],
            name="ooe_total_tally_key")]

    def __str__(self) -> str:
        return f"{self.bucket}/{self.funnel_id}/{self.stage_id}/{self.state}: {self.count}"
