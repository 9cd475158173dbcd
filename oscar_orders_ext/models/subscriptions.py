"""Plans, subscriptions and their renewals, and installment plans (docs/subscriptions.md).

A ``Plan`` says how often (``interval_unit`` × ``interval_count``), how many periods (or
open-ended), the price per period in each currency (``PlanPrice``), a trial and a setup fee;
``ProductPlan`` sells a catalogue product on a plan. Confirming an order with such a product
creates a ``Subscription`` (one per order line); each billed period after the first is a
``SubscriptionRenewal`` holding its own Oscar order. An order may instead be paid in
``Installment`` rows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_fsm import FSMField, FSMModelMixin

from ..workflow.subscriptions import SubscriptionWorkflow
from .payments import PaymentLink
from .process import ORDER_MODEL

PRODUCT_MODEL = "catalogue.Product"
LINE_MODEL = "order.Line"


class IntervalUnit(models.TextChoices):
    DAY = "day", _("Days")
    WEEK = "week", _("Weeks")
    MONTH = "month", _("Months")
    YEAR = "year", _("Years")


class Plan(models.Model):
    """How a product is billed: every N days, weeks, months or years, for a number of
    periods or until cancelled, with an optional trial."""

    name = models.CharField(_("name"), max_length=128)
    interval_unit = models.CharField(_("interval"), max_length=10, choices=IntervalUnit.choices,
                                     default=IntervalUnit.MONTH)
    interval_count = models.PositiveSmallIntegerField(
        _("every"), default=1, validators=[MinValueValidator(1)],
        help_text=_("Bill every this many intervals (3 months: every 3, months)."))
    periods = models.PositiveIntegerField(
        _("number of periods"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Empty: renewed until cancelled."))
    trial_days = models.PositiveIntegerField(_("trial days"), default=0)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return self.name

    @property
    def frequency(self) -> str:
        """How often the plan bills, as people say it: "every month", "every 3 weeks"."""
        count = self.interval_count
        texts: dict[str, str] = {
            IntervalUnit.DAY: ngettext("every day", "every %(count)d days", count),
            IntervalUnit.WEEK: ngettext("every week", "every %(count)d weeks", count),
            IntervalUnit.MONTH: ngettext("every month", "every %(count)d months", count),
            IntervalUnit.YEAR: ngettext("every year", "every %(count)d years", count),
        }
        text = texts.get(self.interval_unit)
        return text % {"count": count} if text else f"{count} × {self.interval_unit}"

    def step(self, periods: int) -> relativedelta:
        """The time ``periods`` periods of this plan span (calendar-correct)."""
        count = self.interval_count * periods
        unit = self.interval_unit
        if unit == IntervalUnit.DAY:
            return relativedelta(days=count)
        if unit == IntervalUnit.WEEK:
            return relativedelta(weeks=count)
        if unit == IntervalUnit.YEAR:
            return relativedelta(years=count)
        return relativedelta(months=count)

    def period_start(self, anchor: date, index: int) -> date:
        """The first day of period ``index`` (0-based) of a subscription billed from
        ``anchor``: always counted from the anchor, so 31 January → 28 February → 31 March."""
        return anchor + self.step(index)

    def price_for(self, currency: str) -> PlanPrice | None:
        """The plan's price in ``currency``, if it has one."""
        return next((price for price in self.prices.all() if price.currency == currency), None)


class PlanPrice(models.Model):
    """A plan's price per period (and setup fee) in one currency."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="prices",
                             verbose_name=_("plan"))
    currency = models.CharField(_("currency"), max_length=12)
    amount = models.DecimalField(_("price per period"), max_digits=12, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.00"))])
    setup_fee = models.DecimalField(_("setup fee"), max_digits=12, decimal_places=2,
                                    default=Decimal("0.00"),
                                    validators=[MinValueValidator(Decimal("0.00"))])

    class Meta:
        verbose_name = _("plan price")
        verbose_name_plural = _("plan prices")
        constraints = [models.UniqueConstraint(fields=["plan", "currency"],
                                               name="ooe_plan_price_currency")]

    def __str__(self) -> str:
        return f"{self.plan}: {self.amount} {self.currency}"


class ProductPlan(models.Model):
    """A catalogue product sold on a plan: an order containing it is a subscription."""

    product = models.OneToOneField(PRODUCT_MODEL, on_delete=models.CASCADE,
                                   related_name="subscription_plan", verbose_name=_("product"))
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="products",
                             verbose_name=_("plan"))

    class Meta:
        verbose_name = _("product plan")
        verbose_name_plural = _("product plans")

    def __str__(self) -> str:
        return f"{self.product_id} → {self.plan}"


class EndReason(models.TextChoices):
    CANCELLED = "cancelled", _("Cancelled")
    ENDED = "ended", _("All periods billed")
    UNPAID = "unpaid", _("Unpaid after the last reminder")


class Subscription(FSMModelMixin, SubscriptionWorkflow, models.Model):
    """A customer's subscription to a plan, created from a confirmed order's line."""

    order = models.ForeignKey(ORDER_MODEL, on_delete=models.PROTECT,
                              related_name="subscriptions", verbose_name=_("order"))
    line = models.OneToOneField(LINE_MODEL, on_delete=models.PROTECT,
                                related_name="subscription", verbose_name=_("order line"))
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions",
                             verbose_name=_("plan"))
    #: The plan taking over at the next renewal (a change of plan without proration now).
    next_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("next plan"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("customer account"))
    email = models.CharField(_("customer email"), max_length=254, blank=True)
    customer_name = models.CharField(_("customer"), max_length=255, blank=True)
    product_title = models.CharField(_("product"), max_length=255, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    currency = models.CharField(_("currency"), max_length=12)
    amount = models.DecimalField(_("price per period"), max_digits=12, decimal_places=2)
    #: Added to (or, negative, taken off) the next renewal: the proration of a change of plan.
    adjustment = models.DecimalField(_("next renewal adjustment"), max_digits=12,
                                     decimal_places=2, default=Decimal("0.00"))
    state = FSMField(_("state"), max_length=20, protected=True,
                     default=SubscriptionWorkflow.initial_state)
    #: First day of the first billed period; period k starts on anchor + k intervals.
    anchor = models.DateField(_("billing anchor"))
    #: Periods billed so far (the order paid the first, renewals the others).
    periods_billed = models.PositiveIntegerField(_("periods billed"), default=0)
    #: The day the next period is billed; empty when none will be.
    next_renewal_on = models.DateField(_("next renewal"), null=True, blank=True)
    cancel_at_period_end = models.BooleanField(_("cancels at the end of the period"),
                                               default=False)
    end_reason = models.CharField(_("ended because"), max_length=20, blank=True,
                                  choices=EndReason.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        permissions = [("manage_subscriptions",
                        _("Can change, cancel and resume subscriptions"))]
        indexes = [models.Index(fields=["state", "next_renewal_on"], name="ooe_sub_due"),
                   models.Index(fields=["email"], name="ooe_sub_email")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.product_title} ({self.email})"

    @property
    def state_info(self) -> Any:
        """The current state's label and colour."""
        return self.get_state(self.state)

    @property
    def current_period(self) -> tuple[date, date] | None:
        """The billed period running now (first day, first day of the next), if any."""
        if self.periods_billed == 0:
            return None
        index = self.periods_billed - 1
        return (self.plan.period_start(self.anchor, index),
                self.plan.period_start(self.anchor, index + 1))


class RenewalStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Unpaid")


class SubscriptionRenewal(models.Model):
    """One billed period after the first: its Oscar order and where its payment stands.
    Exactly one per subscription and period (a unique constraint), however often the tick
    runs and on however many hosts."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE,
                                     related_name="renewals", verbose_name=_("subscription"))
    period = models.PositiveIntegerField(_("period"))
    order = models.OneToOneField(ORDER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="subscription_renewal",
                                 verbose_name=_("renewal order"))
    due_on = models.DateField(_("due"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=12)
    status = models.CharField(_("status"), max_length=20, choices=RenewalStatus.choices,
                              default=RenewalStatus.PENDING)
    #: Payment reminders sent so far (the dunning schedule's position).
    reminders = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    next_attempt_at = models.DateTimeField(_("next reminder"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        ordering = ["-period"]
        verbose_name = _("renewal")
        verbose_name_plural = _("renewals")
        constraints = [models.UniqueConstraint(fields=["subscription", "period"],
                                               name="ooe_renewal_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="ooe_renewal_due")]

    def __str__(self) -> str:
        return f"{self.subscription_id} period {self.period} ({self.status})"


class SubscriptionEvent(models.Model):
    """The subscription's timeline: what happened, who did it and when."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE,
                                     related_name="events", verbose_name=_("subscription"))
    kind = models.CharField(_("kind"), max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("subscription event")
        verbose_name_plural = _("subscription events")
        indexes = [models.Index(fields=["subscription", "-created_at"], name="ooe_sub_event")]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.kind}"


class InstallmentStatus(models.TextChoices):
    DUE = "due", _("Due")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")


class Installment(models.Model):
    """One of the payments an order is split into, with its due date and payment link."""

    order = models.ForeignKey(ORDER_MODEL, on_delete=models.CASCADE,
                              related_name="installments", verbose_name=_("order"))
    number = models.PositiveSmallIntegerField(_("number"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=20, choices=InstallmentStatus.choices,
                              default=InstallmentStatus.DUE)
    link = models.ForeignKey(PaymentLink, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("payment link"))
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        ordering = ["order", "number"]
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        constraints = [models.UniqueConstraint(fields=["order", "number"],
                                               name="ooe_installment_number")]
        indexes = [models.Index(fields=["status", "due_on"], name="ooe_installment_due")]

    def __str__(self) -> str:
        return f"{self.order_id} #{self.number}: {self.amount} ({self.status})"
