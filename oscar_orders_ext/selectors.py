"""Querysets shared by every front end (Oscar dashboard, Wagtail admin, exports).

The workspace reads only ``OrderProcess`` rows: the order's list fields are copied onto them
(see ``services.processes.order_snapshot``), so filters, sorting, search and totals hit one
narrow, indexed table. Related data for the rows on screen is loaded in a fixed number of
queries, whatever the page size or the columns chosen.
"""

from __future__ import annotations

import operator
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from functools import lru_cache, reduce
from typing import Any

import django_filters
from django_filters.fields import RangeField
from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import (Count, Exists, F, IntegerField, Min, OuterRef, Prefetch, Q,
                              QuerySet, Subquery, Sum, Value, Window, prefetch_related_objects)
from django.db.models.functions import Coalesce, Concat, Reverse, RowNumber
from django.db.models.lookups import StartsWith
from django.utils import timezone
from django.forms.utils import pretty_name
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from .constants import (CUSTOMER_NOTE_TYPE, SHIPPED_EVENT_NAME, OrderType, PaymentStatus,
                        TimelineKind)
from .display import format_money, person_name
from .models import (TALLY_FACETS, BoardPreference, Customer, CustomerGroup, CustomerTally,
                     DayTally, FacetTally, Funnel, Installment, InstallmentStatus, IssuedDocument,
                     OrderMessage, OrderPayment, OrderProcess, PaymentLink, PaymentLinkStatus,
                     PriceList, ProcessTally, ProductTally, Quote, Shipment, Stage, Tag,
                     TagTally, TimelineEntry, TotalTally, next_total_bucket, total_bucket)
from .models.process import amount_due_expression
from .workflow import State, get_workflow

Line = get_model("order", "Line")
OrderNote = get_model("order", "OrderNote")
PaymentEvent = get_model("order", "PaymentEvent")
ShippingEvent = get_model("order", "ShippingEvent")
ShippingEventQuantity = get_model("order", "ShippingEventQuantity")
OrderDiscount = get_model("order", "OrderDiscount")
Surcharge = get_model("order", "Surcharge")
Source = get_model("payment", "Source")

UNASSIGNED = "none"


def visible_processes(user: Any) -> QuerySet[OrderProcess]:
    """The orders ``user`` may see: all for staff, their partner's orders for partner users."""
    processes = OrderProcess.objects.all()
    if user.is_staff:
        return processes
    partner_orders = Line.objects.filter(partner__users=user).values("order_id")
    return processes.filter(order_id__in=partner_orders)


#: Snapshot columns whose values in use the filter panel lists (``distinct_values``).
LISTED_VALUES = ("currency", "payment_method", "shipping_method", "source")


def forget_listed_values() -> None:
    """Drop the cached lists of values in use, after a change that brings new ones in bulk
    (an import), so the filter panel offers them at once."""
    cache.delete_many([f"oscar_orders_ext:values:{name}" for name in LISTED_VALUES])


def distinct_values(field_name: str) -> list[str]:
    """Values in use for a snapshot column (currency, methods, source), cached briefly."""

    def load() -> list[str]:
        values = OrderProcess.objects.exclude(**{field_name: ""}).values_list(
            field_name, flat=True).distinct().order_by(field_name)
        return list(values[:200])

    return cache.get_or_set(f"oscar_orders_ext:values:{field_name}", load, 300) or []


class OpenChoiceField(forms.MultipleChoiceField):
    """Offers the values seen recently but accepts any: a new payment method is filterable
    before the cached list of values knows it."""

    def valid_value(self, value: Any) -> bool:
        return isinstance(value, str) and len(value) <= 254


class OpenChoiceFilter(django_filters.MultipleChoiceFilter):
    field_class = OpenChoiceField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class AmountField(forms.DecimalField):
    """A decimal typed with either separator: "12.5", "12,5", "1 234,50", "1,234.50"."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # stubs say int
        text = re.sub(r"[\s\u00a0\u202f']", "", str(value or ""))
        if "," in text and "." in text:  # the last separator is the decimal one
            text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else \
                text.replace(".", "").replace(",", ".")
        elif text.count(",") == 1:
            text = text.replace(",", ".")
        return super().to_python(text)


class AmountRangeField(RangeField):
    """Two amounts, the first not above the second."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__((AmountField(), AmountField()), *args, **kwargs)

    def compress(self, data_list: list[Any]) -> slice | None:
        if data_list and None not in data_list[:2] and data_list[0] > data_list[1]:
            raise forms.ValidationError(
                _("The lowest total is above the highest: swap them."), code="min_above_max")
        return super().compress(data_list)


class AmountRangeFilter(django_filters.RangeFilter):
    field_class = AmountRangeField


def _choices_of(field_name: str) -> Any:
    return lambda: [(value, value) for value in distinct_values(field_name)]


NUMBER_LIKE = re.compile(r"^[#\w-]*\d[\w-]*$")
#: A phone number as people type or copy it: "+33 1 40 20 00 00", "01-40-20-00-00", "(555) 0100".
PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")
MIN_PHONE_DIGITS = 6


def _phone_match(text: str) -> Q | None:
    """Phones holding the digits typed, whatever the separators; a national number's leading
    0 is dropped so that "01 40 20 00 00" finds "+33140200000" (phones are stored E.164)."""
    digits = re.sub(r"\D", "", text)
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    match = Q(customer_phone__contains=digits)
    if digits.startswith("0") and len(digits.lstrip("0")) >= MIN_PHONE_DIGITS:
        match |= Q(customer_phone__contains=digits.lstrip("0"))
    return match


def search(processes: QuerySet[OrderProcess], text: str) -> QuerySet[OrderProcess]:
    """Orders matching an order number, customer name, email or phone, product title or SKU.

    The shape of the text picks the indexes: an email (or its start) searches emails; a phone
    as displayed searches phones; a number-like word searches order numbers by their start
    or end, or, when no number starts or ends with it, numbers containing it, phones and SKUs
    starting with it; anything else searches names and product titles. On PostgreSQL, trigram
    indexes (migrations 0012 and 0021) serve the "contains" searches; starts use the btree
    pattern indexes, ends the index on the reversed number (migration 0029).
    """
    return processes.filter(search_condition(processes, text))


@dataclass(frozen=True)
class SearchPlan:
    """What a search filters the orders with, and what answers its summary."""

    condition: Q
    #: On ``ProductTally``: the one SKU or title every matching order holds, when only order
    #: lines match and they hold one value (PostgreSQL); None otherwise.
    product: Q | None = None


def search_condition(processes: QuerySet[OrderProcess], text: str) -> Q:
    """The condition ``search`` filters ``processes`` with (a few index probes may run to
    choose it: compute it once per request)."""
    return search_plan(processes, text).condition


#: The line columns a search reads and their facet in ``ProductTally``.
LINE_FACETS = {"partner_sku": "sku", "title": "title"}


def search_plan(processes: QuerySet[OrderProcess], text: str) -> SearchPlan:
    """``search_condition`` with what answers its summary (see ``SearchPlan``)."""
    text = text.strip()
    if not text:
        return SearchPlan(Q())
    if "@" in text:
        return SearchPlan(Q(customer_email__startswith=text.lower()))
    if PHONE_LIKE.match(text) and not NUMBER_LIKE.match(text):
        phone = _phone_match(text)
        if phone is not None:
            return SearchPlan(phone)
    if NUMBER_LIKE.match(text):
        number = text.lstrip("#")
        by_number = _number_starts_or_ends(number)
        # An order number is what people type most, whole, by its start or by its end: when
        # some number starts or ends with the text, search numbers alone, on their indexes;
        # only otherwise look further (a number's middle reads the trigram index, whose
        # posting lists grow with the shop).
        if processes.filter(by_number).exists():
            return SearchPlan(by_number)
        others = Q(number__contains=number.upper())
        phone = _phone_match(text)
        if phone is not None:
            others |= phone
        return _own_or_lines(others, text, {"partner_sku": "istartswith"})
    matches = Q(customer_name__icontains=text)
    if not any(char.isspace() for char in text):  # "claire.dubois": the start of an email
        matches |= Q(customer_email__startswith=text.lower())
    return _own_or_lines(matches, text, {"title": "icontains", "partner_sku": "istartswith"})


def _number_starts_or_ends(text: str) -> Q:
    """Order numbers starting or ending with ``text`` (as typed, or in capitals: numbers are
    stored as issued). The end reads migration 0029's index on the reversed number."""
    condition = Q()
    for variant in dict.fromkeys((text, text.upper())):
        condition |= Q(number__startswith=variant)
        condition |= Q(StartsWith(Reverse("number"), variant[::-1]))
    return condition


def _own_or_lines(own: Q, text: str, lookups: dict[str, str]) -> SearchPlan:
    """Processes matching ``own`` (their own columns) or holding a line whose column matches
    ``text`` by one of ``lookups`` (line column: lookup).

    ``own OR order_id IN (lines)`` makes PostgreSQL scan every process row with a sub-plan per
    row (issue 18: 6× Oscar's list for a surname). Two probes find which side matches (usually
    one: a surname is no product title), so the filter reads that side's index alone, or both
    through ``id IN (… UNION …)``. The lines' probe reads the product tally's few rows (the
    distinct SKUs and titles) rather than every matching line: it also tells whether the
    matches hold one value, whose tally rows then answer the summary.
    """
    by_lines = Q(order_id__in=Line.objects.filter(reduce(operator.or_, (
        Q(**{f"{column}__{lookup}": text}) for column, lookup in lookups.items()))
    ).values("order_id"))
    if connection.vendor != "postgresql":
        return SearchPlan(own | by_lines)
    values = reduce(operator.or_, (Q(facet=LINE_FACETS[column], **{f"value__{lookup}": text})
                                   for column, lookup in lookups.items()))
    # One aggregate over the matching rows (no DISTINCT … LIMIT, which PostgreSQL would read
    # off the key index in order, filtering every row before the first match).
    matched = ProductTally.objects.filter(values, count__gt=0).aggregate(
        n=Count(Concat("facet", Value("/"), "value"), distinct=True), facet=Min("facet"),
        value=Min("value"))
    if not matched["n"]:
        return SearchPlan(own)
    if not OrderProcess.objects.filter(own).exists():
        product = (Q(facet=matched["facet"], value=matched["value"]) if matched["n"] == 1
                   else None)
        return SearchPlan(by_lines, product)
    return SearchPlan(Q(pk__in=OrderProcess.objects.filter(own).values("pk").union(
        OrderProcess.objects.filter(by_lines).values("pk"))))


#: The largest primary key a (big) integer column holds.
LARGEST_KEY = 2**63 - 1


class KeysField(forms.ModelMultipleChoiceField):
    """Refuses keys no column can hold: "?tags=99999999999999999999" made the database fail.
    Nothing chosen cleans to an empty list."""

    def clean(self, value: Any) -> Any:
        if not value and not self.required:
            # Django's answer, ``queryset.none()``, compiles a query each time a filter asks
            # whether it is empty (twice per table page, with no stage or tag chosen).
            return []
        return super().clean(value)

    def _check_values(self, value: Any) -> Any:
        for key in value or ():
            text = str(key).strip()
            if text.lstrip("-").isdigit() and abs(int(text)) > LARGEST_KEY:
                raise forms.ValidationError(self.error_messages["invalid_pk_value"],
                                            code="invalid_pk_value", params={"pk": text[:32]})
        return super()._check_values(value)  # type: ignore[misc]  # private, absent from stubs


class KeysFilter(django_filters.ModelMultipleChoiceFilter):
    """A ModelMultipleChoiceFilter that refuses out-of-range keys (see KeysField)."""

    field_class = KeysField


#: The table's "amount due" filter (docs/payments.md).
AMOUNT_DUE_CHOICES = [
    ("due", _("Has an amount due")),
    ("partly", _("Partly paid")),
    ("paid", _("Fully paid")),
    ("owed", _("Refund due to the customer")),
]
#: The table's "payment link" filter: the order's newest link is payable, or expired unpaid.
PAYMENT_LINK_CHOICES = [
    ("sent", _("Payment link sent, not paid yet")),
    ("expired", _("Payment link expired")),
]


def filter_amount_due(processes: QuerySet[OrderProcess], value: str
                      ) -> QuerySet[OrderProcess]:
    """Orders with an amount due ("due"), partly paid, fully paid, or owed a refund ("owed")."""
    if not value:
        return processes
    processes = processes.alias(due_now=amount_due_expression())
    return processes.filter({
        "due": Q(due_now__gt=0),
        "partly": Q(due_now__gt=0, amount_paid__gt=0),
        "paid": Q(due_now=0) & (Q(amount_paid__gt=0) | Q(payment_status=PaymentStatus.PAID)),
        "owed": Q(due_now__lt=0),
    }[value])


def filter_payment_link(processes: QuerySet[OrderProcess], value: str, now: Any = None
                        ) -> QuerySet[OrderProcess]:
    """Orders whose newest payment link is payable ("sent"), or expired unpaid ("expired")."""
    if not value:
        return processes
    now = now or timezone.now()
    newest = PaymentLink.objects.filter(order_id=OuterRef("order_id")).order_by(
        "-created_at", "-pk")
    processes = processes.alias(link_status=Subquery(newest.values("status")[:1]),
                                link_expires=Subquery(newest.values("expires_at")[:1]))
    if value == "sent":
        return processes.filter(link_status=PaymentLinkStatus.ACTIVE, link_expires__gt=now)
    return processes.filter(Q(link_status=PaymentLinkStatus.EXPIRED)
                            | Q(link_status=PaymentLinkStatus.ACTIVE, link_expires__lte=now))


def payment_link_texts(order_ids: Iterable[int], now: Any = None) -> dict[int, str]:
    """Each order's newest payment link in words ("Sent, until 12/05/2026", "Expired",
    "Paid", "Superseded", "Cancelled"), in one query; orders without a link are left out."""
    now = now or timezone.now()
    newest = PaymentLink.objects.filter(order_id=OuterRef("order_id")).order_by(
        "-created_at", "-pk").values("pk")[:1]
    words: dict[str, str] = {PaymentLinkStatus.EXPIRED: gettext("Expired"),
                             PaymentLinkStatus.PAID: gettext("Paid"),
                             PaymentLinkStatus.SUPERSEDED: gettext("Superseded"),
                             PaymentLinkStatus.CANCELLED: gettext("Cancelled")}
    texts: dict[int, str] = {}
    for order_id, status, expires_at in PaymentLink.objects.filter(
            order_id__in=list(order_ids), pk=Subquery(newest)).values_list(
            "order_id", "status", "expires_at"):
        if status == PaymentLinkStatus.ACTIVE and expires_at > now:
            texts[order_id] = gettext("Sent, until %(date)s") % {"date": date_format(
                timezone.localtime(expires_at), "SHORT_DATE_FORMAT")}
        else:  # an active link past its expiry is expired (as the filter counts it)
            texts[order_id] = words.get(status, words[PaymentLinkStatus.EXPIRED])
    return texts


def attach_payment_links(processes: Iterable[OrderProcess]) -> None:
    """Give each process ``payment_link_text``: its newest payment link in words, one query."""
    processes = list(processes)
    texts = payment_link_texts(p.order_id for p in processes)
    for process in processes:
        process.payment_link_text = texts.get(process.order_id, "")


def installments_due_texts(order_ids: Iterable[int], today: Any = None) -> dict[int, str]:
    """What each installment order owes in words, in one query: "20,00 € due (1 overdue)"
    while something is due, "Next: 10,00 € on 28/02/2026" before that, "Paid" once all are;
    orders without installments are left out."""
    day = today or timezone.localdate()
    rows: dict[int, list[tuple[Decimal, Any, str]]] = defaultdict(list)
    currencies: dict[int, str] = {}
    for order_id, amount, due_on, status, currency in Installment.objects.filter(
            order_id__in=list(order_ids)).order_by("order_id", "number").values_list(
            "order_id", "amount", "due_on", "status", "order__currency"):
        rows[order_id].append((amount, due_on, status))
        currencies[order_id] = currency
    texts: dict[int, str] = {}
    for order_id, installments in rows.items():
        currency = currencies[order_id]
        unpaid = [row for row in installments if row[2] != InstallmentStatus.PAID]
        due = [row for row in unpaid if row[1] <= day]
        overdue = sum(1 for row in unpaid if row[2] == InstallmentStatus.OVERDUE)
        if due:
            text = gettext("%(amount)s due") % {
                "amount": format_money(sum((row[0] for row in due), Decimal("0")), currency)}
            if overdue:
                text += " " + gettext("(%(count)s overdue)") % {"count": overdue}
        elif unpaid:
            text = gettext("Next: %(amount)s on %(date)s") % {
                "amount": format_money(unpaid[0][0], currency),
                "date": date_format(unpaid[0][1], "SHORT_DATE_FORMAT")}
        else:
            text = gettext("Paid")
        texts[order_id] = text
    return texts


def attach_installments_due(processes: Iterable[OrderProcess]) -> None:
    """Give each process ``installments_due``: what its installments ask for now (one
    query, none without installment orders on the page)."""
    processes = list(processes)
    ids = [p.order_id for p in processes if p.order_type == OrderType.INSTALLMENT]
    texts = installments_due_texts(ids) if ids else {}
    for process in processes:
        process.installments_due = texts.get(process.order_id, "")


#: Each filter class's form class (``OrderFilter.get_form_class``).
_FORM_CLASSES: dict[type, Any] = {}


class OrderFilter(django_filters.FilterSet):
    """The workspace filters; the same class drives the table, the board and exports."""

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    funnel = django_filters.ModelChoiceFilter(queryset=Funnel.objects.all(), label=_("Funnel"))
    # Filters on the process's own columns cannot produce duplicate rows: no DISTINCT, which
    # would stop PostgreSQL from reading the first page straight off an index.
    state = django_filters.MultipleChoiceFilter(choices=lambda: get_workflow().state_choices(),
                                                label=_("State"), distinct=False)
    stage = KeysFilter(
        queryset=Stage.objects.select_related("funnel"), label=_("Stage"), distinct=False)
    payment_status = django_filters.MultipleChoiceFilter(choices=PaymentStatus.choices,
                                                         label=_("Payment"), distinct=False)
    order_type = django_filters.MultipleChoiceFilter(choices=OrderType.choices,
                                                     label=_("Order type"), distinct=False)
    placed = django_filters.DateFromToRangeFilter(
        field_name="placed_at", label=_("Placed between"),
        widget=django_filters.widgets.RangeWidget(attrs={"type": "date"}))
    total = AmountRangeFilter(field_name="total", label=_("Total between"))
    currency = OpenChoiceFilter(choices=_choices_of("currency"),
                                                   label=_("Currency"))
    payment_method = OpenChoiceFilter(choices=_choices_of("payment_method"),
                                                         label=_("Payment method"))
    shipping_method = OpenChoiceFilter(choices=_choices_of("shipping_method"),
                                       label=_("Shipping method"))
    amount_due = django_filters.ChoiceFilter(method="filter_amount_due", label=_("Amount due"),
                                             choices=AMOUNT_DUE_CHOICES)
    payment_link = django_filters.ChoiceFilter(method="filter_payment_link",
                                               label=_("Payment link"),
                                               choices=PAYMENT_LINK_CHOICES)
    tags = KeysFilter(queryset=Tag.objects.all(), method="filter_tags", label=_("Tags"))
    operator = django_filters.ChoiceFilter(method="filter_operator", label=_("Operator"),
                                           choices=lambda: operator_choices())
    source = OpenChoiceFilter(choices=_choices_of("source"), label=_("Source"))
    # The customer directory's "all orders" link: every order of one customer email.
    customer = django_filters.CharFilter(method="filter_customer", label=_("Customer email"))
    inbox = django_filters.ChoiceFilter(
        method="filter_inbox", label=_("Inbox"),
        choices=[("true", _("New orders and unread customer messages"))])

    class Meta:
        model = OrderProcess
        fields: list[str] = []

    def get_form_class(self) -> Any:
        """The form class, built once per filter class: django-filter builds a field per filter
        and a class on every page, though none of these fields depends on the request (their
        choices are callables, read when drawn; each form deep-copies its fields)."""
        form_class = _FORM_CLASSES.get(type(self))
        if form_class is None:
            form_class = _FORM_CLASSES[type(self)] = super().get_form_class()
        return form_class

    def filter_search(self, queryset: QuerySet[OrderProcess], name: str, value: str
                      ) -> QuerySet[OrderProcess]:
        return queryset.filter(self.search_q(value))

    def search_q(self, value: str) -> Q:
        """``search_condition`` of ``value`` over this filter's orders."""
        return self.search_plan(value).condition

    def search_plan(self, value: str) -> SearchPlan:
        """``search_plan`` of ``value`` over this filter's orders, once per filter: the
        summary applies the filters again (``without``) and reads the plan to pick a tally;
        the index probes run once."""
        plans: dict[str, SearchPlan] = self.__dict__.setdefault("_search_plans", {})
        if value not in plans:
            plans[value] = search_plan(self.queryset, value)
        return plans[value]

    def filter_customer(self, queryset: QuerySet[OrderProcess], name: str, value: str
                        ) -> QuerySet[OrderProcess]:
        return queryset.filter(customer_email=value.strip().lower()) if value else queryset

    def filter_amount_due(self, queryset: QuerySet[OrderProcess], name: str, value: str
                          ) -> QuerySet[OrderProcess]:
        return filter_amount_due(queryset, value)

    def filter_payment_link(self, queryset: QuerySet[OrderProcess], name: str, value: str
                            ) -> QuerySet[OrderProcess]:
        return filter_payment_link(queryset, value)

    def filter_tags(self, queryset: QuerySet[OrderProcess], name: str, value: Sequence[Tag]
                    ) -> QuerySet[OrderProcess]:
        if not value:
            return queryset
        links = OrderProcess.tags.through.objects.filter(orderprocess_id=OuterRef("pk"),
                                                         tag__in=value)
        return queryset.filter(Exists(links))

    def filter_operator(self, queryset: QuerySet[OrderProcess], name: str, value: str
                        ) -> QuerySet[OrderProcess]:
        if value == UNASSIGNED:
            return queryset.filter(operator__isnull=True)
        return queryset.filter(operator__pk=value)

    def filter_inbox(self, queryset: QuerySet[OrderProcess], name: str, value: str
                     ) -> QuerySet[OrderProcess]:
        """The inbox: new orders and orders with unread customer messages."""
        if not value:
            return queryset
        return queryset.filter(Q(staff_unread__gt=0) | Q(state=get_workflow().initial_state))

    @property
    def cleaned_data(self) -> dict[str, Any]:
        """The valid filter values (empty for an unbound filter)."""
        if not self.is_bound:
            return {}
        self.form.is_valid()
        return self.form.cleaned_data

    def without(self, *names: str) -> QuerySet[OrderProcess]:
        """The queryset with every valid filter applied except ``names``."""
        queryset = self.queryset
        for name, value in self.cleaned_data.items():
            if name not in names:
                queryset = self.filters[name].filter(queryset, value)
        return queryset


def operators() -> QuerySet[Any]:
    """The staff who can be made responsible for orders (active staff), by name."""
    user_model = get_user_model()
    return user_model.objects.filter(is_staff=True, is_active=True).order_by(
        "first_name", "last_name", user_model.USERNAME_FIELD)


def operator_choices() -> list[tuple[str, str]]:
    """Staff users who can be made responsible for orders, plus "unassigned" (cached for a
    minute: every workspace page lists them twice, in the filters and the bulk bar)."""

    def load() -> list[tuple[str, str]]:
        return [(str(user.pk), person_name(user)) for user in operators()]

    return [(UNASSIGNED, str(_("Unassigned")))] + (cache.get_or_set(
        "oscar_orders_ext:operators", load, 60) or [])


# --- Summary: counts per state, totals per currency, in one grouped query ---------------------

@dataclass
class StateCount:
    state: State
    count: int
    selected: bool


@dataclass
class CurrencyTotal:
    currency: str
    total: Decimal
    count: int


@dataclass
class Summary:
    """What the headline above the table says for the current filter."""

    count: int
    totals: list[CurrencyTotal]
    states: list[StateCount]


#: Filters the running tallies can answer: the columns of their key.
TALLY_FILTERS = {"funnel", "stage", "state", "currency", "payment_status", "order_type"}
#: Filters the tallies per tag (one tag) and per day (a date range) answer: their keys.
TAG_TALLY_FILTERS = {"funnel", "stage", "state", "currency", "tags"}
DAY_TALLY_FILTERS = {"funnel", "stage", "state", "currency", "placed"}
#: Filters the tallies per order-total bucket answer (a total range): their keys.
TOTAL_TALLY_FILTERS = {"funnel", "stage", "state", "currency", "total"}
#: Filters the tallies per facet answer with one of ``TALLY_FACETS`` (one facet at a time).
FACET_TALLY_FILTERS = {"funnel", "stage", "state", "currency"}


def is_set(value: Any) -> bool:
    """Whether a cleaned filter value narrows anything."""
    if value is None or value == "":
        return False
    if isinstance(value, slice):
        return value.start is not None or value.stop is not None
    return not hasattr(value, "__len__") or bool(len(value))


#: Rows of a grouped summary: the ``group_by`` columns, ``n`` (orders) and ``amount`` (total).
SummaryRows = list[dict[str, Any]]


def tally_rows(order_filter: OrderFilter, group_by: tuple[str, ...], *,
               every_state: bool = False, ignore: frozenset[str] = frozenset(),
               funnel: Funnel | None = None) -> SummaryRows | None:
    """The summary from PostgreSQL's running tallies when the filter allows it, else None.

    Tallies exist per (funnel, stage, state, currency, payment status, order type), per tag,
    per UTC day, per order-total bucket, per facet value (payment or shipping method, source,
    operator, amount-due class), per customer (name, email, phone) and per product (a line's SKU
    or title; all with funnel, stage, state and currency): they answer the unfiltered view, a
    funnel's board, filters on those columns, one tag, one facet, the customer filter or a
    search on customer columns, a search matching one SKU or title alone, a date range (whose
    edges, the hours before its first whole UTC day and after its last, are counted live) or a
    total range (whose edges, the orders in buckets it does not wholly cover, are counted live)
    in constant time, whatever the number of orders. ``every_state`` ignores the state filter
    (the summary's counts per state work as tabs); ``ignore`` names filters the caller answers
    itself; ``funnel`` keeps that funnel's orders only.
    """
    kind = _tally_kind(order_filter, ignore)
    if kind == "day":
        return _day_rows(order_filter, group_by, every_state=every_state, ignore=ignore,
                         funnel=funnel)
    if kind == "total":
        return _total_rows(order_filter, group_by, every_state=every_state, ignore=ignore,
                           funnel=funnel)
    query = tally_query(order_filter, group_by, every_state=every_state, ignore=ignore,
                        funnel=funnel)
    return None if query is None else list(query)


def _tally_kind(order_filter: OrderFilter, ignore: frozenset[str]) -> str | None:
    """Which tallies answer the filter: "process", "tag", "day", "total", "facet",
    "customer", "product", or None (count live)."""
    if connection.vendor != "postgresql" or order_filter.queryset.query.has_filters():
        return None
    data = order_filter.cleaned_data
    narrowing = _narrowing(order_filter, ignore)
    if narrowing <= TALLY_FILTERS:
        return "process"
    if narrowing <= TAG_TALLY_FILTERS and len(data["tags"]) == 1:
        return "tag"
    if narrowing <= DAY_TALLY_FILTERS:
        return "day"
    if narrowing <= TOTAL_TALLY_FILTERS:
        return "total"
    if _facet_of(data, narrowing) is not None:
        return "facet"
    if _customer_condition(order_filter, narrowing) is not None:
        return "customer"
    if _product_condition(order_filter, narrowing) is not None:
        return "product"
    return None


def _narrowing(order_filter: OrderFilter, ignore: frozenset[str]) -> set[str]:
    return {name for name, value in order_filter.cleaned_data.items()
            if is_set(value) and name not in ignore}


def _facet_of(data: dict[str, Any], narrowing: set[str]) -> tuple[str, Q] | None:
    """The facet and the condition on ``FacetTally`` rows that answer the filter, if one
    facet narrows it besides funnel, stage, state and currency."""
    facets = narrowing.intersection(TALLY_FACETS)
    if len(facets) != 1 or not narrowing - facets <= FACET_TALLY_FILTERS:
        return None
    name = facets.pop()
    values = data[name] if isinstance(data[name], list | tuple) else [data[name]]
    # One value per order and facet: summing the values of a multiple choice is exact.
    return name, Q(value__in=[str(value) for value in values])


#: Lookups a search or filter may use for ``CustomerTally`` to answer it: its columns are
#: named as the process's.
CUSTOMER_LOOKUPS = {"customer_name__icontains", "customer_email__startswith",
                    "customer_phone__contains", "customer_email"}


def on_customer_columns(condition: Q) -> bool:
    """Whether ``condition`` reads only the customer columns ``CustomerTally`` shares."""
    if condition.negated:
        return False
    return all(on_customer_columns(child) if isinstance(child, Q)
               else isinstance(child, tuple) and child[0] in CUSTOMER_LOOKUPS
               for child in condition.children)


def _customer_condition(order_filter: OrderFilter, narrowing: set[str]) -> Q | None:
    """The condition on ``CustomerTally`` rows answering the filter, if it narrows by the
    customer filter or a search on customer columns alone (a name matching no product, the
    start of an email, a phone) besides funnel, stage, state and currency."""
    customer = narrowing & {"q", "customer"}
    if not customer or not narrowing - customer <= FACET_TALLY_FILTERS:
        return None
    data = order_filter.cleaned_data
    condition = Q()
    if "customer" in customer:
        condition &= Q(customer_email=data["customer"].strip().lower())
    if "q" in customer:
        search_q = order_filter.search_q(data["q"])
        if not on_customer_columns(search_q):
            return None
        condition &= search_q
    return condition


def _product_condition(order_filter: OrderFilter, narrowing: set[str]) -> Q | None:
    """The condition on ``ProductTally`` rows answering the filter, if it narrows by a search
    that matches order lines holding one SKU or title alone (see ``search_plan``) besides
    funnel, stage, state and currency."""
    if "q" not in narrowing or not narrowing - {"q"} <= FACET_TALLY_FILTERS:
        return None
    return order_filter.search_plan(order_filter.cleaned_data["q"]).product


def tally_query(order_filter: OrderFilter, group_by: tuple[str, ...], *,
                every_state: bool = False, ignore: frozenset[str] = frozenset(),
                funnel: Funnel | None = None) -> QuerySet[Any] | None:
    """``tally_rows`` as one query, for the process and tag tallies (None otherwise)."""
    kind = _tally_kind(order_filter, ignore)
    data = order_filter.cleaned_data
    keys: tuple[str, ...] = ("currency", *(() if every_state else ("state",)))
    tallies: QuerySet[Any]
    if kind == "process":
        tallies = ProcessTally.objects.all()
        keys += ("payment_status", "order_type")
    elif kind == "tag":
        tallies = TagTally.objects.filter(tag_id=data["tags"][0].pk)
    elif kind == "facet":
        facet = _facet_of(data, _narrowing(order_filter, ignore))
        if facet is None:  # (never: the kind says one facet narrows)
            return None
        tallies = FacetTally.objects.filter(facet[1], facet=facet[0])
    elif kind == "customer":
        condition = _customer_condition(order_filter, _narrowing(order_filter, ignore))
        if condition is None:  # (never: the kind says so)
            return None
        tallies = CustomerTally.objects.filter(condition)
    elif kind == "product":
        product = _product_condition(order_filter, _narrowing(order_filter, ignore))
        if product is None:  # (never: the kind says so)
            return None
        tallies = ProductTally.objects.filter(product)
    else:
        return None
    if funnel is not None:
        tallies = tallies.filter(funnel_id=funnel.pk)
    return _narrow_tallies(tallies, data, keys).values(*group_by).annotate(
        n=Sum("count"), amount=Sum("total")).order_by()


def _narrow_tallies(tallies: QuerySet[Any], data: dict[str, Any], keys: tuple[str, ...]
                    ) -> QuerySet[Any]:
    """``tallies`` narrowed by the funnel, stage and ``keys`` filters set in ``data``; rows
    emptied by orders moving away are left out (they would list a currency with no order)."""
    tallies = tallies.filter(count__gt=0)
    if data.get("funnel"):
        tallies = tallies.filter(funnel_id=data["funnel"].pk)
    if is_set(data.get("stage")):
        tallies = tallies.filter(stage_id__in=[stage.pk for stage in data["stage"]])
    for name in keys:
        if is_set(data.get(name)):
            tallies = tallies.filter(**{f"{name}__in": data[name]})
    return tallies


def _day_rows(order_filter: OrderFilter, group_by: tuple[str, ...], *, every_state: bool,
              ignore: frozenset[str], funnel: Funnel | None) -> SummaryRows:
    """A date range's summary: its whole UTC days from the tallies per day, the hours at its
    edges counted live (through the ``placed_at`` index; none when the shop's days start at
    UTC midnight)."""
    placed: slice = order_filter.cleaned_data["placed"]
    start = placed.start.astimezone(dt_timezone.utc) if placed.start else None
    # The range's end is inclusive (the last microsecond of its day): make it exclusive.
    end = ((placed.stop + timedelta(microseconds=1)).astimezone(dt_timezone.utc)
           if placed.stop else None)
    first_day = None if start is None else (
        start.date() if start.time() == time.min else start.date() + timedelta(days=1))
    last_day = None if end is None else end.date()  # the first day not wholly inside
    edges: list[tuple[datetime | None, datetime | None]] = []
    tallies = DayTally.objects.all()
    if first_day is not None and last_day is not None and first_day >= last_day:
        edges.append((start, end))  # not one whole day: all live
        tallies = tallies.none()
    else:
        if first_day is not None:
            tallies = tallies.filter(day__gte=first_day)
            edges.append((start, datetime.combine(first_day, time.min, dt_timezone.utc)))
        if last_day is not None:
            tallies = tallies.filter(day__lt=last_day)
            edges.append((datetime.combine(last_day, time.min, dt_timezone.utc), end))
    edge = Q(pk__in=[])
    for low, high in edges:
        if low is None or high is None or low < high:
            edge |= Q(**({"placed_at__gte": low} if low else {}),
                      **({"placed_at__lt": high} if high else {}))
    return _tallied_and_live(order_filter, "placed", tallies, edge, group_by,
                             every_state=every_state, ignore=ignore, funnel=funnel)


def _total_rows(order_filter: OrderFilter, group_by: tuple[str, ...], *, every_state: bool,
                ignore: frozenset[str], funnel: Funnel | None) -> SummaryRows:
    """A total range's summary: the buckets it wholly covers from the tallies per total
    bucket, the orders in the buckets at its edges counted live (through ``ooe_process_total``;
    none when its ends are bucket boundaries, as 100 and 200 are, but the orders of exactly
    its highest total)."""
    total: slice = order_filter.cleaned_data["total"]
    low, high = total.start, total.stop
    # The lowest boundary at or above ``low``, the highest at or below ``high``: the buckets
    # in between lie wholly inside the range.
    first = None if low is None else (
        low if total_bucket(low) == low else next_total_bucket(total_bucket(low)))
    last = None if high is None else total_bucket(high)
    tallies = TotalTally.objects.all()
    if first is not None and last is not None and first >= last:
        tallies = tallies.none()  # inside one or two buckets: all live
        edge = Q(total__gte=low, total__lte=high)
    else:
        edge = Q(pk__in=[])
        if first is not None:
            tallies = tallies.filter(bucket__gte=first)
            if low < first:
                edge |= Q(total__gte=low, total__lt=first)
        if last is not None:
            tallies = tallies.filter(bucket__lt=last)
            edge |= Q(total__gte=last, total__lte=high)
    return _tallied_and_live(order_filter, "total", tallies, edge, group_by,
                             every_state=every_state, ignore=ignore, funnel=funnel)


def _tallied_and_live(order_filter: OrderFilter, name: str, tallies: QuerySet[Any], edge: Q,
                      group_by: tuple[str, ...], *, every_state: bool, ignore: frozenset[str],
                      funnel: Funnel | None) -> SummaryRows:
    """The rows of a range filter ``name``: the ``tallies`` rows it wholly covers, plus the
    orders matching ``edge`` (and the other filters) counted live, in one query."""
    if funnel is not None:
        tallies = tallies.filter(funnel_id=funnel.pk)
    keys = ("currency", *(() if every_state else ("state",)))
    tallied = _narrow_tallies(tallies, order_filter.cleaned_data, keys).values(
        *group_by).annotate(n=Sum("count"), amount=Sum("total")).order_by()
    live = order_filter.without(name, *ignore, *(("state",) if every_state else ()))
    if funnel is not None:
        live = live.filter(funnel_id=funnel.pk)
    counted = live.filter(edge).values(*group_by).annotate(
        n=Count("pk"), amount=Sum("total")).order_by()
    # One round trip: under load each query costs a scheduling wait more than its plan.
    return list(tallied.union(counted, all=True))


def inbox_rows(order_filter: OrderFilter) -> list[dict[str, Any]] | None:
    """The inbox's summary rows without reading every new order: the running tallies of the
    workflow's initial state, plus the orders in other states with unread customer messages
    (few, through the partial index on ``staff_unread``); None when the filter is not the
    inbox or the tallies cannot answer the rest of it. One query (``UNION ALL``) unless a
    date range's edges are counted live."""
    if not is_set(order_filter.cleaned_data.get("inbox")):
        return None
    initial = get_workflow().initial_state
    unread = (order_filter.without("state", "inbox").filter(staff_unread__gt=0)
              .exclude(state=initial).values("state", "currency")
              .annotate(n=Count("pk"), amount=Sum("total")).order_by())
    ignore = frozenset({"inbox"})
    query = tally_query(order_filter, ("state", "currency"), every_state=True, ignore=ignore)
    if query is not None:
        # One round trip: under load each query costs a scheduling wait more than its plan.
        return list(query.filter(state=initial).union(unread, all=True))
    tallies = tally_rows(order_filter, ("state", "currency"), every_state=True, ignore=ignore)
    if tallies is None:
        return None
    return [*(row for row in tallies if row["state"] == initial), *unread]


def summarize(order_filter: OrderFilter) -> Summary:
    """Counts per state (ignoring the state filter, so they work as tabs) and totals per
    currency for the current filter, from a single ``GROUP BY state, currency`` (or the
    running tallies, when the filter allows)."""
    selected = set(order_filter.cleaned_data.get("state") or [])
    rows: Iterable[dict[str, Any]] | None = inbox_rows(order_filter)
    if rows is None:
        rows = tally_rows(order_filter, ("state", "currency"), every_state=True)
    if rows is None:
        rows = (order_filter.without("state").values("state", "currency")
                .annotate(n=Count("pk"), amount=Sum("total")).order_by())
    per_state: dict[str, int] = defaultdict(int)
    per_currency: dict[str, list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    for row in rows:
        per_state[row["state"]] += row["n"]
        if not selected or row["state"] in selected:
            per_currency[row["currency"]][0] += row["amount"] or 0
            per_currency[row["currency"]][1] += row["n"]
    workflow = get_workflow()
    states = [StateCount(state, per_state.get(state.code, 0), state.code in selected)
              for state in workflow.get_states()]
    totals = [CurrencyTotal(currency or "?", amount, n)
              for currency, (amount, n) in sorted(per_currency.items())]
    count = sum(total.count for total in totals)
    return Summary(count=count, totals=totals, states=states)


def operator_sorted_ids(processes: QuerySet[OrderProcess], *, descending: bool, offset: int,
                        limit: int) -> list[int] | None:
    """The ids of a page of ``processes`` sorted by operator (username, then id; unassigned
    orders last, first when ``descending``, as the database sorts NULLs), without sorting
    every order: one ``LIMIT`` query per operator, in one ``UNION ALL``, each reading the
    primary key in order. The operators come from the facet tallies (PostgreSQL); None
    elsewhere, for deep pages or when there are many operators: sort in the database then."""
    if connection.vendor != "postgresql" or offset + limit > MAX_SORTED_DEPTH:
        return None
    assigned = [int(value) for value in FacetTally.objects.filter(
        facet="operator", count__gt=0).exclude(value=UNASSIGNED).values_list(
        "value", flat=True).distinct()]
    if len(assigned) > MAX_SORTED_OPERATORS:
        return None
    user_model = get_user_model()
    names = dict(user_model.objects.filter(pk__in=assigned).values_list(
        "pk", user_model.USERNAME_FIELD))
    groups: list[int | None] = sorted(names, key=lambda pk: names[pk])
    groups.append(None)  # NULL sorts last
    if descending:
        groups.reverse()
    by_id = "-id" if descending else "id"
    if len(groups) == 1:  # nobody assigned yet
        return list(processes.order_by(f"{by_id[:-2]}operator_id", by_id).values_list(
            "id", flat=True)[offset:offset + limit])
    parts = [(processes.filter(operator_id=pk) if pk is not None
              else processes.filter(operator__isnull=True))
             # (the operator, constant here, leads the order: PostgreSQL then reads
             # ooe_process_operator_sort rather than walking the primary key)
             .annotate(operator_rank=Value(rank)).order_by(f"{by_id[:-2]}operator_id", by_id)
             .values_list("id", "operator_rank")[:offset + limit]
             for rank, pk in enumerate(groups)]
    rows = parts[0].union(*parts[1:], all=True)
    return [pk for pk, _rank in rows.order_by("operator_rank", by_id)[offset:offset + limit]]


#: Beyond this many operators, or this deep into the table, sorting by operator sorts in the
#: database (the queries per operator would read more than the sort).
MAX_SORTED_OPERATORS = 50
MAX_SORTED_DEPTH = 5_000


# --- Loading the rows on screen ---------------------------------------------------------------

def tag_list() -> Prefetch:
    """Prefetch of a process's tags into a plain ``tag_list`` attribute: Django builds a
    manager and a queryset per instance for a ``prefetch_related("tags")`` (about as long as
    drawing the row), and nothing for a list."""
    return Prefetch("tags", queryset=Tag.objects.all(), to_attr="tag_list")


def with_related(processes: QuerySet[OrderProcess]) -> QuerySet[OrderProcess]:
    """Rows ready for display: stage and operator joined; tags prefetched into ``tag_list``;
    notes counted."""
    notes = OrderNote.objects.filter(order_id=OuterRef("order_id")).values("order_id").annotate(
        n=Count("pk")).values("n")
    return (processes.select_related("stage", "operator")
            .prefetch_related(tag_list())
            .annotate(notes_count=Coalesce(Subquery(notes, output_field=IntegerField()), 0)))


def attach_lines(processes: Iterable[OrderProcess]) -> None:
    """Give each process ``lines_summary``: its order lines, loaded in one query."""
    processes = list(processes)
    by_order: dict[int, list[Any]] = defaultdict(list)
    lines = Line.objects.filter(order_id__in=[p.order_id for p in processes]).only(
        "order_id", "title", "quantity", "partner_sku", "unit_price_incl_tax",
        "line_price_incl_tax").order_by("pk")
    for line in lines:
        by_order[line.order_id].append(line)
    for process in processes:
        process.lines_summary = by_order.get(process.order_id, [])


def attach_tracking(processes: Iterable[OrderProcess]) -> None:
    """Give each process ``tracking_links``: its parcels' tracking links, in one query."""
    processes = list(processes)
    links = tracking_links_by_order(p.order_id for p in processes)
    for process in processes:
        process.tracking_links = links.get(process.order_id, [])


# --- Kanban -------------------------------------------------------------------------------

@dataclass
class KanbanColumn:
    stage: Stage
    count: int
    totals: list[CurrencyTotal]
    cards: list[OrderProcess] = field(default_factory=list)
    #: Whether the user folded this column (drawn narrow, its cards hidden; still a drop zone).
    folded: bool = False

    @property
    def has_more(self) -> bool:
        return self.count > len(self.cards)

    @property
    def over_wip_limit(self) -> bool:
        return self.stage.wip_limit is not None and self.count > self.stage.wip_limit


CARD_ORDER = ("-placed_at", "-pk")


def first_cards(processes: QuerySet[OrderProcess], stages: Sequence[Stage], per_stage: int
                ) -> dict[int, list[OrderProcess]]:
    """The newest ``per_stage`` cards of each stage, in one query.

    On PostgreSQL an array of each stage's first card ids, a ``LIMIT`` sub-query per stage
    that walks the (funnel, stage, placed_at) index; elsewhere a UNION ALL of those queries or
    a window function ranking the cards.
    """
    if not stages:
        return {}
    if connection.vendor == "postgresql":
        # (imported here: django.contrib.postgres needs psycopg, which SQLite shops lack)
        from django.contrib.postgres.expressions import ArraySubquery  # noqa: PLC0415

        # One sub-query, compiled once, run per stage: a UNION ALL compiled the filter (a tag's
        # EXISTS, a search) once per stage, as long as running them all.
        firsts = ArraySubquery(processes.filter(stage_id=OuterRef("pk")).order_by(
            *CARD_ORDER).values("pk")[:per_stage])
        pks = [pk for _stage, ids in Stage.objects.filter(pk__in=[s.pk for s in stages])
               .values_list("pk", firsts) for pk in ids]
    elif connection.features.supports_slicing_ordering_in_compound:
        parts = [processes.filter(stage=stage).order_by(*CARD_ORDER)[:per_stage]
                 for stage in stages]
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        pks = list(rows.values_list("pk", flat=True))
    else:
        ranked = processes.filter(stage__in=stages).annotate(rank=Window(
            RowNumber(), partition_by=[F("stage_id")], order_by=[F("placed_at").desc(),
                                                                 F("pk").desc()]))
        pks = list(ranked.filter(rank__lte=per_stage).values_list("pk", flat=True))
    cards = cards_of(OrderProcess.objects.filter(pk__in=pks).order_by(*CARD_ORDER), stages)
    by_stage: dict[int, list[OrderProcess]] = defaultdict(list)
    for card in cards:
        if card.stage_id is not None:  # always: the cards were picked by stage
            by_stage[card.stage_id].append(card)
    return by_stage


def cards_of(processes: QuerySet[OrderProcess], stages: Sequence[Stage]) -> list[OrderProcess]:
    """Cards ready for display: tags prefetched into ``tag_list``, each card's stage taken
    from ``stages`` (the board has them already) instead of joined; no order lines or note
    counts, which cards do not show."""
    cards = list(processes.prefetch_related(tag_list()))
    by_pk = {stage.pk: stage for stage in stages}
    stage_field = OrderProcess._meta.get_field("stage")
    for card in cards:
        if card.stage_id in by_pk:
            stage_field.set_cached_value(card, by_pk[card.stage_id])
    return cards


def folded_stages(user: Any, funnel: Funnel) -> set[int]:
    """The stages ``user`` folded on the board of ``funnel`` (none for anonymous users)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    preference = BoardPreference.objects.filter(user=user, funnel=funnel).first()
    return set(preference.collapsed_stages) if preference else set()


def kanban(order_filter: OrderFilter, funnel: Funnel, *, per_stage: int = 20,
           folded: Collection[int] = ()
           ) -> list[KanbanColumn]:
    """The board of ``funnel``: a column per stage with its count, totals and first cards;
    the stages in ``folded`` are marked folded."""
    stages = list(funnel.stages.order_by("position", "pk"))
    in_funnel = order_filter.qs.filter(funnel=funnel)
    counts: dict[int | None, int] = defaultdict(int)
    totals: dict[int | None, dict[str, list[Any]]] = defaultdict(
        lambda: defaultdict(lambda: [Decimal(0), 0]))
    rows: Iterable[dict[str, Any]] | None = tally_rows(order_filter, ("stage_id", "currency"),
                                                       funnel=funnel)
    if rows is None:
        rows = in_funnel.values("stage_id", "currency").annotate(
            n=Count("pk"), amount=Sum("total")).order_by()
    for row in rows:
        counts[row["stage_id"]] += row["n"]
        totals[row["stage_id"]][row["currency"]][0] += row["amount"] or 0
        totals[row["stage_id"]][row["currency"]][1] += row["n"]
    # A stage without a matching order is left out: its LIMIT query would walk every card
    # of the stage looking for one.
    cards = first_cards(in_funnel, [stage for stage in stages if counts.get(stage.pk)],
                        per_stage)
    return [KanbanColumn(stage=stage, count=counts.get(stage.pk, 0),
                         totals=[CurrencyTotal(c or "?", a, n) for c, (a, n)
                                 in sorted(totals.get(stage.pk, {}).items())],
                         cards=cards.get(stage.pk, []), folded=stage.pk in folded)
            for stage in stages]


def more_cards(processes: QuerySet[OrderProcess], stage: Stage, *, after: OrderProcess | None,
               limit: int = 20) -> list[OrderProcess]:
    """The next cards of a stage after ``after`` (keyset pagination: stable while cards move)."""
    queryset = processes.filter(funnel_id=stage.funnel_id, stage=stage)
    if after is not None:
        queryset = queryset.filter(Q(placed_at__lt=after.placed_at)
                                   | Q(placed_at=after.placed_at, pk__lt=after.pk))
    return cards_of(queryset.order_by(*CARD_ORDER)[:limit], [stage])


# --- Manual orders: customer and product pickers ----------------------------------------------

PICKER_LIMIT = 20


def search_customers(text: str, limit: int = PICKER_LIMIT) -> QuerySet[Any]:
    """Customers whose email or names contain every word of ``text`` (active ones first)."""
    words = text.split()[:5]
    users = get_user_model().objects.all()
    if not words:
        return users.none()
    for word in words:
        users = users.filter(Q(email__icontains=word) | Q(first_name__icontains=word)
                             | Q(last_name__icontains=word))
    return (users.order_by("-is_active", "last_name", "first_name", "pk")
            .prefetch_related("addresses")[:limit])


#: The address fields a manual order's billing form and Oscar's saved addresses share.
SAVED_ADDRESS_FIELDS = ("first_name", "last_name", "line1", "line2", "line3", "line4", "state",
                        "postcode")


def saved_address(user: Any) -> dict[str, str]:
    """The address a customer saved in their account (the default billing one, else the default
    shipping one, else the newest), as form values; empty without one. Reads the addresses
    ``search_customers`` prefetched."""
    addresses = sorted(user.addresses.all(), key=lambda address: (
        not address.is_default_for_billing, not address.is_default_for_shipping,
        -address.pk))
    if not addresses:
        return {}
    address = addresses[0]
    values = {name: str(getattr(address, name) or "") for name in SAVED_ADDRESS_FIELDS}
    values["country"] = address.country_id or ""
    values["phone"] = str(address.phone_number or "")
    return values


def search_products(text: str, limit: int = PICKER_LIMIT) -> QuerySet[Any]:
    """Sellable products (no parents) by title words, or by SKU or UPC prefix."""
    product_model = get_model("catalogue", "Product")
    text = text.strip()
    products = product_model.objects.exclude(structure=product_model.PARENT)
    if not text:
        return products.none()
    by_title = Q()
    for word in text.split()[:5]:
        by_title &= Q(title__icontains=word) | Q(parent__title__icontains=word)
    by_code = Q(upc__istartswith=text) | Q(stockrecords__partner_sku__istartswith=text)
    matching = product_model.objects.filter(by_title | by_code).values("pk")
    return products.filter(pk__in=matching).select_related(
        "parent", "product_class", "parent__product_class").order_by("title", "pk")[:limit]


def search_categories(text: str, limit: int = PICKER_LIMIT) -> QuerySet[Any]:
    """Categories whose name contains every word of ``text``, in tree order."""
    category_model = get_model("catalogue", "Category")
    words = text.split()[:5]
    if not words:
        return category_model.objects.none()
    categories = category_model.objects.all()
    for word in words:
        categories = categories.filter(name__icontains=word)
    return categories.order_by("path")[:limit]


# --- Shipments -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrackingLink:
    """A parcel as customers and operators see it: carrier, code and tracking page."""

    carrier: str
    code: str
    url: str


def shipped_quantities(order: Any) -> dict[int, int]:
    """Quantity shipped so far per line id (one query)."""
    rows = (ShippingEventQuantity.objects
            .filter(event__order_id=getattr(order, "pk", order),
                    event__event_type__name=SHIPPED_EVENT_NAME)
            .order_by().values_list("line_id").annotate(total=Sum("quantity")))
    return {line_id: total for line_id, total in rows}


def tracking_links(order: Any) -> list[TrackingLink]:
    """(carrier, code, url) of every parcel with a tracking code, for pages and emails."""
    order_id = getattr(order, "pk", order)
    return tracking_links_by_order([order_id]).get(order_id, [])


def tracking_links_by_order(order_ids: Iterable[int]) -> dict[int, list[TrackingLink]]:
    """The tracking links of many orders, oldest parcel first, in one query."""
    links: dict[int, list[TrackingLink]] = {}
    shipments = (Shipment.objects.filter(shipping_event__order_id__in=list(order_ids))
                 .exclude(tracking_code="").select_related("carrier")
                 .order_by("created_at", "pk"))
    for shipment in shipments.annotate(order_id=F("shipping_event__order_id")):
        links.setdefault(shipment.order_id, []).append(TrackingLink(
            carrier=shipment.carrier_name, code=shipment.tracking_code,
            url=shipment.tracking_url))
    return links


# --- The order page -----------------------------------------------------------------------------

def _order_page_tables() -> list[tuple[str, Any, str]]:
    """(name, model, column naming the order) of each table the order page reads beside the
    process (``order_presence``); the tag links name the process instead."""
    return [("tags", OrderProcess.tags.through, "orderprocess"),
            ("notes", OrderNote, "order"), ("discounts", OrderDiscount, "order"),
            ("surcharges", Surcharge, "order"), ("payment_events", PaymentEvent, "order"),
            ("shipping_events", ShippingEvent, "order"), ("payment_sources", Source, "order"),
            ("messages", OrderMessage, "order"), ("quotes", Quote, "order"),
            ("documents", IssuedDocument, "order"), ("payment_links", PaymentLink, "order"),
            ("gateway_payments", OrderPayment, "order")]


@lru_cache(maxsize=4)
def _presence_statement(vendor: str) -> tuple[str, tuple[str, ...]]:
    """The ``order_presence`` statement (one ``EXISTS`` per table) and its column names,
    written once per database vendor: as ``Exists()`` annotations, building and compiling
    the dozen sub-queries cost more CPU than the queries they spare (issue 18)."""
    quote = connection.ops.quote_name
    tables = _order_page_tables()
    probes = [f"EXISTS (SELECT 1 FROM {quote(model._meta.db_table)} WHERE "
              f"{quote(model._meta.get_field(column).column)} = %s)"
              for _name, model, column in tables]
    return "SELECT " + ", ".join(probes), tuple(name for name, _model, _column in tables)


def order_presence(process: OrderProcess) -> frozenset[str]:
    """Which of the tables of ``_order_page_tables`` hold rows for the process's order (its
    tags, notes, discounts, messages, documents …), in one statement."""
    statement, names = _presence_statement(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(statement, [process.pk if name == "tags" else process.order_id
                                   for name in names])
        row = cursor.fetchone()
    return frozenset(name for name, found in zip(names, row, strict=True) if found)


def order_page_process(user: Any, number: str) -> OrderProcess:
    """The process of order ``number`` with what its page shows, if ``user`` may see it.

    Its ``present`` (``order_presence``, one statement) tells which related tables hold rows
    for the order: the page reads only those (``holds``), so a panel with nothing to show
    costs no query (most orders have no messages, documents, payment links …).
    Raises ``OrderProcess.DoesNotExist`` for unknown orders and for orders outside a partner
    user's scope alike, so the page answers 404 without telling which.
    """
    # Not ``get()``: its LIMIT makes PostgreSQL also weigh fast-start plans for each join
    # order of these ten tables, which doubled the planning (5.7 ms against 2.9 on the
    # benchmark machine). Order numbers are unique, so at most one row comes back.
    found = list(visible_processes(user)
                 .select_related("order", "order__user", "order__billing_address__country",
                                 "order__shipping_address__country", "funnel", "stage",
                                 "operator")
                 .filter(order__number=number))
    if not found:
        raise OrderProcess.DoesNotExist(f"No order {number!r} visible to this user.")
    process = found[0]
    process.present = order_presence(process)
    if "tags" in process.present:
        prefetch_related_objects([process], "tags")
    else:  # what the prefetch would have found, without asking
        process._prefetched_objects_cache = {"tags": Tag.objects.none()}
    return process


def holds(process: Any, name: str) -> bool:
    """Whether the order may have rows in table ``name`` of ``_order_page_tables``: False
    only when ``order_page_process`` found none (any other process: True, ask)."""
    present = getattr(process, "present", None)
    return present is None or name in present


def order_lines(order: Any, *, shipped: bool = True, keep: bool = False) -> list[Any]:
    """The order's lines with ``shipped`` (quantity shipped so far), in two queries (one when
    the caller knows nothing was shipped: ``shipped=False``). ``keep``: also keep them as the
    order's prefetched ``lines`` (the workflow's "has lines" condition then asks nothing);
    for pages that only read, as writers must read lines after locking the order."""
    quantities = shipped_quantities(order) if shipped else {}
    if keep:
        prefetch_related_objects([order], Prefetch("lines", queryset=Line.objects.order_by("pk")))
        lines = list(order.lines.all())
    else:
        lines = list(order.lines.order_by("pk"))
    for line in lines:
        line.shipped = quantities.get(line.pk, 0)
        line.left_to_ship = max(line.quantity - line.shipped, 0)
    return lines


@dataclass(frozen=True)
class OrderTotals:
    """Oscar's figures of the order page's totals: before discounts, and the discounts."""

    items_before_discounts: Decimal
    basket_discounts: list[Any]
    shipping_before_discounts: Decimal
    shipping_discounts: list[Any]


def order_totals(order: Any, lines: Sequence[Any], *, discounts: bool = True) -> OrderTotals:
    """The totals Oscar's order properties give (``basket_total_before_discounts_incl_tax``,
    ``basket_discounts``, ``shipping_before_discounts_incl_tax``, ``shipping_discounts``),
    from the lines already loaded and one query, where the properties ask four (none when
    the caller knows the order has no discounts: ``discounts=False``)."""
    applied = list(order.discounts.all()) if discounts else []
    basket = [d for d in applied if d.category == d.BASKET]
    shipping = [d for d in applied if d.category == d.SHIPPING]
    return OrderTotals(
        items_before_discounts=sum((Decimal(line.line_price_before_discounts_incl_tax or 0)
                                    for line in lines), Decimal("0.00")),
        basket_discounts=basket,
        shipping_before_discounts=(order.shipping_incl_tax or Decimal("0.00"))
        + sum((d.amount for d in shipping), Decimal("0.00")),
        shipping_discounts=shipping)


def order_notes(order: Any) -> list[Any]:
    """Every Oscar ``OrderNote`` of the order, newest first, with its author."""
    return list(OrderNote.objects.filter(order_id=order.pk).select_related("user")
                .order_by("-date_created", "-pk"))


def buyer_notes(order: Any) -> list[Any]:
    """The notes meant for the buyer, oldest first (as emails and shop pages tell them)."""
    return list(OrderNote.objects.filter(order_id=getattr(order, "pk", order),
                                         note_type=CUSTOMER_NOTE_TYPE)
                .order_by("date_created", "pk"))


@dataclass(frozen=True)
class TimelineItem:
    """One line of an order's timeline, whichever table it comes from."""

    at: Any
    kind: str
    text: str
    actor: Any = None
    note: str = ""


def order_timeline(order: Any, *, payment_events: bool = True, shipping_events: bool = True
                   ) -> list[TimelineItem]:
    """Everything that happened to the order, newest first, in three queries (fewer when the
    caller knows the order has no payment or no shipping events: ``False``).

    Our ``TimelineEntry`` rows, plus the Oscar payment events and the shipping events recorded
    outside the app (ours already have an entry), which no entry mirrors.
    """
    items = [TimelineItem(at=entry.created_at, kind=entry.kind, text=entry.summary,
                          actor=entry.actor, note=entry.note)
             for entry in TimelineEntry.objects.filter(order_id=order.pk)
             .select_related("actor")]
    for event in (PaymentEvent.objects.filter(order_id=order.pk).select_related("event_type")
                  if payment_events else []):
        text = _("Payment: %(type)s %(amount)s %(currency)s") % {
            "type": event.event_type.name, "amount": event.amount, "currency": order.currency}
        items.append(TimelineItem(at=event.date_created, kind=TimelineKind.PAYMENT,
                                  text=str(text), note=event.reference or ""))
    for event in (ShippingEvent.objects.filter(order_id=order.pk, shipment__isnull=True)
                  .select_related("event_type") if shipping_events else []):
        items.append(TimelineItem(at=event.date_created, kind=TimelineKind.SHIPMENT,
                                  text=str(_("Shipping event: %(type)s")
                                           % {"type": event.event_type.name}),
                                  note=event.notes or ""))
    items.sort(key=lambda item: item.at, reverse=True)
    return items


@dataclass(frozen=True)
class PublicEvent:
    """One step of an order as its customer may see it: no actor, no internal note."""

    at: Any
    kind: str
    label: str
    state: str | None = None
    payment_status: str | None = None


#: Timeline kinds a customer sees (what happened to their order, not how it is worked).
PUBLIC_KINDS = (TimelineKind.CREATED, TimelineKind.STATE, TimelineKind.OSCAR_STATUS,
                TimelineKind.PAYMENT, TimelineKind.SHIPMENT)


def public_timeline(order: Any) -> list[PublicEvent]:
    """The order's public timeline, oldest first, in one query: placed, each state entered
    (the workflow's label), each payment status reached, each parcel recorded."""
    workflow, events = get_workflow(), []
    payment_labels = dict(PaymentStatus.choices)
    for entry in (TimelineEntry.objects.filter(order_id=getattr(order, "pk", order),
                                               kind__in=PUBLIC_KINDS)
                  .order_by("created_at", "pk").only("created_at", "kind", "data")):
        data = entry.data if isinstance(entry.data, dict) else {}
        if entry.kind == TimelineKind.CREATED:
            events.append(PublicEvent(entry.created_at, entry.kind,
                                      str(TimelineKind.CREATED.label), state=data.get("state")))
        elif entry.kind in (TimelineKind.STATE, TimelineKind.OSCAR_STATUS):
            target = str(data.get("to") or "")
            if target and target != data.get("from"):
                events.append(PublicEvent(entry.created_at, TimelineKind.STATE,
                                          str(workflow.get_state(target).label), state=target))
        elif entry.kind == TimelineKind.PAYMENT:
            # Status changes only: gateway steps (authorised, released) stay the shop's.
            status = str(data.get("to") or "")
            if status and status != data.get("from"):
                events.append(PublicEvent(entry.created_at, entry.kind,
                                          str(payment_labels.get(status, status)),
                                          payment_status=status))
        else:
            events.append(PublicEvent(entry.created_at, entry.kind,
                                      str(TimelineKind.SHIPMENT.label)))
    return events


def split_notes(notes: list[Any]) -> tuple[list[Any], list[Any]]:
    """``order_notes`` as (internal notes, notes for the buyer)."""
    return ([note for note in notes if note.note_type != CUSTOMER_NOTE_TYPE],
            [note for note in notes if note.note_type == CUSTOMER_NOTE_TYPE])


# --- Funnel settings ---------------------------------------------------------------------------

def funnel_order_counts(**filters: Any) -> dict[tuple[int, int | None], int]:
    """Orders per (funnel id, stage id), in one grouped query."""
    rows = (OrderProcess.objects.filter(**filters).order_by()
            .values_list("funnel_id", "stage_id").annotate(count=Count("pk")))
    return {(funnel_id, stage_id): count for funnel_id, stage_id, count in rows}


def funnel_overview() -> list[Funnel]:
    """Every funnel in board order with its stages, each carrying ``order_count`` (the funnel
    also ``unstaged_count``), and each stage ``state_label`` and ``state_known``."""
    funnels = list(Funnel.objects.order_by("position", "pk").prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position", "pk"))))
    counts = funnel_order_counts()
    workflow = get_workflow()
    # Plain attributes the settings pages read (Any: the models declare no such fields).
    funnel: Any
    stage: Any
    for funnel in funnels:
        staged = [count for (funnel_id, _stage), count in counts.items() if funnel_id == funnel.pk]
        funnel.order_count = sum(staged)
        funnel.unstaged_count = counts.get((funnel.pk, None), 0)
        for stage in funnel.stages.all():
            stage.order_count = counts.get((funnel.pk, stage.pk), 0)
            stage.state_label = workflow.get_state(stage.state).label
            stage.state_known = workflow.has_state(stage.state)
    return funnels


def stage_order_count(stage: Stage) -> int:
    """How many orders sit in ``stage`` (they must move before it is deleted)."""
    return OrderProcess.objects.filter(stage=stage).count()


def funnel_order_count(funnel: Funnel) -> int:
    """How many orders sit in ``funnel``."""
    return OrderProcess.objects.filter(funnel=funnel).count()


def is_only_funnel(funnel: Funnel) -> bool:
    """Whether ``funnel`` is the last one (the last funnel cannot be deleted)."""
    return not Funnel.objects.exclude(pk=funnel.pk).exists()


# --- The customer directory and profiles -----------------------------------------------------

def _descending_label(label: Any) -> str:
    return str(django_filters.OrderingFilter.descending_fmt) % label


class OrderingFilter(django_filters.OrderingFilter):
    """django-filter's ``OrderingFilter`` whose "… (descending)" choices are translated when
    drawn: its own are formatted once, when the filter set is defined, in English."""

    def build_choices(self, fields: Any, labels: Any) -> list[tuple[str, Any]]:
        """Each field ascending, then descending with a lazy label."""
        ascending = [(param, labels.get(field, _(pretty_name(param))))
                     for field, param in fields.items()]
        descending = [(f"-{param}", labels.get(f"-{param}", lazy(_descending_label, str)(label)))
                      for param, label in ascending]
        return [choice for pair in zip(ascending, descending, strict=True) for choice in pair]


class CustomerFilter(django_filters.FilterSet):
    """The customer directory's search, filters and sorting (surname first by default)."""

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    tag = django_filters.ModelChoiceFilter(queryset=Tag.objects.all(), field_name="tags",
                                           label=_("Tag"), distinct=False)
    group = django_filters.ModelChoiceFilter(queryset=CustomerGroup.objects.all(),
                                             label=_("Group"), distinct=False)
    registered = django_filters.DateFromToRangeFilter(
        field_name="registered_at", label=_("Registered between"),
        widget=django_filters.widgets.RangeWidget(attrs={"type": "date"}))
    has_orders = django_filters.ChoiceFilter(
        method="filter_has_orders", label=_("Orders"),
        choices=[("yes", _("Has orders")), ("no", _("No orders"))])
    idle_days = django_filters.NumberFilter(
        method="filter_idle_days", label=_("No order for (days)"), min_value=1,
        max_value=36500)
    sort = OrderingFilter(
        label=_("Sort by"),
        fields=(("last_name", "name"), ("order_count", "orders"),
                ("last_order_at", "last_order"), ("registered_at", "registered")),
        field_labels={"last_name": _("Surname"), "order_count": _("Orders"),
                      "last_order_at": _("Last order"), "registered_at": _("Registered on")})

    class Meta:
        model = Customer
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Customer], name: str, value: str
                      ) -> QuerySet[Customer]:
        text = value.strip()
        if not text:
            return queryset
        if "@" in text:  # an email: the unique index answers a prefix at once
            return queryset.filter(email__startswith=text.lower())
        matches = Q()
        for word in text.split():
            matches &= (Q(last_name__icontains=word) | Q(first_name__icontains=word)
                        | Q(company__icontains=word) | Q(email__icontains=word))
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 4:
            matches |= Q(phone__contains=digits)
        return queryset.filter(matches)

    def filter_has_orders(self, queryset: QuerySet[Customer], name: str, value: str
                          ) -> QuerySet[Customer]:
        if value == "yes":
            return queryset.filter(order_count__gt=0)
        if value == "no":
            return queryset.filter(order_count=0)
        return queryset

    def filter_idle_days(self, queryset: QuerySet[Customer], name: str, value: Decimal | None
                         ) -> QuerySet[Customer]:
        if not value:
            return queryset
        cutoff = timezone.now() - timedelta(days=int(value))
        return queryset.filter(last_order_at__lt=cutoff)


def customer_directory(data: Any) -> CustomerFilter:
    """The directory's filter bound to ``data`` (a request's GET), ordered by surname unless
    it asks for another sort; ``.qs`` holds the customers, tags prefetched."""
    queryset = (Customer.objects.select_related("group").prefetch_related("tags")
                .order_by("last_name", "first_name", "id"))
    return CustomerFilter(data, queryset=queryset)


@dataclass
class LoyaltySummary:
    """A customer's loyalty figures, per currency where money is involved."""

    currencies: list[dict[str, Any]]
    order_count: int
    first_order_at: Any
    last_order_at: Any
    days_since_last: int | None
    orders_per_year: Decimal | None


def loyalty_summary(customer: Customer, now: Any = None) -> LoyaltySummary:
    """Orders, lifetime value and average order value per currency, first and last order,
    days since the last and orders per year (over the time since the first order, at least
    one year), from the customer's stored aggregates: no query."""
    now = now or timezone.now()
    days_since = (now - customer.last_order_at).days if customer.last_order_at else None
    per_year = None
    if customer.first_order_at:
        years = max(Decimal((now - customer.first_order_at).days) / Decimal("365.25"),
                    Decimal(1))
        per_year = (Decimal(customer.order_count) / years).quantize(Decimal("0.1"))
    return LoyaltySummary(currencies=customer.currency_totals(),
                          order_count=customer.order_count,
                          first_order_at=customer.first_order_at,
                          last_order_at=customer.last_order_at, days_since_last=days_since,
                          orders_per_year=per_year)


def customer_latest_orders(customer: Customer, limit: int = 10) -> list[OrderProcess]:
    """The customer's latest orders (every state), newest first, for the profile."""
    return list(OrderProcess.objects.filter(customer_email=customer.email)
                .order_by("-placed_at", "-id")[:limit])


def customer_addresses(customer: Customer) -> list[Any]:
    """The addresses saved in the customer's account (none for guests)."""
    if customer.user_id is None:
        return []
    return list(get_model("address", "UserAddress").objects.filter(user_id=customer.user_id)
                .select_related("country").order_by("-is_default_for_billing", "-id")[:10])


def customer_groups() -> QuerySet[CustomerGroup]:
    """The customer groups with their number of customers and price lists."""
    return (CustomerGroup.objects.annotate(customer_count=Count("customers", distinct=True))
            .prefetch_related("price_lists").order_by("name"))


def current_price_list(customer: Customer) -> PriceList | None:
    """The price list the customer's group applies today (highest priority), if any."""
    if customer.group_id is None:
        return None
    today = timezone.localdate()
    return (PriceList.objects.filter(groups=customer.group_id)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
            .order_by("-priority", "pk").first())


def order_messages(order: Any) -> list[Any]:
    """The order's conversation with the customer, oldest first, with each author."""
    return list(OrderMessage.objects.filter(order_id=getattr(order, "pk", order))
                .select_related("author").order_by("created_at", "pk"))


def order_quotes(order: Any) -> list[Any]:
    """The order's price proposals, newest first; each with ``rows`` (per line: title,
    quantity, ``old`` and ``new`` unit price, ``previous``: the price the version before
    proposed, ``changed``: whether this version differs from it) and ``previous_total``."""
    quotes: list[Any] = list(Quote.objects.filter(order_id=getattr(order, "pk", order))
                  .select_related("created_by").order_by("version"))
    previous: Any = None
    for quote in quotes:
        before = {entry["line"]: entry["new"] for entry in previous.lines} if previous else {}
        quote.rows = [{**entry, "previous": before.get(entry["line"]),
                       "changed": entry["line"] in before and before[entry["line"]] != entry["new"]}
                      for entry in quote.lines]
        quote.previous_total = previous.total if previous else None
        quote.previous_shipping = previous.shipping if previous else None
        previous = quote
    return quotes[::-1]
