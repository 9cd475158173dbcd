"""Automatic customer tags: rules "buying this product / a product of this category tags the
customer with …", applied to orders by one function whatever created them (checkout, manual
orders, imports, the ``orders_apply_customer_tags`` command)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from oscar.core.loading import get_model

from ..conf import app_settings
from ..constants import PaymentStatus
from ..models import Customer, CustomerTagRule, OrderProcess
from .batches import forget_queries
from .customer_summaries import refresh_customers

#: Orders read per round of queries.
CHUNK = 500
PAID = {PaymentStatus.PAID}


def rules_apply_on_placement() -> bool:
    """Whether rules apply when an order is placed (else when it is paid)."""
    return app_settings.CUSTOMER_TAG_RULES_ON != "paid"


def _product_categories(product_ids: set[int]) -> dict[int, list[str]]:
    """Category tree paths of each product (a variant's are its parent's too)."""
    product_model = get_model("catalogue", "Product")
    link_model = get_model("catalogue", "ProductCategory")
    parents = dict(product_model.objects.filter(pk__in=product_ids, parent__isnull=False)
                   .values_list("pk", "parent_id"))
    owners = product_ids | set(parents.values())
    paths: dict[int, list[str]] = defaultdict(list)
    for product_id, path in link_model.objects.filter(product_id__in=owners).values_list(
            "product_id", "category__path"):
        paths[product_id].append(path)
    return {pk: paths.get(pk, []) + paths.get(parents.get(pk, -1), []) for pk in product_ids}


def apply_tag_rules(order_ids: Iterable[int], *, paid_only: bool = False) -> int:
    """Tag the customers of these orders by the active rules; returns the tag links added
    (already present ones are kept, not counted). Only orders that count for the customer
    directory (not cancelled, see CUSTOMER_EXCLUDED_STATES) tag anyone; with ``paid_only``,
    paid ones only."""
    rules = list(CustomerTagRule.objects.filter(is_active=True).select_related("category"))
    category_paths = {rule.pk: rule.category.path for rule in rules if rule.category}
    if not rules:
        return 0
    ids = _as_sequence(order_ids)
    if not ids:
        return 0
    line_model = get_model("order", "Line")
    added = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        processes = OrderProcess.objects.filter(order_id__in=chunk)
        if paid_only:
            processes = processes.filter(payment_status__in=PAID)
        emails = dict(processes.exclude(
            state__in=list(app_settings.CUSTOMER_EXCLUDED_STATES)).exclude(customer_email="")
            .values_list("order_id", "customer_email"))
        lines = list(line_model.objects.filter(order_id__in=emails, product_id__isnull=False)
                     .values_list("order_id", "product_id"))
        categories = _product_categories({product_id for _order, product_id in lines})
        wanted: set[tuple[str, int]] = set()
        for order_id, product_id in lines:
            paths = categories.get(product_id, [])
            for rule in rules:
                prefix = category_paths.get(rule.pk)
                if rule.product_id == product_id or (
                        prefix and any(path.startswith(prefix) for path in paths)):
                    wanted.add((emails[order_id], rule.tag_id))
        added += _tag_customers(wanted)
        forget_queries()
    return added


def _tag_customers(wanted: set[tuple[str, int]]) -> int:
    if not wanted:
        return 0
    emails = {email for email, _tag in wanted}
    missing = emails - set(Customer.objects.filter(email__in=emails)
                           .values_list("email", flat=True))
    if missing:  # the order's customer is counted after commit; tags need the row now
        refresh_customers(missing)
    pk_by_email = dict(Customer.objects.filter(email__in=emails).values_list("email", "pk"))
    through = Customer.tags.through
    links = {(pk_by_email[email], tag_id) for email, tag_id in wanted if email in pk_by_email}
    existing = set(through.objects.filter(customer_id__in={pk for pk, _tag in links})
                   .values_list("customer_id", "tag_id"))
    new = links - existing
    with transaction.atomic():
        through.objects.bulk_create([through(customer_id=pk, tag_id=tag_id)
                                     for pk, tag_id in sorted(new)], ignore_conflicts=True)
    return len(new)


def apply_after_commit(order_ids: Iterable[int], *, paid_only: bool = False) -> None:
    """Apply the rules to these orders once the current transaction commits."""
    ids = _as_sequence(order_ids)
    if ids:
        transaction.on_commit(lambda: apply_tag_rules(ids, paid_only=paid_only))


def _as_sequence(order_ids: Iterable[int]) -> Sequence[int]:
    """The ids as a sequence, not copied when they are one (an import's million ids)."""
    return order_ids if isinstance(order_ids, Sequence) else list(order_ids)


def apply_to_new_orders(order_ids: Iterable[int]) -> None:
    """New orders (imports, any bulk writer): apply the rules after commit, to the paid ones
    only when rules apply on payment."""
    apply_after_commit(order_ids, paid_only=not rules_apply_on_placement())


def apply_to_past_orders(*, paid_only: bool | None = None) -> int:
    """Apply the rules to every order (paid ones only when rules apply on payment)."""
    if paid_only is None:
        paid_only = not rules_apply_on_placement()
    return apply_tag_rules(OrderProcess.objects.order_by("order_id")
                           .values_list("order_id", flat=True), paid_only=paid_only)


def process_became_paid(process: Any) -> bool:
    """Whether rules applying on payment should run for this saved process."""
    return not rules_apply_on_placement() and process.payment_status in PAID
